"""When a message may go: quiet hours in the recipient's own time zone.

Plain functions over aware datetimes. A quiet period that starts later in the day than it ends
(21:00 to 08:00) runs across midnight. Wall-clock times are turned into instants with
``zoneinfo``: on the night clocks go back, a time that occurs twice is its first occurrence;
on the night they go forward, a time that does not exist is read with the offset in force
before the change, which lands it just after the gap (PEP 495).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) when the wall clock in ``zone`` shows ``clock`` on ``day``."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def in_quiet_hours(moment: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    clock = moment.astimezone(zone).time()
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def next_allowed(moment: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """``moment`` itself if it is outside quiet hours, else the end of those quiet hours."""
    if not in_quiet_hours(moment, zone, start, end):
        return moment
    local = moment.astimezone(zone)
    day = local.date()
    if local.time() >= end:  # the quiet period runs past midnight: it ends tomorrow
        day += timedelta(days=1)
    return at_local(day, end, zone)
