"""Who supervises whom, and whether a clinic lets supervisors see client names."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from alliance.people.models import Clinic, User


class SupervisorAssignment(models.Model):
    """A clinic admin assigned ``supervisor`` to ``therapist``; ended, never deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    supervisor = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervision_assignments"
    )
    therapist = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="supervisor_assignments"
    )
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["supervisor", "therapist"],
                condition=Q(ended_at__isnull=True),
                name="one_current_assignment_per_pair",
            ),
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("therapist")),
                name="supervisor_is_not_the_therapist",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supervisor} supervises {self.therapist}"


class SupervisionSettings(models.Model):
    """Off by default: supervisors see clients as "Client A", "Client B"."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="supervision_settings"
    )
    show_client_names = models.BooleanField(default=False)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Supervision settings of {self.clinic}"
