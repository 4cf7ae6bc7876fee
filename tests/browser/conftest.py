"""Shared fixtures for the end-to-end tests in headless Debian Chromium.

The browser is the system Chromium (``/usr/bin/chromium``); Playwright never downloads one.
The sync Playwright API keeps an asyncio loop alive in the main thread, so Django's
async-safety check would refuse the ORM calls the tests (and pytest-django's database
teardown) make while a browser is open: ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for as long as
the module's browser runs, and restored afterwards.

Every page comes from :func:`open_page`, which records each request the page makes, so a test
can assert that nothing is fetched from anywhere but the live server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from alliance.people.models import User
from tests.conftest import PASSWORD, STAFF_ROLES, enrol_authenticator, totp_code

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000

__all__ = ["PASSWORD", "Traffic", "assert_clean", "log_in", "say", "worker_controls"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Traffic:
    """Every URL any page of the test asked for, and the problems seen in the page."""

    base_url: str
    urls: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    failed: list[tuple[int, str, str]] = field(default_factory=list)  # status, type, url

    def offsite(self) -> list[str]:
        local = self.base_url.rstrip("/") + "/"
        return [
            u
            for u in self.urls
            if not (u.startswith(local) or u.startswith(("data:", "about:", "blob:")))
        ]


@pytest.fixture
def traffic(live_server: Any) -> Traffic:
    return Traffic(base_url=live_server.url)


def _record_failure(traffic: Traffic, response: Any) -> None:
    # Every failure counts, /favicon.ico too (browsers ask for it on their own).
    if response.status >= 400:
        traffic.failed.append((response.status, response.request.resource_type, response.url))


@pytest.fixture
def open_page(
    browser: Browser, live_server: Any, traffic: Traffic
) -> Iterator[Callable[..., Page]]:
    """``open_page(phone=False, js=True, worker=False)``: a page in a new, cookie-less browser
    context. The service worker (alliance/offline) is blocked unless ``worker=True``: its
    background fetches would race a test's own database writes."""
    contexts: list[BrowserContext] = []

    def make(*, phone: bool = False, js: bool = True, worker: bool = False) -> Page:
        context = browser.new_context(
            service_workers="allow" if worker else "block",
            base_url=live_server.url,
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            java_script_enabled=js,
            locale="en-CA",
            timezone_id="America/Toronto",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.on("request", lambda request: traffic.urls.append(request.url))
        context.on("response", lambda response: _record_failure(traffic, response))
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                traffic.console_errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: traffic.page_errors.append(str(error)))

        def on_dialog(dialog: Any) -> None:
            traffic.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    yield make
    for context in contexts:
        context.close()


def say(text: str, language: str | None = None) -> str:
    """``text`` as a page in ``language`` shows it (the catalogue's translation), so a test
    can find a label or a button by its name in French too. ``None`` is English."""
    if language is None:
        return text
    with translation.override(language):
        return translation.gettext(text)


def log_in(
    page: Page,
    email: str,
    password: str = PASSWORD,
    *,
    on_code_page: Callable[[Page], None] | None = None,
    language: str | None = None,
) -> None:
    """Log in through the real login form; lands on the person's home page.

    Staff then type the code from their authenticator (one is made for them if they have
    none, as if they had set it up at an earlier login). ``language`` is the language the
    browser asks for (``"fr-ca"``): the form's labels are found by their names in it.
    """
    user = User.objects.get(email=email)
    device = enrol_authenticator(user) if user.role in STAFF_ROLES else None
    page.goto("/login/")
    page.get_by_label(say("Email", language), exact=True).fill(email)
    page.get_by_label(say("Password", language), exact=True).fill(password)
    page.get_by_role("button", name=say("Log in", language)).click()
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"login failed for {email}: still on {page.url}"
    if device is not None:
        assert "/account/two-factor/verify/" in page.url, f"no code asked: {page.url}"
        if on_code_page is not None:
            on_code_page(page)  # an accessibility audit of the code page, say
        page.get_by_label(say("Code", language), exact=True).fill(totp_code(device))
        page.get_by_role("button", name=say("Continue", language)).click()
        page.wait_for_load_state()
        assert "/two-factor/" not in page.url, f"code refused for {email}: {page.url}"


def worker_controls(page: Page, timeout_ms: int = 20_000) -> None:
    """Wait until the service worker is active and controls ``page``.

    A page whose navigation was already on its way when the worker activated stays
    uncontrolled (``clients.claim()`` can't take a document that didn't exist yet); for the
    person this changes nothing until the next page, which goes through the worker. On a
    loaded machine that race is common, so the page is reloaded once the worker is active,
    as the person's next page would be. Fails after ``timeout_ms``.
    """
    active = (
        "navigator.serviceWorker.getRegistration('/').then(r => "
        "r && r.active ? r.active.state : null)"
    )
    for _ in range(timeout_ms // 100):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            return
        if page.evaluate(active) == "activated":
            page.reload()
            if page.evaluate("navigator.serviceWorker.controller !== null"):
                return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker never came to control the page")


def assert_clean(traffic: Traffic, *, expected_statuses: tuple[int, ...] = ()) -> None:
    """Nothing fetched from another host, nothing failed to load, no script error, no dialog.

    ``expected_statuses``: error statuses of pages the test provoked on purpose (a form sent
    with errors answers 400). Stylesheets and scripts must always load.
    """
    assert traffic.offsite() == [], f"requests to other hosts: {traffic.offsite()}"
    failed = [f for f in traffic.failed if not (f[1] == "document" and f[0] in expected_statuses)]
    assert failed == [], f"responses that failed (status, type, url): {failed}"
    assert traffic.page_errors == [], f"uncaught script errors: {traffic.page_errors}"
    assert traffic.dialogs == [], f"a dialog opened (script ran?): {traffic.dialogs}"
    # Failed loads are checked above, with their URLs; anything else (a CSP refusal, say) here.
    console = [t for t in traffic.console_errors if not t.startswith("Failed to load resource")]
    assert console == [], f"console errors: {console}"
