"""Reads for the therapist's pages, built to a fixed number of queries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
)
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from alliance.access import episodes_for, people_for, sessions_for, waiting_invites_for
from alliance.checkins.models import CheckIn
from alliance.core.dropout import DropoutSettings, quiet_since
from alliance.diary.models import DiaryCard
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
class CaseRowView:
    """Everything one caseload row shows, and nothing else: the row's template reads only this
    (``people/_case.html``, included with ``only``), so its fragment cache, keyed on this
    value with the language and time zone, cannot serve a row that differs from it."""

    client_id: uuid.UUID
    client_name: str
    attention: str
    risk_alerts: int
    not_on_track: bool
    dropout_risk: bool
    max_severity: int
    reasons: tuple[str, ...]
    last_alliance: float | None
    next_session_at: datetime | None
    reminder_state: str
    reminder_kind: str
    reminder_sent_at: datetime | None


@dataclass(frozen=True)
class CaseloadRow:
    episode: CareEpisode
    max_severity: int
    risk_alerts: int
    not_on_track: bool
    dropout_risk: bool
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
    # When the client was last heard from, when that is long enough ago to say so gently
    # (alliance.core.dropout.quiet_since); None otherwise.
    quiet_since: datetime | None = None

    @property
    def view(self) -> CaseRowView:
        reminder = self.last_reminder
        return CaseRowView(
            client_id=self.episode.client_id,
            client_name=self.episode.client.full_name,
            attention=self.attention,
            risk_alerts=self.risk_alerts,
            not_on_track=self.not_on_track,
            dropout_risk=self.dropout_risk,
            max_severity=self.max_severity,
            reasons=tuple(str(reason) for reason in self.reasons),
            last_alliance=self.last_alliance,
            next_session_at=self.next_session_at,
            reminder_state=str(reminder.state) if reminder is not None else "",
            reminder_kind=str(reminder.get_kind_display()) if reminder is not None else "",
            reminder_sent_at=reminder.sent_at if reminder is not None else None,
        )

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
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    hours = int((now - then).total_seconds() // 3600)
    if hours:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return _("less than an hour")


# An alert's highest severity, inside the caseload's sentence.
_SEVERITY_WORDS = {
    3: pgettext_lazy("severity, in a sentence", "high"),
    2: pgettext_lazy("severity, in a sentence", "medium"),
    1: pgettext_lazy("severity, in a sentence", "low"),
}


def caseload(therapist: User, *, now: datetime) -> list[CaseloadRow]:
    """The therapist's active clients, who needs attention first, each saying why.

    Order: open risk answers first, then the highest open-alert severity, then the oldest open
    alert, then check-ins that closed unanswered in the last 30 days, then name. Three queries
    whatever the caseload size.
    """
    active_episodes = episodes_for(therapist).filter(status=EpisodeStatus.ACTIVE)
    # Open alerts and unanswered check-ins, counted per episode in one pass each (grouped
    # queries): as correlated subqueries they were re-aggregated once per figure and client.
    alert_stats = {
        row["episode_id"]: row
        for row in Alert.objects.filter(episode__in=active_episodes, state__in=ACTIVE_STATES)
        .values("episode_id")
        .annotate(
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
            dropout=Count("id", filter=Q(category=AlertCategory.DROPOUT_RISK)),
        )
        .order_by()
    }
    checkin_stats = {
        row["episode_id"]: row
        for row in Session.objects.filter(
            ~Exists(CheckIn.objects.filter(session=OuterRef("pk"))),
            episode__in=active_episodes,
            status=SessionStatus.ATTENDED,
            checkin_closes_at__gt=now - OVERDUE_LOOKBACK,
        )
        .values("episode_id")
        .annotate(
            awaiting=Count("id", filter=Q(checkin_opens_at__lte=now, checkin_closes_at__gt=now)),
            missed=Count("id", filter=Q(checkin_closes_at__lte=now)),
        )
        .order_by()
    }
    # The check-in of the episode's latest session that has one. Walked from the sessions (the
    # episode-and-number index, newest first, stopping at the first answered) rather than from
    # the check-ins, which would sort every check-in of the episode by its session's number:
    # 2.6 ms instead of 19 ms for 60 clients with two years of history (docs/performance.md).
    last_alliance = (
        Session.objects.filter(episode=OuterRef("pk"), checkin__isnull=False)
        .order_by("-number")
        .values("checkin__alliance")[:1]
    )
    next_session = (
        Session.objects.filter(
            episode=OuterRef("pk"), status=SessionStatus.SCHEDULED, scheduled_at__gte=now
        )
        .order_by("scheduled_at")
        .values("scheduled_at")[:1]
    )
    # When the client was last heard from: their latest check-in and diary card (sign-ins are
    # the client's last_login), for "Not heard from in a while". Subqueries of the one query.
    last_checkin = (
        CheckIn.objects.filter(episode=OuterRef("pk"))
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    last_diary = (
        DiaryCard.objects.filter(episode=OuterRef("pk"))
        .order_by("-updated_at")
        .values("updated_at")[:1]
    )
    episodes = active_episodes.select_related("client").annotate(
        last_alliance=Subquery(last_alliance, output_field=FloatField()),
        next_session=Subquery(next_session, output_field=DateTimeField()),
        last_checkin=Subquery(last_checkin, output_field=DateTimeField()),
        last_diary=Subquery(last_diary, output_field=DateTimeField()),
        clinic_dropout_settings=F("clinic__dropout_settings"),
    )
    quiet_days: dict[Any, int] = {}
    no_alerts = {
        "max_sev": 0,
        "n": 0,
        "unack": 0,
        "oldest": None,
        "risk": 0,
        "not_on_track": 0,
        "dropout": 0,
    }
    no_checkins = {"awaiting": 0, "missed": 0}
    rows = []
    for e in episodes:
        if not e.client.has_usable_password():
            # Listed with the invitations waiting instead (invitations_waiting), like an
            # invitation to an address that already had an account: the two look the same.
            continue
        stats, counts = alert_stats.get(e.id, no_alerts), checkin_stats.get(e.id, no_checkins)
        n_risk, n_alerts, n_unack = stats["risk"], stats["n"], stats["unack"]
        n_awaiting, n_missed = counts["awaiting"], counts["missed"]
        reasons: list[str] = []
        if n_risk:
            reasons.append(
                ngettext(
                    "Risk answer to follow up (%(n)d)", "Risk answers to follow up (%(n)d)", n_risk
                )
                % {"n": n_risk}
            )
        if stats["not_on_track"]:
            reasons.append(_("Not on track on an outcome measure"))
        if stats["dropout"]:
            reasons.append(str(_("Signs of dropout risk (see the alert for why)")))
        if n_alerts:
            reasons.append(
                ngettext(
                    "%(n)d open alert (highest: %(level)s, oldest raised %(age)s ago)",
                    "%(n)d open alerts (highest: %(level)s, oldest raised %(age)s ago)",
                    n_alerts,
                )
                % {
                    "n": n_alerts,
                    "level": _SEVERITY_WORDS[stats["max_sev"]],
                    "age": _age(now, stats["oldest"]),
                }
            )
            if n_unack:
                reasons.append(
                    ngettext("%(n)d not yet acknowledged", "%(n)d not yet acknowledged", n_unack)
                    % {"n": n_unack}
                )
        if n_missed:
            reasons.append(
                ngettext(
                    "%(n)d check-in closed unanswered in the last 30 days",
                    "%(n)d check-ins closed unanswered in the last 30 days",
                    n_missed,
                )
                % {"n": n_missed}
            )
        if n_awaiting:
            reasons.append(
                ngettext("%(n)d check-in open", "%(n)d check-ins open", n_awaiting)
                % {"n": n_awaiting}
            )
        if e.clinic_id not in quiet_days:
            quiet_days[e.clinic_id] = _quiet_days(e.clinic_dropout_settings)
        rows.append(
            CaseloadRow(
                episode=e,
                max_severity=stats["max_sev"],
                risk_alerts=n_risk,
                not_on_track=bool(stats["not_on_track"]),
                dropout_risk=bool(stats["dropout"]),
                open_alerts=n_alerts,
                unacknowledged=n_unack,
                oldest_alert_at=stats["oldest"],
                awaiting_checkins=n_awaiting,
                missed_checkins=n_missed,
                last_alliance=e.last_alliance,
                next_session_at=e.next_session,
                reasons=reasons or ["Nothing needs attention"],
                quiet_since=quiet_since(
                    contacts=(e.last_checkin, e.last_diary, e.client.last_login),
                    started_at=datetime.combine(e.started_on, time.min, tzinfo=UTC),
                    now=now,
                    days=quiet_days[e.clinic_id],
                ),
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


def _quiet_days(overrides: Any) -> int:
    try:
        return DropoutSettings.from_mapping(overrides or {}).quiet_days
    except ValueError:
        # A mistyped override must not take the caseload down; the recompute reports it.
        return DropoutSettings().quiet_days


def not_heard_from(rows: list[CaseloadRow]) -> list[CaseloadRow]:
    """The caseload's clients not heard from in a while, the longest quiet first."""
    quiet = [row for row in rows if row.quiet_since is not None]
    return sorted(quiet, key=lambda row: (row.quiet_since, row.episode.client.full_name.lower()))


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
        .select_related("episode__client")
        # Whether it was answered, not the check-in itself (whose comment would be decrypted).
        .annotate(answered=Exists(CheckIn.objects.filter(session=OuterRef("pk"))))
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
