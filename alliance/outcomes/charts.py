"""Server-rendered SVG chart of one outcome questionnaire over time.

Plain Python apart from Django's translation (the words are the reader's language), like the
alliance chart: every text value is escaped, the chart has a
text alternative, and the page shows the same data as a table. The severity bands are drawn as
labelled background stripes; a reliable change from intake is marked with a shape (not only a
colour): a square for reliable improvement, a triangle for reliable deterioration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


@dataclass(frozen=True)
class OutcomePoint:
    value: float
    label: str  # e.g. "03 Mar 2026 (session 4)"
    short: str  # axis label, e.g. "03 Mar"
    marker: str = ""  # "" | "improved" | "deteriorated" (reliable change from intake)


WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 164, 12, 40
# The phone chart: the latest RECENT scores, drawn at about the width it is shown at, without
# the band names on the right (the data table names each score's band).
NARROW_WIDTH, NARROW_RIGHT, RECENT = 360, 12, 6


def _num(value: float) -> str:
    return f"{value:g}"


def describe(
    points: Sequence[OutcomePoint],
    *,
    title: str,
    low: float,
    high: float,
    higher_is_better: bool,
) -> str:
    """The chart's text alternative: how many, the range, first and latest, reliable changes."""
    if not points:
        return _("No scored %(title)s yet.") % {"title": title}
    values = [p.value for p in points]
    scale = {"title": title, "n": len(points), "low": _num(low), "high": _num(high)}
    parts = [
        (
            ngettext(
                "%(title)s: %(n)d score on a scale of %(low)s to %(high)s (lower is worse).",
                "%(title)s: %(n)d scores on a scale of %(low)s to %(high)s (lower is worse).",
                len(points),
            )
            if higher_is_better
            else ngettext(
                "%(title)s: %(n)d score on a scale of %(low)s to %(high)s (higher is worse).",
                "%(title)s: %(n)d scores on a scale of %(low)s to %(high)s (higher is worse).",
                len(points),
            )
        )
        % scale,
        _("First %(first)s, latest %(latest)s; lowest %(lowest)s, highest %(highest)s.")
        % {
            "first": _num(values[0]),
            "latest": _num(values[-1]),
            "lowest": _num(min(values)),
            "highest": _num(max(values)),
        },
    ]
    improved = [p for p in points if p.marker == "improved"]
    deteriorated = [p for p in points if p.marker == "deteriorated"]
    if improved:
        parts.append(
            _("Reliable improvement from the first score at %(when)s.") % {"when": _list(improved)}
        )
    if deteriorated:
        parts.append(
            _("Reliable deterioration from the first score at %(when)s.")
            % {"when": _list(deteriorated)}
        )
    return " ".join(parts)


def _list(points: Sequence[OutcomePoint]) -> str:
    return ", ".join(p.label for p in points)


def outcome_svg(
    points: Sequence[OutcomePoint],
    *,
    title: str,
    low: float,
    high: float,
    bands: Sequence[tuple[float, str]],
    higher_is_better: bool,
    chart_id: str,
    narrow: bool = False,
) -> str:
    """The chart: band stripes with their labels, the scores as a line, reliable-change marks.

    ``narrow``: the phone chart (``NARROW_WIDTH`` wide, no band names); the caller passes the
    points to show, usually the latest ``RECENT``.
    """
    if high <= low:
        raise ValueError(f"high must be above low, got {low!r} to {high!r}")
    width = NARROW_WIDTH if narrow else WIDTH
    span = high - low
    plot_h = HEIGHT - TOP - BOTTOM
    plot_right = width - (NARROW_RIGHT if narrow else RIGHT)

    def y(value: float) -> float:
        return TOP + (high - value) / span * plot_h

    desc = describe(points, title=title, low=low, high=high, higher_is_better=higher_is_better)
    title_id, desc_id = f"{chart_id}-chart-title", f"{chart_id}-chart-desc"
    out = [
        f'<svg class="chart outcome-chart{" chart-recent" if narrow else ""}" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(desc)}</desc>',
    ]
    for index, (start, label) in enumerate(bands):
        end = bands[index + 1][0] if index + 1 < len(bands) else high
        top, bottom = y(end), y(start)
        out.append(
            f'<rect class="band band-{index % 6}" x="{LEFT}" y="{top:.1f}" '
            f'width="{plot_right - LEFT}" height="{bottom - top:.1f}"/>'
        )
        if not narrow:
            out.append(
                f'<text class="band-label" x="{plot_right + 6}" y="{(top + bottom) / 2 + 4:.1f}">'
                f"{escape(label)} ({_num(start)}+)</text>"
            )
    ticks = sorted({low, high, *(start for start, _label in bands)})
    for tick in ticks:
        out.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{_num(tick)}</text>'
        )
    out.append(
        f'<rect class="frame" x="{LEFT}" y="{TOP}" width="{plot_right - LEFT}" height="{plot_h}"/>'
    )
    if points:
        count = len(points)
        step_x = (plot_right - LEFT - 24) / max(count - 1, 1)
        coords = [
            (LEFT + 12 + (i * step_x if count > 1 else (plot_right - LEFT - 24) / 2), y(p.value))
            for i, p in enumerate(points)
        ]
        if count > 1:
            path = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coords)
            out.append(f'<polyline class="line" points="{path}"/>')
        for p, (cx, cy) in zip(points, coords, strict=True):
            tip = f"{p.label}: {_num(p.value)}"
            if p.marker == "deteriorated":
                tip += " " + _("(reliable deterioration from the first score)")
                out.append(
                    f'<path class="mark-worse" d="M{cx:.1f},{cy - 8:.1f} l7,12 h-14 z">'
                    f"<title>{escape(tip)}</title></path>"
                )
            elif p.marker == "improved":
                tip += " " + _("(reliable improvement from the first score)")
                out.append(
                    f'<rect class="mark-better" x="{cx - 6:.1f}" y="{cy - 6:.1f}" width="12" '
                    f'height="12"><title>{escape(tip)}</title></rect>'
                )
            else:
                out.append(
                    f'<circle class="dot" cx="{cx:.1f}" cy="{cy:.1f}" r="4">'
                    f"<title>{escape(tip)}</title></circle>"
                )
        every = max(1, count // 7)
        for i, (p, (cx, _cy)) in enumerate(zip(points, coords, strict=True)):
            if i % every == 0 or i == count - 1:
                out.append(
                    f'<text class="axis" x="{cx:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                    f'text-anchor="middle">{escape(p.short)}</text>'
                )
    out.append("</svg>")
    return "".join(out)
