""" "Forgot your password?": Django's reset views, mail through the mail backend, no oracle."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.people.models import Role
from alliance.people.services import client_add
from tests.conftest import PASSWORD, enrol_authenticator, totp_code

RESET = reverse("password_reset")
NEW_PASSWORD = "a new sentence I will remember"


def ask(email: str) -> object:
    return Client().post(RESET, {"email": email})


def link_in(message) -> str:
    match = re.search(r"https?://[^/\s]+(/password-reset/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def choose(link: str, password: str = NEW_PASSWORD) -> Client:
    browser = Client()
    form_page = browser.get(link)  # Django moves the token into the session, then redirects
    assert form_page.status_code == 302
    response = browser.post(
        form_page["Location"], {"new_password1": password, "new_password2": password}
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("password_reset_complete")
    return browser


def test_the_login_page_links_to_the_reset(db):
    page = Client().get(reverse("login")).content.decode()
    assert f'href="{RESET}"' in page
    assert "Forgot your password?" in page


def test_a_reset_mails_a_link_to_the_address(client_user):
    response = ask("Carla@Example.org")
    assert response["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["carla@example.org"]
    assert message.subject == "Choose a new Alliance password"
    assert "Hello Carla," in message.body
    assert "authenticator" not in message.body


def test_the_link_sets_a_new_password_once_and_logs_it(client_user):
    ask(client_user.email)
    link = link_in(mail.outbox[0])
    choose(link)
    client_user.refresh_from_db()
    assert client_user.check_password(NEW_PASSWORD)
    assert (
        AuditEvent.objects.filter(subject_id=client_user.id, detail="password_reset").count() == 1
    )
    # Used once: the same link now says it can't be used.
    again = Client().get(link, follow=True)
    assert "This link can't be used" in again.content.decode()


def test_the_reset_ends_the_persons_sessions(client_user, login):
    elsewhere = login(client_user)
    assert elsewhere.get("/me/").status_code == 200
    ask(client_user.email)
    choose(link_in(mail.outbox[0]))
    assert elsewhere.get("/me/")["Location"].startswith(reverse("login"))


def test_a_weak_new_password_is_refused_with_the_reason(client_user):
    ask(client_user.email)
    browser = Client()
    form_page = browser.get(link_in(mail.outbox[0]))
    response = browser.post(
        form_page["Location"], {"new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 200
    assert "This password is too short." in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.check_password(PASSWORD)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client_user):
    known, unknown = ask(client_user.email), ask("nobody@example.org")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mail.outbox] == [["carla@example.org"]]
    page = Client().get(reverse("password_reset_done")).content.decode()
    assert "If the address you typed belongs to an Alliance account" in page


def test_someone_invited_but_without_a_password_gets_no_link(therapist):
    client_add(
        therapist=therapist,
        full_name="Ivy Invited",
        email="ivy@example.org",
        timezone_name="America/Toronto",
    )
    mail.outbox.clear()
    assert ask("ivy@example.org")["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_deactivated_account_gets_no_link(client_user):
    client_user.is_active = False
    client_user.save(update_fields=["is_active"])
    assert ask(client_user.email)["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_staff_password_reset_still_asks_for_the_code(therapist):
    device = enrol_authenticator(therapist)
    ask(therapist.email)
    assert "authenticator" in mail.outbox[0].body
    choose(link_in(mail.outbox[0]))
    browser = Client()
    response = browser.post(
        reverse("login"), {"username": therapist.email, "password": NEW_PASSWORD}
    )
    assert response["Location"] == reverse("home")
    # Signed in with the password only: every page leads to the code step.
    assert browser.get("/caseload/")["Location"].startswith(reverse("two_factor_verify"))
    assert browser.post(reverse("two_factor_verify"), {"code": totp_code(device)})[
        "Location"
    ] == reverse("home")
    assert browser.get("/caseload/").status_code == 200


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.CLINIC_ADMIN])
def test_the_reset_link_does_not_sign_staff_in(role, make_user):
    person = make_user(f"{role}@example.org", role, "Sam Staff")
    enrol_authenticator(person)
    ask(person.email)
    browser = choose(link_in(mail.outbox[0]))
    assert browser.get(reverse("home"))["Location"] == reverse("login")
