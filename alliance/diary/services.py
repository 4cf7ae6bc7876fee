"""Writes for the diary card: drafts, sending the card (with the safety rules), targets."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from alliance import formtoken
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import about_episode, audit_record
from alliance.core import diary as card_def
from alliance.core.safety import RiskFinding, evaluate
from alliance.diary.models import (
    DiaryCard,
    DiaryStatus,
    DiaryTarget,
    DiaryTargetEntry,
)
from alliance.diary.selectors import episode_targets
from alliance.outcomes.safety import rules_for
from alliance.people.models import CareEpisode, EpisodeStatus, Role, User
from alliance.ruptures.models import Alert, AlertCategory
from alliance.ruptures.services import alert_raise
from alliance.validators import NUL_MESSAGE, has_nul, nul_errors
from alliance.wording import in_language

MAX_ACTIVE_TARGETS = 8
"""Enough for a real treatment plan, few enough for a card on a phone."""
_DRAFT_VALUE_MAX = card_def.NOTE_MAX + 100


class DiaryError(Exception):
    """The card could not be saved; ``errors`` maps fields to messages for the client."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class SubmitResult:
    card: DiaryCard
    created: bool
    findings: list[RiskFinding] = field(default_factory=list)
    alert: Alert | None = None


def _token(form_token: str | uuid.UUID) -> uuid.UUID:
    token = formtoken.parse(form_token)
    if token is None:
        raise DiaryError(
            gettext(
                "This form is missing its safety code. Please reload the page; your answers are "
                "kept as a draft."
            )
        )
    return token


def day_problem_text(day: date, today: date) -> str:
    """Why the card for ``day`` cannot be filled in today, in the reader's language ("" if it
    can). The rule is the core's (``day_problem``); the words and the date are translated here.
    """
    if card_def.day_problem(day, today) is None:
        return ""
    named = date_format(day, "l j F")
    if day > today:
        return gettext(
            "%(day)s hasn't come yet. You can fill in today's card, or one of the %(n)d days "
            "before it."
        ) % {"day": named, "n": card_def.BACKFILL_DAYS}
    return gettext(
        "The card can be filled in for today and the %(n)d days before it, so %(day)s is too "
        "far back now. If something from that day matters to you, you could write about it in "
        "today's note, or bring it to your next session."
    ) % {"day": named, "n": card_def.BACKFILL_DAYS}


def _check_day(client: User, day: date, now: datetime) -> None:
    problem = day_problem_text(day, card_def.local_day(now, client.zone))
    if problem:
        raise DiaryError(problem)


def _card_for_update(
    *, client: User, episode: CareEpisode, day: date, now: datetime
) -> tuple[DiaryCard, bool]:
    """The day's card, locked, made now if there is none. Call inside a transaction."""
    card = (
        DiaryCard.objects.select_for_update()
        .filter(client_id=client.id, day=day)
        .order_by("pk")
        .first()
    )
    if card is not None:
        return card, False
    try:
        with transaction.atomic():
            card = DiaryCard.objects.create(
                episode=episode, client=client, day=day, created_at=now, updated_at=now
            )
    except IntegrityError:
        # Another request made it between our look and our insert: use theirs.
        return DiaryCard.objects.select_for_update().get(client=client, day=day), False
    return card, True


def target_ids(episode: CareEpisode) -> list[str]:
    """Every target of the episode, stopped ones too, so a form from before a change saves."""
    return [str(target.pk) for target in episode_targets(episode)]


def _draft_payload(answers: Mapping[str, object], allowed: set[str]) -> dict[str, object]:
    """The posted answers worth keeping: the card's own fields, each of a sane size."""
    payload: dict[str, object] = {}
    for key, value in answers.items():
        if key not in allowed:
            continue
        if isinstance(value, list | tuple):
            if value:
                payload[key] = [str(v)[:100] for v in value][: len(card_def.SKILLS)]
        elif value is not None and str(value) != "":
            payload[key] = str(value)[:_DRAFT_VALUE_MAX]
    return payload


def _refuse_nul(answers: Mapping[str, object]) -> None:
    """A NUL character cannot be stored (PostgreSQL), not even in a draft: refused, with the
    answers left as they are on the page (and, for an autosave, on the device)."""
    errors = nul_errors(answers)
    if errors:
        raise DiaryError(str(NUL_MESSAGE), errors)


def draft_fields(target_ids: list[str]) -> set[str]:
    keys = {"medication", "skills_code", "skills", "note", card_def.QUIT.key}
    for urge in card_def.URGES:
        keys |= {urge.key, urge.acted_key} | ({urge.count_key} if urge.count_key else set())
    keys |= {e.key for e in card_def.EMOTIONS}
    keys |= {
        card_def.target_field(t, part) for t in target_ids for part in ("urge", "acted", "count")
    }
    return keys


def diary_draft_save(
    *,
    client: User,
    episode: CareEpisode,
    day: date,
    answers: Mapping[str, object],
    form_token: str | uuid.UUID | None = None,
    now: datetime | None = None,
) -> DiaryCard:
    """Keep the client's answers as they are, to finish later. Never checked by the safety rules.

    Saved as posted (only the card's own fields, each of a sane size), so the form comes back
    exactly as it was, mistakes included; they are pointed out when the card is sent. An
    autosave that arrives after the same form was sent (``form_token`` already used) is late
    and is dropped.
    """
    now = now or timezone.now()
    _check_day(client, day, now)
    _refuse_nul(answers)
    token = None if form_token is None else _token(form_token)
    ids = target_ids(episode)
    payload = _draft_payload(answers, draft_fields(ids))
    with transaction.atomic():
        card, created = _card_for_update(client=client, episode=episode, day=day, now=now)
        if token is not None and card.form_token == token:
            return card
        answers_now, _ = card_def.validate(payload, target_ids=ids)
        if card.is_submitted and answers_now == card.answers(list(card.target_entries.all())):
            # Back to what was sent: nothing is waiting to be sent any more.
            card.draft, card.draft_saved_at = "", None
        else:
            card.draft = json.dumps(payload, ensure_ascii=False, sort_keys=True)
            card.draft_saved_at = now
        card.updated_at = now
        card.save(update_fields=["draft", "draft_saved_at", "updated_at"])
        if created:
            audit_record(
                actor=client,
                entry=about_episode(
                    episode, AuditAction.CREATE, RecordType.DIARY_CARD, card.id, "draft"
                ),
            )
    return card


def _alert_summary(day: date, answers: card_def.DiaryAnswers, findings: list[RiskFinding]) -> str:
    parts = [f.summary.removeprefix("Diary card: ") for f in findings]
    if answers.acted_suicide:
        parts.append("acted on the urge to end their life")
    return f"Diary card for {day:%a} {day.day} {day:%b}: " + "; ".join(parts) + "."


def diary_card_submit(
    *,
    client: User,
    episode: CareEpisode,
    day: date,
    answers: Mapping[str, object],
    form_token: str | uuid.UUID,
    now: datetime | None = None,
) -> SubmitResult:
    """Send the day's card to the therapist ("Done for today"), or send an edit of it.

    One card per client per day: a second send updates the same card. A replayed post (the same
    ``form_token``) changes nothing. The card is saved before anything else; then the clinic's
    safety rules (``alliance.outcomes.safety.rules_for``) read it, and any risk answer raises a
    high-priority risk alert, one per card however often it is edited
    (``alert_raise`` is idempotent on ``diary:<card id>``).
    """
    now = now or timezone.now()
    token = _token(form_token)
    if client.role != Role.CLIENT or episode.client_id != client.id:
        raise DiaryError(gettext("This card belongs to someone else."))
    _check_day(client, day, now)
    ids = target_ids(episode)
    cleaned, errors = card_def.validate(answers, target_ids=ids, submit=True)
    errors.update(nul_errors(answers))
    if errors:
        raise DiaryError(
            gettext("Some answers need another look. Everything you wrote is still here."), errors
        )

    rules = rules_for(episode.clinic)
    with transaction.atomic():
        card, created = _card_for_update(client=client, episode=episode, day=day, now=now)
        if card.form_token == token and card.is_submitted:
            findings = evaluate("diary", card.answers().safety_answers(), rules)
            return SubmitResult(card=card, created=False, findings=findings)
        # The cards that carry this form token (at most one: the column is unique).
        if DiaryCard.objects.filter(form_token=token).exclude(pk=card.pk).exists():
            raise DiaryError(
                gettext("This form was already used for another day. Please reload the page.")
            )
        first_send = not card.is_submitted
        for name, value in cleaned.columns().items():
            setattr(card, name, value)
        card.skills = list(cleaned.skills)
        card.note = cleaned.note
        card.status = DiaryStatus.SUBMITTED
        card.submitted_at = card.submitted_at or now
        card.updated_at = now
        card.form_token = token
        card.draft, card.draft_saved_at = "", None
        card.save()
        _save_target_entries(card, cleaned.targets)
        audit_record(
            actor=client,
            entry=about_episode(
                card.episode,
                AuditAction.CREATE if created else AuditAction.UPDATE,
                RecordType.DIARY_CARD,
                card.id,
                "submitted" if first_send else "edited",
            ),
        )
        findings = evaluate("diary", cleaned.safety_answers(), rules)
        alert = None
        if findings:
            alert, _ = alert_raise(
                episode=card.episode,
                category=AlertCategory.RISK,
                severity=3,
                summary=_alert_summary(day, cleaned, findings),
                source_key=f"diary:{card.id}",
                signals=[
                    {
                        "kind": AlertCategory.RISK,
                        "severity": 3,
                        "summary": f.summary,
                        # The label: the alert's words in any language (ruptures.wording).
                        "detail": {
                            "field": f.rule.field,
                            "value": f.value,
                            "day": str(day),
                            "label": f.rule.label,
                            # A "yes" to acting on the suicide urge counts as a self-harm action
                            # (DiaryAnswers.safety_answers); the alert says which it was.
                            **(
                                {"acted_suicide": True}
                                if f.rule.field == "action_self_harm" and cleaned.acted_suicide
                                else {}
                            ),
                        },
                    }
                    for f in findings
                ],
                now=now,
            )
    return SubmitResult(card=card, created=created, findings=findings, alert=alert)


def _save_target_entries(card: DiaryCard, targets: Mapping[str, card_def.TargetAnswer]) -> None:
    """Make the card's target rows match ``targets`` (an answer cleared is a row removed)."""
    existing = {str(e.target_id): e for e in DiaryTargetEntry.objects.filter(card_id=card.pk)}
    for target_id, entry in existing.items():
        if target_id not in targets:
            entry.delete()
    for target_id, answer in targets.items():
        entry = existing.get(target_id) or DiaryTargetEntry(card=card, target_id=target_id)
        entry.urge, entry.acted, entry.count = answer.urge, answer.acted, answer.count
        entry.save()


# --- targets ---------------------------------------------------------------------------------


def _require_therapist(therapist: User, episode: CareEpisode) -> None:
    if therapist.role != Role.THERAPIST or episode.therapist_id != therapist.id:
        raise DiaryError(gettext("Only the client's therapist sets their diary card targets."))
    if episode.status != EpisodeStatus.ACTIVE:
        raise DiaryError(
            gettext("This course of therapy has ended, so the card's targets stay as they were.")
        )


def diary_target_add(
    *, therapist: User, episode: CareEpisode, name: object, now: datetime | None = None
) -> tuple[DiaryTarget, bool]:
    """Add a target to the client's card; a stopped target of the same name is started again.

    Returns the target and whether it is new.
    """
    _require_therapist(therapist, episode)
    if has_nul(name):
        raise DiaryError(str(NUL_MESSAGE), {"name": str(NUL_MESSAGE)})
    try:
        clean = card_def.clean_target_name(name)
    except ValueError as error:
        said = in_language(error.args[0]) if error.args else str(error)
        raise DiaryError(said, {"name": said}) from None
    now = now or timezone.now()
    with transaction.atomic():
        # One writer at a time per episode, so two quick adds cannot both pass the checks.
        CareEpisode.objects.select_for_update().filter(pk=episode.pk).first()
        targets = list(DiaryTarget.objects.filter(episode=episode))
        # Names are encrypted, so they are compared here rather than by the database.
        same = next((t for t in targets if t.name.casefold() == clean.casefold()), None)
        if same is not None and same.active:
            message = gettext("“%(name)s” is already on the card.") % {"name": same.name}
            raise DiaryError(message, {"name": message})
        if sum(t.active for t in targets) >= MAX_ACTIVE_TARGETS:
            message = gettext(
                "Up to %(n)d targets can be on the card at once. Stop tracking one first."
            ) % {"n": MAX_ACTIVE_TARGETS}
            raise DiaryError(message, {"name": message})
        if same is not None:
            same.active = True
            same.save(update_fields=["active"])
            audit_record(
                actor=therapist,
                entry=about_episode(
                    episode, AuditAction.UPDATE, RecordType.DIARY_TARGET, same.id, "started"
                ),
            )
            return same, False
        target = DiaryTarget.objects.create(
            episode=episode, name=clean, created_at=now, created_by=therapist
        )
        audit_record(
            actor=therapist,
            entry=about_episode(episode, AuditAction.CREATE, RecordType.DIARY_TARGET, target.id),
        )
    return target, True


def diary_target_set_active(*, therapist: User, target: DiaryTarget, active: bool) -> DiaryTarget:
    """Start or stop tracking a target. Answers already given for it are kept either way."""
    _require_therapist(therapist, target.episode)
    if target.active == active:
        return target
    with transaction.atomic():
        # The same lock as diary_target_add: two changes at once can't pass the limit together.
        CareEpisode.objects.select_for_update().filter(pk=target.episode_id).first()
        if active:
            count = DiaryTarget.objects.filter(episode_id=target.episode_id, active=True).count()
            if count >= MAX_ACTIVE_TARGETS:
                raise DiaryError(
                    gettext(
                        "Up to %(n)d targets can be on the card at once. Stop tracking one first."
                    )
                    % {"n": MAX_ACTIVE_TARGETS}
                )
        target.active = active
        target.save(update_fields=["active"])
        audit_record(
            actor=therapist,
            entry=about_episode(
                target.episode,
                AuditAction.UPDATE,
                RecordType.DIARY_TARGET,
                target.id,
                "started" if active else "stopped",
            ),
        )
    return target
