"""Server-rendered SVG chart of the alliance across sessions.

Plain Python apart from Django's translation (the words are the reader's language): the markup
is built with every text value escaped, and the chart carries a text alternative; the page also
shows the same data as a table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


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


def _ruptures(points: Sequence[ChartPoint], *, resolved: bool) -> str:
    numbers = {"numbers": ", ".join(str(p.number) for p in points)}
    if resolved:
        return (
            ngettext(
                "Rupture at session %(numbers)s resolved or closed.",
                "Ruptures at sessions %(numbers)s resolved or closed.",
                len(points),
            )
            % numbers
        )
    return (
        ngettext(
            "Rupture at session %(numbers)s not yet resolved.",
            "Ruptures at sessions %(numbers)s not yet resolved.",
            len(points),
        )
        % numbers
    )


def describe(points: Sequence[ChartPoint]) -> str:
    """The chart's text alternative: range, latest value, and the marked sessions."""
    if not points:
        return _("No check-ins yet.")
    values = [p.alliance for p in points]
    ruptures = [p for p in points if p.marker in {"rupture", "open"}]
    repaired = [p for p in points if p.marker == "repaired"]
    parts = [
        ngettext(
            "Alliance over %(n)d check-in, sessions %(first)d to %(last)d, on a scale of 1 to 7.",
            "Alliance over %(n)d check-ins, sessions %(first)d to %(last)d, on a scale of 1 to 7.",
            len(points),
        )
        % {"n": len(points), "first": points[0].number, "last": points[-1].number},
        _("Lowest %(low)s, highest %(high)s, latest %(latest)s.")
        % {
            "low": f"{min(values):.1f}",
            "high": f"{max(values):.1f}",
            "latest": f"{values[-1]:.1f}",
        },
    ]
    if ruptures:
        parts.append(_ruptures(ruptures, resolved=False))
    if repaired:
        parts.append(_ruptures(repaired, resolved=True))
    rated = [p for p in points if p.therapist is not None]
    if rated:
        parts.append(
            _(
                "Your own view, dashed line, at %(n)d of these sessions: latest %(yours)s "
                "against the client's %(theirs)s."
            )
            % {
                "n": len(rated),
                "yours": f"{rated[-1].therapist:.1f}",
                "theirs": f"{rated[-1].alliance:.1f}",
            }
        )
    return " ".join(parts)


def alliance_svg(
    points: Sequence[ChartPoint],
    *,
    title: str = "",
    chart_id: str = "chart",
    width: int = WIDTH,
    css: str = "chart",
) -> str:
    """The chart, ``width`` units wide; ids ``{chart_id}-title`` and ``{chart_id}-desc``."""
    title = title or _("Alliance across sessions")
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
            (p, x) for p, (x, _y_) in zip(points, coords, strict=True) if p.therapist is not None
        ]
        if rated:
            # Dashed, with diamonds: told apart from the client's line without colour.
            line = " ".join(f"{x:.1f},{_y(p.therapist or 0):.1f}" for p, x in rated)
            out.append(f'<polyline class="line-therapist" points="{line}"/>')
            for p, x in rated:
                y = _y(p.therapist or 0)
                tip = _("%(label)s: your view %(view)s") % {
                    "label": p.label,
                    "view": f"{p.therapist:.1f}",
                }
                out.append(
                    f'<path class="mark-therapist" d="M{x:.1f},{y - 5:.1f} l5,5 l-5,5 l-5,-5 z">'
                    f"<title>{escape(tip)}</title></path>"
                )
        for p, (x, y) in zip(points, coords, strict=True):
            tip = f"{p.label}: {p.alliance:.1f}"
            if p.marker in {"rupture", "open"}:
                tip += " " + _("(rupture, not yet resolved)")
                # A triangle, not only a colour: the mark survives greyscale and colour blindness.
                out.append(
                    f'<path class="mark-open" d="M{x:.1f},{y - 8:.1f} l7,12 h-14 z">'
                    f"<title>{escape(tip)}</title></path>"
                )
            elif p.marker == "repaired":
                tip += " " + _("(rupture, resolved)")
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
        for p, (x, _unused) in zip(points, coords, strict=True):
            if (p.number - first) % step == 0 or p is points[-1]:
                out.append(
                    f'<text class="axis" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                    f'text-anchor="middle">{p.number}</text>'
                )
        out.append(
            f'<text class="axis" x="{(LEFT + width) / 2:.0f}" y="{HEIGHT - 4}" '
            f'text-anchor="middle">{escape(_("Session"))}</text>'
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
