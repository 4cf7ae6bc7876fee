"""FHIR R4 Bundles of a client's (or a whole clinic's) answers, and the import of a
QuestionnaireResponse. The resources themselves are built in :mod:`alliance.core.fhir_records`.

A Bundle holds, for each client: a minimal Patient; one QuestionnaireResponse per check-in and
per outcome questionnaire, each with one Observation per score (composite and subscales); and,
once, the Questionnaire of every instrument answered and the check-in's CodeSystem.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import IO, Any

import pydantic
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import about_episode, about_person, audit_record, audit_record_bulk
from alliance.checkins.models import CheckIn
from alliance.core import fhir_records as records
from alliance.core.checkin import CHECKIN
from alliance.core.fhir import instrument_to_fhir_questionnaire
from alliance.core.instruments import Instrument, ItemKind, validate_answers
from alliance.core.outcomes import OutcomeDefinition, outcome_score
from alliance.outcomes.definitions import UnknownInstrument, available_for, definition_for
from alliance.outcomes.models import OutcomeResponse
from alliance.outcomes.selectors import attended_before
from alliance.outcomes.services import response_risk
from alliance.people.models import CareEpisode, Clinic, EpisodeStatus, Role, User

CHECKIN_FIELDS = (
    "id",
    "client_id",
    "submitted_at",
    "bond",
    "tasks",
    "goals",
    "tension",
    "talked",
    "resolved",
    "followup_resolved",
    "comment",
    "alliance",
)
RESPONSE_FIELDS = (
    "id",
    "client_id",
    "submitted_at",
    "instrument_id",
    "instrument_version",
    "answers",
    "text_answers",
    "composite",
    "subscales",
    "band",
    "episode__clinic_id",
)
_IMPORT_NAMESPACE = uuid.UUID("0b5f4c57-0f0e-4d0e-8f4e-52a1c3e9d6aa")


def checkin_answered(checkin: CheckIn) -> records.Answered:
    answers = {key: getattr(checkin, key) for key in ("bond", "tasks", "goals", "tension")}
    for key in ("talked", "resolved", "followup_resolved"):
        answers[key] = getattr(checkin, key)
    return records.Answered(
        id=checkin.id,
        subject_id=checkin.client_id,
        authored=checkin.submitted_at,
        answers=answers,
        text_answers={"comment": checkin.comment} if checkin.comment else {},
        scores={
            "alliance": checkin.alliance,
            "bond": float(checkin.bond),
            "tasks": float(checkin.tasks),
            "goals": float(checkin.goals),
        },
    )


def response_answered(response: OutcomeResponse, defn: OutcomeDefinition) -> records.Answered:
    text = json.loads(response.text_answers) if response.text_answers else {}
    scores: dict[str, float | None] = {defn.instrument.composite.name: response.composite}
    scores.update(response.subscales or {})
    return records.Answered(
        id=response.id,
        subject_id=response.client_id,
        authored=response.submitted_at,
        answers=response.answers or {},
        text_answers=text,
        scores=scores,
        band=response.band,
    )


@functools.cache
def _checkin_questionnaire() -> dict[str, object]:
    base = instrument_to_fhir_questionnaire(CHECKIN, omit_context_conditions=True)
    return records.questionnaire(base, CHECKIN, loinc_panel=None)


def _outcome_questionnaire(defn: OutcomeDefinition) -> dict[str, object]:
    base = instrument_to_fhir_questionnaire(
        defn.instrument, loinc_panel=defn.outcome.loinc_panel, omit_context_conditions=True
    )
    return records.questionnaire(base, defn.instrument, loinc_panel=defn.outcome.loinc_panel)


class _Definitions:
    """Each (clinic, instrument, version) looked up once per export."""

    def __init__(self) -> None:
        self.found: dict[tuple[uuid.UUID, str, int], OutcomeDefinition | None] = {}

    def get(self, clinic_id: uuid.UUID, instrument_id: str, version: int) -> OutcomeDefinition:
        key = (clinic_id, instrument_id, version)
        if key not in self.found:
            try:
                self.found[key] = definition_for(clinic_id, instrument_id, version)
            except UnknownInstrument:
                self.found[key] = None
        defn = self.found[key]
        if defn is None:
            raise UnknownInstrument(f"{instrument_id} v{version}")
        return defn


def _resources(
    patients: Iterable[tuple[uuid.UUID, str]],
    checkins: Iterable[CheckIn],
    responses: Iterable[OutcomeResponse],
) -> Iterator[Mapping[str, object]]:
    """Every resource of the Bundle, streamed: Questionnaires once, at the end."""
    yield records.checkin_code_system()
    for client_id, name in patients:
        yield records.patient(client_id, name)
    for checkin in checkins:
        answered = checkin_answered(checkin)
        yield records.response_resource(answered, CHECKIN)
        yield from records.observations(answered, CHECKIN, loinc_total=None)
    definitions = _Definitions()
    used: dict[tuple[str, int], OutcomeDefinition] = {}
    for response in responses:
        defn = definitions.get(
            response.episode.clinic_id, response.instrument_id, response.instrument_version
        )
        used[(defn.id, defn.instrument.version)] = defn
        answered = response_answered(response, defn)
        yield records.response_resource(answered, defn.instrument)
        yield from records.observations(
            answered, defn.instrument, loinc_total=defn.outcome.loinc_total
        )
    yield _checkin_questionnaire()
    for defn in used.values():
        yield _outcome_questionnaire(defn)


def client_bundle(client: User, *, now: datetime | None = None) -> dict[str, object]:
    """Everything one client answered, as one Bundle (small enough to build in memory)."""
    now = now or timezone.now()
    checkins = CheckIn.objects.filter(client=client, episode__clinic_id=client.clinic_id).order_by(
        "submitted_at", "id"
    )
    responses = (
        OutcomeResponse.objects.filter(client=client, episode__clinic_id=client.clinic_id)
        .select_related("episode")
        .order_by("submitted_at", "id")
    )
    resources = list(_resources([(client.id, client.full_name)], checkins, responses))
    return records.bundle(resources, bundle_id=uuid.uuid4(), at=now)


def fhir_export_client_record(*, actor: User, client: User) -> dict[str, object]:
    """A staff download of one client's Bundle, audited as an export of their record."""
    bundle = client_bundle(client)
    audit_record(actor=actor, entry=about_person(client, AuditAction.EXPORT, "fhir"))
    return bundle


def clinic_bundle_write(clinic: Clinic, out: IO[str], *, now: datetime | None = None) -> int:
    """Stream the Bundle of every client of ``clinic`` to ``out``; returns the entry count.

    Written entry by entry (rows read with ``iterator()``), so memory stays flat however large
    the clinic. Audited: one export row per client, written by the system (a command's actor).
    """
    now = now or timezone.now()
    clients = User.objects.filter(clinic=clinic, role=Role.CLIENT).order_by("id")
    patients = clients.values_list("id", "full_name").iterator(chunk_size=2000)
    checkins = (
        CheckIn.objects.filter(episode__clinic=clinic)
        .only(*CHECKIN_FIELDS)
        .order_by("client_id", "submitted_at", "id")
        .iterator(chunk_size=2000)
    )
    responses = (
        OutcomeResponse.objects.filter(episode__clinic=clinic)
        .select_related("episode")
        .only(*RESPONSE_FIELDS)
        .order_by("client_id", "submitted_at", "id")
        .iterator(chunk_size=2000)
    )
    head = records.bundle([], bundle_id=uuid.uuid4(), at=now)
    opening = json.dumps(head, ensure_ascii=False)[: -len("[]}")]
    out.write(opening + "[\n")
    count = 0
    for resource in _resources(patients, checkins, responses):
        if count:
            out.write(",\n")
        out.write(json.dumps(records.entry(resource), ensure_ascii=False, separators=(",", ":")))
        count += 1
    out.write("\n]}\n")
    audit_record_bulk(
        actor=None,
        entries=(
            about_person(client, AuditAction.EXPORT, "fhir")
            for client in clients.only("id", "clinic_id")
        ),
    )
    return count


# --- import -------------------------------------------------------------------------------


class FhirImportError(Exception):
    """The resource cannot be imported; the message says what to fix."""


def _panels(clinic: Clinic) -> dict[str, str]:
    found = {}
    for available in available_for(clinic.id):
        defn = definition_for(clinic.id, available.instrument_id)
        if defn.outcome.loinc_panel:
            found[defn.outcome.loinc_panel] = defn.id
    return found


def _episode_at(client: User, at: datetime) -> CareEpisode:
    day = at.astimezone(client.zone).date()
    episodes = list(
        CareEpisode.objects.filter(client=client, clinic_id=client.clinic_id).order_by(
            "-started_on"
        )
    )
    for episode in episodes:
        if episode.started_on <= day and (episode.ended_on is None or day <= episode.ended_on):
            return episode
    active = [e for e in episodes if e.status == EpisodeStatus.ACTIVE]
    if active:
        return active[0]
    raise FhirImportError(
        _("the client has no care episode on %(day)s") % {"day": f"{day:%Y-%m-%d}"}
    )


def fhir_response_import(
    *, resource: Mapping[str, Any], clinic: Clinic
) -> tuple[OutcomeResponse, bool]:
    """Import one QuestionnaireResponse of a known instrument: the response and its scores.

    The scores are computed here from the answers, with the clinic's definition (any
    Observations that came with it are not read). Idempotent: the same response (by its
    identifier, else its id) imports once; a second import returns the first. A risk answer is
    kept on the response, as on one answered in the app, but raises no alert: it was answered
    elsewhere, in the past, and handled there. Returns (response, created).
    """
    try:
        QuestionnaireResponse.model_validate(dict(resource))
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = " ".join(str(first["msg"]).split())
        raise FhirImportError(
            _("not a valid QuestionnaireResponse: %(where)s: %(message)s")
            % {"where": where, "message": message}
        ) from None
    if resource.get("status") not in ("completed", "amended"):
        raise FhirImportError(_('only a "completed" (or "amended") response can be imported'))
    questionnaire = str(resource.get("questionnaire") or "")
    instrument_id = records.instrument_of(questionnaire, _panels(clinic))
    try:
        if instrument_id is None:
            raise UnknownInstrument(questionnaire)
        version_text = questionnaire.partition("|")[2]
        version = int(version_text) if version_text.isdigit() else None
        defn = definition_for(clinic.id, instrument_id, version)
    except UnknownInstrument:
        raise FhirImportError(
            _(
                "questionnaire “%(questionnaire)s” is not one this clinic knows (see "
                "alliance instruments list)"
            )
            % {"questionnaire": questionnaire}
        ) from None
    try:
        client_id = records.subject_id(resource)
        answers = records.answers_of(resource, defn.instrument)
    except records.ResponseImportError as error:
        raise FhirImportError(str(error)) from None
    client = User.objects.filter(id=client_id, clinic=clinic, role=Role.CLIENT).first()
    if client is None:
        raise FhirImportError(
            _("no client %(id)s in %(clinic)s") % {"id": client_id, "clinic": clinic.name}
        )
    authored_text = str(resource.get("authored") or "")
    authored = datetime.fromisoformat(authored_text) if authored_text else None
    if authored is None or authored.tzinfo is None:
        raise FhirImportError(_("authored must be a date and time with its time zone"))
    cleaned, errors = validate_answers(defn.instrument, answers)
    invalid = {key: message for key, message in errors.items() if key in answers}
    if invalid:
        key, message = next(iter(invalid.items()))
        raise FhirImportError(
            _("answer to %(key)s: %(message)s") % {"key": key, "message": message}
        )
    identifier = resource.get("identifier") or {}
    source = f"{identifier.get('system')}|{identifier.get('value')}" if identifier else ""
    source = source or f"QuestionnaireResponse/{resource.get('id')}"
    token = uuid.uuid5(_IMPORT_NAMESPACE, source)
    existing = OutcomeResponse.objects.filter(form_token=token).first()
    if existing is not None:
        return existing, False
    episode = _episode_at(client, authored)
    return _store(defn, episode, client, cleaned, authored, token, source)


def _store(
    defn: OutcomeDefinition,
    episode: CareEpisode,
    client: User,
    cleaned: Mapping[str, object],
    authored: datetime,
    token: uuid.UUID,
    source: str,
) -> tuple[OutcomeResponse, bool]:
    result = outcome_score(defn, cleaned)
    text = {k: v for k, v in cleaned.items() if isinstance(v, str)}
    choices = {item.key: cleaned.get(item.key) for item in _choice_items(defn.instrument)}
    occasion = f"import-{hashlib.sha256(source.encode()).hexdigest()[:16]}"
    try:
        with transaction.atomic():
            response = OutcomeResponse.objects.create(
                episode=episode,
                client=client,
                instrument_id=defn.id,
                instrument_version=defn.instrument.version,
                occasion=occasion,
                session_index=attended_before(episode.id, authored),
                answers=choices,
                text_answers=json.dumps(text, ensure_ascii=False) if text else "",
                composite=result.composite,
                band=result.band or "",
                subscales=result.subscales,
                unscored_reason=result.reason,
                risk=response_risk(defn, episode.clinic, cleaned),
                submitted_at=authored,
                form_token=token,
            )
            audit_record(
                actor=None,
                entry=about_episode(
                    episode, AuditAction.CREATE, RecordType.OUTCOME_RESPONSE, response.id, "fhir"
                ),
            )
    except IntegrityError:
        existing = OutcomeResponse.objects.filter(form_token=token).first()
        if existing is None:
            raise
        return existing, False
    return response, True


def _choice_items(instrument: Instrument) -> list[Any]:
    return [item for item in instrument.items if item.kind is ItemKind.CHOICE]


def responses_in(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The QuestionnaireResponses of a file: the resource itself, or a Bundle's entries."""
    if data.get("resourceType") == "QuestionnaireResponse":
        return [data]
    if data.get("resourceType") == "Bundle":
        return [
            e["resource"]
            for e in data.get("entry") or []
            if isinstance(e, Mapping)
            and isinstance(e.get("resource"), Mapping)
            and e["resource"].get("resourceType") == "QuestionnaireResponse"
            # Our own check-ins are answered in the app, never imported.
            and records.instrument_of(str(e["resource"].get("questionnaire") or ""), {})
            != records.CHECKIN_ID
        ]
    raise FhirImportError(_("expected a QuestionnaireResponse or a Bundle of them"))
