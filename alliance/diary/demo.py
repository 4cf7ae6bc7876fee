"""Diary cards for the demo clinic, written through the real services.

Three weeks of cards for the first six clients, with the gaps real cards have (about one day in
five is missing), a target for client@demo.example, and one risk answer: client2@demo.example
recorded a strong self-harm urge two days ago, so their therapist's caseload shows it first.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta

from alliance.core.diary import target_field
from alliance.diary.services import diary_card_submit, diary_target_add
from alliance.people.models import CareEpisode, Clinic, EpisodeStatus

DEMO_DAYS = 21
CLIENTS = [f"client{n}@demo.example" for n in ("", "2", "3", "4", "5", "6")]
SKILLS = ["wise_mind", "observe", "tipp", "self_soothe", "accepts", "stop", "describe"]


def _clamp(value: float) -> int:
    return max(0, min(5, round(value)))


def seed(*, clinic: Clinic, now: datetime, rng: random.Random) -> int:
    episodes = CareEpisode.objects.filter(
        clinic=clinic, status=EpisodeStatus.ACTIVE, client__email__in=CLIENTS
    ).select_related("client", "therapist")
    cards = 0
    for episode in episodes:
        client = episode.client
        target_id = None
        if client.email == "client@demo.example":
            target, _ = diary_target_add(
                therapist=episode.therapist,
                episode=episode,
                name="Skipping meals",
                now=now - timedelta(days=DEMO_DAYS + 1),
            )
            target_id = str(target.id)
        today = now.astimezone(client.zone).date()
        level = rng.uniform(0.5, 2.0)
        for back in range(DEMO_DAYS, 0, -1):
            day = today - timedelta(days=back)
            risk_day = client.email == "client2@demo.example" and back == 2
            if rng.random() < 0.2 and not risk_day:
                continue  # a missed day: the card greets, never scolds
            level = min(3.0, max(0.0, level + rng.uniform(-0.6, 0.6)))
            answers: dict[str, object] = {
                "urge_suicide": _clamp(level - 1.5),
                "urge_self_harm": _clamp(level - 0.5),
                "urge_substance": _clamp(level - 1),
                "urge_quit": _clamp(level - 1),
                "anger": _clamp(level + rng.uniform(-1, 1)),
                "fear": _clamp(level + rng.uniform(-1, 1)),
                "joy": _clamp(3 - level + rng.uniform(-1, 1)),
                "sadness": _clamp(level + rng.uniform(-1, 1)),
                "shame": _clamp(level - 0.5 + rng.uniform(-1, 1)),
                "emotional_misery": _clamp(level + 0.5),
                "physical_misery": _clamp(rng.uniform(0, 2)),
                "medication": "yes" if rng.random() < 0.85 else "no",
                "skills_code": rng.choice([3, 4, 5, 6, 7]),
                "skills": rng.sample(SKILLS, 2),
                "note": "",
            }
            if target_id is not None:
                answers[target_field(target_id, "urge")] = _clamp(level)
                answers[target_field(target_id, "acted")] = "no"
            if risk_day:
                answers.update(urge_self_harm=4, note="A really hard evening. I didn't act.")
            evening = datetime.combine(day, time(21, 0), tzinfo=client.zone)
            diary_card_submit(
                client=client,
                episode=episode,
                day=day,
                answers=answers,
                form_token=uuid.UUID(int=rng.getrandbits(128)),
                now=evening,
            )
            cards += 1
    return cards
