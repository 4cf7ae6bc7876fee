"""The caseload's gentle "Not heard from in a while" block, and the dropout-risk badge."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.checkins.services import checkin_submit
from alliance.people.models import CareEpisode, Role, Session, SessionStatus, User
from alliance.people.selectors import caseload, not_heard_from
from alliance.people.services import session_set_status
from tests.conftest import GOOD_ANSWERS, PASSWORD

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _now() -> datetime:
    return NOW


def add_client(clinic, therapist, name, *, started_days_ago=60, last_login_days_ago=None):
    now = _now()
    user = User.objects.create_user(
        f"{uuid.uuid4().hex[:8]}@example.org",
        PASSWORD,
        full_name=name,
        role=Role.CLIENT,
        clinic=clinic,
    )
    if last_login_days_ago is not None:
        user.last_login = now - timedelta(days=last_login_days_ago)
        user.save(update_fields=["last_login"])
    return CareEpisode.objects.create(
        clinic=clinic,
        client=user,
        therapist=therapist,
        started_on=(now - timedelta(days=started_days_ago)).date(),
    )


def answered(episode, days_ago):
    at = _now() - timedelta(days=days_ago)
    number = episode.sessions.count() + 1
    session = Session.objects.create(
        episode=episode, number=number, scheduled_at=at - timedelta(hours=1)
    )
    session = session_set_status(
        session=session, status="attended", actor=episode.therapist, now=at
    )
    checkin_submit(
        session=session,
        client=episode.client,
        answers=GOOD_ANSWERS,
        form_token=uuid.uuid4(),
        now=at + timedelta(minutes=5),
    )


def test_a_client_quiet_for_21_days_is_listed_and_20_days_is_not(clinic, therapist):
    quiet = add_client(clinic, therapist, "Quinn Quiet")
    answered(quiet, 21)
    recent = add_client(clinic, therapist, "Rita Recent")
    answered(recent, 20)
    # 21 days to the minute after the check-in (submitted five minutes after the session).
    now = _now() + timedelta(minutes=5)
    rows = caseload(therapist, now=now)
    assert [row.episode.client.full_name for row in not_heard_from(rows)] == ["Quinn Quiet"]


def test_a_sign_in_counts_as_being_heard_from(clinic, therapist):
    episode = add_client(clinic, therapist, "Sam Signedin", last_login_days_ago=3)
    answered(episode, 40)
    assert not_heard_from(caseload(therapist, now=_now())) == []


def test_someone_new_is_not_listed_before_21_days_in_care(clinic, therapist):
    add_client(clinic, therapist, "Nora New", started_days_ago=10)
    add_client(clinic, therapist, "Otto Older", started_days_ago=30)
    names = [r.episode.client.full_name for r in not_heard_from(caseload(therapist, now=_now()))]
    assert names == ["Otto Older"]


def test_the_clinic_can_change_the_days(clinic, therapist):
    clinic.dropout_settings = {"quiet_days": 45}
    clinic.save(update_fields=["dropout_settings"])
    episode = add_client(clinic, therapist, "Quinn Quiet")
    answered(episode, 30)
    assert not_heard_from(caseload(therapist, now=_now())) == []


def test_the_block_reads_gently_and_queries_do_not_grow(clinic, therapist, login):
    def page() -> tuple[str, int]:
        client = login(therapist)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/caseload/").content.decode()
        return html, len(ctx.captured_queries)

    with time_machine.travel(_now(), tick=False):
        add_client(clinic, therapist, "Quinn Quiet", started_days_ago=40)
        page()  # the footer's crisis lines, then cached
        _html, small = page()
        for i in range(6):
            add_client(clinic, therapist, f"Quiet {i}", started_days_ago=40)
        html, large = page()
    assert small == large
    assert "Not heard from in a while" in html
    assert "a short, warm hello can make it easier to come back" in html
    assert "Quinn Quiet</a>" in html


def test_a_dropout_risk_alert_shows_a_badge_and_a_reason(clinic, therapist, login):
    episode = add_client(clinic, therapist, "Dana Drift", started_days_ago=200)
    now = _now()
    for number, days in enumerate((21, 14, 7), start=1):
        session = Session.objects.create(
            episode=episode, number=number, scheduled_at=now - timedelta(days=days)
        )
        session_set_status(session=session, status=SessionStatus.MISSED, actor=therapist, now=now)
    [row] = caseload(therapist, now=now)
    assert row.dropout_risk
    assert "Signs of dropout risk (see the alert for why)" in row.reasons
    with time_machine.travel(now, tick=False):
        html = login(therapist).get("/caseload/").content.decode()
    assert '<span class="badge badge-dropout">Dropout risk</span>' in html
