"""Dropout risk: a documented points rule over a client's attendance, alliance and ruptures.

Most dropout from BPD treatment happens in the first quarter of treatment (Arntz et al. 2022,
111 studies, N = 9,100), the therapeutic relationship predicts dropout (Barnicot et al. 2011),
and confrontation rupture markers (d = .74) and unsuccessful resolution predicted dropout
(Eubanks et al. 2019; CLINICAL.md §1 and §3). This module turns those findings into a rule of
our own. **The points, windows and thresholds are our choices: the rule is evaluated on the
synthetic clinic only (``benchmarks/dropout.py``, ``docs/signals.md``) and is not validated on
real data.** It is a reason for the therapist to look, never a prediction about a person.

The rule
--------
At the moment ``now``, with the defaults of :class:`DropoutSettings`:

=====================================================  =========================================
what                                                   points
=====================================================  =========================================
each session missed in the last 8 weeks                1
each session the client cancelled late (recorded       1
less than 24 h before its start, or after it) in the
last 8 weeks, counted from when it was recorded
low alliance: mean of the last 3 check-ins < 4.0       1
(at least 2 check-ins; 4.0 is the middle of the 1–7
check-in scale, ``alliance.core.checkin``)
falling alliance: least-squares slope over the last    1
4 check-ins ≤ −0.25 points per check-in
each unresolved rupture of the confrontation kind      2
(or "both") raised in the last 42 days
each other unresolved rupture (withdrawal, unclear,    0.5
or its kind not recorded yet) in the last 42 days
=====================================================  =========================================

In the first quarter of a 52-week course (fewer than 91 days since the start of treatment) the
total is multiplied by 1.5. The client is at risk at a total of 3 or more, at high risk at 5 or
more. Every part that counted is returned as a :class:`Reason` (its kind, its points and the
numbers behind it), which the app words in plain language (``alliance.ruptures.wording``).

Edges: a window "in the last *n* days" includes a moment exactly *n* days ago; "below 4.0" is
strict; a slope of exactly −0.25 counts; exactly 91 days is no longer the first quarter.

A separate, gentler rule, :func:`quiet_since`, says when a client has not been heard from (no
check-in, diary card or sign-in) for ``quiet_days`` (21) days.

Examples
--------
>>> from datetime import UTC, datetime, timedelta
>>> now = datetime(2026, 6, 1, 12, tzinfo=UTC)
>>> missed = [SessionFact(now - timedelta(weeks=w), "missed") for w in (1, 2)]
>>> risk = assess(sessions=missed, alliance=[4.0, 3.0, 3.0], ruptures=[],
...               started_at=now - timedelta(weeks=30), now=now)
>>> risk.score, risk.level, [r.kind for r in risk.reasons]
(3.0, 'alert', ['missed', 'low_alliance'])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, Final

from alliance.core.checkin import ALLIANCE_MAX, ALLIANCE_MIN

__all__ = [
    "CANCELLED_CLIENT",
    "CONFRONTATION_TYPES",
    "LEVEL_ALERT",
    "LEVEL_HIGH",
    "LEVEL_NONE",
    "MISSED",
    "DropoutRisk",
    "DropoutSettings",
    "Reason",
    "RuptureFact",
    "SessionFact",
    "assess",
    "quiet_since",
    "slope",
]

MISSED: Final = "missed"
CANCELLED_CLIENT: Final = "cancelled_client"
# The therapist's record of the rupture's kind (alliance.core.taxonomy.RUPTURE_TYPES).
CONFRONTATION_TYPES: Final = frozenset({"confrontation", "both"})

LEVEL_NONE: Final = "none"
LEVEL_ALERT: Final = "alert"
LEVEL_HIGH: Final = "high"

# Float sums of halves and thirds: a slope or score this close to a threshold is on it.
_EPS: Final = 1e-9


@dataclass(frozen=True)
class DropoutSettings:
    """Every number of the rule; a clinic may override any of them (:meth:`from_mapping`).

    Attributes
    ----------
    missed_weeks : int, default 8
        Missed and late-cancelled sessions count when scheduled in this many last weeks.
    late_cancel_hours : float, default 24
        A client's cancellation recorded less than this many hours before the session's start
        (or after it) is late.
    low_window, low_min : int, default 3 and 2
        Low alliance: the mean of up to ``low_window`` latest check-ins, needing ``low_min``.
    low_threshold : float, default 4.0
        Low alliance when that mean is below this (the middle of the 1–7 scale).
    slope_window : int, default 4
        Falling alliance: the least-squares slope over this many latest check-ins (at least 2).
    slope_threshold : float, default -0.25
        Falling alliance at or below this slope, in points per check-in.
    rupture_days : int, default 42
        Unresolved ruptures count when raised in this many last days.
    confrontation_points, other_rupture_points : float, default 2.0 and 0.5
        Points per unresolved rupture of the confrontation kind, and of any other kind.
    course_weeks : int, default 52
        The course of treatment the first quarter is a quarter of.
    early_factor : float, default 1.5
        The total is multiplied by this in the first quarter.
    alert_at, high_at : float, default 3 and 5
        The total at which the client is at risk, and at high risk.
    quiet_days : int, default 21
        "Not heard from in a while" after this many days without a check-in, diary card or
        sign-in.
    reopen_days : int, default 28
        After the therapist closes a dropout-risk alert, the rule opens no new one at the same
        or a lower level for this many days.
    """

    missed_weeks: int = 8
    late_cancel_hours: float = 24.0
    low_window: int = 3
    low_min: int = 2
    low_threshold: float = 4.0
    slope_window: int = 4
    slope_threshold: float = -0.25
    rupture_days: int = 42
    confrontation_points: float = 2.0
    other_rupture_points: float = 0.5
    course_weeks: int = 52
    early_factor: float = 1.5
    alert_at: float = 3.0
    high_at: float = 5.0
    quiet_days: int = 21
    reopen_days: int = 28

    def __post_init__(self) -> None:
        for name in (
            "missed_weeks",
            "low_window",
            "low_min",
            "rupture_days",
            "course_weeks",
            "quiet_days",
        ):
            _check_int(name, getattr(self, name), 1)
        _check_int("slope_window", self.slope_window, 2)
        _check_int("reopen_days", self.reopen_days, 0)
        if self.low_min > self.low_window:
            raise ValueError(
                f"low_min: must not exceed low_window ({self.low_window}), got {self.low_min}"
            )
        for name in ("late_cancel_hours", "confrontation_points", "other_rupture_points"):
            if _number(name, getattr(self, name)) < 0:
                raise ValueError(f"{name}: must be at least 0, got {getattr(self, name)!r}")
        threshold = _number("low_threshold", self.low_threshold)
        if not ALLIANCE_MIN <= threshold <= ALLIANCE_MAX:
            raise ValueError(f"low_threshold: must be between 1 and 7, got {threshold!r}")
        if _number("slope_threshold", self.slope_threshold) >= 0:
            raise ValueError(
                f"slope_threshold: must be below 0 (a fall), got {self.slope_threshold!r}"
            )
        if _number("early_factor", self.early_factor) < 1:
            raise ValueError(f"early_factor: must be at least 1, got {self.early_factor!r}")
        if _number("alert_at", self.alert_at) <= 0:
            raise ValueError(f"alert_at: must be greater than 0, got {self.alert_at!r}")
        if _number("high_at", self.high_at) < self.alert_at:
            raise ValueError(
                f"high_at: must be at least alert_at ({self.alert_at}), got {self.high_at!r}"
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> DropoutSettings:
        """Settings from a clinic's overrides (parsed JSON); unknown names raise ``ValueError``."""
        if not isinstance(data, Mapping):
            raise ValueError(f"settings must be a mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(name) for name in data if name not in known)
        if unknown:
            names = ", ".join(repr(name) for name in unknown)
            raise ValueError(f"unknown setting(s): {names}; known: {', '.join(sorted(known))}")
        return cls(**{str(k): v for k, v in data.items()})  # type: ignore[arg-type]


def _check_int(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{name}: must be at least {low}, got {value}")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class SessionFact:
    """One session: when it was booked for, what happened, and when that was recorded."""

    scheduled_at: datetime
    status: str
    status_changed_at: datetime | None = None


@dataclass(frozen=True)
class RuptureFact:
    """A rupture still unresolved: when it was raised, and the kind the therapist recorded
    (``"confrontation"``, ``"withdrawal"``, ``"both"``, ``"unclear"``, or ``""`` if none yet)."""

    raised_at: datetime
    rupture_type: str = ""


@dataclass(frozen=True)
class Reason:
    """One part of the rule that counted: its kind, its points, and the numbers behind it.

    Kinds: ``missed``, ``late_cancelled``, ``low_alliance``, ``falling_alliance``,
    ``unresolved_confrontation``, ``unresolved_rupture`` and ``first_quarter`` (whose points are
    what the multiplier added).
    """

    kind: str
    points: float
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DropoutRisk:
    score: float
    level: str  # LEVEL_NONE, LEVEL_ALERT or LEVEL_HIGH
    reasons: tuple[Reason, ...]
    settings: DropoutSettings

    @property
    def raised(self) -> bool:
        return self.level != LEVEL_NONE


def slope(values: Sequence[float]) -> float:
    """Ordinary least-squares slope of ``values`` against 0, 1, 2, …

    ``b = Σ (x − x̄)(y − ȳ) / Σ (x − x̄)²``. For 5.0, 4.75, 4.5, 4.25: −1.25 / 5 = −0.25.
    """
    n = len(values)
    if n < 2:
        raise ValueError(f"a slope needs at least 2 values, got {n}")
    x_mean = (n - 1) / 2
    y_mean = math.fsum(values) / n
    num = math.fsum((x - x_mean) * (y - y_mean) for x, y in enumerate(values))
    den = math.fsum((x - x_mean) ** 2 for x in range(n))
    return num / den


def _aware(name: str, value: datetime) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _within(then: datetime, now: datetime, span: timedelta) -> bool:
    return then <= now and now - then <= span


def assess(
    *,
    sessions: Iterable[SessionFact],
    alliance: Sequence[float],
    ruptures: Iterable[RuptureFact],
    started_at: datetime,
    now: datetime,
    settings: DropoutSettings | None = None,
) -> DropoutRisk:
    """The rule at ``now`` (see the module docstring).

    Parameters
    ----------
    sessions
        The episode's sessions, any order; only missed and client-cancelled ones in the window
        count. A missed session counts once its time has come; a late cancellation from when
        it was recorded (``status_changed_at``), which may be shortly before the session.
    alliance
        Check-in alliance scores (1–7) in session order, only those submitted by ``now``.
    ruptures
        Ruptures still unresolved at ``now`` (the caller knows which are).
    started_at
        The start of treatment.

    Raises
    ------
    ValueError
        On a naive datetime or an alliance score outside 1–7.
    """
    s = settings or DropoutSettings()
    _aware("now", now)
    _aware("started_at", started_at)
    for value in alliance:
        if not (isinstance(value, int | float) and ALLIANCE_MIN <= value <= ALLIANCE_MAX):
            raise ValueError(f"alliance scores must be within 1-7, got {value!r}")

    reasons: list[Reason] = []
    window = timedelta(weeks=s.missed_weeks)
    missed = late = 0
    for fact in sessions:
        _aware("scheduled_at", fact.scheduled_at)
        if fact.status == MISSED and _within(fact.scheduled_at, now, window):
            missed += 1
        elif fact.status == CANCELLED_CLIENT:
            recorded = fact.status_changed_at
            # A late cancellation counts from when it was recorded, even before the session.
            when = fact.scheduled_at if recorded is None else min(recorded, fact.scheduled_at)
            notice = fact.scheduled_at - when
            if _within(when, now, window) and notice < timedelta(hours=s.late_cancel_hours):
                late += 1
    if missed:
        reasons.append(Reason("missed", float(missed), {"count": missed, "weeks": s.missed_weeks}))
    if late:
        reasons.append(
            Reason(
                "late_cancelled",
                float(late),
                {"count": late, "weeks": s.missed_weeks, "hours": s.late_cancel_hours},
            )
        )

    recent = list(alliance[-s.low_window :])
    if len(recent) >= s.low_min:
        mean = math.fsum(recent) / len(recent)
        if mean < s.low_threshold - _EPS:
            reasons.append(
                Reason(
                    "low_alliance",
                    1.0,
                    {"mean": round(mean, 2), "n": len(recent), "threshold": s.low_threshold},
                )
            )
    if len(alliance) >= s.slope_window:
        last = list(alliance[-s.slope_window :])
        b = slope(last)
        if b <= s.slope_threshold + _EPS:
            reasons.append(
                Reason(
                    "falling_alliance",
                    1.0,
                    {
                        "slope": round(b, 3),
                        "n": len(last),
                        "first": round(last[0], 2),
                        "last": round(last[-1], 2),
                        "threshold": s.slope_threshold,
                    },
                )
            )

    rupture_window = timedelta(days=s.rupture_days)
    confrontation = other = 0
    for rupture in ruptures:
        _aware("raised_at", rupture.raised_at)
        if not _within(rupture.raised_at, now, rupture_window):
            continue
        if rupture.rupture_type in CONFRONTATION_TYPES:
            confrontation += 1
        else:
            other += 1
    if confrontation:
        reasons.append(
            Reason(
                "unresolved_confrontation",
                confrontation * s.confrontation_points,
                {"count": confrontation, "days": s.rupture_days},
            )
        )
    if other and s.other_rupture_points:
        reasons.append(
            Reason(
                "unresolved_rupture",
                other * s.other_rupture_points,
                {"count": other, "days": s.rupture_days},
            )
        )

    total = math.fsum(r.points for r in reasons)
    days_in = (now - started_at).days
    quarter_days = s.course_weeks * 7 / 4
    if reasons and 0 <= days_in < quarter_days and s.early_factor > 1:
        extra = total * (s.early_factor - 1)
        reasons.append(
            Reason(
                "first_quarter",
                extra,
                {
                    "week": days_in // 7 + 1,
                    "course_weeks": s.course_weeks,
                    "factor": s.early_factor,
                    "before": total,
                },
            )
        )
        total += extra

    if total >= s.high_at - _EPS:
        level = LEVEL_HIGH
    elif total >= s.alert_at - _EPS:
        level = LEVEL_ALERT
    else:
        level = LEVEL_NONE
    return DropoutRisk(score=round(total, 6), level=level, reasons=tuple(reasons), settings=s)


def quiet_since(
    *, contacts: Iterable[datetime | None], started_at: datetime, now: datetime, days: int
) -> datetime | None:
    """When the client was last heard from, if that was ``days`` or more days ago, else None.

    ``contacts`` are the latest check-in, diary card and sign-in (None for one never made).
    A client never heard from counts from ``started_at``, so someone new is not listed at once.
    """
    _aware("now", now)
    latest = max((c for c in contacts if c is not None), default=None)
    since = started_at if latest is None or latest < started_at else latest
    return since if now - since >= timedelta(days=days) else None
