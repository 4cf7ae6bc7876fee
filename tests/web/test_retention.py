"""Ending care, the retention period, anonymisation and legal holds."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client

from alliance.audit.models import ActorRole, AuditAction, AuditEvent, RecordType
from alliance.audit.retention import (
    RetentionError,
    client_anonymise,
    retention_apply,
    retention_due,
)
from alliance.checkins.models import CheckIn
from alliance.checkins.services import checkin_submit
from alliance.people.models import CareEpisode, Clinic, EpisodeStatus, Role, User
from alliance.people.services import PeopleError, episode_end, legal_hold_set
from alliance.ruptures.models import Alert, AlertState, CloseReason, RepairRecord
from alliance.ruptures.services import (
    RepairInput,
    alert_acknowledge,
    alert_close,
    alert_record_repair,
)
from tests.conftest import GOOD_ANSWERS, PASSWORD

TENSION = {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "1", "comment": "Hard day."}
# Noon in Toronto on 10 March 2026: the care episode ends that day, clinic time.
ENDED_AT = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
ENDED_ON = date(2026, 3, 10)
DUE_ON = ENDED_ON + timedelta(days=3650)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 0, tzinfo=UTC)


@pytest.fixture
def history(episode, therapist, client_user, attend) -> Alert:
    """Carla's care: a check-in with a comment, an alert, a repair record; it is still open."""
    session = attend(episode, 1, ENDED_AT - timedelta(days=7))
    checkin_submit(
        session=session,
        client=client_user,
        answers=TENSION,
        form_token=uuid.uuid4(),
        now=ENDED_AT - timedelta(days=6),
    )
    alert = Alert.objects.get()
    alert_acknowledge(alert=alert, actor=therapist, now=ENDED_AT - timedelta(days=5))
    alert_record_repair(
        alert=alert,
        actor=therapist,
        now=ENDED_AT - timedelta(days=4),
        repair=RepairInput(
            rupture_type="withdrawal",
            markers=[],
            strategies=["invite_discussion"],
            notes="We named it.",
            next_session_plan="Ask first.",
        ),
    )
    return alert


@pytest.fixture
def ended(history, episode, therapist) -> CareEpisode:
    return episode_end(episode=episode, actor=therapist, now=ENDED_AT)


# --- ending care ------------------------------------------------------------------------------


def test_ending_care_records_the_day_in_clinic_time(ended):
    assert (ended.status, ended.ended_on) == (EpisodeStatus.ENDED, ENDED_ON)


def test_ending_care_closes_open_alerts_as_episode_ended(ended, therapist):
    alert = Alert.objects.get()
    assert (alert.state, alert.close_reason, alert.closed_by_id) == (
        AlertState.CLOSED,
        CloseReason.EPISODE_ENDED,
        therapist.id,
    )


def test_ending_care_is_audited(ended, therapist, client_user):
    assert sorted(
        AuditEvent.objects.filter(subject=client_user, detail__in=["ended", "closed"]).values_list(
            "record_type", "detail"
        )
    ) == [(RecordType.ALERT, "closed"), (RecordType.CARE_EPISODE, "ended")]


def test_ending_care_twice_is_refused(ended, therapist):
    with pytest.raises(PeopleError):
        episode_end(episode=ended, actor=therapist, now=ENDED_AT)


def test_another_therapist_cannot_end_care(episode, other_therapist):
    with pytest.raises(PeopleError):
        episode_end(episode=episode, actor=other_therapist)


def test_therapist_ends_care_from_the_client_page(episode, therapist, client_user, login):
    response = login(therapist).post(f"/clients/{client_user.id}/end/", {"confirm": "on"})
    episode.refresh_from_db()
    assert response["Location"] == f"/clients/{client_user.id}/"
    assert episode.status == EpisodeStatus.ENDED


def test_ending_care_needs_the_box_ticked(episode, therapist, client_user, login):
    login(therapist).post(f"/clients/{client_user.id}/end/", {})
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.ACTIVE


def test_clinic_admin_ends_care_from_the_people_page(episode, admin, client_user, login):
    response = login(admin).post(f"/clients/{client_user.id}/end/", {"confirm": "on"})
    episode.refresh_from_db()
    assert (response["Location"], episode.status) == ("/clinic/people/", EpisodeStatus.ENDED)


def test_client_page_says_when_care_ended(ended, therapist, client_user, login):
    html = login(therapist).get(f"/clients/{client_user.id}/").content.decode()
    assert "Care ended on 10 Mar 2026" in html
    assert "End care with" not in html


# --- when a record is due ---------------------------------------------------------------------


def test_not_due_one_day_before_the_retention_period_ends(ended, client_user):
    assert retention_due(now=_noon(DUE_ON - timedelta(days=1))) == []


def test_due_on_the_day_the_retention_period_ends(ended, client_user):
    [candidate] = retention_due(now=_noon(DUE_ON))
    assert (candidate.client, candidate.last_contact, candidate.due_on) == (
        client_user,
        ENDED_ON,
        DUE_ON,
    )


def test_a_client_in_care_is_never_due(history, client_user):
    assert retention_due(now=_noon(DUE_ON + timedelta(days=4000))) == []


def test_the_clinics_own_retention_period_is_used(ended, clinic):
    clinic.retention_days = 3651
    clinic.save(update_fields=["retention_days"])
    assert retention_due(now=_noon(DUE_ON)) == []


def test_a_retention_period_under_a_year_is_refused(clinic):
    clinic.retention_days = 30
    with pytest.raises(IntegrityError), transaction.atomic():
        clinic.save(update_fields=["retention_days"])


# --- anonymising ------------------------------------------------------------------------------


def test_anonymising_removes_who_the_client_was(ended, client_user):
    retention_apply(now=_noon(DUE_ON))
    carla = User.objects.get(id=client_user.id)
    assert (carla.full_name, carla.email, carla.is_active, carla.has_usable_password()) == (
        f"Former client {client_user.id.hex[:8]}",
        f"former-client-{client_user.id.hex}@anonymised.invalid",
        False,
        False,
    )
    assert carla.timezone == client_user.timezone


def test_anonymising_wipes_what_anyone_wrote_and_keeps_the_numbers(ended, client_user):
    retention_apply(now=_noon(DUE_ON))
    checkin = CheckIn.objects.get()
    repair = RepairRecord.objects.get()
    assert (checkin.comment, repair.notes, repair.next_session_plan) == ("", "", "")
    assert (checkin.bond, checkin.tension, checkin.alliance) == (6, 3, 6.0)
    assert Alert.objects.get().close_reason == CloseReason.EPISODE_ENDED


def test_anonymising_wipes_closing_notes(history, episode, therapist, client_user):
    alert_close(alert=history, actor=therapist, reason=CloseReason.OTHER, note="Moved away.")
    episode_end(episode=episode, actor=therapist, now=ENDED_AT)
    retention_apply(now=_noon(DUE_ON))
    assert Alert.objects.get().close_note == ""


def test_anonymising_is_audited_as_the_system(ended, client_user):
    retention_apply(now=_noon(DUE_ON))
    event = AuditEvent.objects.get(action=AuditAction.ANONYMISE)
    assert (event.actor_role, event.record_type, event.subject_id) == (
        ActorRole.SYSTEM,
        RecordType.PERSON,
        client_user.id,
    )


def test_an_anonymised_client_cannot_log_in(ended, client_user):
    retention_apply(now=_noon(DUE_ON))
    response = Client().post("/login/", {"username": client_user.email, "password": PASSWORD})
    assert response.status_code == 200  # the form again, not a redirect into the app


def test_anonymising_a_client_in_care_is_refused(history, client_user):
    with pytest.raises(RetentionError):
        client_anonymise(client=client_user)


# --- legal hold -------------------------------------------------------------------------------


def test_legal_hold_stops_anonymisation(ended, admin, client_user):
    legal_hold_set(client=client_user, admin=admin, reason="Court order 2036-114")
    [candidate] = retention_due(now=_noon(DUE_ON))
    assert candidate.held
    assert retention_apply(now=_noon(DUE_ON)) == []
    assert User.objects.get(id=client_user.id).full_name == "Carla Client"


def test_admin_places_a_legal_hold_with_a_reason(admin, client_user, login):
    response = login(admin).post(
        f"/people/{client_user.id}/legal-hold/", {"hold": "set", "reason": "Complaint"}
    )
    carla = User.objects.get(id=client_user.id)
    assert response["Location"] == "/clinic/people/"
    assert (carla.on_legal_hold, carla.legal_hold_reason, carla.legal_hold_by_id) == (
        True,
        "Complaint",
        admin.id,
    )


def test_a_legal_hold_needs_a_reason(admin, client_user, login):
    login(admin).post(f"/people/{client_user.id}/legal-hold/", {"hold": "set", "reason": " "})
    assert not User.objects.get(id=client_user.id).on_legal_hold


def test_admin_lifts_a_legal_hold(admin, client_user, login):
    legal_hold_set(client=client_user, admin=admin, reason="Complaint")
    login(admin).post(f"/people/{client_user.id}/legal-hold/", {"hold": "clear"})
    carla = User.objects.get(id=client_user.id)
    assert (carla.on_legal_hold, carla.legal_hold_reason) == (False, "")


def test_placing_and_lifting_a_hold_is_audited(admin, client_user, login):
    browser = login(admin)
    browser.post(f"/people/{client_user.id}/legal-hold/", {"hold": "set", "reason": "Complaint"})
    browser.post(f"/people/{client_user.id}/legal-hold/", {"hold": "clear"})
    assert list(
        AuditEvent.objects.filter(actor=admin, subject=client_user)
        .exclude(action=AuditAction.VIEW)
        .order_by("id")
        .values_list("action", flat=True)
    ) == [AuditAction.LEGAL_HOLD, AuditAction.LEGAL_HOLD_CLEARED]


def test_a_legal_hold_is_only_for_clients(admin, therapist):
    with pytest.raises(PeopleError):
        legal_hold_set(client=therapist, admin=admin, reason="Complaint")


# --- the command ------------------------------------------------------------------------------


def _command(*args: str) -> str:
    out = io.StringIO()
    with time_machine.travel(_noon(DUE_ON), tick=False):
        call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_dry_run_lists_what_would_be_anonymised_and_changes_nothing(ended, client_user):
    audit_rows = AuditEvent.objects.count()
    output = _command()
    assert f"{client_user.id}  Carla Client  (Harbour Clinic)" in output
    assert "Dry run: 1 record would be anonymised." in output
    assert User.objects.get(id=client_user.id).full_name == "Carla Client"
    assert CheckIn.objects.get().comment == "Hard day."
    assert AuditEvent.objects.count() == audit_rows


def test_dry_run_shows_records_on_hold_as_kept(ended, admin, client_user):
    legal_hold_set(client=client_user, admin=admin, reason="Complaint")
    output = _command()
    assert "ON LEGAL HOLD, kept" in output
    assert "Dry run: 0 records would be anonymised." in output


def test_apply_anonymises(ended, client_user):
    assert "Anonymised 1 record." in _command("--apply")
    assert User.objects.get(id=client_user.id).anonymised_at is not None


# --- other clinics ----------------------------------------------------------------------------


@pytest.fixture
def elsewhere_client(ended) -> User:
    """A former client of another clinic whose record is due on the same day as Carla's."""
    elsewhere = Clinic.objects.create(name="Elsewhere Clinic", timezone="America/Toronto")
    therapist = User.objects.create_user(
        "et@elsewhere.org", PASSWORD, full_name="Eve T", role=Role.THERAPIST, clinic=elsewhere
    )
    client = User.objects.create_user(
        "ec@elsewhere.org", PASSWORD, full_name="Ed Client", role=Role.CLIENT, clinic=elsewhere
    )
    episode = CareEpisode.objects.create(
        clinic=elsewhere, client=client, therapist=therapist, started_on=date(2025, 1, 1)
    )
    episode_end(episode=episode, actor=therapist, now=ENDED_AT)
    return client


def test_a_run_for_one_clinic_leaves_another_clinics_clients_alone(
    elsewhere_client, clinic, client_user
):
    done = retention_apply(now=_noon(DUE_ON), clinic=clinic)
    assert [c.id for c in done] == [client_user.id]
    assert User.objects.get(id=elsewhere_client.id).full_name == "Ed Client"


def test_each_clinic_keeps_records_for_its_own_period(elsewhere_client, client_user):
    Clinic.objects.filter(id=elsewhere_client.clinic_id).update(retention_days=5000)
    done = retention_apply(now=_noon(DUE_ON))
    assert [c.id for c in done] == [client_user.id]
    assert User.objects.get(id=elsewhere_client.id).anonymised_at is None


def test_anonymising_blanks_diary_notes_drafts_and_target_names(
    history, episode, therapist, client_user
):
    from alliance.diary.models import DiaryCard, DiaryTarget
    from alliance.diary.services import diary_draft_save, diary_target_add

    day_before = ENDED_AT - timedelta(days=3)
    diary_target_add(therapist=therapist, episode=episode, name="Bingeing", now=day_before)
    diary_draft_save(
        client=client_user,
        episode=episode,
        day=date(2026, 3, 7),
        answers={"note": "A private line"},
        now=day_before,
    )
    episode_end(episode=episode, actor=therapist, now=ENDED_AT)
    retention_apply(now=_noon(DUE_ON))
    card = DiaryCard.objects.get()
    assert (card.note, card.draft) == ("", "")
    assert list(DiaryTarget.objects.values_list("name", flat=True)) == ["Target"]


def test_anonymising_wipes_free_text_questionnaire_answers(ended, episode, client_user):
    from alliance.outcomes.models import OutcomeResponse

    OutcomeResponse.objects.create(
        episode=episode,
        client=client_user,
        instrument_id="local-form",
        instrument_version=1,
        occasion="intake",
        session_index=0,
        answers={"q1": 2},
        text_answers='{"q2": "My sister and the river"}',
        form_token=uuid.uuid4(),
    )
    retention_apply(now=_noon(DUE_ON))
    response = OutcomeResponse.objects.get()
    assert (response.text_answers, response.answers) == ("", {"q1": 2})
