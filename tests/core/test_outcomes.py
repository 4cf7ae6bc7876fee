"""Outcome definitions: loading, every kind of defect, bands, risk flags and change."""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from alliance.core.change import ChangeCategory
from alliance.core.definitions import builtin, builtin_json
from alliance.core.instruments import DefinitionError, ScoringError
from alliance.core.outcomes import (
    Band,
    Direction,
    Norm,
    OutcomeDefinition,
    RiskFlag,
    RiskItem,
    caseload_change,
    change_summary,
    load_outcome,
    load_outcome_json,
    loinc_check_digit,
    outcome_score,
    risk_flags,
    score_range,
    severity_band,
)

PHQ9 = builtin()["phq9"]
GAD7 = builtin()["gad7"]


def phq9_data() -> dict[str, Any]:
    """The built-in PHQ-9 file as a dict; each defect test copies and breaks it."""
    data: dict[str, Any] = json.loads(builtin_json("phq9"))
    return data


def small_data() -> dict[str, Any]:
    """Three 1-5 items averaged, higher is better, with a text item and norms for c."""
    options = [{"value": value, "label": f"Label {value}"} for value in range(1, 6)]
    return {
        "id": "wellbeing",
        "version": 1,
        "title": "Well-being",
        "licence": "Written for these tests",
        "attribution": "Written for these tests",
        "items": [
            {"key": "calm", "text": "Calm?", "kind": "choice", "options": options},
            {"key": "hope", "text": "Hopeful?", "kind": "choice", "options": options},
            {"key": "rest", "text": "Rested?", "kind": "choice", "options": options},
            {"key": "note", "text": "Anything else?", "kind": "text"},
        ],
        "scoring": {
            "composite": {
                "name": "mean",
                "items": ["calm", "hope", "rest"],
                "method": "mean",
                "min_answered": 2,
            }
        },
        "outcome": {
            "direction": "higher_is_better",
            "bands": [{"min": 1, "label": "low"}, {"min": 2.5, "label": "fair"}],
            "reliability": {"value": 0.5, "source": "test"},
            "norms": {"sd": 1.0, "source": "test"},
            "clinical": {"mean": 2.0, "sd": 0.5},
            "functional": {"mean": 4.0, "sd": 1.0, "source": "test"},
        },
    }


Editor = Callable[[dict[str, Any]], None]
_DELETE = object()


def edit(*path: str | int, value: object = _DELETE) -> Editor:
    """An editor that sets (or, without ``value``, deletes) the entry at ``path``."""

    def apply(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = copy.deepcopy(value)

    return apply


# --- Loading -------------------------------------------------------------------------------------


def test_small_definition_loads_with_its_outcome_block() -> None:
    defn = load_outcome(small_data())
    assert defn.id == "wellbeing"
    assert defn.outcome.direction is Direction.HIGHER_IS_BETTER
    assert defn.higher_is_better is True
    assert defn.outcome.bands == (Band(1.0, "low"), Band(2.5, "fair"))
    assert defn.outcome.clinical == Norm(mean=2.0, sd=0.5, source="")
    assert defn.outcome.functional == Norm(mean=4.0, sd=1.0, source="test")
    assert (defn.reliability, defn.sd) == (0.5, 1.0)
    # The outcome block's reliability and SD are carried by the instrument too.
    assert (defn.instrument.reliability, defn.instrument.norms_sd) == (0.5, 1.0)
    assert defn.outcome.risk_items == ()
    assert (defn.outcome.loinc_panel, defn.outcome.loinc_total) == (None, None)


def test_cutoff_c_is_computed_from_clinical_and_functional_norms() -> None:
    # c = (s0·M1 + s1·M0) / (s0 + s1) = (1.0·2.0 + 0.5·4.0) / 1.5 = 4 / 1.5 = 2.6667
    assert load_outcome(small_data()).cutoff == pytest.approx(8 / 3, rel=1e-12)


def test_cutoff_given_directly_is_used_as_is() -> None:
    assert PHQ9.cutoff == 10.0
    assert PHQ9.outcome.cutoff_value == 10.0


def test_reliability_and_norms_may_be_given_at_the_top_level() -> None:
    data = small_data()
    data["reliability"] = data["outcome"].pop("reliability")
    data["norms"] = data["outcome"].pop("norms")
    defn = load_outcome(data)
    assert (defn.reliability, defn.sd) == (0.5, 1.0)


def test_definition_without_reliability_loads_but_has_none() -> None:
    data = small_data()
    del data["outcome"]["reliability"], data["outcome"]["norms"]
    defn = load_outcome(data)
    assert (defn.reliability, defn.sd) == (None, None)


def test_minimal_outcome_block_is_only_a_direction() -> None:
    data = small_data()
    data["outcome"] = {"direction": "lower_is_better"}
    defn = load_outcome(data)
    assert defn.outcome.bands == ()
    assert defn.cutoff is None
    assert defn.higher_is_better is False


def test_load_outcome_json_matches_load_outcome() -> None:
    assert load_outcome_json(json.dumps(small_data())) == load_outcome(small_data())


def test_json_syntax_error_names_line_and_column() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_outcome_json('{\n  "id": }')
    assert caught.value.path == "line 2, column 9"


def test_json_key_repeated_in_the_outcome_block_is_a_defect() -> None:
    text = json.dumps(small_data()).replace(
        '"direction": "higher_is_better"',
        '"direction": "higher_is_better", "direction": "lower_is_better"',
    )
    with pytest.raises(DefinitionError) as caught:
        load_outcome_json(text)
    assert str(caught.value) == 'outcome: key "direction" is given more than once'


def _phq(*editors: Editor) -> DefinitionError:
    data = phq9_data()
    for editor in editors:
        editor(data)
    with pytest.raises(DefinitionError) as caught:
        load_outcome(data)
    return caught.value


def _small(*editors: Editor) -> DefinitionError:
    data = small_data()
    for editor in editors:
        editor(data)
    with pytest.raises(DefinitionError) as caught:
        load_outcome(data)
    return caught.value


_OUTCOME_KEYS = (
    "bands, clinical, codes, cutoff, direction, functional, norms, reliability, risk_items"
)

PHQ_DEFECTS: list[tuple[Editor, str, str]] = [
    (edit("outcome"), "outcome", "required key is missing"),
    (
        edit("outcomes", value={}),
        "(top level)",
        'unknown key "outcomes" (did you mean "outcome"?)',
    ),
    (edit("version", value=0), "version", "expected an integer of at least 1, got 0"),
    (edit("outcome", value=[]), "outcome", "expected an object, got a list"),
    (edit("outcome", "direction"), "outcome.direction", "required key is missing"),
    (
        edit("outcome", "direction", value="down"),
        "outcome.direction",
        'expected "lower_is_better" or "higher_is_better", got "down"',
    ),
    (
        edit("outcome", "band", value=[]),
        "outcome",
        'unknown key "band" (did you mean "bands"?)',
    ),
    (
        edit("outcome", "severity", value=[]),
        "outcome",
        f'unknown key "severity" (allowed: {_OUTCOME_KEYS})',
    ),
    (edit("outcome", "bands", value=[]), "outcome.bands", "expected at least one band"),
    (edit("outcome", "bands", value={}), "outcome.bands", "expected a list, got an object"),
    (
        edit("outcome", "bands", 0, "min", value=1),
        "outcome.bands[0].min",
        "the first band must start at the lowest possible composite score (0), got 1",
    ),
    (
        edit("outcome", "bands", 2, "min", value=5),
        "outcome.bands[2].min",
        "must be greater than the previous band's min (5), got 5",
    ),
    (
        edit("outcome", "bands", 3, "min", value=5),
        "outcome.bands[3].min",
        "must be greater than the previous band's min (10), got 5",
    ),
    (
        edit("outcome", "bands", 4, "min", value=28),
        "outcome.bands[4].min",
        "must not exceed the highest possible composite score (27), got 28",
    ),
    (
        edit("outcome", "bands", 2, "min", value="10"),
        "outcome.bands[2].min",
        'expected a number, got "10"',
    ),
    (
        edit("outcome", "bands", 3, "label", value="mild"),
        "outcome.bands[3].label",
        '"mild" is already used by outcome.bands[1]',
    ),
    (
        edit("outcome", "bands", 1, "label", value=" "),
        "outcome.bands[1].label",
        "must not be empty",
    ),
    (edit("outcome", "bands", 1, "label"), "outcome.bands[1].label", "required key is missing"),
    (
        edit("reliability", value={"value": 0.9, "source": "x"}),
        "outcome.reliability",
        "already given at the top level; give it once",
    ),
    (
        edit("norms", value={"sd": 5.0, "source": "x"}),
        "outcome.norms",
        "already given at the top level; give it once",
    ),
    (
        edit("outcome", "reliability", "value", value=1.5),
        "outcome.reliability.value",
        "expected a number between 0 and 1 (exclusive), got 1.5",
    ),
    (
        edit("outcome", "reliability", "source"),
        "outcome.reliability.source",
        "required key is missing",
    ),
    (
        edit("outcome", "norms", "sd", value=0),
        "outcome.norms.sd",
        "expected a number greater than 0, got 0",
    ),
    (
        edit("outcome", "clinical", value={"mean": 15, "sd": 5}),
        "outcome.cutoff",
        'give either "cutoff" or "clinical" and "functional", not both',
    ),
    (
        edit("outcome", "cutoff", "value", value=0),
        "outcome.cutoff.value",
        "must lie above the lowest and at most the highest possible composite score "
        "(0 to 27), got 0",
    ),
    (
        edit("outcome", "cutoff", "value", value=27.5),
        "outcome.cutoff.value",
        "must lie above the lowest and at most the highest possible composite score "
        "(0 to 27), got 27.5",
    ),
    (edit("outcome", "cutoff", "source"), "outcome.cutoff.source", "required key is missing"),
    (
        edit("outcome", "risk_items", 0, "item", value="phq9_10"),
        "outcome.risk_items[0].item",
        'unknown item key "phq9_10" (did you mean "phq9_1"?)',
    ),
    (
        edit("outcome", "risk_items", 0, "min", value=0),
        "outcome.risk_items[0].min",
        'expected an integer from 1 to 3 (the options of "phq9_9" run from 0 to 3, and the '
        "lowest one cannot be a risk), got 0",
    ),
    (
        edit("outcome", "risk_items", 0, "min", value=4),
        "outcome.risk_items[0].min",
        'expected an integer from 1 to 3 (the options of "phq9_9" run from 0 to 3, and the '
        "lowest one cannot be a risk), got 4",
    ),
    (
        edit("outcome", "risk_items", 0, "min", value=1.0),
        "outcome.risk_items[0].min",
        "expected an integer, got 1.0",
    ),
    (
        edit(
            "outcome",
            "risk_items",
            value=[
                {"item": "phq9_9", "min": 1, "label": "a"},
                {"item": "phq9_9", "min": 2, "label": "b"},
            ],
        ),
        "outcome.risk_items[1].item",
        '"phq9_9" is already listed in outcome.risk_items[0]',
    ),
    (
        edit("outcome", "risk_items", 0, "label", value=""),
        "outcome.risk_items[0].label",
        "must not be empty",
    ),
    (
        edit("outcome", "codes", "loinc_total", value="44261"),
        "outcome.codes.loinc_total",
        'expected a LOINC code such as "44261-6", got "44261"',
    ),
    (
        edit("outcome", "codes", "loinc_total", value="44261-5"),
        "outcome.codes.loinc_total",
        '"44261-5" is not a valid LOINC code: its check digit should be 6',
    ),
    (
        edit("outcome", "codes", "loinc_panel", value=44249),
        "outcome.codes.loinc_panel",
        "expected a string, got 44249",
    ),
    (
        edit("outcome", "codes", "snomed", value="1"),
        "outcome.codes",
        'unknown key "snomed" (allowed: loinc_panel, loinc_total)',
    ),
]


@pytest.mark.parametrize(("editor", "path", "message"), PHQ_DEFECTS)
def test_phq9_based_defect_is_reported_with_its_path(
    editor: Editor, path: str, message: str
) -> None:
    error = _phq(editor)
    assert (error.path, error.message) == (path, message)


SMALL_DEFECTS: list[tuple[Editor, str, str]] = [
    (
        edit("outcome", "functional"),
        "outcome.functional",
        "required when outcome.clinical is given",
    ),
    (edit("outcome", "clinical"), "outcome.clinical", "required when outcome.functional is given"),
    (
        edit("outcome", "functional", "mean", value=1.5),
        "outcome.functional.mean",
        'with "higher_is_better" the functional mean must be above the clinical mean (2.0), '
        "got 1.5",
    ),
    (
        edit("outcome", "direction", value="lower_is_better"),
        "outcome.functional.mean",
        'with "lower_is_better" the functional mean must be below the clinical mean (2.0), got 4.0',
    ),
    (
        edit("outcome", "clinical", "mean", value=0.5),
        "outcome.clinical.mean",
        "must lie within the possible composite scores (1 to 5), got 0.5",
    ),
    (
        edit("outcome", "clinical", "sd", value=-1),
        "outcome.clinical.sd",
        "expected a number greater than 0, got -1",
    ),
    (
        edit("outcome", "clinical", "median", value=2),
        "outcome.clinical",
        'unknown key "median" (did you mean "mean"?)',
    ),
    (
        edit("outcome", "risk_items", value=[{"item": "note", "min": 1, "label": "x"}]),
        "outcome.risk_items[0].item",
        '"note" is a text item; a risk item needs a choice',
    ),
    (
        edit("outcome", "bands", 0, "min", value=0),
        "outcome.bands[0].min",
        "the first band must start at the lowest possible composite score (1), got 0",
    ),
]


@pytest.mark.parametrize(("editor", "path", "message"), SMALL_DEFECTS)
def test_small_definition_defect_is_reported_with_its_path(
    editor: Editor, path: str, message: str
) -> None:
    error = _small(editor)
    assert (error.path, error.message) == (path, message)


def test_defect_in_the_instrument_part_is_reported_by_the_instrument_loader() -> None:
    error = _phq(edit("items", 0, "options", 1, "value", value="a"))
    assert str(error) == 'items[0].options[1].value: expected an integer, got "a"'


def test_not_an_object_at_all_is_a_defect() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_outcome([])  # type: ignore[arg-type]
    assert str(caught.value) == "(top level): expected an object, got a list"


@pytest.mark.parametrize(
    ("number", "check"), [("44249", 1), ("44261", 6), ("70274", 6), ("12345", 5), ("0", 0)]
)
def test_loinc_check_digit(number: str, check: int) -> None:
    assert loinc_check_digit(number) == check


# --- Ranges and bands ----------------------------------------------------------------------------


def test_score_range_of_sum_and_mean_composites() -> None:
    assert score_range(PHQ9) == (0.0, 27.0)
    assert score_range(GAD7) == (0.0, 21.0)
    assert score_range(load_outcome(small_data())) == (1.0, 5.0)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (4.5, "minimal"),  # a prorated total
        (5, "mild"),
        (9, "mild"),
        (9.999, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_on_both_sides_of_every_boundary(total: float, band: str) -> None:
    assert severity_band(PHQ9, total) == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_on_both_sides_of_every_boundary(total: float, band: str) -> None:
    assert severity_band(GAD7, total) == band


def test_band_is_none_without_bands() -> None:
    data = small_data()
    del data["outcome"]["bands"]
    assert severity_band(load_outcome(data), 3.0) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "score: -1 is outside the possible scores (0 to 27)"),
        (27.5, "score: 27.5 is outside the possible scores (0 to 27)"),
        (math.nan, "score: expected a finite number, got nan"),
        (True, "score: expected a finite number, got True"),
    ],
)
def test_band_of_an_impossible_score_is_an_error(value: float, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        severity_band(PHQ9, value)


# --- Scoring and risk ----------------------------------------------------------------------------


def phq9_answers(*values: int | None) -> dict[str, int | None]:
    return {f"phq9_{number}": value for number, value in enumerate(values, start=1)}


def test_complete_phq9_is_summed_and_banded() -> None:
    # 1 + 2 + 1 + 2 + 1 + 1 + 1 + 1 + 0 = 10: the first "moderate" total.
    result = outcome_score(PHQ9, phq9_answers(1, 2, 1, 2, 1, 1, 1, 1, 0))
    assert result.composite == 10.0
    assert result.band == "moderate"
    assert (result.answered, result.needed, result.total) == (9, 9, 9)
    assert result.too_few_answered is False
    assert result.reason == ""
    assert result.risk == ()
    assert result.risk_unanswered == ()


def test_phq9_with_one_item_missing_has_no_total_and_says_why() -> None:
    result = outcome_score(PHQ9, phq9_answers(1, 2, 1, 2, 1, 1, 1, None, 0))
    assert result.composite is None
    assert result.band is None
    assert result.too_few_answered is True
    assert result.answered == 8
    assert result.reason == "8 of the 9 items of the total were answered; it needs all 9."


def test_reason_in_the_singular_for_one_answer() -> None:
    result = outcome_score(PHQ9, {"phq9_1": 2})
    assert result.reason == "1 of the 9 items of the total was answered; it needs all 9."


def test_mean_composite_with_too_few_answers_names_the_minimum() -> None:
    defn = load_outcome(small_data())
    result = outcome_score(defn, {"calm": 4})
    assert result.composite is None
    assert result.reason == "1 of the 3 items of the mean was answered; it needs at least 2."
    # Two of three is enough: (4 + 3) / 2 = 3.5, in the "fair" band from 2.5.
    result = outcome_score(defn, {"calm": 4, "hope": 3})
    assert (result.composite, result.band, result.too_few_answered) == (3.5, "fair", False)


def test_risk_item_answered_zero_raises_no_flag() -> None:
    assert risk_flags(PHQ9, phq9_answers(3, 3, 3, 3, 3, 3, 3, 3, 0)) == []


@pytest.mark.parametrize("value", [1, 2, 3])
def test_risk_item_answered_one_or_more_raises_a_flag(value: int) -> None:
    assert risk_flags(PHQ9, phq9_answers(0, 0, 0, 0, 0, 0, 0, 0, value)) == [
        RiskFlag(
            item="phq9_9",
            value=value,
            min=1,
            label="thoughts of being better off dead or of self-harm",
        )
    ]


@pytest.mark.parametrize("answers", [phq9_answers(1, 1, 1, 1, 1, 1, 1, 1, None), {}])
def test_risk_item_unanswered_raises_no_flag_but_is_listed(answers: dict[str, Any]) -> None:
    assert risk_flags(PHQ9, answers) == []
    result = outcome_score(PHQ9, answers)
    assert result.risk == ()
    assert result.risk_unanswered == ("phq9_9",)


def test_risk_flag_is_part_of_the_score_even_without_a_total() -> None:
    result = outcome_score(PHQ9, {"phq9_9": 2})
    assert result.composite is None
    assert [flag.value for flag in result.risk] == [2]


def test_risk_answer_that_is_not_an_option_is_a_scoring_error() -> None:
    with pytest.raises(ScoringError, match=r"^item 'phq9_9': 4 is not one of its option values"):
        risk_flags(PHQ9, {"phq9_9": 4})


def test_gad7_has_no_risk_item() -> None:
    assert GAD7.outcome.risk_items == ()
    assert outcome_score(GAD7, {"gad7_1": 3}).risk_unanswered == ()


def test_risk_items_of_the_phq9() -> None:
    assert PHQ9.outcome.risk_items == (
        RiskItem(item="phq9_9", min=1, label="thoughts of being better off dead or of self-harm"),
    )


# --- Change --------------------------------------------------------------------------------------

# PHQ-9: SD 5.0, r .84, so S_diff = 5·√(2·0.16) = 5·√0.32 = 2.8284271 and a change must exceed
# 1.96 · 2.8284271 = 5.5437 points; the cut-off c is 10 (a score of 10 is still clinical).
S_DIFF = 5 * math.sqrt(0.32)


@pytest.mark.parametrize(
    ("baseline", "latest", "category"),
    [
        (16, 8, ChangeCategory.RECOVERED),  # −8: reliable, and crossed from 16 to 8 < 10
        (14, 8, ChangeCategory.RECOVERED),  # −6: reliable (> 5.54), crossed
        (16, 10, ChangeCategory.IMPROVED),  # −6: reliable, but 10 is still at c
        (20, 12, ChangeCategory.IMPROVED),  # −8: reliable, still above c
        (8, 2, ChangeCategory.IMPROVED),  # started on the functional side
        (16, 11, ChangeCategory.UNCHANGED),  # −5: not reliable
        (12, 17, ChangeCategory.UNCHANGED),  # +5: not reliable
        (12, 18, ChangeCategory.DETERIORATED),  # +6: reliable worsening
    ],
)
def test_phq9_change_category(baseline: float, latest: float, category: ChangeCategory) -> None:
    assert change_summary(PHQ9, baseline, latest).category is category


def test_phq9_change_summary_numbers() -> None:
    summary = change_summary(PHQ9, 16, 8)
    assert summary.change == -8.0
    assert summary.rci == pytest.approx(-8 / S_DIFF, rel=1e-12)  # −2.8284
    assert summary.threshold == pytest.approx(1.96 * S_DIFF, rel=1e-12)  # 5.5437
    assert summary.reliable is True
    assert summary.cutoff == 10.0
    assert (summary.baseline_band, summary.latest_band) == ("moderately severe", "mild")


def test_higher_is_better_change_uses_the_computed_cutoff() -> None:
    # S_diff = 1.0·√(2·0.5) = 1, so |change| > 1.96 is reliable; c = 2.6667.
    defn = load_outcome(small_data())
    assert change_summary(defn, 2.0, 4.0).category is ChangeCategory.RECOVERED
    assert change_summary(defn, 3.0, 5.0).category is ChangeCategory.IMPROVED
    assert change_summary(defn, 4.0, 2.0).category is ChangeCategory.DETERIORATED
    assert change_summary(defn, 2.0, 3.5).category is ChangeCategory.UNCHANGED
    assert change_summary(defn, 2.0, 4.0).rci == pytest.approx(2.0, rel=1e-12)


def test_change_without_reliability_is_an_error() -> None:
    data = small_data()
    del data["outcome"]["reliability"]
    with pytest.raises(ValueError, match=r"^instrument 'wellbeing' gives no reliability, so "):
        change_summary(load_outcome(data), 2.0, 3.0)


def test_change_from_an_impossible_score_is_an_error() -> None:
    with pytest.raises(
        ValueError, match=r"^latest: 30 is outside the possible scores \(0 to 27\)$"
    ):
        change_summary(PHQ9, 10, 30)


def test_caseload_change_counts_every_category() -> None:
    pairs = [(16.0, 8.0), (20.0, 12.0), (16.0, 11.0), (12.0, 17.0), (12.0, 18.0)]
    assert caseload_change(PHQ9, pairs) == {
        ChangeCategory.RECOVERED: 1,
        ChangeCategory.IMPROVED: 1,
        ChangeCategory.UNCHANGED: 2,
        ChangeCategory.DETERIORATED: 1,
    }


def test_caseload_change_of_nobody_is_all_zeros_in_order() -> None:
    counts = caseload_change(PHQ9, [])
    assert list(counts.items()) == [
        (ChangeCategory.RECOVERED, 0),
        (ChangeCategory.IMPROVED, 0),
        (ChangeCategory.UNCHANGED, 0),
        (ChangeCategory.DETERIORATED, 0),
    ]


def test_outcome_definition_is_frozen_and_hashable() -> None:
    assert isinstance(PHQ9, OutcomeDefinition)
    assert hash(PHQ9) == hash(builtin()["phq9"])
