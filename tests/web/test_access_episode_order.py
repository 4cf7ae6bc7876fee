"""Which care episode a client's page opens when the client has had more than one."""

from __future__ import annotations

from datetime import date

import pytest
from django.http import Http404

from alliance import access
from alliance.people.models import CareEpisode, EpisodeStatus


def _ended(episode: CareEpisode, started: date) -> CareEpisode:
    return CareEpisode.objects.create(
        clinic=episode.clinic,
        client=episode.client,
        therapist=episode.therapist,
        status=EpisodeStatus.ENDED,
        started_on=started,
        ended_on=started,
    )


@pytest.mark.parametrize(
    "ended_started", [date(2024, 1, 1), date(2099, 1, 1)], ids=["ended-earlier", "ended-later"]
)
def test_the_episode_in_progress_comes_before_an_ended_one(episode, therapist, ended_started):
    episode.started_on = date(2025, 6, 1)
    episode.save(update_fields=["started_on"])
    _ended(episode, ended_started)
    assert access.get_client_episode(therapist, episode.client_id).id == episode.id


def test_an_admin_ending_care_gets_the_episode_in_progress(episode, admin):
    _ended(episode, date(2099, 1, 1))
    assert access.get_episode_to_end(admin, episode.client_id).id == episode.id


def test_with_only_ended_episodes_the_latest_started_comes_first(episode, therapist):
    episode.status, episode.ended_on = EpisodeStatus.ENDED, date(2025, 1, 1)
    episode.started_on = date(2024, 6, 1)
    episode.save()
    later = _ended(episode, date(2024, 9, 1))
    assert access.get_client_episode(therapist, episode.client_id).id == later.id


def test_another_therapists_client_is_not_found(episode, other_therapist):
    with pytest.raises(Http404):
        access.get_client_episode(other_therapist, episode.client_id)
