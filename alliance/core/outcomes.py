"""Outcome measures: an instrument definition plus what outcome monitoring needs.

An *outcome definition* is an instrument definition (:mod:`alliance.core.instruments`, whose
format is unchanged) with one more top-level key, ``"outcome"``, holding the direction of the
score, severity bands, risk items, the numbers behind reliable and clinically significant
change, and LOINC codes. :func:`load_outcome` checks the instrument part with
:func:`~alliance.core.instruments.load_instrument` and the outcome block here, and reports every
defect as a :class:`~alliance.core.instruments.DefinitionError` naming its path, e.g.
``outcome.bands[2].min: must be greater than the previous band's min (10), got 5``.

Outcome block
-------------
::

    direction    "lower_is_better" (symptoms, e.g. PHQ-9) or "higher_is_better" (alliance,
                 well-being), required.
    bands        list, optional: [{"min": number, "label": str}, ...] on the composite score,
                 ascending. The first min is the lowest possible composite score; each later min
                 is greater than the one before and at most the highest possible score. A score
                 belongs to the last band whose min it reaches (mins are inclusive).
    reliability  {"value": number in (0, 1), "source": str}, optional: r_xx for reliable change.
    norms        {"sd": number > 0, "source": str}, optional: the SD for reliable change.
                 reliability and norms may be given here or at the top level, not both.
    clinical     {"mean": number, "sd": number > 0, "source": str (optional)}, optional, and
    functional   the same, given together: the clinical and functional populations from which
                 the cut-off c = (s0·M1 + s1·M0) / (s0 + s1) is computed (Jacobson & Truax 1991).
    cutoff       {"value": number, "source": str}, optional, instead of clinical and
                 functional: the cut-off c itself. A score exactly at c counts as clinical.
    risk_items   list, optional: [{"item": key, "min": int, "label": str}, ...]: an answer of at
                 least min to that choice item (its raw option value, before any reversal) is a
                 risk flag. min must lie above the item's lowest option.
    codes        {"loinc_panel": str, "loinc_total": str}, both optional: LOINC codes of the
                 questionnaire and of its total score, check digit verified.

The composite's range comes from its items' options: for ``sum`` the sum of each item's lowest
(highest) option value, for ``mean`` the mean of them. Means, cut-offs and bands must lie in it.

Nothing here imports Django.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from alliance.core.change import (
    DEFAULT_Z,
    ChangeCategory,
    classify_change,
    clinical_cutoff_c,
    reliable_change_index,
    reliable_change_threshold,
)

# The underscored names are the instrument loader's own readers: a defect in the outcome block
# is then reported in exactly the words a defect elsewhere in the same file would be.
from alliance.core.instruments import (
    DefinitionError,
    Instrument,
    ItemKind,
    ScaleMethod,
    ScoringError,
    _check_keys,
    _describe,
    _integer,
    _is_int,
    _JsonObject,
    _list,
    _number,
    _object,
    _string,
    _suggest,
    load_instrument,
    score,
)

__all__ = [
    "Band",
    "ChangeSummary",
    "Direction",
    "Norm",
    "OutcomeDefinition",
    "OutcomeScore",
    "OutcomeSpec",
    "RiskFlag",
    "RiskItem",
    "caseload_change",
    "change_summary",
    "load_outcome",
    "load_outcome_json",
    "loinc_check_digit",
    "outcome_score",
    "risk_flags",
    "score_range",
    "severity_band",
]

_ROOT: Final = "(top level)"
_BASE_KEYS: Final = (
    "id",
    "version",
    "title",
    "description",
    "licence",
    "attribution",
    "items",
    "scoring",
    "reliability",
    "norms",
)
_LOINC_PATTERN: Final = re.compile(r"([0-9]{1,7})-([0-9])")


class Direction(StrEnum):
    """Which way a score gets better."""

    LOWER_IS_BETTER = "lower_is_better"
    HIGHER_IS_BETTER = "higher_is_better"


@dataclass(frozen=True)
class Band:
    """A severity band: scores from ``min`` (inclusive) up to the next band's ``min``."""

    min: float
    label: str


@dataclass(frozen=True)
class Norm:
    """Mean and SD of a reference population (clinical or functional)."""

    mean: float
    sd: float
    source: str = ""


@dataclass(frozen=True)
class RiskItem:
    """An item whose answer at or above ``min`` needs attention at once (e.g. PHQ-9 item 9)."""

    item: str
    min: int
    label: str


@dataclass(frozen=True)
class OutcomeSpec:
    """The validated ``"outcome"`` block. Reliability and the SD live on the instrument."""

    direction: Direction
    bands: tuple[Band, ...] = ()
    clinical: Norm | None = None
    functional: Norm | None = None
    cutoff_value: float | None = None
    cutoff_source: str = ""
    risk_items: tuple[RiskItem, ...] = ()
    loinc_panel: str | None = None
    loinc_total: str | None = None


@dataclass(frozen=True)
class OutcomeDefinition:
    """An instrument with its outcome block. Build it with :func:`load_outcome`.

    ``instrument.reliability`` and ``instrument.norms_sd`` hold the reliability and SD for
    reliable change, wherever the file gave them (top level or outcome block).
    """

    instrument: Instrument
    outcome: OutcomeSpec

    @property
    def id(self) -> str:
        """The instrument id, e.g. ``"phq9"``."""
        return self.instrument.id

    @property
    def higher_is_better(self) -> bool:
        """True when a higher composite score is better."""
        return self.outcome.direction is Direction.HIGHER_IS_BETTER

    @property
    def reliability(self) -> float | None:
        """Reliability for reliable change, or None if the definition gives none."""
        return self.instrument.reliability

    @property
    def sd(self) -> float | None:
        """SD for reliable change, or None if the definition gives none."""
        return self.instrument.norms_sd

    @property
    def cutoff(self) -> float | None:
        """Cut-off *c*: the one given, or computed from the clinical and functional norms."""
        spec = self.outcome
        if spec.cutoff_value is not None:
            return spec.cutoff_value
        if spec.clinical is not None and spec.functional is not None:
            return clinical_cutoff_c(
                clinical_mean=spec.clinical.mean,
                clinical_sd=spec.clinical.sd,
                functional_mean=spec.functional.mean,
                functional_sd=spec.functional.sd,
            )
        return None


@dataclass(frozen=True)
class RiskFlag:
    """A risk item answered at or above its threshold."""

    item: str
    value: int
    min: int
    label: str


@dataclass(frozen=True)
class OutcomeScore:
    """The composite score of one completed questionnaire, with its band and risk flags.

    Attributes
    ----------
    composite : float or None
        None when too few items were answered.
    band : str or None
        The severity band of the composite; None without a composite or without bands.
    answered, needed, total : int
        Answered items of the composite, the minimum it needs, and its number of items.
    too_few_answered : bool
    reason : str
        Why there is no composite, in a sentence for the therapist; "" when there is one.
    subscales : dict
        Subscale scores by name, None where too few of its items were answered.
    risk : tuple of RiskFlag
        Risk items answered at or above their threshold.
    risk_unanswered : tuple of str
        Risk items left unanswered: no flag, but the therapist may want to ask.
    """

    composite: float | None
    band: str | None
    answered: int
    needed: int
    total: int
    too_few_answered: bool
    reason: str
    subscales: dict[str, float | None]
    risk: tuple[RiskFlag, ...]
    risk_unanswered: tuple[str, ...]


@dataclass(frozen=True)
class ChangeSummary:
    """One person's change between two composite scores (Jacobson & Truax 1991).

    ``change`` is ``latest - baseline``; ``rci`` has the same sign. ``threshold`` is the
    smallest change in score points that is reliable (:math:`z \\cdot S_{diff}`); ``reliable``
    is :math:`|RCI| > z`. ``cutoff`` is *c*, or None when the definition gives no norms, in
    which case nobody is "recovered".
    """

    baseline: float
    latest: float
    change: float
    rci: float
    threshold: float
    reliable: bool
    category: ChangeCategory
    cutoff: float | None
    baseline_band: str | None
    latest_band: str | None


# --- Loading -------------------------------------------------------------------------------------


def load_outcome(data: Mapping[str, object]) -> OutcomeDefinition:
    """Check an outcome definition and build the :class:`OutcomeDefinition` it describes.

    Parameters
    ----------
    data : Mapping
        An instrument definition (format in :mod:`alliance.core.instruments`) with an
        ``"outcome"`` block (format in this module's docstring).

    Raises
    ------
    DefinitionError
        On the first defect found, with its path.
    """
    root = _object(data, _ROOT)
    allowed = (*_BASE_KEYS, "outcome")
    for key in root:
        if key not in allowed:
            hint = _suggest(key, allowed) or f" (allowed: {', '.join(sorted(allowed))})"
            raise DefinitionError(_ROOT, f"unknown key {_describe(key)}{hint}")
    instrument = load_instrument({key: value for key, value in root.items() if key != "outcome"})
    if "outcome" not in root:
        raise DefinitionError("outcome", "required key is missing")

    path = "outcome"
    obj = _object(root["outcome"], path)
    _check_keys(
        obj,
        path,
        required=("direction",),
        optional=(
            "bands",
            "reliability",
            "norms",
            "clinical",
            "functional",
            "cutoff",
            "risk_items",
            "codes",
        ),
    )
    direction_raw = obj["direction"]
    if direction_raw not in (Direction.LOWER_IS_BETTER.value, Direction.HIGHER_IS_BETTER.value):
        raise DefinitionError(
            f"{path}.direction",
            f'expected "lower_is_better" or "higher_is_better", got {_describe(direction_raw)}',
        )
    direction = Direction(str(direction_raw))
    low, high = _composite_range(instrument)

    if "reliability" in obj:
        if instrument.reliability is not None:
            raise DefinitionError(
                f"{path}.reliability", "already given at the top level; give it once"
            )
        block = _object(obj["reliability"], f"{path}.reliability")
        _check_keys(block, f"{path}.reliability", required=("value", "source"), optional=())
        value = _number(block["value"], f"{path}.reliability.value")
        if not 0 < value < 1:
            raise DefinitionError(
                f"{path}.reliability.value",
                f"expected a number between 0 and 1 (exclusive), got {_describe(block['value'])}",
            )
        source = _string(block["source"], f"{path}.reliability.source")
        instrument = replace(instrument, reliability=value, reliability_source=source)
    if "norms" in obj:
        if instrument.norms_sd is not None:
            raise DefinitionError(f"{path}.norms", "already given at the top level; give it once")
        block = _object(obj["norms"], f"{path}.norms")
        _check_keys(block, f"{path}.norms", required=("sd", "source"), optional=())
        sd = _positive(block["sd"], f"{path}.norms.sd")
        source = _string(block["source"], f"{path}.norms.source")
        instrument = replace(instrument, norms_sd=sd, norms_source=source)

    bands = _load_bands(obj["bands"], f"{path}.bands", low, high) if "bands" in obj else ()
    clinical, functional, cutoff_value, cutoff_source = _load_norms(obj, path, direction, low, high)
    risk_items = (
        _load_risk_items(obj["risk_items"], f"{path}.risk_items", instrument)
        if "risk_items" in obj
        else ()
    )
    loinc_panel: str | None = None
    loinc_total: str | None = None
    if "codes" in obj:
        codes = _object(obj["codes"], f"{path}.codes")
        _check_keys(codes, f"{path}.codes", required=(), optional=("loinc_panel", "loinc_total"))
        if "loinc_panel" in codes:
            loinc_panel = _loinc(codes["loinc_panel"], f"{path}.codes.loinc_panel")
        if "loinc_total" in codes:
            loinc_total = _loinc(codes["loinc_total"], f"{path}.codes.loinc_total")

    return OutcomeDefinition(
        instrument=instrument,
        outcome=OutcomeSpec(
            direction=direction,
            bands=bands,
            clinical=clinical,
            functional=functional,
            cutoff_value=cutoff_value,
            cutoff_source=cutoff_source,
            risk_items=risk_items,
            loinc_panel=loinc_panel,
            loinc_total=loinc_total,
        ),
    )


def load_outcome_json(text: str) -> OutcomeDefinition:
    """Parse a JSON outcome definition and load it with :func:`load_outcome`.

    A JSON syntax error becomes a :class:`DefinitionError` whose path is its position, e.g.
    ``line 3, column 5``; a key repeated within one object is a defect, as for instruments.
    """
    try:
        data = json.loads(text, object_pairs_hook=_JsonObject.from_pairs)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"line {error.lineno}, column {error.colno}", error.msg) from None
    return load_outcome(data)


def score_range(defn: OutcomeDefinition | Instrument) -> tuple[float, float]:
    """The lowest and highest possible composite score.

    For a ``sum`` composite, the sums of each item's lowest and highest option values; for a
    ``mean`` composite, their means. Reversal maps an item's range onto itself, so it does not
    change the range.
    """
    instrument = defn.instrument if isinstance(defn, OutcomeDefinition) else defn
    return _composite_range(instrument)


def _composite_range(instrument: Instrument) -> tuple[float, float]:
    scale = instrument.composite
    lows = [instrument.item(key).min_value for key in scale.items]
    highs = [instrument.item(key).max_value for key in scale.items]
    if scale.method is ScaleMethod.SUM:
        return float(sum(lows)), float(sum(highs))
    return math.fsum(lows) / len(lows), math.fsum(highs) / len(highs)


def _load_bands(raw: object, path: str, low: float, high: float) -> tuple[Band, ...]:
    entries = _list(raw, path)
    if not entries:
        raise DefinitionError(path, "expected at least one band")
    bands: list[Band] = []
    labels: dict[str, int] = {}
    previous: object = None
    for index, entry in enumerate(entries):
        band_path = f"{path}[{index}]"
        obj = _object(entry, band_path)
        _check_keys(obj, band_path, required=("min", "label"), optional=())
        minimum = _number(obj["min"], f"{band_path}.min")
        if index == 0 and minimum != low:
            raise DefinitionError(
                f"{band_path}.min",
                "the first band must start at the lowest possible composite score "
                f"({_number_text(low)}), got {_describe(obj['min'])}",
            )
        if index > 0 and minimum <= bands[-1].min:
            raise DefinitionError(
                f"{band_path}.min",
                f"must be greater than the previous band's min ({_describe(previous)}), "
                f"got {_describe(obj['min'])}",
            )
        if minimum > high:
            raise DefinitionError(
                f"{band_path}.min",
                f"must not exceed the highest possible composite score ({_number_text(high)}), "
                f"got {_describe(obj['min'])}",
            )
        label = _string(obj["label"], f"{band_path}.label")
        if label in labels:
            raise DefinitionError(
                f"{band_path}.label",
                f"{_describe(label)} is already used by {path}[{labels[label]}]",
            )
        labels[label] = index
        previous = obj["min"]
        bands.append(Band(min=minimum, label=label))
    return tuple(bands)


def _load_norms(
    obj: Mapping[str, object], path: str, direction: Direction, low: float, high: float
) -> tuple[Norm | None, Norm | None, float | None, str]:
    if "cutoff" in obj and ("clinical" in obj or "functional" in obj):
        raise DefinitionError(
            f"{path}.cutoff", 'give either "cutoff" or "clinical" and "functional", not both'
        )
    for one, other in (("clinical", "functional"), ("functional", "clinical")):
        if one in obj and other not in obj:
            raise DefinitionError(f"{path}.{other}", f"required when {path}.{one} is given")
    span = f"({_number_text(low)} to {_number_text(high)})"
    if "cutoff" in obj:
        block = _object(obj["cutoff"], f"{path}.cutoff")
        _check_keys(block, f"{path}.cutoff", required=("value", "source"), optional=())
        value = _number(block["value"], f"{path}.cutoff.value")
        if not low < value <= high:
            raise DefinitionError(
                f"{path}.cutoff.value",
                f"must lie above the lowest and at most the highest possible composite score "
                f"{span}, got {_describe(block['value'])}",
            )
        return None, None, value, _string(block["source"], f"{path}.cutoff.source")
    if "clinical" not in obj:
        return None, None, None, ""
    norms: dict[str, Norm] = {}
    given: dict[str, object] = {}
    for name in ("clinical", "functional"):
        norm_path = f"{path}.{name}"
        block = _object(obj[name], norm_path)
        _check_keys(block, norm_path, required=("mean", "sd"), optional=("source",))
        mean = _number(block["mean"], f"{norm_path}.mean")
        if not low <= mean <= high:
            raise DefinitionError(
                f"{norm_path}.mean",
                f"must lie within the possible composite scores {span}, "
                f"got {_describe(block['mean'])}",
            )
        sd = _positive(block["sd"], f"{norm_path}.sd")
        source = _string(block.get("source", ""), f"{norm_path}.source", allow_empty=True)
        norms[name] = Norm(mean=mean, sd=sd, source=source)
        given[name] = block["mean"]
    clinical, functional = norms["clinical"], norms["functional"]
    lower = direction is Direction.LOWER_IS_BETTER
    if (lower and not functional.mean < clinical.mean) or (
        not lower and not functional.mean > clinical.mean
    ):
        side = "below" if lower else "above"
        raise DefinitionError(
            f"{path}.functional.mean",
            f"with {_describe(direction.value)} the functional mean must be {side} the clinical "
            f"mean ({_describe(given['clinical'])}), got {_describe(given['functional'])}",
        )
    return clinical, functional, None, ""


def _load_risk_items(raw: object, path: str, instrument: Instrument) -> tuple[RiskItem, ...]:
    entries = _list(raw, path)
    keys = [item.key for item in instrument.items]
    found: list[RiskItem] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        entry_path = f"{path}[{index}]"
        obj = _object(entry, entry_path)
        _check_keys(obj, entry_path, required=("item", "min", "label"), optional=())
        key = _string(obj["item"], f"{entry_path}.item")
        if key not in keys:
            raise DefinitionError(
                f"{entry_path}.item", f"unknown item key {_describe(key)}{_suggest(key, keys)}"
            )
        if key in seen:
            raise DefinitionError(
                f"{entry_path}.item", f"{_describe(key)} is already listed in {path}[{seen[key]}]"
            )
        item = instrument.item(key)
        if item.kind is not ItemKind.CHOICE:
            raise DefinitionError(
                f"{entry_path}.item", f"{_describe(key)} is a text item; a risk item needs a choice"
            )
        minimum = _integer(obj["min"], f"{entry_path}.min")
        if not item.min_value < minimum <= item.max_value:
            raise DefinitionError(
                f"{entry_path}.min",
                f"expected an integer from {item.min_value + 1} to {item.max_value} (the options "
                f"of {_describe(key)} run from {item.min_value} to {item.max_value}, and the "
                f"lowest one cannot be a risk), got {minimum}",
            )
        label = _string(obj["label"], f"{entry_path}.label")
        seen[key] = index
        found.append(RiskItem(item=key, min=minimum, label=label))
    return tuple(found)


def _positive(value: object, path: str) -> float:
    number = _number(value, path)
    if number <= 0:
        raise DefinitionError(path, f"expected a number greater than 0, got {_describe(value)}")
    return number


def _loinc(value: object, path: str) -> str:
    code = _string(value, path)
    match = _LOINC_PATTERN.fullmatch(code)
    if match is None:
        raise DefinitionError(
            path, f'expected a LOINC code such as "44261-6", got {_describe(code)}'
        )
    expected = loinc_check_digit(match.group(1))
    if int(match.group(2)) != expected:
        raise DefinitionError(
            path,
            f"{_describe(code)} is not a valid LOINC code: its check digit should be {expected}",
        )
    return code


def loinc_check_digit(number: str) -> int:
    """The LOINC mod-10 check digit of the digits before the hyphen.

    Counting from the right, the digits in odd positions form a number that is doubled; the
    digits in even positions are written in front of it; the check digit is what brings the
    sum of all those digits up to the next multiple of 10.

    >>> loinc_check_digit("44261"), loinc_check_digit("12345")
    (6, 5)
    """
    if not number.isascii() or not number.isdigit():
        raise ValueError(f"number: expected digits, got {number!r}")
    reversed_digits = number[::-1]
    odd = reversed_digits[0::2][::-1]
    even = reversed_digits[1::2][::-1]
    total = sum(int(digit) for digit in even + str(int(odd) * 2))
    return (10 - total % 10) % 10


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


# --- Scoring -------------------------------------------------------------------------------------


def severity_band(defn: OutcomeDefinition, score_value: float) -> str | None:
    """The label of the band a composite score falls in, or None if the definition has none.

    Parameters
    ----------
    defn : OutcomeDefinition
    score_value : float
        A composite score, within :func:`score_range`.

    Raises
    ------
    ValueError
        For a value that is not a finite number or lies outside the possible scores.

    Examples
    --------
    With the PHQ-9 bands 0/5/10/15/20, 9 is "mild" and 10 is "moderate" (mins are inclusive).
    """
    low, high = score_range(defn)
    _check_score(score_value, "score", low, high)
    label: str | None = None
    for band in defn.outcome.bands:
        if score_value < band.min:
            break
        label = band.label
    return label


def risk_flags(defn: OutcomeDefinition, answers: Mapping[str, object]) -> list[RiskFlag]:
    """The risk items answered at or above their threshold, in definition order.

    An unanswered (None or absent) risk item raises no flag: there is nothing to act on, but
    :func:`outcome_score` lists it in ``risk_unanswered``.

    Raises
    ------
    ScoringError
        For an answer that is not one of the item's option values.
    """
    flags: list[RiskFlag] = []
    for risk in defn.outcome.risk_items:
        value = answers.get(risk.item)
        if value is None:
            continue
        item = defn.instrument.item(risk.item)
        if not _is_int(value) or value not in item.values:
            raise ScoringError(
                f"item {risk.item!r}: {value!r} is not one of its option values {list(item.values)}"
            )
        if value >= risk.min:
            flags.append(RiskFlag(item=risk.item, value=value, min=risk.min, label=risk.label))
    return flags


def outcome_score(defn: OutcomeDefinition, answers: Mapping[str, object]) -> OutcomeScore:
    """Score one completed questionnaire: composite, band, subscales and risk flags.

    Parameters
    ----------
    defn : OutcomeDefinition
    answers : Mapping
        Cleaned answers by item key, as :func:`alliance.core.instruments.validate_answers`
        returns them (int option values, None for unanswered).

    Returns
    -------
    OutcomeScore
        With ``too_few_answered`` and a ``reason`` when the composite needs more answers, e.g.
        "8 of the 9 items of the total were answered; it needs all 9."

    Raises
    ------
    ScoringError
        As :func:`alliance.core.instruments.score`.
    """
    instrument = defn.instrument
    result = score(instrument, answers)
    composite = instrument.composite
    answered = sum(1 for key in composite.items if answers.get(key) is not None)
    total = len(composite.items)
    needed = composite.min_answered
    reason = ""
    if result.composite is None:
        need = f"all {total}" if needed == total else f"at least {needed}"
        items = "item" if total == 1 else "items"
        verb = "was" if answered == 1 else "were"
        reason = (
            f"{answered} of the {total} {items} of the {composite.name} {verb} answered; "
            f"it needs {need}."
        )
    band = None if result.composite is None else severity_band(defn, result.composite)
    unanswered = tuple(
        risk.item for risk in defn.outcome.risk_items if answers.get(risk.item) is None
    )
    return OutcomeScore(
        composite=result.composite,
        band=band,
        answered=answered,
        needed=needed,
        total=total,
        too_few_answered=result.composite is None,
        reason=reason,
        subscales=result.subscales,
        risk=tuple(risk_flags(defn, answers)),
        risk_unanswered=unanswered,
    )


# --- Change --------------------------------------------------------------------------------------


def change_summary(
    defn: OutcomeDefinition, baseline: float, latest: float, *, z: float = DEFAULT_Z
) -> ChangeSummary:
    """Reliable and clinically significant change from ``baseline`` to ``latest``.

    .. math::

        RCI = \\frac{x_{latest} - x_{baseline}}{S_{diff}}, \\qquad
        S_{diff} = SD \\sqrt{2 (1 - r_{xx})}

    with the definition's SD and reliability; the category comes from
    :func:`alliance.core.change.classify_change` with the definition's direction and cut-off
    *c* (:attr:`OutcomeDefinition.cutoff`), following Jacobson & Truax (1991).

    Raises
    ------
    ValueError
        If the definition has no reliability or SD, or a score is not finite or outside the
        possible composite scores.

    Examples
    --------
    PHQ-9 (SD 5.0, r .84: S_diff = 5·√0.32 = 2.828, threshold 1.96·2.828 = 5.544) from 16
    to 8: RCI = −8 / 2.828 = −2.83, reliable improvement, and 8 is below the cut-off 10 while
    16 is not: recovered.
    """
    reliability, sd = _change_parameters(defn)
    low, high = score_range(defn)
    _check_score(baseline, "baseline", low, high)
    _check_score(latest, "latest", low, high)
    rci = reliable_change_index(baseline, latest, sd=sd, reliability=reliability)
    cutoff = defn.cutoff
    category = classify_change(
        baseline,
        latest,
        sd=sd,
        reliability=reliability,
        cutoff=cutoff,
        higher_is_better=defn.higher_is_better,
        z=z,
    )
    return ChangeSummary(
        baseline=float(baseline),
        latest=float(latest),
        change=float(latest - baseline),
        rci=rci,
        threshold=reliable_change_threshold(sd=sd, reliability=reliability, z=z),
        reliable=abs(rci) > z,
        category=category,
        cutoff=cutoff,
        baseline_band=severity_band(defn, baseline),
        latest_band=severity_band(defn, latest),
    )


def caseload_change(
    defn: OutcomeDefinition, pairs: Iterable[tuple[float, float]], *, z: float = DEFAULT_Z
) -> dict[ChangeCategory, int]:
    """Count a caseload's people by Jacobson & Truax category.

    Parameters
    ----------
    defn : OutcomeDefinition
    pairs : iterable of (baseline, latest)
        One pair of composite scores per person; leave out people without two scores.

    Returns
    -------
    dict
        Every category, in the order recovered, improved, unchanged, deteriorated, with its
        count (0 included).
    """
    counts = dict.fromkeys(ChangeCategory, 0)
    for baseline, latest in pairs:
        counts[change_summary(defn, baseline, latest, z=z).category] += 1
    return counts


def _change_parameters(defn: OutcomeDefinition) -> tuple[float, float]:
    if defn.reliability is None or defn.sd is None:
        missing = [
            name
            for name, value in (("reliability", defn.reliability), ("norms", defn.sd))
            if value is None
        ]
        raise ValueError(
            f"instrument {defn.id!r} gives no {' and no '.join(missing)}, so reliable change "
            "cannot be computed; add them to its definition"
        )
    return defn.reliability, defn.sd


def _check_score(value: float, name: str, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(
            f"{name}: {value!r} is outside the possible scores "
            f"({_number_text(low)} to {_number_text(high)})"
        )
