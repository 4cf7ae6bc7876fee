"""The demo clinic's supervisor, and the therapists' own views of their sessions."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from alliance.checkins.models import CheckIn
from alliance.core import synthetic
from alliance.people.models import Clinic, EpisodeStatus, Role, User
from alliance.ratings.services import rating_submit
from alliance.supervision.services import supervisor_assign

SUPERVISOR_EMAIL = "supervisor@demo.example"
DISCREPANT_CLIENT_EMAIL = "client@demo.example"


def seed(*, clinic: Clinic, password: str, now: datetime, rng: random.Random) -> None:
    """A supervisor assigned to every therapist; therapists rate most sessions of active care.

    Therapists' views sit at or a little above their clients' (never a reliable difference),
    except the last two rated sessions of ``client@demo.example``, which their therapist rates
    clearly warmer: the demo shows one "two views differ" alert.
    """
    admin = User.objects.get(clinic=clinic, role=Role.CLINIC_ADMIN, email="admin@demo.example")
    supervisor = User.objects.create_user(
        SUPERVISOR_EMAIL,
        password,
        full_name="Ruth Mensah",
        display_name="Ruth",
        role=Role.SUPERVISOR,
        clinic=clinic,
    )
    for therapist in User.objects.filter(clinic=clinic, role=Role.THERAPIST).order_by("email"):
        supervisor_assign(admin=admin, supervisor=supervisor, therapist=therapist, now=now)
    checkins = list(
        CheckIn.objects.filter(
            episode__clinic=clinic,
            episode__status=EpisodeStatus.ACTIVE,
            submitted_at__lte=now,
        )
        .select_related("session", "episode", "episode__therapist", "client")
        .order_by("episode_id", "session__number")
    )
    discrepant = {
        c.session_id
        for c in [c for c in checkins if c.client.email == DISCREPANT_CLIENT_EMAIL][-2:]
    }
    for checkin in checkins:
        session = checkin.session
        session.episode = checkin.episode
        warmer = session.id in discrepant
        if not warmer and rng.random() >= 0.8:
            continue  # a session the therapist did not rate
        if warmer:  # 7 on every item: a reliable gap unless the client's view was 6 or more
            answers = dict.fromkeys(("bond", "tasks", "goals"), "7")
        else:  # at most one point warmer on each item: never a reliable gap
            answers = {
                key: str(min(7, getattr(checkin, key) + rng.choice((0, 0, 1))))
                for key in ("bond", "tasks", "goals")
            }
        rating_submit(
            session=session,
            therapist=checkin.episode.therapist,
            answers=answers,
            form_token=uuid.UUID(int=rng.getrandbits(128)),
            now=session.scheduled_at + synthetic.SESSION_LENGTH + timedelta(minutes=20),
        )
