"""Reads for outcome questionnaires: what is due for a client, and the therapist's overview."""

from __future__ import annotations

import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from alliance.core.outcomes import ChangeSummary, OutcomeDefinition, change_summary, score_range
from alliance.outcomes.charts import RECENT, OutcomePoint, describe, outcome_svg
from alliance.outcomes.definitions import UnknownInstrument, available_for, definition_for
from alliance.outcomes.models import OutcomeResponse, OutcomeSchedule
from alliance.outcomes.schedule import (
    Occasion,
    OccasionKind,
    ScheduleSpec,
    SessionSlot,
    due,
    is_open,
    occasions,
    parse_occasion,
)
from alliance.people.models import CareEpisode, EpisodeStatus, Session, SessionStatus, User


@dataclass(frozen=True)
class Questionnaire:
    """One questionnaire on one occasion of a care episode, answered or not."""

    episode: CareEpisode
    definition: OutcomeDefinition
    occasion: Occasion
    response: OutcomeResponse | None

    @property
    def instrument_id(self) -> str:
        return self.definition.id

    @property
    def title(self) -> str:
        return self.definition.instrument.title

    def is_open(self, now: datetime) -> bool:
        return self.response is None and is_open(self.occasion, now)


def _day_start(day: date, zone_name: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(zone_name))


def episode_bounds(episode: CareEpisode) -> tuple[datetime, datetime | None]:
    """When the episode started and ended: the start of those days in the clinic's time zone."""
    zone = episode.clinic.timezone
    started = _day_start(episode.started_on, zone)
    if episode.status != EpisodeStatus.ENDED:
        return started, None
    # An ended episode without a date (imported data) has no open occasions at all.
    return started, started if episode.ended_on is None else _day_start(episode.ended_on, zone)


def spec_of(schedule: OutcomeSchedule) -> ScheduleSpec:
    return ScheduleSpec(
        at_intake=schedule.at_intake,
        every_sessions=schedule.every_sessions,
        every_weeks=schedule.every_weeks,
        at_discharge=schedule.at_discharge,
    )


def schedules_by_instrument(episode: CareEpisode) -> dict[str, OutcomeSchedule]:
    """The episode's questionnaire schedules by instrument id (``episode`` came through
    alliance.access)."""
    return {s.instrument_id: s for s in OutcomeSchedule.objects.filter(episode=episode)}


def session_slots(sessions: list[Session]) -> list[SessionSlot]:
    return [SessionSlot(s.number, s.scheduled_at, s.status) for s in sessions]


def attended_before(episode_id: uuid.UUID, at: datetime) -> int:
    """Sessions of the episode attended by ``at``: a response's place in the series."""
    return Session.objects.filter(
        episode_id=episode_id, status=SessionStatus.ATTENDED, scheduled_at__lte=at
    ).count()


def due_for_client(client: User, *, now: datetime) -> list[Questionnaire]:
    """Every questionnaire the client can answer now, in the order they opened.

    A handful of queries (episodes, schedules, sessions, answered occasions, the clinic's
    imported definitions), plus one per questionnaire due.
    """
    from alliance.access import client_episodes  # access imports this module

    episodes = {e.id: e for e in client_episodes(client)}
    schedules = list(OutcomeSchedule.objects.filter(episode_id__in=list(episodes)))
    if not schedules:
        return []
    sessions: dict[uuid.UUID, list[Session]] = defaultdict(list)
    for session in Session.objects.filter(episode_id__in=list(episodes)):
        sessions[session.episode_id].append(session)
    answered: dict[tuple[uuid.UUID, str], set[str]] = defaultdict(set)
    for episode_id, instrument_id, key in OutcomeResponse.objects.filter(
        episode_id__in=list(episodes)
    ).values_list("episode_id", "instrument_id", "occasion"):
        answered[(episode_id, instrument_id)].add(key)
    known = {a.instrument_id for a in available_for(client.clinic_id)}
    found: list[Questionnaire] = []
    for schedule in schedules:
        if schedule.instrument_id not in known:
            continue
        episode = episodes[schedule.episode_id]
        started, ended = episode_bounds(episode)
        for occasion in due(
            spec_of(schedule),
            started_at=started,
            ended_at=ended,
            sessions=session_slots(sessions[episode.id]),
            answered=answered[(episode.id, schedule.instrument_id)],
            now=now,
        ):
            defn = definition_for(client.clinic_id, schedule.instrument_id)
            found.append(Questionnaire(episode, defn, occasion, None))
    found.sort(key=lambda q: (q.occasion.opens_at, q.title))
    return found


def questionnaire_for(
    episode: CareEpisode, instrument_id: str, occasion_key: str, *, now: datetime
) -> Questionnaire | None:
    """The questionnaire of this episode and occasion, if the schedule has it and it has
    opened (or was answered); None otherwise, which the access layer turns into a 404."""
    if parse_occasion(occasion_key) is None:
        return None
    response = (
        OutcomeResponse.objects.filter(
            episode=episode, instrument_id=instrument_id, occasion=occasion_key
        )
        .order_by()
        .first()
    )
    schedule = OutcomeSchedule.objects.filter(episode=episode, instrument_id=instrument_id).first()
    try:
        version = response.instrument_version if response is not None else None
        defn = definition_for(episode.clinic_id, instrument_id, version)
    except UnknownInstrument:
        return None
    occasion = None
    if schedule is not None:
        started, ended = episode_bounds(episode)
        slots = session_slots(list(Session.objects.filter(episode=episode)))
        occasion = next(
            (
                o
                for o in occasions(
                    spec_of(schedule), started_at=started, ended_at=ended, sessions=slots, until=now
                )
                if o.key == occasion_key
            ),
            None,
        )
    if occasion is None and response is not None:
        # Answered under a schedule that has since changed: the answers are still theirs.
        kind, number = parse_occasion(occasion_key)  # type: ignore[misc]
        occasion = Occasion(occasion_key, kind, number, response.submitted_at)
    if occasion is None:
        return None
    return Questionnaire(episode, defn, occasion, response)


# --- The therapist's overview --------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentChart:
    instrument_id: str
    title: str
    svg: str
    text: str
    rows: list[dict[str, Any]]
    change: str
    recent_svg: str = ""  # the phone chart: the latest scores only
    recent_note: str = ""  # says so when it leaves earlier scores out


def occasion_label(key: str) -> str:
    """E.g. "Intake", "Session 4", "Week 2", "Discharge", in the reader's language."""
    parsed = parse_occasion(key)
    if parsed is None:
        return key
    kind, number = parsed
    words = {
        OccasionKind.INTAKE: pgettext("questionnaire occasion", "Intake"),
        OccasionKind.SESSION: _("Session %(n)s"),
        OccasionKind.WEEK: _("Week %(n)s"),
        OccasionKind.DISCHARGE: pgettext("questionnaire occasion", "Discharge"),
    }[kind]
    return words if number is None else words % {"n": number}


def schedule_words(spec: ScheduleSpec) -> str:
    """``ScheduleSpec.describe`` in the reader's language: "at intake, every 4 sessions and at
    discharge"."""
    parts = []
    if spec.at_intake:
        parts.append(_("at intake"))
    if spec.every_sessions:
        n = spec.every_sessions
        parts.append(ngettext("every session", "every %(n)d sessions", n) % {"n": n})
    if spec.every_weeks:
        n = spec.every_weeks
        parts.append(ngettext("every week", "every %(n)d weeks", n) % {"n": n})
    if spec.at_discharge:
        parts.append(_("at discharge"))
    if not parts:
        return _("not scheduled")
    if len(parts) == 1:
        return parts[0]
    return _("%(list)s and %(last)s") % {"list": ", ".join(parts[:-1]), "last": parts[-1]}


@dataclass(frozen=True)
class ScoreChange:
    """One answer's change from the first scored answer, and whether it is reliable."""

    response: OutcomeResponse
    summary: ChangeSummary | None  # None for the first score, an unscored one, or no norms
    higher_is_better: bool

    @property
    def marker(self) -> str:
        """``improved`` or ``deteriorated`` for a reliable change, else ``""``."""
        if self.summary is None or not self.summary.reliable:
            return ""
        better = (self.summary.change > 0) == self.higher_is_better
        return "improved" if better else "deteriorated"

    @property
    def reliable_text(self) -> str:
        return {
            "improved": _("Reliable improvement"),
            "deteriorated": _("Reliable deterioration"),
        }.get(self.marker, "")


def score_changes(defn: OutcomeDefinition, responses: list[OutcomeResponse]) -> list[ScoreChange]:
    """Each of ``responses`` (oldest first, one instrument) with its change from the first
    scored one (Jacobson & Truax reliable change, ``alliance.core.outcomes.change_summary``)."""
    scored = [r for r in responses if r.composite is not None]
    baseline = scored[0].composite if scored else None
    found = []
    for response in responses:
        summary = None
        if response.composite is not None and baseline is not None and response is not scored[0]:
            try:
                summary = change_summary(defn, baseline, response.composite)
            except ValueError:
                summary = None
        found.append(ScoreChange(response, summary, defn.higher_is_better))
    return found


def _chart(
    defn: OutcomeDefinition, responses: list[OutcomeResponse], therapist: User
) -> InstrumentChart:
    scored = [r for r in responses if r.composite is not None]
    baseline = scored[0].composite if scored else None
    points: list[OutcomePoint] = []
    rows: list[dict[str, Any]] = []
    change_text = ""
    for found in score_changes(defn, responses):
        response, summary, marker = found.response, found.summary, found.marker
        local = response.submitted_at.astimezone(therapist.zone)
        row: dict[str, Any] = {
            "response": response,
            "when": local,
            "occasion": occasion_label(response.occasion),
            "change": None,
            "reliable": found.reliable_text,
        }
        if summary is not None and baseline is not None and response.composite is not None:
            row["change"] = summary.change
            if response is scored[-1]:
                change_text = _(
                    "From intake %(first)s to latest %(latest)s: %(change)s points; a reliable "
                    "change needs more than %(threshold)s. Category: %(category)s."
                ) % {
                    "first": _num(baseline),
                    "latest": _num(response.composite),
                    "change": f"{summary.change:+g}",
                    "threshold": f"{summary.threshold:.1f}",
                    "category": summary.category.value,
                }
        if response.composite is not None:
            points.append(
                OutcomePoint(
                    value=response.composite,
                    label=f"{date_format(local, 'd M Y')} ({row['occasion'].lower()})",
                    short=date_format(local, "d M"),
                    marker=marker,
                )
            )
        rows.append(row)
    low, high = score_range(defn)
    bands = [(band.min, band.label) for band in defn.outcome.bands]
    title = defn.instrument.title
    text = describe(points, title=title, low=low, high=high, higher_is_better=defn.higher_is_better)
    svg = outcome_svg(
        points,
        title=title,
        low=low,
        high=high,
        bands=bands,
        higher_is_better=defn.higher_is_better,
        chart_id=defn.id,
    )
    recent = points[-RECENT:]
    recent_title, recent_note = title, ""
    if len(recent) < len(points):
        numbers = {"title": title, "shown": len(recent), "total": len(points)}
        recent_title = _("%(title)s, latest %(shown)d of %(total)d scores") % numbers
        recent_note = _("The latest %(shown)d of %(total)d scores.") % numbers
    recent_svg = outcome_svg(
        recent,
        title=recent_title,
        low=low,
        high=high,
        bands=bands,
        higher_is_better=defn.higher_is_better,
        chart_id=f"{defn.id}-recent",
        narrow=True,
    )
    return InstrumentChart(
        instrument_id=defn.id,
        title=title,
        svg=mark_safe(svg),  # noqa: S308 -- built with escape()
        text=text,
        rows=rows,
        change=change_text,
        recent_svg=mark_safe(recent_svg),  # noqa: S308 -- built with escape()
        recent_note=recent_note,
    )


def _num(value: float) -> str:
    return f"{value:g}"


def outcome_overview(
    episode: CareEpisode, *, now: datetime, sessions: list[Session] | None = None
) -> dict[str, Any]:
    """The outcome part of the therapist's client page: schedules, due items, charts.

    ``sessions``: the episode's sessions when the page already has them (any order).
    """
    schedules = list(OutcomeSchedule.objects.filter(episode=episode))
    responses = list(OutcomeResponse.objects.filter(episode=episode).order_by("submitted_at"))
    by_instrument: dict[str, list[OutcomeResponse]] = defaultdict(list)
    for response in responses:
        by_instrument[response.instrument_id].append(response)
    available = {a.instrument_id: a for a in available_for(episode.clinic_id)}
    charts = []
    for instrument_id, given in sorted(by_instrument.items()):
        try:
            defn = definition_for(episode.clinic_id, instrument_id)
        except UnknownInstrument:
            continue
        charts.append(_chart(defn, given, episode.therapist))
    started, ended = episode_bounds(episode)
    if sessions is None:
        sessions = list(Session.objects.filter(episode=episode))
    slots = session_slots(sessions)
    schedule_rows = []
    for schedule in schedules:
        spec = spec_of(schedule)
        answered = {r.occasion for r in by_instrument.get(schedule.instrument_id, [])}
        open_now = due(
            spec, started_at=started, ended_at=ended, sessions=slots, answered=answered, now=now
        )
        known = available.get(schedule.instrument_id)
        schedule_rows.append(
            {
                "schedule": schedule,
                "title": known.title if known else schedule.instrument_id,
                "describe": schedule_words(spec),
                "open": [occasion_label(o.key).lower() for o in open_now],
            }
        )
    return {
        "outcome_schedules": schedule_rows,
        "outcome_charts": charts,
        "risk_responses": [r for r in reversed(responses) if r.risk],
        "outcome_responses": responses,  # every one is a point on a chart: the page audits them
    }
