"""The audit pages and the safety settings in a real browser: a phone for the client's "who has
seen my records", a phone and a desktop for the admin's safety form; axe finds nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alliance.audit.models import AuditAction, AuditEvent, RecordType
from alliance.people.models import CareEpisode, User
from tests.browser.conftest import Traffic, assert_clean, log_in
from tests.browser.test_accessibility import Audit, shot

pytestmark = pytest.mark.browser

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def _visit(by: User, client: User, at: Any, record_type: str, action: str) -> None:
    AuditEvent.objects.create(
        at=at, clinic_id=client.clinic_id, actor=by, actor_display=by.full_name,
        actor_role=by.role, action=action, record_type=record_type, record_id="r", subject=client,
    )  # fmt: skip


def test_who_has_seen_my_records_reads_on_a_phone(
    open_page: Any, traffic: Traffic, therapist: User, admin: User, client_user: User,
    episode: CareEpisode,
) -> None:  # fmt: skip
    now = timezone.now() - timedelta(days=1)
    for day in range(25):
        at = now - timedelta(days=day)
        _visit(therapist, client_user, at, RecordType.CARE_EPISODE, AuditAction.VIEW)
        _visit(therapist, client_user, at, RecordType.CHECKIN, AuditAction.VIEW)
        for minutes in (2, 9, 14):
            _visit(therapist, client_user, at + timedelta(minutes=minutes),
                   RecordType.OUTCOME_RESPONSE, AuditAction.LIST)  # fmt: skip
    _visit(admin, client_user, now, RecordType.PERSON, AuditAction.LIST)
    audit = Audit()
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    phone.goto("/me/who-has-seen/")
    lines = phone.locator(".visit")
    expect(lines).to_have_count(20)
    expect(lines.first).to_contain_text("(your therapist) read one of your check-ins")
    assert phone.evaluate(FITS), "the page scrolls sideways on a 390 px phone"
    audit(phone, "who has seen my records")
    shot(phone, "phone-who-has-seen")
    phone.get_by_role("link", name="Older").click()
    expect(phone.locator(".visit")).to_have_count(6)
    audit(phone, "who has seen my records, page 2")
    audit.assert_clean()
    assert_clean(traffic)


def test_the_safety_form_works_without_javascript(
    open_page: Any, traffic: Traffic, admin: User
) -> None:
    phone = open_page(phone=True, js=False)
    log_in(phone, admin.email)
    phone.goto("/clinic/safety/")
    phone.get_by_role("button", name="Add another rule").click()
    expect(phone.get_by_role("group", name="Rule 2")).to_be_visible()
    phone.get_by_label("Answer").first.select_option("gad7:gad7_7")
    phone.get_by_label("Counts as a risk answer when it").first.select_option(">")
    phone.get_by_label("Number").first.fill("9")
    phone.get_by_label("What the therapist's alert says").first.fill("GAD-7 item 7")
    phone.get_by_role("button", name="Save safety settings").click()
    expect(phone.get_by_role("alert").first).to_contain_text("Some rows need another look")
    expect(phone.locator(".error").first).to_contain_text("This answer goes from 0 to 3")
    phone.get_by_label("Number").first.fill("2")
    phone.get_by_role("button", name="Save safety settings").click()
    expect(phone.get_by_text("Safety settings saved.")).to_be_visible()
    expect(phone.get_by_role("cell", name="GAD-7 item 7", exact=True)).to_be_visible()
    expect(phone.get_by_role("cell", name="is more than 2", exact=True)).to_be_visible()
    assert_clean(traffic, expected_statuses=(400,))


def test_the_safety_form_fits_a_phone_and_axe_finds_nothing(
    open_page: Any, traffic: Traffic, admin: User
) -> None:
    audit = Audit()
    phone = open_page(phone=True)
    log_in(phone, admin.email)
    phone.goto("/clinic/safety/")
    assert phone.evaluate(FITS), "the safety page scrolls sideways on a 390 px phone"
    audit(phone, "safety settings")
    phone.get_by_label("Number").first.fill("9")
    phone.get_by_role("button", name="Save safety settings").click()
    expect(phone.get_by_role("alert").first).to_contain_text("Some rows need another look")
    assert phone.evaluate(FITS), "the safety page with errors scrolls sideways"
    audit(phone, "safety settings with errors")
    shot(phone, "phone-safety-settings-errors")
    audit.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_the_admins_audit_log_reads_in_words(
    open_page: Any, traffic: Traffic, admin: User, therapist: User, client_user: User,
    episode: CareEpisode,
) -> None:  # fmt: skip
    _visit(therapist, client_user, timezone.now(), RecordType.CHECKIN, AuditAction.VIEW)
    audit = Audit()
    desk = open_page()
    log_in(desk, admin.email)
    desk.goto("/clinic/audit/")
    expect(desk.get_by_role("cell", name="Read a check-in")).to_be_visible()
    audit(desk, "audit log")
    audit.assert_clean()
    assert_clean(traffic)
