"""An episode's first day is the clinic's today, not the server's (UTC) date.

At 22:30 in Toronto it is already 03:30 the next day in UTC; an episode created then used to
start "tomorrow", so its intake questionnaire was not open yet and every page that looked for it
answered 404 for five hours each evening.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from alliance.outcomes.schedule import ScheduleSpec
from alliance.outcomes.selectors import questionnaire_for
from alliance.outcomes.services import schedule_set
from alliance.people.models import CareEpisode, Clinic, User

EVENING_IN_TORONTO = datetime(2026, 12, 3, 3, 30, tzinfo=UTC)  # 22:30 on 2 December there


@time_machine.travel(EVENING_IN_TORONTO, tick=False)
def test_an_episode_created_in_the_evening_starts_on_the_clinics_today(
    clinic: Clinic, therapist: User, client_user: User
) -> None:
    assert clinic.timezone == "America/Toronto"
    episode = CareEpisode.objects.create(clinic=clinic, client=client_user, therapist=therapist)
    episode.refresh_from_db()
    assert episode.started_on == date(2026, 12, 2)


@time_machine.travel(EVENING_IN_TORONTO, tick=False)
def test_the_intake_questionnaire_is_open_the_evening_the_episode_starts(
    clinic: Clinic, therapist: User, client_user: User
) -> None:
    episode = CareEpisode.objects.create(clinic=clinic, client=client_user, therapist=therapist)
    schedule_set(
        episode=episode, instrument_id="phq9", spec=ScheduleSpec(at_intake=True), actor=None
    )
    found = questionnaire_for(episode, "phq9", "intake", now=EVENING_IN_TORONTO)
    assert found is not None
    assert found.occasion.key == "intake"


def test_a_given_first_day_is_kept(clinic: Clinic, therapist: User, client_user: User) -> None:
    episode = CareEpisode.objects.create(
        clinic=clinic, client=client_user, therapist=therapist, started_on=date(2026, 1, 5)
    )
    episode.refresh_from_db()
    assert episode.started_on == date(2026, 1, 5)
