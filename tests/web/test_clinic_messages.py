"""The clinic admin's page of messages that did not go out, and its resend button."""

from __future__ import annotations

import pytest

from alliance.messaging.models import MessageKind, MessageState, OutboxMessage
from alliance.messaging.services import message_queue
from alliance.people.models import Clinic, Role, User


def _failed(recipient, key="f1"):
    message, _ = message_queue(
        kind=MessageKind.DIARY_REMINDER,
        key=key,
        subject="Your diary card for today",
        body="https://example.org/diary/",
        recipient=recipient,
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=MessageState.FAILED, attempts=5, last_error="SMTPRecipientsRefused: 550"
    )
    return message


def test_the_page_lists_what_did_not_go_out_and_counts_the_rest(admin, client_user, login):
    _failed(client_user)
    message_queue(
        kind=MessageKind.CHECKIN_REMINDER, key="q", subject="s", body="b", recipient=client_user
    )
    html = login(admin).get("/clinic/messages/").content.decode()
    assert "Carla Client" in html
    assert "carla@example.org" in html
    assert "Diary card reminder" in html
    assert "SMTPRecipientsRefused: 550" in html
    assert "1 queued" in html
    assert "1 did not go out" in html
    assert "https://example.org/diary/" not in html  # bodies are never shown


def test_resend_puts_the_message_back_and_says_so(admin, client_user, login):
    message = _failed(client_user)
    response = login(admin).post(f"/clinic/messages/{message.id}/resend/", follow=True)
    assert "The message to carla@example.org is back in the queue." in response.content.decode()
    message.refresh_from_db()
    assert message.state == MessageState.QUEUED


def test_resending_twice_says_it_is_already_queued(admin, client_user, login):
    message = _failed(client_user)
    browser = login(admin)
    browser.post(f"/clinic/messages/{message.id}/resend/")
    response = browser.post(f"/clinic/messages/{message.id}/resend/", follow=True)
    assert "no longer waiting to be resent" in response.content.decode()


@pytest.mark.django_db
def test_an_admin_of_another_clinic_sees_neither_the_message_nor_its_resend(client_user, login):
    elsewhere = Clinic.objects.create(name="Elsewhere")
    other_admin = User.objects.create_user(
        "ea@example.org", "pw-123456789", full_name="E A", role=Role.CLINIC_ADMIN, clinic=elsewhere
    )
    message = _failed(client_user)
    browser = login(other_admin)
    assert "Carla" not in browser.get("/clinic/messages/").content.decode()
    assert browser.post(f"/clinic/messages/{message.id}/resend/").status_code == 404
    message.refresh_from_db()
    assert message.state == MessageState.FAILED


def test_the_caseload_says_when_a_reminder_went_out_or_failed(
    episode, therapist, client_user, other_episode, login
):
    from django.utils import timezone

    sent, _ = message_queue(
        kind=MessageKind.CHECKIN_REMINDER, key="s", subject="s", body="b", recipient=client_user
    )
    OutboxMessage.objects.filter(pk=sent.pk).update(state=MessageState.SENT, sent_at=timezone.now())
    html = login(therapist).get("/caseload/").content.decode()
    assert "Check-in reminder sent" in html
    failed, _ = message_queue(
        kind=MessageKind.DIARY_REMINDER, key="f", subject="s", body="b", recipient=client_user
    )
    OutboxMessage.objects.filter(pk=failed.pk).update(state=MessageState.FAILED)
    html = login(therapist).get("/caseload/").content.decode()
    assert "Diary card reminder did not go out" in html


def test_the_caseload_reminder_line_costs_one_query_whatever_the_caseload(
    episode, therapist, client_user, login
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    browser = login(therapist)
    browser.get("/caseload/")
    with CaptureQueriesContext(connection) as queries:
        browser.get("/caseload/")
    outbox = [q for q in queries.captured_queries if "messaging_outboxmessage" in q["sql"]]
    assert len(outbox) == 1
