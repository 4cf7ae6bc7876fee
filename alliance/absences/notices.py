"""Telling clients of their therapist's absence, and the cover of new risk answers.

A periodic scan (``absences_scan``, with the reminder scan) finds, for every absence not
cancelled and not begun, the notice due now (``alliance.core.absence.due_notice``: 09:00 clinic
time on the lead day, a week before, the day before) and writes, for each client in care with
the absent therapist, one ``AbsenceNotice`` row and one outbox email. The notice row is unique
per (absence, client, kind) and the email's key is too, so a notice never goes twice, and a
client who joins the caseload later is told at the next scan. The email says when, who covers
and how to reach them, and points to the home page for the therapist's own message: the
message stays behind the sign-in.

During an absence, a new risk answer of the absent therapist's client also emails the cover
(if they keep the risk-answer email on), with a link to the alert they may act on.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from alliance.absences.models import Absence, AbsenceNotice
from alliance.absences.selectors import clinic_today
from alliance.core import absence as rules
from alliance.messaging.models import MessageKind, OutboxMessage, preferences_for
from alliance.messaging.services import register_renderer, register_skip_check
from alliance.messaging.timing import next_allowed
from alliance.people.models import CareEpisode, EpisodeStatus, User
from alliance.ruptures.models import Alert, AlertCategory, AlertState


def _link(path: str) -> str:
    return settings.ALLIANCE_SITE_URL.rstrip("/") + path


def _day(value: date) -> str:
    return date_format(value, "l j F")


def _key(absence_id: uuid.UUID, client_id: uuid.UUID, kind: str) -> str:
    return f"absence:{absence_id}:{client_id}:{kind}"


def _insert(messages: list[OutboxMessage]) -> dict[str, uuid.UUID]:
    """Insert the messages whose key is new; returns every key's row id."""
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)
    return dict(
        OutboxMessage.objects.filter(
            idempotency_key__in=[m.idempotency_key for m in messages]
        ).values_list("idempotency_key", "pk")
    )


def absence_notices_scan(*, now: datetime) -> int:
    """Queue the notices due now. Returns how many clients were told."""
    # An absence is at most MAX_LEAD_DAYS away when its first notice is due; one more day on
    # each side covers every clinic's time zone.
    utc_today = now.date()
    candidates = list(
        Absence.objects.filter(
            cancelled_at__isnull=True,
            starts_on__gte=utc_today - timedelta(days=1),
            starts_on__lte=utc_today + timedelta(days=rules.MAX_LEAD_DAYS + 1),
        ).select_related("clinic", "therapist", "cover")
    )
    due = {}
    for absence in candidates:
        found = rules.due_notice(
            absence.starts_on, absence.lead_days, ZoneInfo(absence.clinic.timezone), now
        )
        if found is not None:
            due[absence.pk] = (absence, found.kind)
    if not due:
        return 0
    told = set(
        AbsenceNotice.objects.filter(absence_id__in=list(due)).values_list(
            "absence_id", "client_id", "kind"
        )
    )
    episodes = CareEpisode.objects.filter(
        therapist_id__in={a.therapist_id for a, _kind in due.values()},
        status=EpisodeStatus.ACTIVE,
        client__is_active=True,
    ).select_related("client__message_preferences")
    by_therapist: dict[uuid.UUID, list[User]] = {}
    for episode in episodes:
        by_therapist.setdefault(episode.therapist_id, []).append(episode.client)
    notices: list[AbsenceNotice] = []
    messages: list[OutboxMessage] = []
    for absence, kind in due.values():
        for client in by_therapist.get(absence.therapist_id, []):
            if client.clinic_id != absence.clinic_id or (absence.pk, client.pk, kind) in told:
                continue
            notice = AbsenceNotice(absence=absence, client=client, kind=kind, queued_at=now)
            notices.append(notice)
            prefs = preferences_for(client)
            if not prefs.email:
                continue
            at = next_allowed(now, ZoneInfo(client.timezone), prefs.quiet_start, prefs.quiet_end)
            key = _key(absence.pk, client.pk, kind)
            messages.append(
                OutboxMessage(
                    idempotency_key=key,
                    clinic_id=client.clinic_id,
                    recipient=client,
                    kind=MessageKind.ABSENCE_NOTICE,
                    to_address=client.email,
                    subject=_("%(name)s will be away from %(start)s")
                    % {"name": absence.therapist.display_name, "start": _day(absence.starts_on)},
                    body="",  # written when it goes (render_notice)
                    about_type="absence",
                    about_id=absence.pk,
                    due_at=at,
                    next_attempt_at=at,
                    created_at=now,
                )
            )
    with transaction.atomic():
        ids = _insert(messages) if messages else {}
        for notice in notices:
            notice.message_id = ids.get(_key(notice.absence_id, notice.client_id, notice.kind))
        AbsenceNotice.objects.bulk_create(notices, ignore_conflicts=True)
    return len(notices)


def render_notice(message: OutboxMessage) -> str:
    client = message.recipient
    assert client is not None
    assert message.about_id is not None
    absence = Absence.objects.select_related("therapist", "cover", "clinic").get(
        pk=message.about_id
    )
    therapist = absence.therapist.display_name
    return "\n\n".join(
        [
            _("Hello %(name)s,") % {"name": client.display_name},
            _("%(therapist)s will be away from %(start)s to %(end)s, and will be back after that.")
            % {
                "therapist": therapist,
                "start": _day(absence.starts_on),
                "end": _day(absence.ends_on),
            },
            _(
                "While %(therapist)s is away, %(cover)s at %(clinic)s is there for you. You can "
                "reach them here: %(contact)s"
            )
            % {
                "therapist": therapist,
                "cover": absence.cover.full_name,
                "clinic": absence.clinic.name,
                "contact": absence.cover_contact,
            },
            _(
                "Sessions on those days are cancelled. They don't count as missed, and nothing "
                "you need to do."
            ),
            _("%(therapist)s left a few words for you on your home page:")
            % {"therapist": therapist},
            _link(reverse("client_home")),
            _(
                "Alliance is not watched around the clock. If you are in crisis, the crisis lines "
                "for where you live are here: %(url)s"
            )
            % {"url": _link(reverse("crisis_help"))},
        ]
    )


def notice_still_wanted(message: OutboxMessage, now: datetime) -> str | None:
    # Stored as the message's skip reason in English; the absence page translates it.
    absence = (
        Absence.objects.filter(pk=message.about_id).select_related("clinic").first()
        if message.about_id is not None
        else None
    )
    if absence is None or absence.is_cancelled:
        return gettext_noop("The absence was cancelled.")
    if clinic_today(absence.clinic, now) > absence.ends_on:
        return gettext_noop("The absence is over.")
    assert message.recipient is not None
    if not CareEpisode.objects.filter(
        client=message.recipient, therapist_id=absence.therapist_id, status=EpisodeStatus.ACTIVE
    ).exists():
        return gettext_noop("Care has ended.")
    if not preferences_for(message.recipient).email:
        return gettext_noop("Email is turned off in the client's settings.")
    return None


def cover_risk_notices_scan(*, now: datetime) -> list[OutboxMessage]:
    """A risk answer raised during an absence: the cover hears of it at once, like the absent
    therapist would (their own risk-answer setting)."""
    messages = []
    noticed = OutboxMessage.objects.filter(
        about_type="alert", about_id=OuterRef("pk"), kind=MessageKind.RISK_NOTICE
    )
    # Absences under way somewhere: today in UTC, give or take a day for the clinics' zones.
    utc_today = now.date()
    under_way = list(
        Absence.objects.filter(
            cancelled_at__isnull=True,
            starts_on__lte=utc_today + timedelta(days=1),
            ends_on__gte=utc_today - timedelta(days=1),
        ).select_related("clinic", "cover__message_preferences")
    )
    for absence in under_way:
        if not absence.covers(clinic_today(absence.clinic, now)):
            continue
        cover = absence.cover
        if not cover.is_active or not preferences_for(cover).risk_email:
            continue
        since = rules.starts_at(absence.starts_on, ZoneInfo(absence.clinic.timezone))
        alerts = (
            Alert.objects.filter(
                episode__therapist_id=absence.therapist_id,
                episode__status=EpisodeStatus.ACTIVE,
                category=AlertCategory.RISK,
                state=AlertState.OPEN,
                created_at__gte=since,
            )
            .annotate(noticed=Exists(noticed.filter(recipient=cover)))
            .filter(noticed=False)
        )
        for alert in alerts:
            messages.append(
                OutboxMessage(
                    idempotency_key=f"risk:{alert.pk}:cover:{cover.pk}",
                    clinic_id=cover.clinic_id,
                    recipient=cover,
                    kind=MessageKind.RISK_NOTICE,
                    to_address=cover.email,
                    subject=_("A client's answer needs follow-up"),
                    body="",
                    about_type="alert",
                    about_id=alert.pk,
                    due_at=now,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    if messages:
        _insert(messages)
    return messages


def absences_scan(*, now: datetime | None = None) -> tuple[int, int]:
    now = now or timezone.now()
    return absence_notices_scan(now=now), len(cover_risk_notices_scan(now=now))


register_renderer(MessageKind.ABSENCE_NOTICE, render_notice)
register_skip_check(MessageKind.ABSENCE_NOTICE, notice_still_wanted)
