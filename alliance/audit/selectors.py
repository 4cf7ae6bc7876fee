"""Reads of the audit log: the clinic admin's review (the client's page is ``visits``)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet

from alliance.audit.models import AuditEvent
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
