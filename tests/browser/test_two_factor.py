"""A therapist's first login in a real browser: set up the authenticator, see the recovery codes.

The setup page shows a QR code as an image; the page must load it under the app's content
security policy (no inline style, nothing from another host) and pass axe.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from alliance.people.models import User
from tests.browser.conftest import PASSWORD, Traffic, assert_clean
from tests.browser.test_accessibility import Audit, shot
from tests.conftest import enrol_authenticator

pytestmark = pytest.mark.browser


def test_first_login_sets_up_two_factor(open_page: Any, traffic: Traffic, therapist: User) -> None:
    audit = Audit()
    page = open_page(phone=True)
    page.goto("/login/")
    page.get_by_label("Email").fill(therapist.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 100  # the data: image loaded under the CSP
    audit(page, "two-factor setup")
    shot(page, "phone-two-factor-setup")

    key = page.locator("#setup-key").inner_text().replace(" ", "")
    code = TOTP(base64.b32decode(key)).token()
    page.get_by_label("6-digit code").fill(f"{code:06d}")
    page.get_by_role("button", name="Turn on two-factor").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    audit(page, "recovery codes")
    shot(page, "phone-recovery-codes")
    page.get_by_role("link", name="I've saved them, continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Caseload")

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    audit(page, "account")

    audit.assert_clean()
    assert_clean(traffic)


def test_code_page_and_lockout_page_pass_axe(
    open_page: Any, traffic: Traffic, therapist: User
) -> None:
    enrol_authenticator(therapist)
    audit = Audit()
    page = open_page()
    page.goto("/login/")
    page.get_by_label("Email").fill(therapist.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    audit(page, "code")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    audit(page, "code with an error")

    other = open_page()
    for _ in range(5):
        other.goto("/login/")
        other.get_by_label("Email").fill("carla@example.org")
        other.get_by_label("Password").fill("not the password")
        other.get_by_role("button", name="Log in").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Login is paused for a few minutes")
    audit(other, "lockout")
    shot(other, "desktop-lockout")

    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400, 429))
