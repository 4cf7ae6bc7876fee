"""The client's safety plan on a phone: accessible, kept for offline reading, gone at log-out."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from alliance.people.models import CareEpisode, User
from alliance.safetyplan.services import safety_plan_save
from tests.browser.conftest import Traffic, log_in, worker_controls
from tests.browser.test_accessibility import Audit, shot
from tests.browser.test_offline import kept_until

pytestmark = pytest.mark.browser


def test_the_plan_is_readable_offline_on_a_phone_and_log_out_removes_it(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode
) -> None:
    safety_plan_save(
        episode=episode,
        actor=client_user,
        texts={"warning_signs": "Not sleeping", "reasons_for_living": "My sister"},
        base_version=0,
    )
    phone = open_page(phone=True, worker=True)
    log_in(phone, client_user.email)
    phone.get_by_role("link", name="My safety plan").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("My safety plan")
    audit = Audit()
    audit(phone, "safety plan")
    shot(phone, "phone-safety-plan")
    phone.get_by_role("link", name="Change my plan").click()
    expect(phone.get_by_label("Things I can do on my own")).to_be_visible()
    audit(phone, "safety plan form")
    shot(phone, "phone-safety-plan-form")
    phone.go_back()
    # The worker is installed with the pages it keeps, and nothing else.
    worker_controls(phone)
    expect(phone.locator("#offline-note")).to_be_visible()
    assert kept_until(phone, lambda k: len(k) == 3) == ["/help/", "/my-safety-plan/", "/offline/"]

    # Changed on the server while the phone has no network: the phone still reads its copy.
    safety_plan_save(
        episode=episode,
        actor=client_user,
        texts={"warning_signs": "Changed while offline"},
        base_version=1,
    )
    phone.context.set_offline(True)
    phone.reload(timeout=15_000)
    expect(phone.get_by_text("Not sleeping")).to_be_visible()
    expect(phone.locator(".crisis-list")).to_be_visible()
    phone.context.set_offline(False)

    phone.reload(timeout=15_000)
    expect(phone.get_by_text("Changed while offline")).to_be_visible()
    phone.get_by_role("button", name="Log out").click()
    phone.wait_for_url("**/login/**", timeout=15_000)
    # Signed out: the plan is gone; only what anyone may read stays (the help page, the
    # offline page), kept afresh for nobody in particular.
    assert "/my-safety-plan/" not in kept_until(phone, lambda k: "/my-safety-plan/" not in k)
    audit.assert_clean()
    assert traffic.offsite() == []
