"""Instrument definitions: loading, every kind of defect, answer validation and scoring."""

from __future__ import annotations

import copy
import json
import math
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from alliance.core.instruments import (
    AnswerCondition,
    ContextCondition,
    DefinitionError,
    Instrument,
    ItemKind,
    Option,
    Scale,
    ScaleMethod,
    Score,
    ScoringError,
    load_instrument,
    load_instrument_json,
    score,
    validate_answers,
)


def _options(*values: int) -> list[dict[str, Any]]:
    return [{"value": value, "label": f"Label {value}"} for value in values]


def definition() -> dict[str, Any]:
    """A small valid definition; each test copies and breaks or extends it."""
    return {
        "id": "demo",
        "version": 1,
        "title": "Demo questionnaire",
        "licence": "Free to use",
        "attribution": "Written for these tests",
        "items": [
            {
                "key": "mood",
                "text": "How is your mood?",
                "kind": "choice",
                "options": _options(1, 2, 3),
            },
            {
                "key": "worry",
                "text": "How much do you worry?",
                "kind": "choice",
                "options": _options(1, 2, 3),
                "reverse": True,
            },
            {"key": "note", "text": "Anything else?", "kind": "text"},
            {
                "key": "sleep",
                "text": "How did you sleep?",
                "kind": "choice",
                "options": _options(1, 2, 3),
                "show_if": {"item": "mood", "min": 2},
            },
        ],
        "scoring": {
            "composite": {"name": "total", "items": ["mood", "worry"], "method": "sum"},
            "subscales": [{"name": "calm", "items": ["worry"], "method": "mean"}],
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


def load_broken(editor: Editor) -> DefinitionError:
    data = definition()
    editor(data)
    with pytest.raises(DefinitionError) as caught:
        load_instrument(data)
    return caught.value


def load_edited(*editors: Editor) -> Instrument:
    data = definition()
    for editor in editors:
        editor(data)
    return load_instrument(data)


DEMO = load_instrument(definition())


# --- DefinitionError ----------------------------------------------------------------------------


def test_definition_error_str_is_path_then_message() -> None:
    error = DefinitionError("items[2].options[1].value", 'expected an integer, got "a"')
    assert str(error) == 'items[2].options[1].value: expected an integer, got "a"'


def test_definition_error_is_a_value_error_with_path_and_message() -> None:
    error = DefinitionError("version", "expected an integer, got true")
    assert isinstance(error, ValueError)
    assert (error.path, error.message) == ("version", "expected an integer, got true")


def test_definition_error_survives_pickling() -> None:
    # Our own object round-trips here; nothing untrusted is unpickled.
    error = pickle.loads(pickle.dumps(DefinitionError("id", "must not be empty")))  # noqa: S301
    assert (error.path, error.message, str(error)) == (
        "id",
        "must not be empty",
        "id: must not be empty",
    )


# --- Every kind of defect, with its exact path and message --------------------------------------

_TOP_KEYS = (
    "attribution, description, id, items, licence, norms, reliability, scoring, title, version"
)

DEFECTS = [
    # Top level
    pytest.param(
        edit("titel", value="x"),
        "(top level)",
        'unknown key "titel" (did you mean "title"?)',
        id="top-typo",
    ),
    pytest.param(
        edit("colour", value="x"),
        "(top level)",
        f'unknown key "colour" (allowed: {_TOP_KEYS})',
        id="top-unknown",
    ),
    pytest.param(edit("id"), "id", "required key is missing", id="id-missing"),
    pytest.param(edit("id", value=5), "id", "expected a string, got 5", id="id-not-string"),
    pytest.param(edit("id", value=""), "id", "must not be empty", id="id-empty"),
    pytest.param(
        edit("id", value="PHQ 9"),
        "id",
        "expected lowercase letters, digits, dots, underscores and hyphens, "
        'starting with a letter or digit, got "PHQ 9"',
        id="id-pattern",
    ),
    pytest.param(
        edit("version", value="1"), "version", 'expected an integer, got "1"', id="version-string"
    ),
    pytest.param(
        edit("version", value=1.0), "version", "expected an integer, got 1.0", id="version-float"
    ),
    pytest.param(
        edit("version", value=True), "version", "expected an integer, got true", id="version-bool"
    ),
    pytest.param(
        edit("version", value=0),
        "version",
        "expected an integer of at least 1, got 0",
        id="version-zero",
    ),
    pytest.param(edit("title", value="   "), "title", "must not be empty", id="title-blank"),
    pytest.param(
        edit("description", value=3),
        "description",
        "expected a string, got 3",
        id="description-number",
    ),
    pytest.param(edit("licence"), "licence", "required key is missing", id="licence-missing"),
    pytest.param(
        edit("attribution", value=None),
        "attribution",
        "expected a string, got null",
        id="attribution-null",
    ),
    pytest.param(
        edit("items", value={}), "items", "expected a list, got an object", id="items-object"
    ),
    pytest.param(
        edit("items", value="mood"), "items", 'expected a list, got "mood"', id="items-string"
    ),
    pytest.param(edit("items", value=[]), "items", "expected at least one item", id="items-empty"),
    pytest.param(
        edit("items", 1, value="x"), "items[1]", 'expected an object, got "x"', id="item-not-object"
    ),
    # Items
    pytest.param(
        edit("items", 0, "requird", value=True),
        "items[0]",
        'unknown key "requird" (did you mean "required"?)',
        id="item-typo",
    ),
    pytest.param(
        edit("items", 0, "key"), "items[0].key", "required key is missing", id="item-key-missing"
    ),
    pytest.param(
        edit("items", 0, "key", value="Mood"),
        "items[0].key",
        'expected lowercase letters, digits and underscores, starting with a letter, got "Mood"',
        id="item-key-pattern",
    ),
    pytest.param(
        edit("items", 0, "key", value="__all__"),
        "items[0].key",
        'expected lowercase letters, digits and underscores, starting with a letter, got "__all__"',
        id="item-key-reserved",
    ),
    pytest.param(
        edit("items", 1, "key", value="mood"),
        "items[1].key",
        '"mood" is already used by items[0]',
        id="item-key-duplicate",
    ),
    pytest.param(
        edit("items", 0, "text", value=""),
        "items[0].text",
        "must not be empty",
        id="item-text-empty",
    ),
    pytest.param(
        edit("items", 0, "text"), "items[0].text", "required key is missing", id="item-text-missing"
    ),
    pytest.param(
        edit("items", 0, "kind", value="radio"),
        "items[0].kind",
        'expected "choice" or "text", got "radio"',
        id="item-kind",
    ),
    pytest.param(
        edit("items", 0, "options"),
        "items[0].options",
        "required for a choice item",
        id="choice-no-options",
    ),
    pytest.param(
        edit("items", 2, "options", value=_options(1, 2)),
        "items[2].options",
        "only choice items have options",
        id="text-with-options",
    ),
    pytest.param(
        edit("items", 0, "max_length", value=10),
        "items[0].max_length",
        "only text items have a max_length",
        id="choice-with-max-length",
    ),
    pytest.param(
        edit("items", 2, "max_length", value=0),
        "items[2].max_length",
        "expected an integer of at least 1, got 0",
        id="max-length-zero",
    ),
    pytest.param(
        edit("items", 2, "max_length", value="2000"),
        "items[2].max_length",
        'expected an integer, got "2000"',
        id="max-length-string",
    ),
    pytest.param(
        edit("items", 0, "required", value="yes"),
        "items[0].required",
        'expected true or false, got "yes"',
        id="required-string",
    ),
    pytest.param(
        edit("items", 0, "reverse", value=1),
        "items[0].reverse",
        "expected true or false, got 1",
        id="reverse-number",
    ),
    pytest.param(
        edit("items", 2, "reverse", value=True),
        "items[2].reverse",
        "only choice items can be reverse-scored",
        id="text-reverse",
    ),
    pytest.param(
        edit("items", 0, "help", value=None),
        "items[0].help",
        "expected a string, got null",
        id="help-null",
    ),
    # Options
    pytest.param(
        edit("items", 0, "options", value={}),
        "items[0].options",
        "expected a list, got an object",
        id="options-object",
    ),
    pytest.param(
        edit("items", 0, "options", value=_options(1)),
        "items[0].options",
        "expected at least 2 options, got 1",
        id="options-one",
    ),
    pytest.param(
        edit("items", 0, "options", 0, value=1),
        "items[0].options[0]",
        "expected an object, got 1",
        id="option-not-object",
    ),
    pytest.param(
        edit("items", 0, "options", 1, "lable", value="x"),
        "items[0].options[1]",
        'unknown key "lable" (did you mean "label"?)',
        id="option-typo",
    ),
    pytest.param(
        edit("items", 0, "options", 1, "value", value="a"),
        "items[0].options[1].value",
        'expected an integer, got "a"',
        id="option-value-string",
    ),
    pytest.param(
        edit("items", 0, "options", 1, "value", value=1.5),
        "items[0].options[1].value",
        "expected an integer, got 1.5",
        id="option-value-float",
    ),
    pytest.param(
        edit("items", 0, "options", 2, "value", value=1),
        "items[0].options[2].value",
        "1 is already used by items[0].options[0]",
        id="option-value-duplicate",
    ),
    pytest.param(
        edit("items", 0, "options", 1, "label"),
        "items[0].options[1].label",
        "required key is missing",
        id="option-label-missing",
    ),
    pytest.param(
        edit("items", 0, "options", 1, "label", value=""),
        "items[0].options[1].label",
        "must not be empty",
        id="option-label-empty",
    ),
    # show_if
    pytest.param(
        edit("items", 3, "show_if", value="mood"),
        "items[3].show_if",
        'expected an object, got "mood"',
        id="show-if-string",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "mood", "minimum": 2}),
        "items[3].show_if",
        'unknown key "minimum" (did you mean "min"?)',
        id="show-if-typo",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "mood", "context": "x", "min": 2}),
        "items[3].show_if",
        'give either "context" or "item", not both',
        id="show-if-both",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={}),
        "items[3].show_if",
        'expected "context" or "item"',
        id="show-if-empty",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"context": "has_open_rupture", "min": 1}),
        "items[3].show_if.min",
        'only allowed with "item"',
        id="show-if-context-with-min",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"context": "Open Rupture"}),
        "items[3].show_if.context",
        "expected lowercase letters, digits and underscores, starting with a letter, "
        'got "Open Rupture"',
        id="show-if-context-pattern",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": 3, "min": 2}),
        "items[3].show_if.item",
        "expected a string, got 3",
        id="show-if-item-number",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "sleep", "min": 2}),
        "items[3].show_if.item",
        "an item cannot depend on itself",
        id="show-if-self",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "mod", "min": 2}),
        "items[3].show_if.item",
        'unknown item key "mod" (did you mean "mood"?)',
        id="show-if-unknown-close",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "xyz", "min": 2}),
        "items[3].show_if.item",
        'unknown item key "xyz"',
        id="show-if-unknown",
    ),
    pytest.param(
        edit("items", 1, "show_if", value={"item": "sleep", "min": 2}),
        "items[1].show_if.item",
        '"sleep" comes later (items[3]); a condition can only use an earlier item',
        id="show-if-later",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "note", "min": 1}),
        "items[3].show_if.item",
        '"note" is a text item; a condition needs a choice item',
        id="show-if-text-item",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "mood"}),
        "items[3].show_if",
        'expected "min", "max" or both',
        id="show-if-no-bounds",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "mood", "min": "2"}),
        "items[3].show_if.min",
        'expected an integer, got "2"',
        id="show-if-min-string",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "mood", "min": 4}),
        "items[3].show_if.min",
        '4 is outside the options of "mood" (1 to 3)',
        id="show-if-min-above-range",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "mood", "max": 0}),
        "items[3].show_if.max",
        '0 is outside the options of "mood" (1 to 3)',
        id="show-if-max-below-range",
    ),
    pytest.param(
        edit("items", 3, "show_if", value={"item": "mood", "min": 3, "max": 2}),
        "items[3].show_if.max",
        "must not be less than min (3), got 2",
        id="show-if-max-below-min",
    ),
    # Scoring
    pytest.param(edit("scoring"), "scoring", "required key is missing", id="scoring-missing"),
    pytest.param(
        edit("scoring", value=[]), "scoring", "expected an object, got a list", id="scoring-list"
    ),
    pytest.param(
        edit("scoring", "subscale", value=[]),
        "scoring",
        'unknown key "subscale" (did you mean "subscales"?)',
        id="scoring-typo",
    ),
    pytest.param(
        edit("scoring", "composite"),
        "scoring.composite",
        "required key is missing",
        id="composite-missing",
    ),
    pytest.param(
        edit("scoring", "composite", "name", value="Total"),
        "scoring.composite.name",
        'expected lowercase letters, digits and underscores, starting with a letter, got "Total"',
        id="scale-name-pattern",
    ),
    pytest.param(
        edit("scoring", "composite", "items"),
        "scoring.composite.items",
        "required key is missing",
        id="scale-items-missing",
    ),
    pytest.param(
        edit("scoring", "composite", "items", value=[]),
        "scoring.composite.items",
        "expected at least one item key",
        id="scale-items-empty",
    ),
    pytest.param(
        edit("scoring", "composite", "items", value=["mood", 1]),
        "scoring.composite.items[1]",
        "expected a string, got 1",
        id="scale-item-number",
    ),
    pytest.param(
        edit("scoring", "composite", "items", value=["mood", "mod"]),
        "scoring.composite.items",
        'unknown item key "mod" (did you mean "mood"?)',
        id="scale-item-unknown-close",
    ),
    pytest.param(
        edit("scoring", "composite", "items", value=["mood", "bnd"]),
        "scoring.composite.items",
        'unknown item key "bnd"',
        id="scale-item-unknown",
    ),
    pytest.param(
        edit("scoring", "composite", "items", value=["mood", "note"]),
        "scoring.composite.items",
        '"note" is a text item; only choice items can be scored',
        id="scale-text-item",
    ),
    pytest.param(
        edit("scoring", "composite", "items", value=["mood", "worry", "mood"]),
        "scoring.composite.items",
        '"mood" is listed twice',
        id="scale-item-twice",
    ),
    pytest.param(
        edit("scoring", "composite", "method"),
        "scoring.composite.method",
        "required key is missing",
        id="method-missing",
    ),
    pytest.param(
        edit("scoring", "composite", "method", value="avg"),
        "scoring.composite.method",
        'expected "mean" or "sum", got "avg"',
        id="method-unknown",
    ),
    pytest.param(
        edit("scoring", "composite", "min_answered", value=0),
        "scoring.composite.min_answered",
        "expected an integer from 1 to 2, got 0",
        id="min-answered-zero",
    ),
    pytest.param(
        edit("scoring", "composite", "min_answered", value=3),
        "scoring.composite.min_answered",
        "expected an integer from 1 to 2, got 3",
        id="min-answered-above-items",
    ),
    pytest.param(
        edit("scoring", "composite", "min_answered", value="2"),
        "scoring.composite.min_answered",
        'expected an integer, got "2"',
        id="min-answered-string",
    ),
    pytest.param(
        edit("scoring", "subscales", value={"name": "calm"}),
        "scoring.subscales",
        "expected a list, got an object",
        id="subscales-object",
    ),
    pytest.param(
        edit("scoring", "subscales", 0, "name", value="total"),
        "scoring.subscales[0].name",
        '"total" is already used by another scale',
        id="subscale-named-like-composite",
    ),
    pytest.param(
        edit(
            "scoring",
            "subscales",
            value=[
                {"name": "calm", "items": ["worry"], "method": "mean"},
                {"name": "calm", "items": ["mood"], "method": "mean"},
            ],
        ),
        "scoring.subscales[1].name",
        '"calm" is already used by another scale',
        id="subscale-duplicate-name",
    ),
    # Reliability and norms
    pytest.param(
        edit("reliability", value=0.8),
        "reliability",
        "expected an object, got 0.8",
        id="reliability-number",
    ),
    pytest.param(
        edit("reliability", value={"source": "x"}),
        "reliability.value",
        "required key is missing",
        id="reliability-value-missing",
    ),
    pytest.param(
        edit("reliability", value={"value": 0.8, "source": "x", "sorce": "y"}),
        "reliability",
        'unknown key "sorce" (did you mean "source"?)',
        id="reliability-typo",
    ),
    pytest.param(
        edit("reliability", value={"value": 0, "source": "x"}),
        "reliability.value",
        "expected a number between 0 and 1 (exclusive), got 0",
        id="reliability-zero",
    ),
    pytest.param(
        edit("reliability", value={"value": 1.0, "source": "x"}),
        "reliability.value",
        "expected a number between 0 and 1 (exclusive), got 1.0",
        id="reliability-one",
    ),
    pytest.param(
        edit("reliability", value={"value": "0.8", "source": "x"}),
        "reliability.value",
        'expected a number, got "0.8"',
        id="reliability-string",
    ),
    pytest.param(
        edit("reliability", value={"value": math.nan, "source": "x"}),
        "reliability.value",
        "expected a finite number, got NaN",
        id="reliability-nan",
    ),
    pytest.param(
        edit("reliability", value={"value": 0.8, "source": ""}),
        "reliability.source",
        "must not be empty",
        id="reliability-source-empty",
    ),
    pytest.param(
        edit("norms", value={"sd": 0, "source": "x"}),
        "norms.sd",
        "expected a number greater than 0, got 0",
        id="norms-sd-zero",
    ),
    pytest.param(
        edit("norms", value={"sd": -1.5, "source": "x"}),
        "norms.sd",
        "expected a number greater than 0, got -1.5",
        id="norms-sd-negative",
    ),
    pytest.param(
        edit("norms", value={"sd": math.inf, "source": "x"}),
        "norms.sd",
        "expected a finite number, got Infinity",
        id="norms-sd-infinite",
    ),
    pytest.param(
        edit("norms", value={"sd": 2.0}),
        "norms.source",
        "required key is missing",
        id="norms-source-missing",
    ),
]


@pytest.mark.parametrize(("editor", "path", "message"), DEFECTS)
def test_definition_defect_is_reported_with_its_path(
    editor: Editor, path: str, message: str
) -> None:
    error = load_broken(editor)
    assert (error.path, error.message) == (path, message)


def test_definition_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_instrument([])  # type: ignore[arg-type]
    assert (caught.value.path, caught.value.message) == (
        "(top level)",
        "expected an object, got a list",
    )


def test_misspelt_required_key_is_reported_as_the_typo() -> None:
    error = load_broken(lambda data: data.__setitem__("titel", data.pop("title")))
    assert (error.path, error.message) == (
        "(top level)",
        'unknown key "titel" (did you mean "title"?)',
    )


def test_long_strings_are_shortened_in_messages() -> None:
    error = load_broken(edit("items", 0, "kind", value="x" * 50))
    assert error.message == 'expected "choice" or "text", got "' + "x" * 39 + '…"'


# --- What a valid definition loads as -----------------------------------------------------------


def test_loaded_instrument_keeps_top_level_fields() -> None:
    assert (DEMO.id, DEMO.version, DEMO.title, DEMO.licence, DEMO.attribution) == (
        "demo",
        1,
        "Demo questionnaire",
        "Free to use",
        "Written for these tests",
    )


def test_optional_top_level_fields_default_to_empty() -> None:
    assert (
        DEMO.description,
        DEMO.reliability,
        DEMO.reliability_source,
        DEMO.norms_sd,
        DEMO.norms_source,
    ) == (
        "",
        None,
        "",
        None,
        "",
    )


def test_reliability_and_norms_are_loaded() -> None:
    instrument = load_edited(
        edit("reliability", value={"value": 0.84, "source": "Manual, table 2"}),
        edit("norms", value={"sd": 7.5, "source": "Clinical sample"}),
    )
    assert (
        instrument.reliability,
        instrument.reliability_source,
        instrument.norms_sd,
        instrument.norms_source,
    ) == (
        0.84,
        "Manual, table 2",
        7.5,
        "Clinical sample",
    )


@pytest.mark.parametrize("value", [0.0001, 0.9999])
def test_reliability_just_inside_the_open_interval_is_accepted(value: float) -> None:
    instrument = load_edited(edit("reliability", value={"value": value, "source": "x"}))
    assert instrument.reliability == value


def test_version_one_is_accepted() -> None:
    assert load_edited(edit("version", value=1)).version == 1


def test_items_are_loaded_in_order_with_their_kinds() -> None:
    assert [(item.key, item.kind) for item in DEMO.items] == [
        ("mood", ItemKind.CHOICE),
        ("worry", ItemKind.CHOICE),
        ("note", ItemKind.TEXT),
        ("sleep", ItemKind.CHOICE),
    ]


def test_options_are_loaded_in_display_order() -> None:
    assert DEMO.item("mood").options == (
        Option(1, "Label 1"),
        Option(2, "Label 2"),
        Option(3, "Label 3"),
    )


def test_choice_items_are_required_by_default() -> None:
    assert DEMO.item("mood").required is True


def test_text_items_are_optional_by_default() -> None:
    assert DEMO.item("note").required is False


def test_text_items_default_to_2000_characters() -> None:
    assert DEMO.item("note").max_length == 2000


def test_choice_items_have_no_max_length() -> None:
    assert DEMO.item("mood").max_length is None


def test_max_length_of_one_is_accepted() -> None:
    assert load_edited(edit("items", 2, "max_length", value=1)).item("note").max_length == 1


def test_help_defaults_to_empty() -> None:
    assert DEMO.item("mood").help == ""


def test_reverse_defaults_to_false_and_is_loaded_when_set() -> None:
    assert (DEMO.item("mood").reverse, DEMO.item("worry").reverse) == (False, True)


def test_reverse_false_is_allowed_on_a_text_item() -> None:
    assert load_edited(edit("items", 2, "reverse", value=False)).item("note").reverse is False


def test_min_and_max_value_come_from_the_options_not_their_order() -> None:
    instrument = load_edited(edit("items", 0, "options", value=_options(3, 0, 2)))
    assert (instrument.item("mood").min_value, instrument.item("mood").max_value) == (0, 3)


def test_option_values_need_not_be_contiguous() -> None:
    instrument = load_edited(edit("items", 0, "options", value=_options(0, 1, 3)))
    assert instrument.item("mood").values == (0, 1, 3)


def test_min_value_of_a_text_item_is_an_error() -> None:
    with pytest.raises(ValueError, match="'note' is a text item and has no option values"):
        _ = DEMO.item("note").min_value


def test_label_for_returns_the_option_label() -> None:
    assert DEMO.item("mood").label_for(2) == "Label 2"


def test_label_for_an_unknown_value_is_an_error() -> None:
    with pytest.raises(ValueError, match="item 'mood' has no option with value 9"):
        DEMO.item("mood").label_for(9)


def test_item_lookup_of_an_unknown_key_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="instrument 'demo' has no item 'nope'"):
        DEMO.item("nope")


def test_show_if_on_an_item_loads_as_an_answer_condition() -> None:
    assert DEMO.item("sleep").show_if == AnswerCondition(item="mood", min=2, max=None)


def test_show_if_on_a_context_flag_loads_as_a_context_condition() -> None:
    instrument = load_edited(edit("items", 3, "show_if", value={"context": "has_open_rupture"}))
    assert instrument.item("sleep").show_if == ContextCondition(context="has_open_rupture")


def test_show_if_bounds_at_both_ends_of_the_range_are_accepted() -> None:
    instrument = load_edited(
        edit("items", 3, "show_if", value={"item": "mood", "min": 1, "max": 3})
    )
    assert instrument.item("sleep").show_if == AnswerCondition(item="mood", min=1, max=3)


def test_scales_are_loaded() -> None:
    assert DEMO.scales == (
        Scale(name="total", items=("mood", "worry"), method=ScaleMethod.SUM, min_answered=2),
        Scale(name="calm", items=("worry",), method=ScaleMethod.MEAN, min_answered=1),
    )


def test_min_answered_of_one_is_accepted() -> None:
    instrument = load_edited(edit("scoring", "composite", "min_answered", value=1))
    assert instrument.composite.min_answered == 1


def test_subscales_are_optional() -> None:
    assert load_edited(edit("scoring", "subscales")).subscales == ()


def test_loading_does_not_keep_references_to_the_input() -> None:
    data = definition()
    instrument = load_instrument(data)
    data["items"][0]["options"][0]["label"] = "Changed"
    assert instrument.item("mood").options[0].label == "Label 1"


# --- JSON ---------------------------------------------------------------------------------------


def test_json_definition_loads_like_the_same_dict() -> None:
    assert load_instrument_json(json.dumps(definition())) == DEMO


def test_json_syntax_error_names_line_and_column() -> None:
    # Line 3 is '  "version" 1': the parser expects ':' where the '1' is, at column 13.
    with pytest.raises(DefinitionError) as caught:
        load_instrument_json('{\n  "id": "demo",\n  "version" 1\n}')
    assert (caught.value.path, caught.value.message) == (
        "line 3, column 13",
        "Expecting ':' delimiter",
    )


def test_json_key_given_twice_is_rejected() -> None:
    text = json.dumps(definition()).replace(
        '"title": "Demo questionnaire"', '"title": "A", "title": "B"'
    )
    with pytest.raises(DefinitionError) as caught:
        load_instrument_json(text)
    assert (caught.value.path, caught.value.message) == (
        "(top level)",
        'key "title" is given more than once',
    )


def test_json_key_given_twice_inside_an_item_names_the_item() -> None:
    text = json.dumps(definition()).replace('"kind": "text"', '"kind": "text", "kind": "choice"')
    with pytest.raises(DefinitionError) as caught:
        load_instrument_json(text)
    assert (caught.value.path, caught.value.message) == (
        "items[2]",
        'key "kind" is given more than once',
    )


def test_json_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_instrument_json("[1, 2]")
    assert (caught.value.path, caught.value.message) == (
        "(top level)",
        "expected an object, got a list",
    )


# --- validate_answers ---------------------------------------------------------------------------

VALID_FORM = {"mood": "2", "worry": "3", "note": "Fine", "sleep": "1"}


def test_valid_form_answers_are_cleaned_to_ints_and_text() -> None:
    assert validate_answers(DEMO, VALID_FORM) == (
        {"mood": 2, "worry": 3, "note": "Fine", "sleep": 1},
        {},
    )


def test_int_answers_are_accepted() -> None:
    cleaned, errors = validate_answers(DEMO, {"mood": 2, "worry": 3, "sleep": 1})
    assert (cleaned, errors) == ({"mood": 2, "worry": 3, "note": None, "sleep": 1}, {})


def test_whitespace_around_a_number_is_ignored() -> None:
    cleaned, _ = validate_answers(DEMO, {**VALID_FORM, "mood": " 3 "})
    assert cleaned["mood"] == 3


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_missing_required_choice_asks_for_one_answer(raw: object) -> None:
    cleaned, errors = validate_answers(DEMO, {**VALID_FORM, "worry": raw})
    assert (cleaned["worry"], errors) == (
        None,
        {"worry": "Please choose one answer for this question."},
    )


def test_absent_required_choice_asks_for_one_answer() -> None:
    _, errors = validate_answers(DEMO, {"mood": "1"})
    assert errors == {"worry": "Please choose one answer for this question."}


def test_missing_optional_choice_is_none_without_error() -> None:
    instrument = load_edited(edit("items", 1, "required", value=False))
    cleaned, errors = validate_answers(instrument, {"mood": "1"})
    assert (cleaned["worry"], errors) == (None, {})


@pytest.mark.parametrize("raw", ["abc", "2.0", "1_0", "٢", 2.0, True, [2]])
def test_non_whole_number_answer_asks_for_a_whole_number(raw: object) -> None:
    cleaned, errors = validate_answers(DEMO, {**VALID_FORM, "worry": raw})
    assert (cleaned["worry"], errors) == (
        None,
        {"worry": "Please choose a whole number from 1 to 3."},
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", None), ("1", 1), ("3", 3), ("4", None), ("-1", None)]
)
def test_choice_range_edges(raw: str, expected: int | None) -> None:
    cleaned, errors = validate_answers(DEMO, {**VALID_FORM, "worry": raw})
    assert (cleaned["worry"], "worry" in errors) == (expected, expected is None)


def test_gap_in_non_contiguous_options_lists_the_allowed_numbers() -> None:
    instrument = load_edited(edit("items", 1, "options", value=_options(0, 1, 3)))
    _, errors = validate_answers(instrument, {**VALID_FORM, "worry": "2"})
    assert errors == {"worry": "Please choose one of these numbers: 0, 1, 3."}


def test_item_shown_at_the_lower_bound_of_its_condition() -> None:
    # sleep is shown when mood >= 2.
    cleaned, errors = validate_answers(DEMO, {"mood": "2", "worry": "1"})
    assert (cleaned["sleep"], errors) == (
        None,
        {"sleep": "Please choose one answer for this question."},
    )


def test_item_hidden_just_below_its_condition_is_not_required() -> None:
    cleaned, errors = validate_answers(DEMO, {"mood": "1", "worry": "1"})
    assert (cleaned["sleep"], errors) == (None, {})


def test_answer_to_a_hidden_item_is_dropped() -> None:
    cleaned, errors = validate_answers(DEMO, {"mood": "1", "worry": "1", "sleep": "3"})
    assert (cleaned["sleep"], errors) == (None, {})


def test_invalid_answer_to_a_hidden_item_is_not_an_error() -> None:
    cleaned, errors = validate_answers(DEMO, {"mood": "1", "worry": "1", "sleep": "banana"})
    assert (cleaned["sleep"], errors) == (None, {})


def test_item_is_hidden_when_the_item_it_depends_on_is_invalid() -> None:
    cleaned, errors = validate_answers(DEMO, {"mood": "9", "worry": "1", "sleep": "2"})
    assert (cleaned["sleep"], errors) == (
        None,
        {"mood": "Please choose a whole number from 1 to 3."},
    )


def test_item_is_hidden_above_the_max_of_its_condition() -> None:
    instrument = load_edited(edit("items", 3, "show_if", value={"item": "mood", "max": 2}))
    cleaned, errors = validate_answers(instrument, {"mood": "3", "worry": "1", "sleep": "2"})
    assert (cleaned["sleep"], errors) == (None, {})


def test_item_is_shown_at_the_max_of_its_condition() -> None:
    instrument = load_edited(edit("items", 3, "show_if", value={"item": "mood", "max": 2}))
    cleaned, _ = validate_answers(instrument, {"mood": "2", "worry": "1", "sleep": "2"})
    assert cleaned["sleep"] == 2


def test_context_item_is_hidden_when_the_flag_is_absent() -> None:
    instrument = load_edited(edit("items", 3, "show_if", value={"context": "has_open_rupture"}))
    cleaned, errors = validate_answers(instrument, {"mood": "1", "worry": "1", "sleep": "2"})
    assert (cleaned["sleep"], errors) == (None, {})


def test_context_item_is_hidden_when_the_flag_is_false() -> None:
    instrument = load_edited(edit("items", 3, "show_if", value={"context": "has_open_rupture"}))
    cleaned, _ = validate_answers(
        instrument, {"mood": "1", "worry": "1", "sleep": "2"}, context={"has_open_rupture": False}
    )
    assert cleaned["sleep"] is None


def test_context_item_is_shown_and_required_when_the_flag_is_true() -> None:
    instrument = load_edited(edit("items", 3, "show_if", value={"context": "has_open_rupture"}))
    _, errors = validate_answers(
        instrument, {"mood": "1", "worry": "1"}, context={"has_open_rupture": True}
    )
    assert errors == {"sleep": "Please choose one answer for this question."}


def test_text_is_stripped() -> None:
    cleaned, _ = validate_answers(DEMO, {**VALID_FORM, "note": "  hello \n"})
    assert cleaned["note"] == "hello"


def test_blank_optional_text_is_none() -> None:
    cleaned, errors = validate_answers(DEMO, {**VALID_FORM, "note": "   "})
    assert (cleaned["note"], errors) == (None, {})


def test_missing_required_text_asks_for_an_answer() -> None:
    instrument = load_edited(edit("items", 2, "required", value=True))
    _, errors = validate_answers(instrument, {**VALID_FORM, "note": ""})
    assert errors == {"note": "Please write an answer here."}


def test_html_in_text_is_kept_verbatim() -> None:
    text = '<script>alert("hi")</script> & <b>bold</b>'
    cleaned, errors = validate_answers(DEMO, {**VALID_FORM, "note": text})
    assert (cleaned["note"], errors) == (text, {})


def test_windows_line_endings_become_newlines() -> None:
    cleaned, _ = validate_answers(DEMO, {**VALID_FORM, "note": "one\r\ntwo\rthree"})
    assert cleaned["note"] == "one\ntwo\nthree"


def test_text_of_exactly_max_length_is_accepted() -> None:
    cleaned, errors = validate_answers(DEMO, {**VALID_FORM, "note": "x" * 2000})
    assert (cleaned["note"], errors) == ("x" * 2000, {})


def test_text_one_over_max_length_gives_limit_and_current_length() -> None:
    cleaned, errors = validate_answers(DEMO, {**VALID_FORM, "note": "x" * 2001})
    assert (cleaned["note"], errors) == (
        None,
        {"note": "Please shorten this to 2,000 characters or fewer. It is 2,001 characters now."},
    )


def test_text_length_is_counted_after_stripping() -> None:
    _, errors = validate_answers(DEMO, {**VALID_FORM, "note": "  " + "x" * 2000 + "\n\n"})
    assert errors == {}


def test_crlf_counts_as_one_character_towards_max_length() -> None:
    instrument = load_edited(edit("items", 2, "max_length", value=3))
    cleaned, errors = validate_answers(instrument, {**VALID_FORM, "note": "a\r\nb"})
    assert (cleaned["note"], errors) == ("a\nb", {})


def test_text_answer_that_is_not_a_string_is_an_error() -> None:
    _, errors = validate_answers(DEMO, {**VALID_FORM, "note": 42})
    assert errors == {"note": "Please write your answer as text."}


def test_text_with_a_nul_character_is_an_error() -> None:
    _, errors = validate_answers(DEMO, {**VALID_FORM, "note": "a\x00b"})
    assert errors == {"note": "Your answer has a hidden character we can't save. Please retype it."}


def test_unexpected_field_is_reported_under_all() -> None:
    cleaned, errors = validate_answers(DEMO, {**VALID_FORM, "is_admin": "1"})
    assert (cleaned, errors) == (
        {"mood": 2, "worry": 3, "note": "Fine", "sleep": 1},
        {"__all__": "Unexpected field: is_admin"},
    )


def test_several_unexpected_fields_are_listed_in_order() -> None:
    _, errors = validate_answers(DEMO, {**VALID_FORM, "zed": "1", "alpha": "2"})
    assert errors == {"__all__": "Unexpected fields: alpha, zed"}


def test_cleaned_answers_cover_every_item_even_when_nothing_is_sent() -> None:
    cleaned, _ = validate_answers(DEMO, {})
    assert cleaned == {"mood": None, "worry": None, "note": None, "sleep": None}


def test_every_problem_is_reported_at_once() -> None:
    _, errors = validate_answers(DEMO, {"mood": "x", "note": "y" * 2001, "extra": "1"})
    assert sorted(errors) == ["__all__", "mood", "note", "worry"]


# --- score --------------------------------------------------------------------------------------


def test_sum_composite_adds_the_reverse_scored_answer() -> None:
    # total = mood + reversed worry; worry 3 on 1..3 reverses to (1 + 3) - 3 = 1, so 2 + 1 = 3.
    assert score(DEMO, {"mood": 2, "worry": 3}).composite == 3.0


@pytest.mark.parametrize(("answer", "reversed_value"), [(1, 3.0), (2, 2.0), (3, 1.0)])
def test_reverse_scoring_mirrors_the_option_range(answer: int, reversed_value: float) -> None:
    assert score(DEMO, {"mood": 1, "worry": answer}).subscales["calm"] == reversed_value


def test_reverse_scoring_uses_the_items_own_range() -> None:
    # worry on 0..4 while mood stays 1..3: answer 1 reverses to (0 + 4) - 1 = 3.
    instrument = load_edited(edit("items", 1, "options", value=_options(0, 1, 2, 3, 4)))
    assert score(instrument, {"mood": 1, "worry": 1}).subscales["calm"] == 3.0


def test_mean_scale_is_the_mean_of_answered_items() -> None:
    # (2 + reversed 1 = 3) / 2 = 2.5
    instrument = load_edited(edit("scoring", "composite", "method", value="mean"))
    assert score(instrument, {"mood": 2, "worry": 1}).composite == 2.5


def test_scale_below_min_answered_scores_none() -> None:
    assert score(DEMO, {"mood": 2}).composite is None


def test_mean_scale_at_min_answered_uses_answered_items_only() -> None:
    instrument = load_edited(
        edit("scoring", "composite", "method", value="mean"),
        edit("scoring", "composite", "min_answered", value=1),
    )
    assert score(instrument, {"mood": 2, "worry": None}).composite == 2.0


def test_sum_scale_with_a_missing_item_is_prorated() -> None:
    # Items mood, worry, sleep; sleep missing. Mean of answered = (2 + reversed 3 = 1) / 2 = 1.5;
    # prorated total = 1.5 * 3 items = 4.5.
    instrument = load_edited(
        edit("scoring", "composite", "items", value=["mood", "worry", "sleep"]),
        edit("scoring", "composite", "min_answered", value=2),
    )
    assert score(instrument, {"mood": 2, "worry": 3}).composite == 4.5


def test_sum_scale_with_every_item_answered_is_the_exact_total() -> None:
    # 1 + reversed 2 (= 2) + 3 = 6
    instrument = load_edited(
        edit("scoring", "composite", "items", value=["mood", "worry", "sleep"])
    )
    assert score(instrument, {"mood": 1, "worry": 2, "sleep": 3}).composite == 6.0


def test_subscales_are_scored_by_name() -> None:
    assert score(DEMO, {"mood": 2, "worry": 1}).subscales == {"calm": 3.0}


def test_answered_counts_choice_items_only() -> None:
    assert score(DEMO, {"mood": 2, "worry": None, "note": "text", "sleep": 1}).answered == 2


def test_score_accepts_cleaned_answers_directly() -> None:
    cleaned, _ = validate_answers(DEMO, VALID_FORM)
    assert score(DEMO, cleaned) == Score(composite=3.0, subscales={"calm": 1.0}, answered=3)


def test_score_of_no_answers_is_all_none() -> None:
    assert score(DEMO, {}) == Score(composite=None, subscales={"calm": None}, answered=0)


def test_score_rejects_an_unknown_key() -> None:
    with pytest.raises(ScoringError, match="instrument 'demo' has no item 'mod'"):
        score(DEMO, {"mod": 2})


def test_score_rejects_a_value_outside_the_options() -> None:
    with pytest.raises(
        ScoringError, match=r"item 'mood': 4 is not one of its option values \[1, 2, 3\]"
    ):
        score(DEMO, {"mood": 4, "worry": 1})


def test_score_rejects_a_string_answer() -> None:
    with pytest.raises(ScoringError, match=r"item 'mood': '2' is not one of its option values"):
        score(DEMO, {"mood": "2", "worry": 1})


def test_score_rejects_a_boolean_answer() -> None:
    with pytest.raises(ScoringError, match=r"item 'mood': True is not one of its option values"):
        score(DEMO, {"mood": True, "worry": 1})
