"""A therapist's planned absence, the cover clinician, and what clients were told of it."""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.core import absence as rules
from alliance.crypto import EncryptedTextField
from alliance.messaging.models import OutboxMessage
from alliance.people.models import Clinic, Session, User


class Absence(models.Model):
    """``starts_on`` to ``ends_on``, both included, are local dates in the clinic's time zone.

    The cover's access is derived from these dates and the clock (``alliance.access``): nothing
    has to run for it to start or to end.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="absences")
    therapist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="absences")
    starts_on = models.DateField()
    ends_on = models.DateField()
    cover = models.ForeignKey(User, on_delete=models.PROTECT, related_name="covering")
    # How clients reach the cover (a phone line, an extension, an email): shown to the clients.
    cover_contact = models.CharField(max_length=300)
    message_to_clients = EncryptedTextField(blank=True)
    lead_days = models.PositiveSmallIntegerField(default=rules.DEFAULT_LEAD_DAYS)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on"]
        indexes = [
            models.Index(fields=["therapist", "ends_on"]),
            models.Index(fields=["cover", "ends_on"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="absence_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(cover=F("therapist")), name="absence_cover_is_someone_else"
            ),
            models.CheckConstraint(
                condition=Q(lead_days__gte=rules.MIN_LEAD_DAYS)
                & Q(lead_days__lte=rules.MAX_LEAD_DAYS),
                name="absence_lead_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapist} away {self.starts_on} to {self.ends_on}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def covers(self, today: date) -> bool:
        return not self.is_cancelled and rules.covers(self.starts_on, self.ends_on, today)


class NoticeKind(models.TextChoices):
    LEAD = rules.LEAD, _("First notice")
    WEEK = rules.WEEK, _("A week before")
    DAY_BEFORE = rules.DAY_BEFORE, _("The day before")


class AbsenceNotice(models.Model):
    """One client told of one absence, once per kind: the unique row is what makes a notice
    never go twice, whatever the scans and workers do."""

    absence = models.ForeignKey(Absence, on_delete=models.PROTECT, related_name="notices")
    client = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=NoticeKind.choices)
    queued_at = models.DateTimeField(default=timezone.now)
    # The email; None when the client has email turned off (the home page still tells them).
    message = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["absence", "client", "kind"], name="absence_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.client_id}"


class AbsenceCancellation(models.Model):
    """A session the absence cancelled (so it reads "cancelled: therapist away", not missed,
    and goes back on the calendar if the absence is called off before it)."""

    absence = models.ForeignKey(Absence, on_delete=models.PROTECT, related_name="cancellations")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(default=timezone.now)
    # Set when the absence was called off and the session went back to scheduled.
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(restored_at__isnull=True),
                name="absence_cancels_a_session_once",
            )
        ]

    def __str__(self) -> str:
        return f"Session {self.session_id} cancelled by absence {self.absence_id}"
