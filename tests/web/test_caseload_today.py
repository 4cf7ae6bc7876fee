"""The caseload's "Today and yesterday" block: every session of the therapist's on their own
local today or yesterday, each with one-click status buttons that work without JavaScript."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from alliance.checkins.services import checkin_submit
from alliance.people.models import CareEpisode, Session, SessionStatus
from alliance.people.selectors import sessions_today_and_yesterday
from alliance.people.services import episode_end
from tests.conftest import GOOD_ANSWERS

T0 = datetime(2026, 10, 15, 3, 30, tzinfo=UTC)
"""Wednesday 14 October 2026, 23:30 in Toronto: still Wednesday there, Thursday in UTC."""


def _text(response: Any) -> str:
    return str(response.content, "utf-8")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(T0, tick=False):
        yield


def _at(episode: CareEpisode, when: datetime, number: int) -> Session:
    return Session.objects.create(episode=episode, number=number, scheduled_at=when)


@pytest.fixture
def sessions(episode: CareEpisode) -> dict[str, Session]:
    """Carla's sessions around Teresa's (Toronto) today, Wednesday 14 October."""
    return {
        "monday": _at(episode, datetime(2026, 10, 12, 22, 0, tzinfo=UTC), 1),
        "late_monday": _at(episode, datetime(2026, 10, 13, 3, 0, tzinfo=UTC), 2),  # 23:00 local
        "yesterday": _at(episode, datetime(2026, 10, 13, 14, 0, tzinfo=UTC), 3),
        "today": _at(episode, datetime(2026, 10, 14, 18, 0, tzinfo=UTC), 4),
        "tonight": _at(episode, datetime(2026, 10, 15, 3, 0, tzinfo=UTC), 5),  # Wed 23:00 local
        "tomorrow": _at(episode, datetime(2026, 10, 15, 14, 0, tzinfo=UTC), 6),
    }


def test_the_block_holds_the_therapists_local_today_and_yesterday(therapist, sessions):
    recent = sessions_today_and_yesterday(therapist, now=T0)
    assert [(r.session.number, r.today) for r in recent] == [
        (3, False),
        (4, True),
        (5, True),
    ]


def test_the_block_leaves_out_other_therapists_and_ended_care(
    therapist, other_therapist, other_episode, episode, sessions
):
    _at(other_episode, datetime(2026, 10, 14, 18, 0, tzinfo=UTC), 1)
    assert len(sessions_today_and_yesterday(other_therapist, now=T0)) == 1
    episode_end(episode=episode, actor=therapist, now=T0)
    assert sessions_today_and_yesterday(therapist, now=T0) == []


def test_the_caseload_shows_each_session_with_its_status_and_buttons(login, therapist, sessions):
    page = _text(login(therapist).get(reverse("caseload")))
    start = page.index('id="today"')
    block = page[start : page.index("</section>", start)]
    assert "Today and yesterday" in page
    assert block.count('class="quick-status"') == 3
    assert "yesterday 10:00" in block
    assert "today 14:00" in block
    assert "today 23:00" in block
    for label in ("Attended", "Missed", "Cancelled by client", "Cancelled by therapist"):
        assert block.count(f">{label}<span") == 3


def test_each_button_posts_its_status_and_the_way_back(login, therapist, sessions):
    page = _text(login(therapist).get(reverse("caseload")))
    form = re.search(
        r'<form method="post" action="{}" class="quick-status">(.*?)</form>'.format(
            re.escape(reverse("session_status", kwargs={"session_id": sessions["today"].id}))
        ),
        page,
        re.S,
    )
    assert form is not None
    buttons = re.findall(r'<button type="submit" name="status" value="(\w+)"', form.group(1))
    assert buttons == ["attended", "missed", "cancelled_client", "cancelled_therapist"]
    assert '<input type="hidden" name="return_to" value="caseload">' in form.group(1)


def test_one_click_marks_attended_and_comes_back_to_the_block(login, therapist, sessions):
    browser = login(therapist)
    response = browser.post(
        reverse("session_status", kwargs={"session_id": sessions["today"].id}),
        {"status": "attended", "return_to": "caseload"},
        follow=True,
    )
    sessions["today"].refresh_from_db()
    assert sessions["today"].status == SessionStatus.ATTENDED
    assert sessions["today"].checkin_is_open(T0)
    assert response.redirect_chain == [(reverse("caseload") + "#today", 302)]
    assert (
        '<button type="submit" name="status" value="attended" class="primary" aria-pressed="true">'
        in _text(response)
    )


def test_an_answered_session_shows_no_buttons(login, therapist, client_user, sessions):
    from alliance.people.services import session_set_status

    answered = session_set_status(session=sessions["today"], status="attended", actor=therapist)
    checkin_submit(
        session=answered, client=client_user, answers=GOOD_ANSWERS, form_token=uuid.uuid4()
    )
    page = _text(login(therapist).get(reverse("caseload")))
    assert page.count('class="quick-status"') == 2
    assert "The client has answered its check-in, so it stays attended." in page


def test_a_day_without_sessions_says_so(login, therapist, episode):
    page = _text(login(therapist).get(reverse("caseload")))
    assert "No sessions today or yesterday." in page


def test_the_block_costs_one_query_whatever_the_number_of_sessions(
    therapist, sessions, django_assert_num_queries
):
    with django_assert_num_queries(1):
        recent = sessions_today_and_yesterday(therapist, now=T0)
        for r in recent:
            _ = (r.session.episode.client.full_name, r.session.answered)


def test_a_therapist_in_another_zone_gets_their_own_today(therapist, sessions):
    therapist.timezone = "Europe/Paris"  # 05:30 on Thursday 15 October there
    recent = sessions_today_and_yesterday(therapist, now=T0)
    assert [r.session.number for r in recent] == [4, 5, 6]


def test_the_status_buttons_need_the_session_to_be_yours(login, other_therapist, sessions):
    response = login(other_therapist).post(
        reverse("session_status", kwargs={"session_id": sessions["today"].id}),
        {"status": "missed", "return_to": "caseload"},
    )
    assert response.status_code == 404
    sessions["today"].refresh_from_db()
    assert sessions["today"].status == SessionStatus.SCHEDULED
