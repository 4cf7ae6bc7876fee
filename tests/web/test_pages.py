"""Pages render for the right person and say the right things."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from alliance import __version__
from alliance.checkins.services import checkin_submit
from alliance.people.models import Invite
from alliance.people.services import client_add, invite_lookup
from alliance.ruptures.models import Alert
from alliance.ruptures.services import alert_acknowledge
from tests.conftest import GOOD_ANSWERS, enrol_authenticator
from tests.web.test_accounts import password_step

TENSION = {
    **GOOD_ANSWERS,
    "tension": "2",
    "talked": "1",
    "resolved": "2",
    "comment": "Felt unheard",
}


@pytest.fixture
def worker_alive(db):
    from alliance.ops.periodic import heartbeat

    heartbeat(worker_id="test-worker")


def test_healthz_tells_anonymous_callers_only_ok(worker_alive):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_says_degraded_without_a_live_worker_but_stays_up(db):
    from datetime import timedelta

    from alliance.ops.models import WorkerHeartbeat

    WorkerHeartbeat.objects.create(
        worker_id="gone", last_seen=timezone.now() - timedelta(minutes=3)
    )
    response = Client().get("/healthz")
    assert response.status_code == 200  # the web servers serve; reminders wait
    assert response.json() == {"status": "degraded"}


def test_healthz_tells_an_admin_when_the_worker_was_last_seen(login, admin):
    from datetime import timedelta

    from alliance.ops.models import WorkerHeartbeat

    seen = timezone.now() - timedelta(minutes=5)
    WorkerHeartbeat.objects.create(worker_id="gone", last_seen=seen)
    body = login(admin).get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["worker"] == "not seen in the last two minutes"
    assert body["worker_last_seen"] == seen.isoformat()


def test_healthz_tells_anonymous_callers_only_not_ok_when_the_database_is_down(db, monkeypatch):
    class Unreachable:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr("alliance.views.connection", Unreachable())
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


@pytest.mark.parametrize("persona", ["client_user", "therapist"])
def test_healthz_gives_no_details_to_clients_or_therapists(request, login, persona, worker_alive):
    body = login(request.getfixturevalue(persona)).get("/healthz").json()
    assert body == {"status": "ok"}


def test_healthz_gives_a_signed_in_clinic_admin_the_details(login, admin, worker_alive):
    body = login(admin).get("/healthz").json()
    workers = body.pop("workers")
    assert [w["id"] for w in workers] == ["test-worker"]
    assert body.pop("worker_last_seen") == workers[0]["last_seen"]
    assert body == {
        "status": "ok",
        "database": "ok",
        "vendor": connection.vendor,
        "version": __version__,
        "worker": "ok",
    }


def test_healthz_gives_no_details_to_an_admin_before_their_code(admin, worker_alive):
    enrol_authenticator(admin)
    assert password_step(admin).get("/healthz").json() == {"status": "ok"}


def test_pages_send_a_strict_content_security_policy(db):
    response = Client().get("/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    # Set once, by Django's SecurityMiddleware (SECURE_CROSS_ORIGIN_OPENER_POLICY).
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_home_sends_each_role_to_their_page(therapist, client_user, admin, login):
    assert login(therapist).get("/").url == "/caseload/"
    assert login(client_user).get("/").url == "/me/"
    assert login(admin).get("/").url == "/clinic/people/"


def test_login_by_email(client_user):
    c = Client()
    response = c.post(
        "/login/", {"username": "carla@example.org", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert c.get("/me/").status_code == 200


def test_wrong_password_says_so_plainly(therapist):
    response = Client().post("/login/", {"username": "teresa@example.org", "password": "nope"})
    assert "That email and password don&#x27;t match an account" in response.content.decode()


def test_client_home_offers_the_open_checkin(episode, client_user, attend, login):
    session = attend(episode, 1)
    html = login(client_user).get("/me/").content.decode()
    assert "A one-minute check-in is waiting" in html
    assert f'href="/checkins/{session.id}/"' in html


def test_checkin_page_says_who_reads_the_answers(episode, client_user, attend, login):
    session = attend(episode, 1)
    html = login(client_user).get(f"/checkins/{session.id}/").content.decode()
    assert "Only your therapist reads your answers" in html
    assert 'name="form_token"' in html
    assert 'name="followup_resolved"' not in html  # no earlier rupture to follow up


def test_checkin_post_saves_and_thanks(episode, client_user, attend, login):
    session = attend(episode, 1)
    c = login(client_user)
    response = c.post(f"/checkins/{session.id}/", {**GOOD_ANSWERS, "form_token": str(uuid.uuid4())})
    assert response.status_code == 302
    assert response.url == f"/checkins/{session.id}/thanks/"
    assert "Thank you" in c.get(response.url).content.decode()


def test_client_sees_read_receipt_never_notes(episode, therapist, client_user, attend, login):
    session = attend(episode, 1)
    checkin_submit(session=session, client=client_user, answers=TENSION, form_token=uuid.uuid4())
    alert_acknowledge(alert=Alert.objects.get(), actor=therapist)
    c = login(client_user)
    assert "Your therapist has read this" in c.get("/me/").content.decode()
    thanks = c.get(f"/checkins/{session.id}/thanks/").content.decode()
    assert "Your therapist has read this" in thanks
    assert "acknowledged" not in thanks.lower()


def test_client_page_has_chart_with_text_alternative(
    episode, therapist, client_user, attend, login
):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token=uuid.uuid4()
    )
    html = login(therapist).get(f"/clients/{client_user.id}/").content.decode()
    assert '<svg class="chart chart-wide"' in html
    assert 'role="img"' in html
    assert "Alliance over 1 check-in, sessions 1 to 1" in html  # one, not "1 check-ins"
    assert "Rupture at session 1 not yet resolved." in html


def test_alert_page_shows_the_signals_and_the_comment(
    episode, therapist, client_user, attend, login
):
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token=uuid.uuid4()
    )
    alert = Alert.objects.get()
    html = login(therapist).get(f"/alerts/{alert.id}/").content.decode()
    assert "Felt unheard" in html
    assert "Acknowledge" in html


def test_add_client_mails_a_single_use_invite_link_and_shows_none(therapist, login):
    response = login(therapist).post(
        "/clients/new/",
        {"full_name": "New Person", "email": "new@example.org", "timezone": "America/Toronto"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "/invite/" not in html
    assert "An invitation is on its way to <strong>new@example.org</strong>." in html
    (message,) = mail.outbox
    assert message.to == ["new@example.org"]
    token = message.body.split("http://testserver/invite/")[1].split("/")[0]
    assert invite_lookup(token=token).user.email == "new@example.org"


def test_accepting_an_invite_sets_the_password_and_logs_in(therapist):
    added = client_add(
        therapist=therapist,
        full_name="New Person",
        email="new@example.org",
        timezone_name="America/Toronto",
    )
    c = Client()
    response = c.post(
        f"/invite/{added.invite_token}/",
        {"password1": "a long enough sentence", "password2": "a long enough sentence"},
    )
    assert response.status_code == 302
    assert c.get("/me/").status_code == 200
    assert Invite.objects.get().used_at is not None


def test_admin_people_page_lists_staff_and_invites(admin, therapist, login):
    response = login(admin).post(
        "/clinic/people/",
        {"full_name": "Third Therapist", "email": "third@example.org", "role": "therapist"},
    )
    assert "/invite/" not in response.content.decode()
    assert "http://testserver/invite/" in mail.outbox[0].body
    html = login(admin).get("/clinic/people/").content.decode()
    assert "Third Therapist" in html
    assert "Invited; the link expires" in html


def test_invite_opened_while_logged_in_as_someone_else_asks_to_log_out(therapist, login):
    added = client_add(
        therapist=therapist,
        full_name="New Person",
        email="new@example.org",
        timezone_name="America/Toronto",
    )
    c = login(therapist)
    response = c.post(
        f"/invite/{added.invite_token}/",
        {"password1": "a long enough sentence", "password2": "a long enough sentence"},
    )
    assert "You're logged in as teresa@example.org" in response.content.decode()
    assert Invite.objects.get().used_at is None


def test_opening_the_client_page_gives_the_client_read_receipts(
    episode, therapist, client_user, attend, login
):
    session = attend(episode, 1)
    checkin_submit(
        session=session, client=client_user, answers=GOOD_ANSWERS, form_token=uuid.uuid4()
    )
    c = login(client_user)
    assert "Your therapist has read this" not in c.get("/me/").content.decode()
    login(therapist).get(f"/clients/{client_user.id}/")
    assert "Your therapist has read this" in c.get("/me/").content.decode()


def test_another_therapist_cannot_mark_checkins_read(episode, other_therapist, client_user, attend):
    from alliance.checkins.models import CheckIn
    from alliance.checkins.services import checkins_mark_read

    checkin_submit(
        session=attend(episode, 1),
        client=client_user,
        answers=GOOD_ANSWERS,
        form_token=uuid.uuid4(),
    )
    from django.utils import timezone

    marked = checkins_mark_read(episode_id=episode.id, reader=other_therapist, now=timezone.now())
    assert marked == 0
    assert CheckIn.objects.get().therapist_read_at is None
