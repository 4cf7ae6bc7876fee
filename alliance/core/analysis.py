"""The alliance–outcome analysis of a clinic: within- and between-client parts, and repair.

Across 295 studies the alliance correlates with outcome at r = .28 (Flückiger et al. 2018), and
rupture repair at r = .29 (Eubanks, Muran & Safran 2018). A clinic can ask whether its own data
look alike, but two different questions hide in "is alliance related to outcome":

* **between clients**: do clients whose alliance is higher on average have fewer symptoms?
  (Partly who the client is: a less unwell client may both bond more easily and score lower.)
* **within a client**: in the weeks a client's alliance is higher than *their own* usual, are
  their symptoms lower? (Closer to what a therapist can act on, but still not causal.)

Person-mean centring separates them (Curran & Bauer 2011; Falkenström, Finkel, Sandell, Rubel &
Holmqvist 2017): with :math:`\\bar a_i` the client's mean alliance and :math:`\\bar a` the mean of
the client means,

.. math::

    y_{ij} = \\beta_0 + \\beta_W (a_{ij} - \\bar a_i) + \\beta_B (\\bar a_i - \\bar a)
             + \\beta_T t_{ij} + u_i + e_{ij}, \\quad u_i \\sim N(0, \\tau^2),\\;
             e_{ij} \\sim N(0, \\sigma^2)

a linear mixed model with a random intercept per client (statsmodels ``MixedLM``, REML).
:math:`t_{ij}` is the session number: symptoms fall and the alliance grows over treatment, so
without it the within part would mostly measure time. :math:`\\beta_W` and :math:`\\beta_B` are
in outcome points per alliance point.

:func:`alliance_outcome` refuses, with the reason, when fewer than :data:`MIN_CLIENTS` clients
have :data:`MIN_POINTS` or more paired (alliance, outcome) points: with fewer, the between part
rests on a handful of clients. :func:`rupture_repair` is descriptive only. Nothing here imports
Django.
"""

from __future__ import annotations

import math
import statistics
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy import stats
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from alliance.core.wording import ngettext

__all__ = [
    "MIN_CLIENTS",
    "MIN_GROUP",
    "MIN_POINTS",
    "AllianceOutcome",
    "ClientRuptures",
    "Effect",
    "Group",
    "PairedPoint",
    "Refusal",
    "RuptureRepair",
    "alliance_outcome",
    "rupture_repair",
]

# Our thresholds, documented in docs/analysis.md.
MIN_CLIENTS: Final = 20
MIN_POINTS: Final = 3
# Groups smaller than this get no confidence interval for their difference.
MIN_GROUP: Final = 5


@dataclass(frozen=True)
class PairedPoint:
    """One outcome score with the alliance that came before it.

    ``client`` is any stable key; ``session`` is the number of sessions attended so far.
    """

    client: str
    session: int
    alliance: float
    outcome: float


@dataclass(frozen=True)
class Effect:
    """A coefficient with its standard error, 95 % confidence interval and two-sided p."""

    estimate: float
    se: float
    low: float
    high: float
    p: float


@dataclass(frozen=True)
class AllianceOutcome:
    """The fitted model: effects in outcome points per alliance point (per session for time)."""

    within: Effect
    between: Effect
    time: Effect
    clients: int
    points: int
    clients_left_out: int
    client_sd: float
    residual_sd: float
    converged: bool


@dataclass(frozen=True)
class Refusal:
    """Too few data for the model: the reason, in plain words, and what there is."""

    reason: str
    clients: int
    points: int


def _effect(estimate: float, se: float) -> Effect:
    z = float(stats.norm.ppf(0.975))
    p = float(2 * stats.norm.sf(abs(estimate / se))) if se > 0 else math.nan
    return Effect(estimate, se, estimate - z * se, estimate + z * se, p)


def alliance_outcome(
    points: Sequence[PairedPoint],
    *,
    min_clients: int = MIN_CLIENTS,
    min_points: int = MIN_POINTS,
) -> AllianceOutcome | Refusal:
    """Fit outcome on within- and between-client alliance, or refuse when the data are too few.

    Parameters
    ----------
    points : sequence of PairedPoint
        Every paired point of the clinic. Clients with fewer than ``min_points`` are left out
        (counted in ``clients_left_out``).
    min_clients, min_points : int
        The model runs only with at least ``min_clients`` clients of ``min_points`` points.

    Returns
    -------
    AllianceOutcome or Refusal

    Raises
    ------
    ValueError
        For a point whose alliance, outcome or session is not a finite number.
    """
    for index, point in enumerate(points):
        for name in ("alliance", "outcome", "session"):
            value = getattr(point, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"points[{index}].{name}: must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"points[{index}].{name}: must be finite, got {value!r}")
    by_client: dict[str, list[PairedPoint]] = defaultdict(list)
    for point in points:
        by_client[point.client].append(point)
    kept = {c: ps for c, ps in by_client.items() if len(ps) >= min_points}
    n_points = sum(len(ps) for ps in kept.values())
    if len(kept) < min_clients:
        return Refusal(
            reason=ngettext(
                "Too few data for this analysis: %(kept)d client with at least %(points)d "
                "questionnaire scores paired with a check-in, and it needs %(needed)d. With "
                "fewer, the comparison between clients would rest on a handful of people.",
                "Too few data for this analysis: %(kept)d clients with at least %(points)d "
                "questionnaire scores paired with a check-in, and it needs %(needed)d. With "
                "fewer, the comparison between clients would rest on a handful of people.",
                len(kept),
                kept=len(kept),
                points=min_points,
                needed=min_clients,
            ),
            clients=len(kept),
            points=n_points,
        )

    means = {c: statistics.fmean(p.alliance for p in ps) for c, ps in kept.items()}
    grand = statistics.fmean(means.values())
    rows = [(c, p) for c, ps in kept.items() for p in ps]
    y = np.array([p.outcome for _, p in rows])
    x = np.column_stack(
        [
            np.ones(len(rows)),
            [p.alliance - means[c] for c, p in rows],
            [means[c] - grand for c, _ in rows],
            [float(p.session) for _, p in rows],
        ]
    )
    groups = np.array([c for c, _ in rows])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = MixedLM(y, x, groups).fit(reml=True)
    converged = bool(result.converged) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught
    )
    params, ses = result.fe_params, result.bse_fe
    return AllianceOutcome(
        within=_effect(float(params[1]), float(ses[1])),
        between=_effect(float(params[2]), float(ses[2])),
        time=_effect(float(params[3]), float(ses[3])),
        clients=len(kept),
        points=n_points,
        clients_left_out=len(by_client) - len(kept),
        client_sd=math.sqrt(max(float(np.asarray(result.cov_re)[0, 0]), 0.0)),
        residual_sd=math.sqrt(float(result.scale)),
        converged=converged,
    )


@dataclass(frozen=True)
class ClientRuptures:
    """One client's ruptures and outcome change (last score minus first; negative = fewer
    symptoms on a lower-is-better measure). ``change`` is None without two scores."""

    client: str
    ruptures: int
    repaired: int
    change: float | None


@dataclass(frozen=True)
class Group:
    """Outcome change in one group of clients: how many, and the mean (None when empty)."""

    clients: int
    mean_change: float | None


@dataclass(frozen=True)
class RuptureRepair:
    """Outcome change by rupture history; the difference is all-repaired minus some-unrepaired.

    ``difference``, ``low`` and ``high`` (Welch's 95 % interval) are None unless both groups
    have at least :data:`MIN_GROUP` clients.
    """

    no_rupture: Group
    all_repaired: Group
    some_unrepaired: Group
    difference: float | None
    low: float | None
    high: float | None


def _group(changes: list[float]) -> Group:
    return Group(len(changes), statistics.fmean(changes) if changes else None)


def rupture_repair(clients: Sequence[ClientRuptures]) -> RuptureRepair:
    """Compare outcome change between clients whose ruptures were all repaired and the rest.

    Descriptive: the groups differ in more than repair (how many ruptures, how long in care).
    Clients without an outcome change are left out.
    """
    none_: list[float] = []
    repaired: list[float] = []
    unrepaired: list[float] = []
    for c in clients:
        if c.ruptures < 0 or not 0 <= c.repaired <= c.ruptures:
            raise ValueError(
                f"client {c.client!r}: repaired must be from 0 to ruptures ({c.ruptures}), "
                f"got {c.repaired}"
            )
        if c.change is None:
            continue
        if c.ruptures == 0:
            none_.append(c.change)
        elif c.repaired == c.ruptures:
            repaired.append(c.change)
        else:
            unrepaired.append(c.change)
    difference = low = high = None
    if len(repaired) >= MIN_GROUP and len(unrepaired) >= MIN_GROUP:
        difference = statistics.fmean(repaired) - statistics.fmean(unrepaired)
        va = statistics.variance(repaired) / len(repaired)
        vb = statistics.variance(unrepaired) / len(unrepaired)
        se = math.sqrt(va + vb)
        if se > 0:
            df = (va + vb) ** 2 / (va**2 / (len(repaired) - 1) + vb**2 / (len(unrepaired) - 1))
            t = float(stats.t.ppf(0.975, df))
            low, high = difference - t * se, difference + t * se
        else:
            low = high = difference
    return RuptureRepair(
        no_rupture=_group(none_),
        all_repaired=_group(repaired),
        some_unrepaired=_group(unrepaired),
        difference=difference,
        low=low,
        high=high,
    )
