"""Writing audit rows.

Two ways in:

- ``note_read`` for reads. The access layer calls it for every record it hands to a view. During
  a web request the note goes into a per-request buffer that ``AuditMiddleware`` writes with one
  bulk insert once the response is ready (so a page's query count does not grow with the number
  of records it lists). Outside a request the row is written at once.
- ``audit_record`` / ``audit_record_bulk`` for writes. Services call them inside their own
  transaction, so a change and its audit row are saved together or not at all.

The actor is the person whose request it is. Outside a web request (a management command, the
demo seeding, a shell) it is always the system: a script acting "as" someone is not that person.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from alliance import rawsql
from alliance.accounts import lockout
from alliance.audit.models import ActorRole, AuditAction, RecordType
from alliance.people.models import Role, User


def client_ip(request: HttpRequest) -> str | None:
    """The browser's address by the sign-in lockout's rule, or None when it is not an address
    (the log's column holds IP addresses only)."""
    address = lockout.client_ip(request)
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Entry:
    """One thing to log: which record, whose, and what was done with it."""

    action: str
    record_type: str
    record_id: object
    subject_id: uuid.UUID | None
    clinic_id: uuid.UUID | None
    detail: str = ""


def about_episode(
    episode: Any, action: str, record_type: str, record_id: object = None, detail: str = ""
) -> Entry:
    """An entry for a record inside a care episode (the episode itself by default)."""
    return Entry(
        action=action,
        record_type=record_type,
        record_id=episode.id if record_id is None else record_id,
        subject_id=episode.client_id,
        clinic_id=episode.clinic_id,
        detail=detail,
    )


def about_person(person: User, action: str, detail: str = "") -> Entry:
    return Entry(
        action=action,
        record_type=RecordType.PERSON,
        record_id=person.id,
        subject_id=person.id,
        clinic_id=person.clinic_id,
        detail=detail,
    )


@dataclass
class RequestAudit:
    request: HttpRequest
    ip: str | None
    reads: dict[tuple[str, str, str], tuple[User, Entry]] = field(default_factory=dict)
    # Reads already inserted by ``audit_record`` in a transaction not yet committed: a second
    # write in the same transaction must not insert them again.
    in_flight: set[tuple[str, str, str]] = field(default_factory=set)

    @property
    def route(self) -> str:
        match = getattr(self.request, "resolver_match", None)
        return match.view_name if match is not None else ""

    def flush(self) -> None:
        if not self.reads:
            return
        now = timezone.now()
        rawsql.audit_insert(
            [_event(actor, entry, self, now) for actor, entry in self.reads.values()]
        )
        self.reads.clear()


_current: ContextVar[RequestAudit | None] = ContextVar("alliance_audit_request", default=None)


def begin_request(request: HttpRequest) -> tuple[RequestAudit, Any]:
    context = RequestAudit(request=request, ip=client_ip(request))
    return context, _current.set(context)


def end_request(token: Any) -> None:
    _current.reset(token)


def _actor_fields(actor: User | None, context: RequestAudit | None) -> dict[str, Any]:
    if context is None or actor is None or not actor.is_authenticated:
        return {"actor_id": None, "actor_display": "", "actor_role": ActorRole.SYSTEM}
    if actor.role == Role.CLIENT:
        # A client's name is never written into the log: it could not be anonymised later.
        display = f"Client {actor.id.hex[:8]}"
    else:
        display = actor.full_name or actor.email
    return {"actor_id": actor.id, "actor_display": display[:200], "actor_role": actor.role}


def _event(
    actor: User | None, entry: Entry, context: RequestAudit | None, now: Any
) -> dict[str, Any]:
    """One audit row as plain values, by attribute name (``rawsql.audit_insert``)."""
    return {
        "at": now,
        "clinic_id": entry.clinic_id,
        **_actor_fields(actor, context),
        "action": entry.action,
        "record_type": entry.record_type,
        "record_id": "" if entry.record_id is None else str(entry.record_id),
        "subject_id": entry.subject_id,
        "route": context.route if context is not None else "",
        "ip": context.ip if context is not None else None,
        "detail": entry.detail[:100],
    }


def note_read(actor: User, entry: Entry) -> None:
    """A record was handed to ``actor``; logged once the response is ready, unless it is a 5xx."""
    context = _current.get()
    if context is None:
        rawsql.audit_insert([_event(actor, entry, None, timezone.now())])
        return
    key = (entry.action, entry.record_type, str(entry.record_id))
    context.reads.setdefault(key, (actor, entry))


def audit_record(*, actor: User | None, entry: Entry) -> None:
    """Log one write now (call it inside the service's transaction).

    The reads the request has noted so far are written in the same insert: they are saved with
    the change, and the response needs no second transaction for them. They leave the request's
    buffer when the transaction commits; until then a second write in it does not insert them
    again. Should the change roll back, they stay noted and ``AuditMiddleware`` writes them as
    usual.
    """
    context, now = _current.get(), timezone.now()
    event = _event(actor, entry, context, now)
    if context is None or not connection.in_atomic_block:
        rawsql.audit_insert([event])
        return
    pending = [(key, noted) for key, noted in context.reads.items() if key not in context.in_flight]
    if not pending:
        rawsql.audit_insert([event])
        return
    rawsql.audit_insert(
        [*(_event(reader, read, context, now) for _, (reader, read) in pending), event]
    )
    written = [key for key, _ in pending]
    context.in_flight.update(written)

    def forget() -> None:
        for key in written:
            context.reads.pop(key, None)
            context.in_flight.discard(key)

    transaction.on_commit(forget)


def audit_record_unattributed(*, entry: Entry) -> None:
    """Log a write by someone with no account (a request sent from a public reach-out page):
    as the system, with no route and no address. The row outlives the request it logs, and the
    address of someone who only wrote once must not (docs/reach-out.md)."""
    rawsql.audit_insert([_event(None, entry, None, timezone.now())])


def audit_record_bulk(
    *, actor: User | None, entries: Iterable[Entry], at: datetime | None = None
) -> int:
    """Log many writes with one bulk insert; returns how many rows were written.

    ``at`` gives the rows the time of the change they log (a read receipt and its audit row
    must show the same moment); the current time by default.
    """
    context, now = _current.get(), at or timezone.now()
    return rawsql.audit_insert([_event(actor, entry, context, now) for entry in entries])


def audit_export_record(*, actor: User, subject: User | None) -> None:
    """Log that ``actor`` exported the audit log (filtered to ``subject``'s records, if given)."""
    audit_record(
        actor=actor,
        entry=Entry(
            action=AuditAction.EXPORT,
            record_type=RecordType.AUDIT_LOG,
            record_id="",
            subject_id=subject.id if subject is not None else None,
            clinic_id=actor.clinic_id,
            detail="csv",
        ),
    )


def audit_prep_export_record(*, actor: User, episode: Any, with_notes: bool) -> None:
    """Log that ``actor`` downloaded the session-prep summary of ``episode`` as a PDF (and
    whether the free-text notes were in it)."""
    audit_record(
        actor=actor,
        entry=about_episode(
            episode,
            AuditAction.EXPORT,
            RecordType.SESSION_PREP,
            detail="pdf_with_notes" if with_notes else "pdf",
        ),
    )
