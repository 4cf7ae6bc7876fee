"""Reach-out requests for staff: the therapist's own, the clinic's intake list, and the three
answers (a reply, a kind decline, an invitation to become a client), each given once."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from alliance.audit.models import AuditEvent, RecordType
from alliance.messaging.models import MessageKind, OutboxMessage
from alliance.messaging.services import messages_deliver_due
from alliance.people.models import CareEpisode, Invite, Role, User
from alliance.reachout.models import ReachOutPage, ReachOutRequest, RequestStatus
from tests.web.reach_out import (
    received,
)

REPLY = "Thank you for writing, Robin. I have an evening opening on Thursdays."


def _detail(request: ReachOutRequest) -> str:
    return f"/reach-out/{request.id}/"


# --- who sees what ---------------------------------------------------------------------------


def test_a_therapist_sees_the_requests_sent_to_them_only(login, teresas_page, clinic_page):
    mine = received(teresas_page, name="Robin Mine")
    received(clinic_page, name="Casey Clinic")
    html = login(teresas_page.therapist).get("/reach-out/").content.decode()
    assert "Robin Mine" in html
    assert "Casey Clinic" not in html
    assert f'href="/reach-out/{mine.id}/"' in html


def test_the_clinic_admin_sees_the_clinics_intake_list(login, admin, teresas_page, clinic_page):
    received(teresas_page, name="Robin Mine")
    received(clinic_page, name="Casey Clinic")
    html = login(admin).get("/reach-out/").content.decode()
    assert "Casey Clinic" in html
    assert "Robin Mine" not in html


def test_requests_to_a_therapist_who_left_reach_the_intake_list(
    login, admin, teresas_page, therapist
):
    request = received(teresas_page, name="Robin Waiting")
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])
    browser = login(admin)
    assert "Robin Waiting" in browser.get("/reach-out/").content.decode()
    assert browser.get(_detail(request)).status_code == 200


def test_another_therapist_gets_a_404(login, other_therapist, teresas_page):
    request = received(teresas_page)
    browser = login(other_therapist)
    assert browser.get(_detail(request)).status_code == 404
    assert browser.post(f"{_detail(request)}reply/", {"reply-text": REPLY}).status_code == 404
    assert OutboxMessage.objects.count() == 0


def test_opening_a_request_is_logged_without_naming_anyone(login, therapist, teresas_page):
    request = received(teresas_page)
    html = login(therapist).get(_detail(request)).content.decode()
    assert "Robin Alvarez reached out" in html
    assert "I&#x27;d like to try therapy again.<br>Evenings are easier for me." in html
    row = AuditEvent.objects.get(record_type=RecordType.REACH_OUT, action="view")
    assert (row.actor_id, row.record_id, row.subject_id) == (therapist.id, str(request.id), None)


def test_the_list_is_logged_one_row_a_request(login, therapist, teresas_page):
    first, second = received(teresas_page), received(teresas_page)
    login(therapist).get("/reach-out/")
    listed = AuditEvent.objects.filter(record_type=RecordType.REACH_OUT, action="list")
    assert sorted(listed.values_list("record_id", flat=True)) == sorted(
        [str(first.id), str(second.id)]
    )


def test_the_caseload_says_how_many_wait(login, therapist, teresas_page):
    received(teresas_page)
    received(teresas_page)
    done = received(teresas_page)
    login(therapist).post(f"{_detail(done)}reply/", {"reply-text": REPLY})
    html = login(therapist).get("/caseload/").content.decode()
    assert '<a href="/reach-out/">2 people reached out and are waiting for an answer</a>' in html


def test_no_line_on_the_caseload_when_nobody_waits(login, therapist, teresas_page):
    assert "reached out" not in login(therapist).get("/caseload/").content.decode()


# --- a reply ---------------------------------------------------------------------------------


def test_a_reply_goes_out_through_the_outbox_once(login, therapist, teresas_page):
    request = received(teresas_page)
    browser = login(therapist)
    response = browser.post(f"{_detail(request)}reply/", {"reply-text": REPLY})
    assert (response.status_code, response["Location"]) == (302, _detail(request))
    request.refresh_from_db()
    assert (request.status, request.answer, request.answered_by) == (
        RequestStatus.REPLIED,
        REPLY,
        therapist,
    )
    message = OutboxMessage.objects.get()
    assert (message.kind, message.to_address, message.recipient, message.clinic_id) == (
        MessageKind.REACH_OUT_ANSWER,
        "robin@example.net",
        None,
        teresas_page.clinic_id,
    )
    assert (message.about_type, message.about_id) == ("reach_out", request.id)
    again = browser.post(f"{_detail(request)}reply/", {"reply-text": "A second reply"})
    assert again.status_code == 302
    assert OutboxMessage.objects.count() == 1
    follow = browser.get(_detail(request)).content.decode()
    assert "This request was already answered (answered," in follow
    assert "A second reply" not in follow


def test_the_reply_email_says_who_wrote_how_to_write_again_and_where_help_is(
    login, therapist, teresas_page
):
    request = received(teresas_page)
    login(therapist).post(f"{_detail(request)}reply/", {"reply-text": REPLY})
    assert messages_deliver_due().sent == 1
    [email] = mail.outbox
    assert email.to == ["robin@example.net"]
    assert email.subject == "Your message to Teresa Tran"
    assert email.body.startswith("Hello Robin Alvarez,\n\n" + REPLY + "\n\nTeresa Tran\nHarbour")
    assert "http://testserver/reach-out/to/teresa-tran/" in email.body
    assert "call or text 9-8-8" in email.body
    assert "In an emergency, call 911." in email.body


def test_an_empty_reply_is_refused_on_the_page(login, therapist, teresas_page):
    request = received(teresas_page)
    response = login(therapist).post(f"{_detail(request)}reply/", {"reply-text": "  "})
    assert response.status_code == 400
    assert "Please write a few words to send." in response.content.decode()
    assert OutboxMessage.objects.count() == 0
    request.refresh_from_db()
    assert request.is_waiting


# --- a kind decline --------------------------------------------------------------------------


def test_the_three_answers_share_a_page_without_sharing_an_id(login, therapist, teresas_page):
    html = login(therapist).get(_detail(received(teresas_page))).content.decode()
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert '<label for="id_reply-text">Your reply</label>' in html
    assert '<label for="id_decline-text">Your kind decline</label>' in html


def test_the_decline_form_starts_with_warm_words(login, therapist, teresas_page):
    html = login(therapist).get(_detail(received(teresas_page))).content.decode()
    assert "Thank you for reaching out, and for trusting me with what you wrote." in html
    assert "That isn&#x27;t about you" in html


def test_the_clinics_decline_speaks_as_we(login, admin, clinic_page):
    html = login(admin).get(_detail(received(clinic_page))).content.decode()
    assert "for trusting us with what you wrote" in html


def test_a_decline_goes_out_as_written_once(login, therapist, teresas_page):
    request = received(teresas_page)
    browser = login(therapist)
    browser.post(f"{_detail(request)}decline/", {"decline-text": "Thank you. I'm full for now."})
    browser.post(f"{_detail(request)}reply/", {"reply-text": REPLY})
    request.refresh_from_db()
    assert (request.status, request.answer) == (
        RequestStatus.DECLINED,
        "Thank you. I'm full for now.",
    )
    assert OutboxMessage.objects.count() == 1
    messages_deliver_due()
    assert "Thank you. I'm full for now." in mail.outbox[0].body


# --- an invitation ---------------------------------------------------------------------------


def _invite(browser: Client, request: ReachOutRequest, **extra: str):
    data = {
        "full_name": "Robin Alvarez",
        "display_name": "Robin",
        "email": "robin@example.net",
        "timezone": "America/Toronto",
        **extra,
    }
    return browser.post(f"{_detail(request)}invite/", data)


def test_a_therapist_turns_a_request_into_a_client_invitation_in_one_step(
    login, therapist, teresas_page
):
    request = received(teresas_page)
    browser = login(therapist)
    assert _invite(browser, request).status_code == 302
    client = User.objects.get(email="robin@example.net")
    assert (client.role, client.display_name) == (Role.CLIENT, "Robin")
    assert CareEpisode.objects.get(client=client).therapist == therapist
    request.refresh_from_db()
    assert (request.status, request.invited_to, request.answered_by) == (
        RequestStatus.INVITED,
        therapist,
        therapist,
    )
    [invitation] = mail.outbox
    assert invitation.to == ["robin@example.net"]
    assert "Teresa at Harbour Clinic invited you to Alliance" in invitation.body
    assert _invite(browser, request).status_code == 302  # sent again: nothing more happens
    assert Invite.objects.count() == 1
    assert len(mail.outbox) == 1
    assert "Robin Alvarez" in browser.get("/caseload/").content.decode()  # invitation waiting


def test_the_form_is_filled_in_from_the_request(login, therapist, teresas_page):
    html = login(therapist).get(_detail(received(teresas_page))).content.decode()
    assert 'name="full_name" value="Robin Alvarez"' in html
    assert 'name="email" value="robin@example.net"' in html


def test_an_address_already_in_use_answers_the_same(login, therapist, teresas_page, other_client):
    request = received(teresas_page, email=other_client.email)
    browser = login(therapist)
    assert _invite(browser, request, email=other_client.email).status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.INVITED
    assert not CareEpisode.objects.filter(client=other_client, therapist=therapist).exists()
    waiting = Invite.objects.get(user__isnull=True)
    assert waiting.created_by == therapist  # shown on the caseload like any other


def test_the_clinic_admin_invites_to_a_therapists_caseload(
    login, admin, other_therapist, clinic_page
):
    request = received(clinic_page)
    browser = login(admin)
    html = browser.get(_detail(request)).content.decode()
    assert "Their therapist" in html
    assert _invite(browser, request, therapist=str(other_therapist.id)).status_code == 302
    episode = CareEpisode.objects.get(client__email="robin@example.net")
    assert episode.therapist == other_therapist
    created = AuditEvent.objects.get(record_type=RecordType.CARE_EPISODE, action="create")
    assert created.actor_id == admin.id
    assert "Adam at Harbour Clinic invited you" in mail.outbox[0].body
    assert "Omar reads it before the next one." in mail.outbox[0].body


def test_the_clinic_admin_must_choose_a_therapist(login, admin, clinic_page):
    request = received(clinic_page)
    response = _invite(login(admin), request)
    assert response.status_code == 400
    assert User.objects.filter(email="robin@example.net").count() == 0


def test_a_therapist_of_another_clinic_cannot_be_chosen(login, admin, stranger, clinic_page):
    request = received(clinic_page)
    assert _invite(login(admin), request, therapist=str(stranger.id)).status_code == 400
    assert not User.objects.filter(email="robin@example.net").exists()


# --- the page itself -------------------------------------------------------------------------


def test_a_therapist_opens_their_page_from_their_account(login, therapist):
    browser = login(therapist)
    assert 'href="/reach-out/page/"' in browser.get("/account/").content.decode()
    form = browser.get("/reach-out/page/").content.decode()
    assert 'value="teresa-tran"' in form  # a suggested address
    response = browser.post(
        "/reach-out/page/",
        {"is_open": "on", "slug": "teresa", "display_name": "Teresa Tran, RP", "welcome": "Hi."},
    )
    assert response.status_code == 302
    saved = ReachOutPage.objects.get(therapist=therapist)
    assert (saved.slug, saved.display_name, saved.is_open) == (
        "teresa",
        "Teresa Tran, RP",
        True,
    )
    assert Client().get("/reach-out/to/teresa/").status_code == 200
    row = AuditEvent.objects.get(record_type=RecordType.REACH_OUT_PAGE)
    assert (row.action, row.actor_id, row.subject_id) == ("create", therapist.id, therapist.id)


def test_an_address_taken_by_another_page_is_refused(login, other_therapist, teresas_page):
    response = login(other_therapist).post(
        "/reach-out/page/", {"is_open": "on", "slug": teresas_page.slug, "display_name": "Omar"}
    )
    assert response.status_code == 400
    assert "That address is already taken." in response.content.decode()


def test_closing_the_page_keeps_its_requests(login, therapist, teresas_page):
    request = received(teresas_page)
    login(therapist).post("/reach-out/page/", {"slug": teresas_page.slug, "display_name": "Teresa"})
    teresas_page.refresh_from_db()
    assert teresas_page.is_open is False
    assert Client().get(f"/reach-out/to/{teresas_page.slug}/").status_code == 404
    assert login(therapist).get(_detail(request)).status_code == 200


def test_the_clinic_admin_opens_the_clinics_page(login, admin):
    browser = login(admin)
    assert 'href="/reach-out/page/"' in browser.get("/clinic/settings/").content.decode()
    browser.post(
        "/reach-out/page/", {"is_open": "on", "slug": "harbour", "display_name": "Harbour"}
    )
    saved = ReachOutPage.objects.get()
    assert (saved.therapist, saved.clinic_id) == (None, admin.clinic_id)


def test_the_clinic_answers_for_a_therapist_who_left_in_its_own_name(
    login, admin, therapist, teresas_page
):
    request = received(teresas_page)
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])
    browser = login(admin)
    assert "for trusting us with what you wrote" in browser.get(_detail(request)).content.decode()
    browser.post(f"{_detail(request)}reply/", {"reply-text": "Teresa has left; we can help."})
    messages_deliver_due()
    body = mail.outbox[0].body
    assert "Teresa has left; we can help.\n\nHarbour Clinic\n\n--" in body
    assert "\nTeresa Tran\n" not in body
