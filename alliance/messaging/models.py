"""The outbox: every message Alliance sends is a row here first.

A row is written in the same transaction as the change that calls for it, so a message is never
lost when a process dies, and its ``idempotency_key`` is unique, so the same reminder or notice
is never queued twice. Workers claim rows with a lease (``claimed_until``) before sending; a
worker killed mid-send leaves a row that another worker reclaims once the lease runs out.

Bodies hold no clinical content (no score, comment or diagnosis): "You have a check-in
waiting", with a link. They may hold a one-time link (a password reset, say), so they are
encrypted at rest like other free text.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.crypto import EncryptedTextField
from alliance.people.models import Clinic, User


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")


class MessageKind(models.TextChoices):
    CHECKIN_REMINDER = "checkin_reminder", _("Check-in reminder")
    QUESTIONNAIRE_REMINDER = "questionnaire_reminder", _("Questionnaire reminder")
    DIARY_REMINDER = "diary_reminder", _("Diary card reminder")
    RISK_NOTICE = "risk_notice", _("Risk answer notice")
    RUPTURE_NOTICE = "rupture_notice", _("Rupture alert notice")
    RUPTURE_DIGEST = "rupture_digest", _("Daily alert digest")
    INVITATION = "invitation", _("Invitation")
    PASSWORD_RESET = "password_reset", _("Password reset")
    EMAIL_CHANGE = "email_change", _("Email change")
    ACCOUNT = "account", _("Account message")
    ABSENCE_NOTICE = "absence_notice", _("Therapist absence notice")
    REACH_OUT_ANSWER = "reach_out_answer", _("Answer to a reach-out request")


class MessageState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Did not go out")
    CANCELLED = "cancelled", _("Cancelled")
    SKIPPED = "skipped", _("Skipped")


FINAL_STATES = (
    MessageState.SENT,
    MessageState.FAILED,
    MessageState.CANCELLED,
    MessageState.SKIPPED,
)


class OutboxMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # What makes this message this message: "checkin_reminder:<session id>", say. A second
    # request for the same key finds the first row instead of queueing a duplicate.
    idempotency_key = models.CharField(max_length=200, unique=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", null=True)
    recipient = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="messages", null=True, blank=True
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=200)
    body = EncryptedTextField()
    # The item the message is about (a session, a questionnaire, an alert), for "only if still
    # not done" and for the therapist's view of what went out.
    about_type = models.CharField(max_length=40, blank=True)
    about_id = models.UUIDField(null=True, blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=10, choices=MessageState.choices, default=MessageState.QUEUED
    )
    skip_reason = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["about_type", "about_id"]),
            models.Index(fields=["clinic", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_attempts__gte=1),
                name="outbox_max_attempts_range",
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(claimed_until__isnull=False),
                name="outbox_sending_is_claimed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.to_address} ({self.get_state_display()})"


class RuptureNoticeMode(models.TextChoices):
    DIGEST = "digest", _("Once a day, in a digest")
    IMMEDIATE = "immediate", _("At once")
    OFF = "off", _("Not by email")


class MessagePreferences(models.Model):
    """What a person wants to hear from Alliance, and when. No row means the defaults.

    Clients: which reminders, the diary card's time, quiet hours in their own time zone, a
    pause, and email on or off. Therapists: the risk-answer email (on unless they turn it off)
    and how they hear of new high-priority rupture alerts.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="message_preferences")
    email = models.BooleanField(default=True)
    checkin_reminders = models.BooleanField(default=True)
    questionnaire_reminders = models.BooleanField(default=True)
    # Off until the client picks a time: a nightly email is theirs to ask for.
    diary_reminders = models.BooleanField(default=False)
    diary_time = models.TimeField(default=time(20, 0))
    second_nudge = models.BooleanField(default=False)
    quiet_start = models.TimeField(default=time(21, 0))
    quiet_end = models.TimeField(default=time(8, 0))
    paused_until = models.DateTimeField(null=True, blank=True)
    risk_email = models.BooleanField(default=True)
    rupture_notices = models.CharField(
        max_length=10, choices=RuptureNoticeMode.choices, default=RuptureNoticeMode.DIGEST
    )
    digest_time = models.TimeField(default=time(8, 0))
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(quiet_start=models.F("quiet_end")), name="quiet_hours_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"Message preferences of {self.user}"

    def is_paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until


def preferences_for(user: User) -> MessagePreferences:
    """The person's preferences, or the defaults (unsaved) when they never changed them."""
    # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError; a row
    # loaded with select_related("...message_preferences") costs no query here.
    found = getattr(user, "message_preferences", None)
    return found if isinstance(found, MessagePreferences) else MessagePreferences(user=user)
