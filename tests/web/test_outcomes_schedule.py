"""When a scheduled questionnaire is due: intake, every N sessions, every N weeks, discharge.

Both edges of every window: due from the opening instant (inclusive), not a microsecond before;
closed at the closing instant (exclusive), open a microsecond before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from alliance.outcomes.schedule import (
    DISCHARGE_OPEN_FOR,
    WAITING_ROOM_LEAD,
    ScheduleSpec,
    SessionSlot,
    due,
    parse_occasion,
)
from alliance.outcomes.selectors import due_for_client, questionnaire_for
from alliance.people.models import CareEpisode, EpisodeStatus, Session, User
from tests.web.test_outcomes import PHQ9, answers_for, questionnaire_url, schedule, submit

START = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # midnight in Toronto, a Monday
TICK = timedelta(microseconds=1)


def weekly(n: int, *, status: str = "attended") -> list[SessionSlot]:
    """Sessions 1..n, one a week from the start, at 15:00 UTC."""
    return [
        SessionSlot(k, START + timedelta(weeks=k - 1, hours=10), status) for k in range(1, n + 1)
    ]


def keys(spec: ScheduleSpec, now: datetime, **kwargs: object) -> list[str]:
    args: dict[str, object] = {
        "started_at": START,
        "ended_at": None,
        "sessions": weekly(12),
        "answered": set(),
    }
    args.update(kwargs)
    return [o.key for o in due(spec, now=now, **args)]  # type: ignore[arg-type]


# --- Intake --------------------------------------------------------------------------------


def test_intake_is_due_from_the_start_of_the_episode():
    assert keys(ScheduleSpec(at_intake=True), START) == ["intake"]


def test_intake_is_not_due_before_the_episode_starts():
    assert keys(ScheduleSpec(at_intake=True), START - TICK) == []


def test_answered_intake_is_no_longer_due():
    assert keys(ScheduleSpec(at_intake=True), START + timedelta(days=1), answered={"intake"}) == []


def test_intake_stays_open_until_the_next_occasion_opens():
    spec = ScheduleSpec(at_intake=True, every_sessions=4)
    session4 = weekly(12)[3].scheduled_at
    assert keys(spec, session4 - WAITING_ROOM_LEAD - TICK) == ["intake"]
    assert keys(spec, session4 - WAITING_ROOM_LEAD) == ["session-4"]


# --- Every N sessions ----------------------------------------------------------------------


def test_session_occasion_opens_a_few_hours_before_the_session():
    spec = ScheduleSpec(every_sessions=4)
    session4 = weekly(12)[3].scheduled_at
    assert keys(spec, session4 - WAITING_ROOM_LEAD - TICK) == []
    assert keys(spec, session4 - WAITING_ROOM_LEAD) == ["session-4"]


def test_session_occasions_are_every_nth_session():
    spec = ScheduleSpec(every_sessions=4)
    opens = [s.scheduled_at - WAITING_ROOM_LEAD for s in weekly(12)]
    assert [keys(spec, at) for at in opens] == [[], [], [], ["session-4"]] + [["session-4"]] * 3 + [
        ["session-8"]
    ] + [["session-8"]] * 3 + [["session-12"]]


def test_session_occasion_closes_when_the_next_one_opens():
    spec = ScheduleSpec(every_sessions=2)
    session4 = weekly(12)[3].scheduled_at
    assert keys(spec, session4 - WAITING_ROOM_LEAD - TICK, answered=set()) == ["session-2"]
    assert keys(spec, session4 - WAITING_ROOM_LEAD, answered=set()) == ["session-4"]


def test_missed_and_cancelled_sessions_have_no_occasion():
    sessions = weekly(12)
    sessions[3] = SessionSlot(4, sessions[3].scheduled_at, "cancelled_client")
    sessions[7] = SessionSlot(8, sessions[7].scheduled_at, "missed")
    spec = ScheduleSpec(every_sessions=4)
    assert keys(spec, sessions[8].scheduled_at, sessions=sessions) == []
    assert keys(spec, sessions[11].scheduled_at, sessions=sessions) == ["session-12"]


def test_a_scheduled_session_in_the_future_opens_in_the_waiting_room():
    sessions = [*weekly(3), SessionSlot(4, START + timedelta(weeks=3, hours=10), "scheduled")]
    spec = ScheduleSpec(every_sessions=4)
    assert keys(spec, sessions[3].scheduled_at - WAITING_ROOM_LEAD, sessions=sessions) == [
        "session-4"
    ]


# --- Every N weeks -------------------------------------------------------------------------


def test_week_occasion_opens_n_weeks_after_the_start():
    spec = ScheduleSpec(every_weeks=2)
    assert keys(spec, START + timedelta(weeks=2) - TICK) == []
    assert keys(spec, START + timedelta(weeks=2)) == ["week-2"]
    assert keys(spec, START + timedelta(weeks=4) - TICK) == ["week-2"]
    assert keys(spec, START + timedelta(weeks=4)) == ["week-4"]


def test_answered_week_occasion_is_not_due_until_the_next():
    spec = ScheduleSpec(every_weeks=2)
    assert keys(spec, START + timedelta(weeks=3), answered={"week-2"}) == []


# --- Discharge -------------------------------------------------------------------------------


def test_discharge_opens_when_the_episode_ends_and_regular_occasions_close():
    end = START + timedelta(weeks=20)
    spec = ScheduleSpec(every_weeks=1, at_discharge=True)
    assert keys(spec, end - TICK, ended_at=end) == ["week-19"]
    assert keys(spec, end, ended_at=end) == ["discharge"]


def test_discharge_closes_two_weeks_after_the_end():
    end = START + timedelta(weeks=20)
    spec = ScheduleSpec(at_discharge=True)
    assert keys(spec, end + DISCHARGE_OPEN_FOR - TICK, ended_at=end) == ["discharge"]
    assert keys(spec, end + DISCHARGE_OPEN_FOR, ended_at=end) == []


def test_no_discharge_occasion_while_the_episode_is_active():
    assert keys(ScheduleSpec(at_discharge=True), START + timedelta(weeks=50)) == []


# --- Occasion keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "parsed"),
    [
        ("intake", ("intake", None)),
        ("session-4", ("session", 4)),
        ("week-12", ("week", 12)),
        ("discharge", ("discharge", None)),
        ("session-04", None),
        ("session-", None),
        ("week-1x", None),
        ("month-1", None),
    ],
)
def test_occasion_keys(key: str, parsed: tuple[str, int | None] | None):
    assert parse_occasion(key) == parsed


def test_schedule_rejects_zero():
    with pytest.raises(ValueError, match="every_sessions"):
        ScheduleSpec(every_sessions=0)


def test_schedule_description():
    spec = ScheduleSpec(at_intake=True, every_sessions=4, at_discharge=True)
    assert spec.describe() == "at intake, every 4 sessions and at discharge"


# --- Through the database ------------------------------------------------------------------


def _start(episode: CareEpisode, day: date) -> None:
    episode.started_on = day
    episode.save(update_fields=["started_on"])


def test_waiting_room_questionnaire_is_on_the_client_home(
    login: Callable[[User], Client], episode: CareEpisode, client_user: User
):
    _start(episode, date(2026, 3, 2))
    session = Session.objects.create(
        episode=episode, number=1, scheduled_at=datetime(2026, 3, 9, 15, tzinfo=UTC)
    )
    schedule(episode, "phq9", every_sessions=1)
    before = session.scheduled_at - WAITING_ROOM_LEAD - TICK
    assert due_for_client(client_user, now=before) == []
    [found] = due_for_client(client_user, now=session.scheduled_at - WAITING_ROOM_LEAD)
    assert (found.instrument_id, found.occasion.key) == ("phq9", "session-1")


def test_discharge_questionnaire_after_the_episode_ended(episode: CareEpisode, client_user: User):
    _start(episode, date(2026, 3, 2))
    episode.status, episode.ended_on = EpisodeStatus.ENDED, date(2026, 6, 1)
    episode.save(update_fields=["status", "ended_on"])
    schedule(episode, "phq9", at_intake=True, at_discharge=True)
    end = datetime(2026, 6, 1, 4, tzinfo=UTC)  # midnight in Toronto (daylight time)
    assert [q.occasion.key for q in due_for_client(client_user, now=end)] == ["discharge"]
    # Until the end, the unanswered intake is still the open one.
    assert [q.occasion.key for q in due_for_client(client_user, now=end - TICK)] == ["intake"]
    assert questionnaire_for(episode, "phq9", "discharge", now=end) is not None


def test_questionnaire_opened_later_than_now_is_not_offered(episode: CareEpisode):
    schedule(episode, "phq9", every_weeks=1)
    assert questionnaire_for(episode, "phq9", "week-1", now=datetime.now(tz=UTC)) is None


def test_client_home_lists_nothing_after_the_answer(
    login: Callable[[User], Client], episode: CareEpisode, client_user: User
):
    schedule(episode, "phq9", at_intake=True)
    submit(episode, answers_for(PHQ9, 4))
    page = login(client_user).get(reverse("client_home")).content.decode()
    assert questionnaire_url(episode) not in page
