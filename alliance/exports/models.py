"""Research exports: the clinic's pseudonymisation key and each export file made with it.

The client's own export and the FHIR downloads are made on request and never stored; a research
export can take minutes for a large clinic, so the worker builds it into the data folder and
the clinic admin downloads it when it is ready (``alliance.exports.research``).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.crypto import EncryptedTextField
from alliance.people.models import Clinic, User


class ResearchKey(models.Model):
    """The secret behind a clinic's pseudonyms and date shifts, made on its first export.

    Stable: every export made with the same key gives a person the same pseudonym and the same
    date shift, so a study can join one export to the next. Encrypted at rest like free text.
    """

    clinic = models.OneToOneField(
        Clinic, on_delete=models.PROTECT, primary_key=True, related_name="research_key"
    )
    key = EncryptedTextField(help_text="64 hex characters (32 random bytes).")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Research key of {self.clinic}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting for the worker")
    RUNNING = "running", _("Being built")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Deleted after its keeping time")


class ResearchExport(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="research_exports")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    key_fingerprint = models.CharField(max_length=16, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    rows = models.JSONField(default=dict, blank=True, help_text="Rows per table.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["clinic", "-requested_at"])]

    def __str__(self) -> str:
        return f"Research export of {self.requested_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def file_name(self) -> str:
        return f"alliance-research-{self.requested_at:%Y-%m-%d}-{self.id.hex[:8]}.zip"
