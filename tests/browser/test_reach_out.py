"""Reaching out, end to end in Chromium: the public page on a phone (with and without
JavaScript), a refusal that keeps every word, the thank-you page, and the staff pages; axe at
WCAG A/AA on each, and nothing fetched from another host."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from alliance.people.models import User
from alliance.reachout import spam
from alliance.reachout.models import ReachOutPage, ReachOutRequest
from alliance.reachout.services import page_save
from tests.browser.conftest import Traffic, assert_clean, log_in
from tests.browser.test_accessibility import Audit, shot
from tests.web.reach_out import _reach_out_counts_cleared  # noqa: F401 -- autouse fixture

pytestmark = pytest.mark.browser

CONSENT = re.compile("I agree that Teresa Tran may contact me")
MESSAGE = "I'd like to try therapy again.\nEvenings are easier for me."


@pytest.fixture
def reach_page(therapist: User) -> ReachOutPage:
    return page_save(
        actor=therapist,
        is_open=True,
        slug="teresa-tran",
        display_name="Teresa Tran",
        welcome="I work with adults who feel things intensely.\n\nA first talk is twenty minutes.",
    )


def _fill(phone: Page) -> None:
    phone.get_by_label("Your name").fill("Robin Alvarez")
    phone.get_by_label("Your email").fill("robin@example.net")
    phone.get_by_label("What you'd like to share (optional)").fill(MESSAGE)
    phone.get_by_label(CONSENT).check()


@pytest.mark.parametrize("js", [True, False], ids=["with-js", "without-js"])
def test_someone_reaches_out_from_a_phone(
    open_page: Any,
    traffic: Traffic,
    reach_page: ReachOutPage,
    js: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The time check is set for each step, so that a slow machine (axe and a screenshot take
    # seconds) cannot turn one refusal into another; the live server runs in this process.
    monkeypatch.setattr(spam, "MIN_SECONDS", 0.0)
    # axe is a script: it runs on the pages with JavaScript (the same HTML either way).
    audit = Audit() if js else (lambda page, name: None)
    phone = open_page(phone=True, js=js)
    phone.goto("/reach-out/to/teresa-tran/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("You're welcome to reach out")
    audit(phone, "reach-out form")
    shot(phone, f"phone-reach-out-{'js' if js else 'no-js'}")
    # The honeypot is there for robots only: no one can tab to it.
    expect(phone.locator("#id_website")).to_have_attribute("tabindex", "-1")

    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("alert")).to_contain_text("Nothing was sent yet")
    expect(phone.get_by_role("alert").get_by_role("link", name="Your email")).to_be_visible()
    audit(phone, "reach-out form with errors")

    monkeypatch.setattr(spam, "MIN_SECONDS", 3600.0)  # every send is "too fast" now
    _fill(phone)
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("alert")).to_contain_text("quicker than we expected")
    expect(phone.get_by_label("What you'd like to share (optional)")).to_have_value(MESSAGE)
    if js:
        expect(phone.locator("#form-message")).to_be_focused()
    audit(phone, "reach-out form, refused as too fast")
    assert ReachOutRequest.objects.count() == 0

    monkeypatch.setattr(spam, "MIN_SECONDS", 0.0)
    phone.get_by_label(CONSENT).check()
    phone.get_by_role("button", name="Send").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you for reaching out")
    expect(phone.get_by_text("We usually answer within 3 working days, by email.")).to_be_visible()
    audit(phone, "reach-out thanks")
    shot(phone, f"phone-reach-out-thanks-{'js' if js else 'no-js'}")
    assert ReachOutRequest.objects.get().message.replace("\r\n", "\n") == MESSAGE  # as typed

    if isinstance(audit, Audit):
        audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_the_therapist_answers_from_their_list(
    open_page: Any, traffic: Traffic, reach_page: ReachOutPage, therapist: User
) -> None:
    from tests.web.reach_out import received

    received(reach_page)
    received(reach_page, name="Sam K.")
    audit = Audit()
    desk = open_page()
    log_in(desk, therapist.email)
    expect(desk.get_by_role("link", name=re.compile("2 people reached out"))).to_be_visible()
    desk.get_by_role("link", name=re.compile("2 people reached out")).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Reach-out requests")
    audit(desk, "reach-out list")
    desk.get_by_role("link", name="Robin Alvarez").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Robin Alvarez reached out")
    audit(desk, "reach-out request")
    shot(desk, "desktop-reach-out-request")
    desk.get_by_role("button", name="Send the reply").click()
    # Beside the field, and in the summary at the top that links to it.
    expect(desk.locator("#id_reply-text_error")).to_have_text("Please write a few words to send.")
    expect(desk.get_by_role("alert").get_by_role("link", name="Your reply")).to_be_visible()
    audit(desk, "reach-out request, empty reply")
    desk.get_by_label("Your reply").fill("Thank you, Robin. I have a Thursday evening.")
    desk.get_by_role("button", name="Send the reply").click()
    expect(desk.get_by_role("status")).to_contain_text("Your answer is on its way")
    audit(desk, "reach-out request, answered")

    desk.goto("/reach-out/page/")
    audit(desk, "reach-out page settings")

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_the_clinic_admin_works_the_intake_list(
    open_page: Any, traffic: Traffic, admin: User, therapist: User
) -> None:
    from tests.web.reach_out import received

    clinic_page = page_save(
        actor=admin, is_open=True, slug="harbour", display_name="Harbour Clinic", welcome=""
    )
    received(clinic_page)
    audit = Audit()
    desk = open_page()
    log_in(desk, admin.email)
    desk.get_by_role("link", name="Intake").click()
    audit(desk, "intake list")
    desk.get_by_role("link", name="Robin Alvarez").click()
    audit(desk, "intake request")
    desk.get_by_label("Their therapist").select_option(label=str(therapist))
    desk.get_by_role("button", name="Invite as a client").click()
    expect(desk.get_by_role("status")).to_contain_text("An invitation is on its way")
    audit(desk, "intake request, invited")
    assert User.objects.filter(email="robin@example.net", role="client").exists()

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))
