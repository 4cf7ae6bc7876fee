"""The therapist's own planned absences (who covers, and when)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from alliance import access
from alliance.apitokens.endpoints.common import Page, Paging, page, paginate
from alliance.apitokens.rest import staff

router = Router(tags=["absences"])


class AbsenceOut(Schema):
    id: uuid.UUID
    starts_on: date
    ends_on: date
    cover_id: uuid.UUID
    cover_contact: str
    message_to_clients: str
    created_at: datetime
    cancelled_at: datetime | None


@router.get("/absences", response=Page[AbsenceOut], url_name="absences")
def list_absences(request: HttpRequest, paging: Query[Paging]) -> dict[str, object]:
    count, items = paginate(access.absences_for(staff(request)), paging, "starts_on")
    return page(count, paging, items)


@router.get("/absences/{absence_id}", response=AbsenceOut, url_name="absence")
def get_absence(request: HttpRequest, absence_id: uuid.UUID) -> object:
    return access.get_absence(staff(request), absence_id)
