"""The clinic admin's People page: therapists, invitations, last sign-in, confirmed deactivation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.people.models import Invite
from alliance.people.selectors import clinic_people
from alliance.people.services import client_add

PEOPLE = reverse("clinic_people")
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def page(browser) -> str:
    return browser.get(PEOPLE).content.decode()


def row_of(html: str, name: str) -> str:
    start = html.index(f'<th scope="row">{name}</th>')
    return html[start : html.index("</tr>", start)]


def test_each_client_shows_their_therapist(login, admin, episode, other_episode):
    html = page(login(admin))
    assert "<td>Teresa Tran</td>" in row_of(html, "Carla Client")
    assert "<td>Omar Osei</td>" in row_of(html, "Olivia Other")


def test_a_client_not_in_care_says_so(login, admin, client_user):
    assert "Not in care" in row_of(page(login(admin)), "Carla Client")


def test_the_table_has_a_caption_and_header_scopes(login, admin):
    html = page(login(admin))
    assert "<caption>Everyone in the clinic</caption>" in html
    assert '<th scope="col">Last sign-in</th>' in html
    assert '<th scope="col">Therapist</th>' in html


def test_a_pending_invitation_shows_its_expiry_and_actions(login, admin, therapist):
    with time_machine.travel(T0, tick=False):
        added = client_add(
            therapist=therapist,
            full_name="Ivy Invited",
            email="ivy@example.org",
            timezone_name="UTC",
        )
        row = row_of(page(login(admin)), "Ivy Invited")
    # Adam's time zone is America/Toronto, on summer time (UTC-4) from 8 March.
    assert "Invited; the link expires 9 Mar 2026, 11:00" in row
    assert reverse("invite_resend", args=[added.user.id]) in row
    assert reverse("invite_revoke", args=[added.user.id]) in row


def test_withdrawing_an_invitation_stops_the_link_and_is_logged(login, admin, therapist):
    added = client_add(
        therapist=therapist, full_name="Ivy Invited", email="ivy@example.org", timezone_name="UTC"
    )
    browser = login(admin)
    response = browser.post(reverse("invite_revoke", args=[added.user.id]))
    assert response["Location"] == PEOPLE
    assert not Invite.objects.get(user=added.user).is_usable()
    row = row_of(page(browser), "Ivy Invited")
    assert "Invitation expired or withdrawn" in row
    assert reverse("invite_revoke", args=[added.user.id]) not in row
    assert AuditEvent.objects.filter(subject_id=added.user.id, detail="revoked").count() == 1
    assert mail.outbox == []


def test_withdrawing_twice_says_there_is_nothing_to_withdraw(login, admin, therapist):
    added = client_add(
        therapist=therapist, full_name="Ivy Invited", email="ivy@example.org", timezone_name="UTC"
    )
    browser = login(admin)
    browser.post(reverse("invite_revoke", args=[added.user.id]))
    response = browser.post(reverse("invite_revoke", args=[added.user.id]), follow=True)
    assert "There is no open invitation to withdraw." in response.content.decode()


def test_last_sign_in_is_shown_or_never(login, admin, other_therapist, client_user):
    client_user.last_login = datetime(2026, 2, 27, 14, 5, tzinfo=UTC)
    client_user.save(update_fields=["last_login"])
    html = page(login(admin))
    assert '<time datetime="2026-02-27T09:05:00-05:00">27 Feb 2026, 09:05</time>' in row_of(
        html, "Carla Client"
    )
    assert "<td>Never</td>" in row_of(html, "Omar Osei")


def test_deactivating_asks_to_confirm_first(login, admin, client_user):
    browser = login(admin)
    assert reverse("person_deactivate", args=[client_user.id]) in row_of(
        page(browser), "Carla Client"
    )
    confirm = browser.get(reverse("person_deactivate", args=[client_user.id]))
    assert confirm.status_code == 200
    assert "<h1>Deactivate Carla Client's account?</h1>" in confirm.content.decode()
    client_user.refresh_from_db()
    assert client_user.is_active


def test_deactivating_without_the_ticked_box_changes_nothing(login, admin, client_user):
    response = login(admin).post(reverse("person_deactivate", args=[client_user.id]), {})
    assert response.status_code == 400
    assert "Please tick the box to confirm." in response.content.decode()
    client_user.refresh_from_db()
    assert client_user.is_active


def test_deactivating_with_the_ticked_box_logs_them_out(login, admin, client_user):
    theirs = login(client_user)
    response = login(admin).post(
        reverse("person_deactivate", args=[client_user.id]), {"confirm": "on"}
    )
    assert response["Location"] == PEOPLE
    client_user.refresh_from_db()
    assert not client_user.is_active
    assert theirs.get("/me/")["Location"].startswith(reverse("login"))


def test_a_refused_deactivation_says_why_on_the_confirmation_page(login, admin, therapist, episode):
    response = login(admin).post(
        reverse("person_deactivate", args=[therapist.id]), {"confirm": "on"}
    )
    assert response.status_code == 400
    assert "still has 1 client in care" in response.content.decode()


def test_the_page_reads_everyone_in_one_query(admin, therapist, episode, other_episode):
    for n in range(5):
        client_add(
            therapist=therapist, full_name=f"C {n}", email=f"c{n}@example.org", timezone_name="UTC"
        )
    with CaptureQueriesContext(connection) as queries:
        people = clinic_people(admin, now=T0 + timedelta(days=400))
        assert len(people) == 10
        [(p.therapist_name, p.invite_expires_at, p.in_care, p.last_login) for p in people]
    assert len(queries) == 1
