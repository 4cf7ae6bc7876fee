"""Two-factor login for staff, recovery codes, and the account pages.

Staff log in here through the real forms (password, then code); ``login`` (force_login) is used
where a test needs someone already fully logged in.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.accounts import services
from alliance.audit.models import AuditEvent
from alliance.demo import DEMO_TOTP_SECRET, seed_demo, totp_key_hex
from alliance.people.models import User
from alliance.people.services import therapist_add
from tests.conftest import PASSWORD, enrol_authenticator, totp_code, wrong_code

T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
SETUP = reverse("two_factor_setup")
VERIFY = reverse("two_factor_verify")
CODES = reverse("recovery_codes")


def password_step(user: User, browser: Client | None = None) -> Client:
    """Log in with email and password only; for staff the code is still to come."""
    browser = browser or Client()
    response = browser.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return browser


def full_login(user: User) -> Client:
    """Log in through both forms, with the code from the user's authenticator."""
    browser = password_step(user)
    response = browser.post(VERIFY, {"code": totp_code(enrol_authenticator(user))})
    assert response.status_code == 302, response.content.decode()
    return browser


def html(response) -> str:
    return response.content.decode()


def setup_key(page: str) -> str:
    match = re.search(r'<code id="setup-key"[^>]*>([A-Z2-7 ]+)</code>', page)
    assert match, "no setup key on the page"
    return match.group(1)


def code_for_new_device(user: User) -> str:
    return totp_code(TOTPDevice.objects.get(user=user, confirmed=False))


# --- first login: setting up ----------------------------------------------------------------


def test_first_staff_login_goes_to_setup(therapist):
    browser = password_step(therapist)
    response = browser.get("/caseload/")
    assert (response.status_code, response["Location"]) == (302, f"{SETUP}?next=%2Fcaseload%2F")


def test_home_after_the_password_goes_to_setup_without_a_next(therapist):
    response = password_step(therapist).get("/")
    assert response["Location"] == SETUP


def test_setup_page_shows_the_secret_in_groups_of_four_and_a_qr_code(therapist):
    page = html(password_step(therapist).get(SETUP))
    device = TOTPDevice.objects.get(user=therapist, confirmed=False)
    key = setup_key(page)
    assert key.split(" ") == [
        services.totp_secret(device).replace(" ", "")[i : i + 4] for i in range(0, 32, 4)
    ]
    assert 'src="data:image/svg+xml' in page
    assert 'href="otpauth://totp/Alliance%3Ateresa%40example.org?secret=' in page
    assert "style" not in services.totp_qr_data_uri(device).lower()  # CSP: no inline style


def test_setup_page_keeps_the_same_secret_on_reload(therapist):
    browser = password_step(therapist)
    assert setup_key(html(browser.get(SETUP))) == setup_key(html(browser.get(SETUP)))


def test_setup_with_the_right_code_turns_on_two_factor_and_shows_ten_recovery_codes(therapist):
    browser = password_step(therapist)
    browser.get(SETUP)
    response = browser.post(SETUP, {"code": code_for_new_device(therapist)})
    assert response["Location"] == CODES
    page = html(browser.get(CODES))
    shown = re.findall(r"<li><code>([a-z2-7]{4}-[a-z2-7]{4})</code></li>", page)
    assert len(shown) == 10
    stored = set(StaticToken.objects.filter(device__user=therapist).values_list("token", flat=True))
    assert {c.replace("-", "") for c in shown} == stored
    assert TOTPDevice.objects.get(user=therapist).confirmed
    assert browser.get("/caseload/").status_code == 200


def test_recovery_codes_are_shown_only_once(therapist):
    browser = password_step(therapist)
    browser.get(SETUP)
    browser.post(SETUP, {"code": code_for_new_device(therapist)})
    first = html(browser.get(CODES))
    again = html(browser.get(CODES))
    assert "This is the only time they are shown" in first
    assert "<code>" not in again
    assert "You have 10 left" in again


def test_setup_with_a_wrong_code_is_refused(therapist):
    browser = password_step(therapist)
    browser.get(SETUP)
    device = TOTPDevice.objects.get(user=therapist, confirmed=False)
    response = browser.post(SETUP, {"code": wrong_code(device)})
    assert response.status_code == 400
    assert "That code didn&#x27;t match" in html(response)
    assert not TOTPDevice.objects.filter(user=therapist, confirmed=True).exists()
    assert browser.get("/caseload/")["Location"].startswith(SETUP)


def test_a_password_alone_cannot_replace_an_existing_authenticator(therapist):
    enrol_authenticator(therapist)
    response = password_step(therapist).get(SETUP)
    assert response["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=therapist).count() == 1


# --- later logins: the code -----------------------------------------------------------------


def test_next_login_asks_for_a_code(therapist):
    enrol_authenticator(therapist)
    response = password_step(therapist).get("/caseload/")
    assert response["Location"] == f"{VERIFY}?next=%2Fcaseload%2F"


def test_the_right_code_lets_staff_in(therapist):
    enrol_authenticator(therapist)
    browser = password_step(therapist)
    response = browser.post(VERIFY, {"code": totp_code(enrol_authenticator(therapist))})
    assert response["Location"] == reverse("home")
    assert browser.get("/caseload/").status_code == 200


def test_a_code_typed_with_a_space_is_accepted(therapist):
    device = enrol_authenticator(therapist)
    browser = password_step(therapist)
    code = totp_code(device)
    response = browser.post(VERIFY, {"code": f"{code[:3]} {code[3:]}"})
    assert response["Location"] == reverse("home")


def test_a_wrong_code_is_refused(therapist):
    device = enrol_authenticator(therapist)
    browser = password_step(therapist)
    response = browser.post(VERIFY, {"code": wrong_code(device)})
    assert response.status_code == 400
    assert "That code didn&#x27;t work" in html(response)
    assert browser.get("/caseload/")["Location"].startswith(VERIFY)


def test_a_code_is_accepted_only_once(therapist, admin):
    device = enrol_authenticator(therapist)
    code = totp_code(device)
    assert password_step(therapist).post(VERIFY, {"code": code}).status_code == 302
    assert password_step(therapist).post(VERIFY, {"code": code}).status_code == 400


def test_the_code_page_returns_to_a_safe_next_only(therapist):
    device = enrol_authenticator(therapist)
    browser = password_step(therapist)
    response = browser.post(VERIFY + "?next=/clients/new/", {"code": totp_code(device)})
    assert response["Location"] == "/clients/new/"
    browser = password_step(therapist)
    response = browser.post(VERIFY, {"code": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_a_recovery_code_works_once(therapist):
    enrol_authenticator(therapist)
    [code, *_] = services.recovery_codes_generate(user=therapist)
    browser = password_step(therapist)
    response = browser.post(VERIFY, {"code": code.upper()}, follow=True)
    assert response.redirect_chain[0][0] == reverse("home")
    assert "You used a recovery code; 9 left" in html(response)
    again = password_step(therapist).post(VERIFY, {"code": code})
    assert again.status_code == 400
    assert services.recovery_codes_left(therapist) == 9


def test_unverified_staff_cannot_reach_their_pages_but_can_log_out(therapist, episode):
    enrol_authenticator(therapist)
    browser = password_step(therapist)
    for url in ("/caseload/", f"/clients/{episode.client_id}/", reverse("account")):
        assert browser.get(url)["Location"].startswith(VERIFY), url
    assert browser.post(f"/clients/{episode.client_id}/sessions/")["Location"] == VERIFY
    assert browser.get("/healthz").status_code == 200
    assert browser.post(reverse("logout"))["Location"] == reverse("login")
    assert browser.get("/caseload/")["Location"].startswith(reverse("login"))


def test_unverified_staff_see_only_log_out_in_the_navigation(therapist):
    enrol_authenticator(therapist)
    page = html(password_step(therapist).get(VERIFY))
    nav = page.split('<nav aria-label="Main">')[1].split("</nav>")[0]
    assert "Caseload" not in nav
    assert "Account" not in nav
    assert "Log out" in nav


def test_clients_are_not_asked_for_a_code(client_user):
    browser = password_step(client_user)
    assert browser.get("/me/").status_code == 200
    assert browser.get(SETUP).status_code == 404
    assert not TOTPDevice.objects.filter(user=client_user).exists()


def test_a_new_therapist_sets_up_two_factor_right_after_accepting_the_invite(admin):
    added = therapist_add(admin=admin, full_name="Nia New", email="nia@example.org")
    browser = Client()
    response = browser.post(
        f"/invite/{added.invite_token}/",
        {"password1": "a long enough sentence", "password2": "a long enough sentence"},
    )
    assert response.status_code == 302
    assert browser.get("/caseload/")["Location"].startswith(SETUP)


def test_the_right_code_right_after_one_wrong_one_is_accepted(therapist):
    device = enrol_authenticator(therapist)
    with time_machine.travel(T0, tick=False):
        browser = password_step(therapist)
        assert browser.post(VERIFY, {"code": wrong_code(device)}).status_code == 400
        # The same instant: one mistyped code costs no wait.
        assert browser.post(VERIFY, {"code": totp_code(device)})["Location"] == reverse("home")


def test_the_right_recovery_code_right_after_one_wrong_one_is_accepted(therapist):
    enrol_authenticator(therapist)
    codes = services.recovery_codes_generate(user=therapist)
    with time_machine.travel(T0, tick=False):
        browser = password_step(therapist)
        assert browser.post(VERIFY, {"code": "zzzz-zzzz"}).status_code == 400
        assert browser.post(VERIFY, {"code": codes[0]})["Location"] == reverse("home")


def test_a_second_wrong_code_in_a_row_is_throttled_by_django_otp(therapist):
    device = enrol_authenticator(therapist)
    with time_machine.travel(T0, tick=False) as clock:
        browser = password_step(therapist)
        browser.post(VERIFY, {"code": wrong_code(device)})
        browser.post(VERIFY, {"code": wrong_code(device)})
        throttled = browser.post(VERIFY, {"code": totp_code(device)})
        assert throttled.status_code == 400
        assert "Too many wrong codes in a row. Please wait 2 seconds and try again." in html(
            throttled
        )
        clock.shift(timedelta(seconds=1))
        assert browser.post(VERIFY, {"code": totp_code(device)}).status_code == 400
        clock.shift(timedelta(seconds=1))
        assert browser.post(VERIFY, {"code": totp_code(device)})["Location"] == reverse("home")


def test_the_session_id_changes_when_the_code_is_verified(therapist):
    device = enrol_authenticator(therapist)
    browser = password_step(therapist)
    after_password = browser.cookies["sessionid"].value
    response = browser.post(VERIFY, {"code": totp_code(device)})
    assert response["Location"] == reverse("home")
    after_code = browser.cookies["sessionid"].value
    assert after_code != after_password
    # The session under the old id is gone, and the new one is signed in and verified.
    stale = Client()
    stale.cookies["sessionid"] = after_password
    assert stale.get("/caseload/")["Location"].startswith(reverse("login"))
    assert browser.get("/caseload/").status_code == 200


def test_the_session_id_changes_when_a_new_authenticator_is_confirmed(therapist):
    browser = password_step(therapist)
    browser.get(SETUP)
    after_password = browser.cookies["sessionid"].value
    response = browser.post(SETUP, {"code": code_for_new_device(therapist)})
    assert response["Location"] == CODES
    assert browser.cookies["sessionid"].value != after_password
    assert "recovery" in html(browser.get(CODES)).lower()


# --- confirming it's you --------------------------------------------------------------------


def _later(minutes: int = 11):
    return time_machine.travel(T0 + timedelta(minutes=minutes), tick=False)


def test_password_change_asks_to_confirm_after_ten_minutes(client_user):
    with time_machine.travel(T0, tick=False):
        browser = password_step(client_user)
        assert browser.get(reverse("password_change")).status_code == 200
    with _later():
        response = browser.get(reverse("password_change"))
    target = f"{reverse('reauth')}?next={quote(reverse('password_change'), safe='')}"
    assert response["Location"] == target


def test_confirming_with_the_password_returns_to_the_page(client_user):
    with time_machine.travel(T0, tick=False):
        browser = password_step(client_user)
    with _later():
        response = browser.post(
            reverse("reauth"), {"password": PASSWORD, "next": reverse("password_change")}
        )
        assert response["Location"] == reverse("password_change")
        assert browser.get(reverse("password_change")).status_code == 200


def test_confirming_ignores_a_next_on_another_site(client_user):
    browser = password_step(client_user)
    for target in ("https://evil.example/account/", "//evil.example/", "http://evil.example"):
        response = browser.post(reverse("reauth"), {"password": PASSWORD, "next": target})
        assert response["Location"] == reverse("account"), target


def test_confirming_with_a_wrong_password_is_refused(client_user):
    with time_machine.travel(T0, tick=False):
        browser = password_step(client_user)
    with _later():
        response = browser.post(reverse("reauth"), {"password": "not it"})
        assert response.status_code == 400
        assert "That password isn&#x27;t right" in html(response)
        assert browser.get(reverse("password_change")).status_code == 302


def test_staff_confirm_with_password_and_a_code(therapist):
    device = enrol_authenticator(therapist)
    with time_machine.travel(T0, tick=False):
        browser = full_login(therapist)
    with _later():
        page = browser.get(reverse("reauth"))
        assert 'name="code"' in html(page)
        wrong = browser.post(reverse("reauth"), {"password": PASSWORD, "code": wrong_code(device)})
        assert wrong.status_code == 400
    with _later(12):
        right = browser.post(reverse("reauth"), {"password": PASSWORD, "code": totp_code(device)})
        assert right["Location"] == reverse("account")


def test_clients_confirm_with_the_password_only(client_user):
    page = html(password_step(client_user).get(reverse("reauth")))
    assert 'name="password"' in page
    assert 'name="code"' not in page


# --- account pages --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["client_user", "therapist", "admin"])
def test_every_role_has_an_account_link(request, login, persona):
    page = html(login(request.getfixturevalue(persona)).get(reverse("account")))
    assert f'<a href="{reverse("account")}" aria-current="page">Account</a>' in page


def test_account_page_shows_two_factor_for_staff_only(login, therapist, client_user):
    assert "Two-factor authentication" in html(login(therapist).get(reverse("account")))
    assert "Two-factor authentication" not in html(login(client_user).get(reverse("account")))


def test_password_change_keeps_this_session_and_ends_the_others(therapist):
    here, elsewhere = full_login(therapist), full_login(therapist)
    response = here.post(
        reverse("password_change"),
        {"new_password1": "a brand new sentence", "new_password2": "a brand new sentence"},
    )
    assert response["Location"] == reverse("account")
    assert here.get("/caseload/").status_code == 200
    assert elsewhere.get("/caseload/")["Location"].startswith(reverse("login"))
    therapist.refresh_from_db()
    assert therapist.check_password("a brand new sentence")


def test_password_change_uses_the_password_rules(login, client_user):
    response = login(client_user).post(
        reverse("password_change"), {"new_password1": "short", "new_password2": "short"}
    )
    assert response.status_code == 400
    assert "at least 10 characters" in html(response)
    client_user.refresh_from_db()
    assert client_user.check_password(PASSWORD)


def change_email(browser: Client, email: str) -> str:
    """Ask for the change, then open the link mailed to the new address; returns the link."""
    assert browser.post(reverse("email_change"), {"email": email})["Location"] == reverse("account")
    message = mail.outbox[-1]
    match = re.search(r"http://testserver(/account/email/confirm/[^\s]+/)", message.body)
    assert match, message.body
    link = match.group(1)
    assert browser.post(link)["Location"] == reverse("account")
    return link


def test_email_change_changes_the_login_once_the_new_address_confirms(login, client_user):
    change_email(login(client_user), "Carla@New.example")
    client_user.refresh_from_db()
    assert client_user.email == "carla@new.example"
    assert Client().post("/login/", {"username": "carla@new.example", "password": PASSWORD})[
        "Location"
    ] == reverse("home")


def test_email_change_waits_for_the_link_sent_to_the_new_address(login, client_user):
    response = login(client_user).post(reverse("email_change"), {"email": "carla@new.example"})
    assert response["Location"] == reverse("account")
    client_user.refresh_from_db()
    assert client_user.email == "carla@example.org"
    (message,) = mail.outbox
    assert message.to == ["carla@new.example"]
    assert message.subject == "Confirm your new Alliance login address"
    # Neither address can be read from the link.
    link = re.search(r"/account/email/confirm/([^\s]+)/", message.body).group(1)
    decoded = base64.urlsafe_b64decode(link.split(":")[0] + "==").decode(errors="replace")
    assert "carla" not in decoded.lower()


def test_opening_the_link_asks_before_changing(login, client_user):
    browser = login(client_user)
    browser.post(reverse("email_change"), {"email": "carla@new.example"})
    link = re.search(r"http://testserver(/account/email/confirm/[^\s]+/)", mail.outbox[0].body)
    page = browser.get(link.group(1))
    assert page.status_code == 200
    assert "You will log in with <strong>carla@new.example</strong>" in html(page)
    client_user.refresh_from_db()
    assert client_user.email == "carla@example.org"


def test_the_old_address_is_told_of_the_change(login, client_user):
    change_email(login(client_user), "carla@new.example")
    notice = mail.outbox[-1]
    assert notice.to == ["carla@example.org"]
    assert notice.subject == "Your Alliance login address was changed"
    assert "is now carla@new.example" in notice.body


def test_an_email_change_link_works_once(login, client_user):
    browser = login(client_user)
    link = change_email(browser, "carla@new.example")
    again = browser.post(link)
    assert again.status_code == 400
    assert "already been used" in html(again)


def test_an_email_change_link_expires_after_a_day(login, client_user):
    with time_machine.travel(T0, tick=False) as clock:
        browser = login(client_user)
        browser.post(reverse("email_change"), {"email": "carla@new.example"})
        link = re.search(r"http://testserver(/account/email/confirm/[^\s]+/)", mail.outbox[0].body)
        clock.shift(timedelta(days=1, seconds=1))
        browser = login(client_user)
        response = browser.post(link.group(1))
    assert response.status_code == 400
    assert "This link has expired" in html(response)
    client_user.refresh_from_db()
    assert client_user.email == "carla@example.org"


def test_an_email_change_link_is_only_for_the_person_who_asked(login, client_user, other_client):
    login(client_user).post(reverse("email_change"), {"email": "carla@new.example"})
    link = re.search(r"http://testserver(/account/email/confirm/[^\s]+/)", mail.outbox[0].body)
    response = login(other_client).post(link.group(1))
    assert response.status_code == 400
    assert "sent for another account" in html(response)
    other_client.refresh_from_db()
    assert other_client.email != "carla@new.example"


def test_a_tampered_email_change_link_is_refused(login, client_user):
    browser = login(client_user)
    response = browser.post(reverse("email_change_confirm", args=["not-a-real-token"]))
    assert response.status_code == 400
    assert "This link is not valid" in html(response)


def test_password_and_email_changes_are_logged_without_either_value(login, client_user):
    browser = login(client_user)
    browser.post(
        reverse("password_change"),
        {"new_password1": "a brand new sentence", "new_password2": "a brand new sentence"},
    )
    change_email(browser, "carla@new.example")
    rows = list(
        AuditEvent.objects.filter(actor=client_user, subject=client_user, action="update")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    assert rows == ["password_changed", "email_change_requested", "email_changed"]
    logged = " ".join(str(v) for row in AuditEvent.objects.values_list() for v in row)
    assert "carla@new.example" not in logged and "brand new" not in logged


@pytest.mark.parametrize("taken", ["teresa@example.org", "stranger"], ids=["this_clinic", "other"])
def test_an_email_change_to_an_address_in_use_answers_like_any_other(
    login, client_user, therapist, stranger, taken
):
    taken = stranger.email if taken == "stranger" else taken
    browser = login(client_user)
    fresh = browser.post(reverse("email_change"), {"email": "carla@new.example"}, follow=True)
    used = browser.post(reverse("email_change"), {"email": taken.upper()}, follow=True)
    assert fresh.status_code == used.status_code == 200
    assert [r[1] for r in fresh.redirect_chain] == [r[1] for r in used.redirect_chain] == [302]
    csrf = r'name="csrfmiddlewaretoken" value="[^"]+"'
    assert re.sub(csrf, "", html(fresh)).replace("carla@new.example", "X") == re.sub(
        csrf, "", html(used)
    ).replace(taken, "X")
    # The owner of the address is told; nothing changes; no link exists for it.
    notice = mail.outbox[-1]
    assert notice.to == [taken]
    assert notice.subject == "Someone tried to use this address for Alliance"
    assert "/account/email/confirm/" not in notice.body
    client_user.refresh_from_db()
    assert client_user.email == "carla@example.org"


def test_email_change_to_the_same_address_says_so(login, client_user):
    response = login(client_user).post(reverse("email_change"), {"email": "Carla@example.org"})
    assert response.status_code == 400
    assert "That is already your email address." in html(response)
    assert mail.outbox == []


def test_new_recovery_codes_replace_the_old_ones(login, therapist):
    old = services.recovery_codes_generate(user=therapist)
    browser = login(therapist)
    assert browser.post(reverse("recovery_codes_regenerate"))["Location"] == CODES
    new = set(re.findall(r"<code>([a-z2-7-]{9})</code>", html(browser.get(CODES))))
    stored = set(StaticToken.objects.filter(device__user=therapist).values_list("token", flat=True))
    assert {c.replace("-", "") for c in new} == stored
    assert not stored & set(old)


def test_resetting_the_authenticator_sends_to_setup_and_ends_other_sessions(login, therapist):
    browser, other = login(therapist), login(therapist)
    services.recovery_codes_generate(user=therapist)
    assert browser.post(reverse("two_factor_reset"))["Location"] == SETUP
    assert not TOTPDevice.objects.filter(user=therapist).exists()
    assert services.recovery_codes_left(therapist) == 0
    assert browser.get("/caseload/")["Location"].startswith(SETUP)
    assert other.get("/caseload/")["Location"].startswith(reverse("login"))


def test_admin_resets_a_therapists_two_factor(login, admin, therapist):
    logged_in = login(therapist)
    url = reverse("person_two_factor_reset", args=[therapist.id])
    response = login(admin).post(url, follow=True)
    assert "Two-factor is reset for Teresa Tran" in html(response)
    assert not TOTPDevice.objects.filter(user=therapist).exists()
    assert AuditEvent.objects.filter(
        actor=admin, subject=therapist, action="update", detail="two_factor_reset"
    ).exists()
    assert logged_in.get("/caseload/")["Location"].startswith(reverse("login"))
    assert password_step(therapist).get("/caseload/")["Location"].startswith(SETUP)


def test_admin_cannot_reset_their_own_two_factor_from_the_people_page(login, admin):
    browser = login(admin)
    url = reverse("person_two_factor_reset", args=[admin.id])
    response = browser.post(url, follow=True)
    assert "use your Account page" in html(response)
    assert TOTPDevice.objects.filter(user=admin).exists()


def test_admin_of_another_clinic_cannot_reset(login, therapist, make_user, stranger):
    other_admin = make_user("ada@elsewhere.org", "clinic_admin", "Ada", in_clinic=stranger.clinic)
    url = reverse("person_two_factor_reset", args=[therapist.id])
    assert login(other_admin).post(url).status_code == 404


# --- demo -----------------------------------------------------------------------------------


def test_demo_staff_come_with_the_documented_authenticator_secret(db):
    seed_demo(seed=3, password="demo-password-1", weeks=12, n_clients=2)
    key = totp_key_hex(DEMO_TOTP_SECRET)
    staff = User.objects.filter(role__in=["therapist", "clinic_admin"])
    assert staff.count() >= 2
    for user in staff:
        assert TOTPDevice.objects.get(user=user, confirmed=True).key == key
    assert not TOTPDevice.objects.filter(user__role="client").exists()


def test_demo_secret_must_be_base32():
    with pytest.raises(ValueError, match="not a base32 secret"):
        totp_key_hex("not base32!")
    assert totp_key_hex("alli ance demo totp secr etke y234 567a") == totp_key_hex(DEMO_TOTP_SECRET)


def test_the_reset_command_for_a_clinic_without_another_admin(admin, capsys):
    enrol_authenticator(admin)
    call_command("reset_two_factor", "Adam@example.org")
    assert "Two-factor is reset for adam@example.org" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=admin).exists()


def test_the_reset_command_refuses_a_client(client_user):
    with pytest.raises(CommandError, match="is a client"):
        call_command("reset_two_factor", client_user.email)
