"""A client answers the PHQ-9 on a phone with a risk answer, sees the crisis resources at once,
and the therapist finds the risk alert first on the caseload.

The clinic, the people and the schedule are made through the services; the questionnaire, the
crisis page and the caseload are used through the pages, with axe checking each one.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from alliance.outcomes.models import OutcomeResponse
from alliance.outcomes.schedule import ScheduleSpec
from alliance.outcomes.services import schedule_set
from alliance.people.models import CareEpisode, Role, User
from alliance.ruptures.models import Alert, AlertCategory
from tests.browser.conftest import PHONE, Traffic, assert_clean, log_in

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/alliance-shots")  # noqa: S108 -- for a person to look at, not in the repo

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def axe_clean(page: Page) -> None:
    page.wait_for_load_state("load")
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def test_risk_answer_on_a_phone_shows_crisis_resources_and_alerts_first(
    open_page: Any,
    traffic: Traffic,
    clinic: Any,
    therapist: User,
    client_user: User,
    episode: CareEpisode,
    attend: Any,
) -> None:
    # Another client of Teresa's, whose name sorts first, has an older high-priority rupture.
    aaron = User.objects.create_user(
        "aaron@example.org", "unused password 123", full_name="Aaron Archer",
        role=Role.CLIENT, clinic=clinic,
    )  # fmt: skip
    aaron_episode = CareEpisode.objects.create(clinic=clinic, client=aaron, therapist=therapist)
    Alert.objects.create(
        episode=aaron_episode,
        session=attend(aaron_episode, 1),
        severity=3,
        summary="Client-reported tension, not yet talked about.",
        created_at=timezone.now() - timedelta(days=4),
    )
    schedule_set(
        episode=episode, instrument_id="phq9", spec=ScheduleSpec(at_intake=True), actor=None
    )

    # --- the client, on a phone ----------------------------------------------------------
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    expect(phone).to_have_url(re.compile(r"/me/$"))
    expect(phone.get_by_role("heading", name="A short questionnaire is waiting")).to_be_visible()
    phone.get_by_role("link", name=re.compile(r"^Fill in the PHQ-9")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("How have things been lately?")
    axe_clean(phone)

    fieldsets = phone.locator("fieldset.question")
    expect(fieldsets).to_have_count(9)
    for index in range(8):
        fieldsets.nth(index).get_by_label("Not at all", exact=True).check()
    item9 = phone.locator("#q-phq9_9")
    expect(item9).to_contain_text("better off dead or of hurting yourself")
    item9.get_by_label("Several days", exact=True).check()
    # Big touch targets, and nothing wider than the phone.
    box = item9.locator("label.option").first.bounding_box()
    assert box is not None and box["height"] >= 44, box
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "outcomes-phq9-phone")
    phone.get_by_role("button", name="Send to Teresa").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you for telling us")
    crisis = phone.get_by_role("region", name="If you need someone now")
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("If you are in danger now, call 911.")
    expect(crisis).to_contain_text("9-8-8 Suicide Crisis Helpline")
    expect(crisis.get_by_role("link", name="Call 9-8-8")).to_have_attribute("href", "tel:988")
    expect(crisis.get_by_role("link", name="Text 9-8-8")).to_have_attribute("href", "sms:988")
    expect(crisis).to_contain_text(
        "Your therapist will see this the next time they check the app. It is not watched "
        "around the clock"
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(phone, "outcomes-crisis-phone")
    axe_clean(phone)

    saved = OutcomeResponse.objects.get()
    assert (saved.composite, saved.answers["phq9_9"]) == (1, 1)
    assert Alert.objects.filter(category=AlertCategory.RISK, severity=3).count() == 1

    # --- the therapist, at a desk ----------------------------------------------------------
    desk = open_page()
    log_in(desk, therapist.email)
    expect(desk).to_have_url(re.compile(r"/caseload/$"))
    rows = desk.locator("ol.caseload > li")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(client_user.full_name)
    expect(rows.first).to_contain_text("Risk answer")
    expect(rows.first.locator(".reasons li").first).to_have_text("Risk answer to follow up (1)")
    expect(rows.nth(1)).to_contain_text("Aaron Archer")
    shot(desk, "outcomes-caseload")
    axe_clean(desk)

    rows.first.get_by_role("link", name=client_user.full_name).click()
    expect(
        desk.get_by_text("PHQ-9 item 9: thoughts of death or of self-harm (answer: 1)").first
    ).to_be_visible()
    shot(desk, "outcomes-client-page")
    axe_clean(desk)
    assert_clean(traffic)


def test_questionnaire_works_without_javascript(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode
) -> None:
    schedule_set(
        episode=episode, instrument_id="gad7", spec=ScheduleSpec(at_intake=True), actor=None
    )
    phone = open_page(phone=True, js=False)
    log_in(phone, client_user.email)
    phone.get_by_role("link", name=re.compile(r"^Fill in the GAD-7")).click()
    fieldsets = phone.locator("fieldset.question")
    for index in range(6):  # one left blank
        fieldsets.nth(index).get_by_label("Several days", exact=True).check()
    phone.get_by_role("button", name="Send to Teresa").click()
    expect(phone.get_by_role("alert")).to_contain_text("1 question was left blank.")
    expect(fieldsets.nth(0).get_by_label("Several days", exact=True)).to_be_checked()
    fieldsets.nth(6).get_by_label("Not at all", exact=True).check()
    phone.get_by_role("button", name="Send to Teresa").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert OutcomeResponse.objects.get().composite == 6
    assert_clean(traffic, expected_statuses=(400,))
