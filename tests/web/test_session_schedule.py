"""Booking sessions: one or a series, around clock changes, in a sensible range, and numbered
by date.

Teresa and the clinic are in America/Toronto. In 2026 its clocks go forward on 8 March (02:00
becomes 03:00, so 02:30 does not exist) and back on 1 November (01:00-02:00 happens twice:
first EDT, UTC-4, then EST, UTC-5).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from alliance.audit.models import AuditEvent
from alliance.checkins.models import CheckIn
from alliance.checkins.services import checkin_submit, open_rupture_alerts
from alliance.people.models import CareEpisode, Session, SessionStatus, User
from alliance.people.services import PeopleError, session_schedule, sessions_schedule
from alliance.ruptures.models import Alert
from tests.conftest import GOOD_ANSWERS

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


def _schedule(browser: Client, client_user: User, **data: str) -> Any:
    return browser.post(reverse("session_schedule", kwargs={"client_id": client_user.id}), data)


def _times(episode: CareEpisode) -> list[datetime]:
    return list(
        Session.objects.filter(episode=episode)
        .order_by("scheduled_at")
        .values_list("scheduled_at", flat=True)
    )


# --- a single session --------------------------------------------------------------------


def test_a_session_is_booked_at_the_local_time(teresa, client_user, care):
    response = _schedule(teresa, client_user, date="2026-10-20", time="14:00")
    session = Session.objects.get(episode=care)
    assert (session.scheduled_at, session.number, session.series_id) == (
        datetime(2026, 10, 20, 18, 0, tzinfo=UTC),
        1,
        None,
    )
    assert response["Location"] == (
        reverse("client_detail", args=[client_user.id]) + f"#session-{session.id}"
    )


def test_the_confirmation_names_the_session_and_its_time(teresa, client_user, care):
    response = _schedule(teresa, client_user, date="2026-10-20", time="14:00")
    page = _text(teresa.get(response["Location"]))
    assert "Session 1 is scheduled for Tue 20 Oct 2026, 14:00." in page


def test_a_missing_time_keeps_the_date_and_says_what_is_missing(teresa, client_user, care):
    response = _schedule(teresa, client_user, date="2026-10-20", time="")
    page = _text(response)
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert escape("Please give the session's time.") in page
    assert 'value="2026-10-20"' in page


# --- clock changes ----------------------------------------------------------------------------


def test_a_time_that_happens_twice_asks_which_one(teresa, client_user, care):
    response = _schedule(teresa, client_user, date="2026-11-01", time="01:30")
    page = _text(response)
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert "happens twice in America/Toronto" in page
    assert "01:30 EDT, the first one (before the clocks go back)" in page
    assert "01:30 EST, the second one (after the clocks go back)" in page


@pytest.mark.parametrize(
    ("which", "utc_hour", "named"),
    [("first", 5, "1 Nov, 01:30 EDT"), ("second", 6, "1 Nov, 01:30 EST")],
)
def test_the_time_chosen_of_the_two_is_booked_and_named(
    teresa, client_user, care, which, utc_hour, named
):
    response = _schedule(teresa, client_user, date="2026-11-01", time="01:30", which=which)
    assert _times(care) == [datetime(2026, 11, 1, utc_hour, 30, tzinfo=UTC)]
    page = _text(teresa.get(response["Location"]))
    assert f"Where the time happens twice, the one chosen is {named}." in page


def test_a_time_the_clocks_jump_over_is_refused(teresa, client_user, care):
    response = _schedule(teresa, client_user, date="2027-03-14", time="02:30")
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert (
        "02:30 does not exist on Sun 14 Mar 2027 in America/Toronto: the clocks go forward "
        "that night." in _text(response)
    )


def test_the_choice_of_which_is_ignored_for_an_ordinary_time(teresa, client_user, care):
    _schedule(teresa, client_user, date="2026-11-02", time="01:30", which="second")
    assert _times(care) == [datetime(2026, 11, 2, 6, 30, tzinfo=UTC)]


# --- recurring series -------------------------------------------------------------------------


def test_a_weekly_series_keeps_the_local_time_across_the_clock_change(teresa, client_user, care):
    _schedule(teresa, client_user, date="2026-10-25", time="10:00", repeat="1", count="3")
    assert _times(care) == [
        datetime(2026, 10, 25, 14, 0, tzinfo=UTC),  # EDT
        datetime(2026, 11, 1, 15, 0, tzinfo=UTC),  # EST from here on
        datetime(2026, 11, 8, 15, 0, tzinfo=UTC),
    ]
    sessions = Session.objects.filter(episode=care).order_by("number")
    assert [s.number for s in sessions] == [1, 2, 3]
    assert len({s.series_id for s in sessions}) == 1
    assert sessions[0].series_id is not None


def test_a_fortnightly_series_runs_to_its_last_date_included(teresa, client_user, care):
    _schedule(teresa, client_user, date="2026-10-20", time="09:00", repeat="2", until="2026-11-17")
    assert [t.date() for t in _times(care)] == [
        date(2026, 10, 20),
        date(2026, 11, 3),
        date(2026, 11, 17),
    ]


def test_the_series_confirmation_says_how_many_and_when(teresa, client_user, care):
    response = _schedule(
        teresa, client_user, date="2026-10-20", time="09:00", repeat="1", count="4"
    )
    page = _text(teresa.get(response["Location"]))
    assert "4 weekly sessions are scheduled, Tue 20 Oct 2026, 09:00 to Tue 10 Nov 2026, 09:00." in (
        page
    )


def test_a_series_with_a_time_that_happens_twice_asks_which(teresa, client_user, care):
    data = {"date": "2026-10-25", "time": "01:30", "repeat": "1", "count": "2"}
    asked = _schedule(teresa, client_user, **data)
    assert (asked.status_code, Session.objects.count()) == (400, 0)
    assert "On Sun 1 Nov 2026, 01:30 happens twice" in _text(asked)
    _schedule(teresa, client_user, **data, which="second")
    assert _times(care) == [
        datetime(2026, 10, 25, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    ]


def test_a_series_through_a_time_that_does_not_exist_is_refused_naming_the_date(
    teresa, client_user, care
):
    response = _schedule(
        teresa, client_user, date="2027-03-07", time="02:30", repeat="1", count="3"
    )
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert "02:30 does not exist on Sun 14 Mar 2027" in _text(response)


def test_fifty_two_sessions_can_be_booked_at_once(teresa, client_user, care):
    _schedule(teresa, client_user, date="2026-10-20", time="09:00", repeat="1", count="52")
    assert Session.objects.filter(episode=care).count() == 52


@pytest.mark.parametrize("end", [{"count": "53"}, {"until": "2027-10-20"}], ids=["count", "until"])
def test_more_than_fifty_two_sessions_are_refused_with_the_reason(teresa, client_user, care, end):
    response = _schedule(teresa, client_user, date="2026-10-20", time="09:00", repeat="1", **end)
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert "At most 52 sessions can be booked at once" in _text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"repeat": "1"}, "Please say when the series ends: a last date, or a number of sessions."),
        (
            {"repeat": "1", "count": "3", "until": "2026-12-01"},
            "Please give either a last date or a number of sessions, not both.",
        ),
        ({"repeat": "1", "until": "2026-10-01"}, "The last date is before the first session."),
        ({"count": "3"}, "Please choose how often the series repeats"),
        (
            {"repeat": "2", "count": "3", "attended": "on"},
            "A series is booked ahead.",
        ),
    ],
    ids=["no-end", "both-ends", "end-before-start", "count-without-repeat", "attended-series"],
)
def test_a_series_that_does_not_add_up_is_refused_with_the_reason(
    teresa, client_user, care, data, message
):
    response = _schedule(teresa, client_user, date="2026-10-20", time="09:00", **data)
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert escape(message) in _text(response)


# --- the range of dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("9999-12-31", "31 Dec 9999 is more than two years ahead."),
        ("0001-01-01", "1 Jan 0001 is before this course of therapy started (5 Jan 2026)."),
        ("2028-10-16", "16 Oct 2028 is more than two years ahead."),
        ("2026-01-04", "4 Jan 2026 is before this course of therapy started (5 Jan 2026)."),
    ],
)
def test_a_date_out_of_range_is_a_clear_message_not_an_error(
    teresa, client_user, care, day, message
):
    response = _schedule(teresa, client_user, date=day, time="23:30")
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert message in _text(response)


@pytest.mark.parametrize("day", ["2028-10-15", "2026-01-05"], ids=["two-years", "first-day"])
def test_the_edges_of_the_range_can_be_booked(teresa, client_user, care, day):
    _schedule(teresa, client_user, date=day, time="09:00")
    assert [t.date() for t in _times(care)] == [date.fromisoformat(day)]


def test_a_series_running_past_two_years_is_refused(teresa, client_user, care):
    response = _schedule(
        teresa, client_user, date="2028-09-01", time="09:00", repeat="1", count="8"
    )
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert "is more than two years ahead" in _text(response)


@pytest.mark.parametrize(
    "when",
    [datetime(9999, 12, 31, 23, 0, tzinfo=UTC), datetime(1, 1, 1, 0, 0, tzinfo=UTC)],
    ids=["9999", "0001"],
)
def test_the_service_refuses_a_time_out_of_range(therapist, care, when):
    with pytest.raises(PeopleError):
        session_schedule(episode=care, scheduled_at=when, actor=therapist)
    assert Session.objects.count() == 0


def test_the_service_refuses_more_than_fifty_two(therapist, care):
    times = [T0 + timedelta(days=7 * i) for i in range(53)]
    with pytest.raises(PeopleError, match="At most 52"):
        sessions_schedule(episode=care, times=times, actor=therapist)


# --- a session that already happened ----------------------------------------------------------


def test_a_past_session_is_recorded_as_attended_in_one_step(teresa, client_user, care):
    response = _schedule(teresa, client_user, date="2026-10-14", time="15:00", attended="on")
    session = Session.objects.get(episode=care)
    assert (session.status, session.checkin_opens_at, session.checkin_is_open(T0)) == (
        SessionStatus.ATTENDED,
        T0,
        True,
    )
    page = _text(teresa.get(response["Location"]))
    assert (
        "Session 1 (Wed 14 Oct 2026, 15:00) is recorded as attended. The client&#x27;s check-in "
        "is open until Sun 18 Oct, 12:00." in page
    )


def test_the_client_can_answer_the_check_in_of_a_session_recorded_in_one_step(
    teresa, client_user, care
):
    _schedule(teresa, client_user, date="2026-10-14", time="15:00", attended="on")
    carla = Client()
    carla.force_login(client_user)
    session = Session.objects.get(episode=care)
    assert carla.get(reverse("checkin", kwargs={"session_id": session.id})).status_code == 200


def test_a_future_session_cannot_be_recorded_as_attended(teresa, client_user, care):
    response = _schedule(teresa, client_user, date="2026-10-17", time="15:00", attended="on")
    assert (response.status_code, Session.objects.count()) == (400, 0)
    assert escape("A session can't be marked attended before it has happened.") in _text(response)


# --- numbered by date -------------------------------------------------------------------------


@pytest.fixture
def two_sessions(therapist, care) -> list[Session]:
    """Sessions 1 and 2 on 1 and 8 October, attended; Carla answered the first with tension."""
    first = session_schedule(
        episode=care, scheduled_at=datetime(2026, 10, 1, 16, tzinfo=UTC), actor=therapist
    )
    second = session_schedule(
        episode=care, scheduled_at=datetime(2026, 10, 8, 16, tzinfo=UTC), actor=therapist
    )
    return [first, second]


def test_a_backdated_session_takes_its_place_and_the_later_ones_move_up(
    teresa, client_user, care, two_sessions
):
    _schedule(teresa, client_user, date="2026-09-24", time="12:00")
    by_number = list(Session.objects.filter(episode=care).order_by("number"))
    assert [(s.number, s.scheduled_at.date()) for s in by_number] == [
        (1, date(2026, 9, 24)),
        (2, date(2026, 10, 1)),
        (3, date(2026, 10, 8)),
    ]
    assert [s.id for s in by_number[1:]] == [s.id for s in two_sessions]


def test_a_session_booked_between_two_others_goes_between_them(
    teresa, client_user, care, two_sessions
):
    _schedule(teresa, client_user, date="2026-10-05", time="12:00")
    numbers = dict(Session.objects.filter(episode=care).values_list("id", "number"))
    assert (numbers[two_sessions[0].id], numbers[two_sessions[1].id]) == (1, 3)


def test_renumbering_is_in_the_audit_log(teresa, client_user, care, two_sessions):
    _schedule(teresa, client_user, date="2026-09-24", time="12:00")
    renumbered = set(
        AuditEvent.objects.filter(detail="renumbered").values_list("record_id", flat=True)
    )
    assert renumbered == {str(s.id) for s in two_sessions}


def test_check_ins_and_alerts_follow_their_session_when_it_is_renumbered(
    therapist, client_user, care, two_sessions
):
    from alliance.people.services import session_set_status

    first = session_set_status(session=two_sessions[0], status="attended", actor=therapist)
    checkin_submit(
        session=first,
        client=client_user,
        answers={**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "0"},
        form_token=uuid.uuid4(),
    )
    alert = Alert.objects.get(episode=care)
    session_schedule(
        episode=care, scheduled_at=datetime(2026, 9, 24, 16, tzinfo=UTC), actor=therapist
    )
    alert.refresh_from_db()
    assert (alert.session_id, alert.session.number, alert.title) == (first.id, 2, "Session 2")
    assert CheckIn.objects.get().session_id == first.id
    # The rupture of (now) session 2 is still earlier than session 3: the next check-in asks.
    second = Session.objects.get(id=two_sessions[1].id)
    assert [a.id for a in open_rupture_alerts(second)] == [alert.id]


def test_numbers_stay_unique_whatever_the_order_of_booking(therapist, care):
    days = [20, 3, 27, 10, 1, 13]
    for day in days:
        session_schedule(
            episode=care, scheduled_at=datetime(2026, 9, day, 16, tzinfo=UTC), actor=therapist
        )
    rows = Session.objects.filter(episode=care).order_by("number")
    assert [(s.number, s.scheduled_at.day) for s in rows] == list(enumerate(sorted(days), start=1))


def test_a_backdated_session_does_not_ask_an_answered_questionnaire_again(
    therapist, client_user, care
):
    from alliance.outcomes.schedule import ScheduleSpec
    from alliance.outcomes.selectors import due_for_client, questionnaire_for
    from alliance.outcomes.services import response_submit, schedule_set

    schedule_set(
        episode=care, instrument_id="phq9", spec=ScheduleSpec(every_sessions=2), actor=None
    )
    for days in (14, 7):
        session_schedule(
            episode=care, scheduled_at=T0 - timedelta(days=days), actor=therapist, attended=True
        )
    [due] = due_for_client(client_user, now=T0)
    assert due.occasion.key == "session-2"
    response_submit(
        questionnaire=questionnaire_for(care, "phq9", "session-2", now=T0),  # type: ignore[arg-type]
        client=client_user,
        answers=dict.fromkeys((f"phq9_{n}" for n in range(1, 10)), "0"),
        form_token=uuid.uuid4(),
    )
    session_schedule(
        episode=care, scheduled_at=T0 - timedelta(days=21), actor=therapist, attended=True
    )
    assert due_for_client(client_user, now=T0) == []


@pytest.mark.parametrize(
    ("started_on", "error"),
    [
        (date(2026, 6, 3), "Care can't start after today"),
        (date(2024, 6, 1), "at most two years back"),
    ],
)
def test_a_client_added_with_a_start_date_that_cannot_be_is_refused(therapist, started_on, error):
    from alliance.people.services import client_add

    with pytest.raises(PeopleError, match=error):
        client_add(
            therapist=therapist,
            full_name="Late Added",
            email="late@example.org",
            timezone_name="America/Toronto",
            started_on=started_on,
            now=datetime(2026, 6, 2, 16, 0, tzinfo=UTC),
        )


def test_a_client_added_after_their_first_session_can_have_it_recorded(therapist, login):
    browser = login(therapist)
    yesterday = timezone.localdate(timezone.now(), therapist.zone) - timedelta(days=1)
    browser.post(
        "/clients/new/",
        {
            "full_name": "Late Added",
            "email": "late@example.org",
            "timezone": "America/Toronto",
            "started_on": yesterday.isoformat(),
        },
    )
    assert CareEpisode.objects.get(client__email="late@example.org").started_on == yesterday
