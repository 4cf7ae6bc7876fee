"""The alliance–outcome model on simulated clinics whose effects are known, and its refusals."""

from __future__ import annotations

import random

import pytest

from alliance.core.analysis import (
    MIN_CLIENTS,
    AllianceOutcome,
    ClientRuptures,
    PairedPoint,
    Refusal,
    alliance_outcome,
    rupture_repair,
)

WITHIN, BETWEEN, TIME = -1.5, -3.0, -0.3


def _clinic(
    seed: int, clients: int = 80, per_client: int = 8, *, within: float = WITHIN
) -> list[PairedPoint]:
    """PHQ-9-like scores: 14 at the mean alliance, client intercept SD 2, residual SD 2.

    Client means of alliance ~ N(5.4, 0.8), weekly wobble SD 0.5 around them.
    """
    rng = random.Random(seed)
    points = []
    for i in range(clients):
        mean = rng.gauss(5.4, 0.8)
        own = rng.gauss(0, 2.0)
        for session in range(per_client):
            alliance = mean + rng.gauss(0, 0.5)
            outcome = (
                14
                + within * (alliance - mean)
                + BETWEEN * (mean - 5.4)
                + TIME * session
                + own
                + rng.gauss(0, 2.0)
            )
            points.append(PairedPoint(f"c{i}", session, alliance, outcome))
    return points


def test_the_model_recovers_known_within_and_between_effects() -> None:
    # 80 clients x 8 points. The standard errors are about 0.17 (within), 0.31 (between) and
    # 0.015 (time); over seeds 1-8 the largest misses were 0.40, 0.53 and 0.03. Tolerances:
    # within ±0.5, between ±1.0, time ±0.06 (about three standard errors).
    result = alliance_outcome(_clinic(seed=1))
    assert isinstance(result, AllianceOutcome)
    assert result.within.estimate == pytest.approx(WITHIN, abs=0.5)
    assert result.between.estimate == pytest.approx(BETWEEN, abs=1.0)
    assert result.time.estimate == pytest.approx(TIME, abs=0.06)
    assert result.within.low < WITHIN < result.within.high
    assert result.between.low < BETWEEN < result.between.high
    assert result.client_sd == pytest.approx(2.0, abs=0.6)
    assert result.residual_sd == pytest.approx(2.0, abs=0.3)
    assert (result.clients, result.points, result.clients_left_out) == (80, 640, 0)
    assert result.converged


def test_within_and_between_are_kept_apart() -> None:
    # No within-client effect at all, a strong between one: the within estimate stays near 0.
    result = alliance_outcome(_clinic(seed=2, within=0.0))
    assert isinstance(result, AllianceOutcome)
    assert result.within.estimate == pytest.approx(0.0, abs=0.5)
    assert result.within.low < 0 < result.within.high
    assert result.between.high < -1.5


def test_too_few_clients_is_refused_with_the_reason() -> None:
    points = _clinic(seed=3, clients=MIN_CLIENTS - 1)
    result = alliance_outcome(points)
    assert result == Refusal(
        reason=(
            "Too few data for this analysis: 19 clients with at least 3 questionnaire scores "
            "paired with a check-in, and it needs 20. With fewer, the comparison between "
            "clients would rest on a handful of people."
        ),
        clients=19,
        points=19 * 8,
    )


def test_clients_with_fewer_than_three_points_are_left_out_and_counted() -> None:
    points = _clinic(seed=4, clients=MIN_CLIENTS, per_client=4)
    short = [p for p in points if p.client in {"c0", "c1"} and p.session >= 2]
    kept = [p for p in points if p.client not in {"c0", "c1"}]
    refused = alliance_outcome([*kept, *short])
    assert isinstance(refused, Refusal)
    assert (refused.clients, refused.points) == (18, 72)
    enough = alliance_outcome(_clinic(seed=4, clients=30, per_client=4) + short)
    assert isinstance(enough, AllianceOutcome)
    # c0 and c1 of the second list have 4 points plus 2 more each: kept. None left out.
    assert enough.clients_left_out == 0
    lone = [PairedPoint("lone", 0, 5.0, 10.0)]
    assert alliance_outcome(_clinic(seed=4, clients=30, per_client=4) + lone).clients_left_out == 1


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "5"])
def test_bad_numbers_are_an_error(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^points\[0\]\.alliance: must be"):
        alliance_outcome([PairedPoint("a", 0, bad, 10.0)])  # type: ignore[arg-type]


def test_rupture_repair_by_hand() -> None:
    # All repaired: changes −6, −4, −5, −7, −3 (mean −5, variance 2.5); some unrepaired: −1, 0,
    # −2, 1, 2 (mean 0, variance 2.5). Difference −5, SE √(2.5/5 + 2.5/5) = 1, Welch df = 8,
    # t(.975, 8) = 2.306004: interval −7.306 to −2.694.
    clients = [ClientRuptures(f"r{i}", 2, 2, c) for i, c in enumerate((-6, -4, -5, -7, -3))]
    clients += [ClientRuptures(f"u{i}", 3, 1, c) for i, c in enumerate((-1, 0, -2, 1, 2))]
    clients += [ClientRuptures("n", 0, 0, -8.0), ClientRuptures("x", 1, 0, None)]
    result = rupture_repair(clients)
    assert (result.all_repaired.clients, result.some_unrepaired.clients) == (5, 5)
    assert result.no_rupture.clients == 1 and result.no_rupture.mean_change == -8.0
    assert result.difference == pytest.approx(-5.0)
    assert result.low == pytest.approx(-7.306004, abs=1e-6)
    assert result.high == pytest.approx(-2.693996, abs=1e-6)


def test_rupture_repair_gives_no_interval_for_small_groups() -> None:
    clients = [ClientRuptures(f"r{i}", 1, 1, -3.0) for i in range(4)]
    clients += [ClientRuptures(f"u{i}", 1, 0, 1.0) for i in range(9)]
    result = rupture_repair(clients)
    assert (result.difference, result.low, result.high) == (None, None, None)
    assert result.all_repaired.mean_change == -3.0


def test_rupture_repair_refuses_more_repairs_than_ruptures() -> None:
    with pytest.raises(ValueError, match=r"^client 'a': repaired must be from 0 to ruptures"):
        rupture_repair([ClientRuptures("a", 1, 2, 0.0)])
