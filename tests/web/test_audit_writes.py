"""Every write to a client's record leaves an audit row, never the words that were written."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.utils import timezone

from alliance.audit.models import ActorRole, AuditAction, AuditEvent, RecordType
from alliance.checkins.models import CheckIn
from alliance.checkins.services import checkin_submit
from alliance.people.models import Session, User
from alliance.people.services import client_add
from alliance.ruptures.models import Alert, AlertEvent
from alliance.ruptures.services import alert_acknowledge, signals_recompute
from tests.conftest import GOOD_ANSWERS, PASSWORD

TENSION = {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "1"}
SECRET = "I never told anyone about the river"


def rows(**filters) -> list[tuple]:
    return list(
        AuditEvent.objects.filter(**filters)
        .order_by("id")
        .values_list("actor_role", "action", "record_type", "detail")
    )


def _post_checkin(login, client_user, session, answers):
    return login(client_user).post(
        f"/checkins/{session.id}/", {**answers, "form_token": str(uuid.uuid4())}
    )


def test_submitting_a_checkin_is_logged_as_the_client(episode, client_user, attend, login):
    session = attend(episode, 1)
    _post_checkin(login, client_user, session, GOOD_ANSWERS)
    event = AuditEvent.objects.get(action=AuditAction.CREATE, record_type=RecordType.CHECKIN)
    assert (event.actor_id, event.subject_id, event.record_id, event.route) == (
        client_user.id,
        client_user.id,
        str(CheckIn.objects.get().id),
        "checkin",
    )


def test_an_alert_raised_by_a_checkin_is_logged_as_the_system(episode, client_user, attend, login):
    _post_checkin(login, client_user, attend(episode, 1), TENSION)
    assert rows(record_type=RecordType.ALERT) == [
        (ActorRole.SYSTEM, AuditAction.CREATE, RecordType.ALERT, "")
    ]


def test_the_words_a_client_writes_never_reach_the_log(episode, client_user, attend, login):
    _post_checkin(login, client_user, attend(episode, 1), {**TENSION, "comment": SECRET})
    assert CheckIn.objects.get().comment == SECRET
    for values in AuditEvent.objects.values():
        assert all(SECRET not in str(value) for value in values.values())


def test_acknowledging_is_logged_with_the_transition(
    episode, therapist, client_user, attend, login
):
    _post_checkin(login, client_user, attend(episode, 1), TENSION)
    alert = Alert.objects.get()
    login(therapist).post(f"/alerts/{alert.id}/acknowledge/")
    assert rows(actor=therapist, action=AuditAction.TRANSITION) == [
        (ActorRole.THERAPIST, AuditAction.TRANSITION, RecordType.ALERT, "acknowledged")
    ]


def test_the_read_receipt_is_logged_per_checkin(episode, therapist, client_user, attend, login):
    _post_checkin(login, client_user, attend(episode, 1), GOOD_ANSWERS)
    login(therapist).get(f"/clients/{client_user.id}/")
    assert rows(actor=therapist, record_type=RecordType.CHECKIN) == [
        (ActorRole.THERAPIST, AuditAction.VIEW, RecordType.CHECKIN, "read")
    ]


def test_recording_a_repair_is_logged(episode, therapist, client_user, attend, login):
    _post_checkin(login, client_user, attend(episode, 1), TENSION)
    alert = Alert.objects.get()
    browser = login(therapist)
    browser.post(f"/alerts/{alert.id}/acknowledge/")
    browser.post(
        f"/alerts/{alert.id}/repair/",
        {"rupture_type": "withdrawal", "strategies": ["invite_discussion"], "notes": SECRET},
    )
    assert rows(actor=therapist, action=AuditAction.CREATE) == [
        (ActorRole.THERAPIST, AuditAction.CREATE, RecordType.REPAIR_RECORD, "")
    ]


def test_setting_a_session_status_is_logged(episode, therapist, client_user, login):
    session = Session.objects.create(episode=episode, number=1, scheduled_at=timezone.now())
    login(therapist).post(f"/sessions/{session.id}/status/", {"status": "missed"})
    assert rows(action=AuditAction.TRANSITION) == [
        (ActorRole.THERAPIST, AuditAction.TRANSITION, RecordType.SESSION, "missed")
    ]


def test_adding_a_client_logs_the_account_the_episode_and_the_invite(therapist, login):
    login(therapist).post(
        "/clients/new/",
        {"full_name": "Nina New", "email": "nina@example.org", "timezone": "America/Toronto"},
    )
    nina = User.objects.get(email="nina@example.org")
    assert rows(subject=nina) == [
        (ActorRole.THERAPIST, AuditAction.CREATE, RecordType.PERSON, ""),
        (ActorRole.THERAPIST, AuditAction.CREATE, RecordType.CARE_EPISODE, ""),
        (ActorRole.THERAPIST, AuditAction.CREATE, RecordType.INVITE, ""),
    ]


def test_accepting_an_invite_is_logged_as_the_new_person(therapist):
    added = client_add(
        therapist=therapist, full_name="Ivy", email="ivy@example.org", timezone_name="UTC"
    )
    Client().post(f"/invite/{added.invite_token}/", {"password1": PASSWORD, "password2": PASSWORD})
    assert rows(actor=added.user) == [
        (ActorRole.CLIENT, AuditAction.TRANSITION, RecordType.INVITE, "accepted"),
        (ActorRole.CLIENT, AuditAction.UPDATE, RecordType.PERSON, "password_set"),
    ]


def test_a_service_called_outside_a_request_is_logged_as_the_system(
    episode, therapist, client_user, attend
):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token=uuid.uuid4()
    )
    alert_acknowledge(alert=Alert.objects.get(), actor=therapist)
    assert {e.actor_role for e in AuditEvent.objects.all()} == {ActorRole.SYSTEM}


def test_recompute_logs_every_alert_it_opens(
    episode, other_episode, client_user, other_client, attend
):
    for ep, person in ((episode, client_user), (other_episode, other_client)):
        checkin_submit(
            session=attend(ep, 1), client=person, answers=TENSION, form_token=uuid.uuid4()
        )
    AlertEvent.objects.all().delete()
    Alert.objects.all().delete()
    before = AuditEvent.objects.count()
    signals_recompute()
    created = AuditEvent.objects.order_by("id")[before:]
    assert sorted((e.actor_role, e.action, e.record_id, e.subject_id) for e in created) == sorted(
        (ActorRole.SYSTEM, AuditAction.CREATE, str(a.id), a.episode.client_id)
        for a in Alert.objects.select_related("episode")
    )


@pytest.mark.django_db(transaction=True)
def test_a_checkin_post_writes_its_read_with_the_change_once(episode, client_user, attend, login):
    """The session read while sending goes in with the check-in's own insert, not twice."""
    session = attend(episode, 1)
    before = AuditEvent.objects.count()
    response = _post_checkin(login, client_user, session, GOOD_ANSWERS)
    assert response.status_code == 302
    new = list(
        AuditEvent.objects.order_by("id").values_list("action", "record_type", "record_id")[before:]
    )
    assert new.count((AuditAction.VIEW, RecordType.SESSION, str(session.id))) == 1
    checkin = CheckIn.objects.get()
    assert new.count((AuditAction.CREATE, RecordType.CHECKIN, str(checkin.id))) == 1


@pytest.mark.django_db(transaction=True)
def test_a_checkin_that_raises_an_alert_writes_its_read_once(episode, client_user, attend, login):
    """The check-in and its alert are two audited writes in one transaction: one read row."""
    session = attend(episode, 1)
    response = _post_checkin(login, client_user, session, TENSION)
    assert response.status_code == 302
    alert = Alert.objects.get()
    views = AuditEvent.objects.filter(
        action=AuditAction.VIEW, record_type=RecordType.SESSION, record_id=str(session.id)
    )
    assert views.count() == 1
    assert AuditEvent.objects.filter(record_type=RecordType.ALERT, record_id=str(alert.id)).exists()


@pytest.mark.django_db(transaction=True)
def test_acknowledging_an_alert_writes_each_read_once(
    episode, client_user, therapist, attend, login
):
    session = attend(episode, 1)
    _post_checkin(login, client_user, session, TENSION)
    alert = Alert.objects.get()
    before = AuditEvent.objects.count()
    response = login(therapist).post(f"/alerts/{alert.id}/acknowledge/")
    assert response.status_code in {200, 302}
    new = list(
        AuditEvent.objects.order_by("id").values_list("action", "record_type", "record_id")[before:]
    )
    reads = [row for row in new if row[0] == AuditAction.VIEW]
    assert reads, new
    assert len(reads) == len(set(reads)), new


@pytest.mark.django_db(transaction=True)
def test_reads_noted_before_a_write_that_rolls_back_are_still_logged(episode, client_user, attend):
    """A change that fails takes its audit row with it, but what was shown is still logged."""
    from django.db import transaction
    from django.test import RequestFactory

    from alliance.audit import recorder

    session = attend(episode, 1)
    request = RequestFactory().get("/")
    request.user = client_user
    context, token = recorder.begin_request(request)
    try:
        recorder.note_read(
            client_user,
            recorder.about_episode(episode, AuditAction.VIEW, RecordType.SESSION, session.id),
        )
        with pytest.raises(RuntimeError), transaction.atomic():
            recorder.audit_record(
                actor=client_user,
                entry=recorder.about_episode(episode, AuditAction.CREATE, RecordType.CHECKIN),
            )
            raise RuntimeError("the change failed")
        assert not AuditEvent.objects.filter(
            action=AuditAction.VIEW, record_id=str(session.id)
        ).exists()
        context.flush()
    finally:
        recorder.end_request(token)
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.VIEW, record_type=RecordType.SESSION, record_id=str(session.id)
        ).count()
        == 1
    )
    assert not AuditEvent.objects.filter(action=AuditAction.CREATE).exists()
