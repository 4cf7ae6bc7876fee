"""Copy buttons (alliance/static/alliance/copy.js) beside the setup key and the recovery codes.

With JavaScript the button copies the text; without it there is no button and the text is there
to select, as before.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from alliance.people.models import User
from tests.browser.conftest import PASSWORD, Traffic, assert_clean

pytestmark = pytest.mark.browser


def _to_setup(page: Any, therapist: User) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(therapist.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")


def test_the_setup_key_has_a_copy_button(open_page: Any, traffic: Traffic, therapist: User) -> None:
    page = open_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _to_setup(page, therapist)
    key = page.locator("#setup-key").inner_text()
    page.get_by_role("button", name="Copy the setup key").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text(
        "Copied. Paste it into your authenticator app."
    )
    assert page.evaluate("navigator.clipboard.readText()") == key.replace(" ", "")
    assert_clean(traffic)


def test_without_javascript_the_key_is_text_to_select(
    open_page: Any, traffic: Traffic, therapist: User
) -> None:
    page = open_page(js=False)
    _to_setup(page, therapist)
    expect(page.locator("#setup-key")).to_have_text(re.compile(r"^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$"))
    expect(page.get_by_role("button", name="Copy the setup key")).to_have_count(0)
    assert_clean(traffic)
