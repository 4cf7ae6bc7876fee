"""FHIR R4 Questionnaire import and export, with a small hand-written Questionnaire."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from alliance.core.definitions import builtin, builtin_json
from alliance.core.fhir import (
    ORDINAL_VALUE_URL,
    fhir_questionnaire_to_definition,
    outcome_from_fhir_questionnaire,
    outcome_to_fhir_questionnaire,
)
from alliance.core.instruments import AnswerCondition, DefinitionError, ItemKind, Option
from alliance.core.outcomes import load_outcome


def _coding(code: str, display: str, ordinal: float | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": "urn:example:answers", "code": code, "display": display}
    if ordinal is not None:
        coding["extension"] = [{"url": ORDINAL_VALUE_URL, "valueDecimal": ordinal}]
    return {"valueCoding": coding}


def questionnaire() -> dict[str, Any]:
    """Three scored questions (one inside a group, one shown only after "often"), a help text,
    an instruction and a free-text question."""
    return {
        "resourceType": "Questionnaire",
        "id": "Mood-3",
        "version": "2",
        "title": "Three mood questions",
        "status": "active",
        "publisher": "Written for these tests",
        "copyright": "Free to use in tests",
        "description": "How has the last week been?",
        "item": [
            {"linkId": "intro", "type": "display", "text": "Pick one answer per line."},
            {
                "linkId": "low_mood",
                "type": "choice",
                "text": "Felt low",
                "required": True,
                "answerOption": [
                    _coding("a", "Never", 0),
                    _coding("b", "Sometimes", 1),
                    _coding("c", "Often", 2),
                ],
                "item": [{"linkId": "low_mood.help", "type": "display", "text": "Sad or flat."}],
            },
            {
                "linkId": "group1",
                "type": "group",
                "text": "More",
                "item": [
                    {
                        "linkId": "worry",
                        "type": "choice",
                        "text": "Worried",
                        "required": True,
                        # Numeric codes and no extension: the code is the value.
                        "answerOption": [
                            _coding("0", "Never"),
                            _coding("1", "Sometimes"),
                            _coding("2", "Often"),
                        ],
                    },
                    {
                        "linkId": "since_when",
                        "type": "choice",
                        "text": "Since when?",
                        "enableWhen": [
                            {
                                "question": "low_mood",
                                "operator": "=",
                                "answerCoding": {"code": "c"},
                            }
                        ],
                        "answerOption": [
                            {"valueInteger": 1},
                            {"valueInteger": 2},
                        ],
                    },
                ],
            },
            {"linkId": "notes", "type": "text", "text": "Anything else?", "maxLength": 500},
        ],
    }


def scoring() -> dict[str, Any]:
    return {
        "composite": {"name": "total", "items": ["low_mood", "worry"], "method": "sum"},
        "outcome": {
            "direction": "lower_is_better",
            "bands": [{"min": 0, "label": "low"}, {"min": 3, "label": "high"}],
            "reliability": {"value": 0.8, "source": "test"},
            "norms": {"sd": 1.0, "source": "test"},
        },
    }


def test_import_reads_items_options_and_metadata() -> None:
    defn = outcome_from_fhir_questionnaire(json.dumps(questionnaire()), scoring())
    instrument = defn.instrument
    assert (instrument.id, instrument.version, instrument.title) == (
        "mood-3",
        2,
        "Three mood questions",
    )
    assert instrument.licence == "Free to use in tests"
    assert instrument.attribution == "Written for these tests"
    assert instrument.description == "How has the last week been?\n\nPick one answer per line."
    assert [item.key for item in instrument.items] == ["low_mood", "worry", "since_when", "notes"]
    low_mood, worry, since_when, notes = instrument.items
    assert low_mood.options == (Option(0, "Never"), Option(1, "Sometimes"), Option(2, "Often"))
    assert low_mood.help == "Sad or flat."
    assert low_mood.required is True
    assert worry.options == (Option(0, "Never"), Option(1, "Sometimes"), Option(2, "Often"))
    assert since_when.options == (Option(1, "1"), Option(2, "2"))
    assert since_when.required is False  # FHIR's default
    assert since_when.show_if == AnswerCondition(item="low_mood", min=2, max=2)
    assert notes.kind is ItemKind.TEXT
    assert notes.max_length == 500
    assert defn.outcome.bands[1].label == "high"


def test_import_accepts_a_parsed_resource() -> None:
    assert outcome_from_fhir_questionnaire(questionnaire(), scoring()).id == "mood-3"


def test_ordinal_value_on_the_answer_option_is_read_too() -> None:
    data = questionnaire()
    option = data["item"][1]["answerOption"][2]
    option["extension"] = option["valueCoding"].pop("extension")
    option["extension"][0]["valueDecimal"] = 5
    defn = outcome_from_fhir_questionnaire(data, scoring())
    assert defn.instrument.item("low_mood").values == (0, 1, 5)


def test_scoring_overrides_and_reverse() -> None:
    block = scoring() | {"id": "mood", "version": 3, "reverse": ["worry"]}
    defn = outcome_from_fhir_questionnaire(questionnaire(), block)
    assert (defn.id, defn.instrument.version) == ("mood", 3)
    assert defn.instrument.item("worry").reverse is True


def test_keys_rename_link_ids_that_are_not_valid_keys() -> None:
    data = questionnaire()
    data["item"][1]["linkId"] = "/44250-9"
    block = scoring() | {"keys": {"/44250-9": "low_mood"}}
    assert outcome_from_fhir_questionnaire(data, block).instrument.items[0].key == "low_mood"


def test_definition_dict_is_plain_json_that_loads_again() -> None:
    definition = fhir_questionnaire_to_definition(questionnaire(), scoring())
    assert load_outcome(json.loads(json.dumps(definition))) == outcome_from_fhir_questionnaire(
        questionnaire(), scoring()
    )


def _broken(change: Any, block: dict[str, Any] | None = None) -> DefinitionError:
    data = questionnaire()
    change(data)
    with pytest.raises(DefinitionError) as caught:
        outcome_from_fhir_questionnaire(data, block or scoring())
    return caught.value


def _set(*path: str | int, value: Any) -> Any:
    def apply(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = copy.deepcopy(value)

    return apply


def _delete(*path: str | int) -> Any:
    def apply(data: dict[str, Any]) -> None:
        target: Any = data
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return apply


FHIR_DEFECTS: list[tuple[Any, str, str]] = [
    (
        _set("item", 2, "item", 0, "type", value="integer"),
        "questionnaire.item[2].item[0].type",
        'item "worry" has type "integer", which we cannot import '
        "(supported: choice, string, text, group, display)",
    ),
    (
        _delete("item", 1, "answerOption"),
        "questionnaire.item[1].answerOption",
        'choice item "low_mood" has no answer options; list each answer as an answerOption '
        "with a number",
    ),
    (
        lambda data: (
            data["item"][1].pop("answerOption"),
            data["item"][1].update(answerValueSet="http://example.org/vs"),
        ),
        "questionnaire.item[1].answerOption",
        'choice item "low_mood" has no answer options; its answerValueSet '
        '"http://example.org/vs" is not read; list each answer as an answerOption with a number',
    ),
    (
        _delete("item", 1, "answerOption", 1, "valueCoding", "extension"),
        "questionnaire.item[1].answerOption[1]",
        'answer "Sometimes" has no number: give it an ordinalValue extension or a whole-number '
        'code (code is "b")',
    ),
    (
        _set(
            "item", 1, "answerOption", 1, "valueCoding", "extension", 0, "valueDecimal", value=0.5
        ),
        "questionnaire.item[1].answerOption[1]",
        "ordinalValue 0.5 is not a whole number; option values must be",
    ),
    (
        _set("item", 1, "answerOption", 1, "valueCoding", "extension", 0, "valueDecimal", value=0),
        "questionnaire.item[1].answerOption[1].value",
        "0 is already used by questionnaire.item[1].answerOption[0]",
    ),
    (
        _set("item", 1, "linkId", value="1.1"),
        "questionnaire.item[1].linkId",
        '"1.1" is not a valid item key (lowercase letters, digits and underscores, starting '
        'with a letter); give it one in scoring.keys, e.g. {"1.1": "item_1"}',
    ),
    (
        _set("item", 1, "repeats", value=True),
        "questionnaire.item[1].repeats",
        'item "low_mood" repeats; repeating items are not supported',
    ),
    (
        _delete("item", 1, "text"),
        "questionnaire.item[1].text",
        'item "low_mood" has no text for the client to read',
    ),
    (
        _set("item", 1, "item", 0, "type", value="string"),
        "questionnaire.item[1].item[0]",
        'item "low_mood" has a nested question; only display text (help) can be nested under '
        "a question",
    ),
    (
        _set("item", 2, "item", 1, "enableWhen", 0, "operator", value="!="),
        "questionnaire.item[2].item[1].enableWhen[0].operator",
        'operator "!=" is not supported here',
    ),
    (
        _set("item", 2, "item", 1, "enableWhen", 0, "question", value="notes"),
        "questionnaire.item[2].item[1].enableWhen[0].question",
        '"notes" is not an earlier choice item',
    ),
    (
        _set(
            "item",
            2,
            "item",
            1,
            "enableWhen",
            value=[
                {"question": "low_mood", "operator": "=", "answerCoding": {"code": "a"}},
                {"question": "low_mood", "operator": "=", "answerCoding": {"code": "c"}},
            ],
        ),
        "questionnaire.item[2].item[1].enableBehavior",
        'several "=" conditions need "any"; a ">=" with a "<=" needs "all"',
    ),
    (
        _delete("copyright"),
        "questionnaire.copyright",
        'missing: give the resource a copyright or "licence" in scoring',
    ),
    (
        _delete("status"),
        "questionnaire.status",
        "not a valid FHIR R4 Questionnaire: Value for the field 'status' is required.",
    ),
    (
        _set("resourceType", value="Patient"),
        "questionnaire.resourceType",
        'expected "Questionnaire", got "Patient"',
    ),
]


@pytest.mark.parametrize(("change", "path", "message"), FHIR_DEFECTS)
def test_questionnaire_defect_is_reported_with_its_fhir_path(
    change: Any, path: str, message: str
) -> None:
    error = _broken(change)
    assert (error.path, error.message) == (path, message)


def test_enable_when_on_non_consecutive_options_is_refused() -> None:
    conditions = [
        {"question": "low_mood", "operator": "=", "answerCoding": {"code": "a"}},
        {"question": "low_mood", "operator": "=", "answerCoding": {"code": "c"}},
    ]
    error = _broken(
        lambda data: data["item"][2]["item"][1].update(enableWhen=conditions, enableBehavior="any")
    )
    assert (error.path, error.message) == (
        "questionnaire.item[2].item[1].enableWhen",
        'the answers [0, 2] are not consecutive options of "low_mood"',
    )


SCORING_DEFECTS: list[tuple[dict[str, Any], str, str]] = [
    (
        {"outcome": scoring()["outcome"]},
        "scoring.composite",
        "required key is missing",
    ),
    (
        {"composite": scoring()["composite"]},
        "scoring.outcome",
        "required key is missing",
    ),
    (
        scoring() | {"bands": []},
        "scoring",
        'unknown key "bands" (allowed: composite, subscales, outcome, keys, reverse, id, '
        "version, title, licence, attribution, reliability, norms)",
    ),
    (
        scoring() | {"keys": {"nope": "x"}},
        "scoring.keys.nope",
        "no question has this linkId",
    ),
    (
        scoring() | {"reverse": ["notes"]},
        "scoring.reverse[0]",
        '"notes" is not a choice item',
    ),
    (
        scoring() | {"id": "Bad Id"},
        "scoring.id",
        "expected lowercase letters, digits, dots, underscores and hyphens, starting with a "
        'letter or digit, got "Bad Id"',
    ),
    (
        {
            **scoring(),
            "outcome": {
                **scoring()["outcome"],
                "bands": [{"min": 0, "label": "a"}, {"min": 0, "label": "b"}],
            },
        },
        "scoring.outcome.bands[1].min",
        "must be greater than the previous band's min (0), got 0",
    ),
    (
        {**scoring(), "composite": {"name": "total", "items": ["low_mod"], "method": "sum"}},
        "scoring.composite.items",
        'unknown item key "low_mod" (did you mean "low_mood"?)',
    ),
]


@pytest.mark.parametrize(("block", "path", "message"), SCORING_DEFECTS)
def test_scoring_block_defect_is_reported_under_scoring(
    block: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        outcome_from_fhir_questionnaire(questionnaire(), block)
    assert (caught.value.path, caught.value.message) == (path, message)


def test_json_syntax_error_in_the_resource() -> None:
    with pytest.raises(DefinitionError) as caught:
        outcome_from_fhir_questionnaire('{"resourceType": ', scoring())
    assert caught.value.path == "questionnaire: line 1, column 18"


# --- Export --------------------------------------------------------------------------------------


def test_phq9_exports_as_a_valid_questionnaire() -> None:
    resource = outcome_to_fhir_questionnaire(builtin()["phq9"])
    Questionnaire.model_validate(resource)
    assert resource["id"] == "phq9"
    assert resource["code"] == [
        {"system": "http://loinc.org", "code": "44249-1", "display": resource["title"]}
    ]
    items: list[dict[str, Any]] = resource["item"]  # type: ignore[assignment]
    assert len(items) == 9
    assert items[8]["linkId"] == "phq9_9"
    assert items[8]["answerOption"][3] == {
        "valueCoding": {
            "code": "3",
            "display": "Nearly every day",
            "extension": [{"url": ORDINAL_VALUE_URL, "valueDecimal": 3}],
        }
    }


@pytest.mark.parametrize("instrument_id", ["phq9", "gad7"])
def test_builtin_round_trips_through_fhir(instrument_id: str) -> None:
    original = builtin()[instrument_id]
    raw = json.loads(builtin_json(instrument_id))
    block = {"composite": raw["scoring"]["composite"], "outcome": raw["outcome"]}
    resource = json.dumps(outcome_to_fhir_questionnaire(original))
    assert outcome_from_fhir_questionnaire(resource, block) == original


def test_conditions_and_help_round_trip() -> None:
    defn = outcome_from_fhir_questionnaire(questionnaire(), scoring())
    exported = outcome_to_fhir_questionnaire(defn)
    again = outcome_from_fhir_questionnaire(exported, scoring() | {"id": "mood-3"})
    assert again.instrument.items == defn.instrument.items


def test_range_condition_exports_as_any_of_its_codes() -> None:
    defn = outcome_from_fhir_questionnaire(questionnaire(), scoring())
    items = list(defn.instrument.items)
    items[2] = replace(items[2], show_if=AnswerCondition(item="low_mood", min=1, max=None))
    changed = replace(defn, instrument=replace(defn.instrument, items=tuple(items)))
    item: dict[str, Any] = outcome_to_fhir_questionnaire(changed)["item"][2]  # type: ignore[index]
    assert item["enableBehavior"] == "any"
    assert [condition["answerCoding"]["code"] for condition in item["enableWhen"]] == ["1", "2"]


def test_context_condition_cannot_be_exported() -> None:
    data = json.loads(builtin_json("gad7"))
    data["items"][1]["show_if"] = {"context": "has_open_rupture"}
    with pytest.raises(ValueError, match=r"^item 'gad7_2' is shown on the context flag"):
        outcome_to_fhir_questionnaire(load_outcome(data))
