"""The audit log itself: append-only at every layer, and how reads reach it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from alliance.audit import recorder
from alliance.audit.middleware import AuditMiddleware
from alliance.audit.models import (
    ActorRole,
    AuditAction,
    AuditEvent,
    AuditLogIsAppendOnly,
    RecordType,
)
from alliance.audit.recorder import Entry, client_ip


def _entry(subject=None, record_id="r1") -> Entry:
    return Entry(
        action=AuditAction.VIEW,
        record_type=RecordType.CARE_EPISODE,
        record_id=record_id,
        subject_id=subject.id if subject is not None else None,
        clinic_id=subject.clinic_id if subject is not None else None,
    )


@pytest.fixture
def event(db) -> AuditEvent:
    recorder.audit_record(actor=None, entry=_entry())
    return AuditEvent.objects.get()


# --- append-only in the app -------------------------------------------------------------------


def test_saving_a_stored_event_again_is_refused(event):
    event.action = AuditAction.EXPORT
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    assert AuditEvent.objects.get().action == AuditAction.VIEW


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    assert AuditEvent.objects.count() == 1


def test_queryset_update_is_refused(event):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditAction.EXPORT)
    assert AuditEvent.objects.get().action == AuditAction.VIEW


def test_queryset_delete_is_refused(event):
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


def test_bulk_update_is_refused(event):
    event.action = AuditAction.EXPORT
    with pytest.raises(AuditLogIsAppendOnly), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get().action == AuditAction.VIEW


def test_an_event_with_a_hand_set_primary_key_is_inserted_never_updated(event):
    copy = AuditEvent(pk=event.pk, actor_role=ActorRole.SYSTEM, action="export", record_type="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        copy.save()  # forced INSERT: the primary key is taken
    assert AuditEvent.objects.get().action == AuditAction.VIEW


# --- append-only in the database --------------------------------------------------------------


def test_database_refuses_update_of_the_audit_table(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'export'")
    assert AuditEvent.objects.get().action == AuditAction.VIEW


def test_database_refuses_delete_from_the_audit_table(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 1


def test_database_still_accepts_new_rows(event):
    recorder.audit_record(actor=None, entry=_entry(record_id="r2"))
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_puts_the_triggers_back():
    recorder.audit_record(actor=None, entry=_entry())
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    recorder.audit_record(actor=None, entry=_entry())
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 1


# --- reads during a request -------------------------------------------------------------------


def _run(status: int, *, subject, notes: int = 1, raise_error: bool = False) -> None:
    def view(request):
        for n in range(notes):
            recorder.note_read(subject, _entry(subject, record_id=f"r{n}"))
        if raise_error:
            raise RuntimeError("boom")
        return HttpResponse(status=status)

    AuditMiddleware(view)(RequestFactory().get("/"))


def test_reads_are_written_when_the_response_is_ready(client_user):
    _run(200, subject=client_user, notes=3)
    assert AuditEvent.objects.filter(subject=client_user).count() == 3


def test_reads_are_written_for_a_page_shown_again_with_form_errors(client_user):
    _run(400, subject=client_user)
    assert AuditEvent.objects.filter(subject=client_user).count() == 1


def test_reads_are_not_written_when_the_response_is_a_server_error(client_user):
    _run(500, subject=client_user)
    assert AuditEvent.objects.count() == 0


def test_reads_are_not_written_when_the_view_fails(client_user):
    with pytest.raises(RuntimeError):
        _run(200, subject=client_user, raise_error=True)
    assert AuditEvent.objects.count() == 0


def test_the_same_record_read_twice_in_a_request_is_logged_once(client_user):
    def view(request):
        recorder.note_read(client_user, _entry(client_user))
        recorder.note_read(client_user, _entry(client_user))
        return HttpResponse()

    AuditMiddleware(view)(RequestFactory().get("/"))
    assert AuditEvent.objects.count() == 1


def test_a_read_outside_a_request_is_written_at_once_as_the_system(client_user):
    recorder.note_read(client_user, _entry(client_user))
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_role, event.actor_label) == (
        None,
        ActorRole.SYSTEM,
        "Alliance (automatic)",
    )


def test_a_page_read_records_who_when_which_record_route_and_address(
    episode, therapist, client_user, login
):
    login(therapist).get(f"/clients/{client_user.id}/", REMOTE_ADDR="192.0.2.10")
    event = AuditEvent.objects.get(action=AuditAction.VIEW)
    assert (
        event.actor_id,
        event.actor_display,
        event.actor_role,
        event.record_type,
        event.record_id,
        event.subject_id,
        event.clinic_id,
        event.route,
        event.ip,
    ) == (
        therapist.id,
        "Teresa Tran",
        "therapist",
        RecordType.CARE_EPISODE,
        str(episode.id),
        client_user.id,
        episode.clinic_id,
        "client_detail",
        "192.0.2.10",
    )


def test_a_client_acting_is_never_stored_by_name(episode, client_user, login):
    login(client_user).get("/me/who-has-seen/")
    event = AuditEvent.objects.get(actor=client_user)
    assert event.actor_display == f"Client {client_user.id.hex[:8]}"
    assert event.actor_label == "Carla Client"


def test_someone_elses_record_leaves_no_read(episode, other_therapist, client_user, login):
    response = login(other_therapist).get(f"/clients/{client_user.id}/")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(subject=client_user).exists()


# --- the client's address ---------------------------------------------------------------------


def _request(remote: str, forwarded: str = ""):
    return RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)


def test_without_proxies_the_connection_address_is_used():
    assert client_ip(_request("192.0.2.1", "203.0.113.9")) == "192.0.2.1"


@override_settings(ALLIANCE_PROXY_COUNT=1)
def test_behind_one_proxy_the_last_forwarded_entry_is_used():
    assert client_ip(_request("10.0.0.2", "198.51.100.9, 203.0.113.5")) == "203.0.113.5"


@override_settings(ALLIANCE_PROXY_COUNT=2)
def test_behind_two_proxies_the_second_entry_from_the_right_is_used():
    assert client_ip(_request("10.0.0.2", "198.51.100.9, 203.0.113.5, 10.0.0.1")) == "203.0.113.5"


@override_settings(ALLIANCE_PROXY_COUNT=2)
def test_too_few_forwarded_entries_fall_back_to_the_connection():
    assert client_ip(_request("10.0.0.2", "203.0.113.5")) == "10.0.0.2"


def test_an_unparseable_address_is_stored_as_unknown():
    assert client_ip(_request("not-an-address")) is None
