"""Reads of the outbox for the clinic admin's page."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet

from alliance.messaging.models import MessageKind, MessageState, OutboxMessage


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


REMINDER_KINDS = (
    MessageKind.CHECKIN_REMINDER,
    MessageKind.QUESTIONNAIRE_REMINDER,
    MessageKind.DIARY_REMINDER,
)


def latest_reminders(
    client_ids: list[uuid.UUID], *, since: datetime
) -> dict[uuid.UUID, OutboxMessage]:
    """Each client's latest reminder that went out or failed since ``since``: one query.

    For the therapist's caseload ("Reminder sent Tue 14:02" / "did not go out"). Queued and
    skipped reminders are not shown: nothing went out.
    """
    latest: dict[uuid.UUID, OutboxMessage] = {}
    rows = (
        OutboxMessage.objects.filter(
            recipient_id__in=client_ids,
            kind__in=REMINDER_KINDS,
            state__in=(MessageState.SENT, MessageState.FAILED),
            created_at__gte=since,
        )
        .only("recipient_id", "kind", "state", "sent_at", "next_attempt_at", "created_at")
        .order_by("created_at")
    )
    for message in rows:
        assert message.recipient_id is not None
        latest[message.recipient_id] = message
    return latest
