"""Writes for session check-ins."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from alliance import formtoken
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, about_episode, audit_record, audit_record_bulk
from alliance.checkins.models import CheckIn
from alliance.core.checkin import CHECKIN
from alliance.core.instruments import score, validate_answers
from alliance.people.models import EpisodeStatus, Role, Session, SessionStatus, User
from alliance.ruptures.models import ACTIVE_STATES, Alert

ALREADY_ANSWERED = (
    "You've already answered the check-in for this session. Thank you — your answers are saved."
)
CHECKIN_CLOSED = (
    "This check-in is closed now. Check-ins stay open for a few days after each session. "
    "If something is on your mind, you can bring it to your next session."
)


CARE_ENDED = (
    "This check-in closed when your time in care here ended, so nobody would read it now. "
    "If something is on your mind, please contact your clinic."
)


class CheckinError(Exception):
    """The check-in could not be saved; ``errors`` maps item keys to messages for the client."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


@dataclass(frozen=True)
class CheckinResult:
    checkin: CheckIn
    created: bool
    alerts: list[Alert] = field(default_factory=list)


def open_ruptures_before(episode_id: uuid.UUID, number: int) -> QuerySet[Alert]:
    """Client-reported ruptures of the episode before session ``number`` still waiting to close."""
    return Alert.objects.filter(
        episode_id=episode_id,
        client_reported=True,
        category="rupture",
        state__in=ACTIVE_STATES,
        session__number__lt=number,
    ).order_by("session__number")


def open_rupture_alerts(session: Session) -> list[Alert]:
    """Client-reported ruptures from earlier sessions of this episode still waiting to close."""
    return list(open_ruptures_before(session.episode_id, session.number))


def checkin_context(session: Session) -> dict[str, bool]:
    # Whether any exists, not the alerts themselves: the form only asks if there is one. The
    # check-in pages' session lookup (alliance/rawsql.py) has already asked, in its own query.
    known = getattr(session, "has_open_rupture", None)
    if known is None:
        known = open_ruptures_before(session.episode_id, session.number).exists()
    return {"has_open_rupture": bool(known)}


def checkins_mark_read(*, episode_id: uuid.UUID, reader: User, now: datetime) -> int:
    """The therapist has seen these check-ins: the client gets a read receipt on each."""
    if reader.role != Role.THERAPIST:
        return 0
    unread = list(
        CheckIn.objects.filter(
            episode_id=episode_id,
            episode__therapist=reader,
            therapist_read_at__isnull=True,
            submitted_at__lte=now,
        ).values_list("id", "client_id", "episode__clinic_id")
    )
    if not unread:
        return 0
    with transaction.atomic():
        marked = CheckIn.objects.filter(
            id__in=[row[0] for row in unread], therapist_read_at__isnull=True
        ).update(therapist_read_at=now)
        audit_record_bulk(
            actor=reader,
            entries=[
                Entry(
                    AuditAction.UPDATE, RecordType.CHECKIN, checkin_id, client_id, clinic_id, "read"
                )
                for checkin_id, client_id, clinic_id in unread
            ],
        )
    return marked


def checkin_submit(
    *,
    session: Session,
    client: User,
    answers: Mapping[str, object],
    form_token: str | uuid.UUID,
    now: datetime | None = None,
) -> CheckinResult:
    """Save the client's check-in for an attended session and run the rupture signals.

    Idempotent: a replay of the same form (same ``form_token``) returns the check-in already
    saved. A second, different submission for the same session is refused.
    """
    from alliance.ruptures.services import signals_on_checkin

    now = now or timezone.now()
    token = formtoken.parse(form_token)
    if token is None:
        raise CheckinError(formtoken.MISSING)
    if client.role != Role.CLIENT or session.episode.client_id != client.id:
        raise CheckinError("This check-in belongs to someone else.")

    # "Is this a replay?" and "is this session already answered?" in one query.
    earlier = list(CheckIn.objects.filter(Q(form_token=token) | Q(session_id=session.id))[:2])
    replay = next((c for c in earlier if c.form_token == token), None)
    if replay is not None:
        if replay.session_id != session.id:
            raise CheckinError("This form was already used for another session.")
        return CheckinResult(checkin=replay, created=False)
    if earlier:
        raise CheckinError(ALREADY_ANSWERED)
    if session.episode.status != EpisodeStatus.ACTIVE:
        raise CheckinError(CARE_ENDED)
    if session.status != SessionStatus.ATTENDED or not session.checkin_is_open(now):
        raise CheckinError(CHECKIN_CLOSED)

    context = checkin_context(session)
    cleaned, errors = validate_answers(CHECKIN, answers, context=context)
    if errors:
        raise CheckinError("Some answers need another look.", errors)
    result = score(CHECKIN, cleaned)
    if result.composite is None:  # cannot happen after validation; refuse rather than guess
        raise CheckinError("Please answer the first three questions.")

    numbers = {k: v for k, v in cleaned.items() if isinstance(v, int)}
    try:
        with transaction.atomic():
            checkin = CheckIn.objects.create(
                session=session,
                episode=session.episode,  # already loaded with its clinic: no extra queries
                client=client,
                bond=numbers["bond"],
                tasks=numbers["tasks"],
                goals=numbers["goals"],
                tension=numbers["tension"],
                talked=numbers.get("talked"),
                resolved=numbers.get("resolved"),
                followup_resolved=numbers.get("followup_resolved"),
                comment=str(cleaned.get("comment") or ""),
                alliance=result.composite,
                submitted_at=now,
                form_token=token,
            )
            audit_record(
                actor=client,
                entry=about_episode(
                    session.episode, AuditAction.CREATE, RecordType.CHECKIN, checkin.id
                ),
            )
            alerts = signals_on_checkin(checkin=checkin, now=now)
    except IntegrityError:
        # A concurrent submission won the race: report what is stored, lose nothing.
        existing = CheckIn.objects.filter(form_token=token).first()
        if existing is not None:
            return CheckinResult(checkin=existing, created=False)
        raise CheckinError(ALREADY_ANSWERED) from None
    return CheckinResult(checkin=checkin, created=True, alerts=alerts)
