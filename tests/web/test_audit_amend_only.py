"""Notes are amend-only: a saved repair record or closing note cannot be edited or deleted."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from alliance.audit.guards import NoteIsFinal
from alliance.checkins.services import checkin_submit
from alliance.ruptures.models import Alert, CloseReason, RepairRecord
from alliance.ruptures.services import (
    RepairInput,
    alert_acknowledge,
    alert_close,
    alert_record_repair,
)
from tests.conftest import GOOD_ANSWERS

TENSION = {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "1"}
REPAIR = RepairInput(
    rupture_type="withdrawal",
    markers=[],
    strategies=["invite_discussion"],
    notes="We named it together.",
    next_session_plan="Check in first.",
)


@pytest.fixture
def alert(episode, client_user, attend) -> Alert:
    checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token=uuid.uuid4()
    )
    return Alert.objects.get()


@pytest.fixture
def repair(alert, therapist) -> RepairRecord:
    alert_acknowledge(alert=alert, actor=therapist)
    return alert_record_repair(alert=alert, actor=therapist, repair=REPAIR)


def test_a_saved_repair_record_cannot_be_edited(repair):
    repair.notes = "Rewritten history."
    with pytest.raises(NoteIsFinal):
        repair.save()
    assert RepairRecord.objects.get().notes == "We named it together."


def test_a_repair_record_cannot_be_deleted(repair):
    with pytest.raises(NoteIsFinal), transaction.atomic():
        repair.delete()
    assert RepairRecord.objects.count() == 1


def test_repair_records_cannot_be_deleted_in_bulk(repair):
    with pytest.raises(NoteIsFinal), transaction.atomic():
        RepairRecord.objects.all().delete()
    assert RepairRecord.objects.count() == 1


def test_a_correction_is_a_new_version_and_the_first_is_kept(repair, alert, therapist):
    alert_record_repair(
        alert=alert, actor=therapist, repair=RepairInput(**{**REPAIR.__dict__, "notes": "Fixed."})
    )
    assert sorted(RepairRecord.objects.values_list("notes", flat=True)) == [
        "Fixed.",
        "We named it together.",
    ]


def test_a_closing_note_cannot_be_changed(alert, therapist):
    alert_close(alert=alert, actor=therapist, reason=CloseReason.OTHER, note="Moved abroad.")
    alert.refresh_from_db()
    alert.close_note = "Something else."
    with pytest.raises(NoteIsFinal):
        alert.save(update_fields=["close_note"])
    alert.refresh_from_db()
    assert alert.close_note == "Moved abroad."


def test_a_closing_reason_cannot_be_changed_by_a_full_save(alert, therapist):
    alert_close(alert=alert, actor=therapist, reason=CloseReason.OTHER, note="Moved abroad.")
    alert.refresh_from_db()
    alert.close_reason = CloseReason.NOT_A_RUPTURE
    with pytest.raises(NoteIsFinal):
        alert.save()
    alert.refresh_from_db()
    assert alert.close_reason == CloseReason.OTHER


def test_other_fields_of_a_closed_alert_can_still_be_saved(alert, therapist):
    alert_close(alert=alert, actor=therapist, reason=CloseReason.OTHER, note="Moved abroad.")
    alert.refresh_from_db()
    alert.summary = "Recomputed summary."
    alert.save(update_fields=["summary"])
    alert.refresh_from_db()
    assert (alert.summary, alert.close_note) == ("Recomputed summary.", "Moved abroad.")
