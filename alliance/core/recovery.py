"""Expected-recovery curves estimated from a clinic's own completed treatments.

The not-on-track rule (:mod:`alliance.core.not_on_track`) compares each client with the curve of
their intake band. Until a clinic has enough completed treatments in a band, that band uses our
published-style default (:data:`alliance.core.not_on_track.DEFAULT_CURVES`); from
:data:`MIN_CLIENTS` clients on, its curve is estimated from those clients, the way the
OQ-Analyst's curves were built from the courses of earlier clients who started at the same
severity (Finch, Lambert & Schaalje 2001), with our own simpler model.

The model
---------
For a client with intake score :math:`I`, best possible score :math:`B`, distance
:math:`d = B - I` and :math:`g(t) = 1 - e^{-kt}`, the score :math:`t` sessions after intake is

.. math:: x = I + p\\,d\\,g(t) + r, \\qquad \\operatorname{Var}(r) = \\sigma^2 + \\tau^2 d^2 g(t)^2

For each rate *k* on a grid (:data:`RATE_GRID`) the share *p* has a closed form, the
least-squares slope of :math:`x - I` on :math:`d\\,g(t)` through the origin (clipped to 0-1); the
*k* with the smallest residual sum of squares wins. :math:`\\sigma^2` and :math:`\\tau^2` are then
the least-squares intercept and slope of the squared residuals on :math:`d^2 g(t)^2` (a
method-of-moments fit, each kept at or above its floor). Clients whose intake is already the best
score (:math:`d = 0`) say nothing about the curve and are left out. Nothing here imports Django.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from alliance.core.not_on_track import (
    Curve,
    NotOnTrackSettings,
    default_settings,
)
from alliance.core.outcomes import OutcomeDefinition, score_range, severity_band

__all__ = [
    "MIN_CLIENTS",
    "MIN_LATER_SCORES",
    "RATE_GRID",
    "BandCurve",
    "ClinicCurves",
    "clinic_curves",
    "estimate_curve",
]

# A band's curve is estimated once this many completed treatments in it have an intake and at
# least MIN_LATER_SCORES later scores. Our choice: with fewer, the spread (and so the band's
# edge) is too uncertain; at 30 clients an SD is known to within about ±13 % (1/√(2n)).
MIN_CLIENTS: Final = 30
MIN_LATER_SCORES: Final = 3
# Rates per session from 0.05 (a tenth of the change in 2 sessions) to 1.5 (most of it at once).
RATE_GRID: Final = tuple(round(0.05 * step, 2) for step in range(1, 31))
# Floors: no curve is trusted to be tighter than half a score point from session to session.
_MIN_RESIDUAL_SD: Final = 0.5

Series = Sequence[tuple[int, float]]


@dataclass(frozen=True)
class BandCurve:
    """The curve one intake band uses, and where it came from.

    ``clients`` counts the completed treatments in the band with enough scores;
    ``estimated`` is True when the curve was fitted to them, False for the default.
    """

    band: str
    curve: Curve
    clients: int
    estimated: bool


@dataclass(frozen=True)
class ClinicCurves:
    """Per-band curves for one instrument, and the rule's settings built from them."""

    bands: tuple[BandCurve, ...]
    settings: NotOnTrackSettings

    @property
    def estimated_bands(self) -> tuple[str, ...]:
        return tuple(b.band for b in self.bands if b.estimated)


def estimate_curve(defn: OutcomeDefinition, histories: Sequence[Series]) -> Curve:
    """Fit one expected-recovery curve to clients who started in the same band.

    Parameters
    ----------
    defn : OutcomeDefinition
        The instrument: its range gives the best score :math:`B`.
    histories : sequence of series
        Each client's (session, score) pairs, the first being the intake.

    Raises
    ------
    ValueError
        When no client has a later score and room to improve.

    Examples
    --------
    Two PHQ-9 clients from 20 who go to 15 then 12.5, and to 25 then 27.5 (deviations of ±10
    share): p = 0, so the curve is flat; k is the grid's first rate.
    """
    low, high = score_range(defn)
    best = high if defn.higher_is_better else low
    points: list[tuple[float, float, float]] = []  # (t, d, x − I)
    for series in histories:
        if len(series) < 2:
            continue
        intake_session, intake = series[0]
        distance = best - intake
        if distance == 0:
            continue
        points.extend(
            (float(session - intake_session), distance, value - intake)
            for session, value in series[1:]
        )
    if not points:
        raise ValueError("no client with a later score and room to improve: nothing to fit")

    fit: tuple[float, float, float] | None = None  # (rss, p, k)
    for rate in RATE_GRID:
        sxy = sxx = 0.0
        for t, distance, change in points:
            reach = distance * (1.0 - math.exp(-rate * t))
            sxy += reach * change
            sxx += reach * reach
        share = min(1.0, max(0.0, sxy / sxx)) if sxx > 0 else 0.0
        rss = sum(
            (change - share * distance * (1.0 - math.exp(-rate * t))) ** 2
            for t, distance, change in points
        )
        if fit is None or rss < fit[0]:
            fit = (rss, share, rate)
    assert fit is not None  # RATE_GRID is not empty
    _, share, rate = fit

    # Squared residuals against (d·g)²: intercept σ², slope τ².
    xs: list[float] = []
    ys: list[float] = []
    for t, distance, change in points:
        reach = distance * (1.0 - math.exp(-rate * t))
        xs.append(reach * reach)
        ys.append((change - share * reach) ** 2)
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx if sxx else 0.0
    slope = max(0.0, slope)
    intercept = mean_y - slope * mean_x
    if intercept < _MIN_RESIDUAL_SD**2:
        # Refit the slope alone above the floor, so a negative intercept cannot inflate τ.
        intercept = _MIN_RESIDUAL_SD**2
        sxx0 = sum(x * x for x in xs)
        slope = max(0.0, sum(x * (y - intercept) for x, y in zip(xs, ys, strict=True)) / sxx0)
    return Curve(
        improvement=share,
        rate=rate,
        residual_sd=math.sqrt(intercept),
        improvement_sd=math.sqrt(slope),
    )


def clinic_curves(
    defn: OutcomeDefinition,
    histories: Sequence[Series],
    *,
    defaults: NotOnTrackSettings | None = None,
    min_clients: int = MIN_CLIENTS,
) -> ClinicCurves:
    """Each intake band's curve: estimated from the clinic's clients once it has enough of them.

    Parameters
    ----------
    defn : OutcomeDefinition
        The instrument; its bands group the clients by intake score.
    histories : sequence of series
        The clinic's completed treatments, each a (session, score) series from intake.
    defaults : NotOnTrackSettings, optional
        The settings to start from (default: :func:`default_settings`); their curves serve the
        bands with fewer than ``min_clients`` clients, their z, consecutive and rci_z are kept.
    min_clients : int
        Clients with an intake and at least :data:`MIN_LATER_SCORES` later scores needed in a
        band before its curve is estimated.
    """
    if isinstance(min_clients, bool) or not isinstance(min_clients, int) or min_clients < 1:
        raise ValueError(f"min_clients: must be a whole number of at least 1, got {min_clients!r}")
    base = defaults if defaults is not None else default_settings(defn)
    by_band: dict[str, list[Series]] = {}
    for series in histories:
        if len(series) < 1 + MIN_LATER_SCORES:
            continue
        band = severity_band(defn, series[0][1])
        if band is not None:
            by_band.setdefault(band, []).append(series)

    bands: list[BandCurve] = []
    curves: dict[str, Curve] = dict(base.curves)
    labels = [b.label for b in defn.outcome.bands] if defn.outcome.bands else []
    for label in [*labels, *(k for k in base.curves if k not in labels)]:
        members = by_band.get(label, [])
        if len(members) >= min_clients:
            curve = estimate_curve(defn, members)
            curves[label] = curve
            bands.append(BandCurve(label, curve, len(members), True))
        elif label in base.curves:
            bands.append(BandCurve(label, base.curves[label], len(members), False))
    settings = NotOnTrackSettings(
        curves=MappingProxyType(curves),
        z=base.z,
        consecutive=base.consecutive,
        rci_z=base.rci_z,
    )
    return ClinicCurves(bands=tuple(bands), settings=settings)
