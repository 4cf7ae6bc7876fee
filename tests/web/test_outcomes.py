"""Outcome questionnaires: the client's form, scoring through the service, replays, access.

Helpers and fixtures here are imported by the other ``test_outcomes_*`` and ``test_safety*``
files.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliance.core.definitions import builtin
from alliance.core.outcomes import OutcomeDefinition
from alliance.outcomes.models import OutcomeResponse
from alliance.outcomes.schedule import ScheduleSpec
from alliance.outcomes.selectors import Questionnaire, questionnaire_for
from alliance.outcomes.services import ResponseError, ResponseResult, response_submit, schedule_set
from alliance.people.models import CareEpisode, User

PHQ9 = builtin()["phq9"]
GAD7 = builtin()["gad7"]


def answers_for(defn: OutcomeDefinition, total: int, *, item9: int = 0) -> dict[str, str]:
    """Answers adding up to ``total``: items filled to 3 in order, the risk item set apart."""
    risk = {r.item for r in defn.outcome.risk_items}
    values = {item.key: 0 for item in defn.instrument.items}
    for key in risk:
        values[key] = item9
    remaining = total - sum(values.values())
    for key in values:
        if key in risk:
            continue
        step = min(3, remaining)
        values[key] = step
        remaining -= step
    assert remaining == 0, f"cannot reach {total}"
    return {key: str(value) for key, value in values.items()}


def schedule(episode: CareEpisode, instrument_id: str = "phq9", **spec: Any) -> None:
    schedule_set(
        episode=episode,
        instrument_id=instrument_id,
        spec=ScheduleSpec(**(spec or {"at_intake": True})),
        actor=None,
    )


def due_now(
    episode: CareEpisode,
    instrument_id: str = "phq9",
    occasion: str = "intake",
    now: datetime | None = None,
) -> Questionnaire:
    found = questionnaire_for(episode, instrument_id, occasion, now=now or timezone.now())
    assert found is not None
    return found


def submit(
    episode: CareEpisode,
    answers: dict[str, str],
    *,
    instrument_id: str = "phq9",
    occasion: str = "intake",
    token: uuid.UUID | None = None,
    now: datetime | None = None,
    **kwargs: Any,
) -> ResponseResult:
    return response_submit(
        questionnaire=due_now(episode, instrument_id, occasion, now),
        client=episode.client,
        answers=answers,
        form_token=token or uuid.uuid4(),
        now=now,
        **kwargs,
    )


def questionnaire_url(episode: CareEpisode, instrument_id: str = "phq9", occasion: str = "intake"):
    return reverse(
        "questionnaire",
        kwargs={"episode_id": episode.id, "instrument_id": instrument_id, "occasion": occasion},
    )


def post_answers(browser: Client, url: str, answers: dict[str, str], **extra: str) -> Any:
    return browser.post(url, {"form_token": str(uuid.uuid4()), **answers, **extra})


@pytest.fixture
def phq9_due(episode: CareEpisode) -> CareEpisode:
    """Carla's episode with the PHQ-9 at intake: due now."""
    schedule(episode, "phq9", at_intake=True)
    return episode


@pytest.fixture
def gad7_due(episode: CareEpisode) -> CareEpisode:
    schedule(episode, "gad7", at_intake=True)
    return episode


# --- Scoring at every severity boundary, through the service -----------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
    ],
)
def test_phq9_total_and_band_at_each_boundary(phq9_due: CareEpisode, total: int, band: str):
    response = submit(phq9_due, answers_for(PHQ9, total)).response
    response.refresh_from_db()
    assert (response.composite, response.band, response.unscored_reason) == (total, band, "")


@pytest.mark.parametrize(
    ("total", "band"),
    [(4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"), (15, "severe")],
)
def test_gad7_total_and_band_at_each_boundary(gad7_due: CareEpisode, total: int, band: str):
    response = submit(gad7_due, answers_for(GAD7, total), instrument_id="gad7").response
    response.refresh_from_db()
    assert (response.composite, response.band) == (total, band)


def test_response_records_instrument_version_and_occasion(phq9_due: CareEpisode):
    response = submit(phq9_due, answers_for(PHQ9, 7)).response
    assert (response.instrument_id, response.instrument_version, response.occasion) == (
        "phq9",
        1,
        "intake",
    )


# --- Too few answered ----------------------------------------------------------------------


def test_blank_question_is_pointed_out_and_nothing_is_saved(phq9_due: CareEpisode):
    answers = answers_for(PHQ9, 6)
    answers["phq9_4"] = ""
    with pytest.raises(ResponseError) as caught:
        submit(phq9_due, answers)
    assert (caught.value.errors, caught.value.can_send_incomplete) == (
        {"phq9_4": "This one was left blank."},
        True,
    )
    assert OutcomeResponse.objects.count() == 0


def test_too_few_answered_sent_as_it_is_keeps_the_answers_and_scores_nothing(
    phq9_due: CareEpisode,
):
    answers = answers_for(PHQ9, 6)
    del answers["phq9_4"]
    response = submit(phq9_due, answers, send_incomplete=True).response
    response.refresh_from_db()
    assert response.composite is None
    assert response.band == ""
    assert response.unscored_reason == (
        "8 of the 9 items of the total were answered; it needs all 9."
    )
    assert response.answers["phq9_4"] is None
    assert response.answers["phq9_1"] == 3


def test_nothing_answered_is_refused_even_when_sent_as_it_is(phq9_due: CareEpisode):
    with pytest.raises(ResponseError, match="Please answer at least one question"):
        submit(phq9_due, {}, send_incomplete=True)
    assert OutcomeResponse.objects.count() == 0


def test_form_with_a_blank_keeps_every_answer_and_offers_to_send_anyway(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    answers = answers_for(PHQ9, 6)
    answers["phq9_4"] = ""
    response = post_answers(login(client_user), questionnaire_url(phq9_due), answers)
    page = response.content.decode()
    assert response.status_code == 400
    assert "1 question was left blank." in page
    assert 'name="send_incomplete" value="1"' in page
    for key, value in answers.items():
        if value:
            assert re.search(rf'name="{key}" value="{value}" checked', page), key
    assert OutcomeResponse.objects.count() == 0


def test_send_as_it_is_saves_and_says_there_is_no_score(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    answers = answers_for(PHQ9, 6)
    answers["phq9_4"] = ""
    browser = login(client_user)
    response = post_answers(browser, questionnaire_url(phq9_due), answers, send_incomplete="1")
    saved = OutcomeResponse.objects.get()
    assert response["Location"] == reverse("questionnaire_done", args=[saved.id])
    page = browser.get(response["Location"]).content.decode()
    assert "there is no overall score" in page


def test_an_answer_that_is_not_an_option_is_named(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    answers = answers_for(PHQ9, 6)
    answers["phq9_2"] = "7"
    response = post_answers(login(client_user), questionnaire_url(phq9_due), answers)
    assert response.status_code == 400
    assert "Please choose a whole number from 0 to 3." in response.content.decode()
    assert OutcomeResponse.objects.count() == 0


# --- The form --------------------------------------------------------------------------------


def test_form_shows_every_item_as_a_radio_group_and_the_attribution(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    page = login(client_user).get(questionnaire_url(phq9_due)).content.decode()
    assert page.count("<fieldset") == 9
    assert page.count('type="radio"') == 36
    assert "Over the last 2 weeks" in page
    assert "No permission required to reproduce" in page
    assert "Developed by Drs. Robert L. Spitzer" in page
    assert "<script>" not in page and "style=" not in page


def test_full_answers_save_and_show_thanks_without_crisis_resources(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    browser = login(client_user)
    response = post_answers(browser, questionnaire_url(phq9_due), answers_for(PHQ9, 8))
    saved = OutcomeResponse.objects.get()
    page = browser.get(response["Location"]).content.decode()
    assert (saved.composite, "Your answers are saved." in page, 'id="crisis-h"' in page) == (
        8,
        True,
        False,
    )


def test_answered_questionnaire_redirects_to_its_answers(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    saved = submit(phq9_due, answers_for(PHQ9, 3)).response
    response = login(client_user).get(questionnaire_url(phq9_due))
    assert response["Location"] == reverse("questionnaire_done", args=[saved.id])


def test_due_questionnaire_appears_on_the_client_home(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    page = login(client_user).get(reverse("client_home")).content.decode()
    assert questionnaire_url(phq9_due) in page
    assert "No check-in is waiting right now" not in page


def test_answered_questionnaire_leaves_the_client_home(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    submit(phq9_due, answers_for(PHQ9, 3))
    page = login(client_user).get(reverse("client_home")).content.decode()
    assert questionnaire_url(phq9_due) not in page


# --- Replays ---------------------------------------------------------------------------------


def test_replayed_submission_saves_one_response(phq9_due: CareEpisode):
    token = uuid.uuid4()
    first = submit(phq9_due, answers_for(PHQ9, 12), token=token)
    second = submit(phq9_due, answers_for(PHQ9, 12), token=token)
    assert (first.created, second.created, second.response.id) == (True, False, first.response.id)
    assert OutcomeResponse.objects.count() == 1


def test_replayed_post_saves_one_response_and_lands_on_the_same_page(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    browser = login(client_user)
    data = {"form_token": str(uuid.uuid4()), **answers_for(PHQ9, 12)}
    first = browser.post(questionnaire_url(phq9_due), data)
    second = browser.post(questionnaire_url(phq9_due), data)
    assert first["Location"] == second["Location"]
    assert OutcomeResponse.objects.count() == 1


def test_a_second_form_for_an_answered_questionnaire_offers_no_send_button(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    browser = login(client_user)
    browser.post(
        questionnaire_url(phq9_due), {"form_token": str(uuid.uuid4()), **answers_for(PHQ9, 12)}
    )
    # The same questionnaire, open in another tab, sent with other answers.
    page = browser.post(
        questionnaire_url(phq9_due), {"form_token": str(uuid.uuid4()), **answers_for(PHQ9, 3)}
    )
    html = page.content.decode()
    assert page.status_code == 400
    assert "already answered this questionnaire" in html
    assert 'type="submit"' not in html.split("<main")[1]
    assert OutcomeResponse.objects.count() == 1


def test_second_different_submission_for_the_same_occasion_is_refused(phq9_due: CareEpisode):
    submit(phq9_due, answers_for(PHQ9, 12))
    with pytest.raises(ResponseError, match="already answered"):
        response_submit(
            questionnaire=questionnaire_for(phq9_due, "phq9", "intake", now=timezone.now()),  # type: ignore[arg-type]
            client=phq9_due.client,
            answers=answers_for(PHQ9, 2),
            form_token=uuid.uuid4(),
        )
    assert OutcomeResponse.objects.count() == 1


def test_form_token_from_another_questionnaire_is_refused(
    phq9_due: CareEpisode, gad7_due: CareEpisode
):
    token = uuid.uuid4()
    submit(phq9_due, answers_for(PHQ9, 12), token=token)
    with pytest.raises(ResponseError, match="already used for another questionnaire"):
        submit(gad7_due, answers_for(GAD7, 3), instrument_id="gad7", token=token)


# --- Access ----------------------------------------------------------------------------------


def test_another_persons_questionnaire_is_404(
    login: Callable[[User], Client], phq9_due: CareEpisode, other_client: User, other_episode: Any
):
    schedule(other_episode, "phq9", at_intake=True)
    browser = login(other_client)
    assert browser.get(questionnaire_url(phq9_due)).status_code == 404
    assert post_answers(browser, questionnaire_url(phq9_due), answers_for(PHQ9, 1)).status_code == (
        404
    )
    assert OutcomeResponse.objects.count() == 0


def test_another_persons_answers_are_404(
    login: Callable[[User], Client],
    phq9_due: CareEpisode,
    other_client: User,
    other_therapist: User,
):
    saved = submit(phq9_due, answers_for(PHQ9, 1)).response
    assert login(other_client).get(reverse("questionnaire_done", args=[saved.id])).status_code == (
        404
    )
    assert login(other_therapist).get(reverse("response_detail", args=[saved.id])).status_code == (
        404
    )


def test_unscheduled_questionnaire_is_404(
    login: Callable[[User], Client], episode: CareEpisode, client_user: User
):
    assert login(client_user).get(questionnaire_url(episode)).status_code == 404


def test_occasion_that_has_not_opened_is_404(
    login: Callable[[User], Client], phq9_due: CareEpisode, client_user: User
):
    assert login(client_user).get(questionnaire_url(phq9_due, occasion="week-1")).status_code == (
        404
    )


def test_therapist_sees_every_answer_with_the_risk_answer_marked(
    login: Callable[[User], Client], phq9_due: CareEpisode, therapist: User
):
    saved = submit(phq9_due, answers_for(PHQ9, 11, item9=2)).response
    page = login(therapist).get(reverse("response_detail", args=[saved.id])).content.decode()
    # The built-in PHQ-9's option is its published English, marked so for screen readers.
    assert 'Risk answer:</strong> <span lang="en">2 — More than half the days</span>' in page
    assert "11 (moderate)" in page


def test_the_client_page_logs_each_questionnaire_it_charts(
    login: Callable[[User], Client], phq9_due: CareEpisode, therapist: User
):
    from alliance.audit.models import AuditAction, AuditEvent, RecordType

    saved = submit(phq9_due, answers_for(PHQ9, 11, item9=2)).response
    page = login(therapist).get(reverse("client_detail", args=[phq9_due.client_id]))
    assert page.status_code == 200
    rows = AuditEvent.objects.filter(
        actor=therapist, record_type=RecordType.OUTCOME_RESPONSE, record_id=str(saved.id)
    ).values_list("action", "subject_id")
    assert list(rows) == [(AuditAction.LIST, phq9_due.client_id)]


# --- Schedules from the therapist's page -----------------------------------------------------


def test_therapist_sets_a_schedule_from_the_client_page(
    login: Callable[[User], Client], episode: CareEpisode, therapist: User
):
    browser = login(therapist)
    response = browser.post(
        reverse("outcome_schedule", args=[episode.client_id]),
        {"phq9-at_intake": "on", "phq9-every_sessions": "4", "gad7-every_weeks": "2"},
    )
    assert response["Location"] == reverse("client_detail", args=[episode.client_id])
    rows = {
        s.instrument_id: (s.at_intake, s.every_sessions, s.every_weeks, s.at_discharge)
        for s in episode.outcome_schedules.all()
    }
    assert rows == {"phq9": (True, 4, None, False), "gad7": (False, None, 2, False)}
    page = browser.get(reverse("client_detail", args=[episode.client_id])).content.decode()
    assert "at intake and every 4 sessions" in page


def test_saving_the_schedule_again_unchanged_logs_nothing_new(
    login: Callable[[User], Client], episode: CareEpisode, therapist: User
):
    from alliance.audit.models import AuditEvent, RecordType

    browser = login(therapist)
    url = reverse("outcome_schedule", args=[episode.client_id])
    form = {"phq9-at_intake": "on", "phq9-every_sessions": "4", "gad7-every_weeks": "2"}
    browser.post(url, form)
    logged = AuditEvent.objects.filter(record_type=RecordType.OUTCOME_SCHEDULE).count()
    assert logged == 2
    browser.post(url, form)
    assert AuditEvent.objects.filter(record_type=RecordType.OUTCOME_SCHEDULE).count() == logged
    browser.post(url, {**form, "gad7-every_weeks": "3"})
    assert AuditEvent.objects.filter(record_type=RecordType.OUTCOME_SCHEDULE).count() == 3


def test_schedule_form_refuses_zero_and_keeps_the_schedule(
    login: Callable[[User], Client], phq9_due: CareEpisode, therapist: User
):
    response = login(therapist).post(
        reverse("outcome_schedule", args=[phq9_due.client_id]), {"phq9-every_sessions": "0"}
    )
    assert response.status_code == 400
    assert phq9_due.outcome_schedules.get().at_intake is True
