"""Writes for outcome questionnaires: import a definition, set a schedule, save a response.

A client's response is saved first, in its own transaction. Only then are the alerts raised
(risk, then not on track), each in its own transaction: nothing that happens after the save,
including the crisis resources page, can lose the client's answers.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from alliance import formtoken
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, about_episode, audit_record
from alliance.core.fhir import fhir_questionnaire_to_definition
from alliance.core.instruments import (
    MISSING_MESSAGES,
    DefinitionError,
    ItemKind,
    validate_answers,
)
from alliance.core.not_on_track import (
    DEFAULT_CURVES,
    NotOnTrack,
    NotOnTrackSettings,
    assess,
    default_settings,
)
from alliance.core.outcomes import OutcomeDefinition, load_outcome, outcome_score, risk_flags
from alliance.outcomes.analysis import add_point, curves_for_clinic
from alliance.outcomes.definitions import (
    UnknownInstrument,
    builtin_digests,
    definition_for,
    digest,
)
from alliance.outcomes.models import (
    DefinitionSource,
    InstrumentDefinition,
    OutcomeResponse,
    OutcomeSchedule,
)
from alliance.outcomes.safety import evaluate, rules_for
from alliance.outcomes.schedule import ScheduleSpec
from alliance.outcomes.selectors import Questionnaire, attended_before, spec_of
from alliance.people.models import CareEpisode, Clinic, Role, User
from alliance.ruptures.models import Alert, AlertCategory
from alliance.wording import in_language

logger = logging.getLogger(__name__)

ALREADY_ANSWERED = gettext_lazy(
    "You've already answered this questionnaire. Thank you — your answers are saved."
)
CLOSED = gettext_lazy(
    "This questionnaire isn't open any more. A new one will appear on your home page when "
    "it's time."
)


# --- Importing definitions -----------------------------------------------------------------


class ImportRefused(Exception):
    """A definition that cannot be imported; the message says where and why."""


@dataclass(frozen=True)
class ImportResult:
    instrument_id: str
    version: int
    title: str
    created: bool
    message: str


def instrument_import(
    *,
    clinic: Clinic,
    text: str,
    scoring_text: str | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Validate and store one outcome definition for a clinic.

    ``text`` is either a definition in our JSON format or, with ``scoring_text``, a FHIR R4
    Questionnaire. The same id and version again is accepted only when it is identical (and
    then changes nothing); a different one needs a new version.

    Raises
    ------
    DefinitionError
        For a defect of the file, with its path (or line and column).
    ImportRefused
        For a definition that is valid but clashes with one already there.
    """
    if scoring_text is None:
        defn_data = _parse_definition(text)
        source = DefinitionSource.JSON
    else:
        try:
            scoring = json.loads(scoring_text)
        except json.JSONDecodeError as error:
            raise DefinitionError(
                f"scoring: line {error.lineno}, column {error.colno}", error.msg
            ) from None
        if not isinstance(scoring, Mapping):
            raise DefinitionError("scoring", "expected a JSON object")
        defn_data = fhir_questionnaire_to_definition(text, scoring)
        source = DefinitionSource.FHIR
    defn = load_outcome(defn_data)
    instrument = defn.instrument
    key = digest(defn_data)
    label = f"{instrument.id} version {instrument.version} ({instrument.title})"

    builtin_key = builtin_digests().get(instrument.id)
    if builtin_key is not None and instrument.version == 1:
        if key == builtin_key:
            return ImportResult(
                instrument.id,
                1,
                instrument.title,
                False,
                gettext("%(label)s is built in already.") % {"label": label},
            )
        raise ImportRefused(
            gettext(
                "%(id)s version 1 is built in, and this file differs from it. Give your copy a "
                "higher “version” (2 or more) to add it as a new version."
            )
            % {"id": instrument.id}
        )
    with transaction.atomic():
        existing = (
            InstrumentDefinition.objects.select_for_update()
            .filter(clinic=clinic, instrument_id=instrument.id, version=instrument.version)
            .first()
        )
        if existing is not None:
            if existing.digest == key:
                return ImportResult(
                    instrument.id,
                    instrument.version,
                    instrument.title,
                    False,
                    gettext(
                        "%(label)s is already imported, identical to this file: nothing changed."
                    )
                    % {"label": label},
                )
            raise ImportRefused(
                gettext(
                    "%(id)s version %(version)s is already imported with different content. A "
                    "changed definition needs a new “version” (raise it to %(next)s) so earlier "
                    "answers keep their meaning."
                )
                % {
                    "id": instrument.id,
                    "version": instrument.version,
                    "next": _next_version(clinic, instrument.id),
                }
            )
        row = InstrumentDefinition.objects.create(
            clinic=clinic,
            instrument_id=instrument.id,
            version=instrument.version,
            title=instrument.title,
            licence=instrument.licence,
            attribution=instrument.attribution,
            definition=defn_data,
            digest=key,
            source=source,
            imported_at=now or timezone.now(),
        )
        audit_record(
            actor=None,
            entry=Entry(AuditAction.CREATE, RecordType.INSTRUMENT, row.id, None, clinic.id),
        )
    return ImportResult(
        instrument.id, instrument.version, instrument.title, True, f"Imported {label}."
    )


def _parse_definition(text: str) -> dict[str, Any]:
    # load_outcome_json's parser reports duplicate keys; this one keeps the data to store.
    from alliance.core.outcomes import load_outcome_json

    load_outcome_json(text)
    data = json.loads(text)
    if not isinstance(data, dict):  # load_outcome_json has refused anything else already
        raise DefinitionError("(top level)", "expected a JSON object")
    return data


def _next_version(clinic: Clinic, instrument_id: str) -> int:
    versions = list(
        InstrumentDefinition.objects.filter(clinic=clinic, instrument_id=instrument_id)
        .values_list("version", flat=True)
        .order_by("-version")[:1]
    )
    return max([1, *versions]) + 1


# --- Schedules -----------------------------------------------------------------------------


class ScheduleError(Exception):
    """A schedule the therapist cannot set; the message is for them."""


def schedule_set(
    *,
    episode: CareEpisode,
    instrument_id: str,
    spec: ScheduleSpec,
    actor: User | None,
    now: datetime | None = None,
) -> OutcomeSchedule | None:
    """Set (or with an empty spec, remove) when one questionnaire is due in a care episode.

    Responses already given are kept whatever the schedule becomes.
    """
    if actor is not None and (actor.role != Role.THERAPIST or episode.therapist_id != actor.id):
        raise ScheduleError(gettext("Only the client's therapist can set their questionnaires."))
    try:
        definition_for(episode.clinic_id, instrument_id)
    except UnknownInstrument as error:
        raise ScheduleError(str(error)) from None
    now = now or timezone.now()
    with transaction.atomic():
        if spec.is_empty:
            deleted, _ = OutcomeSchedule.objects.filter(
                episode=episode, instrument_id=instrument_id
            ).delete()
            if deleted:
                audit_record(
                    actor=actor,
                    entry=about_episode(
                        episode, AuditAction.UPDATE, RecordType.OUTCOME_SCHEDULE, detail="off"
                    ),
                )
            return None
        current = (
            OutcomeSchedule.objects.select_for_update()
            .filter(episode=episode, instrument_id=instrument_id)
            .first()
        )
        if current is not None and spec_of(current) == spec:
            return current  # saved again unchanged: nothing to write, nothing to log
        schedule, _ = OutcomeSchedule.objects.update_or_create(
            episode=episode,
            instrument_id=instrument_id,
            defaults={
                "at_intake": spec.at_intake,
                "every_sessions": spec.every_sessions,
                "every_weeks": spec.every_weeks,
                "at_discharge": spec.at_discharge,
                "updated_at": now,
            },
        )
        audit_record(
            actor=actor,
            entry=about_episode(
                episode, AuditAction.UPDATE, RecordType.OUTCOME_SCHEDULE, schedule.id
            ),
        )
    return schedule


def schedules_set(
    *,
    episode: CareEpisode,
    specs: Mapping[str, ScheduleSpec],
    actor: User | None,
    now: datetime | None = None,
) -> None:
    """Save the whole schedule form at once: every questionnaire's schedule, or none of them.

    A questionnaire that is no longer available (removed by the clinic while the form was open)
    raises ``ScheduleError`` and nothing is changed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        for instrument_id, spec in specs.items():
            schedule_set(
                episode=episode, instrument_id=instrument_id, spec=spec, actor=actor, now=now
            )


# --- Responses -----------------------------------------------------------------------------


class ResponseError(Exception):
    """The answers could not be saved; ``errors`` maps item keys to messages for the client.

    ``can_send_incomplete`` is true when the only problem is questions left blank: the client
    may then send the answers as they are.
    """

    def __init__(
        self,
        message: str,
        errors: Mapping[str, str] | None = None,
        *,
        can_send_incomplete: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})
        self.can_send_incomplete = can_send_incomplete


@dataclass(frozen=True)
class ResponseResult:
    response: OutcomeResponse
    created: bool
    alerts: list[Alert] = field(default_factory=list)


BLANK_HINT = gettext_lazy("This one was left blank.")


def response_submit(
    *,
    questionnaire: Questionnaire,
    client: User,
    answers: Mapping[str, object],
    form_token: str | uuid.UUID,
    send_incomplete: bool = False,
    now: datetime | None = None,
) -> ResponseResult:
    """Save a client's answers to a due questionnaire, score them, and raise any alerts.

    Idempotent: a replay of the same form (same ``form_token``) returns the response already
    saved. Questions left blank are pointed out first; with ``send_incomplete`` the answers are
    saved as they are, and a composite that needs more answers is left unscored (the reason is
    kept). A risk answer is saved at once, blanks or not, so the crisis resources can follow.
    """
    now = now or timezone.now()
    episode = questionnaire.episode
    token = formtoken.parse(form_token)
    if token is None:
        raise ResponseError(formtoken.MISSING)
    if client.role != Role.CLIENT or episode.client_id != client.id:
        raise ResponseError(gettext("This questionnaire belongs to someone else."))

    replay = OutcomeResponse.objects.filter(form_token=token).first()
    if replay is not None:
        if (replay.episode_id, replay.instrument_id, replay.occasion) != (
            episode.id,
            questionnaire.instrument_id,
            questionnaire.occasion.key,
        ):
            raise ResponseError(gettext("This form was already used for another questionnaire."))
        return ResponseResult(response=replay, created=False)
    if questionnaire.response is not None:
        raise ResponseError(str(ALREADY_ANSWERED))
    if not questionnaire.is_open(now):
        raise ResponseError(str(CLOSED))

    defn = questionnaire.definition
    cleaned, errors = validate_answers(defn.instrument, answers)
    blank = {key: str(BLANK_HINT) for key, message in errors.items() if message in MISSING_MESSAGES}
    invalid = {key: in_language(message) for key, message in errors.items() if key not in blank}
    risk = response_risk(defn, episode.clinic, cleaned)
    if invalid and not risk:
        raise ResponseError(gettext("Some answers need another look."), {**invalid, **blank})
    if blank and not risk and not send_incomplete:
        count = len(blank)
        raise ResponseError(
            ngettext(
                "%(count)d question was left blank. You can answer it now, or send your "
                "answers as they are.",
                "%(count)d questions were left blank. You can answer them now, or send your "
                "answers as they are.",
                count,
            )
            % {"count": count},
            blank,
            can_send_incomplete=True,
        )
    if all(value is None for value in cleaned.values()):
        raise ResponseError(gettext("Please answer at least one question before sending."))

    result = outcome_score(defn, cleaned)
    text = {k: v for k, v in cleaned.items() if isinstance(v, str)}
    choices = {
        item.key: cleaned.get(item.key) if not invalid.get(item.key) else None
        for item in defn.instrument.items
        if item.kind is ItemKind.CHOICE
    }
    try:
        with transaction.atomic():
            response = OutcomeResponse.objects.create(
                episode=episode,
                client=client,
                instrument_id=defn.id,
                instrument_version=defn.instrument.version,
                occasion=questionnaire.occasion.key,
                session_index=attended_before(episode.id, now),
                answers=choices,
                text_answers=json.dumps(text, ensure_ascii=False) if text else "",
                composite=result.composite,
                band=result.band or "",
                subscales=result.subscales,
                unscored_reason=result.reason,
                risk=risk,
                submitted_at=now,
                form_token=token,
            )
            audit_record(
                actor=client,
                entry=about_episode(
                    episode, AuditAction.CREATE, RecordType.OUTCOME_RESPONSE, response.id
                ),
            )
    except IntegrityError:
        # A concurrent submission won the race: report what is stored, lose nothing.
        existing = OutcomeResponse.objects.filter(form_token=token).first()
        if existing is not None:
            return ResponseResult(response=existing, created=False)
        raise ResponseError(str(ALREADY_ANSWERED)) from None

    alerts: list[Alert] = []
    if risk:
        alerts += _after_save(risk_alert_raise, response=response, title=defn.instrument.title)
    if response.composite is not None:
        alerts += _after_save(not_on_track_check, episode=episode, defn=defn, now=now)
    return ResponseResult(response=response, created=True, alerts=alerts)


def _after_save(step: Any, **kwargs: Any) -> list[Alert]:
    # The answers are saved already; a failing alert must not turn that into an error page.
    # It is logged loudly, and the response still shows its risk answers on the client page.
    try:
        alert = step(**kwargs)
    except Exception:
        logger.exception("Could not raise an alert after saving a questionnaire (%s)", step)
        return []
    return [] if alert is None else [alert]


def response_risk(
    defn: OutcomeDefinition, clinic: Clinic, cleaned: Mapping[str, object]
) -> list[dict[str, Any]]:
    """The risk answers: the clinic's safety rules for this questionnaire, plus the risk items
    of its definition (so a clinic's rule set can add risk answers but not drop the ones the
    instrument itself defines)."""
    found: dict[str, dict[str, Any]] = {}
    for finding in evaluate(defn.id, cleaned, rules_for(clinic)):
        found.setdefault(
            finding.rule.field,
            {"field": finding.rule.field, "value": finding.value, "label": finding.rule.label},
        )
    numbers = {k: v for k, v in cleaned.items() if isinstance(v, int)}
    for flag in risk_flags(defn, numbers):
        found.setdefault(
            flag.item,
            {
                "field": flag.item,
                "value": flag.value,
                "label": f"{defn.instrument.title}: {flag.label}",
            },
        )
    return list(found.values())


def risk_summary(response: OutcomeResponse) -> str:
    return " ".join(f"{r['label']} (answer: {r['value']:g})." for r in response.risk)


def risk_alert_raise(*, response: OutcomeResponse, title: str) -> Alert:
    """A high-priority risk alert for one response (one per response, however often called)."""
    alert, _ = _alert_raise(
        episode=response.episode,
        category=AlertCategory.RISK,
        severity=3,
        source_key=f"response:{response.id}",
        summary=f"Risk answer on the {title}: {risk_summary(response)}",
        now=response.submitted_at,
        # What the alert's words are made of, in any language (alliance.ruptures.wording).
        detail={
            "response_id": str(response.id),
            "instrument_id": response.instrument_id,
            "instrument_title": title,
            "answers": [{"label": r["label"], "value": r["value"]} for r in response.risk],
        },
    )
    return alert


def _alert_raise(
    *,
    episode: CareEpisode,
    category: str,
    severity: int,
    source_key: str,
    summary: str,
    now: datetime,
    detail: dict[str, Any],
) -> tuple[Alert, bool]:
    from alliance.ruptures.services import alert_raise

    return alert_raise(
        episode=episode,
        category=category,
        severity=severity,
        summary=summary,
        source_key=source_key,
        signals=[{"kind": category, "severity": severity, "summary": summary, "detail": detail}],
        now=now,
    )


def series_for(episode_id: uuid.UUID, instrument_id: str) -> list[tuple[int, float]]:
    """The episode's scored responses to one questionnaire as (sessions attended, score).

    ``assess`` needs increasing session numbers. Two responses at the same point (no session
    attended between them) count once: the intake keeps its first response, any later point
    its latest.
    """
    series: list[tuple[int, float]] = []
    for index, value in (
        OutcomeResponse.objects.filter(
            episode_id=episode_id, instrument_id=instrument_id, composite__isnull=False
        )
        .order_by("submitted_at", "id")
        .values_list("session_index", "composite")
    ):
        if value is not None:
            add_point(series, index, value)
    return series


def not_on_track_settings(defn: OutcomeDefinition) -> NotOnTrackSettings | None:
    """The rule's settings for this questionnaire, or None when it has no expected curves.

    Only the built-in PHQ-9 and GAD-7 have (assumed) default curves; an imported instrument is
    not assessed. Without reliability or SD the reliable-deterioration part is left out.
    """
    if defn.id not in DEFAULT_CURVES:
        return None
    settings = default_settings(defn)
    if defn.reliability is None or defn.sd is None:
        return NotOnTrackSettings(
            curves=settings.curves, z=settings.z, consecutive=settings.consecutive, rci_z=None
        )
    return settings


def not_on_track_check(
    *, episode: CareEpisode, defn: OutcomeDefinition, now: datetime | None = None
) -> Alert | None:
    """Assess the episode's series for this questionnaire; on a signal, raise its alert.

    One not-on-track alert per episode and questionnaire (``source_key``
    ``not_on_track:<episode>:<instrument>``). ``assess`` returns the same first signal however
    many scores follow, so raising again finds the alert already there; once the therapist has
    closed it, the same signal does not open another.
    """
    settings = not_on_track_settings(defn)
    if settings is None:
        return None
    # Each intake band's curve comes from the clinic's own completed treatments once it has
    # enough of them (alliance/core/recovery.py), else from the defaults.
    settings = curves_for_clinic(episode.clinic_id, defn, settings).settings
    signal: NotOnTrack | None = assess(defn, series_for(episode.id, defn.id), settings)
    if signal is None:
        return None
    summary = f"{defn.instrument.title}: {signal.reason}"
    alert, _ = _alert_raise(
        episode=episode,
        category=AlertCategory.NOT_ON_TRACK,
        severity=2,
        source_key=f"not_on_track:{episode.id}:{defn.id}",
        summary=summary,
        now=now or timezone.now(),
        detail={
            "instrument_id": defn.id,
            "rule": str(signal.kind),
            "session": signal.session,
            "score": signal.score,
            "expected": round(signal.expected, 2),
            "bound": round(signal.bound, 2),
            "rci": None if signal.rci is None else round(signal.rci, 2),
        },
    )
    return alert
