"""The check-in's questions are rendered once per set of questions; typed answers never are."""

from __future__ import annotations

import uuid

from django.core.cache import cache

from tests.conftest import GOOD_ANSWERS

TENSION = {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "1"}


def test_a_fresh_form_is_the_same_from_the_cache_and_typed_answers_are_not_cached(
    episode, client_user, attend, login
):
    cache.clear()
    browser = login(client_user)
    session = attend(episode, 1)
    first = browser.get(f"/checkins/{session.id}/").content.decode()
    again = browser.get(f"/checkins/{session.id}/").content.decode()
    strip = lambda html: html.split('name="form_token"')[1].split("</form>")[0].split(">", 1)[1]  # noqa: E731
    assert strip(first) == strip(again)
    assert " checked" not in first
    # A form sent back with a mistake shows what was typed, and the mistake.
    answers = {**GOOD_ANSWERS, "bond": "", "tasks": "5", "form_token": str(uuid.uuid4())}
    page = browser.post(f"/checkins/{session.id}/", answers)
    html = page.content.decode()
    assert page.status_code == 400
    assert 'name="tasks" value="5" checked' in html
    assert 'class="error" id="err-bond"' in html
    # ... and the next fresh form is clean again.
    assert " checked" not in browser.get(f"/checkins/{session.id}/").content.decode()


def test_the_follow_up_question_is_its_own_cached_set(episode, client_user, attend, login):
    cache.clear()
    browser = login(client_user)
    first = attend(episode, 1)
    assert 'name="followup_resolved"' not in browser.get(f"/checkins/{first.id}/").content.decode()
    browser.post(f"/checkins/{first.id}/", {**TENSION, "form_token": str(uuid.uuid4())})
    second = attend(episode, 2)
    assert 'name="followup_resolved"' in browser.get(f"/checkins/{second.id}/").content.decode()
