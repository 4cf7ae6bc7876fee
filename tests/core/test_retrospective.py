"""Retrospective rupture-repair sequences against values worked out by hand."""

from __future__ import annotations

import math
import re

import pytest

from alliance.core.retrospective import retrospective_ruptures


def series(*scores: float, start: int = 1) -> list[tuple[int, float]]:
    return list(enumerate(scores, start=start))


def test_worked_example_from_the_docs() -> None:
    # 6, 6, 6, 6, 3, 6: mean 33 / 6 = 5.5, SD sqrt((4 * 0.25 + 6.25 + 0.25) / 5) = sqrt(1.5).
    # Session 5 (3) is 2.5 / 1.2247 = 2.04 SD below: a 2 SD rupture and so a 1 SD one,
    # repaired at session 6 (6 >= 5.5 - 1.2247).
    found = retrospective_ruptures(series(6, 6, 6, 6, 3, 6), reference_sd=0.5)
    assert [(r.threshold, r.first, r.last, r.lowest, r.repaired, r.status) for r in found] == [
        (1, 4, 4, 4, 5, "repaired"),
        (2, 4, 4, 4, 5, "repaired"),
    ]
    assert found[0].mean == 5.5
    assert found[0].sd_within == pytest.approx(math.sqrt(1.5), rel=1e-12)
    assert found[0].sd == found[0].sd_within  # larger than the reference 0.5
    assert found[0].history == 6


def test_the_reference_sd_wins_when_larger() -> None:
    # The same series with reference SD 2: the SD used is 2, the dip line mean - 2 = 3.5 and
    # the 2 SD line 1.5; session 5 (3) is a 1 SD rupture only.
    found = retrospective_ruptures(series(6, 6, 6, 6, 3, 6), reference_sd=2.0)
    assert [(r.threshold, r.sd) for r in found] == [(1, 2.0)]


def test_a_decline_over_several_sessions_is_one_episode() -> None:
    # 6, 6, 6, 3, 3.5, 6, 6: mean 36.5 / 7 = 5.2143, SD 1.3496; the 1 SD line 3.8647. Sessions
    # 4 and 5 are both below it: one episode from 4 to 5, lowest at 4, repaired at 6.
    found = retrospective_ruptures(series(6, 6, 6, 3, 3.5, 6, 6), reference_sd=0.5)
    liberal = [r for r in found if r.threshold == 1]
    assert [(r.first, r.last, r.lowest, r.repaired) for r in liberal] == [(3, 4, 3, 5)]


def test_status_open_and_not_repaired() -> None:
    # No return after session 5: with the window of 6 still running at the end, "open"; with a
    # window of 1 (deadline session 6, and the series reached 6), "not_repaired".
    scores = series(6, 6, 6, 6, 2, 2)
    assert {r.status for r in retrospective_ruptures(scores, reference_sd=0.5)} == {"open"}
    late = retrospective_ruptures(scores, reference_sd=0.5, repair_window=1)
    assert {r.status for r in late} == {"not_repaired"}
    assert all(r.repaired is None for r in late)


def test_a_return_after_the_window_is_not_a_repair() -> None:
    # Dip at session 5, back at session 8: with a window of 2 (deadline 7) it came too late.
    found = retrospective_ruptures(
        series(6, 6, 6, 6, 2, 2, 2, 6), reference_sd=0.5, repair_window=2
    )
    assert found and all(r.status == "not_repaired" and r.repaired == 7 for r in found)


def test_too_short_a_series_gives_nothing() -> None:
    assert retrospective_ruptures(series(6, 6, 6, 1), reference_sd=0.5) == []
    assert retrospective_ruptures(series(6, 6, 1), reference_sd=0.5, min_sessions=3) != []


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        (series(6, 6, 6, 6, 3), {"reference_sd": 0.0}, "reference_sd"),
        (series(6, 6, 6, 6, 3), {"reference_sd": math.nan}, "reference_sd"),
        (series(6, 6, 6, 6, 3), {"reference_sd": 1.0, "min_sessions": 1}, "min_sessions"),
        (series(6, 6, 6, 6, 3), {"reference_sd": 1.0, "repair_window": 0}, "repair_window"),
        ([(1, 6.0), (1, 5.0)], {"reference_sd": 1.0}, "series[1]: session numbers"),
        ([(1, 6.0), (2, math.inf)], {"reference_sd": 1.0}, "series[1]: expected a finite"),
    ],
)
def test_meaningless_input_is_refused(
    data: list[tuple[int, float]], options: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        retrospective_ruptures(data, **options)
