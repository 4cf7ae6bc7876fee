"""Instrument definitions as data: loading, answer validation and scoring.

An instrument is our own session check-in or a validated questionnaire that a clinic holding the
licence imports. Either way it is described by a plain dict that can live in a JSON file.
:func:`load_instrument` checks that dict once and turns it into frozen dataclasses, so nothing
downstream has to check the shape again. Every defect is reported as a :class:`DefinitionError`
naming the path of the defect, for example ``items[2].options[1].value: expected an integer,
got "a"``, because the person fixing a definition file is usually a clinic administrator, not the
author of this code.

Definition format
-----------------
Top level (keys not listed here are rejected, so a typo cannot pass silently)::

    id           str, required. Lowercase letters, digits, ".", "_" and "-", e.g. "phq-9".
    version      int >= 1, required. Raise it whenever wording, options or scoring change.
    title        str, required, non-empty.
    description  str, optional, default "".
    licence      str, required, non-empty. Who may use the items and on what terms.
    attribution  str, required, non-empty. Authors and source of the items.
    items        list of items, required, at least one.
    scoring      object, required: {"composite": scale, "subscales": [scale, ...] (optional)}.
    reliability  object, optional: {"value": number in (0, 1), "source": str}.
    norms        object, optional: {"sd": number > 0, "source": str}.

Item::

    key          str, required. Lowercase letters, digits and "_", starting with a letter;
                 unique within the instrument (it becomes a form field name and a stored key).
    text         str, required, non-empty. The question as the client reads it.
    kind         "choice" or "text", required.
    options      choice items only, required for them: at least two {"value": int,
                 "label": str}, values unique. Listed in display order; the values need not be
                 contiguous.
    required     bool, optional. Default true for choice items, false for text items. Means
                 "required when shown".
    reverse      bool, optional, default false; choice items only. A reversed answer scores
                 (min + max) - value over that item's own option values.
    help         str, optional, default "". A short note shown under the question.
    show_if      object, optional. Either {"context": name}, shown when the caller's context
                 flag of that name is true, or {"item": key, "min": int, "max": int}, shown when
                 the answer to an earlier choice item lies in [min, max] (give min, max or both).
    max_length   int >= 1, text items only, optional, default 2000 characters.

Scale (the composite and each subscale)::

    name         str, required, same rules as an item key; unique across the scales.
    items        list of item keys, required, at least one; each a choice item, listed once.
    method       "mean" or "sum", required (a silent default could misreport a total by a
                 factor of the number of items).
    min_answered int from 1 to len(items), optional, default len(items). Fewer answered items
                 than this and the scale has no score.

Answers are checked with :func:`validate_answers` and scored with :func:`score`.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeGuard

from alliance.core.safety import gettext_noop
from alliance.core.wording import Grouped, Wording

__all__ = [
    "DEFAULT_TEXT_MAX_LENGTH",
    "MISSING_MESSAGES",
    "AnswerCondition",
    "Condition",
    "ContextCondition",
    "DefinitionError",
    "Instrument",
    "Item",
    "ItemKind",
    "Option",
    "Scale",
    "ScaleMethod",
    "Score",
    "ScoringError",
    "load_instrument",
    "load_instrument_json",
    "score",
    "validate_answers",
]

DEFAULT_TEXT_MAX_LENGTH: Final = 2000

# The path given for defects of the definition as a whole, where there is no key to name.
_ROOT: Final = "(top level)"
_KEY_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")
_ID_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9._-]*")
# ASCII digits only: int() would also accept other scripts' digits and "1_0", which no form sends.
_INTEGER_PATTERN: Final = re.compile(r"[+-]?[0-9]+")
_NO_CONTEXT: Final[Mapping[str, bool]] = MappingProxyType({})
# Marks an optional key that is absent, where None would be a (wrong) value given in the file.
_ABSENT: Final = object()


class DefinitionError(ValueError):
    """A defect in an instrument definition, with the path of the defect.

    Parameters
    ----------
    path : str
        Where the defect is, e.g. ``items[2].options[1].value``; ``(top level)`` for the
        definition as a whole; ``line 3, column 5`` for JSON syntax errors.
    message : str
        What is wrong there.
    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message

    def __reduce__(self) -> tuple[type[DefinitionError], tuple[str, str]]:
        # The default reduction passes only the formatted string back to __init__, which takes
        # two arguments; without this the error could not cross a process boundary.
        return (type(self), (self.path, self.message))


class ScoringError(ValueError):
    """Answers passed to :func:`score` that validated answers could never contain."""


class ItemKind(StrEnum):
    """What kind of answer an item takes."""

    CHOICE = "choice"
    TEXT = "text"


class ScaleMethod(StrEnum):
    """How a scale combines its items."""

    MEAN = "mean"
    SUM = "sum"


@dataclass(frozen=True)
class Option:
    """One answer a client can choose, with the number it scores."""

    value: int
    label: str


@dataclass(frozen=True)
class ContextCondition:
    """Show an item when the caller's context flag ``context`` is true.

    The flag comes from outside the answers, e.g. ``has_open_rupture`` for a follow-up question.
    A flag missing from the context counts as false.
    """

    context: str

    def is_met(self, answers: Mapping[str, object], context: Mapping[str, bool]) -> bool:
        """Whether the item is shown."""
        return bool(context.get(self.context, False))


@dataclass(frozen=True)
class AnswerCondition:
    """Show an item when the answer to an earlier choice item lies in ``[min, max]``.

    A missing bound is open. An unanswered (or hidden, or invalid) earlier item hides this one.
    """

    item: str
    min: int | None = None
    max: int | None = None

    def is_met(self, answers: Mapping[str, object], context: Mapping[str, bool]) -> bool:
        """Whether the item is shown, given the cleaned answers to the items before it."""
        value = answers.get(self.item)
        if not _is_int(value):
            return False
        if self.min is not None and value < self.min:
            return False
        return self.max is None or value <= self.max


Condition = ContextCondition | AnswerCondition


@dataclass(frozen=True)
class Item:
    """One question of an instrument.

    ``options`` is empty and ``max_length`` is set for text items; ``max_length`` is None for
    choice items.
    """

    key: str
    text: str
    kind: ItemKind
    options: tuple[Option, ...] = ()
    required: bool = True
    reverse: bool = False
    help: str = ""
    show_if: Condition | None = None
    max_length: int | None = None

    @property
    def values(self) -> tuple[int, ...]:
        """The option values, in display order."""
        return tuple(option.value for option in self.options)

    @property
    def min_value(self) -> int:
        """The smallest option value; ValueError for a text item."""
        return min(self._choice_values())

    @property
    def max_value(self) -> int:
        """The largest option value; ValueError for a text item."""
        return max(self._choice_values())

    def label_for(self, value: int) -> str:
        """The label of the option with ``value``; ValueError if there is none."""
        for option in self.options:
            if option.value == value:
                return option.label
        raise ValueError(f"item {self.key!r} has no option with value {value!r}")

    def _choice_values(self) -> tuple[int, ...]:
        if self.kind is not ItemKind.CHOICE:
            raise ValueError(f"item {self.key!r} is a text item and has no option values")
        return self.values


@dataclass(frozen=True)
class Scale:
    """A score computed from some choice items."""

    name: str
    items: tuple[str, ...]
    method: ScaleMethod
    min_answered: int


@dataclass(frozen=True)
class Instrument:
    """A validated instrument definition. Build it with :func:`load_instrument`."""

    id: str
    version: int
    title: str
    description: str
    licence: str
    attribution: str
    items: tuple[Item, ...]
    composite: Scale
    subscales: tuple[Scale, ...]
    reliability: float | None
    reliability_source: str
    norms_sd: float | None
    norms_source: str

    def item(self, key: str) -> Item:
        """The item with ``key``; KeyError if there is none."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(f"instrument {self.id!r} has no item {key!r}")

    @property
    def scales(self) -> tuple[Scale, ...]:
        """The composite followed by the subscales."""
        return (self.composite, *self.subscales)


@dataclass(frozen=True)
class Score:
    """The scores of one set of answers.

    ``answered`` counts the answered choice items of the whole instrument (text items are not
    scored). A scale with too few answered items scores None.
    """

    composite: float | None
    subscales: dict[str, float | None]
    answered: int


# --- Loading -------------------------------------------------------------------------------------


def load_instrument(data: Mapping[str, object]) -> Instrument:
    """Check an instrument definition and build the :class:`Instrument` it describes.

    Parameters
    ----------
    data : Mapping
        The definition, in the format given in this module's docstring.

    Returns
    -------
    Instrument

    Raises
    ------
    DefinitionError
        On the first defect found, with the path of the defect.
    """
    root = _object(data, _ROOT)
    _check_keys(
        root,
        _ROOT,
        required=("id", "version", "title", "licence", "attribution", "items", "scoring"),
        optional=("description", "reliability", "norms"),
    )
    instrument_id = _string(root["id"], "id")
    if not _ID_PATTERN.fullmatch(instrument_id):
        raise DefinitionError(
            "id",
            "expected lowercase letters, digits, dots, underscores and hyphens, "
            f"starting with a letter or digit, got {_describe(instrument_id)}",
        )
    version = _integer(root["version"], "version")
    if version < 1:
        raise DefinitionError("version", f"expected an integer of at least 1, got {version}")
    title = _string(root["title"], "title")
    description = _string(root.get("description", ""), "description", allow_empty=True)
    licence = _string(root["licence"], "licence")
    attribution = _string(root["attribution"], "attribution")
    items = _load_items(root["items"], "items")
    composite, subscales = _load_scoring(root["scoring"], "scoring", items)

    reliability: float | None = None
    reliability_source = ""
    if "reliability" in root:
        block = _object(root["reliability"], "reliability")
        _check_keys(block, "reliability", required=("value", "source"), optional=())
        reliability = _number(block["value"], "reliability.value")
        if not 0 < reliability < 1:
            raise DefinitionError(
                "reliability.value",
                f"expected a number between 0 and 1 (exclusive), got {_describe(block['value'])}",
            )
        reliability_source = _string(block["source"], "reliability.source")

    norms_sd: float | None = None
    norms_source = ""
    if "norms" in root:
        block = _object(root["norms"], "norms")
        _check_keys(block, "norms", required=("sd", "source"), optional=())
        norms_sd = _number(block["sd"], "norms.sd")
        if norms_sd <= 0:
            raise DefinitionError(
                "norms.sd", f"expected a number greater than 0, got {_describe(block['sd'])}"
            )
        norms_source = _string(block["source"], "norms.source")

    return Instrument(
        id=instrument_id,
        version=version,
        title=title,
        description=description,
        licence=licence,
        attribution=attribution,
        items=items,
        composite=composite,
        subscales=subscales,
        reliability=reliability,
        reliability_source=reliability_source,
        norms_sd=norms_sd,
        norms_source=norms_source,
    )


def load_instrument_json(text: str) -> Instrument:
    """Parse a JSON instrument definition and load it with :func:`load_instrument`.

    A JSON syntax error becomes a :class:`DefinitionError` whose path is its position, e.g.
    ``line 3, column 5``. A key repeated within one JSON object is a defect too: the standard
    parser would silently keep the last one.
    """
    try:
        data = json.loads(text, object_pairs_hook=_JsonObject.from_pairs)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"line {error.lineno}, column {error.colno}", error.msg) from None
    return load_instrument(data)


class _JsonObject(dict[str, object]):
    """A parsed JSON object that remembers keys the text gave more than once."""

    duplicate_keys: tuple[str, ...] = ()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, object]]) -> _JsonObject:
        obj = cls(pairs)
        seen: set[str] = set()
        duplicates: list[str] = []
        for key, _ in pairs:
            if key in seen and key not in duplicates:
                duplicates.append(key)
            seen.add(key)
        obj.duplicate_keys = tuple(duplicates)
        return obj


def _load_items(raw: object, path: str) -> tuple[Item, ...]:
    entries = _list(raw, path)
    if not entries:
        raise DefinitionError(path, "expected at least one item")
    items: list[Item] = []
    raw_conditions: list[tuple[object, str] | None] = []
    position: dict[str, int] = {}
    for index, entry in enumerate(entries):
        item_path = f"{path}[{index}]"
        item, raw_condition = _load_item(entry, item_path)
        if item.key in position:
            raise DefinitionError(
                f"{item_path}.key",
                f"{_describe(item.key)} is already used by {path}[{position[item.key]}]",
            )
        position[item.key] = index
        items.append(item)
        raw_conditions.append(
            None if raw_condition is _ABSENT else (raw_condition, f"{item_path}.show_if")
        )

    # Conditions are resolved once every key is known, so that a reference to a later item can
    # be told apart from a reference to no item at all.
    for index, pending in enumerate(raw_conditions):
        if pending is not None:
            condition = _load_condition(pending[0], pending[1], items, index, path)
            items[index] = replace(items[index], show_if=condition)
    return tuple(items)


def _load_item(entry: object, path: str) -> tuple[Item, object]:
    obj = _object(entry, path)
    _check_keys(
        obj,
        path,
        required=("key", "text", "kind"),
        optional=("options", "required", "reverse", "help", "show_if", "max_length"),
    )
    key = _key(obj["key"], f"{path}.key")
    text = _string(obj["text"], f"{path}.text")
    kind_raw = obj["kind"]
    if kind_raw not in (ItemKind.CHOICE.value, ItemKind.TEXT.value):
        raise DefinitionError(
            f"{path}.kind", f'expected "choice" or "text", got {_describe(kind_raw)}'
        )
    kind = ItemKind(str(kind_raw))

    options: tuple[Option, ...] = ()
    max_length: int | None = None
    if kind is ItemKind.CHOICE:
        if "options" not in obj:
            raise DefinitionError(f"{path}.options", "required for a choice item")
        if "max_length" in obj:
            raise DefinitionError(f"{path}.max_length", "only text items have a max_length")
        options = _load_options(obj["options"], f"{path}.options")
    else:
        if "options" in obj:
            raise DefinitionError(f"{path}.options", "only choice items have options")
        max_length = DEFAULT_TEXT_MAX_LENGTH
        if "max_length" in obj:
            max_length = _integer(obj["max_length"], f"{path}.max_length")
            if max_length < 1:
                raise DefinitionError(
                    f"{path}.max_length", f"expected an integer of at least 1, got {max_length}"
                )

    required = _boolean(obj.get("required", kind is ItemKind.CHOICE), f"{path}.required")
    reverse = _boolean(obj.get("reverse", False), f"{path}.reverse")
    if reverse and kind is not ItemKind.CHOICE:
        raise DefinitionError(f"{path}.reverse", "only choice items can be reverse-scored")
    help_text = _string(obj.get("help", ""), f"{path}.help", allow_empty=True)

    item = Item(
        key=key,
        text=text,
        kind=kind,
        options=options,
        required=required,
        reverse=reverse,
        help=help_text,
        max_length=max_length,
    )
    return item, obj.get("show_if", _ABSENT)


def _load_options(raw: object, path: str) -> tuple[Option, ...]:
    entries = _list(raw, path)
    if len(entries) < 2:
        raise DefinitionError(path, f"expected at least 2 options, got {len(entries)}")
    options: list[Option] = []
    position: dict[int, int] = {}
    for index, entry in enumerate(entries):
        option_path = f"{path}[{index}]"
        obj = _object(entry, option_path)
        _check_keys(obj, option_path, required=("value", "label"), optional=())
        value = _integer(obj["value"], f"{option_path}.value")
        if value in position:
            raise DefinitionError(
                f"{option_path}.value",
                f"{value} is already used by {path}[{position[value]}]",
            )
        position[value] = index
        label = _string(obj["label"], f"{option_path}.label")
        options.append(Option(value=value, label=label))
    return tuple(options)


def _load_condition(
    raw: object, path: str, items: Sequence[Item], index: int, items_path: str
) -> Condition:
    obj = _object(raw, path)
    _check_keys(obj, path, required=(), optional=("context", "item", "min", "max"))
    if "context" in obj and "item" in obj:
        raise DefinitionError(path, 'give either "context" or "item", not both')
    if "context" in obj:
        for bound in ("min", "max"):
            if bound in obj:
                raise DefinitionError(f"{path}.{bound}", 'only allowed with "item"')
        return ContextCondition(context=_key(obj["context"], f"{path}.context"))
    if "item" not in obj:
        raise DefinitionError(path, 'expected "context" or "item"')

    ref_path = f"{path}.item"
    ref = _string(obj["item"], ref_path)
    keys = [item.key for item in items]
    if ref == items[index].key:
        raise DefinitionError(ref_path, "an item cannot depend on itself")
    if ref not in keys:
        raise DefinitionError(ref_path, f"unknown item key {_describe(ref)}{_suggest(ref, keys)}")
    ref_index = keys.index(ref)
    if ref_index > index:
        raise DefinitionError(
            ref_path,
            f"{_describe(ref)} comes later ({items_path}[{ref_index}]); "
            "a condition can only use an earlier item",
        )
    target = items[ref_index]
    if target.kind is not ItemKind.CHOICE:
        raise DefinitionError(
            ref_path, f"{_describe(ref)} is a text item; a condition needs a choice item"
        )

    if "min" not in obj and "max" not in obj:
        raise DefinitionError(path, 'expected "min", "max" or both')
    bounds: dict[str, int | None] = {"min": None, "max": None}
    for bound in ("min", "max"):
        if bound in obj:
            value = _integer(obj[bound], f"{path}.{bound}")
            if not target.min_value <= value <= target.max_value:
                raise DefinitionError(
                    f"{path}.{bound}",
                    f"{value} is outside the options of {_describe(ref)} "
                    f"({target.min_value} to {target.max_value})",
                )
            bounds[bound] = value
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and high < low:
        raise DefinitionError(f"{path}.max", f"must not be less than min ({low}), got {high}")
    return AnswerCondition(item=ref, min=low, max=high)


def _load_scoring(raw: object, path: str, items: Sequence[Item]) -> tuple[Scale, tuple[Scale, ...]]:
    obj = _object(raw, path)
    _check_keys(obj, path, required=("composite",), optional=("subscales",))
    composite = _load_scale(obj["composite"], f"{path}.composite", items)
    subscales: list[Scale] = []
    names = {composite.name}
    for index, entry in enumerate(_list(obj.get("subscales", []), f"{path}.subscales")):
        scale_path = f"{path}.subscales[{index}]"
        scale = _load_scale(entry, scale_path, items)
        if scale.name in names:
            raise DefinitionError(
                f"{scale_path}.name", f"{_describe(scale.name)} is already used by another scale"
            )
        names.add(scale.name)
        subscales.append(scale)
    return composite, tuple(subscales)


def _load_scale(raw: object, path: str, items: Sequence[Item]) -> Scale:
    obj = _object(raw, path)
    _check_keys(obj, path, required=("name", "items", "method"), optional=("min_answered",))
    name = _key(obj["name"], f"{path}.name")

    items_path = f"{path}.items"
    refs = _list(obj["items"], items_path)
    if not refs:
        raise DefinitionError(items_path, "expected at least one item key")
    by_key = {item.key: item for item in items}
    keys: list[str] = []
    for index, ref_raw in enumerate(refs):
        ref = _string(ref_raw, f"{items_path}[{index}]")
        if ref not in by_key:
            raise DefinitionError(
                items_path, f"unknown item key {_describe(ref)}{_suggest(ref, list(by_key))}"
            )
        if by_key[ref].kind is not ItemKind.CHOICE:
            raise DefinitionError(
                items_path, f"{_describe(ref)} is a text item; only choice items can be scored"
            )
        if ref in keys:
            raise DefinitionError(items_path, f"{_describe(ref)} is listed twice")
        keys.append(ref)

    method_raw = obj["method"]
    if method_raw not in (ScaleMethod.MEAN.value, ScaleMethod.SUM.value):
        raise DefinitionError(
            f"{path}.method", f'expected "mean" or "sum", got {_describe(method_raw)}'
        )

    min_answered = len(keys)
    if "min_answered" in obj:
        min_answered = _integer(obj["min_answered"], f"{path}.min_answered")
        if not 1 <= min_answered <= len(keys):
            raise DefinitionError(
                f"{path}.min_answered",
                f"expected an integer from 1 to {len(keys)}, got {min_answered}",
            )
    return Scale(
        name=name, items=tuple(keys), method=ScaleMethod(str(method_raw)), min_answered=min_answered
    )


# --- Small readers for the loader; each raises DefinitionError at ``path`` ---------------------


def _object(value: object, path: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise DefinitionError(path, f"expected an object, got {_describe(value)}")
    duplicates: tuple[str, ...] = getattr(value, "duplicate_keys", ())
    if duplicates:
        raise DefinitionError(path, f"key {_describe(duplicates[0])} is given more than once")
    for key in value:
        if not isinstance(key, str):
            raise DefinitionError(path, f"expected text keys, got {_describe(key)}")
    return value


def _check_keys(
    obj: Mapping[str, object], path: str, *, required: Sequence[str], optional: Sequence[str]
) -> None:
    allowed = [*required, *optional]
    # Unknown keys are reported before missing ones, so that a misspelt required key is named
    # as the typo it is ("titel", did you mean "title"?) rather than as a missing "title".
    for key in obj:
        if key not in allowed:
            hint = _suggest(key, allowed) or f" (allowed: {', '.join(sorted(allowed))})"
            raise DefinitionError(path, f"unknown key {_describe(key)}{hint}")
    for key in required:
        if key not in obj:
            where = key if path == _ROOT else f"{path}.{key}"
            raise DefinitionError(where, "required key is missing")


def _suggest(word: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, candidates, n=1)
    return f" (did you mean {_describe(close[0])}?)" if close else ""


def _string(value: object, path: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise DefinitionError(path, f"expected a string, got {_describe(value)}")
    if not allow_empty and not value.strip():
        raise DefinitionError(path, "must not be empty")
    return value


def _key(value: object, path: str) -> str:
    text = _string(value, path)
    if not _KEY_PATTERN.fullmatch(text):
        raise DefinitionError(
            path,
            "expected lowercase letters, digits and underscores, starting with a letter, "
            f"got {_describe(text)}",
        )
    return text


def _integer(value: object, path: str) -> int:
    if not _is_int(value):
        raise DefinitionError(path, f"expected an integer, got {_describe(value)}")
    return value


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DefinitionError(path, f"expected a number, got {_describe(value)}")
    if not math.isfinite(value):
        raise DefinitionError(path, f"expected a finite number, got {_describe(value)}")
    return float(value)


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise DefinitionError(path, f"expected true or false, got {_describe(value)}")
    return value


def _list(value: object, path: str) -> Sequence[object]:
    # A string is a Sequence too, but never what a definition means by a list.
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise DefinitionError(path, f"expected a list, got {_describe(value)}")
    return value


def _is_int(value: object) -> TypeGuard[int]:
    # bool is a subclass of int, but true is not an answer of 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: object) -> str:
    """Show a value as it would appear in the JSON file, so the author can find it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return repr(value)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a value of type {type(value).__name__}"


# --- Answers -------------------------------------------------------------------------------------


def validate_answers(
    instrument: Instrument,
    answers: Mapping[str, object],
    *,
    context: Mapping[str, bool] = _NO_CONTEXT,
) -> tuple[dict[str, int | str | None], dict[str, str]]:
    """Clean a client's raw answers and say, in the client's words, what needs fixing.

    Parameters
    ----------
    instrument : Instrument
    answers : Mapping
        Raw answers by item key: strings from a form, or ints (None or "" for no answer).
    context : Mapping of str to bool
        Flags for ``{"context": ...}`` conditions, e.g. ``{"has_open_rupture": True}``. A flag
        that is absent counts as false.

    Returns
    -------
    cleaned : dict
        Every item key: an int for an answered choice item, a str for an answered text item
        (surrounding space stripped, line endings made ``\\n``), otherwise None. Items hidden by
        their ``show_if`` are None whatever was sent, because a form without JavaScript shows
        every question and the client may have answered one that no longer applies.
    errors : dict
        Messages for the client by item key, and ``"__all__"`` for fields that are not items
        (never silently dropped, as that would hide a tampered or outdated form). Empty when
        the answers are valid.

    Notes
    -----
    Text is kept verbatim apart from the stripping and line endings: HTML in it is the
    template's job to escape.
    """
    cleaned: dict[str, int | str | None] = {}
    errors: dict[str, str] = {}
    for item in instrument.items:
        # Conditions refer only to earlier items, so ``cleaned`` already holds what they need.
        if item.show_if is not None and not item.show_if.is_met(cleaned, context):
            cleaned[item.key] = None
            continue
        raw = answers.get(item.key)
        value: int | str | None
        if item.kind is ItemKind.CHOICE:
            value, error = _clean_choice(item, raw)
        else:
            value, error = _clean_text(item, raw)
        cleaned[item.key] = value
        if error is not None:
            errors[item.key] = error

    keys = {item.key for item in instrument.items}
    unexpected = sorted(str(key) for key in answers if key not in keys)
    if unexpected:
        noun = "field" if len(unexpected) == 1 else "fields"
        errors["__all__"] = f"Unexpected {noun}: {', '.join(unexpected)}"
    return cleaned, errors


# What a required question left blank is told; a caller can tell "blank" from "wrong" by these.
# Marked for translation (the pages translate them when they show them).
CHOICE_MISSING = gettext_noop("Please choose one answer for this question.")
TEXT_MISSING = gettext_noop("Please write an answer here.")
MISSING_MESSAGES = frozenset({CHOICE_MISSING, TEXT_MISSING})


def _clean_choice(item: Item, raw: object) -> tuple[int | None, str | None]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, (CHOICE_MISSING if item.required else None)
    value: int | None = None
    if _is_int(raw):
        value = raw
    elif isinstance(raw, str) and _INTEGER_PATTERN.fullmatch(raw.strip()):
        value = int(raw.strip())
    if value is None or value not in item.values:
        return None, _choice_hint(item)
    return value, None


def _choice_hint(item: Item) -> str:
    low, high = item.min_value, item.max_value
    if sorted(item.values) == list(range(low, high + 1)):
        return Wording(
            gettext_noop("Please choose a whole number from %(low)d to %(high)d."),
            low=low,
            high=high,
        )
    shown = ", ".join(str(value) for value in sorted(item.values))
    return Wording(gettext_noop("Please choose one of these numbers: %(shown)s."), shown=shown)


def _clean_text(item: Item, raw: object) -> tuple[str | None, str | None]:
    missing = TEXT_MISSING if item.required else None
    if raw is None:
        return None, missing
    if not isinstance(raw, str):
        return None, gettext_noop("Please write your answer as text.")
    # Browsers send a textarea's line breaks as "\r\n", two characters each; counting them so
    # would refuse text the page itself allowed.
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None, missing
    if "\x00" in text:
        # Databases such as PostgreSQL cannot store a NUL character; it never comes from typing.
        return None, gettext_noop(
            "Your answer has a hidden character we can't save. Please retype it."
        )
    if item.max_length is not None and len(text) > item.max_length:
        return None, Wording(
            gettext_noop(
                "Please shorten this to %(max)s characters or fewer. It is %(length)s characters "
                "now."
            ),
            max=Grouped(item.max_length),
            length=Grouped(len(text)),
        )
    return text, None


def score(instrument: Instrument, answers: Mapping[str, object]) -> Score:
    """Score a set of cleaned answers.

    Parameters
    ----------
    instrument : Instrument
    answers : Mapping
        Cleaned answers by item key, as :func:`validate_answers` returns them. Choice items take
        an option value or None; text items are ignored; missing keys count as unanswered.

    Returns
    -------
    Score
        Nothing is rounded; formatting is the caller's job.

    Raises
    ------
    ScoringError
        For a key that is not an item, or a choice answer that is not one of its option values.

    Notes
    -----
    A reverse-keyed answer :math:`x` scores :math:`(\\min + \\max) - x` over that item's options.
    A scale with fewer than ``min_answered`` answered items scores None. Otherwise, with
    :math:`a` answered of its :math:`n` items,

    * ``mean``: :math:`\\bar{x}`, the mean of the answered items;
    * ``sum``: :math:`\\sum x` when all are answered, else prorated as :math:`n \\bar{x}`, so
      that a missing item counts as the client's mean of the others. Prorating is a common
      convention for questionnaires that tolerate a few missing items; check the instrument's
      own manual, and set ``min_answered`` to what it allows.
    """
    keys = {item.key for item in instrument.items}
    unknown = sorted(key for key in answers if key not in keys)
    if unknown:
        raise ScoringError(f"instrument {instrument.id!r} has no item {unknown[0]!r}")

    values: dict[str, int] = {}
    for item in instrument.items:
        raw = answers.get(item.key)
        if item.kind is not ItemKind.CHOICE or raw is None:
            continue
        if not _is_int(raw) or raw not in item.values:
            raise ScoringError(
                f"item {item.key!r}: {raw!r} is not one of its option values {list(item.values)}"
            )
        values[item.key] = item.min_value + item.max_value - raw if item.reverse else raw

    return Score(
        composite=_score_scale(instrument.composite, values),
        subscales={scale.name: _score_scale(scale, values) for scale in instrument.subscales},
        answered=len(values),
    )


def _score_scale(scale: Scale, values: Mapping[str, int]) -> float | None:
    answered = [values[key] for key in scale.items if key in values]
    if len(answered) < scale.min_answered:
        return None
    if scale.method is ScaleMethod.SUM and len(answered) == len(scale.items):
        # Exact integer total; prorating would route it through a division.
        return float(sum(answered))
    item_mean = math.fsum(answered) / len(answered)
    if scale.method is ScaleMethod.MEAN:
        return item_mean
    return item_mean * len(scale.items)
