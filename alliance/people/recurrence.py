"""Session times on the local clock: daylight-saving gaps and repeats, and recurring series.

A session is booked at a wall-clock time in the therapist's zone. Twice a year that time may
not exist (the clocks jump forward over it) or may happen twice (they go back over it); both
are said plainly instead of being silently moved. A series keeps the same wall-clock time
every week across those changes, so its UTC times differ by an hour either side of them.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

from django.utils import dateformat
from django.utils.translation import gettext as _

MAX_SERIES = 52
"""The most sessions booked at once: a year of weekly sessions, two years every two weeks."""

YEARS_AHEAD = 2
"""How far ahead a session may be booked; anything later is almost surely a typing slip."""

EARLIER, LATER = 0, 1
"""``fold`` values: the first or the second of a time that happens twice."""


class LocalTimeError(ValueError):
    """A wall-clock time that cannot be turned into one instant without asking."""

    def __init__(self, wall: datetime, zone: zoneinfo.ZoneInfo) -> None:
        super().__init__(f"{wall:%Y-%m-%d %H:%M} in {zone.key}")
        self.wall = wall
        self.zone = zone


class TimeDoesNotExist(LocalTimeError):
    """The clocks jump over this time (spring forward)."""


class TimeIsAmbiguous(LocalTimeError):
    """The clocks go back over this time: it happens twice, first in ``earlier`` then ``later``."""

    @property
    def earlier(self) -> datetime:
        return self.wall.replace(tzinfo=self.zone, fold=EARLIER)

    @property
    def later(self) -> datetime:
        return self.wall.replace(tzinfo=self.zone, fold=LATER)


def _wall_clock(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None, fold=0)


def is_ambiguous(wall: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    first = wall.replace(tzinfo=zone, fold=EARLIER)
    second = wall.replace(tzinfo=zone, fold=LATER)
    return (
        first.utcoffset() != second.utcoffset()
        and _wall_clock(first, zone) == wall
        and _wall_clock(second, zone) == wall
    )


def at_local(wall: datetime, zone: zoneinfo.ZoneInfo, *, fold: int | None = None) -> datetime:
    """The instant a naive wall-clock time names in ``zone``.

    Raises ``TimeDoesNotExist`` for a time in a spring-forward gap, and ``TimeIsAmbiguous``
    for one that happens twice unless ``fold`` says which (``EARLIER`` or ``LATER``).
    ``datetime.replace(tzinfo=...)`` alone would silently pick one in both cases.
    """
    if wall.tzinfo is not None:
        raise ValueError("at_local takes a wall-clock (naive) time")
    first = wall.replace(tzinfo=zone, fold=EARLIER)
    if _wall_clock(first, zone) != wall and _wall_clock(first.replace(fold=LATER), zone) != wall:
        raise TimeDoesNotExist(wall, zone)
    if is_ambiguous(wall, zone):
        if fold is None:
            raise TimeIsAmbiguous(wall, zone)
        return wall.replace(tzinfo=zone, fold=fold)
    return first


def years_later(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def day_problem(day: date, *, started_on: date, today: date) -> str | None:
    """Why a session cannot be on ``day`` (a local date), or None when it can.

    Checked on dates before any time zone arithmetic, so 9999-12-31 or 0001-01-01 is a clear
    message rather than an overflow.
    """
    if day < started_on:
        return _(
            "%(day)s is before this course of therapy started (%(start)s). Please check the "
            "date, the year especially."
        ) % {
            "day": dateformat.format(day, "j M Y"),
            "start": dateformat.format(started_on, "j M Y"),
        }
    latest = years_later(today, YEARS_AHEAD)
    if day > latest:
        return _(
            "%(day)s is more than two years ahead. Sessions can be booked up to %(latest)s; "
            "please check the date, the year especially."
        ) % {"day": dateformat.format(day, "j M Y"), "latest": dateformat.format(latest, "j M Y")}
    return None


def series_dates(
    first: date, *, every_weeks: int, count: int | None = None, until: date | None = None
) -> list[date]:
    """The dates of a series from ``first``: ``count`` sessions, or every one up to ``until``.

    At most ``MAX_SERIES + 1`` dates are returned, so a caller can tell "too many" without a
    long loop over a far-away end date.
    """
    if every_weeks < 1:
        raise ValueError("every_weeks must be at least 1")
    if (count is None) == (until is None):
        raise ValueError("give exactly one of count and until")
    step = timedelta(weeks=every_weeks)
    dates: list[date] = []
    day = first
    while len(dates) <= MAX_SERIES:
        if count is not None and len(dates) >= count:
            break
        if until is not None and day > until:
            break
        dates.append(day)
        try:
            day += step
        except OverflowError:
            break
    return dates
