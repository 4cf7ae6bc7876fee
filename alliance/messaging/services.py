"""Writes of the outbox: queue a message, claim and deliver due ones, resend a failed one.

Delivery is at-least-once with a guard against doubles: a worker claims rows in a short
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's IMMEDIATE transactions
serialise claimers), marks them ``sending`` with a lease, sends outside the transaction, then
records the outcome only if it still holds the claim. Two workers never hold the same row. A
worker killed mid-send leaves the row ``sending``; when the lease runs out another worker sends
it again with the same Message-ID (email) or idempotency key (SMS), so the receiving side can
tell it is the same message. See docs/messaging.md.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.audit.models import AuditAction
from alliance.audit.recorder import about_person, audit_record
from alliance.messaging.channels import DeliveryError, deliver
from alliance.messaging.models import (
    FINAL_STATES,
    Channel,
    MessageKind,
    MessageState,
    OutboxMessage,
)
from alliance.people.models import Clinic, Role, User

log = logging.getLogger("alliance.messaging")

# Minutes to wait before the next attempt after attempt n failed (the last value repeats).
BACKOFF_MINUTES = (1, 5, 30, 120, 360)

# "Notify only if not completed": a kind may register a check that returns why a message is no
# longer wanted (the check-in was sent, the questionnaire answered), or None to send it.
SkipCheck = Callable[[OutboxMessage, datetime], "str | None"]
SKIP_CHECKS: dict[str, SkipCheck] = {}


def register_skip_check(kind: str, check: SkipCheck) -> None:
    SKIP_CHECKS[kind] = check


# Reminders are written by scans in bulk without a body; the body is written when the message
# goes (so a scan of 10,000 clients encrypts and signs nothing, and a reminder always carries a
# fresh pause link). Mail from Django (password resets) arrives with its body and keeps it.
Renderer = Callable[[OutboxMessage], str]
RENDERERS: dict[str, Renderer] = {}


def register_renderer(kind: str, renderer: Renderer) -> None:
    RENDERERS[kind] = renderer


def body_of(message: OutboxMessage) -> str:
    if message.body:
        return str(message.body)
    renderer = RENDERERS.get(message.kind)
    if renderer is None:
        raise DeliveryError(f"No body and no renderer for {message.kind}.", permanent=True)
    return renderer(message)


class MessagingError(Exception):
    pass


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{uuid.uuid4().hex[:8]}"


def message_queue(
    *,
    kind: str,
    key: str,
    subject: str,
    body: str,
    recipient: User | None = None,
    to_address: str = "",
    channel: str = Channel.EMAIL,
    due_at: datetime | None = None,
    about_type: str = "",
    about_id: uuid.UUID | None = None,
    clinic: Clinic | None = None,
    now: datetime | None = None,
) -> tuple[OutboxMessage, bool]:
    """Queue one message; returns (message, created). The same ``key`` twice queues it once.

    The message belongs to the recipient's clinic, or to ``clinic`` when it goes to someone with
    no account (an answer to a reach-out request): the clinic admin sees it if it does not go
    out.
    """
    if kind not in MessageKind.values:
        raise MessagingError(f"Unknown message kind {kind!r}.")
    if channel not in Channel.values:
        raise MessagingError(f"Unknown channel {channel!r}.")
    address = to_address or (recipient.email if recipient is not None else "")
    if not address:
        raise MessagingError(_("A message needs a recipient or an address."))
    if "\x00" in subject or "\n" in subject or "\r" in subject:
        raise MessagingError(_("A subject is one line of text."))
    now = now or timezone.now()
    due = due_at or now
    from alliance.messaging.tasks import deliver_message

    with transaction.atomic():
        existing = OutboxMessage.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                message = OutboxMessage.objects.create(
                    idempotency_key=key,
                    clinic_id=recipient.clinic_id
                    if recipient is not None
                    else (clinic.pk if clinic is not None else None),
                    recipient=recipient,
                    channel=channel,
                    kind=kind,
                    to_address=address,
                    subject=subject[:200],
                    body=body,
                    about_type=about_type,
                    about_id=about_id,
                    due_at=due,
                    next_attempt_at=due,
                    created_at=now,
                )
        except IntegrityError:
            # Another process queued the same key between our look and our insert.
            return OutboxMessage.objects.get(idempotency_key=key), False
        # The task row commits with the message, or neither does; the sweep (deliver_due)
        # catches anything whose task was lost.
        deliver_message.using(run_after=due if due > now else None).enqueue(str(message.id))
    return message, True


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    ids: list[uuid.UUID] = field(default_factory=list)


def _claimable(now: datetime) -> Q:
    due = Q(state=MessageState.QUEUED, next_attempt_at__lte=now)
    abandoned = Q(state=MessageState.SENDING, claimed_until__lt=now)
    return due | abandoned


def _claim(*, now: datetime, worker_id: str, limit: int, only: uuid.UUID | None) -> list[uuid.UUID]:
    lease = timedelta(seconds=settings.ALLIANCE_OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        rows = OutboxMessage.objects.filter(_claimable(now))
        if only is not None:
            rows = rows.filter(pk=only)
        ids = list(
            rows.order_by("next_attempt_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(
                state=MessageState.SENDING,
                claimed_by=worker_id,
                claimed_until=now + lease,
                attempts=F("attempts") + 1,
            )
    return ids


def _finish(message: OutboxMessage, worker_id: str, **changes: object) -> bool:
    """Record an outcome only if this worker still holds the claim."""
    updated = OutboxMessage.objects.filter(
        pk=message.pk, state=MessageState.SENDING, claimed_by=worker_id
    ).update(claimed_until=None, **changes)
    return updated == 1


def _skip_reason(message: OutboxMessage, now: datetime) -> str | None:
    if message.recipient is not None and not message.recipient.is_active:
        return "The account is deactivated."
    check = SKIP_CHECKS.get(message.kind)
    return check(message, now) if check is not None else None


def _deliver_one(
    message: OutboxMessage, worker_id: str, now: datetime, report: DeliveryReport
) -> None:
    reason = _skip_reason(message, now)
    if reason:
        if _finish(message, worker_id, state=MessageState.SKIPPED, skip_reason=reason[:200]):
            report.skipped += 1
        return
    try:
        # A body written as it goes (a reminder) is in the recipient's own language.
        recipient = message.recipient
        language = recipient.mail_language if recipient is not None else translation.get_language()
        with translation.override(language):
            deliver(message)
    except DeliveryError as error:
        last = error.permanent or message.attempts >= message.max_attempts
        if last:
            if _finish(message, worker_id, state=MessageState.FAILED, last_error=str(error)[:500]):
                report.failed += 1
                log.warning("message %s did not go out: %s", message.pk, error)
            return
        wait = BACKOFF_MINUTES[min(message.attempts, len(BACKOFF_MINUTES)) - 1]
        if _finish(
            message,
            worker_id,
            state=MessageState.QUEUED,
            last_error=str(error)[:500],
            next_attempt_at=now + timedelta(minutes=wait),
        ):
            report.retried += 1
        return
    if _finish(message, worker_id, state=MessageState.SENT, sent_at=timezone.now(), last_error=""):
        report.sent += 1
        report.ids.append(message.pk)


def messages_deliver_due(
    *,
    now: datetime | None = None,
    worker_id: str | None = None,
    limit: int = 200,
    only: uuid.UUID | None = None,
) -> DeliveryReport:
    """Claim and deliver up to ``limit`` due messages (or the one ``only``)."""
    now = now or timezone.now()
    worker_id = worker_id or default_worker_id()
    report = DeliveryReport()
    ids = _claim(now=now, worker_id=worker_id, limit=limit, only=only)
    for message in OutboxMessage.objects.filter(pk__in=ids).select_related("recipient"):
        _deliver_one(message, worker_id, now, report)
    return report


def message_resend(*, admin: User, message: OutboxMessage, now: datetime | None = None) -> None:
    """A clinic admin puts a message that did not go out back in the queue, once more."""
    if admin.role != Role.CLINIC_ADMIN or message.clinic_id != admin.clinic_id:
        raise MessagingError(_("Only a clinic admin of the same clinic can resend this message."))
    now = now or timezone.now()
    from alliance.messaging.tasks import deliver_message

    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message.pk, state=MessageState.FAILED).update(
            state=MessageState.QUEUED,
            next_attempt_at=now,
            max_attempts=F("attempts") + 1,
        )
        if updated != 1:
            raise MessagingError(_("This message is no longer waiting to be resent."))
        if message.recipient is not None:
            audit_record(
                actor=admin,
                entry=about_person(message.recipient, AuditAction.UPDATE, "message_resent"),
            )
        deliver_message.enqueue(str(message.pk))


def message_cancel(*, message: OutboxMessage, reason: str) -> bool:
    """Cancel a message that has not gone out (the item it was about was closed)."""
    updated = (
        OutboxMessage.objects.filter(pk=message.pk)
        .exclude(state__in=[*FINAL_STATES, MessageState.SENDING])
        .update(state=MessageState.CANCELLED, skip_reason=reason[:200])
    )
    return updated == 1


def preferences_save(*, user: User, form_data: dict[str, object], pause_days: object = 0) -> None:
    """Save what the person chose; a pause of N days starts now (0 lifts a pause)."""
    from alliance.messaging.models import MessagePreferences, preferences_for

    now = timezone.now()
    with transaction.atomic():
        prefs = preferences_for(user)
        for name, value in form_data.items():
            if name != "pause_days" and hasattr(MessagePreferences, name):
                setattr(prefs, name, value)
        days = pause_days if isinstance(pause_days, int) else 0
        if "pause_days" in form_data:
            prefs.paused_until = now + timedelta(days=days) if days else None
        prefs.updated_at = now
        prefs.save()
        audit_record(actor=user, entry=about_person(user, AuditAction.UPDATE, "message_settings"))


def reminders_pause(*, user: User, days: int, now: datetime | None = None) -> datetime:
    """The pause link: reminders stop for ``days`` days. It does nothing else."""
    from alliance.messaging.models import preferences_for

    now = now or timezone.now()
    until = now + timedelta(days=days)
    with transaction.atomic():
        prefs = preferences_for(user)
        prefs.paused_until = max(until, prefs.paused_until or until)
        prefs.updated_at = now
        prefs.save()
        audit_record(actor=user, entry=about_person(user, AuditAction.UPDATE, "reminders_paused"))
    return prefs.paused_until
