"""Invitations go by mail to the person's own address; adding someone reveals no account.

Point 13 (account-existence oracle): adding a client or a staff member whose address already
has an account, here or in another clinic, answers exactly like a new address. Point 14
(impersonation of pending clients): a re-issued invite goes to the person's address, never to
the screen of the staff member who asked for it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditEvent
from alliance.people.models import Invite, Role, User
from alliance.people.services import client_add, invite_lookup

ADD = reverse("client_add")
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def add_client(browser: Client, email: str, name: str = "Nina New") -> object:
    return browser.post(ADD, {"full_name": name, "email": email, "timezone": "America/Toronto"})


def add_staff(browser: Client, email: str, name: str = "Sam Staff") -> object:
    data = {"full_name": name, "email": email, "role": Role.THERAPIST}
    return browser.post(reverse("clinic_people"), data)


def main_text(response) -> str:
    """The page without its CSRF token, which differs on every render."""
    page = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def page_templates(response) -> list[str]:
    return [t.name for t in response.templates if not t.name.startswith("accounts/mail/")]


def token_in(body: str) -> str:
    match = re.search(r"http://testserver/invite/([^/\s]+)/", body)
    assert match, body
    return match.group(1)


# --- point 13: adding someone -----------------------------------------------------------------


def test_a_new_client_gets_their_invitation_by_mail(therapist, login):
    response = add_client(login(therapist), "nina@example.org")
    assert response.status_code == 200
    (message,) = mail.outbox
    assert message.to == ["nina@example.org"]
    assert message.subject == "Your invitation to Alliance at Harbour Clinic"
    assert "Teresa at Harbour Clinic invited you to Alliance" in message.body
    assert invite_lookup(token=token_in(message.body)).user.email == "nina@example.org"
    # The only usable invite is the one mailed.
    assert (
        Invite.objects.filter(user__email="nina@example.org", revoked_at__isnull=True).count() == 1
    )


@pytest.mark.parametrize("taken", ["carla@example.org", "stranger"], ids=["this_clinic", "other"])
def test_adding_a_client_answers_the_same_whether_or_not_the_address_has_an_account(
    request, therapist, client_user, stranger, login, taken
):
    taken_email = stranger.email if taken == "stranger" else taken
    browser = login(therapist)
    fresh = add_client(browser, "nina@example.org", name="Same Name")
    existing = add_client(browser, taken_email.upper(), name="Same Name")
    assert fresh.status_code == existing.status_code == 200
    assert page_templates(fresh) == page_templates(existing)
    assert page_templates(fresh)[0] == "people/invite_sent.html"
    assert main_text(fresh).replace("nina@example.org", "X") == main_text(existing).replace(
        taken_email, "X"
    )


def test_an_address_with_an_account_gets_a_notice_not_an_invitation(therapist, stranger, login):
    before = User.objects.count()
    add_client(login(therapist), stranger.email)
    assert User.objects.count() == before
    assert not Invite.objects.filter(user=stranger).exists()
    (message,) = mail.outbox
    assert message.to == [stranger.email]
    assert message.subject == "Someone at Harbour Clinic tried to add you to Alliance"
    assert "Teresa at Harbour Clinic tried to add this email address" in message.body
    assert "/invite/" not in message.body
    # The stranger's own clinic, data and account are untouched.
    stranger.refresh_from_db()
    assert stranger.clinic.name != "Harbour Clinic"


def test_the_attempt_is_logged_without_naming_the_existing_account(therapist, stranger, login):
    add_client(login(therapist), stranger.email)
    row = AuditEvent.objects.get(detail="address_in_use")
    assert (row.actor_id, row.subject_id, row.clinic_id) == (
        therapist.id,
        None,
        therapist.clinic_id,
    )


def test_adding_staff_answers_the_same_whether_or_not_the_address_has_an_account(
    admin, stranger, login
):
    browser = login(admin)
    fresh = add_staff(browser, "sam@example.org")
    existing = add_staff(browser, stranger.email)
    assert fresh.status_code == existing.status_code == 200
    assert main_text(fresh).replace("sam@example.org", "X") == main_text(existing).replace(
        stranger.email, "X"
    )
    assert [m.to for m in mail.outbox] == [["sam@example.org"], [stranger.email]]
    assert "/invite/" in mail.outbox[0].body
    assert "/invite/" not in mail.outbox[1].body


# --- point 14: re-issuing -----------------------------------------------------------------


@pytest.fixture
def ivy(therapist):
    return client_add(
        therapist=therapist,
        full_name="Ivy Invited",
        email="ivy@example.org",
        timezone_name="America/Toronto",
    )


@pytest.mark.parametrize("persona", ["therapist", "admin"])
def test_a_new_invite_goes_to_the_clients_address_and_is_never_shown(request, login, ivy, persona):
    staff = request.getfixturevalue(persona)
    response = login(staff).post(reverse("invite_resend", args=[ivy.user.id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "/invite/" not in page
    assert "An invitation is on its way to <strong>ivy@example.org</strong>." in page
    (message,) = mail.outbox
    assert message.to == ["ivy@example.org"]
    token = token_in(message.body)
    assert token not in page
    assert invite_lookup(token=token).user == ivy.user
    # The earlier link no longer works.
    assert not Invite.objects.get(token_hash=Invite.hash(ivy.invite_token)).is_usable()


def test_a_new_invite_is_logged_with_who_asked(login, admin, ivy):
    login(admin).post(reverse("invite_resend", args=[ivy.user.id]))
    created = AuditEvent.objects.filter(subject_id=ivy.user.id, record_type="invite").order_by("at")
    assert [(row.actor_id, row.action) for row in created][-1] == (admin.id, "create")


def test_no_new_invite_for_someone_who_has_a_password(login, therapist, client_user, episode):
    response = login(therapist).post(reverse("invite_resend", args=[client_user.id]))
    assert response.status_code == 302
    assert mail.outbox == []
    assert not Invite.objects.filter(user=client_user, created_at__lte=timezone.now()).exists()


# --- point 13: what the caseload shows afterwards ------------------------------------------


def waiting_rows(browser: Client) -> list[str]:
    page = browser.get(reverse("caseload")).content.decode()
    if "Invitations waiting" not in page:
        return []
    table = page[page.index('<table class="waiting">') : page.index("</table>")]
    rows = re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", table, re.S)
    # The invitation's own id is in its buttons' addresses; everything else must match.
    return [re.sub(r"/invitations/[0-9a-f-]+/", "/invitations/ID/", row) for row in rows]


def test_the_caseload_shows_both_invitations_waiting_alike(therapist, stranger, login):
    with time_machine.travel(T0, tick=False) as clock:
        browser = login(therapist)
        add_client(browser, "nina@example.org", name="Same Name")
        clock.shift(timedelta(seconds=1))  # listed oldest first
        add_client(browser, stranger.email, name="Same Name")
        fresh, existing = waiting_rows(browser)
    assert fresh.replace("nina@example.org", "X") == existing.replace(stranger.email, "X")
    assert "Same Name" in fresh
    # The new client is not yet among the clients: they appear once they accept.
    page = browser.get(reverse("caseload")).content.decode()
    assert 'class="case-name"' not in page


def test_sending_again_answers_alike_for_both(therapist, stranger, login):
    browser = login(therapist)
    add_client(browser, "nina@example.org", name="Same Name")
    add_client(browser, stranger.email, name="Same Name")
    first, second = (invite.id for invite in Invite.objects.order_by("created_at"))
    mail.outbox.clear()
    fresh = browser.post(reverse("invitation_resend", args=[first]))
    existing = browser.post(reverse("invitation_resend", args=[second]))
    assert fresh.status_code == existing.status_code == 200
    assert main_text(fresh).replace("nina@example.org", "X") == main_text(existing).replace(
        stranger.email, "X"
    )
    assert [m.to for m in mail.outbox] == [["nina@example.org"], [stranger.email]]
    assert "/invite/" in mail.outbox[0].body and "/invite/" not in mail.outbox[1].body
    # Still one waiting row each, with a new expiry.
    assert len(waiting_rows(browser)) == 2


def test_withdrawing_a_waiting_invitation_removes_it(therapist, stranger, login):
    browser = login(therapist)
    add_client(browser, stranger.email, name="Someone")
    (invite,) = Invite.objects.all()
    response = browser.post(reverse("invitation_withdraw", args=[invite.id]))
    assert response["Location"] == reverse("caseload")
    assert waiting_rows(browser) == []
    assert browser.post(reverse("invitation_withdraw", args=[invite.id])).status_code == 404


def test_an_invitation_with_no_account_has_no_working_link(therapist, stranger, login):
    add_client(login(therapist), stranger.email)
    (invite,) = Invite.objects.all()
    assert (invite.user, invite.email) == (None, stranger.email)
    # Its token was never kept: nothing can open it, and accepting needs an account anyway.
    assert invite.token_hash not in mail.outbox[0].body


def test_another_therapist_cannot_see_or_touch_a_waiting_invitation(
    therapist, other_therapist, stranger, login
):
    add_client(login(therapist), stranger.email)
    (invite,) = Invite.objects.all()
    other = login(other_therapist)
    assert waiting_rows(other) == []
    assert other.post(reverse("invitation_resend", args=[invite.id])).status_code == 404
    assert other.post(reverse("invitation_withdraw", args=[invite.id])).status_code == 404


def test_once_accepted_the_client_moves_to_the_caseload(therapist, login):
    browser = login(therapist)
    add_client(browser, "nina@example.org", name="Nina New")
    token = token_in(mail.outbox[0].body)
    Client().post(
        f"/invite/{token}/",
        {"password1": "a long enough sentence", "password2": "a long enough sentence"},
    )
    assert waiting_rows(browser) == []
    assert '<a class="case-name"' in browser.get(reverse("caseload")).content.decode()
