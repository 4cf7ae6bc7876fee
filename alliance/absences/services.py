"""Writes for absences: record one, call it off, and keep its sessions cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from alliance.absences.models import Absence, AbsenceCancellation
from alliance.absences.selectors import clinic_today, overlapping
from alliance.core import absence as rules
from alliance.messaging.models import MessageState, OutboxMessage
from alliance.people.models import EpisodeStatus, Role, Session, SessionStatus, User
from alliance.people.services import PeopleError, session_set_status, sessions_cancel

MAX_DAYS = 366
MAX_MESSAGE = 2000


class AbsenceError(Exception):
    pass


@dataclass(frozen=True)
class AbsenceInput:
    starts_on: date
    ends_on: date
    cover: User
    cover_contact: str
    message_to_clients: str = ""
    lead_days: int = rules.DEFAULT_LEAD_DAYS


def _day(value: date) -> str:
    return date_format(value, "l j F Y")


def _check(therapist: User, data: AbsenceInput, today: date) -> None:
    if therapist.role != Role.THERAPIST or not therapist.is_active:
        raise AbsenceError(_("Only a therapist can record their own absence."))
    if data.ends_on < data.starts_on:
        raise AbsenceError(
            _("The last day away (%(end)s) is before the first (%(start)s). Please swap them.")
            % {"end": _day(data.ends_on), "start": _day(data.starts_on)}
        )
    if data.starts_on < today:
        raise AbsenceError(
            _("The first day away has already passed. Please choose today or a later day.")
        )
    if (data.ends_on - data.starts_on).days >= MAX_DAYS:
        raise AbsenceError(_("An absence can last at most a year. Please check the dates."))
    if not rules.MIN_LEAD_DAYS <= data.lead_days <= rules.MAX_LEAD_DAYS:
        raise AbsenceError(
            _("Tell clients between %(low)s and %(high)s days ahead.")
            % {"low": rules.MIN_LEAD_DAYS, "high": rules.MAX_LEAD_DAYS}
        )
    cover = data.cover
    if cover.pk == therapist.pk:
        raise AbsenceError(_("You can't cover your own absence. Please choose a colleague."))
    if (
        cover.role != Role.THERAPIST
        or cover.clinic_id != therapist.clinic_id
        or not cover.is_active
    ):
        raise AbsenceError(_("The cover must be a therapist of your clinic."))
    if not data.cover_contact.strip():
        raise AbsenceError(_("Please say how clients can reach the cover while you're away."))
    if len(data.message_to_clients) > MAX_MESSAGE:
        raise AbsenceError(
            _("The message to clients can be at most %(n)s characters.") % {"n": MAX_MESSAGE}
        )
    clash = overlapping(therapist, data.starts_on, data.ends_on)
    if clash is not None:
        raise AbsenceError(
            _(
                "These dates overlap your absence from %(start)s to %(end)s. Cancel that one "
                "first, or choose other dates."
            )
            % {"start": _day(clash.starts_on), "end": _day(clash.ends_on)}
        )
    away = overlapping(cover, data.starts_on, data.ends_on)
    if away is not None:
        raise AbsenceError(
            _("%(name)s is away themselves from %(start)s to %(end)s. Please choose another cover.")
            % {"name": cover.display_name, "start": _day(away.starts_on), "end": _day(away.ends_on)}
        )


def absence_create(*, therapist: User, data: AbsenceInput, now: datetime | None = None) -> Absence:
    """Record a planned absence and cancel the therapist's sessions on its days."""
    now = now or timezone.now()
    today = clinic_today(therapist.clinic, now)
    _check(therapist, data, today)
    with transaction.atomic():
        # One absence at a time per therapist, so two posts cannot both pass the overlap check.
        User.objects.select_for_update().get(pk=therapist.pk)
        _check(therapist, data, today)
        absence = Absence.objects.create(
            clinic_id=therapist.clinic_id,
            therapist=therapist,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            cover=data.cover,
            cover_contact=data.cover_contact.strip(),
            message_to_clients=data.message_to_clients.strip(),
            lead_days=data.lead_days,
            created_at=now,
        )
        _cancel_sessions(absence, _sessions_in(absence), now)
    return absence


def _sessions_in(absence: Absence) -> list[Session]:
    start = rules.starts_at(absence.starts_on, ZoneInfo(absence.clinic.timezone))
    end = rules.starts_at(absence.ends_on + timedelta(days=1), ZoneInfo(absence.clinic.timezone))
    return list(
        Session.objects.filter(
            episode__therapist_id=absence.therapist_id,
            episode__status=EpisodeStatus.ACTIVE,
            status=SessionStatus.SCHEDULED,
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        ).select_related("episode")
    )


def _cancel_sessions(absence: Absence, sessions: Sequence[Session], now: datetime) -> None:
    if not sessions:
        return
    sessions_cancel(sessions=sessions, actor=absence.therapist, now=now)
    AbsenceCancellation.objects.bulk_create(
        [AbsenceCancellation(absence=absence, session=s, cancelled_at=now) for s in sessions]
    )


def absence_cancel_sessions(
    *, sessions: Sequence[Session], therapist: User, now: datetime
) -> list[Session]:
    """Sessions just booked or moved onto a day the therapist will be away are cancelled at
    once, like the ones the absence found (called by the scheduling services)."""
    wanted = [s for s in sessions if s.status == SessionStatus.SCHEDULED]
    if not wanted:
        return []
    first = min(s.scheduled_at for s in wanted)
    last = max(s.scheduled_at for s in wanted)
    absences = list(
        Absence.objects.filter(
            therapist=therapist,
            cancelled_at__isnull=True,
            starts_on__lte=last.date() + timedelta(days=1),
            ends_on__gte=first.date() - timedelta(days=1),
        ).select_related("clinic", "therapist")
    )
    done = []
    for absence in absences:
        zone = ZoneInfo(absence.clinic.timezone)
        inside = [
            s
            for s in wanted
            if absence.starts_on <= s.scheduled_at.astimezone(zone).date() <= absence.ends_on
        ]
        _cancel_sessions(absence, inside, now)
        done += inside
    return done


def absence_cancel(*, absence: Absence, actor: User, now: datetime | None = None) -> Absence:
    """Call the absence off: no further notice goes, the cover's access ends, and the sessions
    it cancelled that are still ahead go back on the calendar."""
    if actor.pk != absence.therapist_id:
        raise AbsenceError(_("Only the therapist who is away can cancel this absence."))
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Absence.objects.select_for_update()
            .select_related("clinic", "therapist")
            .get(pk=absence.pk)
        )
        if locked.is_cancelled:
            return locked
        locked.cancelled_at = now
        locked.save(update_fields=["cancelled_at"])
        OutboxMessage.objects.filter(
            about_type="absence", about_id=locked.pk, state=MessageState.QUEUED
        ).update(
            state=MessageState.CANCELLED, skip_reason=gettext_noop("The absence was cancelled.")
        )
        for row in AbsenceCancellation.objects.filter(
            absence=locked,
            restored_at__isnull=True,
            session__status=SessionStatus.CANCELLED_THERAPIST,
            session__scheduled_at__gt=now,
        ).select_related("session__episode"):
            try:
                session_set_status(
                    session=row.session, status=SessionStatus.SCHEDULED, actor=actor, now=now
                )
            except PeopleError:
                continue  # recorded otherwise since (an answered check-in stays attended)
            row.restored_at = now
            row.save(update_fields=["restored_at"])
    return locked
