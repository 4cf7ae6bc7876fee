"""The built-in PHQ-9 and GAD-7 definitions: text, options, scoring, norms and packaging."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from alliance.core.definitions import BUILTIN_IDS, builtin, builtin_json
from alliance.core.instruments import ItemKind, ScaleMethod, validate_answers
from alliance.core.outcomes import (
    Band,
    Direction,
    load_outcome_json,
    outcome_score,
    score_range,
    severity_band,
)

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
OPTIONS = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
]
PERMISSION = "No permission required to reproduce, translate, display or distribute."
PHQ9_ITEMS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being "
    "so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
]
GAD7_ITEMS = [
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
]


def test_builtin_holds_phq9_and_gad7_by_id() -> None:
    definitions = builtin()
    assert list(definitions) == ["phq9", "gad7"] == list(BUILTIN_IDS)
    assert [defn.id for defn in definitions.values()] == ["phq9", "gad7"]


def test_builtin_returns_a_new_dict_of_the_same_definitions() -> None:
    first, second = builtin(), builtin()
    first.pop("phq9")
    assert "phq9" in second
    assert second["gad7"] is builtin()["gad7"]


@pytest.mark.parametrize("name", ["phq9.json", "gad7.json"])
def test_definition_files_are_package_resources(name: str) -> None:
    # Read the way an installed wheel is read; pyproject must list them as package data.
    assert resources.files("alliance.core.definitions").joinpath(name).is_file()


def test_builtin_json_of_an_unknown_id_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="no built-in outcome definition 'bsl23'"):
        builtin_json("bsl23")


def test_builtin_json_is_the_file_and_names_its_own_id() -> None:
    for instrument_id in BUILTIN_IDS:
        assert json.loads(builtin_json(instrument_id))["id"] == instrument_id


@pytest.mark.parametrize(("instrument_id", "texts"), [("phq9", PHQ9_ITEMS), ("gad7", GAD7_ITEMS)])
def test_items_carry_the_published_text_in_order(instrument_id: str, texts: list[str]) -> None:
    instrument = builtin()[instrument_id].instrument
    assert [item.text for item in instrument.items] == texts
    assert [item.key for item in instrument.items] == [
        f"{instrument_id}_{number}" for number in range(1, len(texts) + 1)
    ]


@pytest.mark.parametrize("instrument_id", BUILTIN_IDS)
def test_every_item_is_a_required_choice_with_the_four_frequency_options(
    instrument_id: str,
) -> None:
    for item in builtin()[instrument_id].instrument.items:
        assert item.kind is ItemKind.CHOICE
        assert item.required is True
        assert item.reverse is False
        assert [(option.value, option.label) for option in item.options] == OPTIONS


@pytest.mark.parametrize("instrument_id", BUILTIN_IDS)
def test_stem_attribution_and_permission(instrument_id: str) -> None:
    instrument = builtin()[instrument_id].instrument
    assert instrument.description == STEM
    assert instrument.licence.startswith(PERMISSION)
    assert "Pfizer" in instrument.licence
    for name in ("Robert L. Spitzer", "Janet B.W. Williams", "Kurt Kroenke", "Pfizer Inc."):
        assert name in instrument.attribution


def test_phq9_optional_difficulty_question_is_left_out() -> None:
    instrument = builtin()["phq9"].instrument
    assert len(instrument.items) == 9
    assert not any("difficult" in item.text.lower() for item in instrument.items)


@pytest.mark.parametrize(("instrument_id", "count"), [("phq9", 9), ("gad7", 7)])
def test_total_is_a_sum_that_needs_every_item(instrument_id: str, count: int) -> None:
    composite = builtin()[instrument_id].instrument.composite
    assert composite.name == "total"
    assert composite.method is ScaleMethod.SUM
    assert len(composite.items) == count
    assert composite.min_answered == count


def test_phq9_outcome_block() -> None:
    defn = builtin()["phq9"]
    assert defn.outcome.direction is Direction.LOWER_IS_BETTER
    assert defn.outcome.bands == (
        Band(0, "minimal"),
        Band(5, "mild"),
        Band(10, "moderate"),
        Band(15, "moderately severe"),
        Band(20, "severe"),
    )
    assert (defn.outcome.loinc_panel, defn.outcome.loinc_total) == ("44249-1", "44261-6")
    assert (defn.reliability, defn.sd, defn.cutoff) == (0.84, 5.0, 10.0)


def test_gad7_outcome_block() -> None:
    defn = builtin()["gad7"]
    assert defn.outcome.direction is Direction.LOWER_IS_BETTER
    assert defn.outcome.bands == (
        Band(0, "minimal"),
        Band(5, "mild"),
        Band(10, "moderate"),
        Band(15, "severe"),
    )
    assert (defn.outcome.loinc_panel, defn.outcome.loinc_total) == ("69737-5", "70274-6")
    assert (defn.reliability, defn.sd, defn.cutoff) == (0.83, 4.0, 10.0)


@pytest.mark.parametrize(
    ("instrument_id", "alpha", "retest"), [("phq9", ".89", ".84"), ("gad7", ".92", ".83")]
)
def test_reliability_source_gives_both_figures_marked_to_verify(
    instrument_id: str, alpha: str, retest: str
) -> None:
    source = builtin()[instrument_id].instrument.reliability_source
    assert f"α {alpha}" in source
    assert f"reliability {retest}" in source
    assert source.count("to verify") == 2


@pytest.mark.parametrize("instrument_id", BUILTIN_IDS)
def test_norm_sd_is_marked_as_an_assumption(instrument_id: str) -> None:
    assert builtin()[instrument_id].instrument.norms_source.startswith(
        "ASSUMED, not a published figure"
    )


def test_form_answers_score_through_the_definition() -> None:
    # Strings as a form posts them: 3 × 9 = 27, the highest total, with the risk item at 3.
    defn = builtin()["phq9"]
    cleaned, errors = validate_answers(
        defn.instrument, {f"phq9_{number}": "3" for number in range(1, 10)}
    )
    assert errors == {}
    result = outcome_score(defn, cleaned)
    assert (result.composite, result.band, len(result.risk)) == (27.0, "severe", 1)


def test_skeletons_in_the_instrument_docs_load() -> None:
    # The BSL-23 and WAI-SR skeletons in docs/instruments.md are meant to be copied: they must
    # load as they stand (placeholders are valid text).
    docs = (Path(__file__).resolve().parents[2] / "docs" / "instruments.md").read_text()
    blocks = re.findall(r"```json\n(.*?)```", docs, flags=re.DOTALL)
    loaded = [load_outcome_json(block) for block in blocks]
    assert [defn.id for defn in loaded] == ["bsl23", "wai-sr"]
    bsl23, wai = loaded
    assert (len(bsl23.instrument.items), bsl23.instrument.composite.min_answered) == (23, 21)
    assert severity_band(bsl23, 0.27) == "none or low"
    assert severity_band(bsl23, 0.28) == "mild"
    assert severity_band(bsl23, 3.47) == "extremely high"
    assert {scale.name: scale.items for scale in wai.instrument.subscales} == {
        "task": ("wai_1", "wai_2", "wai_10", "wai_12"),
        "bond": ("wai_3", "wai_5", "wai_7", "wai_9"),
        "goal": ("wai_4", "wai_6", "wai_8", "wai_11"),
    }
    assert score_range(wai) == (12.0, 60.0)
    assert all(item.text.startswith("<item ") for defn in loaded for item in defn.instrument.items)
