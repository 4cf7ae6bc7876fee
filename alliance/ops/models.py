"""What the workers leave behind: which periodic job ran for which time slot, and when each
worker was last alive (for /healthz)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class PeriodicRun(models.Model):
    """One row per job and time slot: the unique pair is what stops two workers from both
    enqueueing the nightly recompute."""

    job = models.CharField(max_length=60)
    slot = models.DateTimeField()
    enqueued_at = models.DateTimeField(default=timezone.now)
    enqueued_by = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_slot")]
        indexes = [models.Index(fields=["job", "-slot"])]

    def __str__(self) -> str:
        return f"{self.job} @ {self.slot:%Y-%m-%d %H:%M}"


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(max_length=100, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} (seen {self.last_seen:%H:%M:%S})"
