"""`alliance worker`: runs the task queue (django-tasks' database backend) and the periodic jobs.

A worker is two threads: the main thread runs django-tasks-db's own worker loop (``db_worker``),
which claims one task at a time in a locked transaction, so several workers on one PostgreSQL
never run the same task; a small thread beats every ``ALLIANCE_WORKER_BEAT_SECONDS``: it
records that this worker is alive (``/healthz`` reads it) and enqueues the periodic jobs whose
slot has come (``alliance.ops.periodic``). ``alliance worker --once`` enqueues what is due,
runs every queued task, and exits (for cron or a systemd timer instead of a long-running
process).

Messages are never sent twice by two workers: they are claimed row by row in the outbox
(``alliance.messaging.services``), whatever the task queue does.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.conf import settings
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from alliance.cli_language import in_cli_language
from alliance.messaging.services import default_worker_id

log = logging.getLogger("alliance.worker")


def say(line: str) -> None:
    """A line for the person watching the worker (what goes in the log stays English)."""
    print(f"[worker] {line}", flush=True)  # untranslated: the tag logs are searched by


def say_enqueued(name: str) -> None:
    with in_cli_language():
        say(gettext("enqueued %(task)s") % {"task": name})


def beat_once(worker_id: str) -> list[str]:
    from alliance.ops.periodic import heartbeat, periodic_enqueue_due

    heartbeat(worker_id=worker_id)
    return periodic_enqueue_due(worker_id=worker_id)


class Beat(threading.Thread):
    def __init__(self, worker_id: str) -> None:
        super().__init__(name="alliance-beat", daemon=True)
        self.worker_id = worker_id
        self.every = float(settings.ALLIANCE_WORKER_BEAT_SECONDS)
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.is_set():
                close_old_connections()
                try:
                    for name in beat_once(self.worker_id):
                        say_enqueued(name)
                except Exception:  # a database blip must not end the beat
                    log.exception("worker beat failed")
                self.stopped.wait(self.every)
        finally:
            connection.close()


def run(*, once: bool, worker_id: str | None = None, interval: float = 1.0) -> int:
    worker_id = worker_id or default_worker_id()
    started = timezone.now()
    if once:
        for name in beat_once(worker_id):
            say_enqueued(name)
        call_command(
            "db_worker",
            queue_name="*",
            batch=True,
            startup_delay=False,
            reload=False,
            worker_id=worker_id,
            verbosity=1,
        )
        return _failures_since(started)
    beat = Beat(worker_id)
    beat.start()
    with in_cli_language():
        say(gettext("%(worker)s running the task queue (Ctrl+C to stop)") % {"worker": worker_id})
    try:
        call_command(
            "db_worker",
            queue_name="*",
            interval=interval,
            reload=False,
            worker_id=worker_id,
            verbosity=1,
        )
    finally:
        beat.stopped.set()
    return 0


def _failures_since(started: datetime) -> int:
    from django_tasks_db.models import DBTaskResult

    failed = DBTaskResult.objects.failed().filter(started_at__gte=started).count()
    if failed:
        with in_cli_language():
            say(
                ngettext(
                    "%(count)s task failed (see the log)",
                    "%(count)s tasks failed (see the log)",
                    failed,
                )
                % {"count": failed}
            )
    return 1 if failed else 0
