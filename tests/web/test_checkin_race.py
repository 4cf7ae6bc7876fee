"""A check-in and "missed" marked at the same moment serialize; an alert error is not "answered".

Real concurrent requests: threads with their own database connections (``transaction=True``),
on SQLite (IMMEDIATE transactions: writers queue) and on PostgreSQL (the session row lock).

SQLite's in-memory test database is shared-cache, where a second writer fails at once with
"table is locked" instead of waiting as it does on the real, file-based database. So on SQLite
the threads run against a file copy of it (WAL, busy timeout: as in production), copied back
once they are done.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, connections
from django.test import Client
from django.urls import reverse

from alliance.checkins import services as checkin_services
from alliance.checkins.models import CheckIn
from alliance.checkins.services import checkin_submit
from alliance.people.models import Session, SessionStatus
from alliance.ruptures import services as rupture_services
from alliance.ruptures.models import Alert
from tests.conftest import GOOD_ANSWERS

TENSION = {**GOOD_ANSWERS, "tension": "3", "talked": "0", "resolved": "0"}


@contextmanager
def _database_for_threads(folder: Path) -> Iterator[None]:
    connection = connections["default"]
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    path = folder / "race.sqlite3"
    with closing(sqlite3.connect(path)) as target:
        connection.connection.backup(target)
    # New connections (each thread's) are made from these settings; this thread's stays open.
    shared = connections.settings["default"]
    before = shared["NAME"]
    shared["NAME"] = str(path)
    try:
        yield
    finally:
        shared["NAME"] = before
        with closing(sqlite3.connect(path)) as source:
            source.backup(connection.connection)


def _in_threads(*jobs: Callable[[], Any]) -> list[Any]:
    """Run the jobs at the same moment, each on its own thread and database connection."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[index] = job()
        except BaseException as error:  # reported to the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    with tempfile.TemporaryDirectory() as folder, _database_for_threads(Path(folder)):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return results


def _browsers(client_user, therapist) -> tuple[Client, Client]:
    carla, teresa = Client(), Client()
    carla.force_login(client_user)
    teresa.force_login(therapist)
    return carla, teresa


def _send_checkin(carla: Client, session: Session) -> Callable[[], int]:
    def job() -> int:
        data = {**GOOD_ANSWERS, "form_token": str(uuid.uuid4())}
        return carla.post(reverse("checkin", args=[session.id]), data).status_code

    return job


def _mark_missed(teresa: Client, session: Session) -> Callable[[], int]:
    def job() -> int:
        return teresa.post(
            reverse("session_status", args=[session.id]), {"status": "missed"}
        ).status_code

    return job


def _consistent(session: Session) -> bool:
    session.refresh_from_db()
    answered = CheckIn.objects.filter(session=session).exists()
    return session.status == SessionStatus.ATTENDED if answered else True


@pytest.mark.django_db(transaction=True)
def test_missed_marked_while_a_checkin_is_being_sent_refuses_the_checkin(
    episode, client_user, therapist, attend, monkeypatch
):
    """ "Missed" lands between the first status check and the insert: the insert must see it."""
    session = attend(episode, 1)
    carla, teresa = _browsers(client_user, therapist)
    checked = threading.Event()
    real_validate = checkin_services.validate_answers

    def slow_validate(*args: Any, **kwargs: Any) -> Any:
        # Runs after the first (unlocked) status check: let "missed" commit meanwhile.
        checked.set()
        time.sleep(0.5)
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(checkin_services, "validate_answers", slow_validate)

    def missed_once_checked() -> int:
        assert checked.wait(10)
        return _mark_missed(teresa, session)()

    sent, marked = _in_threads(_send_checkin(carla, session), missed_once_checked)
    assert (sent, marked) == (400, 302)
    assert _consistent(session)
    session.refresh_from_db()
    assert (session.status, CheckIn.objects.count()) == (SessionStatus.MISSED, 0)


@pytest.mark.django_db(transaction=True)
def test_missed_marked_while_a_checkin_is_being_stored_waits_and_is_refused(
    episode, client_user, therapist, attend, monkeypatch
):
    """The check-in holds the session's lock: "missed" waits, then sees the answer."""
    session = attend(episode, 1)
    carla, teresa = _browsers(client_user, therapist)
    storing = threading.Event()
    real_signals = rupture_services.signals_on_checkin

    def slow_signals(**kwargs: Any) -> Any:
        storing.set()  # inside the check-in's transaction, the check-in inserted
        time.sleep(0.5)
        return real_signals(**kwargs)

    monkeypatch.setattr(rupture_services, "signals_on_checkin", slow_signals)

    def missed_while_storing() -> int:
        assert storing.wait(10)
        return _mark_missed(teresa, session)()

    sent, marked = _in_threads(_send_checkin(carla, session), missed_while_storing)
    assert (sent, marked) == (302, 302)  # the status form reports its refusal as a message
    assert _consistent(session)
    session.refresh_from_db()
    assert (session.status, CheckIn.objects.count()) == (SessionStatus.ATTENDED, 1)


@pytest.mark.django_db(transaction=True)
def test_sixteen_races_never_store_a_checkin_on_a_missed_session(
    episode, client_user, therapist, attend
):
    carla, teresa = _browsers(client_user, therapist)
    for number in range(1, 17):
        session = attend(episode, number)
        _in_threads(_send_checkin(carla, session), _mark_missed(teresa, session))
        assert _consistent(session), f"try {number}: a check-in on a missed session"


def test_an_alert_error_is_not_reported_as_already_answered(
    episode, client_user, attend, monkeypatch
):
    def conflict(**kwargs: Any) -> Any:
        raise IntegrityError("UNIQUE constraint failed: ruptures_alert.episode_id, session_id")

    monkeypatch.setattr(rupture_services, "signals_on_checkin", conflict)
    session = attend(episode, 1)
    with pytest.raises(IntegrityError):
        checkin_submit(
            session=session, client=client_user, answers=TENSION, form_token=uuid.uuid4()
        )
    # Nothing half-saved, and the client was not told it was.
    assert CheckIn.objects.count() == 0


def test_an_alert_error_shows_no_already_answered_page(episode, client_user, attend, monkeypatch):
    def conflict(**kwargs: Any) -> Any:
        raise IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr(rupture_services, "signals_on_checkin", conflict)
    session = attend(episode, 1)
    carla = Client(raise_request_exception=False)
    carla.force_login(client_user)
    response = carla.post(
        reverse("checkin", args=[session.id]), {**TENSION, "form_token": str(uuid.uuid4())}
    )
    assert response.status_code == 500
    assert "already answered" not in response.content.decode()


def test_an_alert_opened_meanwhile_by_the_recompute_is_joined(
    episode, client_user, attend, monkeypatch
):
    """A one-off conflict (the nightly recompute opening the same alert) is run again."""
    real_signals = rupture_services.signals_on_checkin
    calls: list[int] = []

    def conflict_once(**kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("UNIQUE constraint failed")
        return real_signals(**kwargs)

    monkeypatch.setattr(rupture_services, "signals_on_checkin", conflict_once)
    result = checkin_submit(
        session=attend(episode, 1), client=client_user, answers=TENSION, form_token=uuid.uuid4()
    )
    assert (result.created, len(calls), Alert.objects.count()) == (True, 2, 1)


@pytest.mark.django_db(transaction=True)
def test_two_answers_sent_at_once_store_one_and_say_already_answered(
    episode, client_user, therapist, attend
):
    """The narrowed catch still covers the insert itself."""
    session = attend(episode, 1)
    carla, _teresa = _browsers(client_user, therapist)
    results = _in_threads(_send_checkin(carla, session), _send_checkin(carla, session))
    assert sorted(results) == [302, 400]
    assert CheckIn.objects.filter(session=session).count() == 1
