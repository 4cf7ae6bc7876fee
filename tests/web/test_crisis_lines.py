"""Crisis numbers come from the clinic's region, in one table, never from a template.

The help page, the crisis box after a risk answer, the check-in page, the footer of every page
and the error page all read ``alliance.core.safety.CRISIS_LINES``; numbers are tap-to-call
(``tel:``) and, where the line takes texts, tap-to-text (``sms:``) links. The help page says
that opening it sends nothing, and shows how to reach the clinic and the therapist.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import alliance
from alliance.core.safety import CRISIS_LINES, DEFAULT_REGION, crisis_lines
from alliance.outcomes import safety
from alliance.outcomes.safety import crisis_lines_for, crisis_resources_for
from alliance.outcomes.templatetags.crisis_tags import tel_href
from alliance.people.models import CareEpisode, Clinic, User
from alliance.views import server_error_view

# Each region: its emergency number, then (tel, sms) of its helplines, as the links carry them.
EXPECTED = {
    "CA": ("911", [("988", "988")]),
    "US": ("911", [("988", "988")]),
    "UK": ("999", [("116123", ""), ("111", "")]),
    "AU": ("000", [("131114", "")]),
}
EVERY_NUMBER = {"911", "988", "999", "116123", "111", "000", "131114"}
# Numbers of the other regions, as pages write them: one on a page would send someone to the
# wrong country's line.
FOREIGN = {
    "CA": {"116 123", "999", "13 11 14"},
    "US": {"116 123", "999", "13 11 14"},
    "UK": {"9-8-8", "988", "911", "13 11 14"},
    "AU": {"9-8-8", "988", "911", "116 123", "999"},
}


def set_region(clinic: Clinic, region: str) -> None:
    clinic.region = region
    clinic.save(update_fields=["region"])


def dialled(html: str) -> tuple[set[str], set[str]]:
    """Every number the page links for calling, and for texting."""
    return set(re.findall(r'href="tel:([^"]+)"', html)), set(
        re.findall(r'href="sms:([^"]+)"', html)
    )


def region_numbers(region: str) -> tuple[set[str], set[str]]:
    emergency, lines = EXPECTED[region]
    return {emergency, *(call for call, _ in lines)}, {text for _, text in lines if text}


def test_the_table_has_the_four_regions_with_the_sourced_numbers():
    table = {
        code: (lines.emergency, [(r.call, r.text) for r in lines.helplines])
        for code, lines in CRISIS_LINES.items()
    }
    assert table == EXPECTED
    assert DEFAULT_REGION == "CA"
    assert [r.number for r in CRISIS_LINES["CA"].helplines] == ["9-8-8"]
    assert [r.name for r in CRISIS_LINES["UK"].helplines] == ["Samaritans", "NHS 111"]
    assert [r.name for r in CRISIS_LINES["AU"].helplines] == ["Lifeline"]


def test_every_region_ends_with_its_emergency_services():
    for lines in CRISIS_LINES.values():
        last = lines.resources[-1]
        assert (last.name, last.call, last.number) == (
            "Emergency services",
            lines.emergency,
            lines.emergency,
        )


def test_an_unknown_region_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"region: expected one of CA, US, UK, AU, got 'FR'"):
        crisis_lines("FR")


def test_a_clinic_with_a_region_the_table_does_not_know_gets_the_default_and_a_log(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
):
    Clinic.objects.filter(pk=clinic.pk).update(region="ZZ")
    clinic.refresh_from_db()
    with caplog.at_level(logging.ERROR):
        assert crisis_lines_for(clinic) == CRISIS_LINES["CA"]
    assert "Region of clinic" in caplog.text and "is not known" in caplog.text


@pytest.mark.parametrize("region", list(EXPECTED))
def test_the_help_page_links_the_regions_numbers_and_no_others(
    region: str, clinic: Clinic, client_user: User, login: Callable[[User], Client]
):
    set_region(clinic, region)
    html = login(client_user).get(reverse("crisis_help")).content.decode()
    calls, texts = region_numbers(region)
    assert dialled(html) == (calls, texts)
    emergency = EXPECTED[region][0]
    assert f'If you are in danger now, call <a href="tel:{emergency}">{emergency}</a>.' in html
    visible = re.sub(r"<[^>]+>", "", html)
    assert [
        n for n in sorted(FOREIGN[region]) if re.search(rf"(?<![\d-]){n}(?![\d-])", visible)
    ] == []


@pytest.mark.parametrize("region", list(EXPECTED))
def test_the_crisis_box_after_a_risk_answer_follows_the_region(region: str, clinic: Clinic):
    set_region(clinic, region)
    factory = RequestFactory().get("/")
    factory.user = User.objects.create_user(
        "risk@example.org", "pw", full_name="R", role="client", clinic=clinic
    )
    html = render_to_string(
        "outcomes/crisis.html",
        {"crisis_resources": crisis_resources_for(clinic)},
        request=factory,
    )
    assert dialled(html) == region_numbers(region)
    assert "What happens next" in html  # a risk answer was sent: the therapist will see it


@pytest.mark.parametrize("region", list(EXPECTED))
def test_every_page_footer_and_the_check_in_page_follow_the_region(
    region: str,
    clinic: Clinic,
    episode: CareEpisode,
    client_user: User,
    attend: Callable[..., object],
    login: Callable[[User], Client],
):
    set_region(clinic, region)
    session = attend(episode, 1)
    browser = login(client_user)
    home = browser.get(reverse("client_home")).content.decode()
    footer = home.split("<footer")[1]
    calls, texts = region_numbers(region)
    assert dialled(footer) == (calls, texts)
    checkin = browser.get(reverse("checkin", args=[session.id])).content.decode()
    who_reads = checkin.split('<p class="who-reads">')[1].split("</p>")[0]
    assert "No one watches this app around the clock" in who_reads
    assert dialled(who_reads) == (calls, texts)


def test_signed_out_pages_show_the_default_regions_numbers(db: object):
    footer = Client().get(reverse("login")).content.decode().split("<footer")[1]
    assert dialled(footer) == region_numbers(DEFAULT_REGION)
    assert "9-8-8 Suicide Crisis Helpline: call <a" in footer


def test_the_help_page_says_opening_it_sends_nothing(
    client_user: User, login: Callable[[User], Client]
):
    html = login(client_user).get(reverse("crisis_help")).content.decode()
    assert "Opening this page sends nothing to anyone" in html
    assert "will see this" not in html and "What happens next" not in html


def test_the_help_page_shows_the_clinic_and_the_therapist_contacts(
    clinic: Clinic,
    therapist: User,
    episode: CareEpisode,
    client_user: User,
    login: Callable[[User], Client],
):
    clinic.contact_phone = "+1 (416) 555-0100 ext. 12"
    clinic.contact_email = "desk@harbour.example"
    clinic.contact_hours = "Mon-Fri 9-5"
    clinic.save()
    therapist.display_name = "Teresa"
    therapist.contact_details = "Text 416-555-0199, weekdays\nI answer within a day."
    therapist.save()
    html = login(client_user).get(reverse("crisis_help")).content.decode()
    assert '<h2 id="contacts-h">Your therapist and your clinic</h2>' in html
    assert "<h3>Teresa</h3>" in html
    assert "Text 416-555-0199, weekdays<br>I answer within a day." in html
    assert '<a href="tel:+14165550100">+1 (416) 555-0100 ext. 12</a>' in html
    assert '<a href="mailto:desk@harbour.example">desk@harbour.example</a>' in html
    assert "<dd>Mon-Fri 9-5</dd>" in html


def test_the_help_page_says_so_when_contacts_are_missing(
    therapist: User, episode: CareEpisode, client_user: User, login: Callable[[User], Client]
):
    therapist.display_name = "Teresa"
    therapist.save()
    html = login(client_user).get(reverse("crisis_help")).content.decode()
    assert "Teresa hasn't added a way to reach them between sessions." in html
    assert "The clinic hasn't added its contact details yet." in html


def test_the_help_page_signed_out_has_the_lines_and_no_contacts(db: object):
    html = Client().get(reverse("crisis_help")).content.decode()
    assert dialled(html)[0] >= {"911", "988"}
    assert 'id="contacts-h"' not in html


def test_staff_see_their_clinic_but_no_therapist_on_the_help_page(
    therapist: User, login: Callable[[User], Client]
):
    html = login(therapist).get(reverse("crisis_help")).content.decode()
    assert '<h2 id="contacts-h">Your clinic</h2>' in html and "<h3>Harbour Clinic</h3>" in html


@pytest.mark.parametrize(
    ("written", "href"),
    [
        ("416-555-0100", "tel:4165550100"),
        ("+44 20 7946 0000", "tel:+442079460000"),
        ("(416) 555 0100 x 12", "tel:4165550100"),
        ("13 11 14", "tel:131114"),
    ],
)
def test_a_phone_number_becomes_a_tel_link(written: str, href: str):
    assert tel_href(written) == href


def test_the_error_page_lists_every_region_when_nobody_is_signed_in(db: object):
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = server_error_view(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert dialled(html)[0] == {"911", "988", "999", "116123", "111", "000", "131114"}
    assert "United Kingdom: " in html and "Australia: " in html


def test_the_error_page_shows_the_persons_region(clinic: Clinic, client_user: User):
    set_region(clinic, "UK")
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=client_user.pk)
    html = server_error_view(request).content.decode()
    assert dialled(html) == region_numbers("UK")


def test_the_error_page_shows_every_region_when_the_clinic_cannot_be_read(db: object):
    class Broken:
        is_authenticated = True

        @property
        def clinic(self) -> Clinic:
            raise RuntimeError("database is down")

    request = RequestFactory().get("/")
    request.user = Broken()  # type: ignore[assignment]
    assert dialled(server_error_view(request).content.decode())[0] == EVERY_NUMBER


def test_no_template_writes_a_crisis_number_itself():
    """Every number comes from CRISIS_LINES: a template with one in it is a defect."""
    root = Path(alliance.__file__).parent
    pattern = re.compile(r"9-8-8|\b988\b|\b911\b|\b999\b|116 ?123|13 ?11 ?14|\btel:\d|\bsms:\d")
    templates = sorted(root.rglob("*.html"))
    found = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in templates
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert (len(templates) > 40, found) == (True, [])


def test_a_region_changed_by_an_admin_shows_on_the_next_page(
    clinic: Clinic, client_user: User, login: Callable[[User], Client]
):
    browser = login(client_user)
    before = browser.get(reverse("client_home")).content.decode().split("<footer")[1]
    set_region(clinic, "UK")  # a save, as the admin's form does: this process forgets at once
    after = browser.get(reverse("client_home")).content.decode().split("<footer")[1]
    assert (dialled(before), dialled(after)) == (region_numbers("CA"), region_numbers("UK"))


def test_the_footer_reads_the_region_once_a_minute_not_on_every_page(
    clinic: Clinic,
    client_user: User,
    login: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
):
    browser = login(client_user)
    browser.get(reverse("client_home"))
    with CaptureQueriesContext(connection) as page:
        browser.get(reverse("client_home"))
    assert [q["sql"] for q in page.captured_queries if 'FROM "people_clinic"' in q["sql"]] == []
    # Changed by another process (no save here): seen once the minute is up.
    Clinic.objects.filter(pk=clinic.pk).update(region="AU")
    footer = browser.get(reverse("client_home")).content.decode().split("<footer")[1]
    assert dialled(footer) == region_numbers("CA")
    monkeypatch.setattr(safety, "REGION_SECONDS", 0.0)
    footer = browser.get(reverse("client_home")).content.decode().split("<footer")[1]
    assert dialled(footer) == region_numbers("AU")


def test_the_safety_settings_page_offers_the_regions_lines_as_the_default(
    clinic: Clinic, admin: User, login: Callable[[User], Client]
):
    set_region(clinic, "AU")
    html = login(admin).get(reverse("clinic_safety")).content.decode()
    # With no rows of the clinic's own, the resources in force are the region's lines.
    assert "<strong>Lifeline</strong>" in html
    assert "Suicide Crisis Helpline" not in html
