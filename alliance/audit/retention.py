"""Record retention: when a former client's record is anonymised, and doing it.

A client's record is due once their care has ended (no active care episode) and the clinic's
``retention_days`` have passed since their last contact: the latest of the day their last care
episode ended, their last attended session and their last check-in, in the clinic's time zone.
A record on legal hold is never anonymised. See docs/security-audit.md.

Anonymising keeps the numbers (scores, dates, alert states) for the clinic's statistics and
removes who the person was and everything anyone wrote in their own words.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, DateTimeField, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.models import AuditAction
from alliance.audit.recorder import about_person, audit_record
from alliance.checkins.models import CheckIn
from alliance.diary.models import DiaryCard, DiaryTarget
from alliance.outcomes.models import OutcomeResponse
from alliance.people.models import Clinic, EpisodeStatus, Invite, Role, Session, SessionStatus, User
from alliance.ruptures.models import Alert, RepairRecord, RiskFollowUp


class RetentionError(Exception):
    pass


@dataclass(frozen=True)
class Candidate:
    client: User
    last_contact: date
    due_on: date

    @property
    def held(self) -> bool:
        return self.client.on_legal_hold


def _local(moment: datetime | None, zone: zoneinfo.ZoneInfo) -> date | None:
    return timezone.localdate(moment, zone) if moment is not None else None


def retention_due(*, now: datetime | None = None, clinic: Clinic | None = None) -> list[Candidate]:
    """Former clients whose retention period is over, held ones included (``held`` says so)."""
    now = now or timezone.now()
    last_session = (
        Session.objects.filter(
            episode__client=OuterRef("pk"), status=SessionStatus.ATTENDED, scheduled_at__lte=now
        )
        .order_by("-scheduled_at")
        .values("scheduled_at")[:1]
    )
    last_checkin = (
        CheckIn.objects.filter(client=OuterRef("pk"))
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    clients = (
        User.objects.filter(role=Role.CLIENT, anonymised_at__isnull=True)
        .annotate(
            active=Count(
                "episodes_as_client", filter=Q(episodes_as_client__status=EpisodeStatus.ACTIVE)
            ),
            episodes=Count("episodes_as_client"),
            last_ended=Max("episodes_as_client__ended_on"),
            last_session=Subquery(last_session, output_field=DateTimeField()),
            last_checkin=Subquery(last_checkin, output_field=DateTimeField()),
        )
        .filter(active=0, episodes__gt=0)
        .select_related("clinic")
        .order_by("clinic__name", "date_joined")
    )
    if clinic is not None:
        clients = clients.filter(clinic=clinic)
    due = []
    for client in clients:
        zone = zoneinfo.ZoneInfo(client.clinic.timezone)
        contacts = [
            d
            for d in (
                client.last_ended,
                _local(client.last_session, zone),
                _local(client.last_checkin, zone),
            )
            if d is not None
        ]
        if not contacts:
            continue
        last_contact = max(contacts)
        due_on = last_contact + timedelta(days=client.clinic.retention_days)
        if timezone.localdate(now, zone) >= due_on:
            due.append(Candidate(client=client, last_contact=last_contact, due_on=due_on))
    return due


def client_anonymise(*, client: User, now: datetime | None = None) -> User:
    """Remove who the client was and what anyone wrote in words; keep the numbers.

    Name, email and password go; the account is deactivated; check-in comments, repair notes
    and plans, closing notes, diary notes, drafts and target names are blanked. The time zone
    stays (diary days depend on it).
    """
    now = now or timezone.now()
    with transaction.atomic():
        client = User.objects.select_for_update().get(pk=client.pk)
        if client.role != Role.CLIENT:
            raise RetentionError(_("Only a client's record is anonymised."))
        if client.on_legal_hold:
            raise RetentionError(_("This record is on legal hold."))
        if client.anonymised_at is not None:
            return client
        if client.episodes_as_client.filter(status=EpisodeStatus.ACTIVE).exists():
            raise RetentionError(_("This client is in care; end the care episode first."))
        client.full_name = f"Former client {client.id.hex[:8]}"
        client.email = f"former-client-{client.id.hex}@anonymised.invalid"
        client.set_unusable_password()
        client.is_active = False
        client.anonymised_at = now
        client.save(update_fields=["full_name", "email", "password", "is_active", "anonymised_at"])
        Invite.objects.filter(user=client, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now
        )
        # Queryset updates on purpose: the amend-only guards (alliance.audit.guards) refuse any
        # other change to a saved note, and erasing at the end of retention is the one exception.
        CheckIn.objects.filter(client=client).update(comment="")
        RepairRecord.objects.filter(alert__episode__client=client).update(
            notes="", next_session_plan=""
        )
        RiskFollowUp.objects.filter(alert__episode__client=client).update(note="")
        Alert.objects.filter(episode__client=client).update(close_note="")
        DiaryCard.objects.filter(client=client).update(note="", draft="")
        OutcomeResponse.objects.filter(episode__client=client).update(text_answers="")
        DiaryTarget.objects.filter(episode__client=client).update(name="Target")
        audit_record(actor=None, entry=about_person(client, AuditAction.ANONYMISE))
    return client


def retention_apply(*, now: datetime | None = None, clinic: Clinic | None = None) -> list[User]:
    """Anonymise every record that is due and not on legal hold; returns the clients done."""
    now = now or timezone.now()
    return [
        client_anonymise(client=candidate.client, now=now)
        for candidate in retention_due(now=now, clinic=clinic)
        if not candidate.held
    ]
