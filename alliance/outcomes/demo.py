"""Outcome questionnaires for the demo clinic, written through the real services.

Every care episode gets the PHQ-9 and the GAD-7 at intake, every 4 sessions and at discharge.
The answers follow a course per client, seeded: most clients improve along a negatively
accelerated curve; ``client3@demo.example`` (whose alliance drops reliably in the check-ins)
gets steadily worse, which raises a not-on-track alert; and ``client@demo.example`` answers
PHQ-9 item 9 with "several days" in the last week, which raises an open risk alert. Every
other answer to item 9 is 0. About one questionnaire in ten is left unanswered.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import datetime, timedelta

from alliance.core.definitions import builtin
from alliance.core.outcomes import OutcomeDefinition
from alliance.outcomes.models import OutcomeSchedule
from alliance.outcomes.schedule import Occasion, OccasionKind, ScheduleSpec, occasions
from alliance.outcomes.selectors import (
    episode_bounds,
    questionnaire_for,
    session_slots,
    spec_of,
)
from alliance.outcomes.services import response_submit, schedule_set
from alliance.people.models import CareEpisode, Clinic, Session

DEMO_SPEC = ScheduleSpec(at_intake=True, every_sessions=4, at_discharge=True)
NOT_ON_TRACK_EMAIL = "client3@demo.example"
RISK_EMAIL = "client@demo.example"
SKIP_RATE = 0.1


def seed(*, clinic: Clinic, now: datetime, rng: random.Random) -> None:
    definitions = builtin()
    episodes = (
        CareEpisode.objects.filter(clinic=clinic)
        .select_related("client", "clinic")
        .order_by("client__email")
    )
    for episode in episodes:
        for instrument_id in ("phq9", "gad7"):
            schedule_set(episode=episode, instrument_id=instrument_id, spec=DEMO_SPEC, actor=None)
        course = _Course(episode, rng)
        for instrument_id in ("phq9", "gad7"):
            _answer_history(episode, definitions[instrument_id], course, now, rng)


class _Course:
    """One client's symptom course: a share of the intake score, t sessions in."""

    def __init__(self, episode: CareEpisode, rng: random.Random) -> None:
        email = episode.client.email
        self.worsening = email == NOT_ON_TRACK_EMAIL
        self.severity = rng.uniform(0.45, 0.8)  # intake as a share of the maximum score
        self.improvement = rng.uniform(0.35, 0.7)
        self.rate = rng.uniform(0.12, 0.3)

    def share(self, sessions: int, rng: random.Random) -> float:
        if self.worsening:
            base = self.severity * 0.75 + 0.035 * sessions
        else:
            base = self.severity * (1 - self.improvement * (1 - math.exp(-self.rate * sessions)))
        return min(0.95, max(0.0, base + rng.gauss(0, 0.05)))


def _answers(
    defn: OutcomeDefinition, total: int, rng: random.Random, *, risk: bool
) -> dict[str, object]:
    """Item answers that add up to ``total``; the risk item 0 unless ``risk``."""
    items = list(defn.instrument.items)
    risk_keys = {r.item for r in defn.outcome.risk_items}
    values = {item.key: 0 for item in items}
    if risk:
        for key in risk_keys:
            values[key] = 1
    free = [item.key for item in items if item.key not in risk_keys]
    remaining = max(0, total - sum(values.values()))
    while remaining and any(values[k] < 3 for k in free):
        key = rng.choice([k for k in free if values[k] < 3])
        values[key] += 1
        remaining -= 1
    return {key: str(value) for key, value in values.items()}


def _submit_time(occasion: Occasion, sessions: dict[int, Session]) -> datetime:
    if occasion.kind is OccasionKind.SESSION and occasion.number in sessions:
        return sessions[occasion.number].scheduled_at - timedelta(hours=1)
    first = min(sessions.values(), key=lambda s: s.number, default=None)
    if occasion.kind is OccasionKind.INTAKE and first is not None:
        return max(occasion.opens_at + timedelta(hours=1), first.scheduled_at - timedelta(days=1))
    return occasion.opens_at + timedelta(hours=20)


def _answer_history(
    episode: CareEpisode,
    defn: OutcomeDefinition,
    course: _Course,
    now: datetime,
    rng: random.Random,
) -> None:
    schedule = OutcomeSchedule.objects.get(episode=episode, instrument_id=defn.id)
    sessions = {s.number: s for s in Session.objects.filter(episode=episode)}
    started, ended = episode_bounds(episode)
    found = occasions(
        spec_of(schedule),
        started_at=started,
        ended_at=ended,
        sessions=session_slots(list(sessions.values())),
        until=now,
    )
    regular = [o for o in found if o.kind is not OccasionKind.DISCHARGE]
    risk_event = episode.client.email == RISK_EMAIL and defn.id == "phq9" and regular
    maximum = 3 * len(defn.instrument.items)
    for occasion in regular:
        is_last = occasion is regular[-1]
        at = _submit_time(occasion, sessions)
        if risk_event and is_last:
            # Within the last week, while this occasion is still the open one.
            at = min(max(occasion.opens_at + timedelta(hours=1), now - timedelta(days=2)), now)
        elif occasion.kind is not OccasionKind.INTAKE and rng.random() < SKIP_RATE:
            continue
        if at > now or (occasion.closes_at is not None and at >= occasion.closes_at):
            continue
        questionnaire = questionnaire_for(episode, defn.id, occasion.key, now=at)
        if questionnaire is None or not questionnaire.is_open(at):
            continue
        sessions_in = sum(
            1 for s in sessions.values() if s.status == "attended" and s.scheduled_at <= at
        )
        total = round(course.share(sessions_in, rng) * maximum)
        response_submit(
            questionnaire=questionnaire,
            client=episode.client,
            answers=_answers(defn, total, rng, risk=bool(risk_event and is_last)),
            form_token=uuid.UUID(int=rng.getrandbits(128)),
            now=at,
        )
