"""Reads for the alert pages. The alert itself comes through ``alliance.access.get_alert``."""

from __future__ import annotations

from django.db.models import QuerySet

from alliance.ruptures.models import Alert, AlertEvent, RepairRecord


def alert_repairs(alert: Alert) -> list[RepairRecord]:
    """The repair records of the alert, newest first, with who recorded each."""
    return list(alert.repairs.select_related("recorded_by"))


def alert_events(alert: Alert) -> QuerySet[AlertEvent]:
    """What happened to the alert, oldest first, with who did it."""
    return alert.events.select_related("actor")
