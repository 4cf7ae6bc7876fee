"""The figures a supervisor sees about a therapist: counts and rates, never a note or a comment.

Every query here reads numbers and dates only (``values_list`` of named columns), so no free
text (check-in comments, repair notes, close notes, follow-up notes) is ever loaded.
"""

from __future__ import annotations

import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Max, Q
from django.utils.translation import gettext_lazy as _

from alliance.checkins.models import CheckIn
from alliance.core.supervision import Rate, comparable, median, rate
from alliance.people.models import CareEpisode, EpisodeStatus, Role, SessionStatus, User
from alliance.ruptures.models import ACTIVE_STATES, Alert, AlertCategory
from alliance.supervision.models import SupervisionSettings, SupervisorAssignment

TREND_WEEKS = 8
NO_CONTACT_DAYS = 30


@dataclass(frozen=True)
class ClientRow:
    label: str  # "Client A", or the name when the clinic shows names
    active: bool
    checkins: int
    latest_alliance: float | None
    open_alerts: int


@dataclass(frozen=True)
class TherapistFigures:
    therapist: User
    cases: int  # care episodes with this therapist
    ruptures: int
    acknowledged: Rate
    median_hours_to_acknowledge: float | None
    repaired: Rate
    resolved_by_client: Rate
    alliance_recent: float | None
    alliance_recent_n: int
    alliance_before: float | None
    alliance_before_n: int
    not_on_track: int
    risk: int
    discrepancy: int
    dropout_proxy: Rate
    episode_ids: tuple[uuid.UUID, ...]
    client_ids: tuple[uuid.UUID, ...]

    @property
    def alliance_change(self) -> float | None:
        if self.alliance_recent is None or self.alliance_before is None:
            return None
        return self.alliance_recent - self.alliance_before


def shows_client_names(clinic_id: uuid.UUID) -> bool:
    return SupervisionSettings.objects.filter(clinic_id=clinic_id, show_client_names=True).exists()


def therapist_figures(therapist: User, *, now: datetime) -> TherapistFigures:
    """One therapist's figures since their first client (four queries)."""
    episodes = list(
        CareEpisode.objects.filter(therapist=therapist, clinic_id=therapist.clinic_id)
        .annotate(
            last_attended=Max(
                "sessions__scheduled_at", filter=Q(sessions__status=SessionStatus.ATTENDED)
            )
        )
        .values_list("id", "client_id", "status", "last_attended")
    )
    episode_ids = [e[0] for e in episodes]
    no_contact = now - timedelta(days=NO_CONTACT_DAYS)
    gone = sum(
        1
        for _id, _client, status, last in episodes
        if status == EpisodeStatus.ENDED or last is None or last < no_contact
    )
    ruptures = list(
        Alert.objects.filter(
            episode_id__in=episode_ids, category=AlertCategory.RUPTURE
        ).values_list(
            "created_at", "acknowledged_at", "repair_recorded_at", "resolved_by_checkin_id"
        )
    )
    n = len(ruptures)
    waits = [(ack - made).total_seconds() / 3600 for made, ack, _r, _c in ruptures if ack]
    counts = Alert.objects.filter(episode_id__in=episode_ids).aggregate(
        not_on_track=Count("id", filter=Q(category=AlertCategory.NOT_ON_TRACK)),
        risk=Count("id", filter=Q(category=AlertCategory.RISK)),
        discrepancy=Count("id", filter=Q(category=AlertCategory.DISCREPANCY)),
    )
    recent_from = now - timedelta(weeks=TREND_WEEKS)
    before_from = now - timedelta(weeks=2 * TREND_WEEKS)
    trend = CheckIn.objects.filter(episode_id__in=episode_ids).aggregate(
        recent=Avg("alliance", filter=Q(submitted_at__gte=recent_from, submitted_at__lte=now)),
        recent_n=Count("id", filter=Q(submitted_at__gte=recent_from, submitted_at__lte=now)),
        before=Avg(
            "alliance", filter=Q(submitted_at__gte=before_from, submitted_at__lt=recent_from)
        ),
        before_n=Count("id", filter=Q(submitted_at__gte=before_from, submitted_at__lt=recent_from)),
    )
    return TherapistFigures(
        therapist=therapist,
        cases=len(episodes),
        ruptures=n,
        acknowledged=rate(len(waits), n),
        median_hours_to_acknowledge=median(waits),
        repaired=rate(sum(1 for r in ruptures if r[2] is not None), n),
        resolved_by_client=rate(sum(1 for r in ruptures if r[3] is not None), n),
        alliance_recent=trend["recent"],
        alliance_recent_n=trend["recent_n"],
        alliance_before=trend["before"],
        alliance_before_n=trend["before_n"],
        not_on_track=counts["not_on_track"],
        risk=counts["risk"],
        discrepancy=counts["discrepancy"],
        dropout_proxy=rate(gone, len(episodes)),
        episode_ids=tuple(episode_ids),
        client_ids=tuple(e[1] for e in episodes),
    )


RATES = (
    ("acknowledged", _("Ruptures acknowledged")),
    ("repaired", _("Repair recorded")),
    ("resolved_by_client", _("Resolved, as the client confirmed")),
    ("dropout_proxy", _("Ended or out of contact (dropout proxy)")),
)


@dataclass(frozen=True)
class Comparison:
    key: str
    label: str
    shown: bool  # False: at least one therapist has fewer than MIN_CASES
    rows: list[tuple[User, Rate]]


def comparisons(figures: list[TherapistFigures]) -> list[Comparison]:
    """Each rate side by side, in the therapists' name order (never ranked), and only when every
    therapist has enough cases behind it."""
    ordered = sorted(figures, key=lambda f: (f.therapist.full_name, f.therapist.email))
    found = []
    for key, label in RATES:
        rows = [(f.therapist, getattr(f, key)) for f in ordered]
        found.append(Comparison(key, str(label), comparable([r for _t, r in rows]), rows))
    return found


def client_rows(figures: TherapistFigures, *, names: bool) -> list[ClientRow]:
    """One line per client of the therapist: "Client A", "Client B"… unless ``names``."""
    episodes = list(
        CareEpisode.objects.filter(id__in=figures.episode_ids)
        .annotate(
            n_checkins=Count("checkins", distinct=True),
            n_open=Count(
                "alerts",
                filter=Q(alerts__state__in=ACTIVE_STATES),
                distinct=True,
            ),
        )
        .order_by("started_on", "id")
        # The name is read only when the clinic shows it.
        .values_list("id", "status", "n_checkins", "n_open", "client__full_name" if names else "id")
    )
    latest = _latest_alliance(figures.episode_ids)
    rows = []
    for position, (episode_id, status, n_checkins, n_open, name) in enumerate(episodes):
        rows.append(
            ClientRow(
                label=str(name) if names else f"Client {_letters(position)}",
                active=status == EpisodeStatus.ACTIVE,
                checkins=n_checkins,
                latest_alliance=latest.get(episode_id),
                open_alerts=n_open,
            )
        )
    return rows


def _latest_alliance(episode_ids: tuple[uuid.UUID, ...]) -> dict[uuid.UUID, float]:
    latest: dict[uuid.UUID, tuple[int, float]] = {}
    for episode_id, number, alliance in CheckIn.objects.filter(
        episode_id__in=episode_ids
    ).values_list("episode_id", "session__number", "alliance"):
        if episode_id not in latest or number > latest[episode_id][0]:
            latest[episode_id] = (number, alliance)
    return {k: v for k, (_n, v) in latest.items()}


def _letters(position: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: a label that says nothing about who the client is."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = string.ascii_uppercase[rest] + letters
    return letters


@dataclass(frozen=True)
class AssignmentRow:
    id: uuid.UUID
    supervisor: str
    therapist: str
    assigned_at: datetime


def clinic_supervision(clinic_id: uuid.UUID) -> dict[str, object]:
    """What the clinic people page shows an admin about supervision."""
    people = User.objects.filter(clinic_id=clinic_id, is_active=True)
    return {
        "assignments": [
            AssignmentRow(a.id, a.supervisor.full_name, a.therapist.full_name, a.assigned_at)
            for a in SupervisorAssignment.objects.filter(
                clinic_id=clinic_id, ended_at__isnull=True
            ).select_related("supervisor", "therapist")
        ],
        "supervisors": list(people.filter(role=Role.SUPERVISOR).values_list("id", "full_name")),
        "therapists": list(people.filter(role=Role.THERAPIST).values_list("id", "full_name")),
        "show_client_names": shows_client_names(clinic_id),
    }
