"""Periodic jobs on the task queue.

The task queue runs tasks; it does not say when. Each worker's heartbeat thread calls
``periodic_enqueue_due`` every few seconds: for every job whose current time slot (``every``
seconds since the epoch, in UTC) has no ``PeriodicRun`` row yet, it inserts one and enqueues the
job's task. The unique (job, slot) pair means that with any number of workers each slot's task
is enqueued once; a worker that was down for a slot enqueues only the current one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.ops.models import PeriodicRun, WorkerHeartbeat


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    task_path: str  # "module:attribute" of a django-tasks Task

    def task(self) -> Any:
        module, _, attribute = self.task_path.partition(":")
        return getattr(importlib.import_module(module), attribute)


def jobs() -> tuple[PeriodicJob, ...]:
    return (
        # Signals are computed on every check-in; the nightly pass picks up changed clinic
        # thresholds and anything written outside the app (imports, restores).
        PeriodicJob("recompute-signals", timedelta(days=1), "alliance.ops.tasks:recompute_signals"),
        # An expired session can't sign anyone in, but its row still says who was signed in when.
        PeriodicJob("clear-sessions", timedelta(hours=1), "alliance.ops.tasks:clear_sessions"),
        # Reach-out requests past ALLIANCE_REACH_OUT_RETENTION_DAYS (docs/reach-out.md).
        PeriodicJob(
            "purge-reach-outs", timedelta(days=1), "alliance.reachout.tasks:purge_requests"
        ),
        # Retries, due reminders, and anything a dead worker left half-sent.
        # A session's check-in opens when its scheduled end has passed (docs/checkin.md).
        PeriodicJob(
            "open-checkins", timedelta(minutes=1), "alliance.ops.tasks:open_ended_sessions"
        ),
        PeriodicJob(
            "scan-reminders",
            timedelta(seconds=settings.ALLIANCE_REMINDER_SCAN_SECONDS),
            "alliance.messaging.tasks:scan_reminders",
        ),
        # Planned absences: clients told at 09:00 clinic time; the cover told of risk answers.
        PeriodicJob(
            "scan-absences",
            timedelta(seconds=settings.ALLIANCE_REMINDER_SCAN_SECONDS),
            "alliance.absences.tasks:scan_absences",
        ),
        # Research export files are kept ALLIANCE_RESEARCH_EXPORT_DAYS (docs/interoperability.md).
        PeriodicJob(
            "expire-research-exports",
            timedelta(days=1),
            "alliance.exports.tasks:expire_research_exports",
        ),
        PeriodicJob(
            "deliver-due",
            timedelta(seconds=settings.ALLIANCE_OUTBOX_SWEEP_SECONDS),
            "alliance.messaging.tasks:deliver_due",
        ),
    )


def slot_of(job: PeriodicJob, now: datetime) -> datetime:
    seconds = int(job.every.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def periodic_enqueue_due(
    *, worker_id: str, now: datetime | None = None, only: tuple[PeriodicJob, ...] | None = None
) -> list[str]:
    """Enqueue each job whose current slot has not been enqueued by anyone. Returns their names."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs() if only is None else only:
        slot = slot_of(job, now)
        if PeriodicRun.objects.filter(job=job.name, slot=slot).exists():
            continue
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(job=job.name, slot=slot, enqueued_by=worker_id)
                job.task().enqueue()
        except IntegrityError:
            continue  # another worker took this slot
        enqueued.append(job.name)
    return enqueued


def heartbeat(*, worker_id: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now)
    if not updated:
        WorkerHeartbeat.objects.get_or_create(
            worker_id=worker_id, defaults={"started_at": now, "last_seen": now}
        )


HEARTBEAT_FRESH = timedelta(minutes=2)


def worker_status(now: datetime | None = None) -> dict[str, Any]:
    """Whether any worker was alive in the last two minutes, and when each was last seen."""
    now = now or timezone.now()
    beats = list(WorkerHeartbeat.objects.order_by("-last_seen")[:20])
    fresh = [b for b in beats if now - b.last_seen <= HEARTBEAT_FRESH]
    return {
        "ok": bool(fresh),
        "last_seen": beats[0].last_seen if beats else None,
        "workers": [{"id": b.worker_id, "last_seen": b.last_seen.isoformat()} for b in fresh],
    }
