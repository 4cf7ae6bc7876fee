"""The diary card in a real browser: a risk answer on a phone, and autosave that loses nothing.

Carla fills in her card on a phone; the therapist reads the caseload on a desktop. Every page
on the way is checked with axe (WCAG A and AA), and nothing may be fetched from another host.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from alliance.diary.models import DiaryCard
from alliance.people.models import CareEpisode, Role, User
from alliance.ruptures.models import Alert
from tests.browser.conftest import Traffic, assert_clean, log_in
from tests.browser.test_accessibility import Audit, shot

pytestmark = pytest.mark.browser

STATUS = "#diary-status"


def rate(page: Page, key: str, value: str) -> None:
    """Tick ``value`` on the 0–5 scale of question ``key``."""
    page.locator(f"#q-{key} .scale").get_by_label(value, exact=True).check()


def open_card(phone: Page) -> None:
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Diary card").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your diary card")


def saved_draft(page: Page, client: User, *, seconds: float = 10) -> dict[str, Any]:
    """The client's draft on the server, once it stops changing (autosave is a moment late)."""
    last: dict[str, Any] = {}
    for _ in range(int(seconds * 4)):
        card = DiaryCard.objects.filter(client=client).first()
        current = card.draft_answers() if card else {}
        if current and current == last:
            return current
        last = current
        page.wait_for_timeout(250)
    return last


@pytest.fixture
def caseload(clinic: Any, therapist: User, client_user: User, episode: CareEpisode) -> None:
    """Two quiet clients who sort before Carla, so Carla first means "needs attention"."""
    for name, email in (
        ("Aaron Archer", "aaron@example.org"),
        ("Bianca Bell", "bianca@example.org"),
    ):
        quiet = User.objects.create_user(
            email, "unused password 123", full_name=name, role=Role.CLIENT, clinic=clinic
        )
        CareEpisode.objects.create(clinic=clinic, client=quiet, therapist=therapist)


def test_a_risk_answer_on_a_phone_shows_crisis_resources_and_puts_the_client_first(
    open_page: Any, traffic: Traffic, caseload: None, client_user: User, therapist: User
) -> None:
    audit = Audit()
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    open_card(phone)
    audit(phone, "diary card")
    shot(phone, "phone-diary-card")

    rate(phone, "urge_suicide", "1")
    rate(phone, "urge_self_harm", "5")
    phone.locator("#q-urge_self_harm").get_by_label("No", exact=True).check()
    rate(phone, "emotional_misery", "4")
    phone.get_by_label("Wise mind").check()
    phone.get_by_label(re.compile(r"^Anything you'd like Teresa to know")).fill(
        "<b>Hard</b> evening 😔"
    )
    phone.get_by_role("button", name="Done for today").click()

    expect(phone.get_by_role("heading", level=1)).to_have_text("Your card is saved")
    expect(phone.locator(".crisis-list").get_by_role("link", name="Call 9-8-8")).to_have_attribute(
        "href", "tel:988"
    )
    expect(phone.locator(".crisis-list").get_by_role("link", name="Text 9-8-8")).to_have_attribute(
        "href", "sms:988"
    )
    expect(phone.locator(".crisis-list").get_by_role("link", name="Call 911")).to_have_attribute(
        "href", "tel:911"
    )
    expect(phone.get_by_text("It is not watched around the clock", exact=False)).to_be_visible()
    audit(phone, "diary crisis resources")
    shot(phone, "phone-diary-crisis")
    card = DiaryCard.objects.get(client=client_user)
    assert (card.urge_self_harm, card.note) == (5, "<b>Hard</b> evening 😔")
    assert Alert.objects.filter(source_key=f"diary:{card.id}", severity=3).count() == 1

    desk = open_page()
    log_in(desk, therapist.email)
    first = desk.locator("ol.caseload > li").first
    expect(first.locator(".case-name")).to_have_text(client_user.full_name)
    expect(first).to_contain_text("Risk answer to follow up (1)")
    expect(first).to_contain_text("High priority")

    first.locator(".case-name").click()
    desk.get_by_role("link", name="Weekly grid and 8-week trends").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        f"Diary card: {client_user.full_name}"
    )
    self_harm = desk.locator(
        "table.diary-grid tr", has=desk.get_by_role("rowheader", name="Self-harm")
    ).first
    expect(self_harm).to_contain_text("5 (risk answer)")
    expect(desk.get_by_text("<b>Hard</b> evening 😔")).to_be_visible()  # escaped, not bold
    audit(desk, "diary weekly grid")
    desk.get_by_text("Show weekly averages as a table").first.click()
    audit(desk, "diary weekly grid, averages open")
    shot(desk, "desktop-diary-grid")
    desk.get_by_role("link", name=re.compile(r"^Targets")).click()
    desk.get_by_label(re.compile(r"^Name, as Carla will read it")).fill("Bingeing")
    desk.get_by_role("button", name="Add target").click()
    expect(desk.get_by_role("status")).to_contain_text("“Bingeing” is added to the card.")
    audit(desk, "diary targets")

    audit.assert_clean()
    assert_clean(traffic)


def test_autosave_keeps_answers_on_the_device_while_offline_and_restores_them(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode
) -> None:
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    open_card(phone)

    # Offline: every autosave fails.
    phone.route("**/diary/draft/", lambda route: route.abort())
    rate(phone, "anger", "3")
    phone.get_by_label("TIPP").check()
    phone.get_by_label(re.compile(r"^Anything you'd like Teresa to know")).fill("Kept for later")
    expect(phone.locator(STATUS)).to_contain_text("Not saved yet.", timeout=10_000)
    assert not DiaryCard.objects.exists()

    # Back online, the page opens again: the answers come back and are saved.
    phone.unroute("**/diary/draft/")
    phone.reload()
    expect(phone.locator("#q-anger .scale").get_by_label("3", exact=True)).to_be_checked()
    expect(phone.get_by_label("TIPP")).to_be_checked()
    expect(phone.get_by_label(re.compile(r"^Anything you'd like Teresa"))).to_have_value(
        "Kept for later"
    )
    expect(phone.locator(STATUS)).to_contain_text(re.compile(r"Draft saved \d\d:\d\d"))
    card = DiaryCard.objects.get(client=client_user)
    assert card.draft_answers() == {"anger": "3", "note": "Kept for later", "skills": ["tipp"]}
    assert not Alert.objects.exists()

    # Saved: nothing is left in the browser, so a later visit shows the server's draft only.
    assert (
        phone.evaluate("Object.keys(localStorage).filter(k => k.startsWith('alliance-diary:'))")
        == []
    )
    assert_clean(traffic)


def test_an_expired_login_loses_nothing(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode
) -> None:
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    open_card(phone)
    rate(phone, "urge_self_harm", "2")
    expect(phone.locator(STATUS)).to_contain_text("Draft saved")

    phone.context.clear_cookies()  # the login has expired
    rate(phone, "sadness", "4")
    # The refused save goes through the login redirect: allow a loaded machine its time.
    expect(phone.locator(STATUS)).to_contain_text("you may need to log in again", timeout=15_000)

    log_in(phone, client_user.email)
    open_card(phone)
    expect(phone.locator("#q-sadness .scale").get_by_label("4", exact=True)).to_be_checked()
    assert saved_draft(phone, client_user) == {"sadness": "4", "urge_self_harm": "2"}
    # The refused autosave (403, no session) is the failure this test provoked.
    traffic.failed = [f for f in traffic.failed if not f[2].endswith("/diary/draft/")]
    assert_clean(traffic)


def test_an_autosave_the_server_refuses_says_why_not_offline(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode, therapist: User
) -> None:
    from alliance.people.services import episode_end

    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    open_card(phone)
    episode_end(episode=episode, actor=therapist)  # care ends while the page is open
    rate(phone, "anger", "2")
    expect(phone.locator(STATUS)).to_contain_text(
        "Not saved: Your diary card opens while you're in therapy here", timeout=10_000
    )
    expect(phone.locator(STATUS)).to_contain_text("Your answers are kept on this device.")
    assert not DiaryCard.objects.exists()
    # The refused autosave (400, no care episode) is the failure this test provoked.
    traffic.failed = [f for f in traffic.failed if not f[2].endswith("/diary/draft/")]
    assert_clean(traffic)


def test_a_tap_before_the_script_has_loaded_is_still_saved(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode
) -> None:
    """On a slow phone the card shows before its deferred script runs; an early tap counts."""
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    # The script arrives empty at first, as if it were still on its way.
    phone.route("**/diary.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
    open_card(phone)
    rate(phone, "anger", "3")
    phone.wait_for_timeout(1500)  # longer than the autosave delay: nothing may have been sent
    assert not DiaryCard.objects.exists()
    expect(phone.locator(STATUS)).to_have_text("")

    # Now it runs, after the tap, which fired no listener.
    source = phone.locator("script[src*='diary.js']").get_attribute("src")
    phone.unroute("**/diary.js")
    phone.add_script_tag(url=f"{source}?late=1")
    expect(phone.locator(STATUS)).to_contain_text(re.compile(r"Draft saved \d\d:\d\d"))
    assert saved_draft(phone, client_user) == {"anger": "3"}
    assert_clean(traffic)
