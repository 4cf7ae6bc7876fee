"""Reads for the client timeline, the session-prep summary and the ruptures-and-urges figure.

Each gathers a care episode's records in a fixed handful of queries, whatever the number of
check-ins, cards or scores: sessions with their check-ins, rupture alerts, questionnaire
answers (and one definition per questionnaire), diary cards. The episode itself came through
``alliance.access``; diary cards come through ``access.diary_cards_for``, so a draft is never
read. Days are the client's own dates, in their time zone, like the diary card's.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance import access
from alliance.absences.models import Absence, AbsenceCancellation
from alliance.core import diary as card_def
from alliance.core.checkin import CHECKIN
from alliance.core.outcomes import score_range
from alliance.core.timeline import (
    AROUND_DAYS,
    MIN_SAMPLE,
    GroupChange,
    Window,
    WindowMean,
    around,
    group_change,
    window_for,
)
from alliance.diary.models import DiaryCard
from alliance.outcomes.definitions import UnknownInstrument, available_for, definition_for
from alliance.outcomes.models import OutcomeResponse, OutcomeSchedule
from alliance.outcomes.schedule import due
from alliance.outcomes.selectors import (
    episode_bounds,
    occasion_label,
    score_changes,
    session_slots,
    spec_of,
)
from alliance.people.models import CareEpisode, Session, SessionStatus, User
from alliance.ratings.models import TherapistRating
from alliance.ruptures.models import (
    ACTIVE_STATES,
    Alert,
    AlertCategory,
    AlertState,
    CloseReason,
    RepairRecord,
)
from alliance.safetyplan.selectors import PlanView, plan_view_of
from alliance.timeline.lanes import (
    AwayBand,
    CheckinPoint,
    DiaryDay,
    Lane,
    RatingPoint,
    RupturePoint,
    ScorePoint,
    SessionMark,
    alliance_lane,
    axis_for,
    diary_lane,
    outcome_lane,
    rupture_lane,
    sessions_lane,
)

URGE_KEYS = (*(u.key for u in card_def.URGES), card_def.QUIT.key)
ACTED_KEYS = tuple(u.acted_key for u in card_def.URGES)
CARD_FIELDS = ("id", "episode_id", "day", *URGE_KEYS, *ACTED_KEYS, "skills_code")


def client_today(episode: CareEpisode, now: datetime) -> date:
    return card_def.local_day(now, episode.client.zone)


def _day(moment: datetime, episode: CareEpisode) -> date:
    return moment.astimezone(episode.client.zone).date()


def rupture_state(alert: Alert) -> str:
    """Where a rupture stands, as a key of ``lanes.RUPTURE_STATES`` (see docs/timeline.md)."""
    if alert.state == AlertState.RESOLVED:
        return "resolved_by_client"
    if alert.state == AlertState.CLOSED:
        if alert.close_reason == CloseReason.RESOLVED_IN_SESSION:
            return "resolved_in_session"
        if alert.close_reason == CloseReason.NOT_A_RUPTURE:
            return "not_a_rupture"
        return "closed"
    if alert.state == AlertState.REPAIR_RECORDED:
        return "repair_recorded"
    return "open"


def _closed_day(alert: Alert, episode: CareEpisode) -> date | None:
    moment = alert.resolved_at or alert.closed_at
    return _day(moment, episode) if moment is not None else None


# --- diary cards as daily values ---------------------------------------------------------------


def _diary_day(row: dict[str, Any]) -> DiaryDay:
    acted = [row[key] for key in ACTED_KEYS if row[key] is not None]
    return DiaryDay(
        day=row["day"],
        urges={key: row[key] for key in URGE_KEYS},
        acted=any(acted) if acted else None,
        skills_code=row["skills_code"],
    )


def _cards(user: User, episodes: Q) -> list[dict[str, Any]]:
    """Sent diary cards as plain values (no note, no draft: neither is decrypted)."""
    return list(access.diary_cards_for(user).filter(episodes).order_by("day").values(*CARD_FIELDS))


def _around(day: date, days: dict[date, DiaryDay]) -> tuple[tuple[WindowMean, WindowMean], ...]:
    urges = around(day, {d: v.highest_urge for d, v in days.items()})
    skills = around(day, {d: v.skills_code for d, v in days.items()})
    return urges, skills


def _ruptures(episode: CareEpisode) -> list[Alert]:
    return list(
        Alert.objects.filter(episode=episode, category=AlertCategory.RUPTURE)
        .select_related("session")
        .order_by("session__scheduled_at")
    )


def _rupture_point(alert: Alert, episode: CareEpisode, days: dict[date, DiaryDay]) -> RupturePoint:
    assert alert.session is not None  # a rupture alert always has its session (a constraint)
    day = _day(alert.session.scheduled_at, episode)
    urges, skills = _around(day, days)
    return RupturePoint(
        alert_id=str(alert.id),
        url=reverse("alert_detail", args=[alert.id]),
        day=day,
        session_number=alert.session.number,
        state=rupture_state(alert),
        closed_day=_closed_day(alert, episode),
        urges=urges,
        skills=skills,
    )


# --- the timeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    window: Window
    range_key: str
    lanes: list[Lane]
    # What the page showed, for the audit log: (record type, ids).
    shown: dict[str, list[uuid.UUID]]


def _outcome_lanes(
    episode: CareEpisode, responses: list[OutcomeResponse], window: Window
) -> tuple[list[Lane], list[uuid.UUID]]:
    by_instrument: dict[str, list[OutcomeResponse]] = defaultdict(list)
    for response in responses:
        by_instrument[response.instrument_id].append(response)
    lanes, shown = [], []
    axis = axis_for(window)
    for instrument_id, given in sorted(by_instrument.items()):
        try:
            defn = definition_for(episode.clinic_id, instrument_id)
        except UnknownInstrument:
            continue
        points = []
        for found in score_changes(defn, given):
            response = found.response
            day = _day(response.submitted_at, episode)
            if response.composite is None or day not in window:
                continue
            shown.append(response.id)
            points.append(
                ScorePoint(
                    day=day,
                    value=response.composite,
                    band=response.band,
                    occasion=occasion_label(response.occasion),
                    marker=found.marker,
                    change=None if found.summary is None else found.summary.change,
                    url=reverse("response_detail", args=[response.id]),
                )
            )
        low, high = score_range(defn)
        lanes.append(
            outcome_lane(
                axis,
                instrument_id=defn.id,
                title=defn.instrument.title,
                low=low,
                high=high,
                bands=[(band.min, band.label) for band in defn.outcome.bands],
                higher_is_better=defn.higher_is_better,
                points=points,
            )
        )
    return lanes, shown


def episode_timeline(
    therapist: User, episode: CareEpisode, *, range_key: str, now: datetime
) -> Timeline:
    """Every lane of the episode's timeline over the zoom ``range_key`` (already parsed)."""
    today = client_today(episode, now)
    sessions = list(
        Session.objects.filter(episode=episode).select_related("checkin").order_by("scheduled_at")
    )
    first = min([episode.started_on, *(_day(s.scheduled_at, episode) for s in sessions[:1])])
    window = window_for(range_key, today=today, first_day=first)
    axis = axis_for(window)
    in_window = [s for s in sessions if _day(s.scheduled_at, episode) in window]

    rows = _cards(
        therapist,
        Q(
            episode=episode,
            day__gte=window.start - timedelta(days=AROUND_DAYS),
            day__lte=window.end,
        ),
    )
    days = {row["day"]: _diary_day(row) for row in rows}
    ruptures = [
        _rupture_point(alert, episode, days)
        for alert in _ruptures(episode)
        if alert.session is not None and _day(alert.session.scheduled_at, episode) in window
    ]
    checkins = [(s, s.checkin) for s in in_window if getattr(s, "checkin", None) is not None]
    points = [
        CheckinPoint(
            day=_day(s.scheduled_at, episode),
            session_number=s.number,
            alliance=c.alliance,
            bond=c.bond,
            tasks=c.tasks,
            goals=c.goals,
        )
        for s, c in checkins
    ]
    responses = list(
        OutcomeResponse.objects.filter(episode=episode)
        .defer("text_answers", "answers")
        .order_by("submitted_at")
    )
    outcome_lanes, responses_shown = _outcome_lanes(episode, responses, window)
    ratings = _ratings(therapist, episode, in_window)
    away_ids = set(
        AbsenceCancellation.objects.filter(
            session__episode=episode, restored_at__isnull=True
        ).values_list("session_id", flat=True)
    )
    marks = [
        SessionMark(
            day=_day(s.scheduled_at, episode),
            number=s.number,
            status=s.status,
            label=_session_label(s, away=s.id in away_ids),
        )
        for s in in_window
        if s.scheduled_at <= now
    ]
    lanes = [
        alliance_lane(axis, points, [point for _id, point in ratings]),
        rupture_lane(axis, ruptures),
        *outcome_lanes,
        diary_lane(axis, list(days.values()), ruptures),
        sessions_lane(axis, marks, _away_bands(episode, window)),
    ]
    return Timeline(
        window=window,
        range_key=range_key,
        lanes=lanes,
        shown={
            "checkin": [c.id for _session, c in checkins],
            "alert": [uuid.UUID(r.alert_id) for r in ruptures],
            "outcome_response": responses_shown,
            "diary_card": [row["id"] for row in rows if row["day"] in window],
            "therapist_rating": [rating_id for rating_id, _point in ratings],
        },
    )


def _ratings(
    therapist: User, episode: CareEpisode, sessions: list[Session]
) -> list[tuple[uuid.UUID, RatingPoint]]:
    """The therapist's own ratings of the sessions in the window, in session order (one query).

    Only the episode's own therapist sees them: anyone else reading the page (a cover) gets
    none, as a rating is read only by the therapist who gave it (alliance.access)."""
    if episode.therapist_id != therapist.pk:
        return []
    by_session = {s.id: s for s in sessions}
    found = TherapistRating.objects.filter(
        episode=episode, session_id__in=list(by_session)
    ).values_list("id", "session_id", "alliance", "bond", "tasks", "goals")
    ratings = []
    for rating_id, session_id, alliance, bond, tasks, goals in found:
        session = by_session[session_id]
        ratings.append(
            (
                rating_id,
                RatingPoint(
                    day=_day(session.scheduled_at, episode),
                    session_number=session.number,
                    alliance=alliance,
                    bond=bond,
                    tasks=tasks,
                    goals=goals,
                ),
            )
        )
    ratings.sort(key=lambda found: (found[1].day, found[1].session_number))
    return ratings


def _session_label(session: Session, *, away: bool) -> str:
    if session.status == SessionStatus.SCHEDULED:
        return _("Not marked yet")
    if away and session.status == SessionStatus.CANCELLED_THERAPIST:
        return _("Cancelled: therapist away")
    return str(session.get_status_display())


def _away_bands(episode: CareEpisode, window: Window) -> list[AwayBand]:
    """The episode's therapist's planned absences that touch the window; called-off ones are
    left out (one query). Absence dates are the clinic's local dates, drawn as they are."""
    found = (
        Absence.objects.filter(
            therapist_id=episode.therapist_id,
            cancelled_at__isnull=True,
            starts_on__lte=window.end,
            ends_on__gte=window.start,
        )
        .order_by("starts_on")
        .values_list("starts_on", "ends_on")
    )
    return [AwayBand(starts_on=first, ends_on=last) for first, last in found]


# --- ruptures and urges across the caseload ----------------------------------------------------


@dataclass(frozen=True)
class UrgesGroup:
    label: str
    ruptures: int  # ruptures in the group
    urges: GroupChange  # the day's highest urge, 7 days before and after
    skills: GroupChange  # the skills code, 7 days before and after


@dataclass(frozen=True)
class RuptureUrges:
    repaired: UrgesGroup
    not_repaired: UrgesGroup
    excluded: int  # closed as "not a rupture"
    clients: int  # clients with at least one rupture counted
    minimum: int
    episodes: list[CareEpisode]

    @property
    def groups(self) -> list[UrgesGroup]:
        return [self.repaired, self.not_repaired]


def caseload_rupture_urges(therapist: User, *, minimum: int = MIN_SAMPLE) -> RuptureUrges:
    """Ruptures across the therapist's care episodes with the diary card around each.

    Three queries: the episodes, their rupture alerts, and the sent cards in the 7 days either
    side of each episode's ruptures.
    """
    episodes = list(access.episodes_for(therapist).select_related("client", "clinic"))
    by_id = {e.id: e for e in episodes}
    alerts = list(
        Alert.objects.filter(episode__in=list(by_id), category=AlertCategory.RUPTURE)
        .select_related("session")
        .order_by("session__scheduled_at")
    )
    span: dict[uuid.UUID, tuple[date, date]] = {}
    for alert in alerts:
        assert alert.session is not None
        day = _day(alert.session.scheduled_at, by_id[alert.episode_id])
        first, last = span.get(alert.episode_id, (day, day))
        span[alert.episode_id] = (min(first, day), max(last, day))
    window = timedelta(days=AROUND_DAYS)
    match = Q(pk__in=[])
    for episode_id, (first, last) in span.items():
        match |= Q(episode_id=episode_id, day__gte=first - window, day__lte=last + window)
    days: dict[uuid.UUID, dict[date, DiaryDay]] = defaultdict(dict)
    for row in _cards(therapist, match) if span else []:
        days[row["episode_id"]][row["day"]] = _diary_day(row)
    groups: dict[bool, list[RupturePoint]] = {True: [], False: []}
    excluded = 0
    clients = set()
    for alert in alerts:
        episode = by_id[alert.episode_id]
        point = _rupture_point(alert, episode, days[alert.episode_id])
        if point.state == "not_a_rupture":
            excluded += 1
            continue
        groups[point.repaired].append(point)
        clients.add(episode.client_id)

    def group(label: str, points: Sequence[RupturePoint]) -> UrgesGroup:
        return UrgesGroup(
            label=label,
            ruptures=len(points),
            urges=group_change((p.urges for p in points), minimum=minimum),
            skills=group_change((p.skills for p in points), minimum=minimum),
        )

    return RuptureUrges(
        repaired=group(_("Repaired"), groups[True]),
        not_repaired=group(_("Not repaired"), groups[False]),
        excluded=excluded,
        clients=len(clients),
        minimum=minimum,
        episodes=[by_id[i] for i in span],
    )


# --- the session-prep summary ------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinChange:
    session: Session
    checkin: Any  # CheckIn
    previous: Any | None  # the check-in before it, for the change

    def change(self, part: str) -> float | None:
        if self.previous is None:
            return None
        return float(getattr(self.checkin, part) - getattr(self.previous, part))

    @property
    def parts(self) -> list[tuple[str, float, float | None]]:
        """(label, value, change from the check-in before) for the composite and its parts."""
        return [
            (label, float(getattr(self.checkin, key)), self.change(key))
            for key, label in (
                ("alliance", _("Alliance (1–7)")),
                ("bond", _("Bond")),
                ("tasks", _("Tasks")),
                ("goals", _("Goals")),
            )
        ]

    @property
    def answers(self) -> list[tuple[str, str]]:
        """The tension questions, in the words of the client's answer options."""
        found = [(_("Tension or feeling unheard"), _answer_label("tension", self.checkin.tension))]
        if self.checkin.tension:
            found += [
                (_("Talked about it"), _answer_label("talked", self.checkin.talked)),
                (_("How resolved it felt"), _answer_label("resolved", self.checkin.resolved)),
            ]
        if self.checkin.followup_resolved is not None:
            found.append(
                (
                    _("The earlier moment, now"),
                    _answer_label("followup_resolved", self.checkin.followup_resolved),
                )
            )
        return found


def _answer_label(key: str, value: int | None) -> str:
    if value is None:
        return _("Not answered")
    labels = {option.value: _(option.label) for option in CHECKIN.item(key).options}
    return labels.get(value, str(value))


@dataclass(frozen=True)
class ScoreLine:
    title: str
    response: OutcomeResponse
    band: str
    change: float | None  # from the first score
    reliable: str  # "Reliable improvement" | "Reliable deterioration" | ""
    new: bool  # answered since the last session


@dataclass(frozen=True)
class UrgeLine:
    label: str
    highest: int | None
    highest_day: date | None
    mean: float | None
    acted_days: int | None  # None for the urge to quit (no "acted" question)


@dataclass(frozen=True)
class DiaryHighlights:
    first: date
    last: date
    filled: int
    urges: list[UrgeLine]
    skills_mean: float | None
    self_harm_actions: int
    substance_actions: int
    notes: list[tuple[date, str]]  # only when the therapist asked for free text


@dataclass(frozen=True)
class OpenRupture:
    alert: Alert
    day: date
    state: str
    repair: RepairRecord | None


def _score_lines(
    episode: CareEpisode, responses: list[OutcomeResponse], since: datetime
) -> tuple[list[ScoreLine], list[OutcomeResponse]]:
    """The latest score of each questionnaire, with its change; the responses shown."""
    by_instrument: dict[str, list[OutcomeResponse]] = defaultdict(list)
    for response in responses:
        by_instrument[response.instrument_id].append(response)
    lines, shown = [], []
    for instrument_id, given in sorted(by_instrument.items()):
        try:
            defn = definition_for(episode.clinic_id, instrument_id)
        except UnknownInstrument:
            continue
        scored = [c for c in score_changes(defn, given) if c.response.composite is not None]
        if not scored:
            continue
        latest = scored[-1]
        shown.append(latest.response)
        lines.append(
            ScoreLine(
                title=defn.instrument.title,
                response=latest.response,
                band=latest.response.band,
                change=None if latest.summary is None else latest.summary.change,
                reliable=latest.reliable_text,
                new=latest.response.submitted_at >= since,
            )
        )
    return lines, shown


def _highlights(
    cards: list[DiaryCard], first: date, last: date, *, with_notes: bool
) -> DiaryHighlights:
    lines = []
    urges: list[tuple[str, str, str | None]] = [
        *((u.key, _(u.short), u.acted_key) for u in card_def.URGES),
        (card_def.QUIT.key, _("Quit therapy"), None),
    ]
    for key, label, acted_key in urges:
        values = [(c.day, getattr(c, key)) for c in cards if getattr(c, key) is not None]
        peak = max(values, key=lambda v: (v[1], v[0]), default=None)
        lines.append(
            UrgeLine(
                label=label,
                highest=peak[1] if peak else None,
                highest_day=peak[0] if peak else None,
                mean=(sum(v for _day, v in values) / len(values)) if values else None,
                acted_days=sum(1 for c in cards if getattr(c, acted_key)) if acted_key else None,
            )
        )
    skills = [c.skills_code for c in cards if c.skills_code is not None]
    return DiaryHighlights(
        first=first,
        last=last,
        filled=len(cards),
        urges=lines,
        skills_mean=sum(skills) / len(skills) if skills else None,
        self_harm_actions=sum(c.action_self_harm or 0 for c in cards),
        substance_actions=sum(c.action_substance or 0 for c in cards),
        notes=[(c.day, c.note) for c in cards if c.note] if with_notes else [],
    )


def _questions_due(
    episode: CareEpisode, sessions: list[Session], responses: list[OutcomeResponse], at: datetime
) -> list[str]:
    """The questionnaires the client can answer at ``at`` (the next session, or now)."""
    titles = {a.instrument_id: a.title for a in available_for(episode.clinic_id)}
    started, ended = episode_bounds(episode)
    slots = session_slots(sessions)
    found = []
    for schedule in OutcomeSchedule.objects.filter(episode=episode):
        answered = {r.occasion for r in responses if r.instrument_id == schedule.instrument_id}
        for occasion in due(
            spec_of(schedule),
            started_at=started,
            ended_at=ended,
            sessions=slots,
            answered=answered,
            now=at,
        ):
            title = titles.get(schedule.instrument_id, schedule.instrument_id)
            found.append(f"{title}: {occasion_label(occasion.key).lower()}")
    return found


def _safety_plan(therapist: User, episode: CareEpisode) -> PlanView | None:
    """The plan's state for the summary, read through ``access.safety_plan_of`` (which notes
    the read in the audit log); None while the client has no plan."""
    plan = access.safety_plan_of(therapist, episode)
    if plan is None or plan.version == 0:
        return None
    return plan_view_of(plan)


def session_prep(
    therapist: User, episode: CareEpisode, *, now: datetime, with_notes: bool
) -> dict[str, Any]:
    """One page for the next session: what changed since the last one, open ruptures with
    their repair plan, questionnaires due. Free text (check-in comments, diary notes, repair
    notes and plans) only ``with_notes``."""
    sessions = list(
        Session.objects.filter(episode=episode).select_related("checkin").order_by("scheduled_at")
    )
    past = [s for s in sessions if s.scheduled_at <= now]
    attended = [s for s in past if s.status == "attended"]
    last = attended[-1] if attended else None
    upcoming = [s for s in sessions if s.status == "scheduled" and s.scheduled_at > now]
    next_session = upcoming[0] if upcoming else None
    # "Since the last session": from when it began; with none attended yet, since care began.
    since = last.scheduled_at if last is not None else episode_bounds(episode)[0]
    since_day = _day(since, episode) if last is not None else episode.started_on
    today = client_today(episode, now)

    answered = [s for s in attended if getattr(s, "checkin", None) is not None]
    checkin = None
    if answered:
        latest = answered[-1]
        previous = answered[-2].checkin if len(answered) > 1 else None
        checkin = CheckinChange(latest, latest.checkin, previous)

    responses = list(
        OutcomeResponse.objects.filter(episode=episode)
        .defer("text_answers", "answers")
        .order_by("submitted_at")
    )
    scores, scores_shown = _score_lines(episode, responses, since)

    cards_query = access.diary_cards_for(therapist).filter(
        episode=episode, day__gte=since_day, day__lte=today
    )
    if not with_notes:
        cards_query = cards_query.defer("note")
    cards = list(cards_query.defer("draft").order_by("day"))
    diary = _highlights(cards, since_day, today, with_notes=with_notes)

    alerts = list(
        Alert.objects.filter(episode=episode)
        .filter(
            Q(category=AlertCategory.RUPTURE, state__in=ACTIVE_STATES)
            | Q(category=AlertCategory.RISK, created_at__gte=since)
            | Q(category=AlertCategory.RISK, state__in=ACTIVE_STATES)
        )
        .select_related("session")
        .prefetch_related("repairs")  # newest first (RepairRecord.Meta)
        .order_by("created_at")
    )
    ruptures = [
        OpenRupture(
            alert=a,
            day=_day(a.session.scheduled_at, episode) if a.session else _day(a.created_at, episode),
            state=rupture_state(a),
            repair=next(iter(a.repairs.all()), None),
        )
        for a in alerts
        if a.category == AlertCategory.RUPTURE
    ]
    risks = [a for a in alerts if a.category == AlertCategory.RISK]
    safety_plan = _safety_plan(therapist, episode)
    due_at = next_session.scheduled_at if next_session is not None else now
    return {
        "episode": episode,
        "client": episode.client,
        "last_session": last,
        "next_session": next_session,
        "since_day": since_day,
        "today": today,
        "checkin": checkin,
        "scores": scores,
        "diary": diary,
        "ruptures": ruptures,
        "risks": risks,
        "due": _questions_due(episode, sessions, responses, due_at),
        "due_at_next_session": next_session is not None,
        "safety_plan": safety_plan,
        "with_notes": with_notes,
        "now": now,
        "shown": {
            "checkin": [checkin.checkin.id] if checkin else [],
            "outcome_response": [r.id for r in scores_shown],
            "diary_card": [c.id for c in cards],
            "alert": [a.id for a in alerts],
        },
    }
