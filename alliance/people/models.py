"""People, clinics, care episodes and sessions."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
import zoneinfo
from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.timezone import localdate
from django.utils.timezone import now as tz_now
from django.utils.translation import gettext_lazy as _


@functools.cache
def _known_zones() -> frozenset[str]:
    # available_timezones() walks the whole tz database on every call.
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _known_zones():
        raise ValidationError(
            _("“%(zone)s” is not a known time zone (for example America/Toronto).")
            % {"zone": value}
        )


class Region(models.TextChoices):
    """Where a clinic's clients live: decides which crisis lines the help page shows."""

    CA = "CA", _("Canada")
    US = "US", _("United States")
    UK = "UK", _("United Kingdom")
    AU = "AU", _("Australia")


class Clinic(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    timezone = models.CharField(
        max_length=64, default="America/Toronto", validators=[validate_timezone]
    )
    checkin_window_hours = models.PositiveIntegerField(
        default=settings.ALLIANCE_DEFAULT_CHECKIN_HOURS,
        help_text=_(
            "How long a session's check-in stays open after the session is marked attended."
        ),
    )
    signal_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Overrides of the rupture-signal thresholds (see docs/signals.md)."),
    )
    dropout_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Overrides of the dropout-risk rule and the not-heard-from days "
            "(alliance.core.dropout.DropoutSettings, see docs/signals.md)."
        ),
    )
    retention_days = models.PositiveIntegerField(
        default=3650,
        help_text=(
            _(
                "Days after a client's last contact before `alliance retention --apply` anonymises "
                "their record. Must match the law and your regulator (see docs/security-audit.md)."
            )
        ),
    )
    region = models.CharField(
        max_length=8,
        choices=Region.choices,
        default=Region.CA,
        help_text=_("Where the clinic's clients live: decides which crisis lines pages show."),
    )
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_hours = models.CharField(
        max_length=200, blank=True, help_text=_("When the clinic answers, e.g. Mon-Fri 9-5.")
    )
    created_at = models.DateTimeField(default=tz_now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(checkin_window_hours__gte=1) & Q(checkin_window_hours__lte=24 * 14),
                name="clinic_checkin_window_range",
            ),
            # No jurisdiction we know of asks for less than a year; a smaller number is a typo.
            models.CheckConstraint(
                condition=Q(retention_days__gte=365), name="clinic_retention_at_least_a_year"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist")
    CLINIC_ADMIN = "clinic_admin", _("Clinic admin")
    # Sees figures about the therapists a clinic admin assigned them, never a record or a note.
    SUPERVISOR = "supervisor", _("Supervisor")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        fields.setdefault("display_name", (fields.get("full_name") or "").strip()[:80])
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.CLINIC_ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    """Anyone who logs in. Login is by email; the role decides what they may see."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    # How the person is addressed on every page ("Maya", "Dr. Chen"): chosen, never derived by
    # splitting the full name.
    display_name = models.CharField(max_length=80)
    contact_details = models.CharField(
        max_length=300,
        blank=True,
        help_text=_(
            "For a therapist: how clients can reach them between sessions (shown on the help page)."
        ),
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="people")
    timezone = models.CharField(
        max_length=64, default="America/Toronto", validators=[validate_timezone]
    )
    # The language of the person's pages and mail, chosen on the account page. Empty until they
    # choose or first sign in (then it is the language their browser asked for): pages follow
    # the browser, mail goes in the default language.
    language = models.CharField(max_length=8, blank=True, default="", choices=settings.LANGUAGES)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=tz_now)
    legal_hold_since = models.DateTimeField(
        null=True, blank=True, help_text=_("While set, the record is never anonymised.")
    )
    legal_hold_reason = models.TextField(blank=True)
    legal_hold_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        indexes = [models.Index(fields=["clinic", "role"])]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def mail_language(self) -> str:
        """The language mail to this person is written in."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def on_legal_hold(self) -> bool:
        return self.legal_hold_since is not None


class EpisodeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class CareEpisode(models.Model):
    """A course of therapy: one client, one primary therapist."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="episodes")
    client = models.ForeignKey(User, on_delete=models.PROTECT, related_name="episodes_as_client")
    therapist = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="episodes_as_therapist"
    )
    status = models.CharField(
        max_length=10, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE
    )
    started_on = models.DateField(blank=True)
    """The first day of care, a date in the clinic's time zone; left empty, ``save`` takes the
    clinic's today (not the server's: at 22:30 in Toronto the UTC date is already tomorrow, and
    the intake questionnaire would open a day late)."""
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="active"),
                name="one_active_episode_per_client",
            ),
            models.CheckConstraint(
                condition=~Q(client=models.F("therapist")), name="episode_client_is_not_therapist"
            ),
        ]
        indexes = [models.Index(fields=["therapist", "status"])]

    def __str__(self) -> str:
        return f"{self.client} with {self.therapist}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.started_on is None:
            self.started_on = localdate(timezone=zoneinfo.ZoneInfo(self.clinic.timezone))
        super().save(*args, **kwargs)


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ATTENDED = "attended", _("Attended")
    MISSED = "missed", _("Missed")
    CANCELLED_CLIENT = "cancelled_client", _("Cancelled by client")
    CANCELLED_THERAPIST = "cancelled_therapist", _("Cancelled by therapist")


class Session(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    episode = models.ForeignKey(CareEpisode, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveIntegerField()
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=50)
    # Sessions booked together as a recurring series share this id (edit one or the series).
    series_id = models.UUIDField(null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    checkin_opens_at = models.DateTimeField(null=True, blank=True)
    checkin_closes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["episode", "number"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "number"], name="session_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="session_number_positive"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5) & Q(duration_minutes__lte=480),
                name="session_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(checkin_opens_at__isnull=True)
                | Q(checkin_closes_at__gt=models.F("checkin_opens_at")),
                name="session_checkin_window_order",
            ),
        ]
        indexes = [
            models.Index(fields=["episode", "status", "checkin_closes_at"]),
            # The day's sessions on the caseload, the next session, the client's upcoming one:
            # a range of dates within each episode (docs/performance.md).
            models.Index(fields=["episode", "scheduled_at"], name="session_episode_when"),
        ]

    def __str__(self) -> str:
        return f"Session {self.number} ({self.get_status_display()})"

    def checkin_is_open(self, now: datetime | None = None) -> bool:
        now = now or tz_now()
        return (
            self.status == SessionStatus.ATTENDED
            and self.checkin_opens_at is not None
            and self.checkin_closes_at is not None
            and self.checkin_opens_at <= now < self.checkin_closes_at
        )


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invite(models.Model):
    """A single-use link through which a new person sets their password.

    An invite with no ``user`` stands for an add that found the address already in use: no
    account was made and no link exists (the owner of the address was mailed instead), but the
    person who added them sees it waiting like any other, so the add reveals nothing. Its
    ``email`` and ``full_name`` are what was typed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invites", null=True)
    email = models.EmailField(blank=True)
    full_name = models.CharField(max_length=200, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="invites_sent", null=True
    )
    created_at = models.DateTimeField(default=tz_now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(email=""), name="invite_is_for_someone"
            )
        ]

    def __str__(self) -> str:
        return f"Invite for {self.user or self.email}"

    @property
    def invitee_name(self) -> str:
        return self.user.full_name if self.user is not None else self.full_name

    @property
    def invitee_email(self) -> str:
        return self.user.email if self.user is not None else self.email

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @staticmethod
    def hash(token: str) -> str:
        return _hash_token(token)

    @staticmethod
    def default_expiry(now: datetime) -> datetime:
        return now + timedelta(days=settings.ALLIANCE_INVITE_DAYS)

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or tz_now()
        return self.used_at is None and self.revoked_at is None and now < self.expires_at
