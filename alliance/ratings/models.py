"""The therapist's own rating of a session: the second view of the same hour.

The client never sees it (``alliance.access``: no getter gives it to a client).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from alliance.people.models import CareEpisode, Session, User


class TherapistRating(models.Model):
    """Bond, tasks and goals, 1–7 each, in therapist wording (``alliance.core.discrepancy``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.OneToOneField(
        Session, on_delete=models.PROTECT, related_name="therapist_rating"
    )
    episode = models.ForeignKey(
        CareEpisode, on_delete=models.PROTECT, related_name="therapist_ratings"
    )
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    bond = models.PositiveSmallIntegerField()
    tasks = models.PositiveSmallIntegerField()
    goals = models.PositiveSmallIntegerField()
    alliance = models.FloatField(help_text="Mean of bond, tasks and goals (1–7).")
    version = models.PositiveSmallIntegerField(
        help_text="Version of the items the therapist answered."
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    form_token = models.UUIDField(
        unique=True, help_text="Idempotency key from the form, so a replayed post saves nothing."
    )

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(condition=Q(bond__gte=1, bond__lte=7), name="rating_bond_1_7"),
            models.CheckConstraint(
                condition=Q(tasks__gte=1, tasks__lte=7), name="rating_tasks_1_7"
            ),
            models.CheckConstraint(
                condition=Q(goals__gte=1, goals__lte=7), name="rating_goals_1_7"
            ),
            models.CheckConstraint(
                condition=Q(alliance__gte=1.0, alliance__lte=7.0), name="rating_alliance_1_7"
            ),
        ]

    def __str__(self) -> str:
        return f"Therapist's rating of {self.session}"
