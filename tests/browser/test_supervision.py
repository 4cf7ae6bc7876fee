"""The supervisor's pages and the two-line chart, on a phone (390 px), as a person sees them.

Screenshots go to /tmp/alliance-shots/ for a person to look at.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from alliance.demo import seed_demo
from alliance.people.models import User
from tests.browser.conftest import PASSWORD, Traffic, assert_clean, log_in
from tests.browser.test_layout import PHONE_WIDTH, shot

pytestmark = pytest.mark.browser


def test_supervision_and_both_lines_fit_a_phone(open_page: Any, traffic: Traffic, db: Any) -> None:
    seed_demo(password=PASSWORD, n_clients=3, weeks=30)
    therapist = User.objects.get(email="therapist@demo.example")
    client = User.objects.get(email="client@demo.example")
    phone = open_page(phone=True)
    log_in(phone, "supervisor@demo.example")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Supervision")
    expect(phone.get_by_text("Ruptures detected").first).to_be_visible()
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE_WIDTH
    shot(phone, "supervision-phone")
    phone.goto(f"/supervision/therapists/{therapist.id}/")
    expect(phone.get_by_role("rowheader", name="Client A", exact=True)).to_be_visible()
    assert client.full_name not in phone.content()
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE_WIDTH
    shot(phone, "supervision-therapist-phone")
    staff = open_page(phone=True)
    log_in(staff, therapist.email)
    staff.goto(f"/clients/{client.id}/")
    expect(staff.locator("svg.chart-recent .line-therapist")).to_have_count(1)
    shot(staff, "client-page-two-lines-phone")
    assert_clean(traffic)
