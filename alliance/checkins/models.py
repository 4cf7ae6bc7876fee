"""The client's answers after a session."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from alliance.crypto import EncryptedTextField
from alliance.people.models import CareEpisode, Session, User


class CheckIn(models.Model):
    """One check-in per session; the numbers are columns so they stay queryable."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="checkin")
    episode = models.ForeignKey(CareEpisode, on_delete=models.PROTECT, related_name="checkins")
    client = models.ForeignKey(User, on_delete=models.PROTECT, related_name="checkins")
    bond = models.PositiveSmallIntegerField()
    tasks = models.PositiveSmallIntegerField()
    goals = models.PositiveSmallIntegerField()
    tension = models.PositiveSmallIntegerField()
    talked = models.PositiveSmallIntegerField(null=True, blank=True)
    resolved = models.PositiveSmallIntegerField(null=True, blank=True)
    followup_resolved = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = EncryptedTextField(blank=True, default="")
    alliance = models.FloatField(help_text="Composite: mean of bond, tasks and goals (1–7).")
    submitted_at = models.DateTimeField(default=timezone.now)
    therapist_read_at = models.DateTimeField(null=True, blank=True)
    form_token = models.UUIDField(
        unique=True, help_text="Idempotency key from the form, so a replayed post saves nothing."
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["episode", "submitted_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(bond__gte=1, bond__lte=7), name="checkin_bond_1_7"),
            models.CheckConstraint(
                condition=Q(tasks__gte=1, tasks__lte=7), name="checkin_tasks_1_7"
            ),
            models.CheckConstraint(
                condition=Q(goals__gte=1, goals__lte=7), name="checkin_goals_1_7"
            ),
            models.CheckConstraint(
                condition=Q(tension__gte=0, tension__lte=4), name="checkin_tension_0_4"
            ),
            models.CheckConstraint(
                condition=Q(talked__isnull=True) | Q(talked__gte=0, talked__lte=2),
                name="checkin_talked_0_2",
            ),
            models.CheckConstraint(
                condition=Q(resolved__isnull=True) | Q(resolved__gte=0, resolved__lte=4),
                name="checkin_resolved_0_4",
            ),
            models.CheckConstraint(
                condition=Q(followup_resolved__isnull=True)
                | Q(followup_resolved__gte=0, followup_resolved__lte=2),
                name="checkin_followup_0_2",
            ),
            models.CheckConstraint(
                condition=Q(alliance__gte=1.0, alliance__lte=7.0), name="checkin_alliance_1_7"
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in for {self.session}"
