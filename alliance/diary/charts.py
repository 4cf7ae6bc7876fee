"""Server-rendered SVG line charts of diary-card answers by day, with a text alternative.

Plain Python apart from Django's translation and date names (the words are the reader's
language), like ``alliance/checkins/charts.py``: every text value is escaped, a
day without an answer leaves a gap in the line (never a 0), and each series has its own marker
shape and dash pattern, so the lines are told apart without colour. The page also shows the
weekly averages as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from statistics import mean

from django.utils.formats import date_format
from django.utils.translation import gettext as _

MARKERS = ("circle", "square", "triangle", "diamond")
SYMBOLS = {"circle": "●", "square": "■", "triangle": "▲", "diamond": "◆"}

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 32, 12, 12, 40
# The phone chart: the last RECENT_DAYS days, drawn at about the width it is shown at.
NARROW_WIDTH, RECENT_DAYS = 360, 14


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    values: Sequence[int | None]  # one per day, None when not answered

    def answered(self) -> list[tuple[int, int]]:
        return [(i, v) for i, v in enumerate(self.values) if v is not None]


@dataclass(frozen=True)
class WeekRow:
    start: date
    filled: int
    means: list[float | None]  # one per series


def short_day(day: date) -> str:
    return date_format(day, "D j M")


def _x(index: int, count: int, width: int = WIDTH) -> float:
    return LEFT + index / max(count - 1, 1) * (width - LEFT - RIGHT)


def _y(value: float, y_max: int) -> float:
    return TOP + (y_max - value) / y_max * (HEIGHT - TOP - BOTTOM)


def _marker(shape: str, x: float, y: float, css: str, tip: str) -> str:
    title = f"<title>{escape(tip)}</title>"
    if shape == "square":
        return (
            f'<rect class="{css}" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8">'
            f"{title}</rect>"
        )
    if shape == "triangle":
        return f'<path class="{css}" d="M{x:.1f},{y - 5:.1f} l5,9 h-10 z">{title}</path>'
    if shape == "diamond":
        return f'<path class="{css}" d="M{x:.1f},{y - 5:.1f} l5,5 l-5,5 l-5,-5 z">{title}</path>'
    return f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="4">{title}</circle>'


def weekly(days: Sequence[date], series: Sequence[Series]) -> list[WeekRow]:
    """Average of each series per seven days (days[0] starts the first week)."""
    rows = []
    for start in range(0, len(days), 7):
        window = range(start, min(start + 7, len(days)))
        filled = sum(1 for i in window if any(s.values[i] is not None for s in series))
        means: list[float | None] = []
        for s in series:
            answered = [v for i in window if (v := s.values[i]) is not None]
            means.append(round(mean(answered), 1) if answered else None)
        rows.append(WeekRow(start=days[start], filled=filled, means=means))
    return rows


def describe(days: Sequence[date], series: Sequence[Series], *, what: str, y_max: int) -> str:
    """The chart's text alternative: days filled in, then each series' highest and its trend."""
    if not days:
        return _("No days to show.")
    filled = sum(1 for i in range(len(days)) if any(s.values[i] is not None for s in series))
    parts = [
        _(
            "%(what)s from 0 to %(max)d, %(first)s to %(last)s: "
            "%(filled)d of %(days)d days filled in."
        )
        % {
            "what": what,
            "max": y_max,
            "first": short_day(days[0]),
            "last": short_day(days[-1]),
            "filled": filled,
            "days": len(days),
        }
    ]
    if not filled:
        return parts[0]
    half = len(days) // 2
    for s in series:
        answered = s.answered()
        if not answered:
            parts.append(_("%(label)s: not answered.") % {"label": s.label})
            continue
        top = max(v for _, v in answered)
        top_day = days[next(i for i, v in answered if v == top)]
        text = _("%(label)s: highest %(top)d (%(day)s)") % {
            "label": s.label,
            "top": top,
            "day": short_day(top_day),
        }
        early = [v for i, v in answered if i < half]
        late = [v for i, v in answered if i >= half]
        if early and late:
            text += _(", average %(early)s in the first half and %(late)s in the second") % {
                "early": f"{mean(early):.1f}",
                "late": f"{mean(late):.1f}",
            }
        parts.append(text + ".")
    return " ".join(parts)


def line_chart_svg(
    *,
    chart_id: str,
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    y_max: int,
    what: str,
    narrow: bool = False,
) -> str:
    """An SVG line chart, one line per series, with gaps on days without an answer.

    ``narrow``: the phone chart, ``NARROW_WIDTH`` wide; the caller passes the days to show
    (usually the last ``RECENT_DAYS``).
    """
    width = NARROW_WIDTH if narrow else WIDTH
    svg_css = "chart diary-chart chart-recent" if narrow else "chart diary-chart"
    desc = describe(days, series, what=what, y_max=y_max)
    out = [
        f'<svg class="{svg_css}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for tick in range(y_max + 1):
        y = _y(tick, y_max)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    count = len(days)
    for i, day in enumerate(days):
        if day.weekday() == 0:
            x = _x(i, count, width)
            out.append(
                f'<line class="grid week" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" '
                f'y2="{HEIGHT - BOTTOM}"/>'
                f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
                f'text-anchor="middle">{escape(date_format(day, "j M"))}</text>'
            )
    for n, s in enumerate(series):
        css = f"series series-{n}"
        # A day without an answer ends the line; the next answer starts a new one.
        segments: list[list[str]] = []
        segment: list[str] = []
        for i, value in enumerate(s.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{_x(i, count, width):.1f},{_y(value, y_max):.1f}")
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                out.append(f'<polyline class="line {css}" points="{" ".join(points)}"/>')
        shape = MARKERS[n % len(MARKERS)]
        for i, value in s.answered():
            tip = _("%(day)s: %(label)s %(value)d") % {
                "day": short_day(days[i]),
                "label": s.label.lower(),
                "value": value,
            }
            out.append(_marker(shape, _x(i, count, width), _y(value, y_max), f"mark {css}", tip))
    out.append(
        f'<text class="axis" x="{(LEFT + width) / 2:.0f}" y="{HEIGHT - 6}" '
        f'text-anchor="middle">{escape(_("Week starting"))}</text>'
    )
    out.append("</svg>")
    return "".join(out)
