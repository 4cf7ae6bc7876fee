"""A clinic's safety rules and crisis resources, for every page that collects risk answers.

The questionnaires here and the diary card both ask :func:`rules_for` which answers are risk
answers and :func:`crisis_resources_for` what to show the client at once. A clinic without its
own settings gets the defaults of :mod:`alliance.core.safety` (PHQ-9 item 9 above 0; diary
suicide or self-harm urge of 4 or more, or a self-harm action; the crisis lines of the clinic's
region, e.g. 9-8-8 and 911 in Canada). Its own settings replace the defaults as a whole, and are
validated with the core loaders before they are saved. The emergency number always comes from
the region (:func:`crisis_lines_for`).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, audit_record
from alliance.core import diary as card_def
from alliance.core.instruments import ItemKind
from alliance.core.safety import (
    DEFAULT_CRISIS_RESOURCES,
    DEFAULT_REGION,
    DEFAULT_RULES,
    CrisisLines,
    CrisisResource,
    RiskFinding,
    SafetyRule,
    crisis_lines,
    evaluate,
    load_crisis_resources,
    load_rules,
)
from alliance.outcomes.definitions import UnknownInstrument, available_for, definition_for
from alliance.outcomes.models import ClinicSafety
from alliance.people.models import Clinic, Role, User

__all__ = [
    "DEFAULT_CRISIS_RESOURCES",
    "DEFAULT_RULES",
    "CrisisLines",
    "CrisisResource",
    "RiskFinding",
    "RuleAnswer",
    "SafetyError",
    "SafetyRule",
    "crisis_lines_for",
    "crisis_lines_of_clinic",
    "crisis_resources_for",
    "default_resources_data",
    "default_rules_data",
    "evaluate",
    "rule_answers",
    "rules_for",
    "safety_set",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleAnswer:
    """An answer a safety rule can read: ``source:field``, in words, and its range."""

    source: str
    field: str
    label: str
    low: int
    high: int

    @property
    def key(self) -> str:
        return f"{self.source}:{self.field}"


def _diary_answers() -> list[RuleAnswer]:
    out = []
    for urge in card_def.URGES:
        out.append(
            RuleAnswer(
                "diary",
                urge.key,
                _("Diary card: urge, %(what)s (0–5)") % {"what": _(urge.short).lower()},
                0,
                card_def.URGE_MAX,
            )
        )
        out.append(
            RuleAnswer(
                "diary",
                urge.acted_key,
                _("Diary card: acted on the urge, %(what)s (no 0, yes 1)")
                % {"what": _(urge.short).lower()},
                0,
                1,
            )
        )
        if urge.count_key:
            out.append(
                RuleAnswer(
                    "diary",
                    urge.count_key,
                    _("Diary card: times acted, %(what)s") % {"what": _(urge.short).lower()},
                    0,
                    card_def.COUNT_MAX,
                )
            )
    out.append(
        RuleAnswer(
            "diary",
            card_def.QUIT.key,
            _("Diary card: urge to quit therapy (0–5)"),
            0,
            card_def.URGE_MAX,
        )
    )
    for emotion in card_def.EMOTIONS:
        out.append(
            RuleAnswer(
                "diary",
                emotion.key,
                _("Diary card: %(what)s (0–5)") % {"what": _(emotion.short).lower()},
                0,
                card_def.EMOTION_MAX,
            )
        )
    return out


def rule_answers(clinic: Clinic) -> list[RuleAnswer]:
    """Every answer a clinic's safety rule can read: each choice item of the questionnaires it
    can use, then the diary card's numbers (``DiaryAnswers.safety_answers``)."""
    out = []
    for available in available_for(clinic.pk):
        try:
            definition = definition_for(clinic.pk, available.instrument_id)
        except UnknownInstrument:
            continue
        for number, item in enumerate(definition.instrument.items, start=1):
            values = [option.value for option in item.options]
            if item.kind != ItemKind.CHOICE or not values:
                continue
            text = item.text if len(item.text) <= 70 else item.text[:69] + "…"
            label = _("%(title)s, item %(number)s: %(text)s") % {
                "title": available.title,
                "number": number,
                "text": text,
            }
            out.append(
                RuleAnswer(available.instrument_id, item.key, label, min(values), max(values))
            )
    return out + _diary_answers()


class SafetyError(ValueError):
    """Settings that do not validate; the message names the field and what is wrong."""


def _stored(clinic: Clinic) -> ClinicSafety | None:
    return ClinicSafety.objects.filter(clinic_id=clinic.pk).order_by("pk").first()


def stored_settings(clinic: Clinic) -> ClinicSafety | None:
    """The clinic's own stored safety settings, None while it uses the defaults."""
    return _stored(clinic)


def rules_for(clinic: Clinic) -> tuple[SafetyRule, ...]:
    """The clinic's safety rules, then each default rule for an answer they don't mention.

    A clinic decides the answers its rules name (a lower threshold, or a higher one, is its
    call); an answer its rules leave out keeps the default rule. So a rule set written for one
    questionnaire never silently switches off the diary card's suicide and self-harm answers.

    Stored rules were validated before they were saved. If they no longer load (edited in the
    database by hand), the defaults are used and the error is logged: a risk answer must never
    go unflagged, nor a client's save fail, because of a broken setting.
    """
    stored = _stored(clinic)
    if stored is None or stored.rules is None:
        return DEFAULT_RULES
    try:
        own = load_rules(stored.rules)
    except ValueError:
        logger.exception("Safety rules of clinic %s do not load; using the defaults", clinic.pk)
        return DEFAULT_RULES
    named = {(rule.source, rule.field) for rule in own}
    return own + tuple(rule for rule in DEFAULT_RULES if (rule.source, rule.field) not in named)


def crisis_lines_for(clinic: Clinic | None) -> CrisisLines:
    """The crisis lines of the clinic's region; the default region's without a clinic.

    A region code the table does not know (edited in the database by hand) gets the default
    region's lines, and the error is logged: a crisis page must always show a number.
    """
    if clinic is None:
        return crisis_lines(DEFAULT_REGION)
    try:
        return crisis_lines(clinic.region)
    except ValueError:
        logger.exception("Region of clinic %s is not known; using %s", clinic.pk, DEFAULT_REGION)
        return crisis_lines(DEFAULT_REGION)


# The region of each clinic, for the footer of every page: read once a minute per process
# rather than once a page. A clinic saved in this process is read again at once; another
# process sees the change within REGION_SECONDS.
REGION_SECONDS = 60.0
_regions: dict[uuid.UUID, tuple[float, str]] = {}


@receiver(post_save, sender=Clinic)
def _forget_region(sender: type[Clinic], instance: Clinic, **kwargs: object) -> None:
    _regions.pop(instance.pk, None)


def crisis_lines_of_clinic(clinic_id: uuid.UUID | None) -> CrisisLines:
    """:func:`crisis_lines_for` by the clinic's id, with its region kept for a minute."""
    if clinic_id is None:
        return crisis_lines_for(None)
    now = time.monotonic()
    known = _regions.get(clinic_id)
    if known is not None and now - known[0] < REGION_SECONDS:
        region = known[1]
    else:
        stored = Clinic.objects.filter(pk=clinic_id).values_list("region", flat=True).first()
        if stored is None:
            return crisis_lines_for(None)
        region = stored
        _regions[clinic_id] = (now, region)
    try:
        return crisis_lines(region)
    except ValueError:
        logger.exception("Region of clinic %s is not known; using %s", clinic_id, DEFAULT_REGION)
        return crisis_lines(DEFAULT_REGION)


def crisis_resources_for(clinic: Clinic | None) -> tuple[CrisisResource, ...]:
    """The crisis resources the clinic's clients see: its own, or its region's lines."""
    region = crisis_lines_for(clinic).resources
    if clinic is None:
        return region
    stored = _stored(clinic)
    if stored is None or stored.crisis_resources is None:
        return region
    try:
        return load_crisis_resources(stored.crisis_resources)
    except ValueError:
        logger.exception("Crisis resources of clinic %s do not load; using the defaults", clinic.pk)
        return region


def default_rules_data() -> list[dict[str, object]]:
    """The default rules as JSON-ready data, a starting point for a clinic's own."""
    return [
        {
            "source": rule.source,
            "field": rule.field,
            "comparison": rule.comparison,
            "threshold": int(rule.threshold)
            if float(rule.threshold).is_integer()
            else rule.threshold,
            "label": rule.label,
        }
        for rule in DEFAULT_RULES
    ]


def default_resources_data(clinic: Clinic | None = None) -> list[dict[str, str]]:
    """The default crisis resources (the lines of the clinic's region) as JSON-ready data."""
    return [
        {"name": r.name, "contact": r.contact, "description": r.description}
        for r in crisis_lines_for(clinic).resources
    ]


def _parse(text: str | None, what: str) -> object:
    if text is None or not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SafetyError(
            _("%(what)s: not valid JSON at line %(line)d, column %(column)d: %(error)s")
            % {"what": what, "line": error.lineno, "column": error.colno, "error": error.msg}
        ) from None


def safety_set(
    *,
    clinic: Clinic,
    actor: User | None,
    rules_json: str | None,
    resources_json: str | None,
    now: datetime | None = None,
) -> ClinicSafety:
    """Validate and save a clinic's rules and crisis resources (JSON text; blank = defaults).

    Raises
    ------
    SafetyError
        With the path of the first defect, e.g. ``rules[1].comparison: expected one of >,
        >=, ==, got '<'``. Nothing is saved then.
    """
    if actor is not None and (actor.role != Role.CLINIC_ADMIN or actor.clinic_id != clinic.pk):
        raise SafetyError(_("Only a clinic admin of this clinic can change its safety settings."))
    rules = _parse(rules_json, "rules")
    resources = _parse(resources_json, "crisis resources")
    try:
        if rules is not None:
            load_rules(rules)
        if resources is not None:
            load_crisis_resources(resources)
    except ValueError as error:
        raise SafetyError(str(error)) from None
    now = now or timezone.now()
    with transaction.atomic():
        safety, _created = ClinicSafety.objects.update_or_create(
            clinic=clinic,
            defaults={
                "rules": rules,
                "crisis_resources": resources,
                "updated_at": now,
                "updated_by": actor,
            },
        )
        audit_record(
            actor=actor,
            entry=Entry(
                action=AuditAction.UPDATE,
                record_type=RecordType.CLINIC_SAFETY,
                record_id=clinic.pk,
                subject_id=None,
                clinic_id=clinic.pk,
            ),
        )
    return safety
