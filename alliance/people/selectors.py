"""Reads for the therapist's pages, built to a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from alliance.access import episodes_for, people_for, sessions_for, waiting_invites_for
from alliance.checkins.models import CheckIn
from alliance.people.models import (
    CareEpisode,
    EpisodeStatus,
    Invite,
    Session,
    SessionStatus,
    User,
)
from alliance.ruptures.models import ACTIVE_STATES, Alert, AlertCategory, AlertState

OVERDUE_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class CaseloadRow:
    episode: CareEpisode
    max_severity: int
    risk_alerts: int
    not_on_track: bool
    open_alerts: int
    unacknowledged: int
    oldest_alert_at: datetime | None
    awaiting_checkins: int
    missed_checkins: int
    last_alliance: float | None
    next_session_at: datetime | None
    reasons: list[str]
    # The latest reminder to the client that went out or failed (alliance.messaging).
    last_reminder: Any = None

    @property
    def attention(self) -> str:
        if self.max_severity >= 3 or self.risk_alerts:
            return "high"
        if self.max_severity == 2:
            return "medium"
        if self.max_severity == 1 or self.missed_checkins:
            return "low"
        return "none"


def _age(now: datetime, then: datetime) -> str:
    days = (now - then).days
    if days >= 1:
        return f"{days} day{'s' if days != 1 else ''}"
    hours = int((now - then).total_seconds() // 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours else "less than an hour"


def caseload(therapist: User, *, now: datetime) -> list[CaseloadRow]:
    """The therapist's active clients, who needs attention first, each saying why.

    Order: open risk answers first, then the highest open-alert severity, then the oldest open
    alert, then check-ins that closed unanswered in the last 30 days, then name. One query
    whatever the caseload size.
    """
    active_alerts = Alert.objects.filter(episode=OuterRef("pk"), state__in=ACTIVE_STATES)
    alert_stats = active_alerts.values("episode").annotate(
        max_sev=Max("severity"),
        n=Count("id"),
        unack=Count("id", filter=Q(state=AlertState.OPEN)),
        oldest=Min("created_at"),
        # Risk answers still to follow up: a follow-up that reached the client takes one off.
        risk=Count(
            "id",
            filter=Q(category=AlertCategory.RISK) & ~Q(state=AlertState.FOLLOWED_UP),
        ),
        not_on_track=Count("id", filter=Q(category=AlertCategory.NOT_ON_TRACK)),
    )
    attended = Session.objects.filter(episode=OuterRef("pk"), status=SessionStatus.ATTENDED)
    no_checkin = ~Exists(CheckIn.objects.filter(session=OuterRef("pk")))
    awaiting = (
        attended.filter(no_checkin, checkin_opens_at__lte=now, checkin_closes_at__gt=now)
        .values("episode")
        .annotate(n=Count("id"))
        .values("n")
    )
    missed = (
        attended.filter(
            no_checkin, checkin_closes_at__lte=now, checkin_closes_at__gt=now - OVERDUE_LOOKBACK
        )
        .values("episode")
        .annotate(n=Count("id"))
        .values("n")
    )
    last_alliance = (
        CheckIn.objects.filter(episode=OuterRef("pk"))
        .order_by("-session__number")
        .values("alliance")[:1]
    )
    next_session = (
        Session.objects.filter(
            episode=OuterRef("pk"), status=SessionStatus.SCHEDULED, scheduled_at__gte=now
        )
        .order_by("scheduled_at")
        .values("scheduled_at")[:1]
    )
    zero = Value(0, output_field=IntegerField())
    episodes = (
        episodes_for(therapist)
        .filter(status=EpisodeStatus.ACTIVE)
        .select_related("client")
        .annotate(
            max_sev=Coalesce(Subquery(alert_stats.values("max_sev")[:1]), zero),
            n_alerts=Coalesce(Subquery(alert_stats.values("n")[:1]), zero),
            n_unack=Coalesce(Subquery(alert_stats.values("unack")[:1]), zero),
            n_risk=Coalesce(Subquery(alert_stats.values("risk")[:1]), zero),
            n_not_on_track=Coalesce(Subquery(alert_stats.values("not_on_track")[:1]), zero),
            oldest_alert=Subquery(alert_stats.values("oldest")[:1], output_field=DateTimeField()),
            n_awaiting=Coalesce(Subquery(awaiting, output_field=IntegerField()), zero),
            n_missed=Coalesce(Subquery(missed, output_field=IntegerField()), zero),
            last_alliance=Subquery(last_alliance, output_field=FloatField()),
            next_session=Subquery(next_session, output_field=DateTimeField()),
        )
    )
    rows = []
    for e in episodes:
        reasons: list[str] = []
        if e.n_risk:
            reasons.append(f"Risk answer{'s' if e.n_risk != 1 else ''} to follow up ({e.n_risk})")
        if e.n_not_on_track:
            reasons.append("Not on track on an outcome measure")
        if e.n_alerts:
            label = {3: "high", 2: "medium", 1: "low"}[e.max_sev]
            reasons.append(
                f"{e.n_alerts} open alert{'s' if e.n_alerts != 1 else ''} "
                f"(highest: {label}, oldest raised {_age(now, e.oldest_alert)} ago)"
            )
            if e.n_unack:
                reasons.append(f"{e.n_unack} not yet acknowledged")
        if e.n_missed:
            reasons.append(
                f"{e.n_missed} check-in{'s' if e.n_missed != 1 else ''} closed unanswered "
                "in the last 30 days"
            )
        if not e.client.has_usable_password():
            # Listed with the invitations waiting instead (invitations_waiting), like an
            # invitation to an address that already had an account: the two look the same.
            continue
        if e.n_awaiting:
            reasons.append(f"{e.n_awaiting} check-in{'s' if e.n_awaiting != 1 else ''} open")
        rows.append(
            CaseloadRow(
                episode=e,
                max_severity=e.max_sev,
                risk_alerts=e.n_risk,
                not_on_track=bool(e.n_not_on_track),
                open_alerts=e.n_alerts,
                unacknowledged=e.n_unack,
                oldest_alert_at=e.oldest_alert,
                awaiting_checkins=e.n_awaiting,
                missed_checkins=e.n_missed,
                last_alliance=e.last_alliance,
                next_session_at=e.next_session,
                reasons=reasons or ["Nothing needs attention"],
            )
        )
    far_future = now + timedelta(days=36500)
    rows.sort(
        key=lambda r: (
            -(r.risk_alerts > 0),
            -r.max_severity,
            r.oldest_alert_at or far_future,
            -r.missed_checkins,
            r.episode.client.full_name.lower(),
        )
    )
    return rows


def clinic_people(admin: User, *, now: datetime) -> list[User]:
    """Everyone in the admin's clinic for the People page, in one query.

    Each person carries ``in_care`` (a client with an active episode), ``therapist_name`` (that
    episode's therapist), ``invite_expires_at`` (when their open invitation lapses; None when
    there is none or it has lapsed) and, from the model, ``last_login``.
    """
    active = CareEpisode.objects.filter(client=OuterRef("pk"), status=EpisodeStatus.ACTIVE)
    open_invite = Invite.objects.filter(
        user=OuterRef("pk"), used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).order_by("-expires_at")
    return list(
        people_for(admin)
        .annotate(
            in_care=Exists(active),
            therapist_name=Subquery(active.values("therapist__full_name")[:1]),
            invite_expires_at=Subquery(
                open_invite.values("expires_at")[:1], output_field=DateTimeField()
            ),
        )
        .order_by("role", "full_name")
    )


def invitations_waiting(therapist: User, *, now: datetime) -> list[Invite]:
    """The therapist's invitations not yet accepted, oldest first, in one query.

    Those of clients they added (or whose new invitation someone else sent), and those kept for
    an address that already had an account (``Invite.user`` is None). Both look alike on the
    caseload, so adding a client tells the therapist nothing about who uses Alliance.
    """
    return list(
        waiting_invites_for(therapist, now=now).select_related("user").order_by("created_at")
    )


# The one-click buttons of the caseload's "Today and yesterday" block, in the order shown.
QUICK_STATUSES = [
    (SessionStatus.ATTENDED, SessionStatus.ATTENDED.label),
    (SessionStatus.MISSED, SessionStatus.MISSED.label),
    (SessionStatus.CANCELLED_CLIENT, SessionStatus.CANCELLED_CLIENT.label),
    (SessionStatus.CANCELLED_THERAPIST, SessionStatus.CANCELLED_THERAPIST.label),
]


@dataclass(frozen=True)
class RecentSession:
    session: Session
    today: bool  # on the therapist's local today (else yesterday)


def sessions_today_and_yesterday(therapist: User, *, now: datetime) -> list[RecentSession]:
    """The therapist's sessions on their local today and yesterday, in time order.

    Only clients still in care: their episodes are the ones the caseload lists (and audits).
    """
    zone = therapist.zone
    today = now.astimezone(zone).date()
    # Where the clocks change at midnight (a few zones do), a day may start an hour off here,
    # which for this list is harmless.
    start = datetime.combine(today - timedelta(days=1), time.min, tzinfo=zone)
    midnight = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    sessions = (
        sessions_for(therapist)
        .filter(episode__status=EpisodeStatus.ACTIVE, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("episode__client", "checkin")
        .order_by("scheduled_at", "episode__client__full_name")
    )
    return [RecentSession(session=s, today=s.scheduled_at >= midnight) for s in sessions]


def series_from(session: Session) -> list[Session]:
    """This session and the later upcoming ones of its series (just this one if none)."""
    if session.series_id is None:
        return [session]
    later = (
        Session.objects.select_related("episode")
        .filter(
            episode_id=session.episode_id,
            series_id=session.series_id,
            status=SessionStatus.SCHEDULED,
            scheduled_at__gt=session.scheduled_at,
        )
        .order_by("scheduled_at")
    )
    return [session, *later]
