"""Not on track: after each response, the episode's series for that questionnaire is assessed,
and a signal raises one alert per episode and questionnaire."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from alliance.outcomes.models import OutcomeResponse
from alliance.outcomes.services import series_for
from alliance.people.models import CareEpisode, Session
from alliance.people.selectors import caseload
from alliance.ruptures.models import Alert, AlertCategory, AlertState
from tests.web.test_outcomes import GAD7, PHQ9, answers_for, schedule, submit

START_DAY = date(2026, 3, 2)
FIRST_SESSION = datetime(2026, 3, 9, 15, tzinfo=UTC)


@pytest.fixture
def course(episode: CareEpisode) -> CareEpisode:
    """Weekly attended sessions from 9 March; the PHQ-9 and GAD-7 at intake and every session."""
    episode.started_on = START_DAY
    episode.save(update_fields=["started_on"])
    for number in range(1, 9):
        Session.objects.create(
            episode=episode,
            number=number,
            scheduled_at=FIRST_SESSION + timedelta(weeks=number - 1),
            status="attended",
        )
    schedule(episode, "phq9", at_intake=True, every_sessions=1)
    schedule(episode, "gad7", at_intake=True, every_sessions=1)
    return episode


def answer(episode: CareEpisode, attended: int, total: int, instrument_id: str = "phq9"):
    """The questionnaire answered after ``attended`` sessions: the intake for 0, else in the
    waiting room an hour before the next session."""
    if attended == 0:
        occasion, at = "intake", FIRST_SESSION - timedelta(days=2)
    else:
        occasion = f"session-{attended + 1}"
        at = FIRST_SESSION + timedelta(weeks=attended) - timedelta(hours=1)
    defn = PHQ9 if instrument_id == "phq9" else GAD7
    return submit(
        episode, answers_for(defn, total), instrument_id=instrument_id, occasion=occasion, now=at
    )


def _alerts() -> list[Alert]:
    return list(Alert.objects.filter(category=AlertCategory.NOT_ON_TRACK))


def test_improving_client_raises_nothing(course: CareEpisode):
    for attended, total in [(0, 16), (1, 14), (2, 12)]:
        answer(course, attended, total)
    assert _alerts() == []


def test_reliable_deterioration_raises_a_medium_alert(course: CareEpisode):
    answer(course, 0, 10)
    result = answer(course, 1, 16)
    [alert] = _alerts()
    assert result.alerts == [alert]
    assert (alert.severity, alert.source_key, alert.state) == (
        2,
        f"not_on_track:{course.id}:phq9",
        AlertState.OPEN,
    )
    assert alert.summary == (
        "PHQ-9 (Patient Health Questionnaire-9): At session 1 the score of 16 is reliably worse "
        "than the intake score of 10 at session 0 (RCI 2.12, above 1.96)."
    )


def test_alert_is_raised_once_however_many_scores_follow(course: CareEpisode):
    answer(course, 0, 10)
    first = answer(course, 1, 16).alerts
    answer(course, 2, 18)
    answer(course, 3, 20)
    assert [a.id for a in _alerts()] == [first[0].id]


def test_closed_alert_is_not_reopened_by_the_same_signal(course: CareEpisode):
    answer(course, 0, 10)
    [alert] = answer(course, 1, 16).alerts
    Alert.objects.filter(id=alert.id).update(state=AlertState.CLOSED)
    answer(course, 2, 19)
    assert [(a.id, a.state) for a in _alerts()] == [(alert.id, AlertState.CLOSED)]


def test_each_questionnaire_has_its_own_alert(course: CareEpisode):
    answer(course, 0, 10)
    answer(course, 1, 17)
    answer(course, 0, 6, "gad7")
    answer(course, 1, 12, "gad7")
    assert sorted(a.source_key.rsplit(":", 1)[1] for a in _alerts()) == ["gad7", "phq9"]


def test_the_first_score_above_the_expected_band_raises_the_alert(course: CareEpisode):
    """Intake 20 (severe), the default curve p 0.5, k 0.3, sigma 2.5, tau 0.4, z 1.8: expected
    17.41 then 15.49 after 1 and 2 sessions, edges 23.25 and 23.39; 23 is inside, then 24 is
    outside (RCI 4 / 2.83 = 1.41, not reliable: the band fires, not reliable deterioration)."""
    answer(course, 0, 20)
    answer(course, 1, 23)
    assert _alerts() == []
    answer(course, 2, 24)
    [alert] = _alerts()
    assert "above the expected range for clients starting in the severe band" in alert.summary
    assert "upper edge 23.4" in alert.summary


def test_unscored_responses_are_left_out_of_the_series(course: CareEpisode):
    answer(course, 0, 10)
    submit(
        course,
        {"phq9_1": "3"},
        occasion="session-2",
        now=FIRST_SESSION + timedelta(weeks=1, hours=-1),
        send_incomplete=True,
    )
    assert series_for(course.id, "phq9") == [(0, 10.0)]


def test_two_responses_at_the_same_point_count_once(course: CareEpisode):
    """The intake keeps its first response; any later point its latest."""
    answer(course, 0, 10)
    # Before session 1, the intake and the session-1 questionnaire are the same point.
    submit(
        course, answers_for(PHQ9, 11), occasion="session-1", now=FIRST_SESSION - timedelta(hours=1)
    )
    answer(course, 1, 12)
    answer(course, 2, 14)
    OutcomeResponse.objects.filter(episode=course, occasion="session-3").update(session_index=1)
    assert series_for(course.id, "phq9") == [(0, 10.0), (1, 14.0)]


def test_not_on_track_shows_on_the_caseload_row(course: CareEpisode, therapist):
    answer(course, 0, 10)
    answer(course, 1, 16)
    [row] = caseload(therapist, now=datetime(2026, 3, 10, tzinfo=UTC))
    assert (row.not_on_track, "Not on track on an outcome measure" in row.reasons) == (True, True)
