"""Reads of the audit log: the clinic admin's review and the client's "who has seen my records"."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet

from alliance.audit.models import ActorRole, AuditAction, AuditEvent, RecordType
from alliance.people.models import User


def _start_of(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def audit_events(
    *,
    clinic_id: Any,
    zone: zoneinfo.ZoneInfo,
    person: User | None = None,
    client: User | None = None,
    action: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEvent]:
    """The clinic's audit events, newest first; dates are whole days in ``zone``."""
    events = AuditEvent.objects.filter(clinic_id=clinic_id).select_related("actor", "subject")
    if person is not None:
        events = events.filter(actor=person)
    if client is not None:
        events = events.filter(subject=client)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(at__gte=_start_of(since, zone))
    if until is not None:
        events = events.filter(at__lt=_start_of(until + timedelta(days=1), zone))
    return events.order_by("-at", "-id")


def no_events() -> QuerySet[AuditEvent]:
    """An empty selection, for a filter form with errors: the page lists nothing."""
    return AuditEvent.objects.none()


def seen_by_others(client: User) -> QuerySet[AuditEvent]:
    """What other people did with this client's records, newest first.

    The system's own work (alerts raised from check-ins, say) is left out: the client never
    sees alerts, and "Alliance (automatic)" doing something unexplained would only worry them.
    """
    return (
        AuditEvent.objects.filter(subject=client)
        .exclude(actor_role=ActorRole.SYSTEM)
        .exclude(actor=client)
        .select_related("actor")
        .order_by("-at", "-id")
    )


_NOTES = "their notes about one of your check-ins"
# (record type, action) -> what the client reads. Alerts and repair records are the therapist's
# notes to the client: the client never sees the word "alert" (see alliance/access.py).
_FOR_CLIENT: dict[tuple[str, str], str] = {
    (RecordType.CARE_EPISODE, AuditAction.VIEW): "Opened your record",
    (RecordType.CARE_EPISODE, AuditAction.LIST): "Saw your name in their list of clients",
    (RecordType.CARE_EPISODE, AuditAction.CREATE): "Started your care record",
    (RecordType.CARE_EPISODE, AuditAction.TRANSITION): "Ended your course of therapy",
    (RecordType.PERSON, AuditAction.VIEW): "Opened your account details",
    (RecordType.PERSON, AuditAction.LIST): "Saw your name in the clinic's list of people",
    (RecordType.PERSON, AuditAction.CREATE): "Created your account",
    (RecordType.PERSON, AuditAction.UPDATE): "Updated your account",
    (RecordType.PERSON, AuditAction.LEGAL_HOLD): "Changed how long your record is kept",
    (RecordType.PERSON, AuditAction.LEGAL_HOLD_CLEARED): "Changed how long your record is kept",
    (RecordType.SESSION, AuditAction.VIEW): "Opened one of your sessions",
    (RecordType.SESSION, AuditAction.CREATE): "Scheduled a session",
    (RecordType.SESSION, AuditAction.TRANSITION): "Updated one of your sessions",
    (RecordType.CHECKIN, AuditAction.VIEW): "Read one of your check-ins",
    (RecordType.CHECKIN, AuditAction.UPDATE): "Read one of your check-ins",
    (RecordType.ALERT, AuditAction.VIEW): f"Opened {_NOTES}",
    (RecordType.ALERT, AuditAction.TRANSITION): f"Updated {_NOTES}",
    (RecordType.REPAIR_RECORD, AuditAction.CREATE): f"Wrote {_NOTES}",
    (RecordType.INVITE, AuditAction.CREATE): "Sent you a link to set your password",
    (RecordType.AUDIT_LOG, AuditAction.VIEW): "Looked at who has seen your records",
    (RecordType.AUDIT_LOG, AuditAction.EXPORT): "Exported the list of who has seen your records",
}


def describe_for_client(event: AuditEvent) -> str:
    return _FOR_CLIENT.get(
        (event.record_type, event.action),
        f"{event.get_action_display()}: {event.get_record_type_display().lower()}",
    )
