"""Client reminders and therapist notices: once, only if still not done, never in quiet hours,
in the recipient's own time zone (America/Toronto with DST, America/Regina without)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from alliance.checkins.services import checkin_submit
from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.messaging.models import (
    MessageKind,
    MessagePreferences,
    MessageState,
    OutboxMessage,
    RuptureNoticeMode,
)
from alliance.messaging.reminders import (
    checkin_reminders_scan,
    diary_reminders_scan,
    pause_token,
    reminders_scan,
)
from alliance.messaging.services import body_of, messages_deliver_due
from alliance.messaging.timing import at_local, in_quiet_hours, next_allowed
from alliance.people.models import Session
from alliance.people.services import session_set_status
from alliance.ruptures.models import Alert, AlertCategory, Severity
from tests.conftest import GOOD_ANSWERS

TORONTO = ZoneInfo("America/Toronto")
REGINA = ZoneInfo("America/Regina")
QUIET = (time(21, 0), time(8, 0))


# --- the quiet-hours rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected_local"),
    [
        (datetime(2026, 6, 1, 20, 59), datetime(2026, 6, 1, 20, 59)),  # just before
        (datetime(2026, 6, 1, 21, 0), datetime(2026, 6, 2, 8, 0)),  # starts
        (datetime(2026, 6, 2, 3, 0), datetime(2026, 6, 2, 8, 0)),  # after midnight
        (datetime(2026, 6, 2, 8, 0), datetime(2026, 6, 2, 8, 0)),  # ends
    ],
)
def test_quiet_hours_across_midnight(local, expected_local):
    moment = local.replace(tzinfo=TORONTO).astimezone(UTC)
    assert next_allowed(moment, TORONTO, *QUIET) == expected_local.replace(tzinfo=TORONTO)


def test_quiet_hours_on_the_night_clocks_go_back_end_at_eight_local():
    # 2026-11-01: 02:00 EDT becomes 01:00 EST. 23:00 EDT is 03:00 UTC; 08:00 EST is 13:00 UTC.
    moment = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    assert next_allowed(moment, TORONTO, *QUIET) == datetime(2026, 11, 1, 13, 0, tzinfo=UTC)


def test_quiet_hours_on_the_night_clocks_go_forward_end_at_eight_local():
    # 2026-03-08: 02:00 EST becomes 03:00 EDT. 08:00 EDT is 12:00 UTC.
    moment = datetime(2026, 3, 8, 4, 0, tzinfo=UTC)
    assert next_allowed(moment, TORONTO, *QUIET) == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


def test_regina_has_no_dst_so_eight_is_always_fourteen_utc():
    for day in (datetime(2026, 3, 8), datetime(2026, 11, 1), datetime(2026, 7, 1)):
        assert at_local(day.date(), time(8, 0), REGINA) == day.replace(hour=14, tzinfo=UTC)


def test_a_daytime_quiet_period_does_not_wrap():
    at = datetime(2026, 6, 1, 13, 30, tzinfo=TORONTO)
    assert in_quiet_hours(at, TORONTO, time(13, 0), time(14, 0))
    assert not in_quiet_hours(at + timedelta(hours=1), TORONTO, time(13, 0), time(14, 0))


# --- check-in reminders -----------------------------------------------------------------------


def _open_checkin(episode, at):
    session = Session.objects.create(
        episode=episode, number=1, scheduled_at=at - timedelta(hours=1)
    )
    return session_set_status(session=session, status="attended", actor=episode.therapist, now=at)


def _prefs(user, **fields):
    prefs, _ = MessagePreferences.objects.update_or_create(user=user, defaults=fields)
    return prefs


def test_an_open_checkin_gets_one_reminder(episode):
    at = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)  # 11:00 in Toronto
    session = _open_checkin(episode, at)
    assert checkin_reminders_scan(now=at + timedelta(minutes=1)) == 1
    assert checkin_reminders_scan(now=at + timedelta(minutes=6)) == 0  # once
    message = OutboxMessage.objects.get()
    assert message.idempotency_key == f"checkin:{session.pk}:1"
    assert message.due_at == session.checkin_opens_at
    assert message.kind == MessageKind.CHECKIN_REMINDER
    assert message.body == ""  # written when it goes
    body = body_of(message)
    assert "Hello Carla," in body
    assert "/me/" in body
    assert "/pause/" in body


def test_a_checkin_opening_at_night_is_reminded_when_quiet_hours_end(episode):
    at = datetime(2026, 6, 3, 2, 30, tzinfo=UTC)  # 22:30 in Toronto
    _open_checkin(episode, at)
    checkin_reminders_scan(now=at)
    message = OutboxMessage.objects.get()
    assert message.due_at == datetime(2026, 6, 3, 8, 0, tzinfo=TORONTO)
    assert messages_deliver_due(now=at + timedelta(hours=1)).sent == 0


def test_a_second_nudge_only_for_a_client_who_asked(episode, client_user):
    at = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)
    session = _open_checkin(episode, at)
    checkin_reminders_scan(now=at)
    assert OutboxMessage.objects.count() == 1
    _prefs(client_user, second_nudge=True)
    checkin_reminders_scan(now=at + timedelta(minutes=5))
    second = OutboxMessage.objects.get(idempotency_key=f"checkin:{session.pk}:2")
    assert second.due_at == session.checkin_opens_at + timedelta(hours=24)


@pytest.mark.parametrize(
    "prefs",
    [{"checkin_reminders": False}, {"email": False}],
)
def test_no_reminder_for_a_client_who_turned_it_off(episode, client_user, prefs):
    at = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)
    _prefs(client_user, **prefs)
    _open_checkin(episode, at)
    assert checkin_reminders_scan(now=at) == 0


def test_no_reminder_while_paused(episode, client_user):
    at = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)
    _prefs(client_user, paused_until=at + timedelta(days=3))
    _open_checkin(episode, at)
    assert checkin_reminders_scan(now=at) == 0


def test_a_reminder_for_a_checkin_answered_before_it_went_is_skipped(episode, client_user):
    at = datetime(2026, 6, 3, 2, 30, tzinfo=UTC)
    session = _open_checkin(episode, at)
    checkin_reminders_scan(now=at)
    checkin_submit(
        session=session, client=client_user, answers=GOOD_ANSWERS, form_token=uuid.uuid4(), now=at
    )
    report = messages_deliver_due(now=datetime(2026, 6, 3, 13, 0, tzinfo=UTC))
    assert report.skipped == 1
    assert OutboxMessage.objects.get().skip_reason == "The check-in was already sent."
    assert mail.outbox == []


def test_a_missed_session_gets_no_reminder(episode):
    at = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)
    session = Session.objects.create(
        episode=episode, number=1, scheduled_at=at - timedelta(hours=1)
    )
    session_set_status(session=session, status="missed", actor=episode.therapist, now=at)
    assert checkin_reminders_scan(now=at) == 0


# --- the diary card ---------------------------------------------------------------------------


def test_the_diary_reminder_comes_at_the_clients_time_in_their_zone(episode, client_user):
    _prefs(client_user, diary_reminders=True, diary_time=time(19, 30))
    before = datetime(2026, 11, 1, 19, 29, tzinfo=TORONTO)
    assert diary_reminders_scan(now=before) == 0
    assert diary_reminders_scan(now=before + timedelta(minutes=1)) == 1
    assert diary_reminders_scan(now=before + timedelta(minutes=2)) == 0
    message = OutboxMessage.objects.get()
    assert message.idempotency_key == f"diary:{client_user.pk}:2026-11-01"
    assert message.due_at == datetime(2026, 11, 2, 0, 30, tzinfo=UTC)  # 19:30 EST


def test_the_diary_reminder_on_the_day_clocks_go_forward(episode, client_user):
    _prefs(client_user, diary_reminders=True, diary_time=time(19, 30))
    diary_reminders_scan(now=datetime(2026, 3, 8, 23, 31, tzinfo=UTC))  # 19:31 EDT
    assert OutboxMessage.objects.get().due_at == datetime(2026, 3, 8, 23, 30, tzinfo=UTC)


def test_a_client_who_moves_to_regina_is_reminded_on_regina_time(episode, client_user):
    _prefs(client_user, diary_reminders=True, diary_time=time(19, 30))
    client_user.timezone = "America/Regina"
    client_user.save(update_fields=["timezone"])
    # 19:30 in Toronto (EDT) is 17:30 in Regina: too early there.
    assert diary_reminders_scan(now=datetime(2026, 6, 2, 23, 30, tzinfo=UTC)) == 0
    assert diary_reminders_scan(now=datetime(2026, 6, 3, 1, 30, tzinfo=UTC)) == 1


def test_no_diary_reminder_once_todays_card_is_sent(episode, client_user):
    _prefs(client_user, diary_reminders=True, diary_time=time(19, 30))
    DiaryCard.objects.create(
        episode=episode,
        client=client_user,
        day=datetime(2026, 6, 2).date(),
        status=DiaryStatus.SUBMITTED,
        submitted_at=datetime(2026, 6, 2, 22, 0, tzinfo=UTC),
    )
    assert diary_reminders_scan(now=datetime(2026, 6, 3, 0, 0, tzinfo=UTC)) == 0


def test_diary_reminders_are_off_until_the_client_turns_them_on(episode, client_user):
    _prefs(client_user)
    assert diary_reminders_scan(now=datetime(2026, 6, 3, 1, 0, tzinfo=UTC)) == 0


def test_the_scan_costs_the_same_queries_for_few_and_many(
    clinic, therapist, make_user, django_assert_max_num_queries
):
    from alliance.people.models import CareEpisode

    at = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)

    def add(n, start):
        for i in range(start, start + n):
            client = make_user(f"c{i}@example.org", "client", f"Client {i}")
            _prefs(client, diary_reminders=True, diary_time=time(9, 0))
            episode = CareEpisode.objects.create(clinic=clinic, client=client, therapist=therapist)
            _open_checkin(episode, at)

    add(3, 0)
    with django_assert_max_num_queries(12):
        reminders_scan(now=at)
    add(40, 10)
    with django_assert_max_num_queries(12):
        report = reminders_scan(now=at + timedelta(minutes=1))
    assert (report.checkin, report.diary) == (40, 40)


# --- therapist notices ------------------------------------------------------------------------


def _alert(episode, category, severity=Severity.HIGH):
    number = Alert.objects.count() + 1
    if category == AlertCategory.RUPTURE:
        session = Session.objects.create(
            episode=episode, number=number, scheduled_at=datetime(2026, 6, number, tzinfo=UTC)
        )
        return Alert.objects.create(
            episode=episode,
            category=category,
            severity=severity,
            session=session,
            summary="internal summary 9",
        )
    return Alert.objects.create(
        episode=episode,
        category=category,
        severity=severity,
        source_key=f"test:{number}",
        summary="internal summary 9",
    )


def test_a_risk_answer_emails_the_therapist_at_once_without_content(episode, therapist):
    alert = _alert(episode, AlertCategory.RISK)
    report = reminders_scan()
    assert report.risk == 1
    message = OutboxMessage.objects.get(kind=MessageKind.RISK_NOTICE)
    assert message.recipient == therapist
    body = body_of(message)
    assert f"/alerts/{alert.pk}/" in body
    assert "internal summary" not in body
    assert "Carla" not in body and "Carla" not in message.subject
    queued = DBTaskResult.objects.filter(task_path__endswith="deliver_message")
    assert [r.args_kwargs["args"] for r in queued] == [[str(message.pk)]]  # sent now, not later
    assert reminders_scan().risk == 0


def test_a_therapist_can_turn_the_risk_email_off(episode, therapist):
    _prefs(therapist, risk_email=False)
    _alert(episode, AlertCategory.RISK)
    assert reminders_scan().risk == 0


def test_risk_emails_ignore_quiet_hours(episode, therapist):
    night = datetime(2026, 6, 3, 3, 0, tzinfo=UTC)  # 23:00 in Toronto
    alert = _alert(episode, AlertCategory.RISK)
    Alert.objects.filter(pk=alert.pk).update(created_at=night)
    reminders_scan(now=night)
    assert OutboxMessage.objects.get(kind=MessageKind.RISK_NOTICE).due_at == night


def test_high_priority_ruptures_go_in_one_daily_digest(episode, therapist):
    now = datetime(2026, 6, 2, 15, 0, tzinfo=UTC)  # 11:00 in Toronto, past the 08:00 digest
    for _ in range(2):
        alert = _alert(episode, AlertCategory.RUPTURE)
        Alert.objects.filter(pk=alert.pk).update(created_at=now)
    low = _alert(episode, AlertCategory.RUPTURE, Severity.LOW)
    Alert.objects.filter(pk=low.pk).update(created_at=now)
    reminders_scan(now=now)
    reminders_scan(now=now + timedelta(minutes=1))
    digest = OutboxMessage.objects.get(kind=MessageKind.RUPTURE_DIGEST, state=MessageState.QUEUED)
    assert digest.due_at == datetime(2026, 6, 3, 8, 0, tzinfo=TORONTO)
    assert OutboxMessage.objects.filter(state=MessageState.CANCELLED).count() == 2


def test_a_therapist_who_chose_at_once_gets_each_high_rupture_alert(episode, therapist):
    _prefs(therapist, rupture_notices=RuptureNoticeMode.IMMEDIATE)
    _alert(episode, AlertCategory.RUPTURE)
    assert reminders_scan().rupture == 1
    assert OutboxMessage.objects.get().kind == MessageKind.RUPTURE_NOTICE


# --- the pause link and the settings page -----------------------------------------------------


def test_the_pause_link_asks_then_pauses_without_signing_in(client_user):
    browser = Client()
    url = f"/pause/{pause_token(client_user)}/"
    page = browser.get(url)
    assert page.status_code == 200
    assert "Pause for 7 days" in page.content.decode()
    assert not MessagePreferences.objects.filter(user=client_user).exists()  # a GET changes nothing
    done = browser.post(url)
    assert done.status_code == 200
    assert "Reminders are paused" in done.content.decode()
    prefs = MessagePreferences.objects.get(user=client_user)
    assert prefs.paused_until is not None
    assert "_auth_user_id" not in browser.session  # it did not sign anyone in


@pytest.mark.parametrize("token", ["nonsense", "eyJ1IjoiMSJ9:1t:abc"])
def test_a_broken_pause_link_is_refused_kindly(db, token):
    response = Client().post(f"/pause/{token}/")
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()


def test_an_old_pause_link_has_expired(client_user, time_machine):
    time_machine.move_to(datetime(2026, 1, 1, tzinfo=UTC))
    token = pause_token(client_user)
    time_machine.move_to(datetime(2026, 4, 1, tzinfo=UTC))
    assert Client().post(f"/pause/{token}/").status_code == 410


def test_the_client_saves_reminder_settings(client_user, login):
    browser = login(client_user)
    response = browser.post(
        "/settings/messages/",
        {
            "email": "on",
            "checkin_reminders": "on",
            "diary_reminders": "on",
            "diary_time": "19:00",
            "quiet_start": "22:00",
            "quiet_end": "07:30",
            "pause_days": "3",
        },
    )
    assert response.status_code == 302
    prefs = MessagePreferences.objects.get(user=client_user)
    assert prefs.diary_reminders and prefs.diary_time == time(19, 0)
    assert prefs.questionnaire_reminders is False
    assert prefs.quiet_start == time(22, 0)
    assert prefs.paused_until is not None
    assert "Reminders are paused until" in browser.get("/settings/messages/").content.decode()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "end at another time"),
        ({"diary_reminders": "on", "diary_time": "23:00"}, "inside your quiet hours"),
        ({"diary_time": "25:00"}, "Enter a valid time"),
    ],
)
def test_settings_that_cannot_work_are_refused(client_user, login, fields, error):
    data = {"email": "on", "diary_time": "19:00", "quiet_start": "21:00", "quiet_end": "08:00"}
    response = login(client_user).post("/settings/messages/", {**data, **fields})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not MessagePreferences.objects.filter(user=client_user).exists()


def test_a_therapist_sees_only_their_own_settings(therapist, login):
    html = login(therapist).get("/settings/messages/").content.decode()
    assert "safety needs follow-up" in html
    assert "diary card every day" not in html


# --- questionnaires ---------------------------------------------------------------------------


def test_an_open_questionnaire_gets_one_reminder_and_none_once_answered(episode, client_user):
    from alliance.outcomes.schedule import ScheduleSpec
    from alliance.outcomes.selectors import questionnaire_for
    from alliance.outcomes.services import response_submit, schedule_set

    schedule_set(
        episode=episode, instrument_id="gad7", spec=ScheduleSpec(at_intake=True), actor=None
    )
    now = datetime.now(UTC).replace(hour=16, minute=0) + timedelta(days=1)  # daytime in Toronto
    assert reminders_scan(now=now).questionnaire == 1
    assert reminders_scan(now=now + timedelta(minutes=1)).questionnaire == 0
    message = OutboxMessage.objects.get(kind=MessageKind.QUESTIONNAIRE_REMINDER)
    assert message.idempotency_key == f"questionnaire:{episode.pk}:gad7:intake"
    questionnaire = questionnaire_for(episode, "gad7", "intake", now=now)
    assert questionnaire is not None
    response_submit(
        questionnaire=questionnaire,
        client=client_user,
        answers=dict.fromkeys((f"gad7_{n}" for n in range(1, 8)), "1"),
        form_token=uuid.uuid4(),
    )
    report = messages_deliver_due(now=now + timedelta(minutes=2))
    assert report.skipped == 1
    message.refresh_from_db()
    assert message.skip_reason == "The questionnaire was already answered."


def test_no_questionnaire_reminder_for_a_client_who_turned_them_off(episode, client_user):
    from alliance.outcomes.schedule import ScheduleSpec
    from alliance.outcomes.services import schedule_set

    _prefs(client_user, questionnaire_reminders=False)
    schedule_set(
        episode=episode, instrument_id="gad7", spec=ScheduleSpec(at_intake=True), actor=None
    )
    assert reminders_scan().questionnaire == 0
