"""The caseload's rows come from a fragment cache keyed on everything a row shows.

A row is rendered from its ``CaseRowView`` alone (the partial is included with ``only``), and
the cache key is that view with the language and time zone: whatever changes what a row
shows changes its key, so a cached row is never stale.
"""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from alliance.people.models import Session, SessionStatus
from alliance.people.selectors import CaseRowView
from tests.web.test_caseload import TENSION, add_client, checkin

PARTIAL = Path(__file__).resolve().parents[2] / "alliance/people/templates/people/_case.html"


def row_of(page: str, name: str) -> str:
    pattern = r'<li class="case[^"]*">(?:(?!</li>\s*<li class="case).)*?' + name
    match = re.search(pattern, page, re.S)
    assert match, name
    start = match.start()
    return page[start : page.index("</p>\n  </li>", start)]


def test_a_row_changes_with_what_it_shows(clinic, therapist, attend, login):
    episode = add_client(clinic, therapist, "Nora Fragment")
    browser = login(therapist)
    first = row_of(browser.get("/caseload/").content.decode(), "Nora Fragment")
    assert "Nothing needs attention" in first
    # Served again from the cache: the same row.
    assert row_of(browser.get("/caseload/").content.decode(), "Nora Fragment") == first
    # A check-in with tension: the row says so at once.
    checkin(episode, attend, 1, TENSION)
    tense = row_of(browser.get("/caseload/").content.decode(), "Nora Fragment")
    assert "1 open alert" in tense and "Latest alliance" in tense
    # A renamed client and a session booked: both show on the next request.
    episode.client.full_name = "Nora Renamed"
    episode.client.save()
    Session.objects.create(
        episode=episode,
        number=2,
        scheduled_at=timezone.now() + timedelta(days=3),
        status=SessionStatus.SCHEDULED,
    )
    renamed = row_of(browser.get("/caseload/").content.decode(), "Nora Renamed")
    assert "Next session" in renamed


def test_the_same_row_in_another_time_zone_is_rendered_again(clinic, therapist, login):
    episode = add_client(clinic, therapist, "Tia Zones")
    Session.objects.create(
        episode=episode,
        number=1,
        scheduled_at=timezone.now().replace(microsecond=0) + timedelta(days=2),
        status=SessionStatus.SCHEDULED,
    )
    browser = login(therapist)
    here = row_of(browser.get("/caseload/").content.decode(), "Tia Zones")
    therapist.timezone = "Asia/Tokyo" if therapist.timezone != "Asia/Tokyo" else "Europe/Paris"
    therapist.save()
    there = row_of(browser.get("/caseload/").content.decode(), "Tia Zones")
    assert here != there  # the session's time, in the therapist's own zone


def test_the_row_partial_reads_only_its_view():
    source = PARTIAL.read_text(encoding="utf-8")
    names = set(re.findall(r"\bcase\.(\w+)", source))
    assert names and names <= {f.name for f in fields(CaseRowView)}
    # No other variable: every {{ }} and {% if %} names the view, a loop variable or a literal.
    for expression in re.findall(r"{{\s*([^}|]+)", source):
        # "score" is the name a blocktranslate gives case.last_alliance.
        allowed = ("case.", "reason", "kind", "when", "score")
        assert expression.strip().startswith(allowed), expression
    for condition in re.findall(r"{%\s*(?:if|elif)\s+([^%]+)%}", source):
        unquoted = re.sub(r"\"[^\"]*\"|'[^']*'", "", condition)  # string literals aside
        for word in re.findall(r"[A-Za-z_][\w.]*", unquoted):
            assert word.startswith("case.") or word in {"not", "is", "None", "and", "or"}, word
