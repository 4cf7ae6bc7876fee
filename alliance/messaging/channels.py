"""How a queued message leaves: email through Django's mail backends, text messages through an
SMS backend the clinic configures (none is bundled).

``deliver`` raises ``DeliveryError``; ``permanent`` errors (no SMS provider, an address the
provider refuses) are not retried, others are, with backoff (``alliance.messaging.services``).
"""

from __future__ import annotations

import hashlib
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from alliance.messaging.models import Channel, OutboxMessage


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def message_id(message: OutboxMessage) -> str:
    """A Message-ID made from the idempotency key: a message sent again after a worker died
    mid-send is the same message to the receiving mail system, which shows it once."""
    digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "alliance.invalid"
    return f"<{digest}@{domain}>"


def _send_email(message: OutboxMessage, body: str) -> None:
    email = EmailMessage(
        subject=message.subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={"Message-ID": message_id(message), "Auto-Submitted": "auto-generated"},
        connection=get_connection(settings.ALLIANCE_EMAIL_DELIVERY_BACKEND),
    )
    try:
        sent = email.send(fail_silently=False)
    except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
        raise DeliveryError(f"{type(error).__name__}: {error}"[:500]) from error
    if sent != 1:
        raise DeliveryError(_("The mail backend accepted no message."))


class SmsBackend(Protocol):
    """What a clinic's SMS provider adapter implements (``ALLIANCE_SMS_BACKEND``).

    ``send`` returns the provider's id for the message, or raises ``DeliveryError``. It gets the
    idempotency key so that a provider that supports one can refuse a duplicate.
    """

    def send(self, *, to: str, body: str, idempotency_key: str) -> str: ...


class MemorySmsBackend:
    """A test backend: keeps what it was given, and sends a key only once."""

    sent: ClassVar[list[dict[str, str]]] = []

    def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        if not any(item["key"] == idempotency_key for item in self.sent):
            self.sent.append({"to": to, "body": body, "key": idempotency_key})
        return f"memory-{len(self.sent)}"


def sms_backend() -> SmsBackend | None:
    path = settings.ALLIANCE_SMS_BACKEND
    if not path:
        return None
    backend: SmsBackend = import_string(path)()
    return backend


def deliver(message: OutboxMessage) -> None:
    from alliance.messaging.services import body_of

    body = body_of(message)
    if message.channel == Channel.EMAIL:
        _send_email(message, body)
        return
    backend = sms_backend()
    if backend is None:
        raise DeliveryError(
            _("No text-message provider is set up (ALLIANCE_SMS_BACKEND)."), permanent=True
        )
    backend.send(to=message.to_address, body=body, idempotency_key=message.idempotency_key)
