"""``EMAIL_BACKEND`` for the whole app: every email Django sends (password resets, email-change
confirmations, invitations) becomes an outbox row instead of going straight to SMTP. The worker
then delivers it through ``ALLIANCE_EMAIL_DELIVERY_BACKEND`` with retries, and a message that
did not go out shows on the clinic admin's page.

A sender may name the message's kind and idempotency key in two headers that never leave:
``X-Alliance-Kind`` (a ``MessageKind`` value) and ``X-Alliance-Key``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from alliance.messaging.models import MessageKind
from alliance.people.models import User

KIND_HEADER = "X-Alliance-Kind"
KEY_HEADER = "X-Alliance-Key"


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from alliance.messaging.services import message_queue

        queued = 0
        for email in email_messages:
            headers: dict[str, Any] = dict(email.extra_headers)
            kind = str(headers.pop(KIND_HEADER, MessageKind.ACCOUNT))
            key = str(headers.pop(KEY_HEADER, "")) or f"mail:{uuid.uuid4()}"
            for address in email.recipients():
                recipient = User.objects.filter(email__iexact=address).first()
                message_queue(
                    kind=kind if kind in MessageKind.values else MessageKind.ACCOUNT,
                    key=key if len(email.recipients()) == 1 else f"{key}:{address.lower()}",
                    subject=str(email.subject),
                    body=str(email.body),
                    recipient=recipient,
                    to_address=address,
                )
                queued += 1
        return queued
