"""Alerts and their transitions, through the same services as the alert page.

A transition the alert's state does not allow (acknowledging twice, recording repair on an open
alert, closing a closed one, closing a risk answer with no follow-up) is a 409 and changes
nothing; bad input is a 422. A replayed call is therefore answered 409, never applied twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from alliance import access
from alliance.apitokens.endpoints.common import Page, Paging, page, paginate
from alliance.apitokens.rest import Problem, require_write, staff
from alliance.audit.models import RecordType
from alliance.core import taxonomy
from alliance.ruptures import services
from alliance.ruptures.models import CLOSE_NEEDS_NOTE, Alert, RepairRecord

router = Router(tags=["alerts"])


class AlertOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    session_id: uuid.UUID | None
    checkin_id: uuid.UUID | None
    category: str
    state: str
    severity: int
    client_reported: bool
    summary: str
    created_at: datetime
    acknowledged_at: datetime | None
    repair_recorded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    close_reason: str


class RepairIn(Schema):
    rupture_type: str = Field(description="A rupture type key (docs/taxonomy), or 'unclear'.")
    markers: list[str] = Field(default_factory=list, max_length=50)
    strategies: list[str] = Field(default_factory=list, max_length=50)
    notes: str = Field("", max_length=5000)
    next_session_plan: str = Field("", max_length=5000)


class RepairOut(Schema):
    id: uuid.UUID
    alert_id: uuid.UUID
    rupture_type: str
    markers: list[str]
    strategies: list[str]
    recorded_at: datetime


class CloseIn(Schema):
    reason: str
    note: str = Field("", max_length=5000)


def _conflict(error: services.AlertError) -> Problem:
    return Problem(409, str(error))


def _invalid(detail: str) -> Problem:
    return Problem(422, detail)


@router.get("/alerts", response=Page[AlertOut], url_name="alerts")
def list_alerts(
    request: HttpRequest,
    paging: Query[Paging],
    episode_id: uuid.UUID | None = None,
    state: str | None = None,
) -> dict[str, object]:
    user = staff(request)
    records = access.alerts_for(user).select_related("episode")
    if episode_id is not None:
        records = records.filter(episode_id=episode_id)
    if state is not None:
        records = records.filter(state=state)
    count, items = paginate(records, paging, "created_at")
    access.note_api_listed(user, RecordType.ALERT, items)
    return page(count, paging, items)


@router.get("/alerts/{alert_id}", response=AlertOut, url_name="alert")
def get_alert(request: HttpRequest, alert_id: uuid.UUID) -> Alert:
    return access.get_alert(staff(request), alert_id)


@router.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut},
    url_name="alert_acknowledge",
)
def acknowledge_alert(request: HttpRequest, alert_id: uuid.UUID) -> Alert:
    require_write(request)
    alert = access.get_alert(staff(request), alert_id)
    try:
        return services.alert_acknowledge(alert=alert, actor=staff(request))
    except services.AlertError as error:
        raise _conflict(error) from None


@router.post("/alerts/{alert_id}/repair", response={201: RepairOut}, url_name="alert_repair")
def record_repair(
    request: HttpRequest, alert_id: uuid.UUID, body: RepairIn
) -> Status[RepairRecord]:
    require_write(request)
    alert = access.get_alert(staff(request), alert_id)
    if body.rupture_type not in dict(taxonomy.RUPTURE_TYPES):
        raise _invalid(_("Unknown rupture type: %(t)s.") % {"t": body.rupture_type})
    try:
        taxonomy.labels(body.markers, taxonomy.MARKERS)
        taxonomy.labels(body.strategies, taxonomy.RESOLUTION_STRATEGIES)
    except ValueError as error:
        raise _invalid(_("Unknown marker or strategy: %(e)s.") % {"e": error}) from None
    if not body.strategies and not body.notes.strip():
        raise _invalid(_("Give at least one repair strategy, or notes on the repair work."))
    try:
        record = services.alert_record_repair(
            alert=alert,
            actor=staff(request),
            repair=services.RepairInput(
                rupture_type=body.rupture_type,
                markers=body.markers,
                strategies=body.strategies,
                notes=body.notes,
                next_session_plan=body.next_session_plan,
            ),
        )
    except services.AlertError as error:
        raise _conflict(error) from None
    return Status(201, record)


@router.post("/alerts/{alert_id}/close", response={200: AlertOut}, url_name="alert_close")
def close_alert(request: HttpRequest, alert_id: uuid.UUID, body: CloseIn) -> Alert:
    require_write(request)
    alert = access.get_alert(staff(request), alert_id)
    if body.reason not in services.close_reasons_for(alert):
        allowed = ", ".join(str(r) for r in services.close_reasons_for(alert))
        raise _invalid(_("This alert closes for one of: %(r)s.") % {"r": allowed})
    if body.reason in CLOSE_NEEDS_NOTE and not body.note.strip():
        raise _invalid(_("This reason needs a short note saying why."))
    try:
        return services.alert_close(
            alert=alert, actor=staff(request), reason=body.reason, note=body.note
        )
    except services.AlertError as error:
        raise _conflict(error) from None
