"""Sessions and their check-ins (the client's alliance ratings)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from alliance import access
from alliance.apitokens.endpoints.common import Page, Paging, page, paginate
from alliance.apitokens.rest import staff
from alliance.audit.models import RecordType

router = Router(tags=["sessions and check-ins"])


class SessionOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    number: int
    scheduled_at: datetime
    duration_minutes: int
    status: str


class CheckInOut(Schema):
    id: uuid.UUID
    session_id: uuid.UUID
    episode_id: uuid.UUID
    bond: int
    tasks: int
    goals: int
    tension: int
    talked: int | None
    resolved: int | None
    alliance: float
    submitted_at: datetime
    therapist_read_at: datetime | None


@router.get("/sessions", response=Page[SessionOut], url_name="sessions")
def list_sessions(
    request: HttpRequest, paging: Query[Paging], episode_id: uuid.UUID | None = None
) -> dict[str, object]:
    user = staff(request)
    records = access.sessions_for(user).select_related("episode")
    if episode_id is not None:
        records = records.filter(episode_id=episode_id)
    count, items = paginate(records, paging, "scheduled_at")
    access.note_api_listed(user, RecordType.SESSION, items)
    return page(count, paging, items)


@router.get("/sessions/{session_id}", response=SessionOut, url_name="session")
def get_session(request: HttpRequest, session_id: uuid.UUID) -> object:
    return access.get_session(staff(request), session_id)


@router.get("/checkins", response=Page[CheckInOut], url_name="checkins")
def list_checkins(
    request: HttpRequest, paging: Query[Paging], episode_id: uuid.UUID | None = None
) -> dict[str, object]:
    user = staff(request)
    records = access.checkins_for(user).select_related("episode")
    if episode_id is not None:
        records = records.filter(episode_id=episode_id)
    count, items = paginate(records, paging, "submitted_at")
    access.note_api_listed(user, RecordType.CHECKIN, items)
    return page(count, paging, items)


@router.get("/checkins/{checkin_id}", response=CheckInOut, url_name="checkin")
def get_checkin(request: HttpRequest, checkin_id: uuid.UUID) -> object:
    return access.get_checkin(staff(request), checkin_id)
