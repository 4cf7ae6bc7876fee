"""The timeline's lanes as shapes and tables, from plain data (no database queries).

Each lane is one SVG, drawn by ``timeline/_lane.html`` from the :class:`Shape` list built here,
followed by its data table (latest first). Every lane is drawn on the same
:class:`alliance.core.timeline.Axis`, so a date sits at the same ``x`` in all of them. Marks
differ by shape as well as by colour (a triangle for an open rupture, a square for a resolved
one, a cross for a missed session), so nothing depends on colour alone.

The selectors (``alliance.timeline.selectors``) turn the episode's records into the plain
inputs below; the layout maths is in ``alliance.core.timeline``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext

from alliance.core import diary as card_def
from alliance.core.timeline import (
    Axis,
    Bin,
    Window,
    WindowMean,
    bin_values,
    bins,
    heat_level,
    mean_or_none,
    scale_y,
    ticks,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

WIDTH = 720
LEFT, RIGHT = 116, 12
AXIS_GAP = 16  # from the bottom of a lane's plot to its tick labels


def axis_for(window: Window) -> Axis:
    """The axis every lane of the page is drawn on."""
    return Axis(window, left=LEFT, right=WIDTH - RIGHT)


# --- what a lane is made of ------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One SVG element; numbers are already text. ``tip`` becomes its ``<title>``."""

    kind: str  # circle | rect | path | polyline | line | text
    css: str
    tip: str = ""
    x: str = ""
    y: str = ""
    r: str = ""
    w: str = ""
    h: str = ""
    d: str = ""
    points: str = ""
    x2: str = ""
    y2: str = ""
    text: str = ""
    anchor: str = ""


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""


@dataclass(frozen=True)
class Table:
    caption: str
    columns: list[str]
    rows: list[list[Cell]]  # latest first; the first cell of a row is its header
    empty: str = gettext_noop("Nothing in this period.")  # the template translates it


@dataclass(frozen=True)
class Lane:
    id: str
    title: str
    desc: str
    height: int
    shapes: list[Shape]
    table: Table
    legend: list[tuple[str, str]] = field(default_factory=list)  # (css of the key, label)
    css: str = ""


def plural(n: int, word: str) -> str:
    """``1 day``, ``3 days``; ``word`` is "day" or "diary card"."""
    if word == "diary card":
        return ngettext("%(n)d diary card", "%(n)d diary cards", n) % {"n": n}
    return ngettext("%(n)d day", "%(n)d days", n) % {"n": n}


def _f(value: float) -> str:
    return f"{value:.1f}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def long_day(day: date) -> str:
    return date_format(day, "D j M Y")


def _short(day: date) -> str:
    return date_format(day, "j M Y")


def _frame(axis: Axis, top: float, bottom: float) -> list[Shape]:
    """Grid lines at the ticks and their labels under the plot."""
    shapes = [
        Shape(
            "line",
            "lane-base",
            x=_f(axis.left),
            y=_f(bottom),
            x2=_f(axis.right),
            y2=_f(bottom),
        )
    ]
    for tick in ticks(axis.window):
        x = axis.edge(tick)
        label = date_format(tick, "M") if tick.month != 1 else date_format(tick, "M Y")
        shapes.append(Shape("line", "grid", x=_f(x), y=_f(top), x2=_f(x), y2=_f(bottom)))
        shapes.append(
            Shape("text", "axis", x=_f(x), y=_f(bottom + AXIS_GAP), text=label, anchor="middle")
        )
    return shapes


def _triangle(x: float, y: float, size: float = 7) -> str:
    return f"M{_f(x)},{_f(y - size)} l{_f(size)},{_f(size * 1.7)} h{_f(-2 * size)} z"


def _cross(x: float, y: float, size: float = 5) -> str:
    a, b = _f(x - size), _f(x + size)
    return f"M{a},{_f(y - size)} L{b},{_f(y + size)} M{a},{_f(y + size)} L{b},{_f(y - size)}"


def _diamond(x: float, y: float, size: float = 6) -> str:
    a, b = _f(size), _f(-size)
    return f"M{_f(x)},{_f(y - size)} l{a},{a} l{b},{a} l{b},{b} z"


# --- alliance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinPoint:
    day: date
    session_number: int
    alliance: float
    bond: int
    tasks: int
    goals: int


@dataclass(frozen=True)
class RatingPoint:
    """The therapist's own rating of a session (alliance.ratings): the second view of the hour."""

    day: date
    session_number: int
    alliance: float
    bond: int
    tasks: int
    goals: int


ALLIANCE_TOP, ALLIANCE_BOTTOM = 12, 150
PARTS = ("bond", "tasks", "goals")


def _alliance_rows(
    points: Sequence[CheckinPoint], ratings: Sequence[RatingPoint]
) -> list[list[Cell]]:
    """One row a session that either side rated, latest first: the client's answers, then the
    therapist's own mean ("—" where one side did not rate it)."""
    by_session: dict[int, tuple[date, CheckinPoint | None, RatingPoint | None]] = {}
    for point in points:
        by_session[point.session_number] = (point.day, point, None)
    for rating in ratings:
        day, answered, _none = by_session.get(rating.session_number, (rating.day, None, None))
        by_session[rating.session_number] = (day, answered, rating)
    rows = []
    for number, (day, p, r) in sorted(
        by_session.items(), key=lambda item: (item[1][0], item[0]), reverse=True
    ):
        client = (
            [Cell(f"{p.alliance:.1f}"), Cell(str(p.bond)), Cell(str(p.tasks)), Cell(str(p.goals))]
            if p is not None
            else [Cell("—")] * 4
        )
        rows.append(
            [
                Cell(_short(day)),
                Cell(str(number)),
                *client,
                Cell(f"{r.alliance:.1f}" if r is not None else "—"),
            ]
        )
    return rows


def alliance_lane(
    axis: Axis, points: Sequence[CheckinPoint], ratings: Sequence[RatingPoint] = ()
) -> Lane:
    """The client's check-ins (solid line, dots) and the therapist's own rating of the same
    sessions (``ratings``: a dashed line with diamonds, so the two differ by more than colour)."""

    def y(value: float) -> float:
        return scale_y(value, low=1, high=7, top=ALLIANCE_TOP, bottom=ALLIANCE_BOTTOM)

    shapes = _frame(axis, ALLIANCE_TOP, ALLIANCE_BOTTOM)
    for tick in range(1, 8):
        shapes.append(
            Shape(
                "text", "axis", x=_f(axis.left - 8), y=_f(y(tick) + 4), text=str(tick), anchor="end"
            )
        )
    shapes.append(Shape("text", "lane-label", x="4", y="16", text=_("Alliance 1–7")))
    if len(points) > 1:
        for key in PARTS:
            coords = " ".join(f"{_f(axis.x(p.day))},{_f(y(getattr(p, key)))}" for p in points)
            shapes.append(Shape("polyline", f"line part part-{key}", points=coords))
        coords = " ".join(f"{_f(axis.x(p.day))},{_f(y(p.alliance))}" for p in points)
        shapes.append(Shape("polyline", "line", points=coords))
    if len(ratings) > 1:
        coords = " ".join(f"{_f(axis.x(r.day))},{_f(y(r.alliance))}" for r in ratings)
        shapes.append(Shape("polyline", "line rating-line", points=coords))
    for p in points:
        tip = _(
            "Session %(number)s, %(day)s: alliance %(alliance).1f (bond %(bond)s, tasks "
            "%(tasks)s, goals %(goals)s)"
        ) % {
            "number": p.session_number,
            "day": _short(p.day),
            "alliance": p.alliance,
            "bond": p.bond,
            "tasks": p.tasks,
            "goals": p.goals,
        }
        shapes.append(
            Shape("circle", "dot", tip=tip, x=_f(axis.x(p.day)), y=_f(y(p.alliance)), r="3.5")
        )
    for r in ratings:
        tip = _(
            "Session %(number)s, %(day)s: your view %(alliance).1f (bond %(bond)s, tasks "
            "%(tasks)s, goals %(goals)s)"
        ) % {
            "number": r.session_number,
            "day": _short(r.day),
            "alliance": r.alliance,
            "bond": r.bond,
            "tasks": r.tasks,
            "goals": r.goals,
        }
        shapes.append(
            Shape("path", "rating-mark", tip=tip, d=_diamond(axis.x(r.day), y(r.alliance), 5))
        )
    if points:
        values = [p.alliance for p in points]
        last = points[-1]
        desc = ngettext(
            "%(n)d check-in from %(first)s to %(last)s, on a scale of 1 to 7.",
            "%(n)d check-ins from %(first)s to %(last)s, on a scale of 1 to 7.",
            len(points),
        ) % {"n": len(points), "first": _short(points[0].day), "last": _short(last.day)}
        desc += " " + _(
            "Lowest %(low).1f, highest %(high).1f, latest %(latest).1f (bond %(bond)s, tasks "
            "%(tasks)s, goals %(goals)s)."
        ) % {
            "low": min(values),
            "high": max(values),
            "latest": last.alliance,
            "bond": last.bond,
            "tasks": last.tasks,
            "goals": last.goals,
        }
    else:
        desc = _("No check-ins in this period.")
    if ratings:
        desc += " " + ngettext(
            "Your own rating of %(n)d session, latest %(latest).1f on %(day)s.",
            "Your own rating of %(n)d sessions, latest %(latest).1f on %(day)s.",
            len(ratings),
        ) % {"n": len(ratings), "latest": ratings[-1].alliance, "day": _short(ratings[-1].day)}
    legend = [
        ("key-line", _("● Alliance (the mean of the three)")),
        ("key-bond", _("Bond")),
        ("key-tasks", _("Tasks")),
        ("key-goals", _("Goals")),
    ]
    if ratings:
        legend.append(("key-rating", _("◆ dashed: your view (your own rating, the mean)")))
    return Lane(
        id="alliance",
        title=_("Alliance after each session"),
        desc=desc,
        height=ALLIANCE_BOTTOM + AXIS_GAP + 8,
        shapes=shapes,
        table=Table(
            _("Alliance by check-in, latest first"),
            [
                _("Date"),
                _("Session"),
                _("Alliance (1–7)"),
                _("Bond"),
                _("Tasks"),
                _("Goals"),
                _("Your view (your mean)"),
            ],
            _alliance_rows(points, ratings),
            _("No check-ins in this period."),
        ),
        legend=legend,
    )


# --- ruptures and repairs --------------------------------------------------------------------

RUPTURE_STATES: Mapping[str, StrOrPromise] = {
    "open": gettext_lazy("Open"),
    "repair_recorded": gettext_lazy("Repair recorded, not yet confirmed by the client"),
    "resolved_in_session": gettext_lazy("Resolved in session (closed by the therapist)"),
    "resolved_by_client": gettext_lazy("Resolved by the client"),
    "closed": gettext_lazy("Closed by the therapist for another reason"),
    "not_a_rupture": gettext_lazy("Closed: on review, not a rupture"),
}
REPAIRED = frozenset({"resolved_by_client", "resolved_in_session"})
"""The states counted as repaired: the client said it is resolved, or it was resolved in session
with the client confirming in person. Everything else but "not a rupture" is not repaired."""


@dataclass(frozen=True)
class RupturePoint:
    alert_id: str
    url: str
    day: date
    session_number: int
    state: str  # a key of RUPTURE_STATES
    closed_day: date | None  # resolved or closed
    urges: tuple[WindowMean, WindowMean]  # highest urge of each day, before and after
    skills: tuple[WindowMean, WindowMean]  # skills code, before and after

    @property
    def state_label(self) -> str:
        return str(RUPTURE_STATES[self.state])

    @property
    def repaired(self) -> bool:
        return self.state in REPAIRED


RUPTURE_Y = 28


def _around_text(means: tuple[WindowMean, WindowMean]) -> str:
    before, after = means
    return _("%(before)s before (%(before_days)s), %(after)s after (%(after_days)s)") % {
        "before": _num(before.mean),
        "before_days": plural(before.days, "day"),
        "after": _num(after.mean),
        "after_days": plural(after.days, "day"),
    }


def rupture_tip(r: RupturePoint) -> str:
    return _("Session %(number)s, %(day)s: %(state)s. Highest urge in the 7 days %(around)s.") % {
        "number": r.session_number,
        "day": _short(r.day),
        "state": r.state_label.lower(),
        "around": _around_text(r.urges),
    }


def _rupture_mark(r: RupturePoint, x: float, y: float) -> Shape:
    tip = rupture_tip(r)
    if r.state == "open":
        return Shape("path", "mark-open", tip=tip, d=_triangle(x, y))
    if r.state == "repair_recorded":
        return Shape("path", "mark-pending", tip=tip, d=_diamond(x, y))
    if r.repaired:
        return Shape("rect", "mark-repaired", tip=tip, x=_f(x - 6), y=_f(y - 6), w="12", h="12")
    return Shape("circle", "mark-closed", tip=tip, x=_f(x), y=_f(y), r="5")


def rupture_lane(axis: Axis, ruptures: Sequence[RupturePoint]) -> Lane:
    bottom = RUPTURE_Y + 20
    shapes = _frame(axis, 4, bottom)
    shapes.append(Shape("text", "lane-label", x="4", y=_f(RUPTURE_Y + 4), text=_("Ruptures")))
    for r in ruptures:
        x = axis.x(r.day)
        end = r.closed_day if r.closed_day is not None else axis.window.end
        end = min(max(end, r.day), axis.window.end)
        # The repair loop: from the rupture to when it closed, dashed while it is still open.
        css = "loop loop-open" if r.closed_day is None else "loop"
        shapes.append(
            Shape("line", css, x=_f(x), y=_f(RUPTURE_Y), x2=_f(axis.x(end)), y2=_f(RUPTURE_Y))
        )
        shapes.append(_rupture_mark(r, x, RUPTURE_Y))
    counts = {state: sum(r.state == state for r in ruptures) for state in RUPTURE_STATES}
    if ruptures:
        parts = [f"{n} {RUPTURE_STATES[s].lower()}" for s, n in counts.items() if n]
        desc = ngettext(
            "%(n)d rupture in this period: %(parts)s.",
            "%(n)d ruptures in this period: %(parts)s.",
            len(ruptures),
        ) % {"n": len(ruptures), "parts": "; ".join(parts)}
        desc += " " + _("A line runs from each rupture to the day its repair loop closed.")
    else:
        desc = _("No ruptures in this period.")
    rows = [
        [
            Cell(_short(r.day), r.url),
            Cell(str(r.session_number)),
            Cell(r.state_label),
            Cell(_short(r.closed_day) if r.closed_day else _("Still open")),
            Cell(_num(r.urges[0].mean)),
            Cell(_num(r.urges[1].mean)),
            Cell(_num(r.skills[0].mean)),
            Cell(_num(r.skills[1].mean)),
        ]
        for r in reversed(ruptures)
    ]
    return Lane(
        id="ruptures",
        title=_("Ruptures and repairs"),
        desc=desc,
        height=bottom + AXIS_GAP + 8,
        shapes=shapes,
        table=Table(
            _("Ruptures, latest first, with the diary card in the 7 days before and after"),
            [
                _("Date"),
                _("Session"),
                _("Where it stands"),
                _("Loop closed"),
                _("Highest urge, 7 days before"),
                _("Highest urge, 7 days after"),
                _("Skills code, 7 days before"),
                _("Skills code, 7 days after"),
            ],
            rows,
            _("No ruptures in this period."),
        ),
        legend=[
            ("key-open", _("▲ open")),
            ("key-pending", _("◆ repair recorded, not yet confirmed")),
            ("key-repaired", _("■ resolved (by the client, or in session)")),
            ("key-closed", _("● closed for another reason")),
        ],
    )


# --- outcome questionnaires ------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePoint:
    day: date
    value: float
    band: str
    occasion: str
    marker: str  # "" | "improved" | "deteriorated": reliable change from the first score
    change: float | None
    url: str = ""


OUTCOME_TOP, OUTCOME_BOTTOM = 10, 140


def outcome_lane(
    axis: Axis,
    *,
    instrument_id: str,
    title: str,
    low: float,
    high: float,
    bands: Sequence[tuple[float, str]],
    higher_is_better: bool,
    points: Sequence[ScorePoint],
) -> Lane:
    def y(value: float) -> float:
        return scale_y(value, low=low, high=high, top=OUTCOME_TOP, bottom=OUTCOME_BOTTOM)

    shapes: list[Shape] = []
    for index, (start, label) in enumerate(bands):
        end = bands[index + 1][0] if index + 1 < len(bands) else high
        top, bottom = y(end), y(start)
        shapes.append(
            Shape(
                "rect",
                f"band band-{index % 6}",
                x=_f(axis.left),
                y=_f(top),
                w=_f(axis.right - axis.left),
                h=_f(bottom - top),
            )
        )
        shapes.append(
            Shape(
                "text",
                "band-label",
                x=_f(axis.left + 4),
                y=_f(bottom - 3),
                text=f"{label} ({start:g}+)",
            )
        )
    shapes += _frame(axis, OUTCOME_TOP, OUTCOME_BOTTOM)
    for tick in sorted({low, high, *(start for start, _band in bands)}):
        shapes.append(
            Shape(
                "text",
                "axis",
                x=_f(axis.left - 8),
                y=_f(y(tick) + 4),
                text=f"{tick:g}",
                anchor="end",
            )
        )
    if len(points) > 1:
        coords = " ".join(f"{_f(axis.x(p.day))},{_f(y(p.value))}" for p in points)
        shapes.append(Shape("polyline", "line", points=coords))
    for p in points:
        x, py = axis.x(p.day), y(p.value)
        tip = f"{_short(p.day)} ({p.occasion}): {p.value:g}, {p.band or _('no band')}"
        if p.marker == "deteriorated":
            shapes.append(
                Shape(
                    "path",
                    "mark-worse",
                    tip=tip + _(", reliable deterioration"),
                    d=_triangle(x, py),
                )
            )
        elif p.marker == "improved":
            shapes.append(
                Shape(
                    "rect",
                    "mark-better",
                    tip=tip + _(", reliable improvement"),
                    x=_f(x - 6),
                    y=_f(py - 6),
                    w="12",
                    h="12",
                )
            )
        else:
            shapes.append(Shape("circle", "dot", tip=tip, x=_f(x), y=_f(py), r="4"))
    worse = _("lower") if higher_is_better else _("higher")
    if points:
        last = points[-1]
        desc = ngettext(
            "%(title)s: %(n)d score in this period, on a scale of %(low)s to %(high)s "
            "(%(worse)s is worse).",
            "%(title)s: %(n)d scores in this period, on a scale of %(low)s to %(high)s "
            "(%(worse)s is worse).",
            len(points),
        ) % {
            "title": title,
            "n": len(points),
            "low": f"{low:g}",
            "high": f"{high:g}",
            "worse": worse,
        }
        desc += " " + _("Latest %(value)s (%(band)s) on %(day)s.") % {
            "value": f"{last.value:g}",
            "band": last.band or _("no band"),
            "day": _short(last.day),
        }
        better = [p for p in points if p.marker == "improved"]
        worse_points = [p for p in points if p.marker == "deteriorated"]
        if better:
            desc += " " + _("Reliable improvement from the first score on %(days)s.") % {
                "days": ", ".join(_short(p.day) for p in better)
            }
        if worse_points:
            desc += " " + _("Reliable deterioration from the first score on %(days)s.") % {
                "days": ", ".join(_short(p.day) for p in worse_points)
            }
    else:
        desc = _("No %(title)s scores in this period.") % {"title": title}
    reliable = {
        "improved": _("Reliable improvement"),
        "deteriorated": _("Reliable deterioration"),
    }
    rows = [
        [
            Cell(_short(p.day), p.url),
            Cell(p.occasion),
            Cell(f"{p.value:g}"),
            Cell(p.band or "—"),
            Cell("—" if p.change is None else f"{p.change:+g}"),
            Cell(reliable.get(p.marker, _("No"))),
        ]
        for p in reversed(points)
    ]
    return Lane(
        id=f"outcome-{instrument_id}",
        title=title,
        desc=desc,
        height=OUTCOME_BOTTOM + AXIS_GAP + 8,
        shapes=shapes,
        css="outcome-chart",
        table=Table(
            _("%(title)s scores, latest first") % {"title": title},
            [
                _("Date"),
                _("Occasion"),
                _("Score"),
                _("Band"),
                _("Change from the first"),
                _("Reliable change"),
            ],
            rows,
            _("No %(title)s scores in this period.") % {"title": title},
        ),
        legend=[
            ("key-dot", _("● score")),
            ("key-better", _("■ reliable improvement from the first score")),
            ("key-worse", _("▲ reliable deterioration from the first score")),
        ],
    )


# --- diary card heat map ---------------------------------------------------------------------


@dataclass(frozen=True)
class DiaryDay:
    day: date
    urges: Mapping[str, int | None]  # by card key: urge_suicide, urge_self_harm, …, urge_quit
    acted: bool | None  # acted on any urge
    skills_code: int | None

    @property
    def highest_urge(self) -> int | None:
        present = [v for v in self.urges.values() if v is not None]
        return max(present) if present else None


# Labels marked for translation, translated where they are shown.
URGE_ROWS = (
    *((u.key, u.short) for u in card_def.URGES),
    (card_def.QUIT.key, gettext_noop("Quit therapy")),
)
ROW_H, HEAT_TOP = 16, 6


def _heat_rows() -> list[tuple[str, str]]:
    return [
        *((key, _(label)) for key, label in URGE_ROWS),
        ("acted", _("Acted on an urge")),
        ("skills", _("Skills code")),
    ]


def _period(cell: Bin) -> str:
    if cell.days == 1:
        return long_day(cell.start)
    return _("%(first)s to %(last)s") % {
        "first": date_format(cell.start, "j M"),
        "last": _short(cell.end),
    }


def _heat_value(day: DiaryDay, key: str) -> float | None:
    """A day's value in heat-map row ``key``: acted is 1 or 0, the others their answer."""
    if key == "acted":
        return None if day.acted is None else float(day.acted)
    value = day.skills_code if key == "skills" else day.urges.get(key)
    return None if value is None else float(value)


def diary_lane(axis: Axis, days: Sequence[DiaryDay], ruptures: Sequence[RupturePoint]) -> Lane:
    rows = _heat_rows()
    bottom = HEAT_TOP + ROW_H * len(rows)
    shapes = _frame(axis, HEAT_TOP, bottom)
    cells = bins(axis.window)
    by_day = {d.day: d for d in days if d.day in axis.window}
    weekly = any(c.days > 1 for c in cells)
    counts = bin_values(cells, dict.fromkeys(by_day, 1.0))
    for index, (key, label) in enumerate(rows):
        top = HEAT_TOP + index * ROW_H
        shapes.append(
            Shape(
                "text", "heat-label", x=_f(axis.left - 6), y=_f(top + 12), text=label, anchor="end"
            )
        )
        values = {d: _heat_value(v, key) for d, v in by_day.items()}
        maximum = {"acted": 1.0, "skills": float(card_def.SKILLS_CODE_MAX)}.get(
            key, float(card_def.URGE_MAX)
        )
        for found in bin_values(cells, values):
            if found.mean is None:
                continue
            level = heat_level(found.mean, maximum)
            x0, x1 = axis.edge(found.bin.start), axis.edge(found.bin.end) + axis.day_width
            if key == "acted":
                acted_days = round(found.mean * found.n)
                what = _("acted on an urge on %(acted)d of %(days)s") % {
                    "acted": acted_days,
                    "days": plural(found.n, "day"),
                }
            elif weekly:
                what = _("%(what)s mean %(mean).1f over %(days)s") % {
                    "what": label.lower(),
                    "mean": found.mean,
                    "days": plural(found.n, "day"),
                }
            else:
                what = f"{label.lower()} {found.mean:g}"
            shapes.append(
                Shape(
                    "rect",
                    f"heat heat-{level}",
                    tip=f"{_period(found.bin)}: {what}",
                    x=_f(x0),
                    y=_f(top + 1),
                    w=_f(max(x1 - x0 - 0.5, 0.5)),
                    h=_f(ROW_H - 2),
                )
            )
    # Each rupture's 7 days before and after, bracketed across the rows.
    for r in ruptures:
        if r.day not in axis.window:
            continue
        first = max(r.day.toordinal() - 7, axis.window.start.toordinal())
        last = min(r.day.toordinal() + 7, axis.window.end.toordinal())
        x0 = axis.edge(date.fromordinal(first))
        x1 = axis.edge(date.fromordinal(last)) + axis.day_width
        shapes.append(
            Shape(
                "rect",
                "rupture-window",
                tip=_("7 days either side of the rupture on %(day)s") % {"day": _short(r.day)},
                x=_f(x0),
                y=_f(HEAT_TOP - 3),
                w=_f(x1 - x0),
                h=_f(bottom - HEAT_TOP + 6),
            )
        )
        x = axis.x(r.day)
        shapes.append(
            Shape(
                "line",
                "rupture-day",
                tip=rupture_tip(r),
                x=_f(x),
                y=_f(HEAT_TOP - 3),
                x2=_f(x),
                y2=_f(bottom + 3),
            )
        )
    filled = len(by_day)
    if filled:
        highest = [d.highest_urge for d in by_day.values()]
        acted = sum(1 for d in by_day.values() if d.acted)
        skills = mean_or_none([d.skills_code for d in by_day.values()])
        peak = max((h for h in highest if h is not None), default=None)
        desc = _(
            "%(cards)s on the %(days)d days of this period, %(cells)s, darker for higher. "
            "Highest urge %(peak)s; acted on an urge on %(acted)s; mean skills code %(skills)s "
            "(0 to 7)."
        ) % {
            "cards": plural(filled, "diary card"),
            "days": axis.window.days,
            "cells": _("a cell a week") if weekly else _("a cell a day"),
            "peak": peak if peak is not None else _("not answered"),
            "acted": plural(acted, "day"),
            "skills": _num(skills),
        }
    else:
        desc = _("No diary cards sent in this period.")
    if ruptures:
        desc += " " + _("A dashed box marks the 7 days either side of each rupture.")
    table_rows = []
    for cell, count in reversed(list(zip(cells, counts, strict=True))):
        if not count.n:
            continue
        inside = [by_day[d] for d in by_day if cell.start <= d <= cell.end]
        row = [Cell(_period(cell)), Cell(str(count.n))]
        for key, _label in URGE_ROWS:
            row.append(Cell(_num(mean_or_none([d.urges.get(key) for d in inside]))))
        row.append(Cell(str(sum(1 for d in inside if d.acted))))
        row.append(Cell(_num(mean_or_none([d.skills_code for d in inside]))))
        table_rows.append(row)
    period = _("Week") if weekly else _("Day")
    return Lane(
        id="diary",
        title=_("Diary card: urges, actions and skills"),
        desc=desc,
        height=bottom + AXIS_GAP + 8,
        shapes=shapes,
        table=Table(
            _("Diary card by week (means of the days filled in), latest first")
            if weekly
            else _("Diary card by day, latest first"),
            [
                period,
                _("Cards"),
                *(_(label) for _k, label in URGE_ROWS),
                _("Days acted on an urge"),
                _("Skills code (0–7)"),
            ],
            table_rows,
            _("No diary cards sent in this period."),
        ),
        legend=[
            (
                "key-heat",
                _("lighter to darker: 0 to 5 for urges, 0 to 7 for skills, no to yes for acted"),
            ),
            ("key-blank", _("no cell: no card that day")),
        ],
    )


# --- sessions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionMark:
    day: date
    number: int
    status: str  # SessionStatus value
    label: str


@dataclass(frozen=True)
class AwayBand:
    """A planned absence of the therapist (alliance.absences), both days included."""

    starts_on: date
    ends_on: date

    @property
    def text(self) -> str:
        if self.starts_on == self.ends_on:
            return _short(self.starts_on)
        return _("%(first)s to %(last)s") % {
            "first": _short(self.starts_on),
            "last": _short(self.ends_on),
        }


SESSION_Y = 22


def _away_shapes(axis: Axis, band: AwayBand, top: float, bottom: float) -> list[Shape]:
    """The band's days inside the window, shaded, with its label."""
    first = max(band.starts_on, axis.window.start)
    last = min(band.ends_on, axis.window.end)
    if first > last:
        return []
    x0, x1 = axis.edge(first), axis.edge(last) + axis.day_width
    tip = _("Therapist away: %(days)s") % {"days": band.text}
    return [
        Shape("rect", "away-band", tip=tip, x=_f(x0), y=_f(top), w=_f(x1 - x0), h=_f(bottom - top)),
        Shape("text", "away-label", x=_f(x0 + 2), y=_f(top + 9), text=_("away")),
    ]


def sessions_lane(
    axis: Axis, sessions: Sequence[SessionMark], away: Sequence[AwayBand] = ()
) -> Lane:
    """Each past session's mark, over shaded bands for the therapist's planned absences."""
    bottom = SESSION_Y + 16
    shapes = _frame(axis, 4, bottom)
    for band in away:
        shapes += _away_shapes(axis, band, 4, bottom)
    shapes.append(Shape("text", "lane-label", x="4", y=_f(SESSION_Y + 4), text=_("Sessions")))
    for s in sessions:
        x, y = axis.x(s.day), SESSION_Y
        tip = _("Session %(number)s, %(day)s: %(what)s") % {
            "number": s.number,
            "day": _short(s.day),
            "what": s.label.lower(),
        }
        if s.status == "attended":
            shapes.append(Shape("circle", "session-attended", tip=tip, x=_f(x), y=_f(y), r="4"))
        elif s.status == "missed":
            shapes.append(Shape("path", "session-missed", tip=tip, d=_cross(x, y)))
        elif s.status == "cancelled_client":
            shapes.append(Shape("circle", "session-cancelled", tip=tip, x=_f(x), y=_f(y), r="5"))
        elif s.status == "cancelled_therapist":
            shapes.append(
                Shape(
                    "rect", "session-cancelled", tip=tip, x=_f(x - 5), y=_f(y - 5), w="10", h="10"
                )
            )
        else:
            shapes.append(Shape("path", "session-unmarked", tip=tip, d=_diamond(x, y, 5)))
    total = len(sessions)
    if total:
        by_status: dict[str, int] = {}
        for s in sessions:
            by_status[s.label.lower()] = by_status.get(s.label.lower(), 0) + 1
        desc = ngettext(
            "%(n)d session in this period: %(parts)s.",
            "%(n)d sessions in this period: %(parts)s.",
            total,
        ) % {"n": total, "parts": ", ".join(f"{n} {label}" for label, n in by_status.items())}
    else:
        desc = _("No sessions in this period.")
    if away:
        desc += " " + _("Therapist away (shaded): %(bands)s.") % {
            "bands": "; ".join(band.text for band in away)
        }
    dated: list[tuple[date, int, list[Cell]]] = [
        (s.day, 1, [Cell(_short(s.day)), Cell(str(s.number)), Cell(s.label)]) for s in sessions
    ]
    dated += [
        (band.starts_on, 0, [Cell(band.text), Cell("—"), Cell(_("Therapist away (planned)"))])
        for band in away
    ]
    rows = [row for _day, _order, row in sorted(dated, key=lambda d: (d[0], d[1]), reverse=True)]
    legend = [
        ("key-attended", _("● attended")),
        ("key-missed", _("✕ missed")),
        ("key-cancelled", _("○ cancelled by the client, □ by the therapist")),
        ("key-unmarked", _("◇ not marked yet")),
    ]
    if away:
        legend.append(("key-away", _("shaded band marked “away”: the therapist away")))
    return Lane(
        id="sessions",
        title=_("Sessions: attended, missed and cancelled"),
        desc=desc,
        height=bottom + AXIS_GAP + 8,
        shapes=shapes,
        table=Table(
            _("Sessions and the therapist's absences, latest first"),
            [_("Date"), _("Session"), _("What happened")],
            rows,
            _("No sessions in this period."),
        ),
        legend=legend,
    )
