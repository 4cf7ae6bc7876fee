"""Alerts raised by rupture signals, and the repair work recorded against them."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance.checkins.models import CheckIn
from alliance.core import taxonomy
from alliance.crypto import EncryptedTextField
from alliance.people.models import CareEpisode, Session, User


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    REPAIR_RECORDED = "repair_recorded", _("Repair recorded")
    # Risk alerts only: the latest follow-up says the client was reached and where things stand.
    FOLLOWED_UP = "followed_up", _("Followed up")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATES = (
    AlertState.OPEN,
    AlertState.ACKNOWLEDGED,
    AlertState.REPAIR_RECORDED,
    AlertState.FOLLOWED_UP,
)


class Severity(models.IntegerChoices):
    # Same numbers as alliance.core.signals.Severity.
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class ClientFollowup(models.TextChoices):
    NOT_YET = "not_yet", _("Client says not resolved yet")
    PARTLY = "partly", _("Client says partly resolved")


class CloseReason(models.TextChoices):
    RESOLVED_IN_SESSION = (
        "resolved_in_session",
        _("Resolved in session, client confirmed in person"),
    )
    NOT_A_RUPTURE = "not_a_rupture", _("On review, not a rupture")
    # Risk alerts close for their own reasons (RISK_CLOSE_REASONS), after a follow-up.
    SAFE_FOR_NOW = "safe_for_now", _("Followed up: the client is safe for now")
    IN_CRISIS_CARE = (
        "in_crisis_care",
        _("The client is in crisis care elsewhere (crisis team, emergency department, hospital)"),
    )
    NOT_REACHED = (
        "not_reached",
        _("Could not reach the client after several attempts; next steps in the note"),
    )
    ANSWERED_BY_MISTAKE = "answered_by_mistake", _("Answered by mistake, confirmed with the client")
    EPISODE_ENDED = "episode_ended", _("Care episode ended")
    # Dropout-risk alerts close for their own reasons (DROPOUT_CLOSE_REASONS).
    STAYING = "staying", _("Talked it through with the client: they want to carry on")
    NO_DROPOUT_CONCERN = "no_dropout_concern", _("On review, no concern that the client will leave")
    ENDING_PLANNED = (
        "ending_planned",
        _("The client is ending therapy: the ending is planned together"),
    )
    OTHER = "other", _("Other (see note)")


RUPTURE_CLOSE_REASONS = (
    CloseReason.RESOLVED_IN_SESSION,
    CloseReason.NOT_A_RUPTURE,
    CloseReason.OTHER,
)
RISK_CLOSE_REASONS = (
    CloseReason.SAFE_FOR_NOW,
    CloseReason.IN_CRISIS_CARE,
    CloseReason.NOT_REACHED,
    CloseReason.ANSWERED_BY_MISTAKE,
    CloseReason.OTHER,
)
DROPOUT_CLOSE_REASONS = (
    CloseReason.STAYING,
    CloseReason.NO_DROPOUT_CONCERN,
    CloseReason.ENDING_PLANNED,
    CloseReason.OTHER,
)
# A therapist closing with these says what happened in a note.
CLOSE_NEEDS_NOTE = (CloseReason.OTHER, CloseReason.NOT_REACHED)


class AlertCategory(models.TextChoices):
    RUPTURE = "rupture", _("Rupture")
    NOT_ON_TRACK = "not_on_track", _("Not on track")
    RISK = "risk", _("Risk answer")
    # alliance.core.dropout's rule; one active per episode (alliance.ruptures.dropout).
    DROPOUT_RISK = "dropout_risk", _("Dropout risk")
    # The client's check-in reliably below the therapist's rating (alliance.core.discrepancy).
    DISCREPANCY = "discrepancy", _("Two views differ")


class Alert(models.Model):
    """Something the therapist should see, with the repair loop around it.

    Rupture alerts: one per care episode and session, holding every signal that fired there.
    Risk and not-on-track alerts come from a questionnaire or a diary card: one per source
    (``source_key``, e.g. ``diary:<card id>``), with no session.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(CareEpisode, on_delete=models.PROTECT, related_name="alerts")
    category = models.CharField(
        max_length=20, choices=AlertCategory.choices, default=AlertCategory.RUPTURE
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    source_key = models.CharField(max_length=100, blank=True)
    checkin = models.ForeignKey(
        CheckIn, on_delete=models.PROTECT, related_name="alerts", null=True, blank=True
    )
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    state = models.CharField(max_length=20, choices=AlertState.choices, default=AlertState.OPEN)
    client_reported = models.BooleanField(default=False)
    signals = models.JSONField(default=list, help_text=_("The signals behind this alert."))
    summary = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    repair_recorded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by_checkin = models.ForeignKey(
        CheckIn, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    close_reason = models.CharField(max_length=30, choices=CloseReason.choices, blank=True)
    close_note = EncryptedTextField(blank=True)
    client_followup = models.CharField(max_length=10, choices=ClientFollowup.choices, blank=True)
    client_followup_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-severity", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "session"],
                condition=Q(session__isnull=False),
                name="one_alert_per_session",
            ),
            models.UniqueConstraint(
                fields=["episode", "source_key"],
                condition=~Q(source_key=""),
                name="one_alert_per_source",
            ),
            models.CheckConstraint(
                condition=Q(category="rupture", session__isnull=False)
                | (~Q(category="rupture") & ~Q(source_key="")),
                name="alert_has_session_or_source",
            ),
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=3), name="alert_severity_1_3"
            ),
        ]
        indexes = [models.Index(fields=["episode", "state"])]

    def __str__(self) -> str:
        where = self.session or self.source_key
        return f"{self.get_category_display()} alert ({self.get_state_display()}) for {where}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def title(self) -> str:
        if self.category == AlertCategory.RUPTURE and self.session is not None:
            return f"Session {self.session.number}"
        return self.get_category_display()

    @property
    def kinds(self) -> list[str]:
        return [signal["kind"] for signal in self.signals]

    @property
    def headline(self) -> str:
        """What happened, in plain words (the statistics are in ``signal_lines``)."""
        from alliance.ruptures.wording import headline

        return headline(list(self.signals), self.summary)

    @property
    def signal_lines(self) -> list[Any]:
        from alliance.ruptures.wording import signal_lines

        return signal_lines(list(self.signals))

    @property
    def still_to_follow_up(self) -> bool:
        """A risk answer nobody has yet reached the client about (the caseload counts these)."""
        return self.category == AlertCategory.RISK and self.state in (
            AlertState.OPEN,
            AlertState.ACKNOWLEDGED,
        )


class AlertEvent(models.Model):
    """An append-only trail of what happened to an alert, who did it and when."""

    class Action(models.TextChoices):
        OPENED = "opened", _("Opened")
        SIGNAL_ADDED = "signal_added", _("Another signal added")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REPAIR_RECORDED = "repair_recorded", _("Repair recorded")
        REPAIR_AMENDED = "repair_amended", _("Repair record amended")
        CLIENT_NOT_YET = "client_not_yet", _("Client's next check-in: not resolved yet")
        CLIENT_PARTLY = "client_partly", _("Client's next check-in: partly resolved")
        FOLLOWUP_RECORDED = "followup_recorded", _("Risk follow-up recorded")
        RESOLVED = "resolved", _("Resolved by the client's check-in")
        CLOSED = "closed", _("Closed by therapist")

    id = models.BigAutoField(primary_key=True)
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"


class RepairRecord(models.Model):
    """The therapist's record of the rupture and the repair work.

    Amend-only: a correction adds a new record; the newest is current, the rest are history.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="repairs")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    rupture_type = models.CharField(max_length=20, choices=taxonomy.RUPTURE_TYPES)
    markers = models.JSONField(default=list, blank=True)
    strategies = models.JSONField(default=list, blank=True)
    notes = EncryptedTextField(blank=True)
    next_session_plan = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"Repair record of {self.recorded_at:%Y-%m-%d %H:%M}"

    def rupture_type_label(self) -> str:
        """The kind of rupture in the reader's language."""
        return gettext(dict(taxonomy.RUPTURE_TYPES).get(self.rupture_type, self.rupture_type))

    def marker_labels(self) -> list[str]:
        """The markers noticed, in the reader's language."""
        return [gettext(label) for label in taxonomy.labels(list(self.markers), taxonomy.MARKERS)]

    def strategy_labels(self) -> list[str]:
        """The resolution strategies used, in the reader's language."""
        chosen = taxonomy.labels(list(self.strategies), taxonomy.RESOLUTION_STRATEGIES)
        return [gettext(label) for label in chosen]


class FollowUpAction(models.TextChoices):
    CONTACTED = "contacted", _("Contacted the client (call, message or in person)")
    SAFETY_PLAN = "safety_plan", _("Reviewed the safety plan with the client")
    SESSION = "session", _("Brought it to a session")
    ESCALATED = (
        "escalated",
        _("Escalated or consulted (supervisor, crisis team, emergency services)"),
    )
    OTHER = "other", _("Something else (say what in the note)")


class FollowUpOutcome(models.TextChoices):
    SAFE_FOR_NOW = "safe_for_now", _("Reached: safe for now, safety plan in place")
    IN_CRISIS_CARE = "in_crisis_care", _("Reached: in crisis care elsewhere")
    MORE_NEEDED = "more_needed", _("Reached: more follow-up needed")
    NOT_REACHED = "not_reached", _("Could not reach the client yet")
    OTHER = "other", _("Other (say what in the note)")


# Outcomes after which the risk answer still needs following up: the alert stays counted in the
# caseload's "Risk answers to follow up" until a later follow-up (or a close) settles it.
STILL_TO_FOLLOW_UP = (FollowUpOutcome.MORE_NEEDED, FollowUpOutcome.NOT_REACHED)


class RiskFollowUp(models.Model):
    """What the therapist did about a risk answer, when, and how it went.

    A risk alert is not a rupture: it gets this record instead of the 3RS repair record. Each
    attempt is its own row (a call that did not reach the client, then the one that did); the
    newest decides where the alert stands. ``done_at`` is when it was done, ``recorded_at``
    when it was written down.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="followups")
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField()
    actions = models.JSONField(default=list)
    outcome = models.CharField(max_length=20, choices=FollowUpOutcome.choices)
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["-done_at", "-recorded_at"]

    def __str__(self) -> str:
        return f"Risk follow-up of {self.done_at:%Y-%m-%d %H:%M}"

    @property
    def settles(self) -> bool:
        """Whether this follow-up takes the alert off the list of risk answers to follow up."""
        return self.outcome not in STILL_TO_FOLLOW_UP

    def action_labels(self) -> list[str]:
        labels = dict(FollowUpAction.choices)
        return [str(labels.get(code, code)) for code in self.actions]
