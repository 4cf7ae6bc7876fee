"""When clients hear of their therapist's planned absence: the notice days and instants.

An absence runs over whole local days, ``starts_on`` to ``ends_on`` inclusive, in the clinic's
time zone. Clients are told three times, each at ``NOTICE_CLOCK`` (09:00) clinic time:

* ``lead``: ``lead_days`` before the first day (the therapist picks; 28 by default);
* ``week``: 7 days before the first day;
* ``day_before``: the day before the first day.

A notice that would fall on or before the lead notice's day is dropped (a lead time of 7 days
has no separate week notice; 1 day has only the lead notice), so every notice says something
new. Days are counted on the calendar, not in 24-hour steps, so a notice sent across a change
of the clocks still goes at 09:00 on the wall clock: the instant is built from the local date
and time with ``zoneinfo`` (PEP 495), never by subtracting hours from another instant.

There is no clinical source for these intervals: they follow the common practice of telling
clients of a therapist's break well ahead and again close to it (documented in docs/absences.md),
and the lead time is the therapist's to set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

__all__ = [
    "DAY_BEFORE",
    "DEFAULT_LEAD_DAYS",
    "KINDS",
    "LEAD",
    "MAX_LEAD_DAYS",
    "MIN_LEAD_DAYS",
    "NOTICE_CLOCK",
    "WEEK",
    "Notice",
    "covers",
    "due_notice",
    "notices",
    "starts_at",
]

LEAD: Final = "lead"
WEEK: Final = "week"
DAY_BEFORE: Final = "day_before"
KINDS: Final = (LEAD, WEEK, DAY_BEFORE)
NOTICE_CLOCK: Final = time(9, 0)
DEFAULT_LEAD_DAYS: Final = 28
MIN_LEAD_DAYS: Final = 1
MAX_LEAD_DAYS: Final = 120
_BEFORE: Final = {WEEK: 7, DAY_BEFORE: 1}


@dataclass(frozen=True)
class Notice:
    kind: str
    day: date
    at: datetime  # aware, UTC


def _at(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, NOTICE_CLOCK, tzinfo=zone).astimezone(UTC)


def starts_at(starts_on: date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the absence begins: midnight of its first local day."""
    return datetime.combine(starts_on, time(0, 0), tzinfo=zone).astimezone(UTC)


def notices(starts_on: date, lead_days: int, zone: ZoneInfo) -> list[Notice]:
    """The notices of an absence starting on ``starts_on``, earliest first.

    Parameters
    ----------
    starts_on : date
        The first local day of the absence.
    lead_days : int
        How many days ahead the first notice goes, ``MIN_LEAD_DAYS`` to ``MAX_LEAD_DAYS``.
    zone : ZoneInfo
        The clinic's time zone.

    Returns
    -------
    list of Notice
        ``lead`` on ``starts_on - lead_days``, then ``week`` and ``day_before`` when they fall
        after it, each at 09:00 local time as a UTC instant.

    Examples
    --------
    >>> [n.kind for n in notices(date(2027, 3, 29), 28, ZoneInfo("America/Toronto"))]
    ['lead', 'week', 'day_before']
    """
    if not MIN_LEAD_DAYS <= lead_days <= MAX_LEAD_DAYS:
        raise ValueError(f"lead_days must be {MIN_LEAD_DAYS} to {MAX_LEAD_DAYS}, not {lead_days}.")
    lead_day = starts_on - timedelta(days=lead_days)
    found = [Notice(LEAD, lead_day, _at(lead_day, zone))]
    for kind, before in _BEFORE.items():
        day = starts_on - timedelta(days=before)
        if day > lead_day:
            found.append(Notice(kind, day, _at(day, zone)))
    return found


def due_notice(starts_on: date, lead_days: int, zone: ZoneInfo, now: datetime) -> Notice | None:
    """The notice to send at ``now``: the latest one whose instant has come, while the absence
    has not begun. An absence recorded late (or a worker that was down) sends only the latest
    notice, never a burst of the ones it missed; once it has begun, none.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime.")
    if now >= starts_at(starts_on, zone):
        return None
    passed = [n for n in notices(starts_on, lead_days, zone) if n.at <= now]
    return passed[-1] if passed else None


def covers(starts_on: date, ends_on: date, today: date) -> bool:
    """Whether ``today`` (a local date in the clinic's zone) is one of the absence's days."""
    if ends_on < starts_on:
        raise ValueError("An absence ends on or after the day it starts.")
    return starts_on <= today <= ends_on
