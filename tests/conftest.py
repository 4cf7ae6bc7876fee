"""Personas for every role, built per test (no shared mega-fixture).

- ``clinic``: Harbour Clinic. ``therapist`` (Teresa) has ``client`` (Carla) in an active
  episode; ``other_therapist`` (Omar) has ``other_client`` (Olivia). ``admin`` (Adam) is the
  clinic admin. ``stranger`` is a therapist in another clinic.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from alliance.people.models import CareEpisode, Clinic, Role, Session, User
from alliance.people.services import session_set_status

PASSWORD = "correct horse battery staple"


@pytest.fixture
def clinic(db: Any) -> Clinic:
    return Clinic.objects.create(name="Harbour Clinic", timezone="America/Toronto")


@pytest.fixture
def make_user(clinic: Clinic) -> Callable[..., User]:
    def make(email: str, role: str, name: str, *, in_clinic: Clinic | None = None) -> User:
        return User.objects.create_user(
            email, PASSWORD, full_name=name, role=role, clinic=in_clinic or clinic
        )

    return make


@pytest.fixture
def therapist(make_user: Callable[..., User]) -> User:
    return make_user("teresa@example.org", Role.THERAPIST, "Teresa Tran")


@pytest.fixture
def other_therapist(make_user: Callable[..., User]) -> User:
    return make_user("omar@example.org", Role.THERAPIST, "Omar Osei")


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("adam@example.org", Role.CLINIC_ADMIN, "Adam Admin")


@pytest.fixture
def client_user(make_user: Callable[..., User]) -> User:
    return make_user("carla@example.org", Role.CLIENT, "Carla Client")


@pytest.fixture
def other_client(make_user: Callable[..., User]) -> User:
    return make_user("olivia@example.org", Role.CLIENT, "Olivia Other")


@pytest.fixture
def stranger(db: Any) -> User:
    elsewhere = Clinic.objects.create(name="Elsewhere Clinic")
    return User.objects.create_user(
        "sid@elsewhere.org",
        PASSWORD,
        full_name="Sid Stranger",
        role=Role.THERAPIST,
        clinic=elsewhere,
    )


@pytest.fixture
def episode(clinic: Clinic, therapist: User, client_user: User) -> CareEpisode:
    return CareEpisode.objects.create(clinic=clinic, client=client_user, therapist=therapist)


@pytest.fixture
def other_episode(clinic: Clinic, other_therapist: User, other_client: User) -> CareEpisode:
    return CareEpisode.objects.create(clinic=clinic, client=other_client, therapist=other_therapist)


@pytest.fixture
def attend() -> Callable[..., Session]:
    """Create session ``number`` an hour before ``at`` and mark it attended at ``at``."""

    def make(episode: CareEpisode, number: int, at: datetime | None = None) -> Session:
        at = at or timezone.now()
        session = Session.objects.create(
            episode=episode, number=number, scheduled_at=at - timedelta(hours=1)
        )
        return session_set_status(
            session=session, status="attended", actor=episode.therapist, now=at
        )

    return make


@pytest.fixture
def login() -> Callable[[User], Client]:
    def make(user: User) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


GOOD_ANSWERS = {"bond": "6", "tasks": "6", "goals": "6", "tension": "0", "comment": ""}
