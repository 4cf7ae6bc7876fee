"""The demo clinic's questionnaires: schedules, scores over time, not on track, one risk event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alliance.demo import seed_demo
from alliance.outcomes.models import OutcomeResponse, OutcomeSchedule
from alliance.people.models import CareEpisode, User
from alliance.people.selectors import caseload
from alliance.ruptures.models import Alert, AlertCategory, AlertState

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture
def demo(db: object) -> None:
    seed_demo(seed=2026, password="demo-password-1", now=NOW)


def test_every_episode_has_phq9_and_gad7_at_intake_and_every_4_sessions(demo: None):
    rows = set(
        OutcomeSchedule.objects.values_list(
            "instrument_id", "at_intake", "every_sessions", "every_weeks", "at_discharge"
        )
    )
    assert rows == {("phq9", True, 4, None, True), ("gad7", True, 4, None, True)}
    assert OutcomeSchedule.objects.count() == 2 * CareEpisode.objects.count()


def test_most_clients_improve_from_intake(demo: None):
    improved = 0
    episodes = CareEpisode.objects.all()
    for episode in episodes:
        scores = list(
            OutcomeResponse.objects.filter(episode=episode, instrument_id="phq9")
            .order_by("submitted_at")
            .values_list("composite", flat=True)
        )
        if len(scores) > 1 and scores[-1] < scores[0]:
            improved += 1
    assert improved > len(episodes) / 2


def test_one_client_is_not_on_track(demo: None):
    clients = set(
        Alert.objects.filter(category=AlertCategory.NOT_ON_TRACK).values_list(
            "episode__client__email", flat=True
        )
    )
    assert clients == {"client3@demo.example"}


def test_client_has_a_recent_risk_answer_with_an_open_alert_first_on_the_caseload(demo: None):
    [response] = OutcomeResponse.objects.exclude(risk=[])
    assert response.episode.client.email == "client@demo.example"
    assert (response.instrument_id, response.answers["phq9_9"]) == ("phq9", 1)
    assert NOW - timedelta(days=7) <= response.submitted_at <= NOW
    alert = Alert.objects.get(category=AlertCategory.RISK, source_key__startswith="response:")
    assert (alert.source_key, alert.state, alert.severity) == (
        f"response:{response.id}",
        AlertState.OPEN,
        3,
    )
    therapist = User.objects.get(email="therapist@demo.example")
    assert caseload(therapist, now=NOW)[0].episode.client.email == "client@demo.example"
