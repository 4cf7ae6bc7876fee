"""Reads of therapist ratings (only ever for the client's own therapist: see alliance.access)."""

from __future__ import annotations

import uuid

from alliance.core.discrepancy import RatedSession
from alliance.people.models import CareEpisode
from alliance.ratings.models import TherapistRating


def ratings_by_session(episode: CareEpisode) -> dict[uuid.UUID, TherapistRating]:
    """The episode's ratings keyed by session id."""
    return {r.session_id: r for r in TherapistRating.objects.filter(episode=episode)}


def rating_for_session(session_id: uuid.UUID) -> TherapistRating | None:
    return TherapistRating.objects.filter(session_id=session_id).first()


def rated_sessions(episode_id: uuid.UUID) -> list[RatedSession]:
    """Every session of the episode that either side rated, with both means (two queries)."""
    from alliance.checkins.models import CheckIn

    rated = list(
        TherapistRating.objects.filter(episode_id=episode_id).values_list(
            "session_id", "session__number", "alliance"
        )
    )
    if not rated:  # most check-ins: the therapist rates no session of this episode
        return []
    rows: dict[uuid.UUID, dict[str, object]] = {
        session_id: {"index": number, "client": None, "therapist": alliance}
        for session_id, number, alliance in rated
    }
    for session_id, number, alliance in CheckIn.objects.filter(episode_id=episode_id).values_list(
        "session_id", "session__number", "alliance"
    ):
        rows.setdefault(session_id, {"index": number, "therapist": None})["client"] = alliance
    return [
        RatedSession(
            key=session_id,
            index=int(row["index"]),  # type: ignore[call-overload]
            client=row["client"],  # type: ignore[arg-type]
            therapist=row["therapist"],  # type: ignore[arg-type]
        )
        for session_id, row in rows.items()
    ]
