"""Not-on-track curves from a clinic's own completed treatments (alliance/outcomes/analysis.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache

from alliance.core.definitions import builtin
from alliance.core.not_on_track import DEFAULT_CURVES, default_settings
from alliance.core.recovery import MIN_CLIENTS
from alliance.outcomes.analysis import completed_series, curves_for_clinic
from alliance.outcomes.models import OutcomeResponse
from alliance.people.models import CareEpisode, Clinic, EpisodeStatus, Role, User

PHQ9 = builtin()["phq9"]
START = datetime(2026, 1, 5, 15, tzinfo=UTC)


def _episodes(
    clinic: Clinic,
    therapist: User,
    make_user: Callable[..., User],
    count: int,
    scores: list[float],
    status: str = EpisodeStatus.ENDED,
) -> None:
    for n in range(count):
        client = make_user(f"c{status}{n}@example.org", Role.CLIENT, f"Client {n}")
        episode = CareEpisode.objects.create(
            clinic=clinic,
            client=client,
            therapist=therapist,
            status=status,
            started_on=date(2026, 1, 5),
            ended_on=date(2026, 6, 1) if status == EpisodeStatus.ENDED else None,
        )
        for session, score in enumerate(scores):
            OutcomeResponse.objects.create(
                episode=episode,
                client=client,
                instrument_id="phq9",
                instrument_version=1,
                occasion="intake" if session == 0 else f"session-{session}",
                session_index=session,
                answers={},
                composite=score,
                submitted_at=START + timedelta(weeks=session),
                form_token=uuid.uuid4(),
            )


def test_a_band_with_30_completed_treatments_gets_its_own_curve(
    clinic: Clinic, therapist: User, make_user: Callable[..., User]
) -> None:
    cache.clear()
    # 30 ended episodes from a severe intake of 20 that never change: p = 0 for "severe".
    _episodes(clinic, therapist, make_user, MIN_CLIENTS, [20, 20, 20, 20])
    # Active episodes are not completed treatments and do not count.
    _episodes(clinic, therapist, make_user, 3, [20, 10, 8, 6], status=EpisodeStatus.ACTIVE)
    assert len(completed_series(clinic.id, "phq9")) == MIN_CLIENTS
    curves = curves_for_clinic(clinic.id, PHQ9, default_settings(PHQ9))
    assert curves.estimated_bands == ("severe",)
    assert curves.settings.curves["severe"].improvement == 0.0
    assert curves.settings.curves["mild"] == DEFAULT_CURVES["phq9"]["mild"]


def test_with_fewer_the_defaults_stay(
    clinic: Clinic, therapist: User, make_user: Callable[..., User]
) -> None:
    cache.clear()
    _episodes(clinic, therapist, make_user, MIN_CLIENTS - 1, [20, 20, 20, 20])
    curves = curves_for_clinic(clinic.id, PHQ9, default_settings(PHQ9))
    assert curves.estimated_bands == ()
    assert curves.settings.curves == default_settings(PHQ9).curves
