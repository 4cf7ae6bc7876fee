"""Writes for session check-ins."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from alliance import formtoken, rawsql
from alliance.audit.models import AuditAction, RecordType
from alliance.audit.recorder import Entry, about_episode, audit_record, audit_record_bulk
from alliance.checkins.models import CheckIn
from alliance.core.checkin import CHECKIN
from alliance.core.instruments import score, validate_answers
from alliance.people.models import EpisodeStatus, Role, Session, SessionStatus, User
from alliance.ruptures.models import ACTIVE_STATES, Alert, AlertCategory
from alliance.wording import in_language

ALREADY_ANSWERED = gettext_lazy(
    "You've already answered the check-in for this session. Thank you — your answers are saved."
)
CHECKIN_CLOSED = gettext_lazy(
    "This check-in is closed now. Check-ins stay open for a few days after each session. "
    "If something is on your mind, you can bring it to your next session."
)


FOLLOWUP_CHANGED = gettext_lazy(
    "The moment this question asks about has changed since the page was opened. "
    "Please read it again and choose the answer that fits."
)

CARE_ENDED = gettext_lazy(
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
        category=AlertCategory.RUPTURE,
        state__in=ACTIVE_STATES,
        session__number__lt=number,
    ).order_by("session__number")


def open_rupture_alerts(session: Session) -> list[Alert]:
    """Client-reported ruptures from earlier sessions of this episode still waiting to close."""
    return list(open_ruptures_before(session.episode_id, session.number))


def followup_alert_for(session: Session) -> Alert | None:
    """The one earlier client-reported rupture this check-in asks about, or None.

    One moment at a time, so that an answer never closes a rupture the client was not asked
    about: the oldest open one the client has not answered about yet, and once every open one
    has had an answer ("not yet" or "partly"), the one answered longest ago. Its session and
    check-in come with it, for the question to name the date and the client's own words.

    A session from the check-in pages' lookup (alliance/rawsql.py) already knows whether there
    is any such rupture (``has_open_rupture``): when there is none, nothing more is asked.
    """
    if getattr(session, "has_open_rupture", None) is False:
        return None
    # In SQL (alliance/rawsql.py, tested against its ORM twin): each check-in page asks it.
    return rawsql.followup_alert(session.episode_id, session.number)


def checkin_context(session: Session) -> dict[str, bool]:
    # Whether any exists, not the alerts themselves: the form only asks if there is one. The
    # check-in pages' session lookup (alliance/rawsql.py) has already asked, in its own query.
    known = getattr(session, "has_open_rupture", None)
    if known is None:
        known = open_ruptures_before(session.episode_id, session.number).exists()
    return {"has_open_rupture": bool(known)}


def checkins_mark_read(
    *,
    episode_id: uuid.UUID,
    reader: User,
    now: datetime,
    checkin_ids: Iterable[uuid.UUID] | None = None,
) -> int:
    """The therapist opened a page showing these check-ins: the client gets a read receipt.

    The one rule for "read" (docs/checkin.md): the client's therapist opened a page that shows
    the check-in's answers, the client page or the check-in's alert. ``checkin_ids`` are the
    check-ins the page shows (all of the episode's when None). Each receipt is saved with one
    audit row: the therapist opened that check-in (``view``, detail ``read``: this opening set
    the receipt), at the receipt's exact time, so the client's "Who has seen my records" page
    agrees with the receipts.
    """
    if reader.role != Role.THERAPIST:
        return 0
    unread_rows = CheckIn.objects.filter(
        episode_id=episode_id,
        episode__therapist=reader,
        therapist_read_at__isnull=True,
        submitted_at__lte=now,
    )
    if checkin_ids is not None:
        wanted = [c for c in checkin_ids if c is not None]
        if not wanted:
            return 0
        unread_rows = unread_rows.filter(id__in=wanted)
    with transaction.atomic():
        # Locked, so two pages opened at once write one receipt and one set of audit rows.
        unread = list(
            unread_rows.select_for_update(of=("self",)).values_list(
                "id", "client_id", "episode__clinic_id"
            )
        )
        if not unread:
            return 0
        marked = CheckIn.objects.filter(
            id__in=[row[0] for row in unread], therapist_read_at__isnull=True
        ).update(therapist_read_at=now)
        audit_record_bulk(
            actor=reader,
            entries=[
                Entry(
                    AuditAction.VIEW, RecordType.CHECKIN, checkin_id, client_id, clinic_id, "read"
                )
                for checkin_id, client_id, clinic_id in unread
            ],
            at=now,
        )
    return marked


class _AlreadyStored(Exception):
    """The check-in insert hit a unique constraint: a concurrent or earlier submission won."""


def checkin_submit(
    *,
    session: Session,
    client: User,
    answers: Mapping[str, object],
    form_token: str | uuid.UUID,
    followup_alert: str | uuid.UUID | None = None,
    now: datetime | None = None,
) -> CheckinResult:
    """Save the client's check-in for an attended session and run the rupture signals.

    Idempotent: a replay of the same form (same ``form_token``) returns the check-in already
    saved. A second, different submission for the same session is refused.

    ``followup_alert`` is the id of the earlier rupture the follow-up question named (a hidden
    field of the form): the answer applies to that moment only. A form that names none (``""``)
    or one no longer open is refused with the question shown again, so an answer is never
    applied to a moment the client was not asked about. ``None`` (a caller without a form)
    means the moment the question names now (``followup_alert_for``).

    The session is locked and its status checked inside the transaction that stores the
    check-in, so a check-in and "missed" or "cancelled" marked at the same moment serialize:
    whichever comes second sees the first (``session_set_status`` locks the same row).
    """
    from alliance.ruptures.dropout import dropout_check_quietly
    from alliance.ruptures.services import signals_on_checkin

    now = now or timezone.now()
    token = formtoken.parse(form_token)
    if token is None:
        raise CheckinError(formtoken.MISSING)
    if client.role != Role.CLIENT or session.episode.client_id != client.id:
        raise CheckinError(gettext("This check-in belongs to someone else."))

    # "Is this a replay?" and "is this session already answered?" in one query.
    earlier = list(CheckIn.objects.filter(Q(form_token=token) | Q(session_id=session.id))[:2])
    replay = next((c for c in earlier if c.form_token == token), None)
    if replay is not None:
        if replay.session_id != session.id:
            raise CheckinError(gettext("This form was already used for another session."))
        return CheckinResult(checkin=replay, created=False)
    if earlier:
        raise CheckinError(str(ALREADY_ANSWERED))
    if session.episode.status != EpisodeStatus.ACTIVE:
        raise CheckinError(str(CARE_ENDED))
    if session.status != SessionStatus.ATTENDED or not session.checkin_is_open(now):
        raise CheckinError(str(CHECKIN_CLOSED))

    target = followup_alert_for(session)
    context = {"has_open_rupture": target is not None}
    cleaned, errors = validate_answers(CHECKIN, answers, context=context)
    asked = _asked_about(session, target, followup_alert)
    if target is not None and asked is None:
        errors.setdefault("followup_resolved", str(FOLLOWUP_CHANGED))
    if errors:
        shown = {key: in_language(message) for key, message in errors.items()}
        raise CheckinError(gettext("Some answers need another look."), shown)
    result = score(CHECKIN, cleaned)
    if result.composite is None:  # cannot happen after validation; refuse rather than guess
        raise CheckinError(gettext("Please answer the first three questions."))

    numbers = {k: v for k, v in cleaned.items() if isinstance(v, int)}
    try:
        with transaction.atomic():
            locked = Session.objects.select_for_update().get(pk=session.pk)
            if locked.status != SessionStatus.ATTENDED or not locked.checkin_is_open(now):
                raise CheckinError(str(CHECKIN_CLOSED))
            try:
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
            except IntegrityError as error:
                # Only the insert: an error while raising alerts is not "already answered".
                raise _AlreadyStored from error
            audit_record(
                actor=client,
                entry=about_episode(
                    session.episode, AuditAction.CREATE, RecordType.CHECKIN, checkin.id
                ),
            )
            alerts = _signals(signals_on_checkin, checkin, now, asked)
    except _AlreadyStored:
        # A concurrent submission won the race: report what is stored, lose nothing.
        existing = CheckIn.objects.filter(form_token=token).first()
        if existing is not None:
            return CheckinResult(checkin=existing, created=False)
        raise CheckinError(str(ALREADY_ANSWERED)) from None
    # After the check-in is stored: whatever the dropout-risk rule does, the answers are kept.
    dropout_check_quietly(episode=session.episode, now=now)
    return CheckinResult(checkin=checkin, created=True, alerts=alerts)


def _signals(run: Any, checkin: CheckIn, now: datetime, asked: Alert | None) -> list[Alert]:
    """Run the signals in a savepoint; once more if a concurrent write opened the same alert.

    The nightly recompute may insert the alert for this session at the same moment (a unique
    constraint): the second run finds it and joins it. A second failure is a real error and
    propagates, rolling the check-in back, so the client is never told it was saved.
    """
    followup_alert_id = asked.id if asked is not None else None
    try:
        with transaction.atomic():
            alerts: list[Alert] = run(checkin=checkin, now=now, followup_alert_id=followup_alert_id)
    except IntegrityError:
        with transaction.atomic():
            alerts = run(checkin=checkin, now=now, followup_alert_id=followup_alert_id)
    return alerts


def _asked_about(
    session: Session, target: Alert | None, posted: str | uuid.UUID | None
) -> Alert | None:
    """The open rupture the form's follow-up question named, or None if it names none open.

    Usually ``target`` (the one the page asks about now); another open one of the same episode
    is accepted too (a page loaded before an answer elsewhere moved the order on).
    """
    if target is None:
        return None
    if posted is None:  # a caller that showed no form (a script, the demo): the one asked now
        return target
    try:
        wanted = posted if isinstance(posted, uuid.UUID) else uuid.UUID(str(posted))
    except ValueError:
        return None
    if wanted == target.id:
        return target
    return open_ruptures_before(session.episode_id, session.number).filter(id=wanted).first()
