"""The audit log: who opened or changed which client's record, when and from where.

Append-only. The app can add rows and read them, nothing else: ``save()`` refuses to update,
``delete()`` refuses, the queryset refuses ``update()`` and ``delete()``, and database triggers
(migration 0002) refuse UPDATE and DELETE from any other code path. A row never holds the
content of a record (no answers, comments or notes), only what kind of record it was and its id.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.people.models import Clinic, User

SYSTEM_LABEL = "Alliance (automatic)"


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit row."""

    def __init__(self) -> None:
        super().__init__("The audit log is append-only: its rows cannot be changed or deleted.")


class AuditAction(models.TextChoices):
    VIEW = "view", _("Opened")
    LIST = "list", _("Listed")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    TRANSITION = "transition", _("Changed status")
    EXPORT = "export", _("Exported")
    ANONYMISE = "anonymise", _("Anonymised")
    LEGAL_HOLD = "legal_hold", _("Legal hold placed")
    LEGAL_HOLD_CLEARED = "legal_hold_cleared", _("Legal hold cleared")
    DELETE = "delete", _("Deleted")


class RecordType(models.TextChoices):
    PERSON = "person", _("Person")
    CARE_EPISODE = "care_episode", _("Care episode")
    SESSION = "session", _("Session")
    CHECKIN = "checkin", _("Check-in")
    ALERT = "alert", _("Alert")
    REPAIR_RECORD = "repair_record", _("Repair record")
    INVITE = "invite", _("Invitation")
    AUDIT_LOG = "audit_log", _("Audit log")
    DIARY_CARD = "diary_card", _("Diary card")
    DIARY_TARGET = "diary_target", _("Diary card target")
    OUTCOME_RESPONSE = "outcome_response", _("Questionnaire answers")
    OUTCOME_SCHEDULE = "outcome_schedule", _("Questionnaire schedule")
    INSTRUMENT = "instrument", _("Questionnaire definition")
    CLINIC_SAFETY = "clinic_safety", _("Safety settings")
    RESEARCH_EXPORT = "research_export", _("Research export")
    SAFETY_PLAN = "safety_plan", _("Safety plan")
    THERAPIST_RATING = "therapist_rating", _("Therapist's session rating")
    # Figures about a therapist's work, seen by their supervisor (alliance/supervision).
    SUPERVISION = "supervision", _("Supervision figures")
    CLINIC_ANALYSIS = "clinic_analysis", _("Alliance–outcome analysis")
    SESSION_PREP = "session_prep", _("Session-prep summary")
    API_TOKEN = "api_token", _("API access token")
    REACH_OUT = "reach_out", _("Reach-out request")
    REACH_OUT_PAGE = "reach_out_page", _("Reach-out page")


class ActorRole(models.TextChoices):
    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    SYSTEM = "system", _("Automatic")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_display = models.CharField(
        max_length=200,
        help_text=_("Staff name at the time; never a client's name, so anonymisation is complete."),
    )
    actor_role = models.CharField(max_length=20, choices=ActorRole.choices)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    record_id = models.CharField(max_length=64, blank=True)
    subject = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Whose record it is (the client, or the staff member for a staff account)."),
    )
    route = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("A fixed code (e.g. 'acknowledged'), never free text."),
    )

    objects: ClassVar[AuditEventQuerySet] = AuditEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-at", "-id"]
        # Related-object lookups go through the base manager; it must refuse changes too.
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["clinic", "at"], name="audit_clinic_at"),
            models.Index(fields=["subject", "at"], name="audit_subject_at"),
            # "Who has seen my records" groups a person's rows into visits (audit/visits.py):
            # each step from one of their rows to the next is a seek on this index.
            models.Index(fields=["subject", "actor", "at", "id"], name="audit_subject_actor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.get_action_display().lower()} {self.record_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly
        # Never let Django try an UPDATE first, even if someone sets a primary key by hand.
        kwargs["force_insert"] = True
        kwargs.pop("force_update", None)
        kwargs.pop("update_fields", None)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly

    @property
    def actor_label(self) -> str:
        """The name to show: clients by their current name, which is anonymised with them."""
        if self.actor_role == ActorRole.SYSTEM:
            return SYSTEM_LABEL
        if self.actor_role == ActorRole.CLIENT and self.actor is not None:
            return str(self.actor)
        return self.actor_display
