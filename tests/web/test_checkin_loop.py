"""The rupture → repair loop through the services, one behaviour per test."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from alliance.checkins.models import CheckIn
from alliance.checkins.services import CheckinError, checkin_context, checkin_submit
from alliance.ruptures.models import Alert, AlertEvent, AlertState
from alliance.ruptures.services import (
    AlertError,
    RepairInput,
    alert_acknowledge,
    alert_close,
    alert_record_repair,
)
from tests.conftest import GOOD_ANSWERS

TENSION = {
    "bond": "4",
    "tasks": "4",
    "goals": "4",
    "tension": "3",
    "talked": "0",
    "resolved": "1",
    "comment": "I felt rushed at the end.",
}
REPAIR = RepairInput(
    rupture_type="withdrawal",
    markers=["minimal_response"],
    strategies=["invite_discussion"],
    notes="We named it together.",
    next_session_plan="Start by checking in about last week.",
)


def submit(session, client, answers, now=None):
    return checkin_submit(
        session=session, client=client, answers=answers, form_token=uuid.uuid4(), now=now
    )


def test_good_checkin_is_saved_with_the_composite(episode, client_user, attend):
    session = attend(episode, 1)
    result = submit(session, client_user, {**GOOD_ANSWERS, "bond": "7", "tasks": "6", "goals": "5"})
    assert result.created is True
    assert result.checkin.alliance == pytest.approx(6.0)  # (7 + 6 + 5) / 3
    assert result.alerts == []


def test_reported_tension_opens_one_client_reported_alert(episode, client_user, attend):
    session = attend(episode, 1)
    result = submit(session, client_user, TENSION)
    alert = Alert.objects.get()
    assert [a.id for a in result.alerts] == [alert.id]
    assert alert.client_reported is True
    assert alert.state == AlertState.OPEN
    assert alert.severity == 3  # tension 3 is "quite a bit": high
    assert alert.session_id == session.id
    assert alert.checkin_id == result.checkin.id


def test_next_checkin_asks_the_followup_only_while_a_rupture_is_open(episode, client_user, attend):
    first = attend(episode, 1)
    assert checkin_context(first) == {"has_open_rupture": False}
    submit(first, client_user, TENSION)
    second = attend(episode, 2)
    assert checkin_context(second) == {"has_open_rupture": True}


def test_followup_is_required_when_a_rupture_is_open(episode, client_user, attend):
    submit(attend(episode, 1), client_user, TENSION)
    with pytest.raises(CheckinError) as error:
        submit(attend(episode, 2), client_user, GOOD_ANSWERS)
    assert set(error.value.errors) == {"followup_resolved"}
    assert CheckIn.objects.count() == 1


def test_client_saying_resolved_resolves_the_alert(episode, therapist, client_user, attend):
    submit(attend(episode, 1), client_user, TENSION)
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, actor=therapist)
    alert_record_repair(alert=alert, actor=therapist, repair=REPAIR)
    result = submit(attend(episode, 2), client_user, {**GOOD_ANSWERS, "followup_resolved": "2"})
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert alert.resolved_by_checkin_id == result.checkin.id
    assert list(alert.events.values_list("action", flat=True)) == [
        "acknowledged",
        "repair_recorded",
        "resolved",
    ]


def test_client_saying_not_yet_keeps_the_alert_open_and_says_so(
    episode, therapist, client_user, attend
):
    submit(attend(episode, 1), client_user, TENSION)
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, actor=therapist)
    alert_record_repair(alert=alert, actor=therapist, repair=REPAIR)
    submit(attend(episode, 2), client_user, {**GOOD_ANSWERS, "followup_resolved": "0"})
    alert.refresh_from_db()
    assert alert.state == AlertState.REPAIR_RECORDED
    assert alert.client_followup == "not_yet"
    assert alert.get_client_followup_display() == "Client says not resolved yet"


def test_partly_resolved_keeps_the_alert_open(episode, client_user, attend):
    submit(attend(episode, 1), client_user, TENSION)
    submit(attend(episode, 2), client_user, {**GOOD_ANSWERS, "followup_resolved": "1"})
    alert = Alert.objects.get()
    assert alert.state == AlertState.OPEN
    assert alert.client_followup == "partly"


def test_acknowledging_marks_the_checkin_read_for_the_client(
    episode, therapist, client_user, attend
):
    result = submit(attend(episode, 1), client_user, TENSION)
    assert result.checkin.therapist_read_at is None
    alert_acknowledge(alert=Alert.objects.get(), actor=therapist)
    result.checkin.refresh_from_db()
    assert result.checkin.therapist_read_at is not None


def test_acknowledge_records_who_and_when(episode, therapist, client_user, attend):
    submit(attend(episode, 1), client_user, TENSION)
    at = timezone.now() + timedelta(hours=2)
    alert = alert_acknowledge(alert=Alert.objects.get(), actor=therapist, now=at)
    assert (alert.acknowledged_by_id, alert.acknowledged_at) == (therapist.id, at)
    event = AlertEvent.objects.get()
    assert (event.action, event.actor_id, event.at) == ("acknowledged", therapist.id, at)


def test_another_therapist_cannot_acknowledge(episode, other_therapist, client_user, attend):
    submit(attend(episode, 1), client_user, TENSION)
    with pytest.raises(AlertError):
        alert_acknowledge(alert=Alert.objects.get(), actor=other_therapist)
    assert Alert.objects.get().state == AlertState.OPEN


def test_amending_a_repair_keeps_the_earlier_version(episode, therapist, client_user, attend):
    submit(attend(episode, 1), client_user, TENSION)
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, actor=therapist)
    first = alert_record_repair(alert=alert, actor=therapist, repair=REPAIR)
    second = alert_record_repair(
        alert=alert,
        actor=therapist,
        repair=RepairInput(**{**REPAIR.__dict__, "notes": "Corrected: we named it twice."}),
    )
    assert list(alert.repairs.values_list("id", flat=True)) == [second.id, first.id]
    assert Alert.objects.get().state == AlertState.REPAIR_RECORDED


def test_repair_needs_a_strategy_or_notes(episode, therapist, client_user, attend):
    submit(attend(episode, 1), client_user, TENSION)
    alert = alert_acknowledge(alert=Alert.objects.get(), actor=therapist)
    with pytest.raises(AlertError, match="at least one repair strategy"):
        alert_record_repair(
            alert=alert,
            actor=therapist,
            repair=RepairInput("unclear", [], [], "   ", ""),
        )


def test_closing_records_reason_and_ends_the_followup(episode, therapist, client_user, attend):
    submit(attend(episode, 1), client_user, TENSION)
    alert = alert_close(
        alert=Alert.objects.get(), actor=therapist, reason="not_a_rupture", note="Reviewed."
    )
    assert (alert.state, alert.close_reason, alert.closed_by_id) == (
        AlertState.CLOSED,
        "not_a_rupture",
        therapist.id,
    )
    assert checkin_context(attend(episode, 2)) == {"has_open_rupture": False}


def test_score_alert_resolves_after_repair_and_a_calm_next_checkin(
    episode, therapist, client_user, attend
):
    calm = {**GOOD_ANSWERS, "bond": "6", "tasks": "6", "goals": "6"}
    for n in range(1, 6):
        submit(attend(episode, n), client_user, calm)
    submit(attend(episode, 6), client_user, {**calm, "bond": "3", "tasks": "3", "goals": "3"})
    alert = Alert.objects.get()
    assert alert.client_reported is False
    assert "reliable_drop" in alert.kinds
    alert_acknowledge(alert=alert, actor=therapist)
    alert_record_repair(alert=alert, actor=therapist, repair=REPAIR)
    submit(attend(episode, 7), client_user, calm)
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED


def test_unrepaired_score_alert_stays_open_after_a_calm_checkin(episode, client_user, attend):
    calm = {**GOOD_ANSWERS, "bond": "6", "tasks": "6", "goals": "6"}
    for n in range(1, 6):
        submit(attend(episode, n), client_user, calm)
    submit(attend(episode, 6), client_user, {**calm, "bond": "3", "tasks": "3", "goals": "3"})
    submit(attend(episode, 7), client_user, calm)
    assert Alert.objects.get().state == AlertState.OPEN


def test_one_alert_per_session_even_when_several_signals_fire(episode, client_user, attend):
    calm = {**GOOD_ANSWERS, "bond": "6", "tasks": "6", "goals": "6"}
    for n in range(1, 6):
        submit(attend(episode, n), client_user, calm)
    submit(attend(episode, 6), client_user, {**TENSION, "bond": "2", "tasks": "2", "goals": "2"})
    alert = Alert.objects.get()
    assert {"client_reported", "reliable_drop"} <= set(alert.kinds)
    assert Alert.objects.count() == 1


def test_recompute_is_idempotent(episode, client_user, attend):
    from alliance.ruptures.services import signals_recompute

    submit(attend(episode, 1), client_user, TENSION)
    report = signals_recompute()
    assert (report.alerts_created, report.alerts_updated) == (0, 0)
    assert Alert.objects.count() == 1


def test_recompute_opens_missing_alerts_for_the_whole_clinic(
    episode, other_episode, client_user, other_client, attend, clinic
):
    from alliance.ruptures.services import signals_recompute

    submit(attend(episode, 1), client_user, TENSION)
    submit(attend(other_episode, 1), other_client, TENSION)
    AlertEvent.objects.all().delete()
    Alert.objects.all().delete()
    report = signals_recompute(clinic=clinic)
    assert (report.episodes, report.checkins, report.alerts_created) == (2, 2, 2)
    assert Alert.objects.filter(client_reported=True).count() == 2


def test_recompute_adds_a_missing_kind_to_the_existing_alert(episode, client_user, attend):
    from alliance.ruptures.services import signals_recompute

    calm = {**GOOD_ANSWERS, "bond": "6", "tasks": "6", "goals": "6"}
    for n in range(1, 6):
        submit(attend(episode, n), client_user, calm)
    submit(attend(episode, 6), client_user, {**TENSION, "bond": "2", "tasks": "2", "goals": "2"})
    alert = Alert.objects.get()
    full_kinds = alert.kinds
    assert "reliable_drop" in full_kinds
    # As if an earlier version of the rules had not raised the reliable drop.
    Alert.objects.filter(id=alert.id).update(
        signals=[s for s in alert.signals if s["kind"] != "reliable_drop"]
    )
    report = signals_recompute()
    alert.refresh_from_db()
    assert (report.alerts_created, report.alerts_updated) == (0, 1)
    assert sorted(alert.kinds) == sorted(full_kinds)
    assert list(alert.events.values_list("action", flat=True)) == ["signal_added"]
    assert signals_recompute().alerts_updated == 0


def test_the_repair_form_and_record_speak_the_readers_language(
    episode, therapist, client_user, attend, login
):
    # The 3RS kinds, markers and strategies are the core's words (alliance/core/taxonomy.py),
    # translated where they are shown: on the form and in the recorded repair.
    from django.urls import reverse

    submit(attend(episode, 1), client_user, TENSION)
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, actor=therapist)
    alert_record_repair(alert=alert, actor=therapist, repair=REPAIR)
    therapist.language = "fr-ca"
    therapist.save(update_fields=["language"])
    page = login(therapist).get(reverse("alert_detail", args=[alert.id])).content.decode()
    recorded = page.split("Réparation", 1)[-1]
    assert "Réponse minimale" in recorded and "Minimal response" not in page
    assert "Inviter à parler des pensées et des émotions" in recorded
    assert "Invite discussion of thoughts" not in page
    assert ">Retrait<" in page or "Retrait" in recorded  # the kind, and the form's group
    assert "Withdrawal" not in page and "Confrontation" in page  # the same word in French
    assert "Valider la position défensive du client" in page  # a choice of the form
