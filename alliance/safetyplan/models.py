"""A client's own safety plan: one per care episode, every save a new version.

The parts are the client's own words (alliance/core/safety_plan.py), encrypted at rest like
every other free text (alliance/crypto.py). A version is never changed after it is written,
except to stamp that the therapist and client went through it together.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.core.safety_plan import SECTION_KEYS
from alliance.crypto import EncryptedTextField
from alliance.people.models import CareEpisode, User


class Author(models.TextChoices):
    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist")


class SafetyPlan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.OneToOneField(
        CareEpisode, on_delete=models.PROTECT, related_name="safety_plan"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The number of the newest version: a save names the version it was edited from, and only
    # the save that moves this number on from it wins (services.safety_plan_save).
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Safety plan of {self.episode}"


class SafetyPlanVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(SafetyPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    written_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    author = models.CharField(max_length=10, choices=Author.choices)
    written_at = models.DateTimeField(default=timezone.now)
    changed = models.JSONField(default=list, help_text="The keys of the parts this save changed.")
    warning_signs = EncryptedTextField(blank=True, default="")
    on_my_own = EncryptedTextField(blank=True, default="")
    people_places = EncryptedTextField(blank=True, default="")
    ask_for_help = EncryptedTextField(blank=True, default="")
    professionals = EncryptedTextField(blank=True, default="")
    safer_surroundings = EncryptedTextField(blank=True, default="")
    reasons_for_living = EncryptedTextField(blank=True, default="")
    # "We went through it together": the therapist's stamp on the version they reviewed.
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="safety_plan_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="safety_plan_version_positive"),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True) | Q(reviewed_by__isnull=False),
                name="safety_plan_review_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"Safety plan version {self.number}"

    def texts(self) -> dict[str, str]:
        """Each part's text, by its key."""
        return {key: getattr(self, key) for key in SECTION_KEYS}
