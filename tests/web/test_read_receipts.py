"""One rule for "your therapist has read this", stated on both sides, and the audit log agrees.

"Read" = the client's therapist opened a page showing the check-in's answers: the client page,
or the check-in's alert. Each receipt has an audit row of that therapist opening that check-in
at the receipt's exact time, which the client's "Who has seen my records" page lists.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from alliance.audit.models import AuditAction, AuditEvent, RecordType
from alliance.checkins.models import CheckIn
from alliance.checkins.services import checkin_submit
from alliance.ruptures.models import Alert
from tests.conftest import GOOD_ANSWERS

TENSION = {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "0"}
SENT = datetime(2026, 6, 10, 14, 0, tzinfo=ZoneInfo("UTC"))
RECEIPT = "Your therapist has read this"


@pytest.fixture
def sent(episode, client_user, attend) -> CheckIn:
    with time_machine.travel(SENT, tick=False):
        return checkin_submit(
            session=attend(episode, 1),
            client=client_user,
            answers=TENSION,
            form_token=uuid.uuid4(),
        ).checkin


def _read_rows(checkin: CheckIn, therapist) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(
            record_type=RecordType.CHECKIN, record_id=str(checkin.id), action=AuditAction.VIEW
        ).values_list("actor_id", "at", "detail")
    )


def test_opening_the_alert_page_is_reading_the_checkin(login, therapist, client_user, sent):
    alert = Alert.objects.get()
    carla = login(client_user)
    assert RECEIPT not in carla.get(reverse("client_home")).content.decode()
    opened = SENT + timedelta(hours=3)
    with time_machine.travel(opened, tick=False):
        page = login(therapist).get(reverse("alert_detail", args=[alert.id])).content.decode()
    sent.refresh_from_db()
    assert sent.therapist_read_at == opened
    assert RECEIPT in carla.get(reverse("client_home")).content.decode()
    # The alert page states the same rule as the client's pages.
    assert (
        "it shows once you open a page with their answers, this alert or their client page" in page
    )
    assert _read_rows(sent, therapist) == [(therapist.id, opened, "read")]


def test_opening_the_client_page_gives_a_receipt_and_a_read_row_at_that_time(
    login, therapist, client_user, sent
):
    opened = SENT + timedelta(days=1)
    with time_machine.travel(opened, tick=False):
        login(therapist).get(reverse("client_detail", args=[client_user.id]))
    sent.refresh_from_db()
    assert sent.therapist_read_at == opened
    assert _read_rows(sent, therapist) == [(therapist.id, opened, "read")]


def test_acknowledging_without_opening_the_page_still_logs_the_read(login, therapist, sent):
    acknowledged = SENT + timedelta(hours=5)
    with time_machine.travel(acknowledged, tick=False):
        login(therapist).post(reverse("alert_acknowledge", args=[Alert.objects.get().id]))
    sent.refresh_from_db()
    assert sent.therapist_read_at == acknowledged
    assert _read_rows(sent, therapist) == [(therapist.id, acknowledged, "read")]


def test_every_receipt_has_its_read_row(login, therapist, client_user, episode, attend):
    with time_machine.travel(SENT, tick=False):
        for number in (1, 2, 3):
            checkin_submit(
                session=attend(episode, number),
                client=client_user,
                answers=GOOD_ANSWERS,
                form_token=uuid.uuid4(),
            )
    with time_machine.travel(SENT + timedelta(hours=1), tick=False):
        login(therapist).get(reverse("client_detail", args=[client_user.id]))
    for checkin in CheckIn.objects.all():
        assert _read_rows(checkin, therapist) == [(therapist.id, checkin.therapist_read_at, "read")]


def test_a_second_visit_writes_no_second_receipt(login, therapist, client_user, sent):
    teresa = login(therapist)
    with time_machine.travel(SENT + timedelta(hours=1), tick=False):
        teresa.get(reverse("client_detail", args=[client_user.id]))
    with time_machine.travel(SENT + timedelta(hours=2), tick=False):
        teresa.get(reverse("alert_detail", args=[Alert.objects.get().id]))
    sent.refresh_from_db()
    assert sent.therapist_read_at == SENT + timedelta(hours=1)
    assert len(_read_rows(sent, therapist)) == 1


def test_the_clients_pages_state_the_rule(login, therapist, client_user, sent):
    login(therapist).get(reverse("client_detail", args=[client_user.id]))
    carla = login(client_user)
    home = carla.get(reverse("client_home")).content.decode()
    assert "means your therapist has opened a page showing that check-in" in home
    thanks = carla.get(reverse("checkin_thanks", args=[sent.session_id])).content.decode()
    assert "your therapist opened a page showing your answers" in thanks


def test_who_has_seen_my_records_lists_the_read(login, therapist, client_user, sent):
    login(therapist).get(reverse("alert_detail", args=[Alert.objects.get().id]))
    page = login(client_user).get(reverse("access_log")).content.decode()
    assert "read one of your check-ins" in page
    assert "Teresa Tran" in page


def test_no_receipt_without_a_page_showing_it(login, therapist, client_user, sent):
    login(therapist).get(reverse("caseload"))  # lists the client, shows no answers
    sent.refresh_from_db()
    assert sent.therapist_read_at is None
    assert _read_rows(sent, therapist) == []


def test_the_client_page_reads_only_the_checkins_on_the_page_it_shows(
    login, therapist, client_user, episode, attend
):
    # Twelve answered sessions: the first page of session history shows the ten newest.
    start = datetime(2026, 9, 1, 15, 0, tzinfo=ZoneInfo("UTC"))
    for number in range(1, 13):
        at = start + timedelta(days=7 * number)
        with time_machine.travel(at, tick=False):
            checkin_submit(
                session=attend(episode, number, at=at),
                client=client_user,
                answers=GOOD_ANSWERS,
                form_token=uuid.uuid4(),
            )
    browser = login(therapist)
    browser.get(reverse("client_detail", args=[client_user.id]))
    read = set(
        CheckIn.objects.filter(therapist_read_at__isnull=False).values_list(
            "session__number", flat=True
        )
    )
    assert read == set(range(3, 13))
    browser.get(reverse("client_detail", args=[client_user.id]) + "?sessions_page=2")
    assert CheckIn.objects.filter(therapist_read_at__isnull=True).count() == 0
