"""Diary cards the client has sent (a draft stays the client's own)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from alliance import access
from alliance.apitokens.endpoints.common import Page, Paging, page, paginate
from alliance.apitokens.rest import staff

router = Router(tags=["diary cards"])


class DiaryCardOut(Schema):
    id: uuid.UUID
    episode_id: uuid.UUID
    day: date
    status: str
    urge_suicide: int | None
    acted_suicide: bool | None
    urge_self_harm: int | None
    acted_self_harm: bool | None
    action_self_harm: int | None
    urge_substance: int | None
    acted_substance: bool | None
    action_substance: int | None
    urge_quit: int | None
    anger: int | None
    fear: int | None
    joy: int | None
    sadness: int | None
    shame: int | None
    emotional_misery: int | None
    physical_misery: int | None
    medication: str
    skills_code: int | None
    skills: list[Any]
    note: str
    submitted_at: datetime | None
    updated_at: datetime


@router.get("/diary-cards", response=Page[DiaryCardOut], url_name="diary_cards")
def list_diary_cards(
    request: HttpRequest, paging: Query[Paging], episode_id: uuid.UUID | None = None
) -> dict[str, object]:
    user = staff(request)
    records = access.diary_cards_for(user).select_related("episode")
    if episode_id is not None:
        records = records.filter(episode_id=episode_id)
    count, items = paginate(records, paging, "day")
    access.note_diary_cards_read(user, items, listed=True)
    return page(count, paging, items)


@router.get("/diary-cards/{card_id}", response=DiaryCardOut, url_name="diary_card")
def get_diary_card(request: HttpRequest, card_id: uuid.UUID) -> object:
    return access.get_sent_diary_card(staff(request), card_id)
