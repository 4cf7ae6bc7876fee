"""The not-on-track rule on hand-worked trajectories."""

from __future__ import annotations

import json
import math
import re

import pytest

from alliance.core.definitions import builtin, builtin_json
from alliance.core.not_on_track import (
    ANY_BAND,
    DEFAULT_CURVES,
    Curve,
    NotOnTrack,
    NotOnTrackKind,
    NotOnTrackSettings,
    assess,
    default_settings,
    expected_score,
    score_spread,
)
from alliance.core.outcomes import load_outcome

PHQ9 = builtin()["phq9"]

# k = ln 2 halves the remaining expected change every session. From a PHQ-9 intake of 20
# ("severe"), p = 0.5 levels off at 20 − 0.5·(20 − 0) = 10, so the curve is
#   t = 1: 20 − 10·(1 − 1/2)  = 15      upper edge (z = 1, σ = 2) 17
#   t = 2: 20 − 10·(1 − 1/4)  = 12.5    edge 14.5
#   t = 3: 20 − 10·(1 − 1/8)  = 11.25   edge 13.25
#   t = 4: 20 − 10·(1 − 1/16) = 10.625  edge 12.625
HALVING = Curve(improvement=0.5, rate=math.log(2), residual_sd=2.0)
# A band so wide it never fires, to look at reliable deterioration alone.
WIDE = Curve(improvement=0.0, rate=1.0, residual_sd=100.0)


def settings(**changes: object) -> NotOnTrackSettings:
    # The worked example's rule (z 1, two in a row), not the defaults, unless a test says so.
    values: dict[str, object] = {
        "curves": {"severe": HALVING, ANY_BAND: WIDE},
        "z": 1.0,
        "consecutive": 2,
        "rci_z": None,
    }
    values.update(changes)
    return NotOnTrackSettings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("t", "expected"), [(0, 20.0), (1, 15.0), (2, 12.5), (3, 11.25)])
def test_expected_curve_by_hand(t: int, expected: float) -> None:
    assert expected_score(PHQ9, 20.0, t, HALVING) == pytest.approx(expected, rel=1e-12)


def test_expected_curve_for_a_higher_is_better_score_rises_toward_the_maximum() -> None:
    # Mean of 1-5 items: best 5. From 2 with p = 0.5: levels off at 3.5; t = 1 gives 2.75.
    data = json.loads(builtin_json("gad7"))
    data["outcome"] = {"direction": "higher_is_better"}
    for item in data["items"]:
        item["options"] = [{"value": v, "label": str(v)} for v in range(1, 6)]
    data["scoring"]["composite"]["method"] = "mean"
    defn = load_outcome(data)
    assert expected_score(defn, 2.0, 1, HALVING) == pytest.approx(2.75, rel=1e-12)


def test_on_track_client_gets_no_signal() -> None:
    assert assess(PHQ9, [(0, 20), (1, 16), (2, 13), (3, 11)], settings()) is None


def test_intake_alone_gets_no_signal() -> None:
    assert assess(PHQ9, [(0, 27)], settings()) is None
    assert assess(PHQ9, [], settings()) is None


def test_score_exactly_on_the_edge_is_inside() -> None:
    assert assess(PHQ9, [(0, 20), (1, 17)], settings(consecutive=1)) is None


def test_score_just_above_the_edge_is_outside() -> None:
    signal = assess(PHQ9, [(0, 20), (1, 17.5)], settings(consecutive=1))
    assert signal is not None
    assert signal.kind is NotOnTrackKind.OUTSIDE_BAND
    assert (signal.session, signal.expected, signal.bound, signal.outside) == (1, 15.0, 17.0, 1)
    assert signal.reason == (
        "At session 1 the score of 17.5 is above the expected range for clients starting in "
        "the severe band: expected 15.0, upper edge 17.0."
    )


def test_consecutive_rule_needs_two_in_a_row() -> None:
    # t = 1: 18 > 17 outside (1); t = 2: 14 ≤ 14.5 inside, the count restarts;
    # t = 3: 14 > 13.25 outside (1); t = 4: 13 > 12.625 outside (2): the signal.
    series = [(0, 20), (1, 18), (2, 14), (3, 14), (4, 13)]
    assert assess(PHQ9, series[:4], settings()) is None
    signal = assess(PHQ9, series, settings())
    assert signal == NotOnTrack(
        kind=NotOnTrackKind.OUTSIDE_BAND,
        session=4,
        score=13.0,
        intake_session=0,
        intake=20.0,
        intake_band="severe",
        expected=pytest.approx(10.625),  # type: ignore[arg-type]
        bound=pytest.approx(12.625),  # type: ignore[arg-type]
        outside=2,
        rci=None,
        reason=(
            "At session 4 the score of 13 is above the expected range for clients starting in "
            "the severe band: expected 10.6, upper edge 12.6, the 2nd score in a row outside."
        ),
    )


def test_three_in_a_row_setting() -> None:
    series = [(0, 20), (1, 18), (2, 15), (3, 14)]
    assert assess(PHQ9, series, settings(consecutive=3)) is not None
    assert assess(PHQ9, series[:3], settings(consecutive=3)) is None


def test_sessions_need_not_be_consecutive() -> None:
    # Intake at session 3; the next measurement at session 5 is t = 2 (edge 14.5).
    assert assess(PHQ9, [(3, 20), (5, 14.5)], settings(consecutive=1)) is None
    signal = assess(PHQ9, [(3, 20), (5, 15)], settings(consecutive=1))
    assert signal is not None
    assert (signal.session, signal.intake_session, signal.bound) == (5, 3, 14.5)


def test_wider_tolerance_lets_more_through() -> None:
    # z = 2: edge at t = 1 is 15 + 4 = 19.
    assert assess(PHQ9, [(0, 20), (1, 19)], settings(consecutive=1, z=2.0)) is None
    assert assess(PHQ9, [(0, 20), (1, 19.5)], settings(consecutive=1, z=2.0)) is not None


def test_reliable_deterioration_fires_at_once() -> None:
    # PHQ-9 S_diff = 5·√0.32 = 2.8284: from 10, +5 is RCI 1.7678 (not reliable), +6 is 2.1213.
    rules = settings(rci_z=1.96)
    assert assess(PHQ9, [(0, 10), (1, 15)], rules) is None
    signal = assess(PHQ9, [(0, 10), (1, 15), (2, 16)], rules)
    assert signal is not None
    assert signal.kind is NotOnTrackKind.RELIABLE_DETERIORATION
    assert signal.session == 2
    assert signal.rci == pytest.approx(6 / (5 * math.sqrt(0.32)), rel=1e-12)
    assert signal.intake_band == "moderate"
    assert signal.reason == (
        "At session 2 the score of 16 is reliably worse than the intake score of 10 at "
        "session 0 (RCI 2.12, above 1.96)."
    )


def test_reliable_deterioration_can_be_switched_off() -> None:
    assert assess(PHQ9, [(0, 10), (1, 27)], settings(rci_z=None)) is None


def test_reliable_improvement_is_not_a_signal() -> None:
    assert assess(PHQ9, [(0, 20), (1, 8)], settings(rci_z=1.96)) is None


def test_a_signal_never_changes_as_later_measurements_arrive() -> None:
    series = [(0, 20), (1, 18), (2, 16), (3, 9), (4, 8), (5, 27)]
    first = assess(PHQ9, series[:3], settings())
    assert first is not None
    assert first.session == 2
    for end in range(4, len(series) + 1):
        assert assess(PHQ9, series[:end], settings()) == first


def test_band_without_its_own_curve_uses_the_any_band_curve() -> None:
    # Intake 12 is "moderate": no curve of its own, so the wide "*" curve applies.
    assert assess(PHQ9, [(0, 12), (1, 17)], settings(consecutive=1)) is None


def test_band_without_any_curve_is_an_error() -> None:
    rules = NotOnTrackSettings(curves={"severe": HALVING}, rci_z=None)
    with pytest.raises(ValueError, match=r"^no curve for the intake band 'mild' and no '\*'"):
        assess(PHQ9, [(0, 7), (1, 7)], rules)


def test_default_settings_for_the_builtins() -> None:
    assert default_settings(PHQ9).curves == DEFAULT_CURVES["phq9"]
    assert set(default_settings(builtin()["gad7"]).curves) == {
        "minimal",
        "mild",
        "moderate",
        "severe",
    }
    # The defaults run end to end (z 1.8, one score outside is enough): a severe intake of 22,
    # p = 0.5, k = 0.3, σ = 2.5, τ = 0.4. With g = 1 − e^(−0.3t), E = 22 − 11g and the spread
    # s = √(2.5² + (0.4 · 22 · g)²):
    #   t = 1: g = 0.25918, E = 19.1490, s = 3.3842, edge 25.2406: 25 is inside;
    #   t = 2: g = 0.45119, E = 17.0369, s = 4.6920, edge 25.4825: 26 is outside.
    # The RCI from 22 to 26 is 4 / 2.8284 = 1.41, not reliable: the band fires.
    signal = assess(PHQ9, [(0, 22), (1, 25), (2, 26), (3, 27)])
    assert signal is not None
    assert (signal.kind, signal.session, signal.outside) == (NotOnTrackKind.OUTSIDE_BAND, 2, 1)
    g = 1 - math.exp(-0.6)
    edge = 22 - 11 * g + 1.8 * math.hypot(2.5, 0.4 * 22 * g)
    assert signal.bound == pytest.approx(edge, rel=1e-12)
    assert signal.bound == pytest.approx(25.4825, abs=5e-4)
    assert assess(PHQ9, [(0, 22), (1, 25)]) is None


def test_defaults_are_the_recovery_band_rule() -> None:
    rules = default_settings(PHQ9)
    assert (rules.z, rules.consecutive, rules.rci_z) == (1.8, 1, 1.96)
    assert rules.curves["severe"] == Curve(
        improvement=0.5, rate=0.3, residual_sd=2.5, improvement_sd=0.4
    )
    assert default_settings(builtin()["gad7"]).curves["mild"].residual_sd == 2.0


def test_the_band_widens_with_how_much_clients_differ() -> None:
    # PHQ-9 intake 20, k = ln 2, σ = 3, τ = 0.4: after 1 session the spread is
    # √(3² + (0.4 · 20 · 1/2)²) = √(9 + 16) = 5, after 2 sessions √(9 + 6²) = √45.
    curve = Curve(improvement=0.5, rate=math.log(2), residual_sd=3.0, improvement_sd=0.4)
    assert score_spread(PHQ9, 20.0, 1, curve) == pytest.approx(5.0, rel=1e-12)
    assert score_spread(PHQ9, 20.0, 2, curve) == pytest.approx(math.sqrt(45), rel=1e-12)
    assert score_spread(PHQ9, 20.0, 1, HALVING) == 2.0  # τ = 0: σ throughout
    # The edge at t = 1 is 15 + 1 · 5 = 20: 20 is inside, 20.5 outside.
    rules = NotOnTrackSettings(curves={ANY_BAND: curve}, z=1.0, consecutive=1, rci_z=None)
    assert assess(PHQ9, [(0, 20), (1, 20)], rules) is None
    signal = assess(PHQ9, [(0, 20), (1, 20.5)], rules)
    assert signal is not None
    assert signal.bound == pytest.approx(20.0, rel=1e-12)


def test_no_default_settings_for_other_instruments() -> None:
    data = json.loads(builtin_json("gad7"))
    data["id"] = "other"
    with pytest.raises(ValueError, match=r"^no default expected-recovery curves for 'other'"):
        default_settings(load_outcome(data))


def test_reliable_deterioration_needs_reliability_in_the_definition() -> None:
    data = json.loads(builtin_json("phq9"))
    del data["outcome"]["reliability"]
    with pytest.raises(ValueError, match=r"^instrument 'phq9' has no reliability or SD"):
        assess(load_outcome(data), [(0, 10), (1, 12)], settings(rci_z=1.96))


@pytest.mark.parametrize(
    ("series", "message"),
    [
        ([(1, 20), (1, 18)], "series[1]: sessions must increase, got 1 after 1"),
        ([(2, 20), (1, 18)], "series[1]: sessions must increase, got 1 after 2"),
        ([(0, 20), (True, 18)], "series[1]: session must be an integer, got True"),
        ([(0, 20), (1, 28)], "series[1] (session 1): score must be a number from 0 to 27, got 28"),
        (
            [(0, math.nan)],
            "series[0] (session 0): score must be a number from 0 to 27, got nan",
        ),
        ([(0, 20, 1)], "series[0]: expected a (session, score) pair, got (0, 20, 1)"),
    ],
)
def test_malformed_series_is_an_error(series: list[tuple[int, float]], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        assess(PHQ9, series, settings())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"improvement": 1.5}, "improvement: must be from 0 to 1, got 1.5"),
        ({"rate": 0}, "rate: must be greater than 0, got 0"),
        ({"residual_sd": math.inf}, "residual_sd: must be a finite number, got inf"),
        ({"improvement_sd": -0.1}, "improvement_sd: must be 0 or more, got -0.1"),
    ],
)
def test_curve_validation(kwargs: dict[str, float], message: str) -> None:
    values = {"improvement": 0.5, "rate": 0.2, "residual_sd": 2.0} | kwargs
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Curve(**values)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"curves": {}}, "curves: expected a non-empty mapping of band label to Curve"),
        ({"z": 0}, "z: must be greater than 0, got 0"),
        ({"consecutive": 0}, "consecutive: must be at least 1, got 0"),
        ({"consecutive": True}, "consecutive: must be an integer, got True"),
        ({"rci_z": -1.0}, "rci_z: must be greater than 0, got -1.0"),
    ],
)
def test_settings_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        settings(**kwargs)


def test_settings_keep_their_own_copy_of_the_curves() -> None:
    curves = {"severe": HALVING}
    rules = NotOnTrackSettings(curves=curves)
    curves["severe"] = WIDE
    assert rules.curves["severe"] == HALVING
