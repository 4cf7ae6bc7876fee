"""Server-rendered SVG chart of the alliance across sessions.

Plain Python (no Django): the markup is built with every text value escaped, and the chart
carries a text alternative; the page also shows the same data as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class ChartPoint:
    number: int  # session number
    alliance: float  # 1–7
    label: str  # e.g. "Session 12, 3 Nov 2026"
    marker: str = ""  # "" | "rupture" | "repaired" | "open"
    # The therapist's own view of the same session (alliance/ratings), on the therapist's
    # chart only: the client's charts never set it.
    therapist: float | None = None


WIDTH, HEIGHT = 640, 240
# The phone chart: drawn at about the width it is shown at (text stays 12 px), with the latest
# RECENT check-ins only; the data table under it keeps the whole history.
NARROW_WIDTH, RECENT = 360, 10
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 12, 36
Y_MIN, Y_MAX = 1.0, 7.0


def _x(number: int, first: int, last: int, width: int = WIDTH) -> float:
    span = max(last - first, 1)
    return LEFT + (number - first) / span * (width - LEFT - RIGHT)


def _y(value: float) -> float:
    return TOP + (Y_MAX - value) / (Y_MAX - Y_MIN) * (HEIGHT - TOP - BOTTOM)


def _ruptures_at(points: Sequence[ChartPoint]) -> str:
    numbers = ", ".join(str(p.number) for p in points)
    if len(points) == 1:
        return f"Rupture at session {numbers}"
    return f"Ruptures at sessions {numbers}"


def describe(points: Sequence[ChartPoint]) -> str:
    """The chart's text alternative: range, latest value, and the marked sessions."""
    if not points:
        return "No check-ins yet."
    values = [p.alliance for p in points]
    ruptures = [p for p in points if p.marker in {"rupture", "open"}]
    repaired = [p for p in points if p.marker == "repaired"]
    parts = [
        f"Alliance over {len(points)} check-ins, sessions {points[0].number} to "
        f"{points[-1].number}, on a scale of 1 to 7.",
        f"Lowest {min(values):.1f}, highest {max(values):.1f}, latest {values[-1]:.1f}.",
    ]
    if ruptures:
        parts.append(f"{_ruptures_at(ruptures)} not yet resolved.")
    if repaired:
        parts.append(f"{_ruptures_at(repaired)} resolved or closed.")
    rated = [p for p in points if p.therapist is not None]
    if rated:
        parts.append(
            f"Your own view, dashed line, at {len(rated)} of these sessions: latest "
            f"{rated[-1].therapist:.1f} against the client's {rated[-1].alliance:.1f}."
        )
    return " ".join(parts)


def alliance_svg(
    points: Sequence[ChartPoint],
    *,
    title: str = "Alliance across sessions",
    chart_id: str = "chart",
    width: int = WIDTH,
    css: str = "chart",
) -> str:
    """The chart, ``width`` units wide; ids ``{chart_id}-title`` and ``{chart_id}-desc``."""
    desc = describe(points)
    out = [
        f'<svg class="{escape(css)}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]
    for tick in range(1, 8):
        y = _y(tick)
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    if points:
        first, last = points[0].number, points[-1].number
        coords = [(_x(p.number, first, last, width), _y(p.alliance)) for p in points]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        out.append(f'<polyline class="line" points="{path}"/>')
        rated = [
            (p, x) for p, (x, _) in zip(points, coords, strict=True) if p.therapist is not None
        ]
        if rated:
            # Dashed, with diamonds: told apart from the client's line without colour.
            line = " ".join(f"{x:.1f},{_y(p.therapist or 0):.1f}" for p, x in rated)
            out.append(f'<polyline class="line-therapist" points="{line}"/>')
            for p, x in rated:
                y = _y(p.therapist or 0)
                tip = f"{p.label}: your view {p.therapist:.1f}"
                out.append(
                    f'<path class="mark-therapist" d="M{x:.1f},{y - 5:.1f} l5,5 l-5,5 l-5,-5 z">'
                    f"<title>{escape(tip)}</title></path>"
                )
        for p, (x, y) in zip(points, coords, strict=True):
            tip = f"{p.label}: {p.alliance:.1f}"
            if p.marker in {"rupture", "open"}:
                tip += " (rupture, not yet resolved)"
                # A triangle, not only a colour: the mark survives greyscale and colour blindness.
                out.append(
                    f'<path class="mark-open" d="M{x:.1f},{y - 8:.1f} l7,12 h-14 z">'
                    f"<title>{escape(tip)}</title></path>"
                )
            elif p.marker == "repaired":
                tip += " (rupture, resolved)"
                out.append(
                    f'<rect class="mark-repaired" x="{x - 6:.1f}" y="{y - 6:.1f}" width="12" '
                    f'height="12"><title>{escape(tip)}</title></rect>'
                )
            else:
                out.append(
                    f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                    f"<title>{escape(tip)}</title></circle>"
                )
        step = max(1, (last - first) // (8 if width >= WIDTH else 5))
        for p, (x, _) in zip(points, coords, strict=True):
            if (p.number - first) % step == 0 or p is points[-1]:
                out.append(
                    f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                    f'text-anchor="middle">{p.number}</text>'
                )
        out.append(
            f'<text class="axis" x="{(LEFT + width) / 2:.0f}" y="{HEIGHT - 4}" '
            'text-anchor="middle">Session</text>'
        )
    out.append("</svg>")
    return "".join(out)


def recent_alliance_svg(points: Sequence[ChartPoint], *, title: str, count: int = RECENT) -> str:
    """The chart for a phone: the latest ``count`` check-ins, drawn narrow."""
    return alliance_svg(
        list(points)[-count:],
        title=title,
        chart_id="chart-recent",
        width=NARROW_WIDTH,
        css="chart chart-recent",
    )
