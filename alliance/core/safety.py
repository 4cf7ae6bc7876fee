"""Safety rules: which answers must show crisis resources at once and alert the therapist.

A rule names a source (an outcome instrument such as ``phq9``, or the ``diary`` card), a field,
a comparison and a threshold. The defaults follow CLINICAL.md sections 5 and 8:

* PHQ-9 item 9 (thoughts of being better off dead or of self-harm) above 0 (Kroenke, Spitzer &
  Williams 2001 treat any non-zero answer as needing follow-up);
* a diary-card suicide urge or self-harm urge of 4 or more on the 0–5 scale (our documented
  threshold: the top two points of the card's urge scale);
* any self-harm action recorded on the diary card.

A clinic can replace the rule set (``load_rules``); every rule is validated with a specific
message. The rules support the therapist's judgement: they never diagnose, and the app that
uses them must say plainly that it is not watched around the clock.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_CRISIS_RESOURCES",
    "DEFAULT_RULES",
    "CrisisResource",
    "RiskFinding",
    "SafetyRule",
    "evaluate",
    "load_crisis_resources",
    "load_rules",
]

_COMPARISONS: Final[Mapping[str, Callable[[float, float], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


@dataclass(frozen=True, slots=True)
class SafetyRule:
    """``answers[field] <comparison> threshold`` for answers from ``source``."""

    source: str
    field: str
    comparison: str
    threshold: float
    label: str

    def matches(self, value: object) -> bool:
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int | float):
            return False
        return _COMPARISONS[self.comparison](float(value), self.threshold)


@dataclass(frozen=True, slots=True)
class RiskFinding:
    rule: SafetyRule
    value: float

    @property
    def summary(self) -> str:
        return f"{self.rule.label} (answer: {self.value:g})"


@dataclass(frozen=True, slots=True)
class CrisisResource:
    name: str
    contact: str
    description: str


DEFAULT_RULES: Final[tuple[SafetyRule, ...]] = (
    SafetyRule("phq9", "phq9_9", ">", 0, "PHQ-9 item 9: thoughts of death or of self-harm"),
    SafetyRule("diary", "urge_suicide", ">=", 4, "Diary card: strong urge to die by suicide"),
    SafetyRule("diary", "urge_self_harm", ">=", 4, "Diary card: strong urge to self-harm"),
    SafetyRule("diary", "action_self_harm", ">", 0, "Diary card: self-harm recorded"),
)

# 9-8-8 is the suicide crisis line in the US (since July 2022) and Canada (since 30 November
# 2023); 911 for emergencies (CLINICAL.md section 8). Clinics replace these with their own.
DEFAULT_CRISIS_RESOURCES: Final[tuple[CrisisResource, ...]] = (
    CrisisResource(
        "9-8-8 Suicide Crisis Helpline",
        "Call or text 9-8-8",
        "Canada and the US, any time, day or night.",
    ),
    CrisisResource(
        "Emergency services",
        "Call 911",
        "If you are in danger right now, or you have hurt yourself.",
    ),
)


def evaluate(
    source: str, answers: Mapping[str, object], rules: Sequence[SafetyRule] = DEFAULT_RULES
) -> list[RiskFinding]:
    """Every rule for ``source`` that the answers meet, in rule order.

    Missing or non-numeric answers never match: a blank answer is not a risk answer (the page
    that collected it decides whether a blank needs a follow-up).
    """
    findings = []
    for rule in rules:
        if rule.source != source or rule.field not in answers:
            continue
        value = answers[rule.field]
        if rule.matches(value):
            findings.append(RiskFinding(rule=rule, value=float(value)))  # type: ignore[arg-type]
    return findings


def load_rules(data: object) -> tuple[SafetyRule, ...]:
    """A clinic's rule set from JSON data: a list of objects with the fields of SafetyRule."""
    if not isinstance(data, list) or not data:
        raise ValueError("rules: expected a non-empty list of rules")
    rules = []
    for i, raw in enumerate(data):
        path = f"rules[{i}]"
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected an object")
        unknown = set(raw) - {"source", "field", "comparison", "threshold", "label"}
        if unknown:
            raise ValueError(f"{path}: unknown key(s): {', '.join(sorted(unknown))}")
        for key in ("source", "field", "label"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise ValueError(f"{path}.{key}: expected a non-empty string")
        if raw.get("comparison") not in _COMPARISONS:
            raise ValueError(
                f"{path}.comparison: expected one of {', '.join(_COMPARISONS)}, "
                f"got {raw.get('comparison')!r}"
            )
        threshold = raw.get("threshold")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise ValueError(f"{path}.threshold: expected a number, got {threshold!r}")
        rules.append(
            SafetyRule(
                raw["source"],
                raw["field"],
                raw["comparison"],
                float(threshold),
                raw["label"].strip(),
            )
        )
    return tuple(rules)


def load_crisis_resources(data: object) -> tuple[CrisisResource, ...]:
    if not isinstance(data, list) or not data:
        raise ValueError("crisis resources: expected a non-empty list")
    out = []
    for i, raw in enumerate(data):
        if not isinstance(raw, dict):
            raise ValueError(f"resources[{i}]: expected an object")
        fields = {}
        for key in ("name", "contact", "description"):
            value = raw.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"resources[{i}].{key}: expected a non-empty string")
            fields[key] = value.strip()
        out.append(CrisisResource(**fields))
    return tuple(out)
