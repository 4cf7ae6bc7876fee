"""Planned absences: recording one, the notices, the client's home page, the cover's access.

Teresa (``therapist``) is away Monday 15 to Friday 19 March 2027, in Harbour Clinic's zone
(America/Toronto, where the clocks go forward on Sunday 14 March 2027). Omar
(``other_therapist``) covers. Carla (``client_user``) is Teresa's client.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from alliance.absences.models import Absence, AbsenceCancellation, AbsenceNotice
from alliance.absences.notices import absence_notices_scan, cover_risk_notices_scan
from alliance.absences.services import (
    AbsenceError,
    AbsenceInput,
    absence_cancel,
    absence_create,
)
from alliance.audit.models import AuditEvent
from alliance.checkins.services import checkin_submit
from alliance.messaging.models import MessageKind, MessagePreferences, MessageState, OutboxMessage
from alliance.messaging.services import messages_deliver_due
from alliance.people.models import Session, SessionStatus
from alliance.people.services import session_schedule
from alliance.ruptures.models import Alert, AlertState
from alliance.ruptures.services import AlertError, alert_acknowledge, alert_raise
from tests.conftest import GOOD_ANSWERS

TORONTO = ZoneInfo("America/Toronto")
START, END = date(2027, 3, 15), date(2027, 3, 19)
RECORDED = datetime(2027, 2, 1, 15, 0, tzinfo=UTC)
LEAD_AT = datetime(2027, 2, 15, 14, 0, tzinfo=UTC)  # 09:00 EST
WEEK_AT = datetime(2027, 3, 8, 14, 0, tzinfo=UTC)  # 09:00 EST
DAY_BEFORE_AT = datetime(2027, 3, 14, 13, 0, tzinfo=UTC)  # 09:00 EDT, the day clocks go forward
BEGINS = datetime(2027, 3, 15, 4, 0, tzinfo=UTC)  # midnight EDT
ENDS = datetime(2027, 3, 20, 4, 0, tzinfo=UTC)  # the midnight after the last day
PERSONAL = "I'll be thinking of our work. <b>See you on the 22nd.</b>"


def _local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TORONTO)


@pytest.fixture
def absence(therapist, other_therapist, episode, other_episode) -> Absence:
    with time_machine.travel(RECORDED, tick=False):
        return absence_create(
            therapist=therapist,
            data=AbsenceInput(
                starts_on=START,
                ends_on=END,
                cover=other_therapist,
                cover_contact="Front desk 416-555-0100, ext. 2",
                message_to_clients=PERSONAL,
            ),
        )


def _form(cover, **overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "starts_on": START.isoformat(),
        "ends_on": END.isoformat(),
        "cover": str(cover.pk),
        "cover_contact": "Front desk, ext. 2",
        "message_to_clients": "",
        "lead_days": "28",
    }
    data.update(overrides)
    return data


# --- recording an absence ------------------------------------------------------------------


@time_machine.travel(RECORDED, tick=False)
def test_recording_an_absence_cancels_the_sessions_on_its_days_and_no_other(
    login, therapist, other_therapist, episode
):
    inside = session_schedule(episode=episode, scheduled_at=_local(START, 10), actor=therapist)
    last_day = session_schedule(episode=episode, scheduled_at=_local(END, 23), actor=therapist)
    after = session_schedule(
        episode=episode, scheduled_at=_local(END + timedelta(days=1), 0), actor=therapist
    )
    response = login(therapist).post(reverse("absences"), _form(other_therapist))
    absence = Absence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("absence_detail", args=[absence.id])
    statuses = {s.pk: s.status for s in Session.objects.all()}
    assert statuses == {
        inside.pk: SessionStatus.CANCELLED_THERAPIST,
        last_day.pk: SessionStatus.CANCELLED_THERAPIST,
        after.pk: SessionStatus.SCHEDULED,
    }
    assert set(AbsenceCancellation.objects.values_list("session_id", flat=True)) == {
        inside.pk,
        last_day.pk,
    }
    page = login(therapist).get(reverse("absence_detail", args=[absence.id])).content.decode()
    assert page.count("cancelled: therapist away") == 2


@time_machine.travel(RECORDED, tick=False)
def test_a_session_booked_into_the_absence_later_is_cancelled_too(absence, therapist, episode):
    session = session_schedule(episode=episode, scheduled_at=_local(START, 14), actor=therapist)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED_THERAPIST
    assert AbsenceCancellation.objects.filter(session=session, absence=absence).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": "2027-03-14"}, "is before the first"),
        ({"starts_on": "2027-01-31", "ends_on": "2027-02-03"}, "already passed"),
        ({"lead_days": "0"}, "greater than or equal to 1"),
        ({"cover_contact": ""}, "This field is required"),
        ({"starts_on": ""}, "This field is required"),
        ({"ends_on": "2027-02-30"}, "Enter a valid date"),
    ],
)
@time_machine.travel(RECORDED, tick=False)
def test_bad_dates_and_fields_are_refused_with_what_to_fix(
    login, therapist, other_therapist, overrides, message
):
    response = login(therapist).post(reverse("absences"), _form(other_therapist, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Absence.objects.count() == 0


@time_machine.travel(RECORDED, tick=False)
def test_the_cover_cannot_be_yourself_or_from_another_clinic(
    login, therapist, other_therapist, stranger, admin
):
    for cover in (therapist, stranger, admin):
        response = login(therapist).post(reverse("absences"), _form(cover))
        assert response.status_code == 400
        assert "Please choose a therapist of your clinic." in response.content.decode()
    # The service says so in its own words, whatever form sent it.
    data = AbsenceInput(starts_on=START, ends_on=END, cover=therapist, cover_contact="x")
    with pytest.raises(AbsenceError, match="can't cover your own absence"):
        absence_create(therapist=therapist, data=data)
    data = AbsenceInput(starts_on=START, ends_on=END, cover=stranger, cover_contact="x")
    with pytest.raises(AbsenceError, match="must be a therapist of your clinic"):
        absence_create(therapist=therapist, data=data)
    assert Absence.objects.count() == 0


@time_machine.travel(RECORDED, tick=False)
def test_an_overlapping_absence_is_refused_and_names_the_other(
    login, absence, therapist, other_therapist
):
    form = _form(other_therapist, starts_on="2027-03-19", ends_on="2027-03-26")
    response = login(therapist).post(reverse("absences"), form)
    assert response.status_code == 400
    assert "overlap your absence from Monday 15 March 2027 to Friday 19 March 2027" in (
        response.content.decode()
    )
    # The day after the last is free.
    form = _form(other_therapist, starts_on="2027-03-20", ends_on="2027-03-26")
    assert login(therapist).post(reverse("absences"), form).status_code == 302
    assert Absence.objects.count() == 2


@time_machine.travel(RECORDED, tick=False)
def test_what_was_typed_comes_back_after_an_error(login, therapist, other_therapist):
    form = _form(other_therapist, ends_on="2027-03-01", message_to_clients="Take care of you.")
    page = login(therapist).post(reverse("absences"), form).content.decode()
    assert "Take care of you." in page
    assert 'value="Front desk, ext. 2"' in page


# --- notices ---------------------------------------------------------------------------------


def _scan(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return absence_notices_scan(now=at)


def test_each_notice_goes_at_nine_clinic_time_once_per_client(absence, client_user, other_client):
    assert _scan(LEAD_AT - timedelta(seconds=1)) == 0
    assert _scan(LEAD_AT) == 1  # Carla; Olivia is Omar's client
    assert _scan(LEAD_AT + timedelta(minutes=5)) == 0
    assert _scan(WEEK_AT - timedelta(seconds=1)) == 0
    assert _scan(WEEK_AT) == 1
    # Across the change of the clocks: 09:00 EDT is 13:00 UTC, an hour earlier than the week's.
    assert _scan(DAY_BEFORE_AT - timedelta(seconds=1)) == 0
    assert _scan(DAY_BEFORE_AT) == 1
    assert _scan(BEGINS) == 0
    told = AbsenceNotice.objects.filter(client=client_user).order_by("queued_at")
    assert [(n.kind, n.queued_at) for n in told] == [
        ("lead", LEAD_AT),
        ("week", WEEK_AT),
        ("day_before", DAY_BEFORE_AT),
    ]
    keys = OutboxMessage.objects.filter(kind=MessageKind.ABSENCE_NOTICE).values_list(
        "idempotency_key", flat=True
    )
    assert len(set(keys)) == 3
    assert not AbsenceNotice.objects.filter(client=other_client).exists()


def test_the_email_says_when_who_covers_and_how_to_reach_them_but_not_the_message(
    absence, client_user
):
    _scan(LEAD_AT)
    with time_machine.travel(LEAD_AT, tick=False):
        report = messages_deliver_due(now=LEAD_AT)
    assert report.sent == 1
    [email] = mail.outbox
    assert email.to == [client_user.email]
    assert email.subject == "Teresa will be away from Monday 15 March"
    assert "Teresa will be away from Monday 15 March to Friday 19 March" in email.body
    assert "Omar Osei at Harbour Clinic is there for you" in email.body
    assert "Front desk 416-555-0100, ext. 2" in email.body
    assert "don't count as missed" in email.body
    assert "thinking of our work" not in email.body  # behind the sign-in, on the home page


def test_cancelling_stops_every_notice_still_to_go(absence, therapist, client_user):
    _scan(LEAD_AT)
    queued = OutboxMessage.objects.get(kind=MessageKind.ABSENCE_NOTICE)
    with time_machine.travel(LEAD_AT - timedelta(minutes=1), tick=False):
        # Cancelled in the minute between the scan and the send.
        OutboxMessage.objects.filter(pk=queued.pk).update(due_at=LEAD_AT + timedelta(minutes=1))
        absence_cancel(absence=absence, actor=therapist)
    queued.refresh_from_db()
    assert queued.state == MessageState.CANCELLED
    assert _scan(WEEK_AT) == 0
    assert _scan(DAY_BEFORE_AT) == 0
    with time_machine.travel(DAY_BEFORE_AT, tick=False):
        messages_deliver_due(now=DAY_BEFORE_AT)
    assert mail.outbox == []


def test_a_notice_queued_before_a_cancel_is_skipped_when_it_comes_due(absence, therapist):
    _scan(LEAD_AT)
    Absence.objects.filter(pk=absence.pk).update(cancelled_at=LEAD_AT)  # as a restore might
    with time_machine.travel(LEAD_AT, tick=False):
        messages_deliver_due(now=LEAD_AT)
    message = OutboxMessage.objects.get(kind=MessageKind.ABSENCE_NOTICE)
    assert (message.state, message.skip_reason) == (
        MessageState.SKIPPED,
        "The absence was cancelled.",
    )
    assert mail.outbox == []


def test_a_client_with_email_off_is_told_on_their_home_page_only(absence, client_user):
    MessagePreferences.objects.create(user=client_user, email=False)
    assert _scan(LEAD_AT) == 1
    notice = AbsenceNotice.objects.get()
    assert notice.message is None
    assert not OutboxMessage.objects.filter(kind=MessageKind.ABSENCE_NOTICE).exists()


def test_an_absence_recorded_late_tells_clients_at_once_with_the_latest_notice(
    therapist, other_therapist, episode, client_user
):
    late = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    with time_machine.travel(late, tick=False):
        absence_create(
            therapist=therapist,
            data=AbsenceInput(
                starts_on=START, ends_on=END, cover=other_therapist, cover_contact="ext. 2"
            ),
        )
    assert _scan(late) == 1
    assert list(AbsenceNotice.objects.values_list("kind", flat=True)) == ["week"]


def test_the_therapist_sees_who_has_been_told(login, absence, therapist, client_user):
    _scan(LEAD_AT)
    with time_machine.travel(LEAD_AT + timedelta(minutes=2), tick=False):
        messages_deliver_due(now=LEAD_AT + timedelta(minutes=2))
        page = login(therapist).get(reverse("absence_detail", args=[absence.id])).content.decode()
    assert "Carla Client" in page
    assert "✓ Mon 15 Feb, 09:02" in page  # in Teresa's own time zone
    assert page.count("<td>—</td>") == 2  # the week and day-before notices, not yet


# --- the client's home page ------------------------------------------------------------------


def _home(login, client_user, at: datetime) -> str:
    with time_machine.travel(at, tick=False):
        return login(client_user).get(reverse("client_home")).content.decode()


def test_the_home_page_shows_the_absence_from_the_lead_day_until_it_ends(
    login, absence, client_user
):
    lead_day = datetime(2027, 2, 15, 5, 0, tzinfo=UTC)  # 00:00 EST on the lead day
    assert "will be away" not in _home(login, client_user, lead_day - timedelta(seconds=1))
    page = _home(login, client_user, lead_day)
    assert "Teresa will be away for a while" in page
    assert "Omar Osei is there for you" in page
    assert "Front desk 416-555-0100, ext. 2" in page
    assert "I&#x27;ll be thinking of our work. &lt;b&gt;See you" in page  # escaped, kept
    assert "don't count as missed" in page
    assert "will be away" in _home(login, client_user, ENDS - timedelta(seconds=1))
    assert "will be away" not in _home(login, client_user, ENDS)


def test_the_home_page_of_another_therapists_client_shows_nothing(login, absence, other_client):
    assert "will be away" not in _home(login, other_client, BEGINS)


def test_an_ended_episode_with_the_away_therapist_shows_nothing(
    login, absence, other_client, therapist, other_episode
):
    # Olivia's care with Teresa (away) has ended; her care with Omar goes on: nothing to tell.
    from alliance.people.models import CareEpisode, EpisodeStatus

    CareEpisode.objects.create(
        clinic=therapist.clinic,
        client=other_client,
        therapist=therapist,
        status=EpisodeStatus.ENDED,
        started_on=date(2026, 1, 5),
        ended_on=date(2026, 6, 1),
    )
    assert "will be away" not in _home(login, other_client, BEGINS)
    # The other way round (care with Omar ended, with Teresa again): she is told.
    CareEpisode.objects.filter(pk=other_episode.pk).update(
        status=EpisodeStatus.ENDED, ended_on=date(2026, 12, 1)
    )
    CareEpisode.objects.filter(client=other_client, therapist=therapist).update(
        status=EpisodeStatus.ACTIVE, ended_on=None
    )
    assert "will be away" in _home(login, other_client, BEGINS)


def test_the_home_page_reads_the_care_episodes_once(login, absence, client_user):
    # The absence notice uses the episodes the rest of the page has read (alliance/memo.py).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(BEGINS, tick=False):
        browser = login(client_user)
        browser.get(reverse("client_home"))
        with CaptureQueriesContext(connection) as page:
            text = browser.get(reverse("client_home")).content.decode()
    assert "will be away" in text
    episode_reads = [
        q["sql"]
        for q in page.captured_queries
        if q["sql"].startswith('SELECT "people_careepisode"."id"')
    ]
    assert len(episode_reads) == 1, episode_reads


# --- the cover's access ----------------------------------------------------------------------


def _summary(login, user, client, at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return login(user).get(reverse("cover_summary", args=[client.id])).status_code


def test_cover_access_starts_and_ends_by_itself_at_local_midnight(
    login, absence, other_therapist, client_user
):
    assert _summary(login, other_therapist, client_user, BEGINS - timedelta(seconds=1)) == 404
    assert _summary(login, other_therapist, client_user, BEGINS) == 200
    assert _summary(login, other_therapist, client_user, ENDS - timedelta(seconds=1)) == 200
    assert _summary(login, other_therapist, client_user, ENDS) == 404


def test_cover_access_ends_when_the_absence_is_cancelled(
    login, absence, therapist, other_therapist, client_user
):
    assert _summary(login, other_therapist, client_user, BEGINS + timedelta(hours=10)) == 200
    with time_machine.travel(BEGINS + timedelta(hours=11), tick=False):
        absence_cancel(absence=absence, actor=therapist)
    assert _summary(login, other_therapist, client_user, BEGINS + timedelta(hours=12)) == 404


def test_only_the_cover_gets_in_and_only_to_the_absent_therapists_clients(
    login, absence, therapist, make_user, stranger, client_user, other_client
):
    during = BEGINS + timedelta(hours=10)
    third = make_user("tia@example.org", "therapist", "Tia Third")
    assert _summary(login, third, client_user, during) == 404
    assert _summary(login, stranger, client_user, during) == 404
    assert _summary(login, therapist, client_user, during) == 200  # her own client
    assert _summary(login, therapist, other_client, during) == 404


def test_the_covers_reading_is_audited_and_shown_to_the_client(
    login, absence, other_therapist, client_user
):
    at = BEGINS + timedelta(hours=14)
    assert _summary(login, other_therapist, client_user, at) == 200
    event = AuditEvent.objects.get(
        actor=other_therapist, subject=client_user, route="cover_summary"
    )
    assert (event.record_type, event.action, event.detail) == ("care_episode", "view", "cover")
    with time_machine.travel(at + timedelta(minutes=5), tick=False):
        page = login(client_user).get(reverse("access_log")).content.decode()
    assert "<strong>Omar Osei</strong> (covering while your therapist was away)" in page


def test_the_cover_sees_the_absent_therapists_clients_and_risk_answers_on_the_caseload(
    login, absence, other_therapist, episode, client_user
):
    at = BEGINS + timedelta(hours=14)
    risk, _ = alert_raise(
        episode=episode, category="risk", severity=3, summary="x", source_key="d:1", now=at
    )
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        page = login(other_therapist).get(reverse("caseload")).content.decode()
    assert "Covering for Teresa Tran" in page
    assert reverse("cover_summary", args=[client_user.id]) in page
    assert reverse("alert_detail", args=[risk.id]) in page
    assert AuditEvent.objects.filter(
        actor=other_therapist, subject=client_user, route="caseload", detail="cover"
    ).exists()
    with time_machine.travel(ENDS, tick=False):
        page = login(other_therapist).get(reverse("caseload")).content.decode()
    assert "Covering for" not in page


def test_the_cover_acts_on_a_risk_answer_during_the_absence_only(
    login, absence, other_therapist, episode, attend
):
    at = BEGINS + timedelta(hours=14)
    risk, _ = alert_raise(
        episode=episode, category="risk", severity=3, summary="x", source_key="d:1", now=at
    )
    with time_machine.travel(at, tick=False):
        answered = attend(episode, 1, at)
        checkin_submit(
            session=answered,
            client=episode.client,
            answers={**GOOD_ANSWERS, "tension": "2"},
            form_token=uuid.uuid4(),
        )
    rupture = Alert.objects.get(session=answered)
    with time_machine.travel(at + timedelta(minutes=3), tick=False):
        browser = login(other_therapist)
        assert browser.get(reverse("alert_detail", args=[rupture.id])).status_code == 404
        page = browser.get(reverse("alert_detail", args=[risk.id])).content.decode()
        assert "covering for Teresa Tran" in page
        # The plan's own pages are the therapist's: the cover is sent to the summary instead.
        assert "No safety plan yet." in page
        assert reverse("safety_plan_edit", args=[episode.client.id]) not in page
        response = browser.post(reverse("alert_acknowledge", args=[risk.id]))
        assert response.status_code == 302
    risk.refresh_from_db()
    assert (risk.state, risk.acknowledged_by) == (AlertState.ACKNOWLEDGED, other_therapist)
    later, _ = alert_raise(
        episode=episode, category="risk", severity=3, summary="z", source_key="d:2", now=at
    )
    with time_machine.travel(ENDS, tick=False):
        assert login(other_therapist).get(reverse("alert_detail", args=[later.id])).status_code == (
            404
        )
        with pytest.raises(AlertError):
            alert_acknowledge(alert=later, actor=other_therapist)


def test_a_risk_answer_during_the_absence_emails_the_cover_once(absence, other_therapist, episode):
    at = BEGINS + timedelta(hours=14)
    before, _ = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="x",
        source_key="d:0",
        now=BEGINS - timedelta(hours=1),
    )
    risk, _ = alert_raise(
        episode=episode, category="risk", severity=3, summary="x", source_key="d:1", now=at
    )
    with time_machine.travel(at, tick=False):
        assert [m.about_id for m in cover_risk_notices_scan(now=at)] == [risk.id]
        assert cover_risk_notices_scan(now=at) == []
    message = OutboxMessage.objects.get(recipient=other_therapist)
    assert (message.kind, message.about_id) == (MessageKind.RISK_NOTICE, risk.id)
    assert before.id != risk.id


# --- cancelling ------------------------------------------------------------------------------


def test_cancelling_puts_the_sessions_still_ahead_back_on_the_calendar(
    therapist, other_therapist, episode
):
    with time_machine.travel(RECORDED, tick=False):
        session = session_schedule(episode=episode, scheduled_at=_local(START, 10), actor=therapist)
        absence = absence_create(
            therapist=therapist,
            data=AbsenceInput(
                starts_on=START, ends_on=END, cover=other_therapist, cover_contact="ext. 2"
            ),
        )
        session.refresh_from_db()
        assert session.status == SessionStatus.CANCELLED_THERAPIST
        absence_cancel(absence=absence, actor=therapist)
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED
    assert AbsenceCancellation.objects.get().restored_at == RECORDED


def test_someone_else_cannot_cancel_the_absence(login, absence, other_therapist):
    response = login(other_therapist).post(reverse("absence_cancel", args=[absence.id]))
    assert response.status_code == 404
    absence.refresh_from_db()
    assert absence.cancelled_at is None


def test_cover_access_ends_at_local_midnight_after_the_november_change(
    login, therapist, other_therapist, episode, client_user
):
    # Away Monday 1 to Sunday 7 November 2027; the clocks go back at 02:00 on the 7th.
    with time_machine.travel(RECORDED, tick=False):
        absence_create(
            therapist=therapist,
            data=AbsenceInput(
                starts_on=date(2027, 11, 1),
                ends_on=date(2027, 11, 7),
                cover=other_therapist,
                cover_contact="ext. 2",
            ),
        )
    begins = datetime(2027, 11, 1, 4, 0, tzinfo=UTC)  # midnight EDT
    ends = datetime(2027, 11, 8, 5, 0, tzinfo=UTC)  # midnight EST, 25 hours after the 7th began
    assert _summary(login, other_therapist, client_user, begins - timedelta(seconds=1)) == 404
    assert _summary(login, other_therapist, client_user, begins) == 200
    assert _summary(login, other_therapist, client_user, ends - timedelta(seconds=1)) == 200
    assert _summary(login, other_therapist, client_user, ends) == 404


@time_machine.travel(RECORDED, tick=False)
def test_a_replayed_post_records_the_absence_once(login, therapist, other_therapist, episode):
    browser = login(therapist)
    assert browser.post(reverse("absences"), _form(other_therapist)).status_code == 302
    replay = browser.post(reverse("absences"), _form(other_therapist))
    assert replay.status_code == 400
    assert "overlap your absence" in replay.content.decode()
    assert Absence.objects.count() == 1


def test_the_cover_reads_the_clients_safety_plan_and_that_reading_is_audited(
    login, absence, other_therapist, client_user, episode
):
    from alliance.safetyplan.services import safety_plan_save

    at = BEGINS + timedelta(hours=14)
    with time_machine.travel(at - timedelta(days=30), tick=False):
        version = safety_plan_save(
            episode=episode,
            actor=client_user,
            texts={"warning_signs": "Not sleeping <b>at all</b>"},
            base_version=0,
        )
    with time_machine.travel(at, tick=False):
        page = login(other_therapist).get(reverse("cover_summary", args=[client_user.id]))
    html = page.content.decode()
    assert "Not sleeping &lt;b&gt;at all&lt;/b&gt;" in html
    assert "Not yet gone through together." in html
    assert version is not None
    event = AuditEvent.objects.get(actor=other_therapist, record_type="safety_plan")
    assert (event.subject_id, event.action, event.detail) == (client_user.id, "view", "cover")


def test_the_covers_summary_says_when_there_is_no_safety_plan(
    login, absence, other_therapist, client_user
):
    with time_machine.travel(BEGINS + timedelta(hours=14), tick=False):
        html = login(other_therapist).get(reverse("cover_summary", args=[client_user.id]))
    assert "No safety plan yet." in html.content.decode()
    assert not AuditEvent.objects.filter(record_type="safety_plan").exists()
