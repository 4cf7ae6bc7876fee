"""The demo client's safety plan, written through the real services.

client@demo.example wrote the first version with their therapist three weeks ago, the therapist
added the professionals two weeks ago and they went through it together; four days ago the
client added something that helps, so the therapist's page shows a change since the review.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from alliance.people.models import CareEpisode, Clinic, EpisodeStatus
from alliance.safetyplan.models import SafetyPlanVersion
from alliance.safetyplan.services import safety_plan_review, safety_plan_save

CLIENT = "client@demo.example"

FIRST = {
    "warning_signs": (
        "Staying in bed past noon. Replaying an argument over and over. Thinking everyone "
        "would be better off without me."
    ),
    "on_my_own": "Cold water on my face (TIPP). Paced breathing for five minutes. My playlist.",
    "people_places": "The library on Queen Street. Walking the dog with Priya.",
    "ask_for_help": "My sister Dana. My friend Jo, who said I can call any time.",
    "safer_surroundings": "Give the pills I don't need to Dana to keep until I'm steadier.",
    "reasons_for_living": "Dana's kids. Finishing my course. The dog, who needs me.",
}


def seed(*, clinic: Clinic, now: datetime) -> SafetyPlanVersion | None:
    episode = (
        CareEpisode.objects.filter(clinic=clinic, status=EpisodeStatus.ACTIVE, client__email=CLIENT)
        .select_related("client", "therapist")
        .first()
    )
    if episode is None:
        return None
    client, therapist = episode.client, episode.therapist
    safety_plan_save(
        episode=episode, actor=client, texts=FIRST, base_version=0, now=now - timedelta(days=21)
    )
    second = {
        **FIRST,
        "professionals": f"{therapist.display_name}, at the clinic in working hours. My family "
        "doctor. The crisis line below, any time.",
    }
    saved = safety_plan_save(
        episode=episode,
        actor=therapist,
        texts=second,
        base_version=1,
        now=now - timedelta(days=14),
    )
    if saved is None:
        return None
    safety_plan_review(
        plan=saved.plan, therapist=therapist, version=2, now=now - timedelta(days=14, hours=-1)
    )
    third = {**second, "on_my_own": second["on_my_own"] + " Holding an ice cube."}
    return safety_plan_save(
        episode=episode, actor=client, texts=third, base_version=2, now=now - timedelta(days=4)
    )
