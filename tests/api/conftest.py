"""Records and tokens for the REST API tests: Teresa's client Carla with a check-in that raised
a client-reported alert, a sent diary card, questionnaire answers and an absence."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from alliance.apitokens.services import token_create
from alliance.checkins.services import checkin_submit
from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.outcomes.schedule import ScheduleSpec
from alliance.outcomes.selectors import questionnaire_for
from alliance.outcomes.services import response_submit, schedule_set
from alliance.people.models import User
from alliance.ruptures.models import Alert
from tests.conftest import GOOD_ANSWERS


def make_token(user: User, scope: str = "write", days: int = 30) -> str:
    _token, secret = token_create(
        user=user, name="script", scope=scope, expires_at=timezone.now() + timedelta(days=days)
    )
    return secret


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def api_records(
    episode: Any, other_episode: Any, attend: Any, therapist: User, client_user: User
) -> dict[str, str]:
    answered = attend(episode, 1)
    checkin = checkin_submit(
        session=answered,
        client=client_user,
        answers={**GOOD_ANSWERS, "tension": "2"},
        form_token=uuid.uuid4(),
    )
    schedule_set(
        episode=episode, instrument_id="gad7", spec=ScheduleSpec(at_intake=True), actor=None
    )
    response = response_submit(
        questionnaire=questionnaire_for(episode, "gad7", "intake", now=timezone.now()),  # type: ignore[arg-type]
        client=client_user,
        answers=dict.fromkeys((f"gad7_{n}" for n in range(1, 8)), "1"),
        form_token=uuid.uuid4(),
    ).response
    card = DiaryCard.objects.create(
        episode=episode,
        client=client_user,
        day=timezone.localdate(),
        status=DiaryStatus.SUBMITTED,
        submitted_at=timezone.now(),
        anger=3,
    )
    draft = DiaryCard.objects.create(
        episode=episode,
        client=client_user,
        day=timezone.localdate() - timedelta(days=1),
        status=DiaryStatus.DRAFT,
    )
    from alliance.absences.services import AbsenceInput, absence_create

    starts_on = timezone.localdate() + timedelta(days=60)
    absence = absence_create(
        therapist=therapist,
        data=AbsenceInput(
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=6),
            cover=other_episode.therapist,
            cover_contact="Front desk, ext. 2",
        ),
    )
    return {
        "client": str(client_user.id),
        "episode": str(episode.id),
        "session": str(answered.id),
        "checkin": str(checkin.checkin.id),
        "score": str(response.id),
        "card": str(card.id),
        "draft": str(draft.id),
        "alert": str(Alert.objects.get(session=answered).id),
        "absence": str(absence.id),
    }
