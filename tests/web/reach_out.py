"""Shared pieces of the reaching-out tests: Teresa's page, the clinic's, and a form post that a
person would send (shown ten seconds ago, every field filled in). The fixtures are made
available to every web test by tests/web/conftest.py."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from alliance.people.models import User
from alliance.reachout import spam
from alliance.reachout.models import ReachOutPage, ReachOutRequest
from alliance.reachout.services import page_save, request_submit

WORDS = {
    "name": "Robin Alvarez",
    "email": "robin@example.net",
    "phone": "+1 416 555 0147",
    "message": "I'd like to try therapy again.\nEvenings are easier for me.",
    "consent": "on",
}


@pytest.fixture(autouse=True)
def _reach_out_counts_cleared() -> None:
    """Each test starts with no request counted against any address."""
    caches[settings.REACH_OUT_CACHE_ALIAS].clear()


@pytest.fixture
def teresas_page(therapist: User) -> ReachOutPage:
    return page_save(
        actor=therapist,
        is_open=True,
        slug="teresa-tran",
        display_name="Teresa Tran",
        welcome="I work with adults who feel things intensely.",
    )


@pytest.fixture
def clinic_page(admin: User) -> ReachOutPage:
    return page_save(
        actor=admin,
        is_open=True,
        slug="harbour",
        display_name="Harbour Clinic",
        welcome="Write to our intake team.",
    )


def form_data(page: ReachOutPage, *, shown_ago: float = 10.0, **changes: str) -> dict[str, str]:
    """What the browser of someone who took ``shown_ago`` seconds to write sends."""
    shown = timezone.now() - timedelta(seconds=shown_ago)
    data = {
        **WORDS,
        "form_token": str(uuid.uuid4()),
        spam.STAMP_FIELD: spam.stamp(page.id, now=shown),
        spam.HONEYPOT_FIELD: "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def send(page: ReachOutPage, data: dict[str, str] | None = None, **headers: Any) -> Any:
    """Post the form of ``page`` (``form_data`` by default); ``headers`` as for ``Client.post``."""
    return Client().post(f"/reach-out/to/{page.slug}/", data or form_data(page), **headers)


def received(page: ReachOutPage, *, at: datetime | None = None, **words: str) -> ReachOutRequest:
    """A request in ``page``'s list, as if sent through the form at ``at``."""
    request, _ = request_submit(
        page=page,
        form_token=uuid.uuid4(),
        name=words.get("name", WORDS["name"]),
        email=words.get("email", WORDS["email"]),
        phone=words.get("phone", ""),
        message=words.get("message", WORDS["message"]),
        now=at,
    )
    return request
