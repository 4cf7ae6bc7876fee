"""What every list endpoint shares: limit/offset paging in a stable order."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from ninja import Field, Schema

Item = TypeVar("Item")

MAX_LIMIT = 100


class Paging(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="At most this many items (1-100).")
    offset: int = Field(0, ge=0, le=1_000_000, description="Skip this many items first.")


class Page(Schema, Generic[Item]):
    count: int
    limit: int
    offset: int
    items: list[Item]


def paginate(records: QuerySet[Any], paging: Paging, *order: str) -> tuple[int, list[Any]]:
    """The total and one page of ``records``, ordered by ``order`` then id (stable)."""
    ordered = records.order_by(*order, "id")
    return ordered.count(), list(ordered[paging.offset : paging.offset + paging.limit])


def page(count: int, paging: Paging, items: list[Any]) -> dict[str, Any]:
    return {"count": count, "limit": paging.limit, "offset": paging.offset, "items": items}
