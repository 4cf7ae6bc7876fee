"""A session's check-in opens by itself when its scheduled end has passed, unless the therapist
marked it missed or cancelled; the therapist can still correct it afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alliance.audit.models import AuditEvent
from alliance.messaging.models import MessageKind, OutboxMessage
from alliance.messaging.reminders import reminders_scan
from alliance.people.models import Session, SessionStatus
from alliance.people.services import session_set_status, sessions_open_ended

START = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)  # 10:00 in Toronto


def _book(episode, at=START, minutes=50, number=1):
    return Session.objects.create(
        episode=episode, number=number, scheduled_at=at, duration_minutes=minutes
    )


def test_the_checkin_opens_when_the_session_ends_not_before(episode):
    session = _book(episode)
    assert sessions_open_ended(now=START + timedelta(minutes=49)) == 0
    assert sessions_open_ended(now=START + timedelta(minutes=50)) == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.ATTENDED
    assert session.checkin_is_open(START + timedelta(minutes=51))
    assert session.checkin_closes_at == START + timedelta(minutes=50, hours=72)


def test_the_session_length_decides_when_it_ends(episode):
    _book(episode, minutes=90)
    assert sessions_open_ended(now=START + timedelta(minutes=60)) == 0
    assert sessions_open_ended(now=START + timedelta(minutes=90)) == 1


@pytest.mark.parametrize(
    "status",
    [SessionStatus.MISSED, SessionStatus.CANCELLED_CLIENT, SessionStatus.CANCELLED_THERAPIST],
)
def test_a_session_marked_missed_or_cancelled_stays_so(episode, status):
    session = _book(episode)
    session_set_status(
        session=session, status=status, actor=episode.therapist, now=START + timedelta(minutes=5)
    )
    assert sessions_open_ended(now=START + timedelta(hours=1)) == 0
    session.refresh_from_db()
    assert session.status == status
    assert session.checkin_opens_at is None


def test_an_old_unrecorded_session_is_left_for_the_therapist(episode):
    session = _book(episode)
    assert sessions_open_ended(now=START + timedelta(days=2)) == 0
    session.refresh_from_db()
    assert session.status == SessionStatus.SCHEDULED


def test_an_ended_care_episode_opens_nothing(episode):
    _book(episode)
    episode.status = "ended"
    episode.save(update_fields=["status"])
    assert sessions_open_ended(now=START + timedelta(hours=1)) == 0


def test_it_is_recorded_as_done_by_the_system_and_the_therapist_can_correct_it(episode, therapist):
    session = _book(episode)
    sessions_open_ended(now=START + timedelta(hours=1))
    row = AuditEvent.objects.get(record_id=str(session.id), detail="attended_at_end")
    assert row.actor is None
    session_set_status(
        session=session,
        status=SessionStatus.MISSED,
        actor=therapist,
        now=START + timedelta(hours=2),
    )
    session.refresh_from_db()
    assert session.status == SessionStatus.MISSED
    assert not session.checkin_is_open(START + timedelta(hours=3))


def test_the_reminder_follows(episode):
    _book(episode)
    now = START + timedelta(minutes=51)
    sessions_open_ended(now=now)
    assert reminders_scan(now=now).checkin == 1
    assert OutboxMessage.objects.get().kind == MessageKind.CHECKIN_REMINDER


def test_a_second_pass_opens_nothing_more(episode):
    _book(episode)
    assert sessions_open_ended(now=START + timedelta(hours=1)) == 1
    assert sessions_open_ended(now=START + timedelta(hours=1, minutes=1)) == 0
