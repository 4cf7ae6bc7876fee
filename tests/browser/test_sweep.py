"""Every page a person meets, audited by axe (WCAG 2.0, 2.1 and 2.2, levels A and AA).

One browser context per role and language (``en-CA``, ``fr-CA``): each page is loaded once,
audited at 1366 px, then the window is narrowed to 390 px (a phone) and audited again, so one
load serves both widths. A few pages are also audited with their form's mistakes showing. The
client's pages in both languages, and every page in French, are checked further at 683 px (a
1366 px screen at 200 % zoom): no sideways scroll, no clipped text; and on a phone every link
and button is at least 24 x 24 px. On every page, colour is never the only signal and each
chart has a text alternative (``COLOUR_AND_CHARTS``).

``SWEEP`` names the route of every page; ``NOT_PAGES`` every route that answers something else
(an action, a file, a redirect). A test fails when a route is in neither, so a new page cannot
escape the sweep. The URLs are filled from the records of ``tests/web/test_permissions.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.tokens import default_token_generator
from django.urls import get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Browser, BrowserContext, Page, expect

from alliance.absences.models import Absence
from alliance.people.models import Role, User
from tests.browser.conftest import TIMEOUT_MS, log_in, say
from tests.conftest import PASSWORD
from tests.web import test_permissions
from tests.web.test_permissions import MATRIX, _route_names

records = test_permissions.records  # the access matrix's records, a fixture shared with it

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
LOCALES = ("en-CA", "fr-CA")
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
ZOOMED = {"width": 683, "height": 450}  # 1366 x 900 at 200 %

# What to do on a page once it is audited, in the page's language (``"en-ca"``, ``"fr-ca"``).
Then = Callable[[Page, str], None]


def _send_empty(button: str) -> Then:
    """Send the form empty with the button of that name (in the page's language); a name with
    a placeholder (``Send to %(name)s``) is matched by what comes before it."""

    def act(page: Page, language: str) -> None:
        start = say(button, language).split("%(")[0]
        name = re.compile("^" + re.escape(start))
        page.get_by_role("button", name=name).first.press("Enter")
        page.wait_for_load_state()
        # The mistakes are announced: a summary a screen reader reads out at once.
        expect(page.get_by_role("alert").first).to_be_visible()

    return act


@dataclass(frozen=True)
class Stop:
    """A page of the sweep: its route, and what to do there once it is audited."""

    route: str
    query: str = ""
    status: int = 200
    then: tuple[tuple[str, Then], ...] = ()
    client_page: bool = False


def _client(route: str, query: str = "", then: tuple[tuple[str, Then], ...] = ()) -> Stop:
    return Stop(route, query, then=then, client_page=True)


# The roles, in the order the sweep visits them: who signs in (a fixture name), and the pages.
SWEEP: dict[str, tuple[str | None, tuple[Stop, ...]]] = {
    "anonymous": (
        None,
        (
            Stop("login", then=(("wrong password", _send_empty("Log in")),)),
            Stop("password_reset"),
            Stop("password_reset_done"),
            Stop("password_reset_confirm"),
            Stop("password_reset_complete"),
            Stop("invite_accept", then=(("errors", _send_empty("Set my password")),)),
            Stop("reminders_pause"),
            Stop("reach_out_form", then=(("errors", _send_empty("Send")),)),
            Stop("reach_out_thanks"),
            Stop("crisis_help"),
            Stop("offline"),
        ),
    ),
    "client": (
        "client_user",
        (
            _client("client_home"),
            _client("checkin", then=(("errors", _send_empty("Send to %(name)s")),)),
            _client("checkin_thanks"),
            _client("diary"),
            _client("diary_done"),
            _client("questionnaire"),
            _client("questionnaire_done"),
            _client("my_safety_plan"),
            _client("my_safety_plan_edit"),
            _client("offline"),
            _client("access_log"),
            _client("message_settings"),
            _client("client_export"),
            _client("account"),
            _client("profile"),
            _client("reauth"),
            _client("password_change"),
            _client("email_change"),
            Stop("email_change_confirm", status=400, client_page=True),
        ),
    ),
    "therapist": (
        "therapist",
        (
            Stop("caseload"),
            Stop(
                "client_add", then=(("errors", _send_empty("Add client and send the invitation")),)
            ),
            Stop("client_detail"),
            Stop("session_edit"),
            Stop("session_rating"),
            Stop("alert_detail"),
            Stop("outcome_schedule"),
            Stop("response_detail"),
            Stop("diary_week"),
            Stop("diary_targets"),
            Stop("timeline"),
            Stop("session_prep"),
            Stop("rupture_urges"),
            Stop("safety_plan"),
            Stop("safety_plan_edit"),
            Stop("absences"),
            Stop("absence_detail"),
            Stop("reach_out_list"),
            Stop("reach_out_page"),
            Stop("reach_out_detail"),
            Stop("recovery_codes"),
            Stop("recovery_codes_regenerate"),
            Stop("two_factor_reset"),
            Stop("api_tokens"),
        ),
    ),
    # Omar covers for Teresa while she is away: her client's summary, from his own caseload.
    "cover": ("other_therapist", (Stop("cover_summary"), Stop("absences"))),
    "supervisor": ("supervisor", (Stop("supervision"), Stop("supervision_therapist"))),
    "clinic admin": (
        "admin",
        (
            Stop("clinic_people", then=(("errors", _send_empty("Add and send the invitation")),)),
            Stop("clinic_settings"),
            Stop("person_deactivate"),
            Stop("person_two_factor_reset"),
            Stop("clinic_messages"),
            Stop("audit_log"),
            Stop("clinic_safety"),
            Stop("clinic_analysis"),
            Stop("research_exports"),
        ),
    ),
}
# The two sign-in steps of staff: audited as they happen (the newcomer sets up an authenticator).
SIGN_IN_PAGES = ("two_factor_verify", "two_factor_setup")

NOT_PAGES: dict[str, str] = {
    "home": "redirects to the person's home page",
    "healthz": "a plain-text health check",
    "favicon": "redirects to the icon",
    "logout": "POST only",
    "session_schedule": "POST only",
    "session_status": "POST only",
    "invite_resend": "POST only",
    "invitation_resend": "POST only",
    "invitation_withdraw": "POST only",
    "invite_revoke": "POST only",
    "episode_end": "POST only",
    "legal_hold": "POST only",
    "person_reactivate": "POST only",
    "alert_acknowledge": "POST only",
    "alert_repair": "POST only",
    "alert_close": "POST only",
    "alert_followup": "POST only",
    "message_resend": "POST only",
    "diary_draft": "POST only (the diary card's draft, saved by its script)",
    "reach_out_reply": "POST only",
    "reach_out_decline": "POST only",
    "reach_out_invite": "POST only",
    "absence_cancel": "POST only",
    "safety_plan_review": "POST only",
    "supervisor_assign": "POST only",
    "supervisor_unassign": "POST only",
    "supervision_names": "POST only",
    "api_token_revoke": "POST only",
    "audit_export": "a CSV file",
    "client_fhir": "a JSON file",
    "research_export_download": "a ZIP file",
    "session_prep_pdf": "a PDF file",
    "safety_plan_worker": "a script (the offline copy's service worker)",
    "service_worker": "a script (the site's service worker)",
    "manifest": "the web app manifest (JSON)",
    "account_language": "POST only (the language chosen on the account page)",
    "set_language": "redirects (Django's language switch, a POST from the footer)",
    "api:openapi-json": "the API's JSON description",
}
NOT_PAGES_PREFIX = "api:"  # the REST API answers JSON only, to a bearer token


def _swept() -> list[str]:
    names = [stop.route for _, stops in SWEEP.values() for stop in stops]
    return names + list(SIGN_IN_PAGES)


def test_every_page_is_in_the_sweep() -> None:
    routes = set(_route_names(get_resolver().url_patterns))
    swept = _swept()
    pages = {r for r in routes if r not in NOT_PAGES and not r.startswith(NOT_PAGES_PREFIX)}
    missing = sorted(pages - set(swept))
    assert missing == [], f"pages not in the accessibility sweep (add them to SWEEP): {missing}"
    assert sorted(set(swept) - routes) == [], "the sweep names a route that does not exist"
    assert sorted(set(NOT_PAGES) - routes) == [], "NOT_PAGES names a route that does not exist"


def test_no_route_that_renders_a_page_is_called_not_a_page() -> None:
    """A route the access matrix opens with a 200 to a GET is a page, unless it is a file."""
    files = {"healthz", "audit_export", "client_fhir", "research_export_download"}
    files |= {"session_prep_pdf", "safety_plan_worker", "service_worker", "manifest"}
    files |= {"api:openapi-json"}
    opened = {route for route, rule in MATRIX.items() if 200 in rule.get}
    assert sorted((opened & set(NOT_PAGES)) - files) == []
    assert files <= set(NOT_PAGES)


# --- the sweep ---------------------------------------------------------------------------

VIOLATIONS = """(options) => axe.run(document, options).then((r) => r.violations.map((v) =>
  `${v.id} (${v.impact}): ${v.help}\\n` + v.nodes.map((n) =>
    `    ${n.target.join(" ")}: ${(n.failureSummary || "").replace(/\\s+/g, " ")}`).join("\\n")))
"""

# Client pages at 200 % zoom: the page itself never scrolls sideways, and no text is cut off by
# a box that hides what overflows it (a box that scrolls, like a chart's, is allowed).
CLIPPED = """() => {
  const root = document.scrollingElement;
  const found = [];
  if (root.scrollWidth > root.clientWidth + 1) {
    found.push(`the page scrolls sideways: ${root.scrollWidth}px in ${root.clientWidth}px`);
  }
  for (const el of document.body.querySelectorAll("*")) {
    // Off-screen on purpose: text for screen readers, the skip link, the robots' trap.
    if (!el.getClientRects().length || el.closest(".visually-hidden, .skip, [aria-hidden=true]")) {
      continue;
    }
    const style = getComputedStyle(el);
    const hides = ["hidden", "clip"].includes(style.overflowX) || style.textOverflow === "ellipsis";
    if (hides && el.scrollWidth > el.clientWidth + 1 && el.textContent.trim()) {
      found.push(`text cut off in <${el.tagName.toLowerCase()} class="${el.className}">`);
    }
  }
  return found;
}"""

# Every link and button on a phone is 24 x 24 px or more, or has room around it (WCAG 2.5.8):
# a link inside a sentence is exempt, as the rule allows.
SMALL_TARGETS = """() => {
  const small = [];
  const targets = "a[href], button, input:not([type=hidden]), select, summary, [role=button]";
  for (const el of document.querySelectorAll(targets)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest(".skip, [aria-hidden=true]")) continue;
    const inline = el.tagName === "A" && getComputedStyle(el).display === "inline";
    if (inline) {
      const block = el.parentElement.closest("p, li, td, dd, label, legend, figcaption, small");
      const words = block ? block.textContent.replace(el.textContent, "").trim() : "";
      if (words.length > 0) continue;  // a link in running text
    }
    if (box.width < 24 || box.height < 24) {
      const name = (el.textContent || el.getAttribute("aria-label") || el.name || "").trim();
      const size = `${box.width.toFixed(0)}x${box.height.toFixed(0)}`;
      small.push(`<${el.tagName.toLowerCase()}> "${name.slice(0, 40)}" ${size}`);
    }
  }
  return small;
}"""


# Colour is never the only signal (WCAG 1.4.1), and every drawing has a text alternative
# (1.1.1). On each page: a field marked wrong says so in words; a caseload row whose colour
# says "look here" says why in words; in a chart, two lines never differ by colour alone (each
# has its own dash pattern); and a visible chart is an image with a name, or hidden from
# screen readers. Returns the problems and how many charts were looked at.
COLOUR_AND_CHARTS = """() => {
  const found = [];
  const shown = (el) => el.getClientRects().length > 0;
  const words = (el) => (el ? el.textContent.replace(/\\s+/g, " ").trim() : "");
  for (const field of document.querySelectorAll(".has-error")) {
    if (!shown(field)) continue;
    const said = [...field.querySelectorAll(".error")].some((e) => shown(e) && words(e));
    if (!said) found.push(`a field marked wrong by its colour only: #${field.id}`);
  }
  for (const row of document.querySelectorAll(".case[class*='attention-']")) {
    const badge = [...row.querySelectorAll(".badge, .reasons li")].some((e) => words(e));
    if (!badge) found.push(`a caseload row coloured without a reason: ${words(row).slice(0, 40)}`);
  }
  let charts = 0;
  for (const svg of document.querySelectorAll("main svg")) {
    if (!shown(svg) || svg.closest("[aria-hidden='true']")) continue;
    charts += 1;
    const ids = (svg.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    const named = svg.getAttribute("aria-label") ||
      ids.map((id) => words(document.getElementById(id))).join(" ").trim();
    if (svg.getAttribute("role") !== "img" || !named) {
      found.push(`a chart without a text alternative: <svg class="${svg.getAttribute("class")}">`);
    }
    const dashes = new Map();
    for (const line of svg.querySelectorAll("polyline")) {
      const style = getComputedStyle(line);
      if (style.stroke === "none" || !shown(line)) continue;
      const dash = style.strokeDasharray;
      const colours = dashes.get(dash) || new Set();
      colours.add(style.stroke);
      dashes.set(dash, colours);
    }
    for (const [dash, colours] of dashes) {
      if (colours.size > 1) {
        found.push(`chart lines told apart by colour only (dash ${dash}): ${[...colours]}`);
      }
    }
  }
  return { found, charts };
}"""


def resize(page: Page, size: dict[str, int]) -> None:
    """A new window size, and two frames for the page's resize handlers and layout to run."""
    page.set_viewport_size(size)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


@dataclass
class Sweep:
    """Runs axe (injected once per page load) and keeps every finding for one assertion."""

    axe_source: str = field(default_factory=lambda: Axe().axe_script)
    findings: dict[str, list[str]] = field(default_factory=dict)
    audits: int = 0
    charts: int = 0

    def audit(self, page: Page, name: str) -> None:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(self.axe_source)
        violations = page.evaluate(VIOLATIONS, AXE_OPTIONS)
        self.audits += 1
        if violations:
            self.findings.setdefault(name, []).extend(violations)

    def note(self, name: str, problems: list[str]) -> None:
        if problems:
            self.findings.setdefault(name, []).extend(problems)

    def colour_and_charts(self, page: Page, name: str) -> None:
        result = page.evaluate(COLOUR_AND_CHARTS)
        self.charts += result["charts"]
        self.note(f"{name} colour and charts", result["found"])

    def both_widths(self, page: Page, name: str) -> None:
        self.colour_and_charts(page, name)
        self.audit(page, f"{name} @1366")
        resize(page, PHONE)
        self.audit(page, f"{name} @390")
        resize(page, WIDE)

    def check_lang(self, page: Page, name: str, content_language: str | None) -> None:
        lang = page.evaluate("document.documentElement.lang")
        if not lang:
            self.note(name, ["<html> has no lang"])
        elif content_language and lang.lower() != content_language.lower():
            self.note(name, [f"<html lang={lang}> but the page is in {content_language}"])

    def client_checks(self, page: Page, name: str) -> None:
        resize(page, PHONE)
        self.note(f"{name} @390 targets", page.evaluate(SMALL_TARGETS))
        resize(page, ZOOMED)
        self.note(f"{name} @200% zoom", page.evaluate(CLIPPED))
        resize(page, WIDE)


def _context(browser: Browser, base_url: str, locale: str) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url, viewport=WIDE, locale=locale, timezone_id="America/Toronto"
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _fill(route: str, data: dict[str, str]) -> str:
    return reverse(route, kwargs={k: data[v] for k, v in MATRIX[route].url.items()})


@pytest.fixture
def sweep_records(
    request: pytest.FixtureRequest, therapist: User, client_user: User, other_therapist: User
) -> Iterator[dict[str, str]]:
    """The access matrix's records, with a live password-reset link and Teresa away today."""
    matrix_records: dict[str, str] = request.getfixturevalue("records")
    today = timezone.localdate()
    Absence.objects.filter(pk=matrix_records["absence"]).update(
        starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=5)
    )
    User.objects.create_user(
        "nina@example.org",
        PASSWORD,
        full_name="Nina New",
        display_name="Nina",
        role=Role.THERAPIST,
        clinic=therapist.clinic,
    )
    yield {
        **matrix_records,
        "reset_uid": urlsafe_base64_encode(force_bytes(client_user.pk)),
        "reset_token": default_token_generator.make_token(client_user),
    }


def _audit_code_page(sweep: Sweep, tag: str) -> Callable[[Page], None]:
    def audit(page: Page) -> None:
        sweep.both_widths(page, f"{tag} two_factor_verify")

    return audit


def test_every_page_passes_axe_in_both_languages_at_both_widths(
    browser: Browser, live_server: Any, sweep_records: dict[str, str], request: Any
) -> None:
    started = time.monotonic()
    sweep = Sweep()
    statuses: list[str] = []
    for locale in LOCALES:
        # Nobody has chosen a language yet: the first sign-in keeps the browser's.
        User.objects.update(language="")
        for role, (persona, stops) in SWEEP.items():
            context = _context(browser, live_server.url, locale)
            page = context.new_page()
            tag = f"[{locale}] {role}"
            if persona is not None:
                user = request.getfixturevalue(persona)
                log_in(
                    page,
                    user.email,
                    on_code_page=_audit_code_page(sweep, tag),
                    language=locale.lower(),
                )
            for stop in stops:
                url = _fill(stop.route, sweep_records) + stop.query
                response = page.goto(url)
                assert response is not None
                name = f"{tag} {stop.route}"
                if response.status != stop.status:
                    statuses.append(f"{name}: {response.status} at {page.url}")
                sweep.check_lang(page, name, response.headers.get("content-language"))
                sweep.both_widths(page, name)
                # Zoom and target size: the client's pages in both languages, every other page
                # in French, whose longer words are the harder case.
                if stop.client_page or locale == "fr-CA":
                    sweep.client_checks(page, name)
                for state, act in stop.then:
                    act(page, locale.lower())
                    sweep.colour_and_charts(page, f"{name} ({state})")
                    sweep.audit(page, f"{name} ({state}) @1366")
            if role == "anonymous":
                _error_pages(page, sweep, tag)
            context.close()
        _newcomer(browser, live_server.url, locale, sweep)
    took = time.monotonic() - started
    print(f"\naccessibility sweep: {sweep.audits} axe audits, {sweep.charts} charts, {took:.0f}s")
    assert statuses == [], "pages that did not answer as expected:\n" + "\n".join(statuses)
    assert not sweep.findings, "accessibility problems:\n\n" + "\n\n".join(
        f"=== {name}\n" + "\n".join(found) for name, found in sweep.findings.items()
    )
    assert sweep.audits > 200  # the sweep really ran
    assert sweep.charts >= 8, f"only {sweep.charts} charts were checked"  # they were there


def _error_pages(page: Page, sweep: Sweep, tag: str) -> None:
    response = page.goto("/no-such-page/")
    assert response is not None and response.status == 404
    sweep.check_lang(page, f"{tag} 404", response.headers.get("content-language"))
    sweep.both_widths(page, f"{tag} 404")
    # A form sent without its CSRF token (an expired form) is refused with the 403 page.
    page.goto("/login/")
    page.locator("main input[name=csrfmiddlewaretoken]").evaluate("input => input.remove()")
    with page.expect_navigation():
        page.locator("main form button").first.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    sweep.both_widths(page, f"{tag} 403")


def _newcomer(browser: Browser, base_url: str, locale: str, sweep: Sweep) -> None:
    """Nina, new staff with no authenticator yet: her first sign-in asks her to set one up."""
    context = _context(browser, base_url, locale)
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label(say("Email", locale.lower()), exact=True).fill("nina@example.org")
    page.get_by_label(say("Password", locale.lower()), exact=True).fill(PASSWORD)
    page.get_by_label(say("Password", locale.lower()), exact=True).press("Enter")
    page.wait_for_url("**/account/two-factor/setup/")
    sweep.both_widths(page, f"[{locale}] newcomer two_factor_setup")
    context.close()


def test_the_colour_and_chart_check_finds_what_it_looks_for(browser: Browser) -> None:
    """A page made to fail each rule once: the check must name all four problems."""
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    page.set_content(
        "<main>"
        '<div class="has-error" id="q-bond"><input></div>'
        '<ul><li class="case attention-high"><a href="#">Carla</a></li></ul>'
        '<svg width="200" height="100"><polyline points="0,0 50,50" '
        'style="fill:none;stroke:#a1271b;stroke-width:2"/><polyline points="0,10 50,60" '
        'style="fill:none;stroke:#2f5d7c;stroke-width:2"/></svg>'
        "</main>"
    )
    result = page.evaluate(COLOUR_AND_CHARTS)
    context.close()
    found = "\n".join(result["found"])
    assert result["charts"] == 1
    assert "a field marked wrong by its colour only: #q-bond" in found
    assert "a caseload row coloured without a reason: Carla" in found
    assert "a chart without a text alternative" in found
    assert "chart lines told apart by colour only" in found
    assert len(result["found"]) == 4, found
