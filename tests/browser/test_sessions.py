"""Booking and recording sessions in a real browser: the question a time that happens twice
asks, the move page, and the caseload's one-click buttons on a phone; axe on each page. (The
forms are plain HTML forms: the tests in tests/web post them without any script.)"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alliance.people.models import CareEpisode, Session, SessionStatus, User
from tests.browser.conftest import Traffic, assert_clean, log_in
from tests.browser.test_accessibility import Audit, shot

pytestmark = pytest.mark.browser

# Toronto's clocks go back on Sunday 7 November 2027: 01:30 happens twice.
TWICE_DAY, TWICE_TIME = "2027-11-07", "01:30"


def test_booking_a_time_that_happens_twice_asks_which(
    open_page: Any, traffic: Traffic, therapist: User, client_user: User, episode: CareEpisode
) -> None:
    audit = Audit()
    desk = open_page()
    log_in(desk, therapist.email)
    desk.goto(f"/clients/{client_user.id}/")
    desk.get_by_label("Date", exact=True).fill(TWICE_DAY)
    desk.get_by_label("Time", exact=True).fill(TWICE_TIME)
    desk.get_by_role("button", name="Schedule", exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        "Schedule a session with Carla Client"
    )
    expect(desk.locator("#id_which_error")).to_contain_text("happens twice in America/Toronto")
    audit(desk, "schedule: which of two times")
    shot(desk, "desktop-schedule-which")
    desk.get_by_label("01:30 EST, the second one (after the clocks go back)").check()
    desk.get_by_role("button", name="Schedule", exact=True).click()
    expect(desk.get_by_role("status")).to_contain_text(
        "Where the time happens twice, the one chosen is 7 Nov, 01:30 EST."
    )
    session = Session.objects.get(episode=episode)
    assert desk.url.endswith(f"#session-{session.id}")

    desk.get_by_role("link", name="Move or cancel session 1").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        "Move or cancel session 1 with Carla Client"
    )
    audit(desk, "move or cancel a session")
    desk.get_by_label("Time", exact=True).fill("10:00")
    desk.get_by_role("button", name="Move", exact=True).click()
    expect(desk.get_by_role("status")).to_contain_text("Session moved to Sun 7 Nov 2027, 10:00.")

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_the_caseload_buttons_on_a_phone(
    open_page: Any, traffic: Traffic, therapist: User, episode: CareEpisode
) -> None:
    session = Session.objects.create(
        episode=episode, number=1, scheduled_at=timezone.now() - timedelta(minutes=55)
    )
    audit = Audit()
    phone = open_page(phone=True)
    log_in(phone, therapist.email)
    block = phone.get_by_role("region", name="Today and yesterday")
    expect(block).to_contain_text("Scheduled")
    audit(phone, "caseload with today's sessions")
    shot(phone, "phone-caseload-today")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the caseload is {width} px wide on a 390 px phone"
    block.get_by_role("button", name=re.compile(r"^Attended")).click()
    expect(phone).to_have_url(re.compile(r"/caseload/#today$"))
    expect(phone.get_by_role("status")).to_contain_text("is marked attended.")
    expect(block.get_by_role("button", name=re.compile(r"^Attended"))).to_have_attribute(
        "aria-pressed", "true"
    )
    session.refresh_from_db()
    assert session.status == SessionStatus.ATTENDED

    audit.assert_clean()
    assert_clean(traffic)
