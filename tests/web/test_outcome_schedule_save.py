"""Saving the questionnaire schedule form: all of it or none of it, and a clear message."""

from __future__ import annotations

from django.urls import reverse

from alliance.audit.models import AuditEvent, RecordType
from alliance.outcomes import views
from alliance.outcomes.definitions import Available, available_for
from alliance.outcomes.models import OutcomeSchedule
from alliance.outcomes.schedule import ScheduleSpec
from alliance.outcomes.services import ScheduleError, schedules_set


def vanishing(monkeypatch):
    """The form lists a questionnaire that is gone by the time it is saved."""

    def listed(clinic_id):
        return [*available_for(clinic_id), Available("gone", 1, "Gone since", False)]

    monkeypatch.setattr(views, "available_for", listed)


def test_a_questionnaire_gone_while_the_form_was_open_saves_nothing(
    monkeypatch, login, episode, therapist
):
    vanishing(monkeypatch)
    response = login(therapist).post(
        reverse("outcome_schedule", args=[episode.client_id]),
        {"phq9-at_intake": "on", "phq9-every_sessions": "4", "gone-every_weeks": "2"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "No questionnaire &#x27;gone&#x27; in this clinic." in page
    assert "Nothing was changed: please check the list and save again." in page
    # The PHQ-9 row came first and was valid: it is not half-saved either.
    assert not OutcomeSchedule.objects.filter(episode=episode).exists()
    assert not AuditEvent.objects.filter(record_type=RecordType.OUTCOME_SCHEDULE).exists()


def test_the_schedule_is_saved_in_one_transaction(episode, therapist):
    schedules_set(episode=episode, specs={"phq9": ScheduleSpec(at_intake=True)}, actor=therapist)
    before = list(OutcomeSchedule.objects.values_list("instrument_id", "at_intake"))
    try:
        schedules_set(
            episode=episode,
            specs={"phq9": ScheduleSpec(every_sessions=3), "gone": ScheduleSpec(at_intake=True)},
            actor=therapist,
        )
    except ScheduleError:
        pass
    else:
        raise AssertionError("a vanished questionnaire must be refused")
    assert list(OutcomeSchedule.objects.values_list("instrument_id", "at_intake")) == before
    assert OutcomeSchedule.objects.get().every_sessions is None


def test_a_good_form_still_saves_every_row(login, episode, therapist):
    response = login(therapist).post(
        reverse("outcome_schedule", args=[episode.client_id]),
        {"phq9-at_intake": "on", "gad7-every_weeks": "2"},
    )
    assert response["Location"] == reverse("client_detail", args=[episode.client_id])
    assert set(OutcomeSchedule.objects.values_list("instrument_id", flat=True)) == {"phq9", "gad7"}
