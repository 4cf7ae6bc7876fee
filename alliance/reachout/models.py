"""Reaching out: public pages where someone who is not a client yet can write to a therapist
or to the clinic, and the requests that come in through them.

A page is a therapist's own (they opt in from their account) or the clinic's (a clinic admin
opts in). A request has no account behind it: who wrote, how to reach them, what they shared
and the answer are encrypted at rest, and the whole row is deleted after
``ALLIANCE_REACH_OUT_RETENTION_DAYS`` (docs/reach-out.md).
"""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.crypto import EncryptedTextField
from alliance.people.models import Clinic, User

SLUG_HELP = _("3 to 60 lower-case letters, digits and hyphens, e.g. teresa-tran.")
validate_slug = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{1,58})[a-z0-9]$",
    _("Please use 3 to 60 lower-case letters, digits and hyphens (not at either end)."),
)


class ReachOutPage(models.Model):
    """A public "You're welcome to reach out" page: a therapist's (``therapist`` set) or the
    clinic's (``therapist`` empty). Closing it keeps the row, its address and its requests."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    therapist = models.OneToOneField(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="reach_out_page"
    )
    slug = models.CharField(max_length=60, unique=True, validators=[validate_slug])
    display_name = models.CharField(max_length=120)
    # The words the therapist or the clinic chose to greet whoever comes; public, so not secret.
    welcome = models.TextField(max_length=1500, blank=True)
    is_open = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic"],
                condition=Q(therapist__isnull=True),
                name="reach_out_one_clinic_page",
            ),
        ]

    def __str__(self) -> str:
        return f"Reach-out page {self.slug}"

    @property
    def is_clinic_page(self) -> bool:
        return self.therapist_id is None


class RequestStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for an answer")
    REPLIED = "replied", _("Answered")
    DECLINED = "declined", _("Declined kindly")
    INVITED = "invited", _("Invited as a client")


class ReachOutRequest(models.Model):
    """Someone reached out through a page. Answered once: a reply, a kind decline, or an
    invitation to become a client; any answer also goes to them by email, through the outbox."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    page = models.ForeignKey(ReachOutPage, on_delete=models.PROTECT, related_name="requests")
    # The hidden token of the form they sent: sending the same form twice stores it once.
    form_token = models.UUIDField(unique=True)
    name = EncryptedTextField()
    email = EncryptedTextField()
    phone = EncryptedTextField(blank=True)
    message = EncryptedTextField(blank=True)
    consent_at = models.DateTimeField(help_text="When they agreed to be contacted.")
    received_at = models.DateTimeField(default=timezone.now)
    # They have no account to hold a language: the answer is written in the page's language.
    language = models.CharField(
        max_length=16, blank=True, default="", help_text="The language of the page they wrote on."
    )
    status = models.CharField(
        max_length=10, choices=RequestStatus.choices, default=RequestStatus.WAITING
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What went to them (the reply or the decline), as written.
    answer = EncryptedTextField(blank=True)
    # Whose caseload an invitation added them to.
    invited_to = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["page", "status", "received_at"], name="reach_out_page_status"),
            models.Index(fields=["received_at"], name="reach_out_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="waiting") | Q(answered_at__isnull=False),
                name="reach_out_answered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Reach-out request {self.id} ({self.get_status_display()})"

    @property
    def is_waiting(self) -> bool:
        return self.status == RequestStatus.WAITING
