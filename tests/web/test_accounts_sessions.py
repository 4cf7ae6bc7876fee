"""Sessions end after 30 idle minutes, 12 hours after login, and at once on deactivation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from alliance.accounts.sessions import ABSOLUTE, IDLE, session_expiry
from alliance.people.services import PeopleError, person_deactivate
from tests.conftest import PASSWORD

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
IDLE_MESSAGE = "For your privacy, you were logged out after 30 minutes without activity."
ABSOLUTE_MESSAGE = "For your privacy, you were logged out 12 hours after logging in."


def at(delta: timedelta):
    return time_machine.travel(T0 + delta, tick=False)


def logged_in_at_t0(login, user) -> Client:
    with at(timedelta(0)):
        return login(user)


@pytest.mark.parametrize(
    ("since_login", "since_seen", "expected"),
    [
        (0, 0, None),
        (1800, 1800, None),
        (1801, 1801, IDLE),
        (43_200, 60, None),
        (43_201, 60, ABSOLUTE),
        (43_201, 1801, ABSOLUTE),
        (-5, -5, None),  # the clock went backwards
    ],
)
def test_session_expiry(since_login, since_seen, expected):
    now = 1_000_000.0
    reason = session_expiry(
        login_at=now - since_login,
        seen_at=now - since_seen,
        now=now,
        idle_seconds=1800,
        max_seconds=43_200,
    )
    assert reason == expected


# --- idle -----------------------------------------------------------------------------------


def test_a_request_thirty_minutes_after_the_last_one_still_counts(login, client_user):
    browser = logged_in_at_t0(login, client_user)
    with at(timedelta(minutes=30)):
        assert browser.get("/me/").status_code == 200


def test_thirty_minutes_and_a_second_without_activity_logs_out(login, client_user):
    browser = logged_in_at_t0(login, client_user)
    with at(timedelta(minutes=30, seconds=1)):
        response = browser.get("/me/")
        assert response["Location"] == f"{reverse('login')}?next=/me/"
        page = browser.get(response["Location"]).content.decode()
    assert IDLE_MESSAGE in page
    assert "<h1>Log in</h1>" in page


def test_a_form_sent_after_the_idle_limit_goes_to_the_login_page(login, therapist, episode):
    browser = logged_in_at_t0(login, therapist)
    with at(timedelta(minutes=31)):
        response = browser.post(f"/clients/{episode.client_id}/sessions/", {})
    assert response["Location"] == reverse("login")


def test_activity_keeps_the_session_alive(login, client_user):
    browser = logged_in_at_t0(login, client_user)
    for minutes in (20, 45, 70, 95):
        with at(timedelta(minutes=minutes)):
            assert browser.get("/me/").status_code == 200, minutes


def test_after_an_idle_logout_the_session_is_gone(login, therapist):
    browser = logged_in_at_t0(login, therapist)
    with at(timedelta(hours=1)):
        browser.get("/caseload/")
        assert browser.get("/caseload/")["Location"].startswith(reverse("login"))
        assert "_auth_user_id" not in browser.session


# --- absolute -------------------------------------------------------------------------------


def _keep_busy_until(browser: Client, end: timedelta) -> None:
    minutes = 20
    while timedelta(minutes=minutes) < end:
        with at(timedelta(minutes=minutes)):
            assert browser.get("/me/").status_code == 200
        minutes += 20


def test_a_busy_session_lasts_twelve_hours(login, client_user):
    browser = logged_in_at_t0(login, client_user)
    _keep_busy_until(browser, timedelta(hours=12))
    with at(timedelta(hours=12)):
        assert browser.get("/me/").status_code == 200


def test_a_busy_session_ends_twelve_hours_and_a_second_after_login(login, client_user):
    browser = logged_in_at_t0(login, client_user)
    _keep_busy_until(browser, timedelta(hours=12))
    with at(timedelta(hours=12, seconds=1)):
        response = browser.get("/me/", follow=True)
    assert response.redirect_chain[0][0] == f"{reverse('login')}?next=/me/"
    assert ABSOLUTE_MESSAGE in response.content.decode()


def test_logging_in_again_starts_a_new_twelve_hours(client_user):
    browser = Client()
    with at(timedelta(0)):
        browser.post(reverse("login"), {"username": client_user.email, "password": PASSWORD})
    with at(timedelta(hours=13)):
        browser.post(reverse("login"), {"username": client_user.email, "password": PASSWORD})
        assert browser.get("/me/").status_code == 200


# --- deactivation ---------------------------------------------------------------------------

CONFIRM = {"confirm": "on"}  # the ticked box of the confirmation page


def test_deactivation_ends_the_persons_sessions_at_once(login, admin, therapist):
    phone, desk = login(therapist), login(therapist)
    assert phone.get("/caseload/").status_code == 200
    response = login(admin).post(
        reverse("person_deactivate", args=[therapist.id]), CONFIRM, follow=True
    )
    assert "Teresa Tran is deactivated and logged out everywhere." in response.content.decode()
    for browser in (phone, desk):
        assert browser.get("/caseload/")["Location"] == f"{reverse('login')}?next=/caseload/"
    owners = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(therapist.id) not in owners


def test_deactivation_leaves_other_peoples_sessions_alone(login, admin, therapist, client_user):
    carla = login(client_user)
    login(admin).post(reverse("person_deactivate", args=[therapist.id]), CONFIRM)
    assert carla.get("/me/").status_code == 200


def test_a_deactivated_person_cannot_log_in(login, admin, client_user):
    login(admin).post(reverse("person_deactivate", args=[client_user.id]), CONFIRM)
    response = Client().post(
        reverse("login"), {"username": client_user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "don&#x27;t match an account" in response.content.decode()


def test_reactivation_lets_them_log_in_again(login, admin, client_user):
    browser = login(admin)
    browser.post(reverse("person_deactivate", args=[client_user.id]), CONFIRM)
    browser.post(reverse("person_reactivate", args=[client_user.id]))
    response = Client().post(
        reverse("login"), {"username": client_user.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("home")


def test_an_admin_cannot_deactivate_themselves(login, admin):
    browser = login(admin)
    response = browser.post(reverse("person_deactivate", args=[admin.id]), CONFIRM, follow=True)
    assert "You can&#x27;t deactivate your own account" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active
    assert browser.get(reverse("clinic_people")).status_code == 200


def test_deactivation_is_for_an_admin_of_the_same_clinic(admin, therapist, stranger):
    with pytest.raises(PeopleError):
        person_deactivate(admin=therapist, person=admin)
    with pytest.raises(PeopleError):
        person_deactivate(admin=admin, person=stranger)


def test_people_page_offers_deactivate_for_others_only(login, admin, therapist):
    page = login(admin).get(reverse("clinic_people")).content.decode()
    assert reverse("person_deactivate", args=[therapist.id]) in page
    assert reverse("person_deactivate", args=[admin.id]) not in page
    assert reverse("person_two_factor_reset", args=[therapist.id]) in page


def test_a_therapist_with_clients_in_care_cannot_be_deactivated(admin, therapist, episode):
    from alliance.people.services import PeopleError, person_deactivate

    with pytest.raises(PeopleError, match="still has 1 client in care"):
        person_deactivate(admin=admin, person=therapist)
    therapist.refresh_from_db()
    assert therapist.is_active
