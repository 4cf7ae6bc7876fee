"""Change statistics against values worked out by hand in each test."""

from __future__ import annotations

import math
import re
import statistics

import pytest

from alliance.core.change import (
    CRITICAL_T_05,
    DEFAULT_Z,
    ChangeCategory,
    classify_change,
    clinical_cutoff_c,
    cronbach_alpha,
    is_reliable,
    mean,
    reliable_change_index,
    reliable_change_threshold,
    s_diff,
    sample_sd,
    sudden_change,
)

# sd = 5, r = 0.5 gives S_diff = 5 * sqrt(2) * sqrt(0.5) = 5 * sqrt(1) = 5 exactly, so with z = 2 a
# change must exceed 10 points: the boundary tests below sit on exact binary fractions.
EXACT = {"sd": 5.0, "reliability": 0.5}


# --- s_diff -------------------------------------------------------------------------------------


def test_s_diff_worked_example() -> None:
    # 7.5 * sqrt(2) * sqrt(1 - 0.84) = 7.5 * 1.41421356 * 0.4 = 3 * sqrt(2) = 4.24264069...
    assert s_diff(7.5, 0.84) == pytest.approx(3 * math.sqrt(2), rel=1e-12)


def test_s_diff_exact_case() -> None:
    assert s_diff(5.0, 0.5) == 5.0


def test_s_diff_with_the_checkin_defaults() -> None:
    # 1.0 * sqrt(2) * sqrt(0.15) = sqrt(0.3) = 0.54772256...
    assert s_diff(1.0, 0.85) == pytest.approx(0.5477225575051661, rel=1e-12)


@pytest.mark.parametrize("reliability", [1e-9, 1 - 1e-9])
def test_s_diff_accepts_reliability_just_inside_zero_and_one(reliability: float) -> None:
    assert s_diff(1.0, reliability) == pytest.approx(math.sqrt(2 * (1 - reliability)), rel=1e-12)


def test_s_diff_accepts_a_tiny_positive_sd() -> None:
    # 1e-9 * sqrt(2 * 0.5) = 1e-9
    assert s_diff(1e-9, 0.5) == pytest.approx(1e-9, rel=1e-12)


@pytest.mark.parametrize(
    ("sd", "message"),
    [
        (0.0, "sd: a standard deviation must be greater than 0, got 0.0"),
        (-1.0, "sd: a standard deviation must be greater than 0, got -1.0"),
        (math.nan, "sd: expected a finite number, got nan"),
        (math.inf, "sd: expected a finite number, got inf"),
    ],
)
def test_s_diff_rejects_a_bad_sd(sd: float, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        s_diff(sd, 0.8)


@pytest.mark.parametrize(
    ("reliability", "message"),
    [
        (0.0, "reliability: must be strictly between 0 and 1, got 0.0"),
        (1.0, "reliability: must be strictly between 0 and 1, got 1.0"),
        (-0.1, "reliability: must be strictly between 0 and 1, got -0.1"),
        (1.1, "reliability: must be strictly between 0 and 1, got 1.1"),
        (math.nan, "reliability: expected a finite number, got nan"),
    ],
)
def test_s_diff_rejects_a_reliability_outside_the_open_interval(
    reliability: float, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        s_diff(1.0, reliability)


def test_s_diff_rejects_a_string() -> None:
    with pytest.raises(ValueError, match=r"^sd: expected a number, got '5'$"):
        s_diff("5", 0.8)  # type: ignore[arg-type]


def test_s_diff_rejects_a_boolean() -> None:
    with pytest.raises(ValueError, match=r"^sd: expected a number, got True$"):
        s_diff(True, 0.8)


def test_s_diff_accepts_numpy_scalars() -> None:
    numpy = pytest.importorskip("numpy")
    assert s_diff(numpy.float64(5.0), numpy.float64(0.5)) == 5.0


# --- reliable change ----------------------------------------------------------------------------


def test_rci_of_an_increase_is_positive() -> None:
    # (20 - 10) / 5 = 2.0
    assert reliable_change_index(10.0, 20.0, **EXACT) == 2.0


def test_rci_of_a_decrease_is_negative() -> None:
    # (10 - 20) / 5 = -2.0
    assert reliable_change_index(20.0, 10.0, **EXACT) == -2.0


def test_rci_worked_example() -> None:
    # (10 - 20) / (3 * sqrt(2)) = -10 / 4.24264069 = -2.35702260...
    assert reliable_change_index(20.0, 10.0, sd=7.5, reliability=0.84) == pytest.approx(
        -2.3570226039551585, rel=1e-12
    )


def test_rci_of_no_change_is_zero() -> None:
    assert reliable_change_index(4.0, 4.0, **EXACT) == 0.0


def test_rci_rejects_a_missing_score() -> None:
    with pytest.raises(ValueError, match=r"^after: expected a number, got None$"):
        reliable_change_index(4.0, None, **EXACT)  # type: ignore[arg-type]


def test_rci_rejects_a_nan_score() -> None:
    with pytest.raises(ValueError, match=r"^before: expected a finite number, got nan$"):
        reliable_change_index(math.nan, 4.0, **EXACT)


def test_threshold_with_custom_z() -> None:
    # 2 * 5 = 10
    assert reliable_change_threshold(**EXACT, z=2.0) == 10.0


def test_threshold_with_default_z() -> None:
    # 1.96 * 5 = 9.8
    assert reliable_change_threshold(**EXACT) == pytest.approx(9.8, rel=1e-12)


def test_threshold_with_the_checkin_defaults() -> None:
    # 1.96 * sqrt(0.3) = 1.96 * 0.54772256 = 1.07353621...: a drop of more than about 1.07
    # points on the 1-7 alliance scale is reliable under the assumed sd and reliability.
    assert reliable_change_threshold(sd=1.0, reliability=0.85) == pytest.approx(
        1.0735362127101255, rel=1e-12
    )


@pytest.mark.parametrize("z", [0.0, -1.96])
def test_threshold_rejects_a_z_that_is_not_positive(z: float) -> None:
    with pytest.raises(ValueError, match=rf"^z: must be greater than 0, got {re.escape(repr(z))}$"):
        reliable_change_threshold(**EXACT, z=z)


def test_default_z_is_the_two_tailed_five_percent_value() -> None:
    assert DEFAULT_Z == 1.96


@pytest.mark.parametrize(
    ("rci", "expected"),
    [
        (1.96, False),
        (math.nextafter(1.96, math.inf), True),
        (-1.96, False),
        (math.nextafter(-1.96, -math.inf), True),
        (0.0, False),
    ],
)
def test_is_reliable_needs_more_than_z_either_way(rci: float, expected: bool) -> None:
    assert is_reliable(rci) is expected


@pytest.mark.parametrize(("rci", "expected"), [(2.0, False), (2.5, True)])
def test_is_reliable_with_custom_z(rci: float, expected: bool) -> None:
    assert is_reliable(rci, z=2.0) is expected


def test_is_reliable_rejects_nan() -> None:
    with pytest.raises(ValueError, match=r"^rci: expected a finite number, got nan$"):
        is_reliable(math.nan)


# --- clinical cut-off ---------------------------------------------------------------------------


def test_cutoff_c_worked_example() -> None:
    # (s0 * M1 + s1 * M0) / (s0 + s1) = (3 * 15 + 5 * 5) / (3 + 5) = 70 / 8 = 8.75
    assert (
        clinical_cutoff_c(
            clinical_mean=15.0, clinical_sd=5.0, functional_mean=5.0, functional_sd=3.0
        )
        == 8.75
    )


def test_cutoff_c_with_equal_sds_is_the_midpoint() -> None:
    # (4 * 20 + 4 * 10) / 8 = 15
    assert (
        clinical_cutoff_c(
            clinical_mean=20.0, clinical_sd=4.0, functional_mean=10.0, functional_sd=4.0
        )
        == 15.0
    )


def test_cutoff_c_lies_nearer_the_group_with_the_smaller_sd() -> None:
    # The functional SD (3) is smaller, so c = 8.75 sits closer to M0 = 5 than to M1 = 15.
    c = clinical_cutoff_c(
        clinical_mean=15.0, clinical_sd=5.0, functional_mean=5.0, functional_sd=3.0
    )
    assert (c - 5.0, 15.0 - c) == (3.75, 6.25)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("clinical_sd", "clinical_sd: a standard deviation must be greater than 0, got 0.0"),
        ("functional_sd", "functional_sd: a standard deviation must be greater than 0, got 0.0"),
    ],
)
def test_cutoff_c_rejects_a_zero_sd(field: str, message: str) -> None:
    norms = {
        "clinical_mean": 15.0,
        "clinical_sd": 5.0,
        "functional_mean": 5.0,
        "functional_sd": 3.0,
    }
    norms[field] = 0.0
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        clinical_cutoff_c(**norms)


def test_cutoff_c_rejects_a_nan_mean() -> None:
    with pytest.raises(ValueError, match=r"^clinical_mean: expected a finite number, got nan$"):
        clinical_cutoff_c(
            clinical_mean=math.nan, clinical_sd=5.0, functional_mean=5.0, functional_sd=3.0
        )


# --- classify_change: S_diff = 5 and z = 2, so a reliable change is more than 10 points --------


def classify(before: float, after: float, **kwargs: object) -> ChangeCategory:
    options: dict[str, object] = {"higher_is_better": True, "z": 2.0, **EXACT, **kwargs}
    return classify_change(before, after, **options)  # type: ignore[arg-type]


def test_change_of_exactly_the_threshold_is_unchanged() -> None:
    # RC = (20 - 10) / 5 = 2.0, not more than z = 2
    assert classify(10.0, 20.0) is ChangeCategory.UNCHANGED


def test_change_just_over_the_threshold_without_cutoff_is_improved() -> None:
    # RC = (20.5 - 10) / 5 = 2.1
    assert classify(10.0, 20.5) is ChangeCategory.IMPROVED


def test_reliable_improvement_crossing_the_cutoff_is_recovered() -> None:
    # RC = 2.1 and the score moves from 10 (<= 15, clinical) to 20.5 (> 15, functional).
    assert classify(10.0, 20.5, cutoff=15.0) is ChangeCategory.RECOVERED


def test_reliable_improvement_ending_exactly_at_the_cutoff_is_improved() -> None:
    assert classify(10.0, 20.5, cutoff=20.5) is ChangeCategory.IMPROVED


def test_reliable_improvement_starting_exactly_at_the_cutoff_is_recovered() -> None:
    # A score at c counts as clinical, so 15 -> 25.5 (RC 2.1) crosses c = 15.
    assert classify(15.0, 25.5, cutoff=15.0) is ChangeCategory.RECOVERED


def test_reliable_improvement_starting_on_the_functional_side_is_improved() -> None:
    assert classify(16.0, 26.5, cutoff=15.0) is ChangeCategory.IMPROVED


def test_crossing_the_cutoff_without_reliable_change_is_unchanged() -> None:
    # 14 -> 16 crosses c = 15 but RC = 0.4
    assert classify(14.0, 16.0, cutoff=15.0) is ChangeCategory.UNCHANGED


def test_worsening_of_exactly_the_threshold_is_unchanged() -> None:
    assert classify(20.0, 10.0) is ChangeCategory.UNCHANGED


def test_worsening_just_over_the_threshold_is_deteriorated() -> None:
    # RC = (10 - 20.5) / 5 = -2.1
    assert classify(20.5, 10.0) is ChangeCategory.DETERIORATED


def test_worsening_across_the_cutoff_is_deteriorated() -> None:
    assert classify(20.5, 10.0, cutoff=15.0) is ChangeCategory.DETERIORATED


def test_lower_is_better_decrease_is_improvement() -> None:
    # A symptom score: 20 -> 9.5 is RC = -2.1, an improvement.
    assert classify(20.0, 9.5, higher_is_better=False) is ChangeCategory.IMPROVED


def test_lower_is_better_recovery_falls_below_the_cutoff() -> None:
    assert classify(20.0, 9.5, higher_is_better=False, cutoff=10.0) is ChangeCategory.RECOVERED


def test_lower_is_better_ending_exactly_at_the_cutoff_is_improved() -> None:
    assert classify(20.0, 9.5, higher_is_better=False, cutoff=9.5) is ChangeCategory.IMPROVED


def test_lower_is_better_increase_is_deterioration() -> None:
    assert classify(9.5, 20.0, higher_is_better=False) is ChangeCategory.DETERIORATED


@pytest.mark.parametrize(
    ("after", "expected"),
    [(19.9, ChangeCategory.IMPROVED), (19.7, ChangeCategory.UNCHANGED)],
)
def test_classify_uses_z_196_by_default(after: float, expected: ChangeCategory) -> None:
    # RC = 9.9 / 5 = 1.98 > 1.96; RC = 9.7 / 5 = 1.94 < 1.96
    assert classify_change(10.0, after, **EXACT, higher_is_better=True) is expected


def test_classify_rejects_a_nan_cutoff() -> None:
    with pytest.raises(ValueError, match=r"^cutoff: expected a finite number, got nan$"):
        classify(10.0, 20.5, cutoff=math.nan)


def test_change_categories_are_plain_strings() -> None:
    assert [category.value for category in ChangeCategory] == [
        "recovered",
        "improved",
        "unchanged",
        "deteriorated",
    ]


# --- Cronbach's alpha ---------------------------------------------------------------------------


def test_alpha_worked_example() -> None:
    # Items (columns): 1,2,3,4 (var 5/3); 2,2,4,4 (var 4/3); 1,3,3,5 (var 8/3); sum = 17/3.
    # Totals 4, 7, 10, 13: mean 8.5, squares 20.25 + 2.25 + 2.25 + 20.25 = 45, var 45/3 = 15.
    # alpha = 3/2 * (1 - (17/3) / 15) = 3/2 * 28/45 = 42/45 = 0.9333...
    rows = [[1, 2, 1], [2, 2, 3], [3, 4, 3], [4, 4, 5]]
    assert cronbach_alpha(rows) == pytest.approx(42 / 45, rel=1e-12)


def test_alpha_of_identical_items_is_one() -> None:
    # Items 1,2,3 twice: var 1 each; totals 2,4,6: var 4; alpha = 2 * (1 - 2/4) = 1
    assert cronbach_alpha([[1, 1], [2, 2], [3, 3]]) == 1.0


def test_alpha_of_items_that_disagree_is_negative() -> None:
    # Items 1,2,3 and 3,1,2: var 1 each; totals 4,3,5: var 1; alpha = 2 * (1 - 2/1) = -2
    assert cronbach_alpha([[1, 3], [2, 1], [3, 2]]) == -2.0


def test_alpha_matches_the_statistics_module() -> None:
    rows = [[5, 6, 4, 7], [3, 4, 4, 5], [6, 6, 7, 7], [2, 3, 1, 4], [4, 5, 5, 4], [7, 6, 6, 7]]
    k = len(rows[0])
    items = sum(statistics.variance([row[i] for row in rows]) for i in range(k))
    totals = statistics.variance([sum(row) for row in rows])
    assert cronbach_alpha(rows) == pytest.approx(k / (k - 1) * (1 - items / totals), rel=1e-12)


def test_alpha_needs_two_rows() -> None:
    with pytest.raises(ValueError, match=r"^rows: need at least 2 rows \(respondents\), got 1$"):
        cronbach_alpha([[1, 2, 3]])


def test_alpha_of_no_rows_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^rows: need at least 2 rows \(respondents\), got 0$"):
        cronbach_alpha([])


def test_alpha_needs_two_items() -> None:
    with pytest.raises(ValueError, match=r"^rows: need at least 2 items \(columns\), got 1$"):
        cronbach_alpha([[1], [2], [3]])


def test_alpha_rejects_rows_of_unequal_length() -> None:
    with pytest.raises(ValueError, match=r"^rows\[2\]: expected 3 items like rows\[0\], got 2$"):
        cronbach_alpha([[1, 2, 3], [2, 3, 4], [3, 4]])


def test_alpha_rejects_a_missing_value() -> None:
    with pytest.raises(ValueError, match=r"^rows\[1\]\[0\]: expected a finite number, got nan$"):
        cronbach_alpha([[1, 2], [math.nan, 3], [3, 4]])


def test_alpha_rejects_totals_that_do_not_vary() -> None:
    # Totals 4, 4, 4
    with pytest.raises(ValueError, match=r"^rows: the totals do not vary, so alpha is undefined$"):
        cronbach_alpha([[1, 3], [2, 2], [3, 1]])


# --- Helpers ------------------------------------------------------------------------------------


def test_mean() -> None:
    # (1 + 2 + 3 + 4) / 4 = 2.5
    assert mean([1, 2, 3, 4]) == 2.5


def test_mean_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"^values: need at least 1 value for a mean$"):
        mean([])


def test_sample_sd() -> None:
    # mean 5; squares 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32; var = 32 / 7; sd = 2.13808993...
    assert sample_sd([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(math.sqrt(32 / 7), rel=1e-12)


def test_sample_sd_needs_two_values() -> None:
    with pytest.raises(
        ValueError, match=r"^values: need at least 2 values for a sample SD, got 1$"
    ):
        sample_sd([3.0])


def test_sample_sd_rejects_nan() -> None:
    with pytest.raises(ValueError, match=r"^values\[1\]: expected a finite number, got nan$"):
        sample_sd([1.0, math.nan])


# --- sudden_change (Tang & DeRubeis 1999, as suddengains) ---------------------------------------


def test_sudden_gain_worked_example_from_the_docs() -> None:
    # docs/statistics.md: 19, 21, 20 | 10, 12, 11 on a symptom score, cut-off 5. The drop is
    # 20 - 10 = 10 >= 5 and >= 0.25 * 20 = 5; pre mean 20 (SD 1), post mean 11 (SD 1), pooled
    # SD sqrt((2 * 1 + 2 * 1) / 4) = 1, df 4, and 20 - 11 = 9 > 2.776 * 1.
    test = sudden_change([19.0, 21.0, 20.0], [10.0, 12.0, 11.0], increase=False, cutoff=5.0)
    assert (test.size, test.crit1, test.crit2_threshold, test.crit2) == (10.0, True, 5.0, True)
    shift = test.shift
    assert shift is not None
    assert (shift.pre_mean, shift.post_mean, shift.pre_sd, shift.post_sd) == (20, 11, 1, 1)
    assert (shift.pooled_sd, shift.df, shift.critical_t, shift.difference) == (1, 4, 2.776, 9)
    assert shift.threshold == 2.776
    assert test.crit3 and test.sudden


def test_sudden_change_in_the_other_direction_is_not_one() -> None:
    # The same scores looked at as an increase: every change is negative, nothing holds.
    test = sudden_change([19.0, 21.0, 20.0], [10.0, 12.0, 11.0], increase=True, cutoff=5.0)
    assert test.size == -10.0
    assert not (test.crit1 or test.crit2 or test.crit3 or test.sudden)
    assert test.shift is not None and test.shift.difference == -9.0


def test_each_criterion_can_fail_alone() -> None:
    # Criterion 1: the rise 4 -> 6 is 2 < 3 (criterion 2, 0.25 * 4 = 1, and 3 hold).
    c1 = sudden_change([4.0, 4.0], [6.0, 6.0], increase=True, cutoff=3.0)
    assert (c1.crit1, c1.crit2, c1.crit3, c1.sudden) == (False, True, True, False)
    # Criterion 2: 20 -> 16 is 4 >= cut-off 3 but below 0.25 * 20 = 5.
    c2 = sudden_change([20.0, 20.0], [16.0, 16.0], increase=False, cutoff=3.0)
    assert (c2.crit1, c2.crit2, c2.crit3, c2.sudden) == (True, False, True, False)
    # Criterion 3: the windows overlap. Pre 10, 2 (mean 6, SD sqrt(32)), post 1, 11 (mean 6):
    # no difference of means at all.
    c3 = sudden_change([10.0, 2.0], [1.0, 11.0], increase=False, cutoff=1.0)
    assert (c3.crit1, c3.crit2, c3.crit3, c3.sudden) == (True, True, False, False)


def test_the_criteria_are_at_least_and_more_than() -> None:
    # Criteria 1 and 2 hold at equality; criterion 3 needs strictly more. Pre 8, 8 and post
    # 4, 4: pooled SD 0, so any difference of means passes; a drop of exactly 4 with cut-off 4
    # and fraction 0.5 (0.5 * 8 = 4) is sudden.
    test = sudden_change([8.0, 8.0], [4.0, 4.0], increase=False, cutoff=4.0, fraction=0.5)
    assert test.crit1 and test.crit2 and test.sudden
    # Flat windows: a difference of 0 against a threshold of 0 is not more than it.
    flat = sudden_change([8.0, 8.0], [8.0, 8.0], increase=False, cutoff=0.0, fraction=0.0)
    assert flat.crit1 and flat.crit2 and not flat.crit3


def test_missing_sessions_lower_df_and_raise_the_critical_t() -> None:
    # 2 + 2 scores: df 2, t 4.303; 3 + 2: df 3, t 3.182.
    two = sudden_change([6.0, 7.0], [3.0, 4.0], increase=False, cutoff=1.0)
    three = sudden_change([6.0, 6.0, 7.0], [3.0, 4.0], increase=False, cutoff=1.0)
    assert two.shift is not None and (two.shift.df, two.shift.critical_t) == (2, 4.303)
    assert three.shift is not None and (three.shift.df, three.shift.critical_t) == (3, 3.182)
    # Pooled SD of (6, 7) and (3, 4): both SDs sqrt(0.5), so sqrt(0.5) = 0.7071; 3 > 4.303 *
    # 0.7071 = 3.0427 fails, by a hair: the df matters.
    assert two.shift.difference == 3.0
    assert two.shift.pooled_sd == pytest.approx(math.sqrt(0.5), rel=1e-12)
    assert not two.crit3


def test_one_score_on_a_side_leaves_criterion_3_unmet() -> None:
    test = sudden_change([20.0], [10.0, 10.0], increase=False, cutoff=5.0)
    assert test.crit1 and test.crit2
    assert test.shift is None and not test.crit3 and not test.sudden


def test_a_given_critical_t_table_is_used() -> None:
    table = {2: 99.0, 3: 99.0, 4: 9.5}
    strict = sudden_change(
        [19.0, 21.0, 20.0], [10.0, 12.0, 11.0], increase=False, cutoff=5.0, critical_t=table
    )
    assert strict.shift is not None and strict.shift.critical_t == 9.5
    assert not strict.sudden  # 9 is not more than 9.5 * 1


@pytest.mark.parametrize(
    ("pre", "post", "options", "message"),
    [
        ([], [1.0], {}, "pre and post"),
        ([1.0], [], {}, "pre and post"),
        ([1.0, math.nan], [1.0], {}, "pre[1]"),
        ([1.0, "2"], [1.0], {}, "pre[1]: expected a number, got '2'"),
        ([1.0], [1.0, math.inf], {}, "post[1]"),
        ([1.0], [1.0], {"cutoff": math.nan}, "cutoff"),
        ([1.0], [1.0], {"fraction": math.inf}, "fraction"),
        ([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0], {}, "no critical t for df 5"),
    ],
)
def test_sudden_change_refuses_meaningless_input(
    pre: list[float], post: list[float], options: dict[str, float], message: str
) -> None:
    arguments: dict[str, float] = {"cutoff": 1.0, **options}
    with pytest.raises(ValueError, match=re.escape(message)):
        sudden_change(pre, post, increase=False, **arguments)


def test_one_critical_t_table() -> None:
    assert dict(CRITICAL_T_05) == {2: 4.303, 3: 3.182, 4: 2.776}
    with pytest.raises(TypeError):
        CRITICAL_T_05[2] = 1.0  # type: ignore[index]
