"""Charts and pages as a person sees them, on a desktop (1366 px) and a phone (390 px).

The data is the demo clinic (``seed_demo``): thirty weeks of sessions and check-ins, PHQ-9 and
GAD-7 scores over time and three weeks of diary cards, so every chart has something to draw and
every table is long.

* Every chart line is a line: the test asks the browser for the *computed* style of each
  ``.line``, so a stylesheet rule that fills the polyline (it then renders as a filled polygon)
  fails it whatever the markup says.
* On a phone no page scrolls sideways: wide tables scroll in their own box, charts are drawn
  narrow with the latest points.

Screenshots go to /tmp/alliance-shots/ for a person to look at.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alliance.demo import seed_demo
from alliance.people.models import Session, SessionStatus, User
from alliance.people.services import session_set_status
from tests.browser.conftest import PASSWORD, Traffic, assert_clean, log_in
from tests.browser.test_accessibility import SHOTS, Audit

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
PHONE_WIDTH = 390

LINE_STYLES = """() => Array.from(document.querySelectorAll("svg.chart .line"))
  .filter((line) => line.getClientRects().length > 0)
  .map((line) => {
    const style = getComputedStyle(line);
    return {
      chart: line.closest("svg").querySelector("title").textContent,
      fill: style.fill,
      stroke: style.stroke,
      width: parseFloat(style.strokeWidth),
    };
  })"""


@pytest.fixture
def demo(db: Any) -> dict[str, User]:
    seed_demo(password=PASSWORD, n_clients=3, weeks=30)
    return {
        "therapist": User.objects.get(email="therapist@demo.example"),
        "client": User.objects.get(email="client@demo.example"),
    }


def shot(page: Page, name: str) -> None:
    """The whole page at the viewport's width, as the person sees it.

    Playwright's ``full_page`` capture widens a phone page to the scrolled width of its widest
    box (a table that scrolls in its own box), which the person never sees; a viewport as tall
    as the page is not widened.
    """
    viewport = page.viewport_size
    assert viewport is not None
    height = page.evaluate("document.scrollingElement.scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": height})
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(viewport)


def chart_lines(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(LINE_STYLES)


def unreadable(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines drawn filled, or with no visible stroke."""
    return [
        line
        for line in lines
        if line["fill"] != "none" or line["stroke"] in ("none", "") or not line["width"] > 0
    ]


def chart_pages(client: User) -> dict[str, str]:
    return {
        "client page": f"/clients/{client.id}/",
        "diary week": f"/clients/{client.id}/diary/",
    }


@pytest.mark.parametrize("width", [WIDE["width"], PHONE_WIDTH])
def test_every_chart_line_is_stroked_and_never_filled(
    open_page: Any, traffic: Traffic, demo: dict[str, User], width: int
) -> None:
    page = open_page(phone=width == PHONE_WIDTH)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, demo["therapist"].email)
    seen: dict[str, list[str]] = {}
    bad: dict[str, list[dict[str, Any]]] = {}
    for name, url in chart_pages(demo["client"]).items():
        page.goto(url)
        lines = chart_lines(page)
        seen[name] = sorted({line["chart"] for line in lines})
        if unreadable(lines):
            bad[name] = unreadable(lines)
        shot(page, f"charts-{width}-{name.replace(' ', '-')}")
    assert bad == {}, f"chart lines drawn filled or without a stroke: {bad}"
    # Every kind of chart was on the pages, so the check above looked at each of them.
    assert [any(title.startswith("Alliance") for title in seen[name]) for name in seen] == [
        True,
        False,
    ]
    assert {"PHQ-9", "GAD-7"} <= {t.split(" ")[0] for t in seen["client page"]}
    diary = ["Misery by day, last 8 weeks", "Urges by day, last 8 weeks"]
    if width == PHONE_WIDTH:  # the narrow charts only: the last two weeks
        diary = [f"{title}: the last 14 days" for title in diary]
    assert seen["diary week"] == diary
    assert_clean(traffic)


def page_width(page: Page) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_no_page_scrolls_sideways_on_a_phone(
    open_page: Any, traffic: Traffic, demo: dict[str, User]
) -> None:
    client = demo["client"]
    episode = client.episodes_as_client.get()
    last = Session.objects.filter(episode=episode).order_by("-number").first()
    assert last is not None
    waiting = Session.objects.create(
        episode=episode, number=last.number + 1, scheduled_at=timezone.now() - timedelta(hours=2)
    )
    session_set_status(session=waiting, status=SessionStatus.ATTENDED, actor=episode.therapist)
    widths: dict[str, int] = {}
    audit = Audit()

    def measure(page: Page, name: str, url: str) -> None:
        response = page.goto(url)
        assert response is not None and response.status == 200, (name, url)
        widths[name] = page_width(page)
        audit(page, f"{name} on a phone")  # a table that scrolls in its box must be reachable
        shot(page, f"phone-{name}")

    staff = open_page(phone=True)
    log_in(staff, demo["therapist"].email)
    measure(staff, "caseload", "/caseload/")
    measure(staff, "client-page", f"/clients/{client.id}/")
    measure(staff, "client-page-2", f"/clients/{client.id}/?sessions_page=2")
    measure(staff, "diary-week", f"/clients/{client.id}/diary/")
    admin = open_page(phone=True)
    log_in(admin, "admin@demo.example")
    measure(admin, "clinic-people", "/clinic/people/")
    # The table is wider than the phone: it scrolls in its own box, which the keyboard reaches.
    wrap = admin.locator(".table-wrap").first
    expect(wrap).to_have_attribute("tabindex", "0")
    expect(admin.get_by_role("region", name="Everyone in the clinic")).to_be_visible()
    assert wrap.evaluate("w => w.scrollWidth > w.clientWidth")
    phone = open_page(phone=True)
    log_in(phone, client.email)
    measure(phone, "client-home", "/me/")
    measure(phone, "check-in", f"/checkins/{waiting.id}/")
    measure(phone, "diary-card", "/diary/")
    measure(phone, "help", "/help/")
    assert {name: w for name, w in widths.items() if w > PHONE_WIDTH} == {}
    assert len(widths) == 9
    audit.assert_clean()
    assert_clean(traffic)


def test_a_phone_gets_the_narrow_charts_and_a_desktop_the_full_ones(
    open_page: Any, traffic: Traffic, demo: dict[str, User]
) -> None:
    shown = """() => Array.from(document.querySelectorAll("svg.chart"))
      .filter((svg) => svg.getClientRects().length > 0)
      .map((svg) => svg.querySelector("title").textContent)"""
    phone = open_page(phone=True)
    log_in(phone, demo["therapist"].email)
    phone.goto(f"/clients/{demo['client'].id}/")
    on_phone = phone.evaluate(shown)
    desktop = open_page()
    desktop.set_viewport_size(WIDE)
    log_in(desktop, demo["therapist"].email)
    desktop.goto(f"/clients/{demo['client'].id}/")
    on_desktop = desktop.evaluate(shown)
    assert on_phone[0].startswith("Alliance, latest 10 of ")
    assert on_desktop[0] == "Alliance across sessions"
    assert len(on_phone) == len(on_desktop) == 3  # alliance, GAD-7, PHQ-9: one of each
    # Each narrow chart fits the screen without scrolling its box.
    boxes = phone.evaluate(
        """() => Array.from(document.querySelectorAll(".chart-narrow svg"))
          .map((svg) => svg.getBoundingClientRect().right)"""
    )
    assert boxes and max(boxes) <= PHONE_WIDTH
    assert_clean(traffic)
