"""Moving or cancelling one session, or it and the rest of its series; and the status buttons
that bring the therapist back to where they were.

Toronto's clocks go back on Sunday 1 November 2026 (EDT, UTC-4, to EST, UTC-5).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from alliance.people.models import CareEpisode, Session, SessionStatus, User
from alliance.people.services import session_schedule, sessions_schedule

T0 = datetime(2026, 10, 15, 16, 0, tzinfo=UTC)
"""Thursday 15 October 2026, noon in Toronto."""


def _text(response: Any) -> str:
    return str(response.content, "utf-8")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def care(episode: CareEpisode) -> CareEpisode:
    episode.started_on = date(2026, 1, 5)
    episode.save(update_fields=["started_on"])
    return episode


@pytest.fixture
def teresa(therapist: User, care: CareEpisode) -> Client:
    browser = Client()
    browser.force_login(therapist)
    return browser


@pytest.fixture
def series(therapist: User, care: CareEpisode) -> list[Session]:
    """Four weekly Tuesdays at 09:00 Toronto time from 20 October, across the clock change."""
    edt, est = datetime(2026, 10, 20, 13, 0, tzinfo=UTC), datetime(2026, 11, 3, 14, 0, tzinfo=UTC)
    return sessions_schedule(
        episode=care,
        times=[edt, edt + timedelta(weeks=1), est, est + timedelta(weeks=1)],
        actor=therapist,
    )


def _edit(browser: Client, session: Session, **data: str) -> Any:
    return browser.post(reverse("session_edit", kwargs={"session_id": session.id}), data)


def _local(session: Session) -> str:
    session.refresh_from_db()
    return f"{session.scheduled_at.astimezone(session.episode.therapist.zone):%a %d %b %H:%M %Z}"


def test_the_edit_page_offers_this_or_the_following(teresa, series):
    page = _text(teresa.get(reverse("session_edit", kwargs={"session_id": series[1].id})))
    assert "This session and the following ones in the series" in page
    assert 'value="2026-10-27"' in page
    assert 'value="09:00"' in page


def test_moving_one_session_moves_only_it(teresa, series):
    response = _edit(teresa, series[1], date="2026-10-28", time="11:00", action="move")
    assert [_local(s) for s in series] == [
        "Tue 20 Oct 09:00 EDT",
        "Wed 28 Oct 11:00 EDT",
        "Tue 03 Nov 09:00 EST",
        "Tue 10 Nov 09:00 EST",
    ]
    assert response["Location"].endswith(f"#session-{series[1].id}")


def test_moving_the_following_shifts_each_by_the_same_local_amount(teresa, series):
    _edit(teresa, series[1], date="2026-10-27", time="10:30", scope="following", action="move")
    assert [_local(s) for s in series] == [
        "Tue 20 Oct 09:00 EDT",
        "Tue 27 Oct 10:30 EDT",
        "Tue 03 Nov 10:30 EST",
        "Tue 10 Nov 10:30 EST",
    ]


def test_the_move_confirmation_says_where_the_first_went(teresa, series):
    response = _edit(
        teresa, series[1], date="2026-10-29", time="09:00", scope="following", action="move"
    )
    page = _text(teresa.get(response["Location"]))
    assert "3 sessions moved; the first is now Thu 29 Oct 2026, 09:00." in page


def test_moving_a_session_earlier_than_another_renumbers_them(teresa, series):
    _edit(teresa, series[2], date="2026-10-19", time="09:00", action="move")
    numbers = [Session.objects.get(id=s.id).number for s in series]
    assert numbers == [2, 3, 1, 4]


def test_moving_the_following_onto_a_time_that_happens_twice_asks_which(teresa, series):
    # Sunday 01:30 on 25 October is ordinary; a week later it happens twice.
    data = {"date": "2026-10-25", "time": "01:30", "scope": "following", "action": "move"}
    asked = _edit(teresa, series[1], **data)
    assert asked.status_code == 400
    assert "On Sun 1 Nov 2026, 01:30 happens twice" in _text(asked)
    assert _local(series[1]) == "Tue 27 Oct 09:00 EDT"  # nothing moved yet
    _edit(teresa, series[1], **data, which="first")
    assert [_local(s) for s in series[1:]] == [
        "Sun 25 Oct 01:30 EDT",
        "Sun 01 Nov 01:30 EDT",
        "Sun 08 Nov 01:30 EST",
    ]


def test_a_move_out_of_range_is_refused_with_the_reason(teresa, series):
    response = _edit(teresa, series[0], date="9999-12-31", time="09:00", action="move")
    assert response.status_code == 400
    assert "31 Dec 9999 is more than two years ahead." in _text(response)
    assert _local(series[0]) == "Tue 20 Oct 09:00 EDT"


def test_cancelling_the_rest_of_a_series_keeps_the_earlier_sessions(teresa, series):
    response = _edit(teresa, series[2], scope="following", action="cancel")
    statuses = [Session.objects.get(id=s.id).status for s in series]
    assert statuses == [
        SessionStatus.SCHEDULED,
        SessionStatus.SCHEDULED,
        SessionStatus.CANCELLED_THERAPIST,
        SessionStatus.CANCELLED_THERAPIST,
    ]
    assert "2 sessions are cancelled." in _text(teresa.get(response["Location"]))


def test_cancelling_one_session_of_a_series_cancels_only_it(teresa, series):
    _edit(teresa, series[1], scope="one", action="cancel")
    assert [Session.objects.get(id=s.id).status for s in series].count(
        SessionStatus.CANCELLED_THERAPIST
    ) == 1


def test_the_following_leave_out_sessions_already_recorded(teresa, therapist, series):
    from alliance.people.services import session_set_status

    session_set_status(session=series[3], status="cancelled_client", actor=therapist)
    _edit(teresa, series[1], date="2026-10-28", time="09:00", scope="following", action="move")
    assert _local(series[3]) == "Tue 10 Nov 09:00 EST"
    assert Session.objects.get(id=series[3].id).status == SessionStatus.CANCELLED_CLIENT


def test_an_attended_session_cannot_be_moved(teresa, therapist, care):
    session = session_schedule(
        episode=care, scheduled_at=T0 - timedelta(days=1), actor=therapist, attended=True
    )
    response = _edit(teresa, session, date="2026-10-10", time="09:00", action="move")
    assert response.status_code == 400
    assert "Only an upcoming session can be moved or cancelled here." in _text(response)
    session.refresh_from_db()
    assert session.scheduled_at == T0 - timedelta(days=1)


def test_another_therapist_cannot_open_the_edit_page(login, other_therapist, series):
    url = reverse("session_edit", kwargs={"session_id": series[0].id})
    assert login(other_therapist).get(url).status_code == 404


# --- status buttons bring you back ------------------------------------------------------------


def _status(browser: Client, session: Session, status: str, **extra: str) -> Any:
    return browser.post(
        reverse("session_status", kwargs={"session_id": session.id}), {"status": status, **extra}
    )


def test_a_status_set_on_the_caseload_goes_back_to_the_caseload(teresa, therapist, care):
    session = session_schedule(episode=care, scheduled_at=T0 - timedelta(hours=2), actor=therapist)
    response = _status(teresa, session, "attended", return_to="caseload")
    assert response["Location"] == reverse("caseload") + "#today"
    page = _text(teresa.get(response["Location"]))
    assert "Session 1 with Carla Client (Thu 15 Oct 2026, 10:00) is marked attended." in page


def test_a_status_set_on_the_client_page_goes_back_to_the_session(teresa, therapist, care):
    session = session_schedule(episode=care, scheduled_at=T0 - timedelta(hours=2), actor=therapist)
    response = _status(teresa, session, "missed", return_to="client")
    assert response["Location"] == (
        reverse("client_detail", args=[care.client_id]) + f"#session-{session.id}"
    )


def test_a_refused_status_also_goes_back_to_the_caseload_with_the_reason(teresa, therapist, care):
    session = session_schedule(episode=care, scheduled_at=T0 + timedelta(days=1), actor=therapist)
    response = _status(teresa, session, "attended", return_to="caseload")
    assert response["Location"] == reverse("caseload") + "#today"
    page = _text(teresa.get(response["Location"]))
    assert escape("A session can't be marked attended before it has happened.") in page


def test_an_unknown_place_to_return_to_goes_to_the_client_page(teresa, therapist, care):
    session = session_schedule(episode=care, scheduled_at=T0 - timedelta(hours=2), actor=therapist)
    response = _status(teresa, session, "missed", return_to="https://example.com/")
    assert response["Location"].startswith(reverse("client_detail", args=[care.client_id]))
