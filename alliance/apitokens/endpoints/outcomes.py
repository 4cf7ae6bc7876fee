"""Questionnaire scores (outcome responses): the totals and bands, not the item answers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from alliance import access
from alliance.apitokens.endpoints.common import Page, Paging, page, paginate
from alliance.apitokens.rest import staff
from alliance.audit.models import RecordType

router = Router(tags=["scores"])


class ScoreOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    instrument_id: str
    instrument_version: int
    occasion: str
    session_index: int | None
    composite: float | None
    band: str
    subscales: dict[str, Any]
    unscored_reason: str
    risk: list[Any]
    submitted_at: datetime


@router.get("/scores", response=Page[ScoreOut], url_name="scores")
def list_scores(
    request: HttpRequest, paging: Query[Paging], episode_id: uuid.UUID | None = None
) -> dict[str, object]:
    user = staff(request)
    records = access.outcome_responses_for(user).select_related("episode")
    if episode_id is not None:
        records = records.filter(episode_id=episode_id)
    count, items = paginate(records, paging, "submitted_at")
    access.note_api_listed(user, RecordType.OUTCOME_RESPONSE, items)
    return page(count, paging, items)


@router.get("/scores/{score_id}", response=ScoreOut, url_name="score")
def get_score(request: HttpRequest, score_id: uuid.UUID) -> object:
    return access.get_outcome_response(staff(request), score_id)
