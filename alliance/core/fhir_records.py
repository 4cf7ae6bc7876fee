"""FHIR R4 resources for a client's answers: QuestionnaireResponse, Observation, Patient, Bundle.

Plain data in, JSON-ready dicts out (checked against ``fhir.resources``' R4B models in the
tests; the receiving system should not have to trust us). Nothing here imports Django.

Codes
-----
* The PHQ-9 and GAD-7 use LOINC wherever LOINC has a code, each checked against a published
  source (listed in ``docs/interoperability.md``): the panels 44249-1 (PHQ-9) and 69737-5
  (GAD-7) on the Questionnaire, the totals 44261-6 and 70274-6 on the total-score Observation,
  and each item's question code on its Questionnaire item (:data:`ITEM_LOINC`).
* Everything of ours (the post-session check-in, subscales, the scores of an imported
  instrument without a LOINC total) is coded in local code systems under :data:`LOCAL_BASE`.
  ``.invalid`` is a reserved name (RFC 6761): it never resolves, so the URL only names the
  system; each Bundle carries the check-in's CodeSystem resource itself.

Scores are ``valueQuantity`` with the UCUM annotation unit ``{score}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from alliance.core.instruments import Instrument, ItemKind

__all__ = [
    "CHECKIN_SYSTEM",
    "CLIENT_ID_SYSTEM",
    "ITEM_LOINC",
    "LOCAL_BASE",
    "Answered",
    "bundle",
    "checkin_code_system",
    "observations",
    "patient",
    "questionnaire_url",
    "response_resource",
]

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
LOCAL_BASE: Final = "https://alliance.invalid/fhir"
CHECKIN_SYSTEM: Final = f"{LOCAL_BASE}/CodeSystem/checkin"
SCORE_SYSTEM: Final = f"{LOCAL_BASE}/CodeSystem/score"
CLIENT_ID_SYSTEM: Final = f"{LOCAL_BASE}/NamingSystem/client-id"
CHECKIN_ID: Final = "alliance-checkin"
_OBS_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
_NAMESPACE: Final = uuid.UUID("4f6d2b1e-5d4c-4d0e-9a8b-6e2f0c1d9a7b")

# LOINC question codes of the built-in items, in the order of the published forms.
ITEM_LOINC: Final[Mapping[str, Mapping[str, str]]] = {
    "phq9": {
        "phq9_1": "44250-9",
        "phq9_2": "44255-8",
        "phq9_3": "44259-0",
        "phq9_4": "44254-1",
        "phq9_5": "44251-7",
        "phq9_6": "44258-2",
        "phq9_7": "44252-5",
        "phq9_8": "44253-3",
        "phq9_9": "44260-8",
    },
    "gad7": {
        "gad7_1": "69725-0",
        "gad7_2": "68509-9",
        "gad7_3": "69733-4",
        "gad7_4": "69734-2",
        "gad7_5": "69735-9",
        "gad7_6": "69689-8",
        "gad7_7": "69736-7",
    },
}
# LOINC answer codes of the PHQ and GAD frequency scale, for reading other systems' answers.
FREQUENCY_ANSWERS: Final[Mapping[str, int]] = {
    "LA6568-5": 0,
    "LA6569-3": 1,
    "LA6570-1": 2,
    "LA6571-9": 3,
}

# The check-in's scores: the composite and its three subscales (alliance.core.checkin).
CHECKIN_SCORES: Final[Mapping[str, str]] = {
    "alliance": "Alliance (mean of bond, tasks and goals, 1-7)",
    "bond": "Bond: feeling understood, cared for and safe (1-7)",
    "tasks": "Tasks: agreement on how the work was done (1-7)",
    "goals": "Goals: working on what matters to the client (1-7)",
}


@dataclass(frozen=True)
class Answered:
    """One completed questionnaire (an outcome questionnaire or a check-in) as plain data.

    ``scores`` holds the composite first (under its scale name, e.g. ``total``), then the
    subscales; None where a score could not be computed.
    """

    id: uuid.UUID
    subject_id: uuid.UUID
    authored: datetime
    answers: Mapping[str, int | None]
    text_answers: Mapping[str, str] = field(default_factory=dict)
    scores: Mapping[str, float | None] = field(default_factory=dict)
    band: str = ""


def reference(resource_type: str, resource_id: object) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def questionnaire_url(instrument_id: str) -> str:
    """The canonical URL our Questionnaire for ``instrument_id`` carries (the version apart)."""
    return f"{LOCAL_BASE}/Questionnaire/{instrument_id.replace('_', '-')}"


def questionnaire(
    base: Mapping[str, object], instrument: Instrument, *, loinc_panel: str | None
) -> dict[str, object]:
    """``base`` (from :func:`alliance.core.fhir.instrument_to_fhir_questionnaire`) with its
    canonical URL and the LOINC code of every built-in item."""
    resource = dict(base)
    resource["url"] = questionnaire_url(instrument.id)
    codes = ITEM_LOINC.get(instrument.id, {})
    if codes:
        items = []
        for item in resource["item"]:  # type: ignore[attr-defined]
            copy = dict(item)
            code = codes.get(str(copy["linkId"]))
            if code:
                copy["code"] = [{"system": LOINC, "code": code}]
            items.append(copy)
        resource["item"] = items
    return resource


def patient(client_id: uuid.UUID, name: str | None) -> dict[str, object]:
    """Only what a receiving system needs to file the answers: our id, and the name if given."""
    resource: dict[str, object] = {
        "resourceType": "Patient",
        "id": str(client_id),
        "identifier": [{"system": CLIENT_ID_SYSTEM, "value": str(client_id)}],
    }
    if name:
        resource["name"] = [{"text": name}]
    return resource


def _instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times must be aware (UTC)")
    return moment.isoformat(timespec="seconds")


def response_resource(answered: Answered, instrument: Instrument) -> dict[str, object]:
    """The QuestionnaireResponse: each answered item with its coded answer, in item order."""
    items: list[dict[str, object]] = []
    for item in instrument.items:
        if item.kind is ItemKind.CHOICE:
            value = answered.answers.get(item.key)
            if value is None:
                continue
            label = next((o.label for o in item.options if o.value == value), str(value))
            answer: dict[str, object] = {"valueCoding": {"code": str(value), "display": label}}
        else:
            text = answered.text_answers.get(item.key, "")
            if not text:
                continue
            answer = {"valueString": text}
        items.append({"linkId": item.key, "text": item.text, "answer": [answer]})
    resource: dict[str, object] = {
        "resourceType": "QuestionnaireResponse",
        "id": str(answered.id),
        "identifier": {
            "system": f"{LOCAL_BASE}/NamingSystem/response-id",
            "value": str(answered.id),
        },
        "questionnaire": f"{questionnaire_url(instrument.id)}|{instrument.version}",
        "status": "completed",
        "subject": reference("Patient", answered.subject_id),
        "authored": _instant(answered.authored),
    }
    if items:
        resource["item"] = items
    return resource


def _score_code(instrument_id: str, scale: str, loinc_total: str | None, composite: str) -> Any:
    if scale == composite and loinc_total:
        return {"coding": [{"system": LOINC, "code": loinc_total}]}
    if instrument_id == CHECKIN_ID:
        return {
            "coding": [
                {"system": CHECKIN_SYSTEM, "code": scale, "display": CHECKIN_SCORES.get(scale)}
            ]
        }
    return {"coding": [{"system": SCORE_SYSTEM, "code": f"{instrument_id}.{scale}"}]}


def observation_id(response_id: uuid.UUID | str, scale: str) -> str:
    """Stable: the same response's score gets the same id in every export (``<response
    id>.<scale>``, or a name-based UUID when that would pass FHIR's 64 characters)."""
    readable = f"{response_id}.{scale.replace('_', '-')}"
    if len(readable) <= 64:
        return readable
    return str(uuid.uuid5(_NAMESPACE, f"{response_id}:{scale}"))


def observations(
    answered: Answered, instrument: Instrument, *, loinc_total: str | None
) -> list[dict[str, object]]:
    """One Observation per score (the composite, then each subscale) that could be computed."""
    composite = instrument.composite.name
    found = []
    # Worked out once per response: a clinic export makes millions of these.
    response_id, subject, when = str(answered.id), str(answered.subject_id), None
    for scale, value in answered.scores.items():
        if value is None:
            continue
        when = when or _instant(answered.authored)
        resource: dict[str, object] = {
            "resourceType": "Observation",
            "id": observation_id(response_id, scale),
            "status": "final",
            "category": [{"coding": [{"system": _OBS_CATEGORY, "code": "survey"}]}],
            "code": _score_code(instrument.id, scale, loinc_total, composite),
            "subject": {"reference": f"Patient/{subject}"},
            "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"},
            "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
        }
        if scale == composite and answered.band:
            resource["interpretation"] = [{"text": answered.band}]
        found.append(resource)
    return found


def checkin_code_system() -> dict[str, object]:
    """The local CodeSystem of the check-in's scores, carried in every Bundle."""
    return {
        "resourceType": "CodeSystem",
        "id": "alliance-checkin",
        "url": CHECKIN_SYSTEM,
        "name": "AllianceCheckin",
        "title": "Alliance post-session check-in scores",
        "status": "active",
        "content": "complete",
        "caseSensitive": True,
        "concept": [{"code": code, "display": display} for code, display in CHECKIN_SCORES.items()],
    }


def entry(resource: Mapping[str, object]) -> dict[str, object]:
    return {"fullUrl": f"{resource['resourceType']}/{resource['id']}", "resource": resource}


def bundle(
    resources: Iterable[Mapping[str, object]], *, bundle_id: uuid.UUID, at: datetime
) -> dict[str, object]:
    """A ``collection`` Bundle of ``resources``. References inside are ``Type/id``, as in each
    entry's ``fullUrl``."""
    return {
        "resourceType": "Bundle",
        "id": str(bundle_id),
        "type": "collection",
        "timestamp": _instant(at),
        "entry": [entry(resource) for resource in resources],
    }


# --- import ---------------------------------------------------------------------------------


class ResponseImportError(ValueError):
    """A QuestionnaireResponse we cannot read, with the FHIR path of the problem."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def instrument_of(questionnaire_ref: str, panels: Mapping[str, str]) -> str | None:
    """Which instrument a QuestionnaireResponse answers, from its ``questionnaire`` canonical:
    ours (``.../Questionnaire/<id>|<version>``) or one that ends with a LOINC panel code
    (``http://loinc.org/q/44249-1``), looked up in ``panels`` ({panel code: instrument id})."""
    canonical = questionnaire_ref.split("|", 1)[0].rstrip("/")
    last = canonical.rsplit("/", 1)[-1]
    if last in panels:
        return panels[last]
    if canonical.startswith(f"{LOCAL_BASE}/Questionnaire/"):
        return last
    return None


def subject_id(resource: Mapping[str, Any]) -> uuid.UUID:
    """Our client id from ``subject``: ``Patient/<id>`` or our identifier."""
    subject = resource.get("subject") or {}
    ref = str(subject.get("reference") or "")
    identifier = subject.get("identifier") or {}
    raw = ""
    if ref.startswith("Patient/"):
        raw = ref.removeprefix("Patient/")
    elif identifier.get("system") == CLIENT_ID_SYSTEM:
        raw = str(identifier.get("value") or "")
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ResponseImportError(
            "subject", "expected a reference Patient/<client id> or our client identifier"
        ) from None


def _flat(items: Sequence[Mapping[str, Any]], path: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        yield where, item
        yield from _flat(item.get("item") or [], f"{where}.item")


def answers_of(resource: Mapping[str, Any], instrument: Instrument) -> dict[str, object]:
    """The answers of a QuestionnaireResponse by our item key, ready for ``validate_answers``.

    An item is matched by its linkId (our key, or for the built-ins its LOINC code, with or
    without a leading ``/``). A choice answer is a ``valueInteger``, a ``valueCoding`` whose
    code is a whole number or a LOINC frequency answer (LA6568-5 ... LA6571-9), or one with the
    ``ordinalValue`` extension; a text answer a ``valueString``.
    """
    by_loinc = {code: key for key, code in ITEM_LOINC.get(instrument.id, {}).items()}
    keys = {item.key: item for item in instrument.items}
    found: dict[str, object] = {}
    for where, item in _flat(resource.get("item") or [], "item"):
        link = str(item.get("linkId") or "").lstrip("/")
        key = link if link in keys else by_loinc.get(link)
        if key is None:
            if item.get("answer"):
                raise ResponseImportError(
                    f"{where}.linkId", f"{link!r} is not a question of {instrument.id}"
                )
            continue
        answers = item.get("answer") or []
        if len(answers) != 1:
            raise ResponseImportError(f"{where}.answer", "expected exactly one answer")
        found[key] = _answer(answers[0], keys[key].kind, f"{where}.answer[0]")
    return found


def _answer(answer: Mapping[str, Any], kind: ItemKind, where: str) -> object:
    if kind is ItemKind.TEXT:
        if "valueString" not in answer:
            raise ResponseImportError(where, "a text question needs a valueString")
        return str(answer["valueString"])
    if "valueInteger" in answer:
        return str(answer["valueInteger"])
    coding = answer.get("valueCoding")
    if isinstance(coding, Mapping):
        for extension in coding.get("extension") or []:
            if str(extension.get("url", "")).endswith("/ordinalValue"):
                return str(int(extension.get("valueDecimal")))
        code = str(coding.get("code") or "")
        if code in FREQUENCY_ANSWERS:
            return str(FREQUENCY_ANSWERS[code])
        if code.lstrip("-").isdigit():
            return code
        raise ResponseImportError(f"{where}.valueCoding", f"answer code {code!r} has no number")
    raise ResponseImportError(where, "a choice question needs a valueInteger or valueCoding")
