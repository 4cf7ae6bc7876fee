"""Reads for absences: whose absence a clinician covers today, what a client is told, who has
been told, and the summary the cover reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from alliance.absences.models import Absence, AbsenceCancellation, AbsenceNotice, NoticeKind
from alliance.checkins.models import CheckIn
from alliance.core import absence as rules
from alliance.people.models import CareEpisode, Clinic, EpisodeStatus, Role, Session, User
from alliance.ruptures.models import ACTIVE_STATES, Alert, AlertCategory
from alliance.safetyplan.models import SafetyPlan
from alliance.safetyplan.selectors import PlanView, plan_view_of


def clinic_today(clinic: Clinic, now: datetime) -> date:
    """The local date in the clinic's time zone: absences are whole days there."""
    return now.astimezone(ZoneInfo(clinic.timezone)).date()


def live(absences: QuerySet[Absence]) -> QuerySet[Absence]:
    return absences.filter(cancelled_at__isnull=True)


def absences_on(today: date) -> Q:
    return Q(cancelled_at__isnull=True, starts_on__lte=today, ends_on__gte=today)


def covering_now(cover: User, *, now: datetime) -> list[Absence]:
    """The absences ``cover`` stands in for today (clinic time), with the absent therapist."""
    if cover.role != Role.THERAPIST or not cover.is_active:
        return []
    today = clinic_today(cover.clinic, now)
    return list(
        Absence.objects.filter(absences_on(today), cover=cover, clinic_id=cover.clinic_id)
        .select_related("therapist")
        .order_by("starts_on", "pk")
    )


def covered_episodes(cover: User, *, now: datetime) -> QuerySet[CareEpisode]:
    """The care episodes in progress of every therapist ``cover`` stands in for today."""
    absent = [a.therapist_id for a in covering_now(cover, now=now)]
    if not absent:
        return CareEpisode.objects.none()
    return CareEpisode.objects.filter(
        therapist_id__in=absent, clinic_id=cover.clinic_id, status=EpisodeStatus.ACTIVE
    )


def is_covering(cover: User, episode: CareEpisode, *, now: datetime) -> bool:
    return covered_episodes(cover, now=now).filter(pk=episode.pk).exists()


def overlapping(therapist: User, starts_on: date, ends_on: date) -> Absence | None:
    return (
        live(Absence.objects.filter(therapist=therapist))
        .filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
        .order_by("starts_on")
        .first()
    )


def colleagues(therapist: User) -> QuerySet[User]:
    """Who may cover: the other active therapists of the clinic."""
    return (
        User.objects.filter(clinic_id=therapist.clinic_id, role=Role.THERAPIST, is_active=True)
        .exclude(pk=therapist.pk)
        .order_by("full_name")
    )


def shown_from(absence: Absence) -> date:
    return absence.starts_on - timedelta(days=absence.lead_days)


def client_absences(
    client: User, *, now: datetime, episodes: Sequence[CareEpisode] | None = None
) -> list[Absence]:
    """The absences the client's home page shows: their therapist's, from the first notice's
    day until the last day away.

    ``episodes``: the client's own episodes with their clinic, if the request has read them
    already (``access.client_episodes``, which the page's other parts read too); the ones not in
    progress are left out here.
    """
    if client.role != Role.CLIENT or client.clinic_id is None:
        return []
    # The clinic comes with the episodes (one query): the home page reads no clinic row of its
    # own on every visit (tests/web/test_crisis_lines.py pins that).
    if episodes is None:
        episodes = list(
            CareEpisode.objects.filter(
                client=client, clinic_id=client.clinic_id, status=EpisodeStatus.ACTIVE
            ).select_related("clinic")
        )
    episodes = [
        e
        for e in episodes
        if e.status == EpisodeStatus.ACTIVE
        and e.client_id == client.id
        and e.clinic_id == client.clinic_id
    ]
    if not episodes:
        return []
    today = clinic_today(episodes[0].clinic, now)
    therapists = [episode.therapist_id for episode in episodes]
    found = (
        live(Absence.objects.filter(therapist_id__in=therapists, ends_on__gte=today))
        .filter(starts_on__lte=today + timedelta(days=rules.MAX_LEAD_DAYS))
        .select_related("therapist", "cover")
        .order_by("starts_on")
    )
    return [a for a in found if shown_from(a) <= today]


@dataclass
class ToldRow:
    client: User
    told: dict[str, AbsenceNotice] = field(default_factory=dict)


def notices_table(absence: Absence) -> tuple[list[tuple[str, str]], list[ToldRow]]:
    """Each client in care with the absent therapist, and which notices they were sent.

    The columns are the absence's own notices (``rules.notices``); a notice superseded by a
    later one (an absence recorded late) is blank, since the later notice said it all.
    """
    kinds = [n.kind for n in rules.notices(absence.starts_on, absence.lead_days, ZoneInfo("UTC"))]
    columns = [(kind, str(NoticeKind(kind).label)) for kind in kinds]
    episodes = CareEpisode.objects.filter(
        therapist=absence.therapist, clinic_id=absence.clinic_id, status=EpisodeStatus.ACTIVE
    ).select_related("client")
    rows = {e.client_id: ToldRow(client=e.client) for e in episodes}
    for notice in AbsenceNotice.objects.filter(absence=absence).select_related("client", "message"):
        row = rows.setdefault(notice.client_id, ToldRow(client=notice.client))
        row.told[notice.kind] = notice
    return columns, sorted(rows.values(), key=lambda r: r.client.full_name)


def cancelled_sessions(absence: Absence) -> list[Session]:
    ids = AbsenceCancellation.objects.filter(absence=absence, restored_at__isnull=True).values(
        "session_id"
    )
    return list(
        Session.objects.filter(id__in=ids)
        .select_related("episode__client")
        .order_by("scheduled_at")
    )


@dataclass(frozen=True)
class CoverSummary:
    latest_checkin: CheckIn | None
    open_alerts: list[Alert]
    risk_alerts: list[Alert]
    safety_plan: PlanView | None = None


def cover_summary(episode: CareEpisode) -> CoverSummary:
    """What the cover reads about one client: the latest alliance, open alerts, risk, and the
    client's safety plan (what the cover may need first when following up a risk answer)."""
    latest = CheckIn.objects.filter(episode=episode).order_by("-submitted_at").first()
    active = list(
        Alert.objects.filter(episode=episode, state__in=ACTIVE_STATES).order_by(
            "-severity", "created_at"
        )
    )
    plan = SafetyPlan.objects.filter(episode=episode).first()
    return CoverSummary(
        latest_checkin=latest,
        open_alerts=[a for a in active if a.category != AlertCategory.RISK],
        risk_alerts=[a for a in active if a.category == AlertCategory.RISK],
        safety_plan=plan_view_of(plan),
    )


@dataclass(frozen=True)
class CoverBlock:
    absence: Absence
    episodes: list[CareEpisode]
    risk_alerts: list[Alert]


def cover_caseload(cover: User, *, now: datetime) -> list[CoverBlock]:
    """One block per therapist ``cover`` stands in for today: their clients, and the risk
    answers still to follow up (those raised before the absence and during it)."""
    blocks = []
    for absence in covering_now(cover, now=now):
        episodes = list(
            CareEpisode.objects.filter(
                therapist_id=absence.therapist_id,
                clinic_id=cover.clinic_id,
                status=EpisodeStatus.ACTIVE,
            )
            .select_related("client", "therapist", "clinic")
            .order_by("client__full_name")
        )
        risk = list(
            Alert.objects.filter(
                episode__in=[e.pk for e in episodes],
                category=AlertCategory.RISK,
                state__in=ACTIVE_STATES,
            )
            .select_related("episode__client")
            .order_by("created_at")
        )
        blocks.append(CoverBlock(absence=absence, episodes=episodes, risk_alerts=risk))
    return blocks


def therapist_absences(therapist: User, *, now: datetime) -> list[Absence]:
    """The therapist's absences not yet over (cancelled ones too, marked), then the last few
    past ones."""
    today = clinic_today(therapist.clinic, now)
    mine = Absence.objects.filter(therapist=therapist, clinic_id=therapist.clinic_id)
    ahead = list(mine.filter(ends_on__gte=today).select_related("cover").order_by("starts_on"))
    past = list(mine.filter(ends_on__lt=today).select_related("cover").order_by("-starts_on")[:5])
    return ahead + past


def told_episodes(absence: Absence) -> list[CareEpisode]:
    """The episodes whose clients the absence page names (for the audit log)."""
    clients = AbsenceNotice.objects.filter(absence=absence).values("client_id")
    return list(
        CareEpisode.objects.filter(therapist=absence.therapist, clinic_id=absence.clinic_id)
        .filter(Q(status=EpisodeStatus.ACTIVE) | Q(client_id__in=clients))
        .select_related("client", "clinic")
    )


def notice_days(absence: Absence) -> list[rules.Notice]:
    return rules.notices(absence.starts_on, absence.lead_days, ZoneInfo(absence.clinic.timezone))


def absence_covered(cover: User, episode: CareEpisode, *, now: datetime) -> Absence | None:
    """The absence through which ``cover`` reads ``episode`` today, if any."""
    for absence in covering_now(cover, now=now):
        if absence.therapist_id == episode.therapist_id:
            return absence
    return None
