"""The demo clinic's outbox: one message sent, one queued for later, one that did not go out."""

from __future__ import annotations

from datetime import datetime, timedelta

from alliance.messaging.models import MessageKind, MessageState, OutboxMessage
from alliance.messaging.services import message_queue
from alliance.people.models import Clinic, Role, User


def seed(*, clinic: Clinic, now: datetime) -> None:
    clients = list(User.objects.filter(clinic=clinic, role=Role.CLIENT).order_by("email")[:3])
    if len(clients) < 3:
        return
    first, second, third = clients
    sent, _ = message_queue(
        kind=MessageKind.CHECKIN_REMINDER,
        key=f"demo:sent:{first.pk}",
        subject="You have a check-in waiting",
        body="Your check-in about your last session is open in Alliance. http://127.0.0.1:8000/me/",
        recipient=first,
        now=now - timedelta(days=1),
    )
    OutboxMessage.objects.filter(pk=sent.pk).update(
        state=MessageState.SENT, attempts=1, sent_at=now - timedelta(days=1, minutes=-1)
    )
    message_queue(
        kind=MessageKind.QUESTIONNAIRE_REMINDER,
        key=f"demo:queued:{second.pk}",
        subject="A questionnaire is waiting for you",
        body="A short questionnaire is open in Alliance. http://127.0.0.1:8000/me/",
        recipient=second,
        due_at=now + timedelta(days=1),
        now=now,
    )
    failed, _ = message_queue(
        kind=MessageKind.DIARY_REMINDER,
        key=f"demo:failed:{third.pk}",
        subject="Your diary card for today",
        body="Today's diary card is open in Alliance. http://127.0.0.1:8000/diary/",
        recipient=third,
        now=now - timedelta(hours=8),
    )
    OutboxMessage.objects.filter(pk=failed.pk).update(
        state=MessageState.FAILED,
        attempts=5,
        last_error="SMTPRecipientsRefused: 550 5.1.1 mailbox unavailable (demo)",
        next_attempt_at=now - timedelta(hours=1),
    )
