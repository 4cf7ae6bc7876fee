"""The outbox: queueing once, delivering, retrying with backoff, failing, skipping, resending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import send_mail
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alliance.audit.models import AuditEvent
from alliance.messaging import services
from alliance.messaging.channels import DeliveryError, MemorySmsBackend, message_id
from alliance.messaging.models import Channel, MessageKind, MessageState, OutboxMessage
from alliance.messaging.services import (
    BACKOFF_MINUTES,
    MessagingError,
    message_cancel,
    message_queue,
    message_resend,
    messages_deliver_due,
    register_skip_check,
)


def _queue(recipient, key="k1", **extra):
    message, _ = message_queue(
        kind=MessageKind.ACCOUNT,
        key=key,
        subject="You have a check-in waiting",
        body="Open Alliance to answer it: https://example.org/me/",
        recipient=recipient,
        **extra,
    )
    return message


def test_the_same_key_queues_one_message_and_one_task(client_user):
    first, created = message_queue(
        kind=MessageKind.CHECKIN_REMINDER, key="k", subject="s", body="b", recipient=client_user
    )
    again, created_again = message_queue(
        kind=MessageKind.CHECKIN_REMINDER, key="k", subject="s", body="b", recipient=client_user
    )
    assert (created, created_again) == (True, False)
    assert first.pk == again.pk
    assert OutboxMessage.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="deliver_message").count() == 1
    assert first.to_address == "carla@example.org"
    assert first.clinic_id == client_user.clinic_id


def test_a_due_message_is_sent_once_with_a_stable_message_id(client_user):
    message = _queue(client_user)
    report = messages_deliver_due()
    assert report.sent == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["carla@example.org"]
    assert sent.subject == "You have a check-in waiting"
    assert sent.extra_headers["Message-ID"] == message_id(message)
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    assert messages_deliver_due().sent == 0  # nothing left to send
    assert len(mail.outbox) == 1


def test_a_message_due_later_waits(client_user):
    now = timezone.now()
    _queue(client_user, due_at=now + timedelta(hours=2), now=now)
    assert messages_deliver_due(now=now).sent == 0
    assert messages_deliver_due(now=now + timedelta(hours=2)).sent == 1


def test_a_failed_attempt_is_retried_with_backoff_then_marked_failed(client_user, monkeypatch):
    def refuse(message):
        raise DeliveryError("SMTPServerDisconnected: the mail server hung up")

    monkeypatch.setattr(services, "deliver", refuse)
    message = _queue(client_user)
    now = timezone.now()
    for attempt in range(1, message.max_attempts):
        report = messages_deliver_due(now=now)
        assert report.retried == 1
        message.refresh_from_db()
        assert message.state == MessageState.QUEUED
        assert message.attempts == attempt
        assert message.next_attempt_at == now + timedelta(minutes=BACKOFF_MINUTES[attempt - 1])
        assert "hung up" in message.last_error
        assert messages_deliver_due(now=now).retried == 0  # not before the backoff
        now = message.next_attempt_at
    assert messages_deliver_due(now=now).failed == 1
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.attempts == message.max_attempts


def test_a_text_message_without_a_provider_fails_at_once_with_the_reason(client_user):
    message = _queue(client_user, channel=Channel.SMS, to_address="+15145550100")
    assert messages_deliver_due().failed == 1
    message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.attempts == 1
    assert "No text-message provider" in message.last_error


@override_settings(ALLIANCE_SMS_BACKEND="alliance.messaging.channels.MemorySmsBackend")
def test_a_text_message_goes_through_the_configured_provider(client_user):
    MemorySmsBackend.sent.clear()
    _queue(client_user, channel=Channel.SMS, to_address="+15145550100")
    assert messages_deliver_due().sent == 1
    assert MemorySmsBackend.sent == [
        {
            "to": "+15145550100",
            "body": "Open Alliance to answer it: https://example.org/me/",
            "key": "k1",
        }
    ]


def test_a_deactivated_recipient_is_skipped_with_the_reason(client_user):
    message = _queue(client_user)
    client_user.is_active = False
    client_user.save(update_fields=["is_active"])
    assert messages_deliver_due().skipped == 1
    message.refresh_from_db()
    assert (message.state, message.skip_reason) == (
        MessageState.SKIPPED,
        "The account is deactivated.",
    )
    assert mail.outbox == []


def test_a_reminder_whose_item_is_done_is_skipped(client_user, monkeypatch):
    monkeypatch.setattr(services, "SKIP_CHECKS", {})
    register_skip_check(MessageKind.ACCOUNT, lambda m, now: "The check-in was already sent.")
    message = _queue(client_user)
    assert messages_deliver_due().skipped == 1
    message.refresh_from_db()
    assert message.skip_reason == "The check-in was already sent."
    assert mail.outbox == []


def test_a_message_held_by_a_live_worker_is_left_alone_and_taken_over_after_its_lease(
    client_user, settings
):
    settings.ALLIANCE_OUTBOX_LEASE_SECONDS = 60
    message = _queue(client_user)
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=MessageState.SENDING,
        claimed_by="dead-worker",
        claimed_until=now + timedelta(seconds=60),
    )
    assert messages_deliver_due(now=now).sent == 0
    assert messages_deliver_due(now=now + timedelta(seconds=61)).sent == 1
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.attempts == 1


def test_a_worker_that_lost_its_claim_cannot_record_an_outcome(client_user):
    message = _queue(client_user)
    ids = services._claim(now=timezone.now(), worker_id="a", limit=10, only=None)
    assert ids == [message.pk]
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_by="b")
    message.refresh_from_db()
    assert services._finish(message, "a", state=MessageState.SENT, sent_at=timezone.now()) is False
    message.refresh_from_db()
    assert message.state == MessageState.SENDING


def test_an_admin_resends_a_failed_message_once_more(client_user, admin):
    message = _queue(client_user)
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=MessageState.FAILED, attempts=5, last_error="refused"
    )
    message.refresh_from_db()
    message_resend(admin=admin, message=message)
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED
    assert AuditEvent.objects.filter(detail="message_resent", subject=client_user).count() == 1
    assert messages_deliver_due().sent == 1
    with pytest.raises(MessagingError, match="no longer waiting"):
        message_resend(admin=admin, message=message)


def test_a_resent_message_that_fails_again_is_failed_after_one_try(client_user, admin, monkeypatch):
    message = _queue(client_user)
    OutboxMessage.objects.filter(pk=message.pk).update(state=MessageState.FAILED, attempts=5)
    message.refresh_from_db()
    message_resend(admin=admin, message=message)

    def refuse(message):
        raise DeliveryError("still refused")

    monkeypatch.setattr(services, "deliver", refuse)
    assert messages_deliver_due().failed == 1


def test_only_an_admin_of_the_clinic_may_resend(client_user, therapist, stranger):
    message = _queue(client_user)
    OutboxMessage.objects.filter(pk=message.pk).update(state=MessageState.FAILED)
    message.refresh_from_db()
    for who in (therapist, stranger):
        with pytest.raises(MessagingError):
            message_resend(admin=who, message=message)


def test_a_queued_message_can_be_cancelled_but_not_a_sent_one(client_user):
    message = _queue(client_user)
    assert message_cancel(message=message, reason="Care ended.") is True
    message.refresh_from_db()
    assert message.state == MessageState.CANCELLED
    sent = _queue(client_user, key="k2")
    messages_deliver_due()
    assert message_cancel(message=sent, reason="too late") is False


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("kind", "gossip", "Unknown message kind"),
        ("channel", "pigeon", "Unknown channel"),
        ("subject", "Line one\nBcc: x@example.org", "one line"),
    ],
)
def test_a_malformed_message_is_refused(client_user, field, value, error):
    fields = {
        "kind": MessageKind.ACCOUNT,
        "key": "bad",
        "subject": "s",
        "body": "b",
        "recipient": client_user,
        "channel": Channel.EMAIL,
        field: value,
    }
    with pytest.raises(MessagingError, match=error):
        message_queue(**fields)
    assert OutboxMessage.objects.count() == 0


def test_a_message_needs_somebody_to_go_to(db):
    with pytest.raises(MessagingError, match="recipient or an address"):
        message_queue(kind=MessageKind.ACCOUNT, key="x", subject="s", body="b")


@override_settings(EMAIL_BACKEND="alliance.messaging.backends.OutboxEmailBackend")
def test_django_mail_goes_through_the_outbox(client_user):
    send_mail(
        "Reset your password",
        "Follow this link: https://example.org/reset/abc/",
        None,
        ["Carla@Example.org"],
        fail_silently=False,
    )
    assert mail.outbox == []  # not sent yet: queued
    message = OutboxMessage.objects.get()
    assert message.recipient == client_user
    assert message.kind == MessageKind.ACCOUNT
    assert message.body == "Follow this link: https://example.org/reset/abc/"
    assert messages_deliver_due().sent == 1
    assert mail.outbox[0].subject == "Reset your password"


def test_the_body_is_encrypted_at_rest(client_user):
    from django.db import connection

    message = _queue(client_user)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body FROM messaging_outboxmessage WHERE id = %s",
            [message.pk.hex if connection.vendor == "sqlite" else message.pk],
        )
        (stored,) = cursor.fetchone()
    assert stored.startswith("enc1:")
    assert "example.org/me" not in stored
