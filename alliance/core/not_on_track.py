"""Not on track: is a client's outcome score falling behind what their start leads us to expect?

Routine outcome monitoring systems compare each client's score with an *expected recovery
curve* for clients who started at the same severity, and signal when the client falls outside a
tolerance band around it: the OQ-Analyst (Lambert and colleagues) does this, and a comparable
youth system caught 71 % of later treatment failures (Warren et al. 2009); PCOMS uses expected
treatment response curves (CLINICAL.md §6). This module implements that idea with a rule of our
own that is documented, configurable and evaluated (``benchmarks/not_on_track.py``,
``docs/not-on-track.md``).

**The default curves and their parameters below are our assumptions, in the published style
(Finch, Lambert & Schaalje 2001), until a clinic's own data replace them. They are not the
published OQ-Analyst or PCOMS curves, which are proprietary.**

The rule
--------
Let the first measurement be the intake, score :math:`I` at session :math:`s_0`, and let its
severity band (:func:`alliance.core.outcomes.severity_band`) choose a curve with parameters
*p* (the share of the way from intake to the best possible score :math:`B` that clients are
expected to cover in the long run), *k* (how fast, per session), :math:`\\sigma` (the
session-to-session spread of scores) and :math:`\\tau` (how much clients differ in *p*). At
session :math:`s`, with :math:`t = s - s_0`:

.. math::

    E(t) = I + p\\,(B - I)\\,\\bigl(1 - e^{-k t}\\bigr), \\qquad
    s(t) = \\sqrt{\\sigma^2 + \\bigl(\\tau\\,|B - I|\\,(1 - e^{-k t})\\bigr)^2}

a log-linear (negatively accelerated) curve: the expected score moves quickly at first and
levels off at :math:`I + p(B - I)`, and the band widens as clients who improve part from those
who do not. For a lower-is-better score the tolerance band's edge is :math:`E(t) + z\\,s(t)`
and a score *above* it is outside; for a higher-is-better score the edge is
:math:`E(t) - z\\,s(t)` and a score *below* it is outside. A score exactly on the edge is inside.

The client is **not on track** at the first measurement after intake where either

1. the score has been outside the band for ``consecutive`` measurements in a row (default 1:
   the first score worse than the band), or
2. the score is reliably worse than the intake: :math:`RCI = (x - I)/S_{diff}` in the worse
   direction exceeds ``rci_z`` (1.96; Jacobson & Truax 1991), using the definition's SD and
   reliability.

The curves come from :data:`DEFAULT_CURVES` until a clinic has enough completed treatments in an
intake band; then :mod:`alliance.core.recovery` estimates that band's curve from them.

A signal uses only measurements up to the session it fires at, so it never changes when later
measurements arrive: :func:`assess` on a longer series returns the same signal. Nothing here
imports Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from alliance.core.change import DEFAULT_Z, s_diff
from alliance.core.outcomes import OutcomeDefinition, score_range, severity_band

__all__ = [
    "ANY_BAND",
    "DEFAULT_CURVES",
    "Curve",
    "NotOnTrack",
    "NotOnTrackKind",
    "NotOnTrackSettings",
    "assess",
    "default_settings",
    "expected_score",
    "score_spread",
]

# The key of the curve used for an intake band without a curve of its own (or no bands).
ANY_BAND: Final = "*"


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number, got {value!r}")
    return float(value)


def _check_positive(name: str, value: object) -> None:
    if _check_number(name, value) <= 0:
        raise ValueError(f"{name}: must be greater than 0, got {value!r}")


@dataclass(frozen=True)
class Curve:
    """An expected recovery curve for one intake band.

    Attributes
    ----------
    improvement : float
        *p*, from 0 (no change expected) to 1 (all the way to the best possible score): the
        share of the distance from intake to the best possible score expected in the long run.
    rate : float
        *k* > 0 per session: after :math:`t` sessions the share :math:`1 - e^{-kt}` of that
        expected change is reached (e.g. :math:`k = \\ln 2` halves the rest each session).
    residual_sd : float
        :math:`\\sigma` > 0, in score points: how far a client's scores spread around the curve
        from session to session (measurement error and ordinary ups and downs).
    improvement_sd : float, default 0
        :math:`\\tau` >= 0: how much clients differ in the share *p* they go on to cover. The
        spread of scores at :math:`t` sessions is then
        :math:`\\sqrt{\\sigma^2 + (\\tau\\,|B - I|\\,(1 - e^{-kt}))^2}`, so the band widens as
        clients who improve part from those who do not; 0 keeps it the same width throughout.
    """

    improvement: float
    rate: float
    residual_sd: float
    improvement_sd: float = 0.0

    def __post_init__(self) -> None:
        _check_number("improvement", self.improvement)
        if not 0.0 <= self.improvement <= 1.0:
            raise ValueError(f"improvement: must be from 0 to 1, got {self.improvement!r}")
        _check_positive("rate", self.rate)
        _check_positive("residual_sd", self.residual_sd)
        if _check_number("improvement_sd", self.improvement_sd) < 0:
            raise ValueError(f"improvement_sd: must be 0 or more, got {self.improvement_sd!r}")


@dataclass(frozen=True)
class NotOnTrackSettings:
    """Settings of the not-on-track rule.

    Attributes
    ----------
    curves : Mapping[str, Curve]
        By intake band label; :data:`ANY_BAND` (``"*"``) for any band without its own curve.
    z : float, default 1.8
        Width of the tolerance band in spreads (:func:`score_spread`), one-sided.
    consecutive : int, default 1
        Measurements in a row outside the band that raise the signal.
    rci_z : float or None, default 1.96
        Reliable deterioration from intake raises the signal at once; None turns that off.
    """

    # Left out of the hash, as a mapping has none; the settings still compare by value.
    curves: Mapping[str, Curve] = field(hash=False)
    z: float = 1.8
    consecutive: int = 1
    rci_z: float | None = DEFAULT_Z

    def __post_init__(self) -> None:
        if not isinstance(self.curves, Mapping) or not self.curves:
            raise ValueError("curves: expected a non-empty mapping of band label to Curve")
        for label, curve in self.curves.items():
            if not isinstance(curve, Curve):
                raise ValueError(f"curves[{label!r}]: expected a Curve, got {curve!r}")
        # A private read-only copy: a caller changing its dict later cannot change the rule.
        object.__setattr__(self, "curves", MappingProxyType(dict(self.curves)))
        _check_positive("z", self.z)
        if isinstance(self.consecutive, bool) or not isinstance(self.consecutive, int):
            raise ValueError(f"consecutive: must be an integer, got {self.consecutive!r}")
        if self.consecutive < 1:
            raise ValueError(f"consecutive: must be at least 1, got {self.consecutive}")
        if self.rci_z is not None:
            _check_positive("rci_z", self.rci_z)

    def curve_for(self, band: str | None) -> Curve:
        """The curve for an intake band; ValueError if neither it nor ``"*"`` has one."""
        if band is not None and band in self.curves:
            return self.curves[band]
        if ANY_BAND in self.curves:
            return self.curves[ANY_BAND]
        raise ValueError(
            f"no curve for the intake band {band!r} and no {ANY_BAND!r} curve; "
            f"curves given for: {', '.join(self.curves)}"
        )


# Assumed, published-style, to be replaced by the clinic's own curves (alliance.core.recovery,
# docs/not-on-track.md): clients starting in the lowest band are not expected to change; the
# more severe the start, the larger the share of the way to the best score. Half of the long-run
# change by about session 2.3 (k = 0.3). σ 2.5 PHQ-9 points is a little above the PHQ-9's
# standard error of measurement (5·√(1 − .84) = 2.0); τ 0.4 lets clients differ widely in how
# far they improve. GAD-7 σ is 0.8 of the PHQ-9's, as the norm SDs are.
def _band_curves(residual_sd: float, *bands: tuple[str, float]) -> Mapping[str, Curve]:
    return MappingProxyType(
        {
            label: Curve(improvement=p, rate=0.3, residual_sd=residual_sd, improvement_sd=0.4)
            for label, p in bands
        }
    )


DEFAULT_CURVES: Final[Mapping[str, Mapping[str, Curve]]] = MappingProxyType(
    {
        "phq9": _band_curves(
            2.5,
            ("minimal", 0.0),
            ("mild", 0.3),
            ("moderate", 0.4),
            ("moderately severe", 0.45),
            ("severe", 0.5),
        ),
        "gad7": _band_curves(
            2.0, ("minimal", 0.0), ("mild", 0.3), ("moderate", 0.4), ("severe", 0.5)
        ),
    }
)


def default_settings(defn: OutcomeDefinition) -> NotOnTrackSettings:
    """Our assumed default settings for a built-in instrument (PHQ-9, GAD-7).

    Raises
    ------
    ValueError
        For any other instrument: its curves must be given, since nothing is known about them.
    """
    if defn.id not in DEFAULT_CURVES:
        raise ValueError(
            f"no default expected-recovery curves for {defn.id!r}; give NotOnTrackSettings "
            f"with curves for its bands"
        )
    return NotOnTrackSettings(curves=DEFAULT_CURVES[defn.id])


class NotOnTrackKind(StrEnum):
    """Which part of the rule fired."""

    OUTSIDE_BAND = "outside_band"
    RELIABLE_DETERIORATION = "reliable_deterioration"


@dataclass(frozen=True)
class NotOnTrack:
    """A not-on-track signal, at the first session where the rule fired.

    ``expected`` and ``bound`` are the curve and the band's edge at that session; ``outside``
    counts the measurements in a row outside the band up to it; ``rci`` is the reliable change
    index from intake (positive = worse), None when the rule runs without it.
    """

    kind: NotOnTrackKind
    session: int
    score: float
    intake_session: int
    intake: float
    intake_band: str | None
    expected: float
    bound: float
    outside: int
    rci: float | None
    reason: str


def expected_score(defn: OutcomeDefinition, intake: float, sessions: float, curve: Curve) -> float:
    """Expected score ``sessions`` after an intake score of ``intake``.

    .. math:: E(t) = I + p\\,(B - I)\\,(1 - e^{-k t})

    with *B* the best possible score (the lowest for a lower-is-better score, else the highest).

    Examples
    --------
    PHQ-9 intake 20, p = 0.5, k = ln 2: the curve levels off at 10; after 1 session
    20 − 10 · (1 − 1/2) = 15, after 2 sessions 20 − 10 · (1 − 1/4) = 12.5.
    """
    low, high = score_range(defn)
    best = high if defn.higher_is_better else low
    return intake + curve.improvement * (best - intake) * (1.0 - math.exp(-curve.rate * sessions))


def score_spread(defn: OutcomeDefinition, intake: float, sessions: float, curve: Curve) -> float:
    """How far scores spread around the curve ``sessions`` after an intake of ``intake``.

    .. math:: s(t) = \\sqrt{\\sigma^2 + \\bigl(\\tau\\,|B - I|\\,(1 - e^{-k t})\\bigr)^2}

    If each client covers their own share :math:`p_i` of the way, with SD :math:`\\tau`, their
    expected scores at :math:`t` differ by :math:`\\tau|B - I|(1 - e^{-kt})`; add the
    session-to-session spread :math:`\\sigma`. With :math:`\\tau = 0` it is :math:`\\sigma`.

    Examples
    --------
    PHQ-9 intake 20, σ = 3, τ = 0.4, k = ln 2: after 1 session 20 · 0.4 · 1/2 = 4, and
    √(3² + 4²) = 5.
    """
    low, high = score_range(defn)
    best = high if defn.higher_is_better else low
    share = 1.0 - math.exp(-curve.rate * sessions)
    return math.hypot(curve.residual_sd, curve.improvement_sd * abs(best - intake) * share)


def assess(
    defn: OutcomeDefinition,
    series: Sequence[tuple[int, float]],
    settings: NotOnTrackSettings | None = None,
) -> NotOnTrack | None:
    """Whether, and from which session, a client is not on track.

    Parameters
    ----------
    defn : OutcomeDefinition
        The outcome measure; its bands choose the curve, its SD and reliability give the RCI.
    series : sequence of (session, score)
        The client's composite scores in session order, the first being the intake. Sessions
        are whole numbers, strictly increasing; scores lie within the possible range.
    settings : NotOnTrackSettings, optional
        Default: :func:`default_settings` for the instrument.

    Returns
    -------
    NotOnTrack or None
        The first signal, or None while the client is on track (or only the intake exists).

    Raises
    ------
    ValueError
        For a malformed series, or reliable deterioration switched on for a definition without
        reliability or SD.
    """
    settings = settings if settings is not None else default_settings(defn)
    _check_series(defn, series)
    if not series:
        return None
    intake_session, intake = series[0]
    band = severity_band(defn, intake)
    curve = settings.curve_for(band)
    higher = defn.higher_is_better
    s_difference: float | None = None
    if settings.rci_z is not None:
        if defn.reliability is None or defn.sd is None:
            raise ValueError(
                f"instrument {defn.id!r} has no reliability or SD for reliable deterioration; "
                "give them in its definition or set rci_z=None"
            )
        s_difference = s_diff(defn.sd, defn.reliability)

    outside = 0
    for session, value in series[1:]:
        t = session - intake_session
        expected = expected_score(defn, intake, t, curve)
        margin = settings.z * score_spread(defn, intake, t, curve)
        bound = expected - margin if higher else expected + margin
        is_outside = value < bound if higher else value > bound
        outside = outside + 1 if is_outside else 0
        rci: float | None = None
        if s_difference is not None:
            # Positive when worse, whichever way the score runs.
            rci = (intake - value if higher else value - intake) / s_difference
        kind: NotOnTrackKind | None = None
        if rci is not None and settings.rci_z is not None and rci > settings.rci_z:
            kind = NotOnTrackKind.RELIABLE_DETERIORATION
            reason = (
                f"At session {session} the score of {_num(value)} is reliably worse than the "
                f"intake score of {_num(intake)} at session {intake_session} "
                f"(RCI {rci:.2f}, above {settings.rci_z:.2f})."
            )
        elif outside >= settings.consecutive:
            kind = NotOnTrackKind.OUTSIDE_BAND
            in_a_row = "" if outside == 1 else f", the {_ordinal(outside)} score in a row outside"
            reason = (
                f"At session {session} the score of {_num(value)} is "
                f"{'below' if higher else 'above'} the expected range for clients starting "
                f"{_band_phrase(band)}: expected {expected:.1f}, "
                f"{'lower' if higher else 'upper'} edge {bound:.1f}{in_a_row}."
            )
        if kind is not None:
            return NotOnTrack(
                kind=kind,
                session=session,
                score=float(value),
                intake_session=intake_session,
                intake=float(intake),
                intake_band=band,
                expected=expected,
                bound=bound,
                outside=outside,
                rci=rci,
                reason=reason,
            )
    return None


def _band_phrase(band: str | None) -> str:
    return "at this score" if band is None else f"in the {band} band"


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _check_series(defn: OutcomeDefinition, series: Sequence[tuple[int, float]]) -> None:
    low, high = score_range(defn)
    previous: int | None = None
    for position, entry in enumerate(series):
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise ValueError(f"series[{position}]: expected a (session, score) pair, got {entry!r}")
        session, value = entry
        if isinstance(session, bool) or not isinstance(session, int):
            raise ValueError(f"series[{position}]: session must be an integer, got {session!r}")
        if previous is not None and session <= previous:
            raise ValueError(
                f"series[{position}]: sessions must increase, got {session} after {previous}"
            )
        previous = session
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise ValueError(
                f"series[{position}] (session {session}): score must be a number from "
                f"{_num(low)} to {_num(high)}, got {value!r}"
            )
