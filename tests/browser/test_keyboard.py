"""Keyboard only: the check-in, the diary card, the safety plan and the alert workflow.

Each walk is done with the Tab, arrow, Space and Enter keys alone, as a person who cannot use a
mouse or a touch screen does it (WCAG 2.1.1). Every stop the Tab key makes is checked:

* the focus can be seen (2.4.7): the focused element draws an outline at least 2 px wide (or
  a shadow), not the browser's thin default ring;
* it is not hidden (2.4.11): the element is inside the window and nothing covers its middle;
* it moves forward through the page (2.4.3): each stop comes after the one before it in the
  document, so the order the keyboard follows is the order a person reads.

The first key on a page reaches the skip link, which takes the focus to the page's content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from alliance.checkins.models import CheckIn
from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.people.models import CareEpisode, User
from alliance.ruptures.models import Alert
from alliance.ruptures.services import alert_raise
from alliance.safetyplan.models import SafetyPlan
from tests.browser.conftest import Traffic, assert_clean, log_in
from tests.browser.test_accessibility import TENSION, submit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

# What the focused element is, and whether a person can see where the focus is. The previous
# stop is kept on the page's window: a new page starts the order afresh.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
  const top = document.elementFromPoint(x, y);
  const label = el.labels && el.labels.length ? el.labels[0] : null;
  const mine = top && (el.contains(top) || top.contains(el) || (label && label.contains(top)));
  const covered = !mine;
  const before = window.__lastFocus;
  const backwards = !!before && before !== el && document.contains(before) &&
    !(before.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
  window.__lastFocus = el;
  const name = (el.getAttribute("aria-label") || (label ? label.textContent : "") ||
    el.textContent || el.value || "").replace(/\\s+/g, " ").trim().slice(0, 60);
  return {
    tag: el.tagName.toLowerCase(), type: el.type || "", name: el.name || "", value: el.value || "",
    text: name, id: el.id, checked: !!el.checked,
    visible: outline || shadow,
    inWindow: box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
    covered, backwards,
  };
}"""

Stop = dict[str, Any]


class Keyboard:
    """Presses keys on a page and checks every place the focus lands."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.stops: list[Stop] = []
        self.problems: list[str] = []
        self.into_main = False  # the skip link was just followed

    def _landed(self, key: str) -> Stop:
        stop: Stop | None = self.page.evaluate(FOCUS)
        if stop is None:
            passed = [s["text"] for s in self.stops[-30:]]
            raise AssertionError(f"{key} reached the end of {self.page.url}; last stops: {passed}")
        if self.into_main:
            self.into_main = False
            inside = self.page.evaluate(
                "document.querySelector('main').contains(document.activeElement)"
            )
            assert inside, f"after the skip link, {key} left the main content: {stop}"
        where = f"{self.page.url} <{stop['tag']}> {stop['text']!r}"
        if not stop["visible"]:
            self.problems.append(f"focus not visible: {where}")
        if not stop["inWindow"] or stop["covered"]:
            self.problems.append(f"focused element hidden or covered: {where}")
        if stop["backwards"] and key == "Tab":
            self.problems.append(f"Tab went backwards to: {where}")
        self.stops.append(stop)
        return stop

    def press(self, key: str) -> Stop:
        self.page.keyboard.press(key)
        return self._landed(key)

    def tab_until(self, wanted: Callable[[Stop], bool], what: str, limit: int = 120) -> Stop:
        for _ in range(limit):
            stop = self.press("Tab")
            if wanted(stop):
                return stop
        raise AssertionError(f"{limit} presses of Tab never reached {what} on {self.page.url}")

    def tab_to_text(self, pattern: str) -> Stop:
        found = re.compile(pattern)
        return self.tab_until(lambda s: bool(found.search(s["text"])), repr(pattern))

    def choose(self, group: str, value: str) -> None:
        """Tab to the radio group ``group``, then pick ``value`` with the arrow keys (Space
        first when nothing is chosen yet: the first answer is then chosen)."""
        stop = self.tab_until(lambda s: s["type"] == "radio" and s["name"] == group, group)
        if not stop["checked"]:
            stop = self.press("Space")
        values = self.page.evaluate(
            "(name) => Array.from(document.getElementsByName(name)).map((r) => r.value)", group
        )
        assert value in values, f"{group} has no answer {value!r}: {values}"
        for _ in range(len(values)):
            if stop["value"] == value and stop["checked"]:
                return
            forward = values.index(stop["value"]) < values.index(value)
            stop = self.press("ArrowRight" if forward else "ArrowLeft")
        raise AssertionError(f"the arrow keys never reached {value!r} in {group}")

    def tick(self, label: str) -> None:
        """Tab to the tick box labelled ``label`` and tick it with Space."""
        stop = self.tab_until(lambda s: s["type"] == "checkbox" and s["text"] == label, label)
        if not stop["checked"]:
            assert self.press("Space")["checked"], f"Space did not tick {label}"

    def type_into(self, name: str, text: str) -> None:
        self.tab_until(lambda s: s["name"] == name, name)
        self.page.keyboard.type(text)

    def start(self) -> None:
        """As a page that has just opened: the next Tab starts from the top of the document."""
        self.page.evaluate(
            "() => { window.__lastFocus = null; const b = document.body; b.tabIndex = -1;"
            " b.focus(); b.removeAttribute('tabindex'); }"
        )

    def follow(self, key: str = "Enter") -> None:
        """Press the key that opens a link or sends a form, and wait for the next page (whose
        own script may place the focus, as the error summary does)."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.page.wait_for_load_state()

    def skip_to_content(self) -> None:
        """The first Tab on a fresh page reaches the skip link; Enter takes the focus to the
        main content, so the next Tab lands inside it and not in the menu."""
        self.start()
        first = self.press("Tab")
        assert (
            first["tag"] == "a"
            and first["id"] == ""
            and "#main" in self.page.evaluate("document.activeElement.getAttribute('href')")
        ), f"the first Tab reached {first}, not the skip link"
        self.page.keyboard.press("Enter")
        assert self.page.evaluate("document.activeElement.id") == "main"
        self.page.evaluate("() => { window.__lastFocus = null; }")
        self.into_main = True  # checked at the next stop

    def assert_clean(self) -> None:
        assert self.stops, "no key was pressed"
        assert self.problems == [], "\n".join(self.problems)


def test_the_check_in_by_keyboard(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode, attend: Any
) -> None:
    session = attend(episode, 1, timezone.now() - timedelta(hours=1))
    phone = open_page(phone=True)
    # Logging in by keyboard too.
    phone.goto("/login/")
    keys = Keyboard(phone)
    # The email field has the focus when the page opens.
    assert phone.evaluate("document.activeElement.name") == "username"
    phone.keyboard.type(client_user.email)
    assert keys.press("Tab")["name"] == "password"
    phone.keyboard.type(PASSWORD)
    keys.follow()
    assert "/login/" not in phone.url

    keys.skip_to_content()
    keys.tab_to_text("^Start the check-in")
    keys.follow()
    assert f"/checkins/{session.id}/" in phone.url
    keys.skip_to_content()

    # Sent with nothing answered: the summary takes the focus, and its first link leads the
    # keyboard to the first question that needs an answer.
    keys.tab_to_text("^Send to Teresa$")
    keys.follow()
    expect(phone.locator("#form-message")).to_be_focused()
    link = keys.press("Tab")
    assert link["tag"] == "a", link
    phone.keyboard.press("Enter")
    phone.evaluate("() => { window.__lastFocus = null; }")
    first = keys.press("Tab")
    assert first["type"] == "radio" and first["name"] == "bond", first

    phone.evaluate("() => { window.__lastFocus = null; }")
    phone.keyboard.press("Shift+Tab")  # back before the group, to walk it from the start
    keys.choose("bond", "6")
    keys.choose("tasks", "5")
    keys.choose("goals", "6")
    keys.choose("tension", "0")
    keys.type_into("comment", "It helped to slow down.")
    keys.tab_to_text("^Send to Teresa$")
    keys.follow()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    checkin = CheckIn.objects.get(session=session)
    assert (checkin.bond, checkin.tasks, checkin.goals) == (6, 5, 6)
    assert checkin.comment == "It helped to slow down."
    keys.assert_clean()
    assert_clean(traffic, expected_statuses=(400,))


def test_the_diary_card_by_keyboard(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode
) -> None:
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    keys = Keyboard(phone)
    keys.skip_to_content()
    keys.tab_to_text("^Fill in today's card$")
    keys.follow()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your diary card")
    keys.skip_to_content()
    keys.choose("urge_suicide", "0")
    keys.choose("urge_self_harm", "2")
    keys.choose("anger", "3")
    keys.tick("TIPP")
    keys.tab_until(lambda s: s["text"] == "Done for today", "Done for today")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/diary/done/**")
    card = DiaryCard.objects.get(client=client_user)
    assert card.status == DiaryStatus.SUBMITTED
    assert (card.urge_suicide, card.urge_self_harm, card.anger) == (0, 2, 3)
    assert card.skills == ["tipp"]
    keys.assert_clean()
    # The draft is saved while the card is filled; nothing else may fail.
    assert_clean(traffic)


def test_the_safety_plan_by_keyboard(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode
) -> None:
    phone = open_page(phone=True)
    log_in(phone, client_user.email)
    keys = Keyboard(phone)
    keys.start()
    keys.tab_to_text("^My safety plan$")  # in the menu, before the skip link's target
    keys.follow()
    keys.skip_to_content()
    keys.tab_to_text("^Start my plan$")
    keys.follow()
    keys.skip_to_content()
    keys.type_into("warning_signs", "Not sleeping, skipping meals")
    keys.type_into("reasons_for_living", "My sister")
    keys.tab_to_text("^Save the plan$")
    keys.follow()
    expect(phone.get_by_role("heading", level=1)).to_have_text("My safety plan")
    expect(phone.get_by_text("Not sleeping, skipping meals")).to_be_visible()
    plan = SafetyPlan.objects.get(episode=episode)
    assert plan.version == 1
    keys.assert_clean()
    assert_clean(traffic)


def test_the_alert_workflow_by_keyboard(
    open_page: Any,
    traffic: Traffic,
    therapist: User,
    client_user: User,
    episode: CareEpisode,
    attend: Any,
) -> None:
    """A rupture: acknowledged and its repair recorded. A risk answer: followed up."""
    session = attend(episode, 1, timezone.now() - timedelta(days=1))
    submit(session, client_user, TENSION)  # a difficult moment, not talked about
    rupture = Alert.objects.get(session=session)
    risk, _ = alert_raise(
        episode=episode,
        category="risk",
        severity=3,
        summary="Diary card: strong urge to self-harm (answer: 5).",
        source_key="keyboard:risk",
        now=timezone.now() - timedelta(hours=3),
    )
    desk = open_page()
    log_in(desk, therapist.email)
    keys = Keyboard(desk)

    desk.goto(f"/alerts/{rupture.id}/")
    keys.skip_to_content()
    keys.tab_to_text("^Acknowledge$")
    keys.follow()
    expect(desk.get_by_role("region", name="Record the repair")).to_be_visible()
    keys.skip_to_content()
    keys.tab_until(lambda s: s["type"] == "radio" and s["name"] == "rupture_type", "kind")
    keys.press("Space")
    keys.tab_until(lambda s: s["type"] == "checkbox" and s["name"] == "markers", "a marker")
    keys.press("Space")
    keys.tab_until(lambda s: s["type"] == "checkbox" and s["name"] == "strategies", "a strategy")
    keys.press("Space")
    keys.type_into("notes", "Named the rush at the end; she agreed to flag it next time.")
    keys.tab_to_text("^Record repair$")
    keys.follow()
    rupture.refresh_from_db()
    assert rupture.repairs.count() == 1, "the repair was not recorded"

    desk.goto(f"/alerts/{risk.id}/")
    keys.skip_to_content()
    keys.tick("Contacted the client (call, message or in person)")
    keys.choose("outcome", "safe_for_now")
    keys.type_into("note", "Spoke by phone; plan reviewed.")
    keys.tab_to_text("^Save the follow-up$")
    keys.follow()
    expect(desk.get_by_role("status")).to_contain_text("Follow-up recorded.")
    assert Alert.objects.get(pk=risk.pk).followups.count() == 1
    keys.assert_clean()
    assert_clean(traffic)
