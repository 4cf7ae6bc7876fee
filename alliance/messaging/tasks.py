"""Background tasks (Django's tasks API through the django-tasks backport, database backend).

``alliance worker`` runs them; the periodic ones are enqueued by ``alliance.ops.periodic``.
"""

from __future__ import annotations

import uuid

from django_tasks import task


@task()
def deliver_message(message_id: str) -> str:
    from alliance.messaging.services import messages_deliver_due

    report = messages_deliver_due(only=uuid.UUID(message_id))
    return (
        f"sent={report.sent} retried={report.retried} failed={report.failed} "
        f"skipped={report.skipped}"
    )


@task()
def deliver_due() -> str:
    """The sweep: everything due, including retries and rows a dead worker left half-sent."""
    from alliance.messaging.services import messages_deliver_due

    total = 0
    while True:
        report = messages_deliver_due(limit=200)
        done = report.sent + report.retried + report.failed + report.skipped
        total += report.sent
        if done < 200:
            return f"{total} sent"


@task()
def scan_reminders() -> str:
    from alliance.messaging.reminders import reminders_scan

    report = reminders_scan()
    return (
        f"check-in {report.checkin}, diary {report.diary}, "
        f"questionnaire {report.questionnaire}, risk {report.risk}, "
        f"rupture {report.rupture} queued"
    )
