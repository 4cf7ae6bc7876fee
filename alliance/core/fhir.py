"""Outcome definitions from and to FHIR R4 ``Questionnaire`` resources.

A clinic that holds the licence for a questionnaire may already have it as a FHIR Questionnaire
(from its EHR or a forms library). :func:`outcome_from_fhir_questionnaire` reads the items from
it and takes the scoring, which FHIR does not describe in a form we can rely on, from a small
``scoring`` block written by the clinic. :func:`outcome_to_fhir_questionnaire` goes the other
way, for export. The resource is parsed and checked with ``fhir.resources`` (its R4B models,
which read R4 Questionnaires: the resource did not change between the two).

What is read
------------
* ``choice`` items become choice items. Each ``answerOption`` needs a number: the
  ``ordinalValue`` extension (on the option or on its ``valueCoding``; R5's ``itemWeight`` is
  read too), else a ``valueCoding.code`` or ``valueInteger`` that is a whole number. The label is
  the coding's ``display`` (else its code), or the ``valueString``.
* ``string`` and ``text`` items become text items (``maxLength`` is kept).
* ``group`` items are flattened: their questions are read in order, the group itself dropped.
* ``display`` items at the top level are joined into the description; a ``display`` item inside
  a question becomes that question's help text.
* ``enableWhen`` on an earlier choice item becomes ``show_if`` when it amounts to a range of
  that item's answers: one condition with ``=``, ``>=`` or ``<=``, several ``=`` joined by
  ``enableBehavior: any`` that cover consecutive options, or a ``>=`` and a ``<=`` joined by
  ``all``.
* ``linkId`` becomes the item key. A linkId that is not a valid key (lowercase letters, digits
  and underscores, starting with a letter) needs a new name in ``scoring.keys``.

Anything else (other item types, ``repeats``, ``answerValueSet`` without options, other
conditions) is refused with a :class:`~alliance.core.instruments.DefinitionError` naming the
item, never skipped: a questionnaire that silently lost a question would score wrongly.

The scoring block
-----------------
::

    composite, subscales   as in an instrument definition's "scoring" (required, optional)
    outcome                the outcome block of alliance.core.outcomes (required)
    keys                   {linkId: key}, optional: new keys for linkIds that are not valid keys
    reverse                [key, ...], optional: reverse-scored items
    id, version, title,    optional: override or supply what the Questionnaire lacks. By
    licence, attribution   default id is the Questionnaire's id in lower case, version its
                           version when that is a whole number (else 1), title its title (else
                           name), licence its copyright, attribution its publisher.
    reliability, norms     optional, as at the top level of an instrument definition

Errors in the scoring block are reported under ``scoring.``, errors in the resource under
``questionnaire.`` with the FHIR path, e.g. ``questionnaire.item[1].item[0].answerOption[2]``.
"""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pydantic
from fhir.resources.R4B.questionnaire import Questionnaire, QuestionnaireItem

from alliance.core.instruments import (
    AnswerCondition,
    ContextCondition,
    DefinitionError,
    Instrument,
    Item,
    ItemKind,
)
from alliance.core.outcomes import OutcomeDefinition, load_outcome

__all__ = [
    "ORDINAL_VALUE_URL",
    "fhir_questionnaire_to_definition",
    "instrument_to_fhir_questionnaire",
    "outcome_from_fhir_questionnaire",
    "outcome_to_fhir_questionnaire",
]

ORDINAL_VALUE_URL: Final = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
# R5 renamed the extension; files converted from R5 tools may carry the new name.
_ITEM_WEIGHT_URL: Final = "http://hl7.org/fhir/StructureDefinition/itemWeight"
_ITEM_CONTROL_URL: Final = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
_ITEM_CONTROL_SYSTEM: Final = "http://hl7.org/fhir/questionnaire-item-control"
_LOINC_SYSTEM: Final = "http://loinc.org"
_KEY_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")
_INTEGER_PATTERN: Final = re.compile(r"[+-]?[0-9]+")
_SUPPORTED_TYPES: Final = ("choice", "string", "text", "group", "display")
_SCORING_KEYS: Final = (
    "composite",
    "subscales",
    "outcome",
    "keys",
    "reverse",
    "id",
    "version",
    "title",
    "licence",
    "attribution",
    "reliability",
    "norms",
)
_Q: Final = "questionnaire"


# --- Import --------------------------------------------------------------------------------------


def outcome_from_fhir_questionnaire(
    questionnaire_json: str | Mapping[str, object], scoring: Mapping[str, object]
) -> OutcomeDefinition:
    """Build an outcome definition from a FHIR R4 Questionnaire and a scoring block.

    Parameters
    ----------
    questionnaire_json : str or Mapping
        The Questionnaire resource, as JSON text or parsed.
    scoring : Mapping
        The scoring block described in this module's docstring.

    Returns
    -------
    OutcomeDefinition

    Raises
    ------
    DefinitionError
        For a resource that is not a valid Questionnaire, an item we cannot read, or a defect in
        the definition it makes, with the path of the defect.
    """
    return _Import(questionnaire_json, scoring).load()[1]


def fhir_questionnaire_to_definition(
    questionnaire_json: str | Mapping[str, object], scoring: Mapping[str, object]
) -> dict[str, object]:
    """The validated definition, as a plain dict, that :func:`outcome_from_fhir_questionnaire`
    builds: for storing an imported questionnaire as a definition file.
    """
    return _Import(questionnaire_json, scoring).load()[0]


class _Import:
    """One conversion: the parsed resource, the scoring block and what has been read so far."""

    def __init__(
        self, questionnaire_json: str | Mapping[str, object], scoring: Mapping[str, object]
    ) -> None:
        self.questionnaire = _parse(questionnaire_json)
        self.scoring = _scoring_block(scoring)
        self.keys = _key_map(self.scoring)
        self.items: list[dict[str, object]] = []
        self.item_paths: list[str] = []
        self.description: list[str] = []
        self.link_ids: set[str] = set()
        # The answer codes of the choice items read so far, by key, for enableWhen.
        self.choices: dict[str, dict[str, int]] = {}
        # Where each top-level value of the definition came from, to name it in errors.
        self.origins: dict[str, str] = {}

    def load(self) -> tuple[dict[str, object], OutcomeDefinition]:
        definition = self.definition()
        try:
            return definition, load_outcome(definition)
        except DefinitionError as error:
            # Messages can name another item's path too ("... is already used by items[3]").
            message = re.sub(
                r"items\[\d+\](?:\.options\[\d+\])?",
                lambda match: self.source_path(match.group(0)),
                error.message,
            )
            raise DefinitionError(self.source_path(error.path), message) from None

    def definition(self) -> dict[str, object]:
        questionnaire, scoring = self.questionnaire, self.scoring
        if questionnaire.description:
            self.description.append(str(questionnaire.description))
        self.read_items(questionnaire.item or [], f"{_Q}.item")
        if not self.items:
            raise DefinitionError(f"{_Q}.item", "no question items to import")
        for link_id in self.keys:
            if link_id not in self.link_ids:
                raise DefinitionError(f"scoring.keys.{link_id}", "no question has this linkId")
        _apply_reverse(scoring, self.items)

        definition: dict[str, object] = {
            "id": self.pick("id", questionnaire.id, lower=True),
            "version": self.pick_version(),
            "title": self.pick("title", questionnaire.title or questionnaire.name),
            "description": "\n\n".join(self.description),
            "licence": self.pick("licence", questionnaire.copyright, fhir_name="copyright"),
            "attribution": self.pick("attribution", questionnaire.publisher, fhir_name="publisher"),
            "items": self.items,
            "scoring": {key: scoring[key] for key in ("composite", "subscales") if key in scoring},
            "outcome": scoring["outcome"],
        }
        for key in ("scoring", "outcome", "reliability", "norms"):
            self.origins[key] = "scoring" if key == "scoring" else f"scoring.{key}"
            if key in ("reliability", "norms") and key in scoring:
                definition[key] = scoring[key]
        return definition

    def pick(
        self, key: str, fallback: object, *, fhir_name: str | None = None, lower: bool = False
    ) -> object:
        fhir_name = fhir_name or key
        if key in self.scoring:
            self.origins[key] = f"scoring.{key}"
            return self.scoring[key]
        if fallback:
            self.origins[key] = f"{_Q}.{fhir_name}"
            return str(fallback).lower() if lower else str(fallback)
        raise DefinitionError(
            f"{_Q}.{fhir_name}", f'missing: give the resource a {fhir_name} or "{key}" in scoring'
        )

    def pick_version(self) -> object:
        if "version" in self.scoring:
            self.origins["version"] = "scoring.version"
            return self.scoring["version"]
        # FHIR versions are free text ("2.0.1"); ours count wording changes, starting at 1.
        self.origins["version"] = f"{_Q}.version"
        version = self.questionnaire.version
        if version and _INTEGER_PATTERN.fullmatch(str(version)) and int(version) >= 1:
            return int(version)
        return 1

    def read_items(self, entries: Sequence[QuestionnaireItem], path: str) -> None:
        for index, entry in enumerate(entries):
            item_path = f"{path}[{index}]"
            kind = str(entry.type)
            if kind not in _SUPPORTED_TYPES:
                raise DefinitionError(
                    f"{item_path}.type",
                    f"item {json.dumps(entry.linkId)} has type {json.dumps(kind)}, which we "
                    f"cannot import (supported: {', '.join(_SUPPORTED_TYPES)})",
                )
            if entry.repeats:
                raise DefinitionError(
                    f"{item_path}.repeats",
                    f"item {json.dumps(entry.linkId)} repeats; repeating items are not supported",
                )
            if kind == "group":
                self.read_items(entry.item or [], f"{item_path}.item")
            elif kind == "display":
                if entry.text:
                    self.description.append(str(entry.text))
            else:
                self.link_ids.add(str(entry.linkId))
                self.items.append(
                    _question(entry, item_path, len(self.items), self.keys, self.choices)
                )
                self.item_paths.append(item_path)

    def source_path(self, path: str) -> str:
        """Name a defect of the built definition where the clinic can find it."""
        match = re.fullmatch(r"items\[(\d+)\](.*)", path)
        if match:
            rest = match.group(2).replace(".options[", ".answerOption[")
            return f"{self.item_paths[int(match.group(1))]}{rest}"
        split = re.search(r"[.\[]", path)
        head, rest = (path[: split.start()], path[split.start() :]) if split else (path, "")
        if head in self.origins:
            origin = self.origins[head]
            # A value from the Questionnaire is named by its FHIR element alone.
            return origin if origin.startswith(_Q) else f"{origin}{rest}"
        return path


def _parse(raw: str | Mapping[str, object]) -> Questionnaire:
    data: object = raw
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise DefinitionError(
                f"{_Q}: line {error.lineno}, column {error.colno}", error.msg
            ) from None
    if not isinstance(data, Mapping):
        raise DefinitionError(_Q, "expected a JSON object")
    if data.get("resourceType") != "Questionnaire":
        raise DefinitionError(
            f"{_Q}.resourceType",
            f'expected "Questionnaire", got {json.dumps(data.get("resourceType"))}',
        )
    try:
        return Questionnaire.model_validate(dict(data))
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = _Q + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
        )
        # fhir.resources wraps its messages over several lines.
        message = " ".join(str(first["msg"]).split())
        raise DefinitionError(where, f"not a valid FHIR R4 Questionnaire: {message}") from None


def _scoring_block(raw: object) -> Mapping[str, object]:
    if not isinstance(raw, Mapping):
        raise DefinitionError("scoring", "expected an object")
    for key in raw:
        if key not in _SCORING_KEYS:
            raise DefinitionError(
                "scoring", f"unknown key {json.dumps(key)} (allowed: {', '.join(_SCORING_KEYS)})"
            )
    for key in ("composite", "outcome"):
        if key not in raw:
            raise DefinitionError(f"scoring.{key}", "required key is missing")
    return raw


def _key_map(scoring: Mapping[str, object]) -> dict[str, str]:
    raw = scoring.get("keys", {})
    if not isinstance(raw, Mapping):
        raise DefinitionError("scoring.keys", "expected an object mapping linkIds to item keys")
    keys: dict[str, str] = {}
    for link_id, key in raw.items():
        if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
            raise DefinitionError(
                f"scoring.keys.{link_id}",
                "expected lowercase letters, digits and underscores, starting with a letter, "
                f"got {json.dumps(key)}",
            )
        keys[str(link_id)] = key
    return keys


def _apply_reverse(scoring: Mapping[str, object], items: list[dict[str, object]]) -> None:
    raw = scoring.get("reverse", [])
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise DefinitionError("scoring.reverse", "expected a list of item keys")
    by_key = {item["key"]: item for item in items}
    for index, key in enumerate(raw):
        if key not in by_key:
            raise DefinitionError(
                f"scoring.reverse[{index}]", f"no item has the key {json.dumps(key)}"
            )
        if by_key[key]["kind"] != "choice":
            raise DefinitionError(
                f"scoring.reverse[{index}]", f"{json.dumps(key)} is not a choice item"
            )
        by_key[key]["reverse"] = True


def _question(
    entry: QuestionnaireItem,
    path: str,
    position: int,
    keys: Mapping[str, str],
    choices: dict[str, dict[str, int]],
) -> dict[str, object]:
    link_id = str(entry.linkId)
    key = keys.get(link_id, link_id)
    if not _KEY_PATTERN.fullmatch(key):
        raise DefinitionError(
            f"{path}.linkId",
            f"{json.dumps(link_id)} is not a valid item key (lowercase letters, digits and "
            "underscores, starting with a letter); give it one in scoring.keys, e.g. "
            f'{{"{link_id}": "item_{position + 1}"}}',
        )
    if not entry.text or not str(entry.text).strip():
        raise DefinitionError(
            f"{path}.text", f"item {json.dumps(link_id)} has no text for the client to read"
        )
    item: dict[str, object] = {
        "key": key,
        "text": str(entry.text),
        "required": bool(entry.required),
    }
    help_texts: list[str] = []
    for child_index, child in enumerate(entry.item or []):
        if child.type != "display":
            raise DefinitionError(
                f"{path}.item[{child_index}]",
                f"item {json.dumps(link_id)} has a nested question; only display text (help) "
                "can be nested under a question",
            )
        if child.text:
            help_texts.append(str(child.text))
    if help_texts:
        item["help"] = " ".join(help_texts)

    if entry.type == "choice":
        item["kind"] = "choice"
        item["options"], choices[key] = _options(entry, path, link_id)
    else:
        item["kind"] = "text"
        if entry.answerOption:
            raise DefinitionError(
                f"{path}.answerOption", f"{entry.type} item {json.dumps(link_id)} has options"
            )
        if entry.maxLength is not None:
            item["max_length"] = int(entry.maxLength)
    if entry.enableWhen:
        item["show_if"] = _condition(entry, path, keys, choices)
    return item


def _options(
    entry: QuestionnaireItem, path: str, link_id: str
) -> tuple[list[dict[str, object]], dict[str, int]]:
    if not entry.answerOption:
        where = (
            f"its answerValueSet {json.dumps(entry.answerValueSet)} is not read; "
            if entry.answerValueSet
            else ""
        )
        raise DefinitionError(
            f"{path}.answerOption",
            f"choice item {json.dumps(link_id)} has no answer options; {where}"
            "list each answer as an answerOption with a number",
        )
    options: list[dict[str, object]] = []
    codes: dict[str, int] = {}
    for index, option in enumerate(entry.answerOption):
        option_path = f"{path}.answerOption[{index}]"
        ordinal = _ordinal(option.extension, option_path)
        if option.valueCoding is not None:
            coding = option.valueCoding
            ordinal = ordinal if ordinal is not None else _ordinal(coding.extension, option_path)
            code = str(coding.code) if coding.code is not None else ""
            label = str(coding.display) if coding.display else code
            if ordinal is None:
                if not _INTEGER_PATTERN.fullmatch(code):
                    raise DefinitionError(
                        option_path,
                        f"answer {json.dumps(label)} has no number: give it an ordinalValue "
                        f"extension or a whole-number code (code is {json.dumps(code or None)})",
                    )
                ordinal = int(code)
            codes[code] = ordinal
        elif option.valueInteger is not None:
            label = str(option.valueInteger)
            ordinal = ordinal if ordinal is not None else int(option.valueInteger)
        elif option.valueString is not None:
            label = str(option.valueString)
            if ordinal is None:
                raise DefinitionError(
                    option_path,
                    f"answer {json.dumps(label)} has no number: give it an ordinalValue extension",
                )
        else:
            raise DefinitionError(
                option_path,
                "only valueCoding, valueInteger and valueString answers can be imported",
            )
        options.append({"value": ordinal, "label": label})
    return options, codes


def _ordinal(extensions: Sequence[Any] | None, path: str) -> int | None:
    for extension in extensions or []:
        if extension.url not in (ORDINAL_VALUE_URL, _ITEM_WEIGHT_URL):
            continue
        raw = (
            extension.valueDecimal if extension.valueDecimal is not None else extension.valueInteger
        )
        if raw is None:
            raise DefinitionError(path, "the ordinalValue extension has no valueDecimal")
        value = decimal.Decimal(str(raw))
        if value != value.to_integral_value():
            raise DefinitionError(
                path, f"ordinalValue {value} is not a whole number; option values must be"
            )
        return int(value)
    return None


def _condition(
    entry: QuestionnaireItem,
    path: str,
    keys: Mapping[str, str],
    choices: Mapping[str, Mapping[str, int]],
) -> dict[str, object]:
    conditions = entry.enableWhen or []
    questions = {str(condition.question) for condition in conditions}
    if len(questions) != 1:
        raise DefinitionError(
            f"{path}.enableWhen", "conditions on more than one question are not supported"
        )
    link_id = questions.pop()
    key = keys.get(link_id, link_id)
    by_code = choices.get(key)
    if by_code is None:
        raise DefinitionError(
            f"{path}.enableWhen[0].question",
            f"{json.dumps(link_id)} is not an earlier choice item",
        )
    values = sorted(set(by_code.values()))

    equal: list[int] = []
    low: int | None = None
    high: int | None = None
    for index, condition in enumerate(conditions):
        where = f"{path}.enableWhen[{index}]"
        if condition.answerCoding is not None:
            code = str(condition.answerCoding.code)
            if code not in by_code:
                raise DefinitionError(
                    f"{where}.answerCoding",
                    f"{json.dumps(link_id)} has no answer with code {json.dumps(code)}",
                )
            value = by_code[code]
        elif condition.answerInteger is not None:
            value = int(condition.answerInteger)
        else:
            raise DefinitionError(where, "only answerCoding and answerInteger can be imported")
        operator = str(condition.operator)
        if operator == "=":
            equal.append(value)
        elif operator == ">=" and low is None:
            low = value
        elif operator == "<=" and high is None:
            high = value
        else:
            raise DefinitionError(
                f"{where}.operator", f"operator {json.dumps(operator)} is not supported here"
            )
    behaviour = str(entry.enableBehavior) if entry.enableBehavior else None
    if equal and (low is not None or high is not None):
        raise DefinitionError(f"{path}.enableWhen", 'mixing "=" with ">=" or "<=" is not supported')
    if len(conditions) > 1 and behaviour != ("any" if equal else "all"):
        raise DefinitionError(
            f"{path}.enableBehavior",
            'several "=" conditions need "any"; a ">=" with a "<=" needs "all"',
        )
    if equal:
        chosen = sorted(set(equal))
        start = values.index(chosen[0]) if chosen[0] in values else -1
        if start < 0 or values[start : start + len(chosen)] != chosen:
            raise DefinitionError(
                f"{path}.enableWhen",
                f"the answers {chosen} are not consecutive options of {json.dumps(link_id)}",
            )
        low, high = chosen[0], chosen[-1]
    condition_out: dict[str, object] = {"item": key}
    if low is not None:
        condition_out["min"] = low
    if high is not None:
        condition_out["max"] = high
    return condition_out


# --- Export --------------------------------------------------------------------------------------


def outcome_to_fhir_questionnaire(defn: OutcomeDefinition) -> dict[str, object]:
    """A FHIR R4 Questionnaire resource (as a JSON-ready dict) with the definition's items.

    Option values go into the ``ordinalValue`` extension and the coding's code; help text
    becomes a nested display item; ``show_if`` on an earlier item becomes ``enableWhen``. The
    scoring and the outcome block have no standard FHIR form and are not exported: keep the
    definition file (or the scoring block) alongside. The licence goes to ``copyright`` and the
    attribution to ``publisher``; the LOINC panel code, if any, to ``code``.

    Raises
    ------
    ValueError
        For an item shown on a context flag (``{"context": ...}``), which FHIR cannot express.
    """
    return instrument_to_fhir_questionnaire(defn.instrument, loinc_panel=defn.outcome.loinc_panel)


def instrument_to_fhir_questionnaire(
    instrument: Instrument, *, loinc_panel: str | None = None, omit_context_conditions: bool = False
) -> dict[str, object]:
    """:func:`outcome_to_fhir_questionnaire` for any instrument, e.g. the check-in.

    ``omit_context_conditions`` exports an item shown on a context flag (the check-in's
    follow-up question, asked only while a difficult moment is open) as an optional item with
    no ``enableWhen``, instead of refusing it: fine for describing answers already given, not
    for a form another system would show.
    """
    targets = {item.key: item.values for item in instrument.items}
    items = [
        _export_item(item, targets, omit_context_conditions=omit_context_conditions)
        for item in instrument.items
    ]
    resource: dict[str, object] = {
        "resourceType": "Questionnaire",
        # FHIR ids allow letters, digits, "-" and "." but not "_".
        "id": instrument.id.replace("_", "-")[:64],
        "version": str(instrument.version),
        "title": instrument.title,
        "status": "active",
        "publisher": instrument.attribution,
        "copyright": instrument.licence,
        "item": items,
    }
    if instrument.description:
        resource["description"] = instrument.description
    if loinc_panel:
        resource["code"] = [
            {
                "system": _LOINC_SYSTEM,
                "code": loinc_panel,
                "display": instrument.title,
            }
        ]
    # Checked with the same models the import uses, so an export always imports again.
    Questionnaire.model_validate(resource)
    return resource


def _export_item(
    item: Item, targets: Mapping[str, Sequence[int]], *, omit_context_conditions: bool = False
) -> dict[str, object]:
    context_only = isinstance(item.show_if, ContextCondition)
    exported: dict[str, object] = {
        "linkId": item.key,
        "text": item.text,
        "type": "choice" if item.kind is ItemKind.CHOICE else "text",
        # Shown only in some contexts, so never required of every response.
        "required": item.required and not context_only,
    }
    if item.kind is ItemKind.CHOICE:
        exported["answerOption"] = [
            {
                "valueCoding": {
                    "code": str(option.value),
                    "display": option.label,
                    "extension": [{"url": ORDINAL_VALUE_URL, "valueDecimal": option.value}],
                }
            }
            for option in item.options
        ]
    elif item.max_length is not None:
        exported["maxLength"] = item.max_length
    if isinstance(item.show_if, ContextCondition) and not omit_context_conditions:
        raise ValueError(
            f"item {item.key!r} is shown on the context flag {item.show_if.context!r}, "
            "which a FHIR Questionnaire cannot express"
        )
    if isinstance(item.show_if, AnswerCondition):
        exported.update(_export_condition(item.show_if, targets[item.show_if.item]))
    if item.help:
        exported["item"] = [
            {
                "linkId": f"{item.key}.help",
                "type": "display",
                "text": item.help,
                "extension": [
                    {
                        "url": _ITEM_CONTROL_URL,
                        "valueCodeableConcept": {
                            "coding": [{"system": _ITEM_CONTROL_SYSTEM, "code": "help"}]
                        },
                    }
                ],
            }
        ]
    return exported


def _export_condition(condition: AnswerCondition, options: Sequence[int]) -> dict[str, object]:
    # Choice answers are codings, which FHIR compares only with "=": one condition per option
    # value in the range, any of which shows the item.
    shown = [
        value
        for value in options
        if (condition.min is None or value >= condition.min)
        and (condition.max is None or value <= condition.max)
    ]
    exported: dict[str, object] = {
        "enableWhen": [
            {"question": condition.item, "operator": "=", "answerCoding": {"code": str(value)}}
            for value in shown
        ]
    }
    if len(shown) > 1:
        exported["enableBehavior"] = "any"
    return exported
