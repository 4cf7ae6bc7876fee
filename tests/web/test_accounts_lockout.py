"""Lockout after repeated failures: per username and client IP, and only for that pair.

django-axes keeps its counts in the database, so each test starts from none (the test's
transaction is rolled back).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from alliance.accounts.lockout import client_ip_from
from tests.conftest import PASSWORD, enrol_authenticator, totp_code, wrong_code
from tests.web.test_accounts import VERIFY, password_step

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
HOME_IP = "203.0.113.5"
OTHER_IP = "198.51.100.7"
PROXY_IP = "10.0.0.2"


def attempt(email: str, password: str, **headers: str):
    return Client(**headers).post(reverse("login"), {"username": email, "password": password})


def fail(times: int, email: str, **headers: str) -> None:
    """Wrong passwords; the one that reaches the limit is answered with the lockout page."""
    for _ in range(times):
        attempt(email, "wrong password", **headers)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


# --- the client IP --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "expected"),
    [
        ("203.0.113.5", "", 0, "203.0.113.5"),
        ("203.0.113.5", "192.0.2.1", 0, "203.0.113.5"),  # no proxy: the header is ignored
        ("10.0.0.2", "203.0.113.5", 1, "203.0.113.5"),
        ("10.0.0.2", "192.0.2.1, 203.0.113.5", 1, "203.0.113.5"),  # spoofed entry is left
        ("10.0.0.3", "203.0.113.5, 10.0.0.2", 2, "203.0.113.5"),
        ("10.0.0.2", "", 1, "10.0.0.2"),  # did not come through the proxy
        ("10.0.0.2", "not-an-ip", 1, "10.0.0.2"),
        ("10.0.0.2", " 2001:db8::1 ", 1, "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_entries_our_proxies_add(remote, forwarded, proxies, expected):
    assert client_ip_from(remote, forwarded, proxies) == expected


def test_client_ip_refuses_a_negative_proxy_count():
    with pytest.raises(ValueError, match="proxy_count"):
        client_ip_from("10.0.0.2", "", -1)


# --- passwords ------------------------------------------------------------------------------


def test_four_failures_do_not_lock(client_user):
    fail(4, client_user.email, REMOTE_ADDR=HOME_IP)
    assert logged_in(attempt(client_user.email, PASSWORD, REMOTE_ADDR=HOME_IP))


def test_the_fifth_failure_is_answered_with_the_lockout_page(client_user):
    fail(4, client_user.email, REMOTE_ADDR=HOME_IP)
    assert attempt(client_user.email, "wrong password", REMOTE_ADDR=HOME_IP).status_code == 429


def test_five_failures_lock_that_username_from_that_ip(client_user):
    fail(5, client_user.email, REMOTE_ADDR=HOME_IP)
    response = attempt(client_user.email, PASSWORD, REMOTE_ADDR=HOME_IP)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Login is paused for a few minutes" in page
    assert "Please try again in 15 minutes." in page
    assert '<link rel="stylesheet"' in page  # the app's own page, not a bare text response


def test_the_lock_does_not_stop_the_same_person_from_another_ip(client_user):
    fail(5, client_user.email, REMOTE_ADDR=HOME_IP)
    assert logged_in(attempt(client_user.email, PASSWORD, REMOTE_ADDR=OTHER_IP))


def test_the_lock_does_not_stop_someone_else_at_the_same_ip(client_user, other_client):
    fail(5, client_user.email, REMOTE_ADDR=HOME_IP)
    assert logged_in(attempt(other_client.email, PASSWORD, REMOTE_ADDR=HOME_IP))


def test_changing_the_case_of_the_email_does_not_start_a_new_count(client_user):
    for email in ("carla@example.org", "Carla@example.org", "CARLA@EXAMPLE.ORG") * 2:
        attempt(email, "wrong password", REMOTE_ADDR=HOME_IP)
    assert attempt(client_user.email, PASSWORD, REMOTE_ADDR=HOME_IP).status_code == 429


def test_the_lock_lifts_fifteen_minutes_after_the_last_failure(client_user):
    with time_machine.travel(T0, tick=False):
        fail(5, client_user.email, REMOTE_ADDR=HOME_IP)
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        response = attempt(client_user.email, PASSWORD, REMOTE_ADDR=HOME_IP)
        assert response.status_code == 429
    with time_machine.travel(T0 + timedelta(minutes=15, seconds=1), tick=False):
        assert logged_in(attempt(client_user.email, PASSWORD, REMOTE_ADDR=HOME_IP))


def test_the_page_says_how_long_is_left(client_user):
    with time_machine.travel(T0, tick=False):
        fail(5, client_user.email, REMOTE_ADDR=HOME_IP)
    with time_machine.travel(T0 + timedelta(minutes=11, seconds=30), tick=False):
        page = attempt(client_user.email, PASSWORD, REMOTE_ADDR=HOME_IP).content.decode()
    assert "Please try again in 4 minutes." in page


def test_tries_during_the_lock_do_not_extend_it(client_user):
    with time_machine.travel(T0, tick=False):
        fail(5, client_user.email, REMOTE_ADDR=HOME_IP)
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        attempt(client_user.email, "wrong password", REMOTE_ADDR=HOME_IP)
    with time_machine.travel(T0 + timedelta(minutes=15, seconds=1), tick=False):
        assert logged_in(attempt(client_user.email, PASSWORD, REMOTE_ADDR=HOME_IP))


# --- behind one reverse proxy ---------------------------------------------------------------


def via_proxy(forwarded_for: str) -> dict[str, str]:
    return {"REMOTE_ADDR": PROXY_IP, "HTTP_X_FORWARDED_FOR": forwarded_for}


@override_settings(ALLIANCE_PROXY_COUNT=1)
def test_behind_a_proxy_two_client_ips_are_locked_independently(client_user):
    fail(5, client_user.email, **via_proxy(HOME_IP))
    assert attempt(client_user.email, PASSWORD, **via_proxy(HOME_IP)).status_code == 429
    assert logged_in(attempt(client_user.email, PASSWORD, **via_proxy(OTHER_IP)))


@override_settings(ALLIANCE_PROXY_COUNT=1)
def test_behind_a_proxy_a_spoofed_entry_cannot_escape_a_lock(client_user):
    fail(5, client_user.email, **via_proxy(OTHER_IP))
    spoofed = via_proxy(f"192.0.2.99, {OTHER_IP}")  # the client wrote the first entry
    assert attempt(client_user.email, PASSWORD, **spoofed).status_code == 429


@override_settings(ALLIANCE_PROXY_COUNT=1)
def test_behind_a_proxy_a_spoofed_entry_cannot_lock_out_someone_elses_ip(client_user):
    fail(5, client_user.email, **via_proxy(f"{HOME_IP}, {OTHER_IP}"))
    assert logged_in(attempt(client_user.email, PASSWORD, **via_proxy(HOME_IP)))


def test_without_a_proxy_setting_the_header_is_ignored(client_user):
    fail(5, client_user.email, REMOTE_ADDR=HOME_IP, HTTP_X_FORWARDED_FOR=OTHER_IP)
    assert attempt(client_user.email, PASSWORD, REMOTE_ADDR=HOME_IP).status_code == 429


# --- codes ----------------------------------------------------------------------------------


def test_wrong_codes_count_towards_the_lock_and_log_out(therapist):
    device = enrol_authenticator(therapist)
    browser = Client(REMOTE_ADDR=HOME_IP)
    with time_machine.travel(T0, tick=False) as clock:
        password_step(therapist, browser)
        for _ in range(4):
            assert browser.post(VERIFY, {"code": wrong_code(device)}).status_code == 400
            clock.shift(timedelta(minutes=1))  # past django-otp's growing pause
        response = browser.post(VERIFY, {"code": wrong_code(device)})
        assert response.status_code == 429
        assert "Please try again in 15 minutes." in response.content.decode()
        assert browser.get("/caseload/")["Location"].startswith(reverse("login"))
        assert attempt(therapist.email, PASSWORD, REMOTE_ADDR=HOME_IP).status_code == 429


def test_a_right_code_after_some_wrong_ones_still_works(therapist):
    device = enrol_authenticator(therapist)
    browser = Client(REMOTE_ADDR=HOME_IP)
    with time_machine.travel(T0, tick=False) as clock:
        password_step(therapist, browser)
        for _ in range(3):
            browser.post(VERIFY, {"code": wrong_code(device)})
            clock.shift(timedelta(minutes=1))
        assert browser.post(VERIFY, {"code": totp_code(device)})["Location"] == reverse("home")


def test_wrong_passwords_when_confirming_count_towards_the_lock(client_user):
    browser = password_step(client_user, Client(REMOTE_ADDR=HOME_IP))
    for _ in range(4):
        assert browser.post(reverse("reauth"), {"password": "nope"}).status_code == 400
    response = browser.post(reverse("reauth"), {"password": "nope"})
    assert response.status_code == 429
    assert browser.get("/me/")["Location"].startswith(reverse("login"))
