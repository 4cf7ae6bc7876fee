"""Outcome questionnaires: imported definitions, schedules, responses, and clinic safety settings.

The built-in PHQ-9 and GAD-7 come from the package (``alliance.core.definitions``) and are never
stored; a clinic's imported definitions are stored here, one row per id and version.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.crypto import EncryptedTextField
from alliance.people.models import CareEpisode, Clinic, User


class DefinitionSource(models.TextChoices):
    JSON = "json", _("Definition file (JSON)")
    FHIR = "fhir", _("FHIR R4 Questionnaire with a scoring block")


class InstrumentDefinition(models.Model):
    """A clinic's imported outcome definition: the validated JSON and what identifies it.

    Never edited: a change of wording, options or scoring is a new ``version``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="instruments")
    instrument_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    licence = models.TextField()
    attribution = models.TextField()
    definition = models.JSONField(help_text="The validated definition, in our JSON format.")
    digest = models.CharField(
        max_length=64, help_text="SHA-256 of the definition as canonical JSON, to spot a re-import."
    )
    source = models.CharField(max_length=10, choices=DefinitionSource.choices)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["instrument_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "instrument_id", "version"], name="one_definition_per_version"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="definition_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} v{self.version} ({self.clinic})"


class OutcomeSchedule(models.Model):
    """When one questionnaire is due in one care episode.

    Any combination of: at intake, every N sessions (sessions N, 2N, …), every N weeks after
    the episode started, at discharge.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(
        CareEpisode, on_delete=models.PROTECT, related_name="outcome_schedules"
    )
    instrument_id = models.CharField(max_length=64)
    at_intake = models.BooleanField(default=False)
    every_sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    every_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    at_discharge = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["instrument_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument_id"], name="one_schedule_per_instrument"
            ),
            models.CheckConstraint(
                condition=Q(every_sessions__isnull=True) | Q(every_sessions__gte=1),
                name="schedule_every_sessions_positive",
            ),
            models.CheckConstraint(
                condition=Q(every_weeks__isnull=True) | Q(every_weeks__gte=1),
                name="schedule_every_weeks_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id} schedule for {self.episode}"


class OutcomeResponse(models.Model):
    """One completed questionnaire: the answers, the score, and the occasion it was due for.

    ``occasion`` names the due item (``intake``, ``session-4``, ``week-2``, ``discharge``);
    each is completed once per episode and instrument (a database constraint), and a replayed
    form (same ``form_token``) returns the response already saved.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(
        CareEpisode, on_delete=models.PROTECT, related_name="outcome_responses"
    )
    client = models.ForeignKey(User, on_delete=models.PROTECT, related_name="outcome_responses")
    instrument_id = models.CharField(max_length=64)
    instrument_version = models.PositiveIntegerField()
    occasion = models.CharField(max_length=40)
    session_index = models.PositiveIntegerField(
        help_text="Sessions attended in the episode before this response: its x in the series."
    )
    answers = models.JSONField(help_text="Choice answers by item key (None when left blank).")
    text_answers = EncryptedTextField(
        blank=True, default="", help_text="Free-text answers as JSON, encrypted."
    )
    composite = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=100, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    unscored_reason = models.CharField(max_length=300, blank=True)
    risk = models.JSONField(default=list, blank=True, help_text="Safety rules the answers met.")
    submitted_at = models.DateTimeField(default=timezone.now)
    form_token = models.UUIDField(
        unique=True, help_text="Idempotency key from the form, so a replayed post saves nothing."
    )

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument_id", "occasion"], name="one_response_per_occasion"
            ),
        ]
        indexes = [models.Index(fields=["episode", "instrument_id", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.instrument_id} ({self.occasion}) for {self.episode}"

    @property
    def has_risk(self) -> bool:
        return bool(self.risk)


class ClinicSafety(models.Model):
    """A clinic's safety rules and crisis resources; empty means the defaults.

    Both are JSON in the formats of ``alliance.core.safety.load_rules`` and
    ``load_crisis_resources``, validated before they are saved (``outcomes.safety``).
    """

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="safety"
    )
    rules = models.JSONField(null=True, blank=True)
    crisis_resources = models.JSONField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Safety settings of {self.clinic}"
