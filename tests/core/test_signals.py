"""Tests for the rupture-signal rules in ``alliance.core.signals``.

Expected values are worked by hand in the comments, with the defaults unless a test says
otherwise: S_diff = 1.0 · √2 · √(1 − 0.85) = 0.547723, reliable change at 1.96 · S_diff =
1.073537, critical t 4.303 / 3.182 / 2.776 for df 2 / 3 / 4.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core.signals import (
    DEFAULT_SETTINGS,
    CheckinPoint,
    Severity,
    Signal,
    SignalKind,
    SignalSettings,
    detect,
    detect_for_latest,
    reference_sd_from_series,
)

S_DIFF = 1.0 * math.sqrt(2) * math.sqrt(0.15)  # 0.547723


def scored(*scores: float | None, start: int = 1) -> list[CheckinPoint]:
    """Consecutive sessions from ``start``, keyed "s<index>", with the given scores."""
    return [
        CheckinPoint(key=f"s{index}", index=index, alliance=score)
        for index, score in enumerate(scores, start)
    ]


def at(**scores: float | None) -> list[CheckinPoint]:
    """Sessions by number, e.g. ``at(s1=6.0, s3=6.0)`` leaves session 2 without a check-in."""
    points = [
        CheckinPoint(key=name, index=int(name[1:]), alliance=score)
        for name, score in scores.items()
    ]
    return sorted(points, key=lambda point: point.index)


def of_kind(signals: list[Signal], *kinds: SignalKind) -> list[Signal]:
    return [signal for signal in signals if signal.kind in kinds]


def tension(
    value: int | None, *, resolved: int | None = None, talked: int | None = None
) -> list[CheckinPoint]:
    return [
        CheckinPoint(
            key="s1", index=1, alliance=6.0, tension=value, resolved=resolved, talked=talked
        )
    ]


RUPTURE = (SignalKind.RUPTURE_REPAIR_1SD, SignalKind.RUPTURE_REPAIR_2SD)
KIND_ORDER = list(SignalKind)


# ---------------------------------------------------------------------------------------------
# (a) Client-reported tension
# ---------------------------------------------------------------------------------------------


class TestClientReported:
    def test_no_tension_gives_no_signal(self) -> None:
        assert detect(tension(0)) == []

    def test_unanswered_tension_gives_no_signal(self) -> None:
        assert detect(tension(None)) == []

    def test_a_little_tension_without_other_answers_is_medium(self) -> None:
        (signal,) = detect(tension(1))
        assert signal == Signal(
            kind=SignalKind.CLIENT_REPORTED,
            key="s1",
            index=1,
            severity=Severity.MEDIUM,
            summary=(
                "Client reported a little tension; talked about it: not answered; "
                "resolution not answered."
            ),
            detail={"tension": 1, "resolved": None, "talked": None},
        )

    def test_summary_uses_plain_words(self) -> None:
        (signal,) = detect(tension(3, resolved=2, talked=1))
        assert signal.summary == (
            "Client reported quite a bit of tension; talked about it: a little; "
            "feels partly resolved."
        )

    def test_tension_at_tension_high_is_high(self) -> None:
        (signal,) = detect(tension(3, resolved=2, talked=1))
        assert signal.severity is Severity.HIGH

    def test_tension_just_below_tension_high_is_medium(self) -> None:
        (signal,) = detect(tension(2, resolved=2, talked=1))
        assert signal.severity is Severity.MEDIUM

    def test_unresolved_and_not_talked_about_is_high(self) -> None:
        (signal,) = detect(tension(1, resolved=1, talked=0))
        assert signal.severity is Severity.HIGH

    def test_partly_resolved_and_not_talked_about_is_medium(self) -> None:
        # resolved = 2 is just above the "at most slightly resolved" edge.
        (signal,) = detect(tension(1, resolved=2, talked=0))
        assert signal.severity is Severity.MEDIUM

    def test_unresolved_but_talked_about_a_little_is_medium(self) -> None:
        (signal,) = detect(tension(1, resolved=0, talked=1))
        assert signal.severity is Severity.MEDIUM

    def test_not_talked_about_with_resolution_unanswered_is_medium(self) -> None:
        (signal,) = detect(tension(2, talked=0))
        assert signal.severity is Severity.MEDIUM

    def test_talked_about_and_mostly_resolved_is_low(self) -> None:
        (signal,) = detect(tension(2, resolved=3, talked=2))
        assert signal.severity is Severity.LOW
        assert signal.summary == (
            "Client reported some tension; talked about it: yes; feels mostly resolved."
        )

    def test_talked_about_and_partly_resolved_is_medium(self) -> None:
        (signal,) = detect(tension(2, resolved=2, talked=2))
        assert signal.severity is Severity.MEDIUM

    def test_high_tension_stays_high_even_when_resolved(self) -> None:
        (signal,) = detect(tension(4, resolved=4, talked=2))
        assert signal.severity is Severity.HIGH
        assert signal.summary == (
            "Client reported a lot of tension; talked about it: yes; feels completely resolved."
        )

    def test_summary_words_for_the_lowest_answers(self) -> None:
        (signal,) = detect(tension(1, resolved=1, talked=0))
        assert signal.summary == (
            "Client reported a little tension; talked about it: no; feels a little resolved."
        )

    def test_tension_below_a_raised_tension_min_gives_no_signal(self) -> None:
        assert detect(tension(1), SignalSettings(tension_min=2)) == []

    def test_tension_at_a_raised_tension_min_fires(self) -> None:
        (signal,) = detect(tension(2), SignalSettings(tension_min=2))
        assert signal.kind is SignalKind.CLIENT_REPORTED

    def test_fires_on_a_check_in_without_alliance_score(self) -> None:
        points = [CheckinPoint(key="k", index=4, alliance=None, tension=2)]
        (signal,) = detect(points)
        assert (signal.key, signal.index) == ("k", 4)


# ---------------------------------------------------------------------------------------------
# (b) Reliable drop
# ---------------------------------------------------------------------------------------------


class TestReliableDrop:
    BASE = (6.0, 6.0, 5.5, 6.5, 6.0)  # mean 30 / 5 = 6.0

    def test_fires_just_past_the_reliable_threshold(self) -> None:
        # RCI = (4.9 − 6.0) / 0.547723 = −2.0083 ≤ −1.96
        (signal,) = of_kind(detect(scored(*self.BASE, 4.9)), SignalKind.RELIABLE_DROP)
        assert (signal.key, signal.index, signal.severity) == ("s6", 6, Severity.MEDIUM)
        assert signal.detail == {
            "score": 4.9,
            "baseline": pytest.approx(6.0),
            "baseline_n": 5,
            "baseline_first_index": 1,
            "baseline_last_index": 5,
            "s_diff": pytest.approx(0.547723, abs=1e-6),
            "rci": pytest.approx(-2.00831, abs=1e-5),
            "rci_z": 1.96,
        }

    def test_summary_states_score_baseline_and_rci(self) -> None:
        (signal,) = of_kind(detect(scored(*self.BASE, 4.9)), SignalKind.RELIABLE_DROP)
        assert signal.summary == (
            "Alliance 4.9 is 1.1 below the recent baseline of 6.0 (RCI −2.01, reliable at 1.96)."
        )

    def test_does_not_fire_just_short_of_the_threshold(self) -> None:
        # RCI = (4.95 − 6.0) / 0.547723 = −1.9170 > −1.96
        assert of_kind(detect(scored(*self.BASE, 4.95)), SignalKind.RELIABLE_DROP) == []

    def test_is_high_at_twice_the_threshold(self) -> None:
        # RCI = (3.85 − 6.0) / 0.547723 = −3.9253 ≤ −3.92
        (signal,) = of_kind(detect(scored(*self.BASE, 3.85)), SignalKind.RELIABLE_DROP)
        assert signal.severity is Severity.HIGH

    def test_is_medium_just_short_of_twice_the_threshold(self) -> None:
        # RCI = (3.9 − 6.0) / 0.547723 = −3.8341 > −3.92
        (signal,) = of_kind(detect(scored(*self.BASE, 3.9)), SignalKind.RELIABLE_DROP)
        assert signal.severity is Severity.MEDIUM

    def test_baseline_uses_only_the_most_recent_five(self) -> None:
        # Last five previous scores are 6.0 → RCI −2.008. All eight would give a mean of
        # 39 / 8 = 4.875, below 4.9 itself: nothing would fire.
        points = scored(3.0, 3.0, 3.0, 6.0, 6.0, 6.0, 6.0, 6.0, 4.9)
        (signal,) = of_kind(detect(points), SignalKind.RELIABLE_DROP)
        assert signal.index == 9
        assert signal.detail["baseline"] == pytest.approx(6.0)
        assert signal.detail["baseline_first_index"] == 4

    def test_needs_baseline_min_previous_scores(self) -> None:
        # Two previous scores only: (4.0 − 6.0) / 0.5477 = −3.65 would be reliable.
        assert of_kind(detect(scored(6.0, 6.0, 4.0)), SignalKind.RELIABLE_DROP) == []

    def test_fires_with_exactly_baseline_min_previous_scores(self) -> None:
        (signal,) = of_kind(detect(scored(6.0, 6.0, 6.0, 4.9)), SignalKind.RELIABLE_DROP)
        assert signal.detail["baseline_n"] == 3

    def test_unscored_and_missing_sessions_are_skipped_in_the_baseline(self) -> None:
        # Session 2 unscored, session 4 has no check-in: the baseline is sessions 1, 3, 5.
        points = at(s1=6.0, s2=None, s3=6.0, s5=6.0, s6=4.9)
        (signal,) = of_kind(detect(points), SignalKind.RELIABLE_DROP)
        assert signal.index == 6
        assert signal.detail["baseline_n"] == 3
        assert signal.detail["baseline_first_index"] == 1

    def test_s_diff_follows_reference_sd_and_reliability(self) -> None:
        # S_diff = 0.8 · √2 · √0.1 = 0.357771; (5.29 − 6) / 0.357771 = −1.9845 fires,
        # (5.3 − 6) / 0.357771 = −1.9566 does not.
        custom = SignalSettings(reference_sd=0.8, reliability=0.9)
        fired = of_kind(detect(scored(6.0, 6.0, 6.0, 5.29), custom), SignalKind.RELIABLE_DROP)
        quiet = of_kind(detect(scored(6.0, 6.0, 6.0, 5.3), custom), SignalKind.RELIABLE_DROP)
        assert fired[0].detail["s_diff"] == pytest.approx(0.357771, abs=1e-6)
        assert quiet == []

    def test_a_rise_never_fires(self) -> None:
        assert of_kind(detect(scored(3.0, 3.0, 3.0, 7.0)), SignalKind.RELIABLE_DROP) == []


# ---------------------------------------------------------------------------------------------
# (c) Rupture-repair dips
# ---------------------------------------------------------------------------------------------


class TestRuptureRepair:
    FLAT = (6.0, 6.0, 6.0, 6.0)  # mean 6.0, within SD 0 → SD used is the reference 1.0

    def test_score_exactly_one_sd_below_is_a_1sd_dip(self) -> None:
        (signal,) = of_kind(detect(scored(*self.FLAT, 5.0)), *RUPTURE)
        assert signal.kind is SignalKind.RUPTURE_REPAIR_1SD
        assert signal.severity is Severity.MEDIUM
        assert signal.detail["depth_sd"] == pytest.approx(1.0)

    def test_score_just_above_one_sd_below_is_not_a_dip(self) -> None:
        assert of_kind(detect(scored(*self.FLAT, 5.01)), *RUPTURE) == []

    def test_score_exactly_two_sd_below_is_only_a_2sd_dip(self) -> None:
        signals = of_kind(detect(scored(*self.FLAT, 4.0)), *RUPTURE)
        assert [(s.kind, s.severity) for s in signals] == [
            (SignalKind.RUPTURE_REPAIR_2SD, Severity.HIGH)
        ]

    def test_score_just_above_two_sd_below_is_a_1sd_dip(self) -> None:
        (signal,) = of_kind(detect(scored(*self.FLAT, 4.01)), *RUPTURE)
        assert signal.kind is SignalKind.RUPTURE_REPAIR_1SD

    def test_needs_dip_min_history_previous_scores(self) -> None:
        assert of_kind(detect(scored(6.0, 6.0, 6.0, 3.0)), *RUPTURE) == []

    def test_uses_within_person_sd_when_it_is_larger(self) -> None:
        # History 4, 6, 4, 6, 4, 6: mean 5.0, SD √((6 · 1) / 5) = 1.095445 > 1.0.
        # 3.9 is 1.1 below (≥ 1.0954, a dip); 3.91 is 1.09 below (not, though ≥ 1.0).
        history = (4.0, 6.0, 4.0, 6.0, 4.0, 6.0)
        (signal,) = of_kind(detect(scored(*history, 3.9)), *RUPTURE)
        assert signal.detail["sd"] == pytest.approx(1.095445, abs=1e-6)
        assert signal.detail["sd_within"] == pytest.approx(1.095445, abs=1e-6)
        assert of_kind(detect(scored(*history, 3.91)), *RUPTURE) == []

    def test_reference_sd_keeps_tiny_wobbles_in_stable_series_quiet(self) -> None:
        # History 6.0, 6.2, 5.8, 6.0: mean 6.0, within SD √(0.08 / 3) = 0.1633. 5.2 is 4.9
        # within-person SDs below, but only 0.8 reference SDs: no dip.
        assert of_kind(detect(scored(6.0, 6.2, 5.8, 6.0, 5.2)), *RUPTURE) == []

    def test_detail_and_summary_of_an_open_dip(self) -> None:
        (signal,) = of_kind(detect(scored(*self.FLAT, 4.5)), *RUPTURE)
        assert signal.detail == {
            "score": 4.5,
            "mean": 6.0,
            "sd": 1.0,
            "sd_within": 0.0,
            "history_n": 4,
            "depth_sd": 1.5,
            "repair_threshold": 5.0,
            "repair_by_index": 11,
            "repaired_index": None,
            "repair_status": "open",
        }
        assert signal.summary == (
            "Alliance 4.5 is 1.5 SD below this client's mean of 6.0 (SD 1.00, from 4 earlier "
            "check-ins); not back within 1 SD yet."
        )

    def test_repair_is_the_first_later_score_back_within_one_sd(self) -> None:
        # Dip 4.5 at session 5; 4.8 at 6 is still below 6 − 1 = 5.0; 5.2 at 7 is back.
        (signal,) = of_kind(detect(scored(*self.FLAT, 4.5, 4.8, 5.2, 6.0)), *RUPTURE)
        assert signal.index == 5
        assert signal.detail["repaired_index"] == 7
        assert signal.detail["repair_status"] == "repaired"
        assert signal.summary.endswith("; back within 1 SD at session 7.")

    def test_score_exactly_at_the_repair_threshold_counts_as_repair(self) -> None:
        (signal,) = of_kind(detect(scored(*self.FLAT, 4.5, 5.0)), *RUPTURE)
        assert signal.detail["repaired_index"] == 6

    def test_score_just_below_the_repair_threshold_is_no_repair(self) -> None:
        (signal,) = of_kind(detect(scored(*self.FLAT, 4.5, 4.99)), *RUPTURE)
        assert signal.detail["repaired_index"] is None

    def test_return_at_the_last_session_of_the_repair_window_counts(self) -> None:
        # Dip at session 5, window 6 sessions: session 11 is the last that counts.
        points = at(s1=6.0, s2=6.0, s3=6.0, s4=6.0, s5=4.5, s11=5.5)
        (signal,) = of_kind(detect(points), *RUPTURE)
        assert signal.detail["repaired_index"] == 11

    def test_return_after_the_repair_window_is_not_a_repair(self) -> None:
        points = at(s1=6.0, s2=6.0, s3=6.0, s4=6.0, s5=4.5, s12=5.5)
        (signal,) = of_kind(detect(points), *RUPTURE)
        assert signal.detail["repaired_index"] is None
        assert signal.detail["repair_status"] == "not_repaired"
        assert signal.summary.endswith("; not back within 1 SD by session 11.")

    def test_repair_window_is_a_setting(self) -> None:
        points = at(s1=6.0, s2=6.0, s3=6.0, s4=6.0, s5=4.5, s8=5.5)
        (signal,) = of_kind(detect(points, SignalSettings(repair_window=2)), *RUPTURE)
        assert signal.detail["repaired_index"] is None

    def test_later_dip_does_not_change_an_earlier_dip(self) -> None:
        # Real time: the dip at session 5 is judged on sessions 1–4 only, whatever follows.
        before = of_kind(detect(scored(*self.FLAT, 4.5)), *RUPTURE)
        after = of_kind(detect(scored(*self.FLAT, 4.5, 1.0)), *RUPTURE)
        assert after[0] == before[0]
        assert [s.index for s in after] == [5, 6]

    def test_dip_joins_the_history_of_later_sessions(self) -> None:
        # At session 6 the history is 6, 6, 6, 6, 4.5: mean 5.7, SD √(1.8 / 4) = 0.6708 →
        # SD used 1.0; 4.8 is 0.9 below: no second dip.
        points = scored(*self.FLAT, 4.5, 4.8)
        assert [s.index for s in of_kind(detect(points), *RUPTURE)] == [5]


# ---------------------------------------------------------------------------------------------
# (d) Sudden loss
# ---------------------------------------------------------------------------------------------


class TestSuddenLoss:
    def test_flat_drop_is_confirmed_by_the_second_post_session(self) -> None:
        # Sessions 3 → 4: d = 2.0 ≥ 1.0735 and ≥ 0.25 · 6 = 1.5. Pre 6, 6, 6 (mean 6.0),
        # post 4, 4 (mean 4.0), pooled SD 0, df = 3 + 2 − 2 = 3: 2.0 > 3.182 · 0.
        (signal,) = of_kind(detect(scored(6.0, 6.0, 6.0, 4.0, 4.0)), SignalKind.SUDDEN_LOSS)
        assert (signal.key, signal.index, signal.severity) == ("s4", 4, Severity.HIGH)
        assert signal.detail == {
            "score_before": 6.0,
            "score_after": 4.0,
            "drop": 2.0,
            "cutoff": pytest.approx(1.073537, abs=1e-6),
            "fraction": 0.25,
            "sessions_between": 0,
            "pre_sessions": "1, 2, 3",
            "post_sessions": "4, 5",
            "pre_mean": 6.0,
            "post_mean": 4.0,
            "pre_sd": 0.0,
            "post_sd": 0.0,
            "pooled_sd": 0.0,
            "df": 3,
            "t_crit": 3.182,
            "confirmed_index": 5,
        }

    def test_summary_names_the_sessions_used(self) -> None:
        (signal,) = of_kind(detect(scored(6.0, 6.0, 6.0, 4.0, 4.0)), SignalKind.SUDDEN_LOSS)
        assert signal.summary == (
            "Alliance fell from 6.0 at session 3 to 4.0 at session 4 (2.0 points, 33 % of the "
            "earlier score) and stayed low: mean 4.0 over sessions 4, 5 against 6.0 over "
            "sessions 1, 2, 3."
        )

    def test_not_reported_before_a_second_post_session(self) -> None:
        assert of_kind(detect(scored(6.0, 6.0, 6.0, 4.0)), SignalKind.SUDDEN_LOSS) == []

    def test_third_post_session_can_confirm_what_two_could_not(self) -> None:
        # Pre 6.0, 5.5, 6.5: mean 6.0, variance 0.25. Drop 6.5 → 4.0 = 2.5.
        # Post 4.0, 5.0: mean 4.5, var 0.5, s_p = √((0.5 + 0.5) / 3) = 0.57735,
        #   3.182 · 0.57735 = 1.8371 > 1.5: not yet.
        # Post 4.0, 5.0, 4.0: mean 4.3333, var 0.33333, s_p = √((0.5 + 0.66667) / 4) = 0.540062,
        #   2.776 · 0.540062 = 1.4992 < 1.66667: confirmed at session 6.
        points = scored(6.0, 5.5, 6.5, 4.0, 5.0, 4.0)
        assert of_kind(detect(points[:5]), SignalKind.SUDDEN_LOSS) == []
        (signal,) = of_kind(detect(points), SignalKind.SUDDEN_LOSS)
        assert signal.index == 4
        assert signal.detail["confirmed_index"] == 6
        assert signal.detail["df"] == 4
        assert signal.detail["t_crit"] == 2.776
        assert signal.detail["pooled_sd"] == pytest.approx(0.540062, abs=1e-6)
        assert signal.detail["post_mean"] == pytest.approx(4.333333, abs=1e-6)

    def test_confirmed_loss_keeps_its_detail_after_later_sessions(self) -> None:
        early = of_kind(detect(scored(6.0, 6.0, 6.0, 4.0, 4.0)), SignalKind.SUDDEN_LOSS)
        late = of_kind(detect(scored(6.0, 6.0, 6.0, 4.0, 4.0, 7.0, 7.0)), SignalKind.SUDDEN_LOSS)
        assert late == early

    def test_criterion_3_fails_when_the_drop_does_not_last(self) -> None:
        # Post 4.0, 6.0: mean 5.0, var 2.0, s_p = √(2 / 3) = 0.8165, 3.182 · 0.8165 = 2.598 > 1.0.
        assert of_kind(detect(scored(6.0, 6.0, 6.0, 4.0, 6.0)), SignalKind.SUDDEN_LOSS) == []

    def test_default_cutoff_is_the_reliable_change_threshold(self) -> None:
        # From 3.0 (criterion 2 needs only 0.75): 3.0 − 1.92 = 1.08 ≥ 1.0735 fires,
        # 3.0 − 1.93 = 1.07 does not.
        fired = of_kind(detect(scored(3.0, 3.0, 3.0, 1.92, 1.92)), SignalKind.SUDDEN_LOSS)
        quiet = of_kind(detect(scored(3.0, 3.0, 3.0, 1.93, 1.93)), SignalKind.SUDDEN_LOSS)
        assert [s.index for s in fired] == [4]
        assert quiet == []

    def test_explicit_cutoff_is_inclusive(self) -> None:
        custom = SignalSettings(sudden_cutoff=2.0)
        fired = detect(scored(6.0, 6.0, 6.0, 4.0, 4.0), custom)
        quiet = detect(scored(6.0, 6.0, 6.0, 4.01, 4.01), custom)
        assert len(of_kind(fired, SignalKind.SUDDEN_LOSS)) == 1
        assert of_kind(quiet, SignalKind.SUDDEN_LOSS) == []

    def test_criterion_2_is_inclusive_at_a_quarter_of_the_score(self) -> None:
        # 0.25 · 6.0 = 1.5 = 6.0 − 4.5 fires; 6.0 − 4.51 = 1.49 does not.
        fired = of_kind(detect(scored(6.0, 6.0, 6.0, 4.5, 4.5)), SignalKind.SUDDEN_LOSS)
        quiet = of_kind(detect(scored(6.0, 6.0, 6.0, 4.51, 4.51)), SignalKind.SUDDEN_LOSS)
        assert len(fired) == 1
        assert quiet == []

    def test_missing_pre_session_lowers_df(self) -> None:
        # Session 2 has no check-in: pre = sessions 1, 3 (n1 = 2), post 4, 5 → df 2, t 4.303.
        points = at(s1=6.0, s3=6.0, s4=4.0, s5=4.0)
        (signal,) = of_kind(detect(points), SignalKind.SUDDEN_LOSS)
        assert signal.detail["pre_sessions"] == "1, 3"
        assert (signal.detail["df"], signal.detail["t_crit"]) == (2, 4.303)

    def test_unscored_pre_session_counts_as_missing(self) -> None:
        points = scored(6.0, None, 6.0, 4.0, 4.0)
        (signal,) = of_kind(detect(points), SignalKind.SUDDEN_LOSS)
        assert signal.detail["pre_sessions"] == "1, 3"

    def test_needs_two_scored_pre_sessions_within_the_window(self) -> None:
        # Pre window of session 4 is sessions 2–4; only session 4 is scored (n1 = 1).
        points = at(s1=6.0, s4=6.0, s5=4.0, s6=4.0, s7=4.0)
        assert of_kind(detect(points), SignalKind.SUDDEN_LOSS) == []

    def test_needs_a_pre_session_before_the_drop(self) -> None:
        assert of_kind(detect(scored(6.0, 4.0, 4.0, 4.0)), SignalKind.SUDDEN_LOSS) == []

    def test_missing_post_session_lowers_df(self) -> None:
        # Post window of session 4 is sessions 4–6; session 5 is missing: post = 4, 6.
        points = at(s1=6.0, s2=6.0, s3=6.0, s4=4.0, s6=4.0, s7=4.0)
        (signal,) = of_kind(detect(points), SignalKind.SUDDEN_LOSS)
        assert signal.detail["post_sessions"] == "4, 6"
        assert signal.detail["confirmed_index"] == 6
        assert signal.detail["df"] == 3

    def test_second_post_session_outside_the_window_never_confirms(self) -> None:
        points = at(s1=6.0, s2=6.0, s3=6.0, s4=4.0, s7=4.0, s8=4.0)
        assert of_kind(detect(points), SignalKind.SUDDEN_LOSS) == []

    def test_drop_across_a_session_without_check_in_is_tested(self) -> None:
        # Scored sessions 3 and 5 are consecutive in the scored series.
        points = at(s1=6.0, s2=6.0, s3=6.0, s5=4.0, s6=4.0)
        (signal,) = of_kind(detect(points), SignalKind.SUDDEN_LOSS)
        assert (signal.key, signal.index) == ("s5", 5)
        assert signal.detail["sessions_between"] == 1

    def test_critical_t_comes_from_the_settings(self) -> None:
        # The 3-session case above passes 2.776 · 0.540062 = 1.4992 < 1.6667 but not 4.0 · it.
        strict = SignalSettings(sudden_alpha_t={2: 9.0, 3: 9.0, 4: 4.0})
        points = scored(6.0, 5.5, 6.5, 4.0, 5.0, 4.0)
        assert of_kind(detect(points, strict), SignalKind.SUDDEN_LOSS) == []

    def test_a_sudden_rise_is_not_a_loss(self) -> None:
        assert of_kind(detect(scored(2.0, 2.0, 2.0, 6.0, 6.0)), SignalKind.SUDDEN_LOSS) == []


# ---------------------------------------------------------------------------------------------
# (e) Weak early alliance
# ---------------------------------------------------------------------------------------------


class TestWeakEarly:
    def test_fires_once_at_the_first_low_running_mean(self) -> None:
        # Running means 4.5, (4.5 + 3.0) / 2 = 3.75 (fires), then no second signal.
        signals = of_kind(detect(scored(4.5, 3.0, 4.0)), SignalKind.WEAK_EARLY)
        assert signals == [
            Signal(
                kind=SignalKind.WEAK_EARLY,
                key="s2",
                index=2,
                severity=Severity.MEDIUM,
                summary="Early alliance is low: mean 3.75 over the first 2 check-ins, below 4.0.",
                detail={"mean": 3.75, "n": 2, "threshold": 4.0, "early_sessions": 3},
            )
        ]

    def test_mean_exactly_at_the_threshold_does_not_fire(self) -> None:
        assert of_kind(detect(scored(4.0, 4.0, 4.0)), SignalKind.WEAK_EARLY) == []

    def test_mean_just_below_the_threshold_fires_at_the_first_session(self) -> None:
        (signal,) = of_kind(detect(scored(3.99)), SignalKind.WEAK_EARLY)
        assert signal.index == 1
        assert signal.summary == (
            "Early alliance is low: mean 3.99 over the first check-in, below 4.0."
        )

    def test_sessions_after_the_early_ones_do_not_count(self) -> None:
        # Session 4 is not early: the early mean stays 5.0.
        assert of_kind(detect(scored(5.0, 5.0, 5.0, 1.0)), SignalKind.WEAK_EARLY) == []

    def test_no_signal_when_the_first_check_in_is_after_the_early_sessions(self) -> None:
        assert of_kind(detect(at(s4=2.0, s5=2.0)), SignalKind.WEAK_EARLY) == []

    def test_missing_first_session_still_counts_the_early_ones(self) -> None:
        (signal,) = of_kind(detect(at(s2=3.5, s3=5.0)), SignalKind.WEAK_EARLY)
        assert (signal.index, signal.detail["n"]) == (2, 1)

    def test_unscored_early_check_ins_are_skipped(self) -> None:
        (signal,) = of_kind(detect(scored(None, 4.5, 3.0)), SignalKind.WEAK_EARLY)
        # Mean of 4.5 and 3.0 = 3.75 over two scored check-ins.
        assert (signal.index, signal.detail["n"]) == (3, 2)

    def test_early_sessions_and_threshold_are_settings(self) -> None:
        custom = SignalSettings(early_sessions=4, early_threshold=5.0)
        (signal,) = of_kind(detect(scored(5.0, 5.0, 5.0, 4.6), custom), SignalKind.WEAK_EARLY)
        # (15 + 4.6) / 4 = 4.9 < 5.0
        assert signal.index == 4
        assert signal.detail["mean"] == pytest.approx(4.9)


# ---------------------------------------------------------------------------------------------
# Whole series
# ---------------------------------------------------------------------------------------------


class TestDetect:
    def test_empty_series_gives_no_signals(self) -> None:
        assert detect([]) == []

    def test_two_check_ins_are_too_few_for_the_history_rules(self) -> None:
        assert detect(scored(6.0, 4.5)) == []

    def test_signals_are_ordered_by_session_then_kind(self) -> None:
        points = scored(6.0, 6.0, 6.0, 6.0, 6.0, 3.0, 3.0)
        points[5] = CheckinPoint(key="s6", index=6, alliance=3.0, tension=2)
        assert [(s.index, s.kind) for s in detect(points)] == [
            (6, SignalKind.CLIENT_REPORTED),
            (6, SignalKind.RELIABLE_DROP),
            (6, SignalKind.RUPTURE_REPAIR_2SD),
            (6, SignalKind.SUDDEN_LOSS),
            # Session 7: baseline (6 · 4 + 3) / 5 = 5.4, RCI −2.4 / 0.5477 = −4.38; history
            # mean 5.5, SD √1.5 = 1.2247, 3.0 is 2.04 SD below.
            (7, SignalKind.RELIABLE_DROP),
            (7, SignalKind.RUPTURE_REPAIR_2SD),
        ]

    def test_is_deterministic(self) -> None:
        points = synthetic_series(random.Random(7), 60)
        assert detect(points) == detect(points)

    def test_accepts_a_tuple(self) -> None:
        assert detect(tuple(scored(6.0, 6.0, 6.0, 4.9))) == detect(scored(6.0, 6.0, 6.0, 4.9))

    def test_signals_are_hashable_by_value(self) -> None:
        signals = detect(scored(6.0, 6.0, 6.0, 6.0, 4.0, 4.0))
        assert len(set(signals)) == len(signals)


class TestRealTime:
    def test_every_prefix_gives_a_subset_of_the_next(self) -> None:
        points = synthetic_series(random.Random(11), 120)
        assert_prefix_monotone(points)

    @settings(max_examples=150, deadline=None)
    @given(st.data())
    def test_prefix_monotone_for_random_series(self, data: st.DataObject) -> None:
        seed = data.draw(st.integers(min_value=0, max_value=2**32 - 1))
        length = data.draw(st.integers(min_value=0, max_value=40))
        assert_prefix_monotone(synthetic_series(random.Random(seed), length))

    @settings(max_examples=100, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=3),
                st.one_of(st.none(), st.integers(min_value=3, max_value=21).map(lambda k: k / 3)),
                st.integers(min_value=0, max_value=4),
            ),
            max_size=30,
        )
    )
    def test_prefix_monotone_for_arbitrary_points(
        self, rows: list[tuple[int, float | None, int]]
    ) -> None:
        points = []
        index = 0
        for step, score, level in rows:
            index += step
            points.append(CheckinPoint(key=index, index=index, alliance=score, tension=level))
        assert_prefix_monotone(points)

    @settings(max_examples=150, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=3),
                st.one_of(st.none(), st.integers(min_value=3, max_value=21).map(lambda k: k / 3)),
                st.integers(min_value=0, max_value=4),
                st.one_of(st.none(), st.integers(min_value=0, max_value=4)),
                st.one_of(st.none(), st.integers(min_value=0, max_value=2)),
            ),
            min_size=1,
            max_size=30,
        )
    )
    def test_latest_is_detect_filtered_to_the_last_point(
        self, rows: list[tuple[int, float | None, int, int | None, int | None]]
    ) -> None:
        # detect_for_latest skips the client-reported rule before the last point: what it
        # returns must still be exactly detect's signals that the last point makes new.
        points, index = [], 0
        for step, score, level, resolved, talked in rows:
            index += step
            points.append(
                CheckinPoint(
                    key=index,
                    index=index,
                    alliance=score,
                    tension=level,
                    resolved=resolved if level else None,
                    talked=talked,
                )
            )
        last = points[-1].index
        expected = [
            signal
            for signal in detect(points)
            if signal.index == last
            or (signal.kind is SignalKind.SUDDEN_LOSS and signal.detail["confirmed_index"] == last)
        ]
        assert detect_for_latest(points) == expected

    def test_latest_returns_signals_keyed_on_the_last_point(self) -> None:
        points = scored(6.0, 6.0, 6.0, 6.0, 4.9)
        assert [(s.index, s.kind) for s in detect_for_latest(points)] == [
            (5, SignalKind.RELIABLE_DROP),
            (5, SignalKind.RUPTURE_REPAIR_1SD),
        ]

    def test_latest_returns_a_sudden_loss_it_confirms(self) -> None:
        # The loss belongs to session 4 but is confirmed by session 5. Session 5 itself is a
        # reliable drop (baseline 5.5, RCI −2.74) and a 1 SD dip (mean 5.5, SD 1.0).
        points = scored(6.0, 6.0, 6.0, 4.0, 4.0)
        assert [(s.index, s.kind) for s in detect_for_latest(points)] == [
            (4, SignalKind.SUDDEN_LOSS),
            (5, SignalKind.RELIABLE_DROP),
            (5, SignalKind.RUPTURE_REPAIR_1SD),
        ]

    def test_latest_leaves_out_earlier_signals(self) -> None:
        points = scored(6.0, 6.0, 6.0, 6.0, 4.9, 6.0)
        assert detect_for_latest(points) == []

    def test_latest_of_an_empty_series_is_empty(self) -> None:
        assert detect_for_latest([]) == []

    def test_latest_over_all_prefixes_adds_up_to_detect(self) -> None:
        points = synthetic_series(random.Random(3), 100)
        union = {
            (s.key, s.kind)
            for k in range(1, len(points) + 1)
            for s in detect_for_latest(points[:k])
        }
        assert union == {(s.key, s.kind) for s in detect(points)}


def assert_prefix_monotone(points: list[CheckinPoint]) -> None:
    earlier = detect([])
    for k in range(1, len(points) + 1):
        later = detect(points[:k])
        later_ids = {(s.key, s.kind): s for s in later}
        for signal in earlier:
            match = later_ids.get((signal.key, signal.kind))
            assert match is not None, f"{signal} vanished at prefix {k}"
            if signal.kind not in RUPTURE:
                assert match == signal
            else:
                # Only the repair may be filled in later.
                assert match.severity == signal.severity
                assert {**match.detail, **REPAIR_BLANK} == {**signal.detail, **REPAIR_BLANK}
        earlier = later


REPAIR_BLANK = {"repaired_index": None, "repair_status": None}


def synthetic_series(rng: random.Random, length: int) -> list[CheckinPoint]:
    """A noisy series with dips, drops, missed sessions and some tension reports."""
    level = rng.uniform(3.5, 6.5)
    points = []
    index = 0
    for _ in range(length):
        index += 1 if rng.random() > 0.1 else 2
        if rng.random() < 0.08:
            level = max(1.0, min(7.0, level + rng.choice((-2.5, -1.5, 1.5))))
        dip = rng.choice((0.0, 0.0, 0.0, 0.0, 0.0, -1.5, -3.0))
        raw = level + dip + rng.gauss(0.0, 0.4)
        score = None if rng.random() < 0.05 else round(max(1.0, min(7.0, raw)) * 3) / 3
        level_of_tension = rng.choice((0, 0, 0, 0, 1, 2, 3, 4))
        points.append(
            CheckinPoint(
                key=f"s{index}",
                index=index,
                alliance=score,
                tension=level_of_tension,
                resolved=rng.randint(0, 4) if level_of_tension else None,
                talked=rng.choice((None, 0, 1, 2)),
            )
        )
    return points


# ---------------------------------------------------------------------------------------------
# Against a naive reference
# ---------------------------------------------------------------------------------------------
#
# `detect` filters sessions over running sums for speed. The reference below applies each rule
# straight from its definition with the statistics module, one session at a time, so that the
# two can be compared on many random series. Scores are continuous so that no session sits
# exactly on a threshold, where the two ways of adding up could round differently.


def naive_detect(
    points: list[CheckinPoint], s: SignalSettings
) -> dict[tuple[object, SignalKind], tuple[Severity, object]]:
    """(key, kind) → (severity, the repair or confirmation index) by the rules as written."""
    found: dict[tuple[object, SignalKind], tuple[Severity, object]] = {}
    for p in points:
        if p.tension is not None and p.tension >= s.tension_min:
            resolved, talked = p.resolved, p.talked
            if p.tension >= s.tension_high or (
                resolved is not None and resolved <= 1 and talked == 0
            ):
                severity = Severity.HIGH
            elif talked == 2 and resolved is not None and resolved >= 3:
                severity = Severity.LOW
            else:
                severity = Severity.MEDIUM
            found[(p.key, SignalKind.CLIENT_REPORTED)] = (severity, None)
    sc = [p for p in points if p.alliance is not None]
    x = [float(p.alliance) for p in sc]  # type: ignore[arg-type]
    s_diff = s.reference_sd * math.sqrt(2 * (1 - s.reliability))
    for j, p in enumerate(sc):
        recent = x[max(0, j - s.baseline_window) : j]
        if len(recent) >= s.baseline_min:
            rci = (x[j] - statistics.fmean(recent)) / s_diff
            if rci <= -s.rci_z:
                severity = Severity.HIGH if rci <= -2 * s.rci_z else Severity.MEDIUM
                found[(p.key, SignalKind.RELIABLE_DROP)] = (severity, None)
        history = x[:j]
        if len(history) >= s.dip_min_history:
            mean = statistics.fmean(history)
            sd = max(statistics.stdev(history), s.reference_sd)
            if x[j] <= mean - sd:
                repaired = next(
                    (
                        q.index
                        for q, value in zip(sc[j + 1 :], x[j + 1 :], strict=True)
                        if q.index <= p.index + s.repair_window and value >= mean - sd
                    ),
                    None,
                )
                if x[j] <= mean - 2 * sd:
                    found[(p.key, SignalKind.RUPTURE_REPAIR_2SD)] = (Severity.HIGH, repaired)
                else:
                    found[(p.key, SignalKind.RUPTURE_REPAIR_1SD)] = (Severity.MEDIUM, repaired)
    early = [value for p, value in zip(sc, x, strict=True) if p.index <= s.early_sessions]
    for j in range(len(early)):
        if statistics.fmean(early[: j + 1]) < s.early_threshold:
            found[(sc[j].key, SignalKind.WEAK_EARLY)] = (Severity.MEDIUM, None)
            break
    cutoff = s.sudden_cutoff if s.sudden_cutoff is not None else s.rci_z * s_diff
    for n in range(len(sc) - 1):
        d = x[n] - x[n + 1]
        if d < cutoff or d < s.sudden_fraction * x[n]:
            continue
        first, last = sc[n].index, sc[n + 1].index
        pre = [v for p, v in zip(sc, x, strict=True) if first - 2 <= p.index <= first]
        window = [(p, v) for p, v in zip(sc, x, strict=True) if last <= p.index <= last + 2]
        for size in (2, 3):
            post = [v for _, v in window[:size]]
            if len(pre) < 2 or len(post) < size:
                break
            n1, n2 = len(pre), len(post)
            pooled = math.sqrt(
                ((n1 - 1) * statistics.variance(pre) + (n2 - 1) * statistics.variance(post))
                / (n1 + n2 - 2)
            )
            t = s.sudden_alpha_t[n1 + n2 - 2]
            if statistics.fmean(pre) - statistics.fmean(post) > t * pooled:
                found[(sc[n + 1].key, SignalKind.SUDDEN_LOSS)] = (
                    Severity.HIGH,
                    window[size - 1][0].index,
                )
                break
    return found


def continuous_series(rng: random.Random, length: int) -> list[CheckinPoint]:
    """Like `synthetic_series`, with unrounded scores and more missed sessions."""
    level = rng.uniform(3.0, 6.5)
    points = []
    index = 0
    for _ in range(length):
        index += rng.choice((1, 1, 1, 1, 2, 3))
        if rng.random() < 0.1:
            level = min(6.8, max(1.5, level + rng.uniform(-3.0, 1.5)))
        dip = rng.choice((0.0, 0.0, 0.0, 0.0, rng.uniform(0.5, 3.0)))
        score = min(7.0, max(1.0, level - dip + rng.gauss(0.0, rng.uniform(0.1, 0.7))))
        level_of_tension = rng.choice((None, 0, 0, 1, 2, 3, 4))
        points.append(
            CheckinPoint(
                key=index,
                index=index,
                alliance=None if rng.random() < 0.08 else score,
                tension=level_of_tension,
                resolved=rng.randint(0, 4) if level_of_tension else None,
                talked=rng.choice((None, 0, 1, 2)),
            )
        )
    return points


def summarised(signals: list[Signal]) -> dict[tuple[object, SignalKind], tuple[Severity, object]]:
    return {
        (s.key, s.kind): (
            s.severity,
            s.detail.get("repaired_index", s.detail.get("confirmed_index")),
        )
        for s in signals
    }


ORACLE_SETTINGS = [
    DEFAULT_SETTINGS,
    SignalSettings(
        baseline_window=3,
        baseline_min=2,
        reference_sd=0.5,
        reliability=0.7,
        dip_min_history=2,
        repair_window=3,
        sudden_fraction=0.1,
        early_sessions=5,
        early_threshold=5.0,
        tension_min=2,
        tension_high=4,
    ),
    SignalSettings(reference_sd=0.3, sudden_cutoff=0.5, sudden_fraction=0.0, rci_z=1.645),
]


@pytest.mark.parametrize("case", range(len(ORACLE_SETTINGS)))
def test_detect_agrees_with_the_naive_reference(case: int) -> None:
    rules = ORACLE_SETTINGS[case]
    rng = random.Random(100 + case)
    fired: Counter[SignalKind] = Counter()
    for _ in range(300):
        points = continuous_series(rng, rng.randint(0, 60))
        signals = detect(points, rules)
        assert summarised(signals) == naive_detect(points, rules)
        assert signals == sorted(signals, key=lambda s: (s.index, KIND_ORDER.index(s.kind)))
        fired.update(s.kind for s in signals)
    # The comparison means something only if every rule fired along the way.
    assert set(fired) == set(SignalKind)


# ---------------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------------


class TestInvalidInput:
    def test_unsorted_indices(self) -> None:
        with pytest.raises(ValueError) as error:
            detect(at(s1=6.0, s3=6.0) + at(s2=6.0))
        assert str(error.value) == (
            "points must be sorted by index: points[2] has index 2 after index 3"
        )

    def test_duplicate_index(self) -> None:
        with pytest.raises(ValueError) as error:
            detect(scored(6.0, 6.0) + scored(6.0, start=2))
        assert str(error.value) == "points[2]: duplicate index 2"

    def test_index_zero(self) -> None:
        with pytest.raises(ValueError) as error:
            detect(scored(6.0, start=0))
        assert str(error.value) == "points[0]: index must be a positive integer, got 0"

    def test_index_that_is_not_an_integer(self) -> None:
        points = [CheckinPoint(key="a", index=1.0, alliance=6.0)]  # type: ignore[arg-type]
        with pytest.raises(ValueError) as error:
            detect(points)
        assert str(error.value) == "points[0]: index must be a positive integer, got 1.0"

    @pytest.mark.parametrize("score", [0.99, 7.01, math.nan])
    def test_alliance_outside_the_scale(self, score: float) -> None:
        with pytest.raises(ValueError) as error:
            detect(scored(6.0, score))
        assert str(error.value) == (
            f"points[1] (index 2): alliance must be between 1 and 7, got {score!r}"
        )

    def test_alliance_at_both_ends_of_the_scale_is_accepted(self) -> None:
        assert detect(scored(1.0, 7.0)) == [
            Signal(
                kind=SignalKind.WEAK_EARLY,
                key="s1",
                index=1,
                severity=Severity.MEDIUM,
                summary="Early alliance is low: mean 1.00 over the first check-in, below 4.0.",
                detail={"mean": 1.0, "n": 1, "threshold": 4.0, "early_sessions": 3},
            )
        ]

    @pytest.mark.parametrize("level", [-1, 5])
    def test_tension_outside_0_to_4(self, level: int) -> None:
        with pytest.raises(ValueError) as error:
            detect(tension(level))
        assert str(error.value) == (
            f"points[0] (index 1): tension must be an integer from 0 to 4, got {level}"
        )

    def test_resolved_outside_0_to_4(self) -> None:
        with pytest.raises(ValueError) as error:
            detect(tension(2, resolved=5))
        assert str(error.value) == (
            "points[0] (index 1): resolved must be an integer from 0 to 4, got 5"
        )

    def test_resolved_without_tension(self) -> None:
        with pytest.raises(ValueError) as error:
            detect(tension(0, resolved=2))
        assert str(error.value) == (
            "points[0] (index 1): resolved is only asked when tension is at least 1, "
            "got resolved=2 with tension=0"
        )

    def test_talked_outside_0_to_2(self) -> None:
        with pytest.raises(ValueError) as error:
            detect(tension(2, talked=3))
        assert str(error.value) == "points[0] (index 1): talked must be 0, 1 or 2, got 3"

    def test_detect_for_latest_validates_too(self) -> None:
        with pytest.raises(ValueError, match="duplicate index 1"):
            detect_for_latest(scored(6.0) + scored(6.0))


# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------


class TestSettings:
    def test_defaults(self) -> None:
        assert SignalSettings() == DEFAULT_SETTINGS
        assert dict(DEFAULT_SETTINGS.sudden_alpha_t) == {2: 4.303, 3: 3.182, 4: 2.776}

    def test_s_diff_of_the_defaults(self) -> None:
        # 1.0 · √2 · √0.15 = 0.547723
        assert DEFAULT_SETTINGS.s_diff == pytest.approx(S_DIFF)
        assert DEFAULT_SETTINGS.s_diff == pytest.approx(0.547723, abs=1e-6)

    def test_sudden_threshold_defaults_to_reliable_change(self) -> None:
        # 1.96 · 0.547723 = 1.073537
        assert DEFAULT_SETTINGS.sudden_threshold == pytest.approx(1.073537, abs=1e-6)

    def test_sudden_threshold_uses_an_explicit_cutoff(self) -> None:
        assert SignalSettings(sudden_cutoff=1.5).sudden_threshold == 1.5

    def test_settings_are_hashable(self) -> None:
        assert hash(SignalSettings()) == hash(SignalSettings())

    def test_from_mapping_overrides_only_what_is_given(self) -> None:
        loaded = SignalSettings.from_mapping({"reliability": 0.9, "baseline_window": 4})
        assert loaded == SignalSettings(reliability=0.9, baseline_window=4)

    def test_from_mapping_of_nothing_gives_the_defaults(self) -> None:
        assert SignalSettings.from_mapping({}) == DEFAULT_SETTINGS

    def test_from_mapping_accepts_json_string_keys_for_critical_t(self) -> None:
        loaded = SignalSettings.from_mapping(
            {"sudden_alpha_t": {"2": 9.925, "3": 5.841, "4": 4.604}}
        )
        assert dict(loaded.sudden_alpha_t) == {2: 9.925, 3: 5.841, 4: 4.604}

    def test_from_mapping_stores_whole_numbers_as_floats(self) -> None:
        loaded = SignalSettings.from_mapping({"reference_sd": 1, "early_threshold": 4})
        assert isinstance(loaded.reference_sd, float)
        assert isinstance(loaded.early_threshold, float)

    def test_from_mapping_accepts_null_cutoff(self) -> None:
        assert SignalSettings.from_mapping({"sudden_cutoff": None}).sudden_cutoff is None

    def test_critical_t_table_cannot_be_changed_afterwards(self) -> None:
        with pytest.raises(TypeError):
            DEFAULT_SETTINGS.sudden_alpha_t[2] = 1.0  # type: ignore[index]

    def test_unknown_setting(self) -> None:
        with pytest.raises(ValueError) as error:
            SignalSettings.from_mapping({"reliabilty": 0.9})
        assert str(error.value) == (
            "unknown setting(s): 'reliabilty'; known: baseline_min, baseline_window, "
            "dip_min_history, early_sessions, early_threshold, rci_z, reference_sd, "
            "reliability, repair_window, sudden_alpha_t, sudden_cutoff, sudden_fraction, "
            "tension_high, tension_min"
        )

    def test_not_a_mapping(self) -> None:
        with pytest.raises(ValueError) as error:
            SignalSettings.from_mapping([("reliability", 0.9)])  # type: ignore[arg-type]
        assert str(error.value) == "settings must be a mapping, got list"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"reliability": 1.2}, "reliability: must be between 0 and 1 (exclusive), got 1.2"),
            ({"reliability": 0}, "reliability: must be between 0 and 1 (exclusive), got 0"),
            ({"reliability": "0.8"}, "reliability: must be a number, got '0.8'"),
            ({"reliability": True}, "reliability: must be a number, got True"),
            ({"reference_sd": 0.0}, "reference_sd: must be greater than 0, got 0.0"),
            ({"reference_sd": math.inf}, "reference_sd: must be a finite number, got inf"),
            ({"rci_z": -1.96}, "rci_z: must be greater than 0, got -1.96"),
            ({"baseline_window": 5.5}, "baseline_window: must be an integer, got 5.5"),
            ({"baseline_window": 0}, "baseline_window: must be at least 1, got 0"),
            (
                {"baseline_min": 6},
                "baseline_min: must not exceed baseline_window (5), got 6",
            ),
            ({"tension_min": 0}, "tension_min: must be between 1 and 4, got 0"),
            ({"tension_high": 5}, "tension_high: must be between 1 and 4, got 5"),
            (
                {"tension_min": 3, "tension_high": 2},
                "tension_high: must be at least tension_min (3), got 2",
            ),
            ({"dip_min_history": 1}, "dip_min_history: must be at least 2, got 1"),
            ({"repair_window": False}, "repair_window: must be an integer, got False"),
            ({"sudden_cutoff": 0}, "sudden_cutoff: must be greater than 0, got 0"),
            (
                {"sudden_fraction": 1.0},
                "sudden_fraction: must be at least 0 and below 1, got 1.0",
            ),
            (
                {"sudden_fraction": -0.1},
                "sudden_fraction: must be at least 0 and below 1, got -0.1",
            ),
            (
                {"sudden_alpha_t": {"2": 4.3, "3": 3.2}},
                "sudden_alpha_t: must give the critical t for df 2, 3 and 4 exactly, "
                "got keys [2, 3]",
            ),
            (
                {"sudden_alpha_t": {"2": 4.3, "3": 3.2, "4": -2.8}},
                "sudden_alpha_t[4]: must be greater than 0, got -2.8",
            ),
            ({"sudden_alpha_t": 2.776}, "sudden_alpha_t: must be a mapping, got float"),
            ({"early_sessions": 0}, "early_sessions: must be at least 1, got 0"),
            ({"early_threshold": 7.5}, "early_threshold: must be between 1 and 7, got 7.5"),
        ],
    )
    def test_bad_values_are_named_in_the_error(self, data: dict[str, object], message: str) -> None:
        with pytest.raises(ValueError) as error:
            SignalSettings.from_mapping(data)
        assert str(error.value) == message

    def test_direct_construction_is_validated_too(self) -> None:
        with pytest.raises(ValueError, match=r"^reliability: must be between 0 and 1"):
            SignalSettings(reliability=1.0)


class TestSeverity:
    @pytest.mark.parametrize(
        ("severity", "label"),
        [(Severity.LOW, "low"), (Severity.MEDIUM, "medium"), (Severity.HIGH, "high")],
    )
    def test_label(self, severity: Severity, label: str) -> None:
        assert severity.label == label

    def test_orders_by_urgency(self) -> None:
        assert Severity.LOW < Severity.MEDIUM < Severity.HIGH


# ---------------------------------------------------------------------------------------------
# Reference SD
# ---------------------------------------------------------------------------------------------


class TestReferenceSd:
    def test_sd_of_first_scored_values(self) -> None:
        # First scored values 5, 7, 6: mean 6, SD √((1 + 1 + 0) / 2) = 1.0.
        assert reference_sd_from_series([[5.0, 6.0], [None, 7.0], [6.0]]) == pytest.approx(1.0)

    def test_hand_worked_four_clients(self) -> None:
        # 4, 5, 6, 7: mean 5.5, SD √((2.25 + 0.25 + 0.25 + 2.25) / 3) = √(5 / 3) = 1.290994
        series = [[4.0, 1.0], [5.0], [6.0, 7.0], [7.0]]
        assert reference_sd_from_series(series) == pytest.approx(1.290994, abs=1e-6)

    def test_clients_without_a_scored_value_are_left_out(self) -> None:
        assert reference_sd_from_series([[], [None, None], [5.0], [7.0]]) == pytest.approx(
            math.sqrt(2.0)
        )

    def test_needs_two_clients_with_data(self) -> None:
        assert reference_sd_from_series([[5.0, 6.0], [None]]) is None

    def test_no_clients_gives_none(self) -> None:
        assert reference_sd_from_series([]) is None

    def test_identical_first_values_give_none(self) -> None:
        assert reference_sd_from_series([[5.0], [5.0, 1.0]]) is None

    def test_value_outside_the_scale(self) -> None:
        with pytest.raises(ValueError) as error:
            reference_sd_from_series([[5.0], [None, 8.0]])
        assert str(error.value) == "series[1]: alliance must be between 1 and 7, got 8.0"
