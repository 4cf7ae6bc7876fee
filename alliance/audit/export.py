"""The audit log as CSV, safe to open in a spreadsheet (``alliance.core.spreadsheet``)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC

from alliance.audit.models import AuditEvent
from alliance.audit.words import describe_for_staff
from alliance.core.spreadsheet import csv_safe

HEADER = [
    "when (UTC)",
    "who",
    "role",
    "action",
    "record type",
    "record id",
    "whose record",
    "detail",
    "page",
    "IP address",
    "what happened",
]


class _Line:
    """A file-like object whose write() hands back the line, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    for event in events:
        yield writer.writerow(
            [
                csv_safe(cell)
                for cell in (
                    event.at.astimezone(UTC).isoformat(timespec="seconds"),
                    event.actor_label,
                    event.get_actor_role_display(),
                    event.get_action_display(),
                    event.get_record_type_display(),
                    event.record_id,
                    event.subject.full_name if event.subject is not None else "",
                    event.detail,
                    event.route,
                    event.ip or "",
                    describe_for_staff(event),
                )
            ]
        )
