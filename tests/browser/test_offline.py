"""Alliance on a phone without a connection (alliance/offline, docs/offline.md).

A client's phone installs the one service worker; offline, a page that can't be reached shows
the offline page with the crisis lines, and the safety plan opens from the copy on the phone.
A therapist who signs in on the same phone afterwards finds nothing of the client's kept, and
their own pages are never served offline. A diary card finished offline is sent once the
connection is back, exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.offline.middleware import BACKGROUND, FETCH_HEADER
from alliance.people.models import CareEpisode, User
from alliance.safetyplan.services import safety_plan_save
from tests.browser.conftest import Traffic, assert_clean, log_in, worker_controls
from tests.browser.test_accessibility import Audit, shot
from tests.browser.test_diary import STATUS, open_card, rate

pytestmark = pytest.mark.browser

KEPT = (
    "caches.open('alliance-offline').then(c => c.keys()).then(ks => ks.map(r => "
    "new URL(r.url).pathname).filter(p => !p.startsWith('/static/') && p !== '/.offline-owner')"
    ".sort())"
)


def kept_until(page: Page, wanted: Callable[[list[str]], bool]) -> list[str]:
    """The pages kept on the phone, once ``wanted`` holds (the worker fills its cache in the
    background); fails after 15 s. Polls: a promise can't be waited for under the page's CSP."""
    kept: list[str] = []
    for _ in range(150):
        kept = page.evaluate(KEPT)
        if wanted(kept):
            return kept
        page.wait_for_timeout(100)
    raise AssertionError(f"the kept pages never became what was wanted: {kept}")


def test_offline_the_phone_shows_the_offline_page_and_the_plan_never_a_staff_page(
    open_page: Any,
    traffic: Traffic,
    client_user: User,
    episode: CareEpisode,
    therapist: User,
) -> None:
    safety_plan_save(
        episode=episode,
        actor=client_user,
        texts={"warning_signs": "Not sleeping", "reasons_for_living": "My sister"},
        base_version=0,
    )
    phone = open_page(phone=True, worker=True)
    fetched: list[tuple[str, str | None, str | None]] = []

    def worker_fetch(response: Response) -> None:
        request = response.request
        path = urlsplit(request.url).path
        if request.service_worker and not path.startswith("/static/") and path != "/sw.js":
            fetched.append(
                (path, request.header_value(FETCH_HEADER), response.header_value("set-cookie"))
            )

    phone.context.on("response", worker_fetch)
    # The person's own pages also pass through the worker, untouched, cookies and all.
    opened: set[str] = set()
    phone.on(
        "request",
        lambda r: opened.add(urlsplit(r.url).path) if r.is_navigation_request() else None,
    )
    log_in(phone, client_user.email)
    worker_controls(phone)
    # Chrome's own check of the manifest, the icons and the worker: nothing stops installing.
    cdp = phone.context.new_cdp_session(phone)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"].endswith("/manifest.webmanifest")
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A test context is a private window, which Chrome never installs from; nothing else.
    assert [e["errorId"] for e in errors if e["errorId"] != "in-incognito"] == [], errors
    # Kept without the client opening them: the plan, the help page, the offline page.
    kept = kept_until(phone, lambda k: len(k) == 3)
    assert kept == ["/help/", "/my-safety-plan/", "/offline/"]
    # The worker's own fetches are marked and change no cookie (alliance/offline/middleware.py):
    # one that came back after a login would put the old CSRF token back.
    assert {path for path, _, _ in fetched} >= {"/help/", "/my-safety-plan/", "/offline/"}
    assert "/help/" not in opened and "/my-safety-plan/" not in opened
    own = [f for f in fetched if f[0] not in opened]
    assert [f for f in own if f[1:] != (BACKGROUND, None)] == [], own

    phone.context.set_offline(True)
    phone.reload()
    expect(phone.get_by_role("heading", level=1)).to_have_text("No connection right now")
    expect(phone.locator(".crisis-list")).to_be_visible()
    expect(phone.locator('.crisis-list a[href^="tel:"]').first).to_be_visible()
    audit = Audit()
    audit(phone, "offline page")  # styled from the kept stylesheet, checked by axe
    shot(phone, "phone-offline")
    assert phone.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")
    phone.get_by_role("link", name="Open my safety plan").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("My safety plan")
    expect(phone.get_by_text("Not sleeping")).to_be_visible()
    phone.context.set_offline(False)

    # Another person on the same phone: the client's session ends, the therapist signs in.
    phone.context.clear_cookies()
    log_in(phone, therapist.email)
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    phone.goto(f"/clients/{client_user.id}/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Carla")
    kept = kept_until(phone, lambda k: "/my-safety-plan/" not in k and "/offline/" in k)
    assert kept == ["/offline/"]  # nothing of Carla's, no staff page

    phone.context.set_offline(True)
    phone.reload()
    expect(phone.get_by_role("heading", level=1)).to_have_text("No connection right now")
    assert "Carla" not in phone.content().split("<footer")[0]
    expect(phone.get_by_role("link", name="Open my safety plan")).to_have_count(0)
    phone.context.set_offline(False)
    audit.assert_clean()
    assert traffic.offsite() == []
    assert traffic.page_errors == []


def test_a_card_finished_offline_is_sent_once_when_back_online(
    open_page: Any, traffic: Traffic, client_user: User, episode: CareEpisode
) -> None:
    phone = open_page(phone=True, worker=True)
    log_in(phone, client_user.email)
    open_card(phone)
    posts: list[str] = []
    phone.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/diary/") else None,
    )
    rate(phone, "anger", "3")
    phone.get_by_label("TIPP").check()

    # Offline, with a question the card needs left out: kept, then refused once back online.
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Done for today").click()
    expect(phone.locator(STATUS)).to_contain_text("You're offline right now")
    expect(phone.locator(STATUS)).to_contain_text("kept on this phone")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your diary card")
    assert posts == []
    kept = phone.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('alliance-diary:'))"
        ".map(k => JSON.parse(localStorage[k]))"
    )
    assert len(kept) == 1 and kept[0]["send"] and kept[0]["answers"]["anger"] == ["3"]
    phone.context.set_offline(False)  # the online event sends it
    expect(phone.locator(STATUS)).to_contain_text("Your diary card wasn't sent:")
    expect(phone.locator(STATUS)).to_contain_text("Your answers are still here")
    expect(phone.locator("#q-anger .scale").get_by_label("3", exact=True)).to_be_checked()
    assert len(posts) == 1
    assert not DiaryCard.objects.filter(status=DiaryStatus.SUBMITTED).exists()
    assert DiaryCard.objects.get(client=client_user).draft_answers()["anger"] == "3"  # a draft

    # Completed, still offline: sent when the connection is back, and only then.
    rate(phone, "urge_suicide", "0")
    rate(phone, "urge_self_harm", "1")
    phone.context.set_offline(True)
    phone.get_by_role("button", name="Done for today").click()
    expect(phone.locator(STATUS)).to_contain_text("You're offline right now")
    assert len(posts) == 1
    phone.context.set_offline(False)
    phone.wait_for_url("**/diary/done/**")
    card = DiaryCard.objects.get(client=client_user)
    assert card.status == DiaryStatus.SUBMITTED
    assert (card.anger, card.urge_self_harm, card.skills) == (3, 1, ["tipp"])
    # The next page load finds nothing left to send: one post, one card.
    open_card(phone)
    expect(phone.locator("#q-anger .scale").get_by_label("3", exact=True)).to_be_checked()
    assert posts == [f"{traffic.base_url}/diary/"] * 2  # the refused one, the sent one
    assert DiaryCard.objects.filter(client=client_user).count() == 1
    assert (
        phone.evaluate("Object.keys(localStorage).filter(k => k.startsWith('alliance-diary:'))")
        == []
    )
    # The autosaves tried while offline and the refused card are the failures provoked here.
    traffic.failed = [f for f in traffic.failed if not f[2].endswith(("/diary/draft/", "/diary/"))]
    assert_clean(traffic)
