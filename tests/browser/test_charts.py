"""Every chart line is a line: no fill, a visible stroke, on every page that draws a chart.

The data is the demo clinic (``seed_demo``): thirty weeks of sessions and check-ins, PHQ-9 and
GAD-7 scores over time and three weeks of diary cards, so each chart has something to draw. The
test asks the browser for the *computed* style of each ``.line``: a stylesheet rule that fills
the polyline (it then renders as a filled polygon) fails it whatever the markup says.
Screenshots at 1366 px and 390 px go to /tmp/alliance-shots/ for a person to look at.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from alliance.demo import seed_demo
from alliance.people.models import User
from tests.browser.conftest import PASSWORD, Traffic, assert_clean, log_in
from tests.browser.test_accessibility import shot

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
    assert len(seen["diary week"]) >= 2
    assert_clean(traffic)
