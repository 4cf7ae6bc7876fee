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
from types import MappingProxyType
from typing import Final

__all__ = [
    "CRISIS_LINES",
    "DEFAULT_CRISIS_RESOURCES",
    "DEFAULT_REGION",
    "DEFAULT_RULES",
    "CrisisLines",
    "CrisisResource",
    "RiskFinding",
    "SafetyRule",
    "crisis_lines",
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
    """A crisis line. ``number`` is shown ("9-8-8"), ``call`` and ``text`` are dialled ("988");
    a clinic's own resources (``load_crisis_resources``) have only the ``contact`` text."""

    name: str
    contact: str
    description: str
    number: str = ""
    call: str = ""
    text: str = ""


def gettext_noop(message: str) -> str:
    """Marks a string for translation without Django (this module must not import it).

    ``makemessages`` collects ``gettext_noop("...")`` calls; the page translates the value when
    it shows it (``{% translate resource.name %}``).
    """
    return message


# The labels are stored with each risk answer in English; the pages translate them.
DEFAULT_RULES: Final[tuple[SafetyRule, ...]] = (
    SafetyRule(
        "phq9", "phq9_9", ">", 0, gettext_noop("PHQ-9 item 9: thoughts of death or of self-harm")
    ),
    SafetyRule(
        "diary", "urge_suicide", ">=", 4, gettext_noop("Diary card: strong urge to die by suicide")
    ),
    SafetyRule(
        "diary", "urge_self_harm", ">=", 4, gettext_noop("Diary card: strong urge to self-harm")
    ),
    SafetyRule("diary", "action_self_harm", ">", 0, gettext_noop("Diary card: self-harm recorded")),
)


@dataclass(frozen=True, slots=True)
class CrisisLines:
    """The crisis lines of one region: the helplines, then the emergency number.

    ``emergency`` is the number to dial, as people write it ("911", "999", "000").
    """

    code: str
    name: str
    helplines: tuple[CrisisResource, ...]
    emergency: str

    @property
    def resources(self) -> tuple[CrisisResource, ...]:
        """The helplines and emergency services, as a list of crisis resources."""
        return (
            *self.helplines,
            CrisisResource(
                gettext_noop("Emergency services"),
                f"Call {self.emergency}",
                gettext_noop("If you are in danger right now, or you have hurt yourself."),
                number=self.emergency,
                call=self.emergency,
            ),
        )


# The crisis lines of each region a clinic can choose (Clinic.region), in one place: every page
# that shows a crisis number reads it from here (alliance/outcomes/safety.py), never from a
# template. Sources:
# - Canada: 9-8-8 Suicide Crisis Helpline, call or text 9-8-8, any time (988.ca; national since
#   30 November 2023, CLINICAL.md section 8); emergencies 911.
# - United States: 988 Suicide & Crisis Lifeline, call or text 988, any time (988lifeline.org;
#   since July 2022, CLINICAL.md section 8); emergencies 911.
# - United Kingdom: Samaritans, call 116 123, free, any time (samaritans.org); NHS 111 for urgent
#   help that is not an emergency (nhs.uk); emergencies 999. (To verify: not in CLINICAL.md.)
# - Australia: Lifeline, call 13 11 14, any time (lifeline.org.au); emergencies 000. (To
#   verify: not in CLINICAL.md.)
# A clinic's own crisis resources (ClinicSafety) replace the helplines; the emergency number
# always comes from the region.
CRISIS_LINES: Final[Mapping[str, CrisisLines]] = MappingProxyType(
    {
        "CA": CrisisLines(
            "CA",
            gettext_noop("Canada"),
            (
                CrisisResource(
                    gettext_noop("9-8-8 Suicide Crisis Helpline"),
                    "Call or text 9-8-8",
                    gettext_noop("Canada and the US, any time, day or night."),
                    number="9-8-8",
                    call="988",
                    text="988",
                ),
            ),
            "911",
        ),
        "US": CrisisLines(
            "US",
            gettext_noop("United States"),
            (
                CrisisResource(
                    gettext_noop("988 Suicide & Crisis Lifeline"),
                    "Call or text 988",
                    gettext_noop("Any time, day or night."),
                    number="988",
                    call="988",
                    text="988",
                ),
            ),
            "911",
        ),
        "UK": CrisisLines(
            "UK",
            gettext_noop("United Kingdom"),
            (
                CrisisResource(
                    gettext_noop("Samaritans"),
                    "Call 116 123",
                    gettext_noop("Free, any time, day or night."),
                    number="116 123",
                    call="116123",
                ),
                CrisisResource(
                    gettext_noop("NHS 111"),
                    "Call 111",
                    gettext_noop("Urgent help when it is not an emergency, any time."),
                    number="111",
                    call="111",
                ),
            ),
            "999",
        ),
        "AU": CrisisLines(
            "AU",
            gettext_noop("Australia"),
            (
                CrisisResource(
                    gettext_noop("Lifeline"),
                    "Call 13 11 14",
                    gettext_noop("Any time, day or night."),
                    number="13 11 14",
                    call="131114",
                ),
            ),
            "000",
        ),
    }
)
DEFAULT_REGION: Final = "CA"


def crisis_lines(region: str) -> CrisisLines:
    """The crisis lines of ``region`` (a code of CRISIS_LINES).

    Raises
    ------
    ValueError
        For a code that is not in the table, naming the ones that are.
    """
    try:
        return CRISIS_LINES[region]
    except KeyError:
        raise ValueError(
            f"region: expected one of {', '.join(CRISIS_LINES)}, got {region!r}"
        ) from None


DEFAULT_CRISIS_RESOURCES: Final[tuple[CrisisResource, ...]] = CRISIS_LINES[DEFAULT_REGION].resources


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
