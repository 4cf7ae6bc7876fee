"""The discrepancy rule and the supervision figures, against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from alliance.core.discrepancy import (
    DEFAULT_THRESHOLD,
    THERAPIST_RATING,
    RatedSession,
    detect_discrepancies,
    discrepancy_threshold,
)
from alliance.core.instruments import score
from alliance.core.supervision import MIN_CASES, comparable, median, rate, wilson_interval


def test_threshold_is_the_checkins_reliable_change_value() -> None:
    # 1.96 * 1.0 * sqrt(2 * (1 - 0.85)) = 1.96 * sqrt(0.3) = 1.96 * 0.547723 = 1.073537
    assert round(DEFAULT_THRESHOLD, 4) == 1.0735
    assert discrepancy_threshold(sd=2.0, reliability=0.5) == pytest.approx(1.96 * 2.0, abs=1e-3)


def _s(n: int, client: float | None, therapist: float | None) -> RatedSession:
    return RatedSession(key=f"s{n}", index=n, client=client, therapist=therapist)


def test_one_discrepant_session_is_not_a_signal() -> None:
    assert detect_discrepancies([_s(1, 4.0, 6.0), _s(2, 5.0, 5.0)]) == []


def test_two_in_a_row_fire_keyed_on_where_the_run_began() -> None:
    found = detect_discrepancies([_s(1, 5.0, 5.0), _s(2, 4.0, 6.0), _s(3, 3.0, 4.5)])
    assert [(d.start_key, d.indexes, d.gaps) for d in found] == [("s2", (2, 3), (2.0, 1.5))]


def test_the_gap_must_be_strictly_above_the_threshold() -> None:
    # 1.0 is not above 1.0
    assert detect_discrepancies([_s(1, 5.0, 6.0), _s(2, 5.0, 6.0)], threshold=1.0) == []
    assert len(detect_discrepancies([_s(1, 5.0, 6.01), _s(2, 5.0, 6.01)], threshold=1.0)) == 1


def test_a_client_rating_above_the_therapists_is_never_a_discrepancy() -> None:
    assert detect_discrepancies([_s(1, 7.0, 3.0), _s(2, 7.0, 3.0)]) == []


def test_a_session_one_side_did_not_rate_neither_breaks_nor_extends_a_run() -> None:
    found = detect_discrepancies([_s(1, 4.0, 6.0), _s(2, None, 6.0), _s(3, 4.0, 6.0)])
    assert [d.indexes for d in found] == [(1, 3)]


def test_a_run_ends_at_a_session_that_converged_and_a_new_one_starts() -> None:
    found = detect_discrepancies(
        [_s(1, 4.0, 6.0), _s(2, 4.0, 6.0), _s(3, 6.0, 6.0), _s(4, 3.0, 6.0), _s(5, 3.0, 6.0)]
    )
    assert [d.start_key for d in found] == ["s1", "s4"]


def test_bad_ratings_are_refused() -> None:
    with pytest.raises(ValueError, match="between 1 and 7"):
        detect_discrepancies([_s(1, 0.0, 6.0)])
    with pytest.raises(ValueError, match="threshold"):
        detect_discrepancies([], threshold=-1)


def test_the_therapist_rating_scores_like_the_checkin() -> None:
    result = score(THERAPIST_RATING, {"bond": 6, "tasks": 5, "goals": 4})
    assert result.composite == pytest.approx(5.0)


def test_wilson_interval_by_hand() -> None:
    # 5/10: p = .5, z^2 = 3.8415; centre .69207, spread .36460, denominator 1.38415
    low, high = wilson_interval(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    # 0/10: the lower bound is exactly 0, the upper z^2/n / (1 + z^2/n) = .38415 / 1.38415
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.27753, abs=1e-5)
    # 10/10 mirrors 0/10
    assert wilson_interval(10, 10)[0] == pytest.approx(1 - 0.27753, abs=1e-5)
    assert wilson_interval(10, 10)[1] == pytest.approx(1.0)


def test_wilson_interval_refuses_bad_counts() -> None:
    for successes, n in ((1, 0), (-1, 5), (6, 5)):
        with pytest.raises(ValueError):
            wilson_interval(successes, n)


def test_comparisons_need_min_cases_each_and_two_therapists() -> None:
    assert MIN_CASES == 10
    assert comparable([rate(5, 10), rate(9, 12)])
    assert not comparable([rate(5, 10), rate(2, 9)])
    assert not comparable([rate(5, 10)])
    assert rate(0, 0).share is None and rate(0, 0).interval is None
    assert math.isclose(rate(3, 4).share or 0, 0.75)


def test_median() -> None:
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert median([]) is None


def test_the_therapist_rating_uses_the_checkins_scale() -> None:
    from alliance.core.checkin import CHECKIN

    for key in ("bond", "tasks", "goals"):
        assert THERAPIST_RATING.item(key).options == CHECKIN.item(key).options
