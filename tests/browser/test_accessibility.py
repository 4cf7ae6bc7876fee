"""axe-core on every page a person meets, at WCAG 2.0, 2.1 and 2.2 levels A and AA.

Each test builds its data through the services, opens the pages as the person who sees them
(the client on a phone), runs axe on each, and asserts zero violations, listing them all when
there are some. It also asserts that no page fetches anything from another host, and saves
screenshots to /tmp/alliance-shots/ (outside the repository) for a person to look at.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from alliance.checkins.services import checkin_submit
from alliance.people import services as people
from alliance.people.models import CareEpisode, Session, User
from alliance.ruptures.models import Alert
from tests.browser.conftest import Traffic, assert_clean, log_in
from tests.conftest import GOOD_ANSWERS

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
SHOTS = Path("/tmp/alliance-shots")  # noqa: S108 -- for a person to look at, not in the repo
TENSION = {
    "bond": "4",
    "tasks": "3",
    "goals": "4",
    "tension": "3",
    "talked": "0",
    "resolved": "1",
    "comment": "I felt rushed at the end,\nand I didn't say so.",
}


class Audit:
    """Runs axe on page after page and keeps every violation for one assertion at the end."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.reports: dict[str, str] = {}
        self.audited: list[str] = []

    def __call__(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        results = self.axe.run(page, options=AXE_OPTIONS)
        self.audited.append(name)
        if results.violations_count:
            self.reports[name] = f"{page.url}\n{results.generate_report()}"

    def assert_clean(self) -> None:
        assert not self.reports, "axe found WCAG A/AA violations:\n\n" + "\n\n".join(
            f"=== {name}: {report}" for name, report in self.reports.items()
        )


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def submit(session: Session, client: User, answers: dict[str, str]) -> None:
    checkin_submit(session=session, client=client, answers=answers, form_token=uuid.uuid4())


@pytest.fixture
def story(therapist: User, client_user: User, episode: CareEpisode, attend: Any) -> dict[str, Any]:
    """Carla: a good session 1, a difficult session 2 (an open alert), session 3 waiting for
    her check-in and session 4 next week. Nadia: added but has not set her password yet."""
    now = timezone.now()
    first = attend(episode, 1, now - timedelta(days=2))
    submit(first, client_user, {**GOOD_ANSWERS, "comment": "Good to talk about work."})
    second = attend(episode, 2, now - timedelta(days=1))
    submit(second, client_user, TENSION)
    third = attend(episode, 3, now - timedelta(hours=1))
    people.session_schedule(episode=episode, scheduled_at=now + timedelta(days=6), actor=therapist)
    nadia = people.client_add(
        therapist=therapist,
        full_name="Nadia Noor",
        display_name="Nadia",
        email="nadia@example.org",
        timezone_name="America/Halifax",
    )
    return {
        "second": second,
        "third": third,
        "alert": Alert.objects.get(session=second),
        "invite_token": nadia.invite_token,
    }


def test_pages_anyone_can_reach(open_page: Any, traffic: Traffic, story: dict[str, Any]) -> None:
    audit = Audit()
    page = open_page()
    page.goto("/login/")
    audit(page, "login")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match an account")
    audit(page, "login with an error")

    phone = open_page(phone=True)
    phone.goto(f"/invite/{story['invite_token']}/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Welcome, Nadia")
    audit(phone, "invite accept")
    shot(phone, "phone-invite-accept")
    phone.get_by_label("Choose a password").fill("short")
    phone.get_by_label("Type it again").fill("different")
    phone.get_by_role("button", name="Set my password").click()
    audit(phone, "invite accept with errors")
    phone.goto("/invite/not-a-real-token/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link can't be used")
    audit(phone, "invite invalid")

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400, 410))


def test_client_pages(
    open_page: Any, traffic: Traffic, story: dict[str, Any], client_user: User
) -> None:
    audit = Audit()
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    expect(phone.get_by_role("heading", name="A one-minute check-in is waiting")).to_be_visible()
    audit(phone, "client home, check-in open")
    shot(phone, "phone-client-home")

    phone.get_by_role("link", name=re.compile(r"^Start the check-in")).click()
    expect(
        phone.get_by_role("group", name=re.compile(r"^About your session on .*you told us about"))
    ).to_be_visible()
    audit(phone, "check-in form")
    shot(phone, "phone-checkin-form")

    phone.get_by_role("button", name=re.compile(r"^Send to ")).click()
    expect(phone.get_by_role("alert")).to_contain_text("Some answers need another look.")
    # The script moves focus to the summary, so a screen reader starts there.
    expect(phone.locator("#form-message")).to_be_focused()
    audit(phone, "check-in form with errors")
    shot(phone, "phone-checkin-form-errors")

    phone.goto(f"/checkins/{story['second'].id}/thanks/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    audit(phone, "thank-you page")
    shot(phone, "phone-thanks")

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_therapist_pages(
    open_page: Any, traffic: Traffic, story: dict[str, Any], therapist: User
) -> None:
    audit = Audit()
    desk = open_page()
    log_in(desk, therapist.email)
    expect(desk.get_by_role("heading", level=1)).to_have_text("Caseload")
    audit(desk, "caseload")
    shot(desk, "desktop-caseload")

    desk.get_by_role("link", name="Carla Client", exact=True).click()
    expect(desk.locator("svg.chart:visible")).to_have_count(1)  # the alliance chart, drawn wide
    audit(desk, "client page with chart")
    desk.get_by_text("Show the chart's data as a table").click()
    audit(desk, "client page with chart table open")
    shot(desk, "desktop-client-page")

    desk.goto(f"/alerts/{story['alert'].id}/")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Alert for session 2")
    audit(desk, "alert page, open")
    desk.get_by_role("button", name="Acknowledge").click()
    expect(desk.get_by_role("region", name="Record the repair")).to_be_visible()
    audit(desk, "alert page, repair form")
    desk.get_by_role("button", name="Record repair").click()
    expect(desk.locator(".has-error").first).to_be_visible()
    audit(desk, "alert page, repair form with errors")
    shot(desk, "desktop-alert")

    desk.goto("/clients/new/")
    audit(desk, "add a client")
    desk.get_by_role("button", name="Add client and send the invitation").click()
    audit(desk, "add a client with errors")
    desk.get_by_label("Client's name").fill("Ravi Rao")
    desk.get_by_label("Client's email").fill("ravi@example.org")
    desk.get_by_role("button", name="Add client and send the invitation").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Invitation sent")
    audit(desk, "invitation sent")

    phone = open_page(phone=True)
    log_in(phone, therapist.email)
    shot(phone, "phone-caseload")
    phone.get_by_role("link", name="Carla Client", exact=True).click()
    audit(phone, "client page on a phone")
    shot(phone, "phone-client-page")

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_risk_follow_up_on_a_phone(
    open_page: Any, traffic: Traffic, therapist: User, episode: CareEpisode
) -> None:
    """A risk answer is followed up on its own form, not the repair form, from a phone."""
    from alliance.ruptures.services import alert_raise

    alert, _ = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="Diary card: strong urge to self-harm (answer: 5).",
        source_key="diary:browser",
        now=timezone.now() - timedelta(hours=3),
    )
    audit = Audit()
    phone = open_page(phone=True)
    log_in(phone, therapist.email)
    expect(phone.get_by_text("Risk answer to follow up (1)")).to_be_visible()
    phone.goto(f"/alerts/{alert.id}/")
    form = phone.get_by_role("region", name="Record the follow-up")
    expect(form).to_be_visible()
    expect(phone.get_by_role("region", name="Record the repair")).to_have_count(0)
    audit(phone, "risk alert, follow-up form")
    form.get_by_role("button", name="Save the follow-up").click()
    expect(phone.get_by_role("alert")).to_contain_text("The follow-up was not saved")
    audit(phone, "risk alert, follow-up form with errors")
    form = phone.get_by_role("region", name="Record the follow-up")
    form.get_by_label("Contacted the client (call, message or in person)").check()
    form.get_by_label("Reviewed the safety plan with the client").check()
    form.get_by_label("Reached: safe for now, safety plan in place").check()
    form.get_by_label("Note (optional)").fill("Spoke by phone; plan reviewed.")
    form.get_by_role("button", name="Save the follow-up").click()
    expect(phone.get_by_role("status")).to_contain_text("Follow-up recorded.")
    expect(phone.get_by_role("region", name="Follow-ups")).to_contain_text(
        "Spoke by phone; plan reviewed."
    )
    audit(phone, "risk alert, followed up")
    shot(phone, "phone-risk-follow-up")
    phone.goto("/")
    expect(phone.get_by_text("Risk answer to follow up")).to_have_count(0)

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_clinic_admin_pages(
    open_page: Any, traffic: Traffic, story: dict[str, Any], admin: User
) -> None:
    audit = Audit()
    desk = open_page()
    log_in(desk, admin.email)
    expect(desk.get_by_role("heading", level=1)).to_have_text("People in Harbour Clinic")
    audit(desk, "clinic people")
    desk.get_by_role("button", name="Add and send the invitation").click()
    audit(desk, "clinic people with errors")
    shot(desk, "desktop-clinic-people")

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_axe_runs_under_the_apps_content_security_policy(open_page: Any, live_server: Any) -> None:
    """A planted unlabelled field must be reported, or a clean result above would mean nothing."""
    page = open_page()
    page.goto("/login/")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend', '<input id=\"canary\">')"
    )
    results = Axe().run(page, options=AXE_OPTIONS)
    assert "label" in [v["id"] for v in results.response["violations"]], results.generate_report()


# Each answer label's widest word against the room its box gives it: a word wider than its
# box is broken mid-word ("Compl / etely"), which reads as broken to someone on a phone.
WORDS_THAT_DO_NOT_FIT = """
() => {
  const probe = document.createElement("span");
  probe.style.cssText = "position:absolute;visibility:hidden;white-space:nowrap";
  document.body.appendChild(probe);
  const broken = [];
  for (const span of document.querySelectorAll("form.checkin .option span")) {
    if (span.getClientRects().length === 0) continue;  // a hidden follow-up question
    const style = getComputedStyle(span);
    for (const property of ["fontFamily", "fontSize", "fontWeight", "letterSpacing"]) {
      probe.style[property] = style[property];
    }
    const room = span.getBoundingClientRect().width;
    for (const word of span.textContent.trim().split(/\\s+/)) {
      probe.textContent = word;
      const width = probe.getBoundingClientRect().width;
      if (width > room + 0.5) {
        broken.push(`${word} (${width.toFixed(1)}px in ${room.toFixed(1)}px)`);
      }
    }
  }
  probe.remove();
  return broken;
}
"""


def test_phone_checkin_answer_labels_are_whole_words(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode, attend: Any
) -> None:
    session = attend(episode, 1, timezone.now() - timedelta(hours=1))
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    phone.goto(f"/checkins/{session.id}/")
    expect(phone.locator("#q-bond")).to_be_visible()
    broken = phone.evaluate(WORDS_THAT_DO_NOT_FIT)
    assert broken == [], "answer labels broken mid-word on a 390px phone: " + "; ".join(broken)
    assert_clean(traffic)
