"""The client timeline's layout maths and the rupture-and-urges means: plain Python, no Django.

The timeline puts every record of a care episode on one time axis of dates (never session
numbers). Each lane is its own SVG, but every lane is drawn on the same :class:`Axis`, so a
day sits at the same ``x`` in all of them and the lanes line up.

Days are *bands*, not points: day ``i`` of an ``n``-day window covers
``[left + i·w, left + (i + 1)·w)`` with ``w = (right − left) / n``, and a point on that day is
drawn at the band's centre, ``left + (i + ½)·w``. A heat-map cell for the day fills the band,
so points and cells line up without a special case for either end.

Zoom windows end today and are whole calendar months back: ``3m`` from 15 March starts on
15 December (a day of the month the earlier month lacks becomes its last day: 31 May − 3
months is 28 or 29 February), or on the episode's first day if that is later. ``all`` starts
on the episode's first day.

Rupture and urges (:func:`around`, :func:`group_change`): for a rupture on day ``d``, the mean
of a daily diary value over the 7 days before (``d − 7`` to ``d − 1``) and the 7 days after
(``d + 1`` to ``d + 7``); the rupture's own day is in neither, since its card mixes the hours
before the session with the hours after. Days without a value are left out of a mean, never
counted as 0. These are descriptive figures: no published study links ruptures to diary-card
urges, and a difference here does not say that one caused the other.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

__all__ = [
    "AROUND_DAYS",
    "DAILY_UP_TO",
    "DEFAULT_RANGE",
    "MIN_SAMPLE",
    "RANGES",
    "Axis",
    "Bin",
    "BinValue",
    "GroupChange",
    "Window",
    "WindowMean",
    "around",
    "bin_values",
    "bins",
    "group_change",
    "heat_level",
    "mean_or_none",
    "months_back",
    "parse_range",
    "scale_y",
    "ticks",
    "window_for",
]

RANGES: Final[Mapping[str, int | None]] = {"3m": 3, "1y": 12, "all": None}
"""Zoom choices: months back from today, or None for the whole episode."""
DEFAULT_RANGE: Final = "1y"
DAILY_UP_TO: Final = 120
"""A window of up to this many days gets one heat-map cell a day; a longer one, one a week."""
AROUND_DAYS: Final = 7
"""Days before and after a rupture whose diary values are averaged."""
MIN_SAMPLE: Final = 5
"""A caseload figure is shown only when at least this many ruptures stand behind it."""


def parse_range(value: str | None) -> str:
    """The zoom asked for (``3m``, ``1y`` or ``all``); :data:`DEFAULT_RANGE` when none is.

    Raises
    ------
    ValueError
        For anything else, with the choices in the message.
    """
    if value is None or value == "":
        return DEFAULT_RANGE
    if value not in RANGES:
        choices = ", ".join(RANGES)
        raise ValueError(f"range must be one of {choices}, got {value!r}")
    return value


def months_back(day: date, months: int) -> date:
    """The same day of the month ``months`` earlier, or that month's last day if it is shorter.

    >>> months_back(date(2026, 5, 31), 3)
    datetime.date(2026, 2, 28)
    """
    if months < 0:
        raise ValueError(f"months must be 0 or more, got {months}")
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    if year < 1:
        raise ValueError(f"{months} months before {day} is before year 1")
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Window:
    """The days a timeline shows, ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a window must not end ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def window_for(range_key: str, *, today: date, first_day: date) -> Window:
    """The window of a zoom: ``months`` back to today, or ``first_day`` to today for ``all``.

    ``first_day`` is the episode's first day (or its earliest record): no window starts before
    it, so for an episode younger than the zoom the zoom shows the whole episode rather than
    empty months before care began. A first day after today (an episode that starts tomorrow)
    gives a one-day window, today.
    """
    months = RANGES[parse_range(range_key)]
    first = min(first_day, today)
    start = first if months is None else max(first, months_back(today, months))
    return Window(start, today)


@dataclass(frozen=True)
class Axis:
    """Dates to ``x`` on a plot from ``left`` to ``right`` (SVG units), one band per day."""

    window: Window
    left: float
    right: float

    def __post_init__(self) -> None:
        if self.right <= self.left:
            raise ValueError(f"right ({self.right}) must be greater than left ({self.left})")

    @property
    def day_width(self) -> float:
        return (self.right - self.left) / self.window.days

    def edge(self, day: date) -> float:
        """The left edge of ``day``'s band (the day after the window gives ``right``)."""
        return self.left + (day - self.window.start).days * self.day_width

    def x(self, day: date) -> float:
        """The centre of ``day``'s band: where a point on that day is drawn."""
        return self.edge(day) + self.day_width / 2


def scale_y(value: float, *, low: float, high: float, top: float, bottom: float) -> float:
    """``value`` on a vertical scale where ``high`` is at ``top`` and ``low`` at ``bottom``."""
    if high <= low:
        raise ValueError(f"high ({high}) must be greater than low ({low})")
    return top + (high - value) / (high - low) * (bottom - top)


def ticks(window: Window) -> list[date]:
    """Axis ticks: the first of every month in the window, or of every quarter once the window
    is longer than 400 days, or every 1 January past three years (about twelve labels at
    most)."""
    if window.days <= 400:
        step = 1
    elif window.days <= 3 * 366:
        step = 3
    else:
        step = 12
    found = []
    year, month = window.start.year, window.start.month
    while (first := date(year, month, 1)) <= window.end:
        if first >= window.start and (month - 1) % step == 0:
            found.append(first)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


@dataclass(frozen=True)
class Bin:
    """One heat-map cell: the days ``start`` to ``end`` (included)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def bins(window: Window) -> list[Bin]:
    """The heat map's cells, oldest first: a day each up to :data:`DAILY_UP_TO` days, else a
    week each (Monday to Sunday, the first and last cut to the window)."""
    if window.days <= DAILY_UP_TO:
        return [Bin(day, day) for day in _days(window.start, window.end)]
    found = []
    start = window.start
    while start <= window.end:
        sunday = start + timedelta(days=6 - start.weekday())
        end = min(sunday, window.end)
        found.append(Bin(start, end))
        start = end + timedelta(days=1)
    return found


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def mean_or_none(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are there (None is no answer, not 0); None if none are."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


@dataclass(frozen=True)
class BinValue:
    bin: Bin
    mean: float | None
    n: int  # days in the bin with a value


def bin_values(cells: Sequence[Bin], values: Mapping[date, float | None]) -> list[BinValue]:
    """Each cell's mean of the daily ``values`` (days without a value left out)."""
    found = []
    for cell in cells:
        present = [
            v for v in (values.get(day) for day in _days(cell.start, cell.end)) if v is not None
        ]
        found.append(BinValue(cell, mean_or_none(present), len(present)))
    return found


def heat_level(value: float | None, maximum: float, levels: int = 6) -> int | None:
    """The shade of a heat-map cell, 0 to ``levels − 1``; None for no value.

    ``value`` from 0 to ``maximum`` is cut into ``levels`` equal steps, rounding half up: with
    the 0–5 urge scale every whole value is its own shade, and a skills code of 0–7 maps
    7 → 5, 4 → 3 (2.86 rounds to 3), 1 → 1 (0.71 rounds to 1).
    """
    if maximum <= 0:
        raise ValueError(f"maximum must be positive, got {maximum}")
    if levels < 2:
        raise ValueError(f"levels must be at least 2, got {levels}")
    if value is None:
        return None
    if not 0 <= value <= maximum:
        raise ValueError(f"value must lie in 0 to {maximum}, got {value}")
    return min(levels - 1, math.floor(value / maximum * (levels - 1) + 0.5))


@dataclass(frozen=True)
class WindowMean:
    """The mean of a daily value over some days, and how many of the days had one."""

    mean: float | None
    days: int


def around(
    day: date, values: Mapping[date, float | None], *, days: int = AROUND_DAYS
) -> tuple[WindowMean, WindowMean]:
    """The mean of ``values`` over the ``days`` days before ``day`` and the ``days`` after it.

    ``day`` itself is in neither (module docstring). Returns (before, after).
    """
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")

    def mean_of(first: date, last: date) -> WindowMean:
        present = [v for v in (values.get(d) for d in _days(first, last)) if v is not None]
        return WindowMean(mean_or_none(present), len(present))

    one = timedelta(days=1)
    before = mean_of(day - timedelta(days=days), day - one)
    after = mean_of(day + one, day + timedelta(days=days))
    return before, after


@dataclass(frozen=True)
class GroupChange:
    """Ruptures with a value on both sides: how many, and their mean before, after and change.

    ``shown`` is False below ``minimum`` ruptures: the means are then None, so a page cannot
    show a figure from two or three clients by mistake.
    """

    n: int
    minimum: int
    before: float | None
    after: float | None
    change: float | None

    @property
    def shown(self) -> bool:
        return self.n >= self.minimum


def group_change(
    pairs: Iterable[tuple[WindowMean, WindowMean]], *, minimum: int = MIN_SAMPLE
) -> GroupChange:
    """Mean before, after and (after − before) over the ruptures with a mean on both sides.

    Each rupture counts once, whatever the number of days behind its means (a mean of means).
    """
    if minimum < 1:
        raise ValueError(f"minimum must be at least 1, got {minimum}")
    both: list[tuple[float, float]] = []
    for b, a in pairs:
        if b.mean is not None and a.mean is not None:
            both.append((b.mean, a.mean))
    n = len(both)
    if n < minimum:
        return GroupChange(n, minimum, None, None, None)
    before = sum(b for b, _ in both) / n
    after = sum(a for _, a in both) / n
    return GroupChange(n, minimum, before, after, after - before)
