"""The whole rupture → repair loop, clicked through in a real browser.

Only the clinic, the therapist and two quiet clients are made in the database; everything else
(adding the client, the invite, sessions, check-ins, the alert and the repair) goes through the
pages, with the therapist on a desktop and the client on a phone.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from alliance.people.models import CareEpisode, Role, User
from tests.browser.conftest import Traffic, assert_clean, log_in

pytestmark = pytest.mark.browser

CLIENT_NAME = "Zara Quinn"  # sorts after the quiet clients, so being first means "alert"
CLIENT_EMAIL = "zara@example.org"
CLIENT_PASSWORD = "a quiet walk by the lake"
SCRIPT_COMMENT = "<script>alert(1)</script> I felt rushed at the end & unheard."
REPAIR_NOTES = "We named the rushed ending together; she felt heard."
REPAIR_PLAN = "Start by checking in about last week's ending."


def answer(page: Page, key: str, label: str) -> None:
    """Tick the option with this exact label in the question ``key``."""
    page.locator(f"#q-{key}").get_by_label(label, exact=True).check()


def schedule_and_attend(page: Page, number: int, date: str, time: str) -> None:
    """On the client page: schedule session ``number`` and mark it attended."""
    page.get_by_label("Date", exact=True).fill(date)
    page.get_by_label("Time", exact=True).fill(time)
    page.get_by_role("button", name="Schedule", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Session {number} is scheduled for")
    page.get_by_label(f"Status of session {number}", exact=True).select_option(label="Attended")
    page.get_by_role("button", name=f"Save status of session {number}", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        re.compile(rf"Session {number} with .+ is marked attended\.")
    )


def caseload_rows(page: Page) -> Any:
    return page.locator("ol.caseload > li")


def test_the_whole_repair_loop_through_the_pages(
    open_page: Any, live_server: Any, traffic: Traffic, clinic: Any, therapist: User
) -> None:
    quiet_clients = [("Aaron Archer", "aaron@example.org"), ("Bianca Bell", "bianca@example.org")]
    for name, email in quiet_clients:
        quiet = User.objects.create_user(
            email, "unused password 123", full_name=name, role=Role.CLIENT, clinic=clinic
        )
        CareEpisode.objects.create(clinic=clinic, client=quiet, therapist=therapist)
    yesterday = (timezone.now().astimezone(therapist.zone) - timedelta(days=1)).date().isoformat()

    # --- the therapist adds the client; the invitation goes to the client's inbox --------
    desk = open_page()
    log_in(desk, therapist.email)
    expect(desk).to_have_url(re.compile(r"/caseload/$"))
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Add a client").click()
    desk.get_by_label("Client's name").fill(CLIENT_NAME)
    desk.get_by_label("What they like to be called").fill("Zara")
    desk.get_by_label("Care started on").fill(yesterday)
    desk.get_by_label("Client's email").fill(CLIENT_EMAIL)
    desk.get_by_label("Client's time zone").select_option(label="America/Vancouver")
    desk.get_by_role("button", name="Add client and send the invitation").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Invitation sent")
    expect(desk.get_by_text(f"An invitation is on its way to {CLIENT_EMAIL}.")).to_be_visible()
    (invitation,) = mail.outbox
    match = re.search(rf"{re.escape(live_server.url)}/invite/[^\s]+/", invitation.body)
    assert match, invitation.body
    invite_url = match.group(0)

    # --- the client accepts the invite on their phone ------------------------------------
    phone = open_page(phone=True)
    phone.goto(invite_url)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Welcome, Zara")
    expect(phone.get_by_text(CLIENT_EMAIL)).to_be_visible()
    phone.get_by_label("Choose a password").fill(CLIENT_PASSWORD)
    phone.get_by_label("Type it again").fill(CLIENT_PASSWORD)
    phone.get_by_role("button", name="Set my password").click()
    expect(phone).to_have_url(re.compile(r"/me/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hello, Zara")
    expect(phone.get_by_text("No check-in is waiting right now")).to_be_visible()

    # --- the therapist records session 1 as attended ------------------------------------
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    desk.get_by_role("link", name=CLIENT_NAME, exact=True).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(CLIENT_NAME)
    schedule_and_attend(desk, 1, yesterday, "10:00")

    # --- the client answers the check-in, reporting a difficult moment -------------------
    phone.reload()
    expect(phone.get_by_role("heading", name="A one-minute check-in is waiting")).to_be_visible()
    phone.get_by_role("link", name=re.compile(r"^Start the check-in")).click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("How was today's session?")
    # With the script running, the questions about the moment wait for a "yes".
    expect(phone.locator("#q-talked")).to_be_hidden()
    expect(phone.locator("#q-resolved")).to_be_hidden()
    expect(phone.locator("#q-followup_resolved")).to_have_count(0)
    answer(phone, "bond", "Somewhat")
    answer(phone, "tasks", "A little")
    answer(phone, "goals", "Quite a bit")
    answer(phone, "tension", "Quite a bit")
    expect(phone.locator("#q-talked")).to_be_visible()
    expect(phone.locator("#q-resolved")).to_be_visible()
    answer(phone, "talked", "No")
    answer(phone, "resolved", "Not at all")
    phone.get_by_label("Is there anything you'd like your therapist to know?").fill(SCRIPT_COMMENT)
    phone.get_by_role("button", name="Send to Teresa").click()

    expect(phone).to_have_url(re.compile(r"/checkins/[0-9a-f-]+/thanks/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(phone.get_by_text("Teresa will read it before your next session.")).to_be_visible()
    expect(phone.get_by_text("Thank you for telling us about the difficult moment")).to_be_visible()
    thanks_url = phone.url
    comment = phone.locator("blockquote.comment")
    expect(comment).to_have_text(SCRIPT_COMMENT)  # shown as text, not run or dropped
    expect(comment.locator("script")).to_have_count(0)

    # --- the therapist sees the client first in the caseload, and why --------------------
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    rows = caseload_rows(desk)
    expect(rows).to_have_count(3)
    first = rows.first
    expect(first.get_by_role("link", name=CLIENT_NAME)).to_be_visible()
    expect(first).to_contain_text("1 open alert (highest: high")
    expect(first).to_contain_text("1 not yet acknowledged")
    expect(first).to_contain_text("High priority")
    for quiet_row in (rows.nth(1), rows.nth(2)):
        expect(quiet_row).to_contain_text("Nothing needs attention")

    # --- client page → alert → acknowledge → record the repair ---------------------------
    first.get_by_role("link", name=CLIENT_NAME).click()
    alerts = desk.get_by_role("region", name="Open alerts")
    alerts.get_by_role("link", name=re.compile(r"^Session 1: High priority, open")).click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Alert for session 1")
    alert_url = desk.url
    facts = desk.locator("dl.facts").first
    expect(facts).to_contain_text("Open")
    expect(desk.locator("blockquote.comment")).to_have_text(SCRIPT_COMMENT)
    expect(desk.locator("blockquote.comment script")).to_have_count(0)
    desk.get_by_role("button", name="Acknowledge").click()
    expect(desk.get_by_role("status")).to_contain_text("Acknowledged.")
    expect(facts).to_contain_text("Acknowledged")

    repair = desk.get_by_role("region", name="Record the repair")
    repair.get_by_role("group", name="Kind of rupture").get_by_label(
        "Withdrawal", exact=True
    ).check()
    repair.get_by_role("group", name="Markers you noticed").get_by_label(
        "Minimal response", exact=True
    ).check()
    repair.get_by_role("group", name="Resolution strategies used").get_by_label(
        "Invite discussion of thoughts and feelings about therapist or therapy", exact=True
    ).check()
    repair.get_by_label("Repair notes").fill(REPAIR_NOTES)
    repair.get_by_label("Plan for the next session").fill(REPAIR_PLAN)
    repair.get_by_role("button", name="Record repair").click()
    expect(desk.get_by_role("status")).to_contain_text("Repair recorded.")
    expect(facts).to_contain_text("Repair recorded")
    record = desk.get_by_role("region", name="Repair record", exact=True)
    expect(record).to_contain_text("Withdrawal")
    expect(record).to_contain_text("Minimal response")
    expect(record).to_contain_text(REPAIR_NOTES)

    # --- the client sees the read receipt, and nothing of the therapist's notes ----------
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    history = phone.get_by_role("region", name="Your check-ins")
    expect(history).to_contain_text("Your therapist has read this")
    expect(phone.get_by_text("A one-minute check-in is waiting")).to_have_count(0)
    phone.goto(thanks_url)
    expect(phone.get_by_text("Your therapist has read this.")).to_be_visible()
    expect(phone.get_by_text("Teresa will read it before your next session.")).to_have_count(0)
    for private in (REPAIR_NOTES, REPAIR_PLAN, "Withdrawal", "Minimal response"):
        expect(phone.locator("body")).not_to_contain_text(private)

    # --- session 2: the follow-up question closes the loop -------------------------------
    desk.get_by_role("link", name=f"← {CLIENT_NAME}").click()
    schedule_and_attend(desk, 2, yesterday, "15:00")

    phone.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(phone.get_by_role("heading", name="A one-minute check-in is waiting")).to_be_visible()
    phone.get_by_role("link", name=re.compile(r"^Start the check-in")).click()
    followup = phone.get_by_role(
        "group", name=re.compile(r"^About your session on .*: you told us about a difficult moment")
    )
    expect(followup).to_be_visible()
    followup.get_by_label("Resolved for me", exact=True).check()
    answer(phone, "bond", "Very much")
    answer(phone, "tasks", "Very much")
    answer(phone, "goals", "Very much")
    answer(phone, "tension", "No, not today")
    expect(phone.locator("#q-talked")).to_be_hidden()
    phone.get_by_role("button", name="Send to Teresa").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")

    desk.goto(alert_url)
    expect(desk.locator("dl.facts").first).to_contain_text("Resolved")
    expect(desk.get_by_role("button", name="Acknowledge")).to_have_count(0)
    expect(desk.get_by_role("region", name="History", exact=True)).to_contain_text(
        "Resolved by the client's check-in"
    )
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Caseload").click()
    zara = caseload_rows(desk).filter(has=desk.get_by_role("link", name=CLIENT_NAME))
    expect(zara).to_have_count(1)
    expect(zara).not_to_contain_text("open alert")
    expect(zara).not_to_contain_text("priority")
    expect(zara).to_contain_text("Latest alliance 6.0 / 7")

    assert_clean(traffic)


def test_checkin_works_without_javascript(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode, attend: Any
) -> None:
    attend(episode, 1, timezone.now() - timedelta(hours=2))
    phone = open_page(phone=True, js=False)
    log_in(phone, client_user.email)
    expect(phone).to_have_url(re.compile(r"/me/$"))
    phone.get_by_role("link", name=re.compile(r"^Start the check-in")).click()

    # Without the script every follow-up question is on the page, and marked optional.
    for key in ("talked", "resolved"):
        expect(phone.locator(f"#q-{key}")).to_be_visible()
        expect(phone.locator(f"#q-{key} legend")).to_contain_text("(optional)")

    # A half-answered form comes back with the error summary and the answers kept.
    answer(phone, "bond", "Hardly")
    phone.get_by_role("button", name="Send to Teresa").click()
    summary = phone.get_by_role("alert")
    expect(summary).to_contain_text("Some answers need another look.")
    expect(summary.get_by_role("link")).to_have_count(3)  # tasks, goals, tension
    expect(phone.locator("#q-bond").get_by_label("Hardly", exact=True)).to_be_checked()

    answer(phone, "tasks", "Hardly")
    answer(phone, "goals", "A little")
    answer(phone, "tension", "Some")
    answer(phone, "talked", "A little")
    answer(phone, "resolved", "Partly")
    phone.get_by_role("button", name="Send to Teresa").click()
    expect(phone).to_have_url(re.compile(r"/checkins/[0-9a-f-]+/thanks/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(phone.locator("dl.facts")).to_contain_text("2 of 4")

    assert_clean(traffic, expected_statuses=(400,))
