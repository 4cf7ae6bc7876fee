"""Reads of the outbox for the clinic admin's page."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from alliance.messaging.models import MessageState, OutboxMessage


@dataclass(frozen=True)
class OutboxSummary:
    failed: list[OutboxMessage]
    counts: dict[str, int]


def outbox_summary(messages: QuerySet[OutboxMessage], *, limit: int = 100) -> OutboxSummary:
    """The messages that did not go out (newest first) and how many are in each state."""
    failed = list(
        messages.filter(state=MessageState.FAILED)
        .select_related("recipient")
        .order_by("-next_attempt_at")[:limit]
    )
    counts = dict.fromkeys(MessageState.values, 0)
    for row in messages.values("state").annotate(n=Count("id")).order_by():
        counts[row["state"]] = row["n"]
    return OutboxSummary(failed=failed, counts=counts)
