"""Personas for every role, built per test (no shared mega-fixture).

- ``clinic``: Harbour Clinic. ``therapist`` (Teresa) has ``client`` (Carla) in an active
  episode; ``other_therapist`` (Omar) has ``other_client`` (Olivia). ``admin`` (Adam) is the
  clinic admin; ``supervisor`` (Sue) a supervisor, assigned to no one until a test says so.
  ``stranger`` is a therapist in another clinic.

``Client.force_login`` (and so ``login``) gives staff a session that has passed the second factor
too, with a confirmed authenticator made for them: it skips the login form, so it skips both
steps. Tests of the steps themselves log in through the forms.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from alliance.people.models import CareEpisode, Clinic, Role, Session, User
from alliance.people.services import session_set_status

PASSWORD = "correct horse battery staple"
STAFF_ROLES = (Role.THERAPIST, Role.CLINIC_ADMIN, Role.SUPERVISOR)


def enrol_authenticator(user: User) -> TOTPDevice:
    """The user's confirmed authenticator, made now if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)
    return device


def totp_code(device: TOTPDevice) -> str:
    """A code from the person's authenticator that the server accepts now.

    Each 30-second code is accepted once, and the server also takes the next step's code (a
    phone's clock may be ahead), so a second login within the same step uses that one. With the
    clock frozen a third is impossible; with a live clock this waits for the next step.
    """
    device.refresh_from_db()
    for _ in range(40):
        current = (int(time.time()) - device.t0) // device.step + device.drift
        step = max(current, device.last_t + 1)
        if step <= current + device.tolerance:
            return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"
        time.sleep(1)
    raise AssertionError("every code in this 30-second step is used: travel forward in time")


def wrong_code(device: TOTPDevice) -> str:
    """Six digits that are not any code the device would accept now."""
    device.refresh_from_db()
    current = (int(time.time()) - device.t0) // device.step + device.drift
    accepted = {f"{hotp(device.bin_key, current + offset, digits=6):06d}" for offset in (-1, 0, 1)}
    return next(c for c in ("123456", "654321", "000000") if c not in accepted)


def mark_verified(browser: Client, user: User) -> None:
    """Record in ``browser``'s session that ``user`` gave a code from their authenticator."""
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = enrol_authenticator(user).persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _each_test_starts_in_english() -> Iterator[None]:
    """Each test starts in the site's default language, whatever the one before it left.

    A request leaves its language active in the thread once it is done (Django's
    LocaleMiddleware, and the account's own choice, stay on so that the response says its
    language); the next request chooses afresh, but a test that calls a selector after a French
    page would otherwise read French.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _force_login_passes_two_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Client.force_login

    def force_login(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        if getattr(user, "role", None) in STAFF_ROLES:
            mark_verified(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def clinic(db: Any) -> Clinic:
    return Clinic.objects.create(name="Harbour Clinic", timezone="America/Toronto")


@pytest.fixture
def make_user(clinic: Clinic) -> Callable[..., User]:
    def make(
        email: str,
        role: str,
        name: str,
        *,
        in_clinic: Clinic | None = None,
        display_name: str = "",
    ) -> User:
        return User.objects.create_user(
            email,
            PASSWORD,
            full_name=name,
            display_name=display_name or name,
            role=role,
            clinic=in_clinic or clinic,
        )

    return make


@pytest.fixture
def therapist(make_user: Callable[..., User]) -> User:
    return make_user("teresa@example.org", Role.THERAPIST, "Teresa Tran", display_name="Teresa")


@pytest.fixture
def other_therapist(make_user: Callable[..., User]) -> User:
    return make_user("omar@example.org", Role.THERAPIST, "Omar Osei", display_name="Omar")


@pytest.fixture
def admin(make_user: Callable[..., User]) -> User:
    return make_user("adam@example.org", Role.CLINIC_ADMIN, "Adam Admin", display_name="Adam")


@pytest.fixture
def client_user(make_user: Callable[..., User]) -> User:
    return make_user("carla@example.org", Role.CLIENT, "Carla Client", display_name="Carla")


@pytest.fixture
def other_client(make_user: Callable[..., User]) -> User:
    return make_user("olivia@example.org", Role.CLIENT, "Olivia Other", display_name="Olivia")


@pytest.fixture
def supervisor(make_user: Callable[..., User]) -> User:
    """Sue supervises; who she supervises is up to each test (or the ``records`` fixture)."""
    return make_user("sue@example.org", Role.SUPERVISOR, "Sue Supervisor", display_name="Sue")


@pytest.fixture
def stranger(db: Any) -> User:
    elsewhere = Clinic.objects.create(name="Elsewhere Clinic")
    return User.objects.create_user(
        "sid@elsewhere.org",
        PASSWORD,
        full_name="Sid Stranger",
        display_name="Sid",
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
