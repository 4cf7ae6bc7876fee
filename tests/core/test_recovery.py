"""Expected-recovery curves estimated from a clinic's completed treatments."""

from __future__ import annotations

import math
import random

import pytest

from alliance.core.definitions import builtin
from alliance.core.not_on_track import DEFAULT_CURVES, Curve, default_settings
from alliance.core.recovery import MIN_CLIENTS, clinic_curves, estimate_curve

PHQ9 = builtin()["phq9"]


def _clients(
    n: int, *, intake: float, p: float, k: float, sigma: float, tau: float, seed: int
) -> list[list[tuple[int, float]]]:
    """Clients from one intake, each covering their own share p_i ~ N(p, tau) of the way to 0."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        share = rng.gauss(p, tau)
        series = [(0, intake)]
        for t in range(1, 13):
            value = intake - share * intake * (1 - math.exp(-k * t)) + rng.gauss(0, sigma)
            series.append((t, value))  # unrounded and unclipped: the model exactly
        out.append(series)
    return out


def test_estimate_recovers_a_known_curve() -> None:
    # 400 clients from 20: p 0.5, k 0.3, σ 2, τ 0.25. Over seeds 1-10 the largest errors were
    # p 0.015, k 0, σ 0.11, τ 0.023; the tolerances are about twice those: p ±0.03, k ±0.05
    # (one grid step), σ ±0.25, τ ±0.05.
    curve = estimate_curve(
        PHQ9, _clients(400, intake=20, p=0.5, k=0.3, sigma=2.0, tau=0.25, seed=1)
    )
    assert curve.improvement == pytest.approx(0.5, abs=0.03)
    assert curve.rate == pytest.approx(0.3, abs=0.05)
    assert curve.residual_sd == pytest.approx(2.0, abs=0.25)
    assert curve.improvement_sd == pytest.approx(0.25, abs=0.05)


def test_clients_who_do_not_change_give_a_flat_curve() -> None:
    # Two clients from 20, one 5 points better and one 5 worse at every session: p = 0.
    histories = [[(0, 20), (1, 15), (2, 15)], [(0, 20), (1, 25), (2, 25)]]
    curve = estimate_curve(PHQ9, histories)
    assert curve.improvement == 0.0
    assert curve.residual_sd == pytest.approx(5.0, rel=1e-9)


def test_nothing_to_fit_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^no client with a later score and room to improve"):
        estimate_curve(PHQ9, [[(0, 0), (1, 3)], [(0, 12)]])


def test_a_band_is_estimated_from_min_clients_on() -> None:
    # PHQ-9 20 is "severe". One client short of the threshold: the default stays.
    few = _clients(MIN_CLIENTS - 1, intake=20, p=0.2, k=0.3, sigma=2.0, tau=0.1, seed=2)
    result = clinic_curves(PHQ9, few)
    severe = next(b for b in result.bands if b.band == "severe")
    assert (severe.clients, severe.estimated) == (MIN_CLIENTS - 1, False)
    assert result.settings.curves["severe"] == DEFAULT_CURVES["phq9"]["severe"]
    assert result.estimated_bands == ()

    enough = _clients(MIN_CLIENTS, intake=20, p=0.2, k=0.3, sigma=2.0, tau=0.1, seed=2)
    result = clinic_curves(PHQ9, enough)
    severe = next(b for b in result.bands if b.band == "severe")
    assert (severe.clients, severe.estimated) == (MIN_CLIENTS, True)
    assert result.estimated_bands == ("severe",)
    assert result.settings.curves["severe"] == severe.curve
    assert result.settings.curves["severe"] != DEFAULT_CURVES["phq9"]["severe"]
    # The other bands keep the defaults, and the rule keeps its z, consecutive and rci_z.
    assert result.settings.curves["mild"] == DEFAULT_CURVES["phq9"]["mild"]
    defaults = default_settings(PHQ9)
    assert (result.settings.z, result.settings.consecutive, result.settings.rci_z) == (
        defaults.z,
        defaults.consecutive,
        defaults.rci_z,
    )


def test_clients_with_fewer_than_three_later_scores_do_not_count() -> None:
    short = [s[:3] for s in _clients(40, intake=20, p=0.5, k=0.3, sigma=2, tau=0.1, seed=3)]
    severe = next(b for b in clinic_curves(PHQ9, short).bands if b.band == "severe")
    assert (severe.clients, severe.estimated) == (0, False)


def test_every_band_is_listed_in_order() -> None:
    labels = [b.band for b in clinic_curves(PHQ9, []).bands]
    assert labels == ["minimal", "mild", "moderate", "moderately severe", "severe"]


def test_min_clients_must_be_a_positive_whole_number() -> None:
    with pytest.raises(ValueError, match=r"^min_clients: must be a whole number of at least 1"):
        clinic_curves(PHQ9, [], min_clients=0)


def test_an_estimated_curve_is_a_valid_curve() -> None:
    curve = estimate_curve(PHQ9, _clients(50, intake=8, p=0.3, k=0.5, sigma=1, tau=0, seed=4))
    assert isinstance(curve, Curve)
    assert curve.residual_sd >= 0.5
