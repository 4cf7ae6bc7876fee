"""The public reach-out page: no account, nothing from elsewhere, spam refused, nothing lost.

Each refusal is shown with the words the person typed still in the form, and stores nothing;
a person's own mistakes (no consent, a bad address) never count against their address.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from alliance.audit.models import AuditEvent, RecordType
from alliance.messaging.models import OutboxMessage
from alliance.people.models import Region
from alliance.reachout import spam
from alliance.reachout.models import ReachOutRequest, RequestStatus
from alliance.reachout.services import page_save
from tests.web.reach_out import (
    WORDS,
    form_data,
    send,
)


def _kept(response) -> None:
    """The page shows the form again with every word the person typed."""
    html = response.content.decode()
    assert 'value="Robin Alvarez"' in html
    assert 'value="robin@example.net"' in html
    assert "I&#x27;d like to try therapy again.\nEvenings are easier for me.</textarea>" in html


def _stamp_of(response) -> str:
    match = re.search(r'name="stamp" value="([^"]+)"', response.content.decode())
    assert match is not None
    return match.group(1)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_greets_in_the_therapists_words_and_asks_for_no_account(teresas_page):
    response = Client().get("/reach-out/to/teresa-tran/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>You're welcome to reach out</h1>" in html
    assert "I work with adults who feel things intensely." in html
    assert "You don't need an account" in html
    assert 'name="website"' in html and 'tabindex="-1"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_page_asks_for_nothing_from_another_site(teresas_page):
    html = Client().get("/reach-out/to/teresa-tran/").content.decode()
    addresses = re.findall(r'(?:src|href|action)="([^"]+)"', html)
    assert addresses
    assert [a for a in addresses if a.startswith(("http:", "https:", "//"))] == []


def test_the_footer_and_the_page_show_the_clinics_own_region(teresas_page, clinic):
    clinic.region = Region.UK
    clinic.save(update_fields=["region"])
    html = Client().get("/reach-out/to/teresa-tran/").content.decode()
    assert 'href="tel:999"' in html
    assert "tel:911" not in html


def test_a_closed_page_an_unknown_one_and_one_whose_therapist_left_are_not_there(
    teresas_page, therapist
):
    assert Client().get("/reach-out/to/nobody-here/").status_code == 404
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])
    assert Client().get("/reach-out/to/teresa-tran/").status_code == 404
    therapist.is_active = True
    therapist.save(update_fields=["is_active"])
    page_save(actor=therapist, is_open=False, slug=teresas_page.slug, display_name="T", welcome="")
    assert Client().get("/reach-out/to/teresa-tran/").status_code == 404
    assert send(teresas_page).status_code == 404
    assert ReachOutRequest.objects.count() == 0


# --- a request comes in --------------------------------------------------------------------------


def test_a_request_is_stored_encrypted_and_acknowledged_warmly(teresas_page):
    response = send(teresas_page)
    assert (response.status_code, response["Location"]) == (
        302,
        "/reach-out/to/teresa-tran/thanks/",
    )
    request = ReachOutRequest.objects.get()
    assert (request.name, request.email, request.phone) == (
        "Robin Alvarez",
        "robin@example.net",
        "+1 416 555 0147",
    )
    assert request.message == WORDS["message"]
    assert request.status == RequestStatus.WAITING
    assert request.consent_at == request.received_at
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, email, phone, message FROM reachout_reachoutrequest")
        raw = cursor.fetchone()
    assert all(value.startswith("enc1:") for value in raw)
    thanks = Client().get(response["Location"]).content.decode()
    assert "Thank you for reaching out" in thanks
    assert "We usually answer within 3 working days, by email." in thanks
    assert "If you are in danger now, call" in thanks
    assert 'href="tel:988"' in thanks


@override_settings(ALLIANCE_REACH_OUT_ANSWER_DAYS=1)
def test_the_thanks_page_says_the_days_the_clinic_set(teresas_page):
    html = Client().get("/reach-out/to/teresa-tran/thanks/").content.decode()
    assert "We usually answer within 1 working day, by email." in html


def test_sending_the_same_form_twice_stores_it_once(teresas_page):
    data = form_data(teresas_page)
    first, second = send(teresas_page, data), send(teresas_page, data)
    assert first["Location"] == second["Location"] == "/reach-out/to/teresa-tran/thanks/"
    assert ReachOutRequest.objects.count() == 1


def test_nothing_is_mailed_to_the_address_typed(teresas_page):
    """So the form cannot be used to send mail to a stranger."""
    send(teresas_page)
    assert OutboxMessage.objects.count() == 0


def test_the_log_says_a_request_came_without_keeping_where_from(teresas_page):
    send(teresas_page, form_data(teresas_page), REMOTE_ADDR="203.0.113.9")
    row = AuditEvent.objects.get(record_type=RecordType.REACH_OUT)
    assert (row.action, row.actor_id, row.subject_id, row.ip, row.route) == (
        "create",
        None,
        None,
        None,
        "",
    )
    assert row.record_id == str(ReachOutRequest.objects.get().id)


def test_consent_is_required_and_the_words_are_kept(teresas_page):
    response = send(teresas_page, form_data(teresas_page, consent=None))
    assert response.status_code == 400
    assert "Please tick this box, so that we may write back to you." in response.content.decode()
    _kept(response)
    assert ReachOutRequest.objects.count() == 0


def test_mistakes_are_summed_up_first_with_a_link_to_each_field(teresas_page):
    """A slow sender (no refusal) with mistakes still hears about them first: role="alert"."""
    response = send(teresas_page, form_data(teresas_page, email="robin", consent=None))
    assert response.status_code == 400
    html = response.content.decode()
    summary = html.split('<div class="error-summary" role="alert"', 1)[1].split("</div>", 1)[0]
    assert "Nothing was sent yet" in summary
    assert '<a href="#id_email">Your email</a>' in summary
    assert 'href="#id_consent"' in summary
    assert 'href="#id_name"' not in summary  # the name was right
    assert 'value="Robin Alvarez"' in html and 'value="robin"' in html


def test_a_phone_number_must_be_digits(teresas_page):
    response = send(teresas_page, form_data(teresas_page, phone="call me maybe"))
    assert response.status_code == 400
    assert ReachOutRequest.objects.count() == 0


# --- spam refused --------------------------------------------------------------------------------


def test_the_honeypot_filled_in_is_refused_and_the_words_are_kept(teresas_page):
    response = send(teresas_page, form_data(teresas_page, website="http://spam.example/"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This didn't go through." in html
    assert "spam.example" not in html  # the hidden field comes back empty
    _kept(response)
    assert ReachOutRequest.objects.count() == 0


@pytest.mark.parametrize(("seconds", "stored"), [(2.9, False), (3.0, True)])
def test_a_form_sent_faster_than_three_seconds_is_refused(teresas_page, seconds, stored):
    with time_machine.travel(timezone.now(), tick=False):
        response = send(teresas_page, form_data(teresas_page, shown_ago=seconds))
    assert ReachOutRequest.objects.exists() is stored
    if not stored:
        assert response.status_code == 400
        assert "quicker than we expected" in response.content.decode()
        _kept(response)


@pytest.mark.parametrize(("seconds", "stored"), [(24 * 3600, True), (24 * 3600 + 1, False)])
def test_a_form_shown_more_than_a_day_ago_comes_back_fresh_with_the_words(
    teresas_page, seconds, stored
):
    with time_machine.travel(timezone.now(), tick=False):
        response = send(teresas_page, form_data(teresas_page, shown_ago=seconds))
        assert ReachOutRequest.objects.exists() is stored
        if stored:
            return
        assert response.status_code == 400
        assert "This page was open for a long time" in response.content.decode()
        _kept(response)
        fresh = _stamp_of(response)
        assert (
            spam.stamp_problem(fresh, teresas_page.id, now=timezone.now() + timedelta(seconds=5))
            is None
        )


@pytest.mark.parametrize(
    "stamp", ["", "not-signed", "eyJwIjoiMSIsInQiOjB9:1:forged"], ids=["missing", "junk", "forged"]
)
def test_a_form_without_a_valid_stamp_is_refused(teresas_page, stamp):
    response = send(teresas_page, form_data(teresas_page, stamp=stamp))
    assert response.status_code == 400
    _kept(response)
    assert ReachOutRequest.objects.count() == 0


def test_a_stamp_from_another_page_is_refused(teresas_page, clinic_page):
    stamp = form_data(clinic_page)["stamp"]
    assert send(teresas_page, form_data(teresas_page, stamp=stamp)).status_code == 400
    assert ReachOutRequest.objects.count() == 0


def test_a_post_with_no_form_token_is_refused(teresas_page):
    response = send(teresas_page, form_data(teresas_page, form_token="not-a-token"))
    assert response.status_code == 400
    assert ReachOutRequest.objects.count() == 0


def test_five_requests_an_hour_from_one_address_then_a_kind_wait(teresas_page, clinic):
    clinic.contact_phone = "416-555-0100"
    clinic.save(update_fields=["contact_phone"])
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            assert send(teresas_page).status_code == 302
            clock.shift(60)
        refused = send(teresas_page)
        assert refused.status_code == 429
        html = refused.content.decode()
        assert "several messages from this connection in the last hour" in html
        assert 'href="tel:4165550100"' in html  # the clinic, directly
        _kept(refused)
        assert ReachOutRequest.objects.count() == 5
        clock.move_to(start + timedelta(seconds=3599))
        assert send(teresas_page).status_code == 429  # the first still counts
        clock.move_to(start + timedelta(seconds=3600))
        assert send(teresas_page).status_code == 302  # the first no longer does
    assert ReachOutRequest.objects.count() == 6


def test_spam_attempts_count_against_the_address_but_a_persons_mistakes_do_not(teresas_page):
    for _ in range(4):
        assert send(teresas_page, form_data(teresas_page, website="x")).status_code == 400
    for _ in range(3):
        assert send(teresas_page, form_data(teresas_page, consent=None)).status_code == 400
    assert send(teresas_page).status_code == 302  # the fifth counted
    assert send(teresas_page).status_code == 429
    assert ReachOutRequest.objects.count() == 1


def test_each_address_has_its_own_count(teresas_page):
    for _ in range(5):
        send(teresas_page, form_data(teresas_page), REMOTE_ADDR="203.0.113.1")
    assert send(teresas_page, form_data(teresas_page), REMOTE_ADDR="203.0.113.1").status_code == 429
    assert send(teresas_page, form_data(teresas_page), REMOTE_ADDR="203.0.113.2").status_code == 302


def test_a_forwarded_for_header_is_not_believed_without_a_proxy(teresas_page):
    for n in range(6):
        last = send(teresas_page, form_data(teresas_page), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert last.status_code == 429


@override_settings(ALLIANCE_PROXY_COUNT=1)
def test_behind_a_proxy_the_address_is_the_one_it_forwarded(teresas_page):
    for n in range(6):
        last = send(teresas_page, form_data(teresas_page), HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    assert last.status_code == 302
    assert ReachOutRequest.objects.count() == 6


def test_the_count_keeps_no_address(teresas_page):
    send(teresas_page, form_data(teresas_page), REMOTE_ADDR="203.0.113.77")
    key = spam._key("203.0.113.77")
    assert "203.0.113.77" not in key
    assert len(caches[settings.REACH_OUT_CACHE_ALIAS].get(key)) == 1
