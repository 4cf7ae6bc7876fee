"""`alliance worker`: periodic jobs on the task queue, the heartbeat, and `--once`."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django_tasks_db.models import DBTaskResult

from alliance.checkins.services import checkin_submit
from alliance.messaging.models import MessageKind, MessageState, OutboxMessage
from alliance.messaging.services import message_queue
from alliance.ops import tasks as ops_tasks
from alliance.ops.models import PeriodicRun, WorkerHeartbeat
from alliance.ops.periodic import (
    PeriodicJob,
    heartbeat,
    jobs,
    periodic_enqueue_due,
    slot_of,
    worker_status,
)
from alliance.ruptures.models import Alert, AlertEvent
from alliance.worker import run
from tests.conftest import GOOD_ANSWERS

NIGHTLY = PeriodicJob(
    "recompute-signals", timedelta(days=1), "alliance.ops.tasks:recompute_signals"
)


def _tasks(name: str) -> int:
    return DBTaskResult.objects.filter(task_path__endswith=name).count()


def test_a_slot_is_the_start_of_its_period_in_utc():
    at = datetime(2026, 11, 1, 6, 30, 12, tzinfo=UTC)
    assert slot_of(NIGHTLY, at) == datetime(2026, 11, 1, tzinfo=UTC)
    hourly = PeriodicJob("h", timedelta(hours=1), "x:y")
    assert slot_of(hourly, at) == datetime(2026, 11, 1, 6, tzinfo=UTC)


def test_each_slot_of_a_job_is_enqueued_once(db):
    at = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert periodic_enqueue_due(worker_id="w1", now=at, only=(NIGHTLY,)) == ["recompute-signals"]
    assert periodic_enqueue_due(worker_id="w2", now=at + timedelta(hours=3), only=(NIGHTLY,)) == []
    assert _tasks("recompute_signals") == 1
    assert periodic_enqueue_due(worker_id="w2", now=at + timedelta(days=1), only=(NIGHTLY,)) == [
        "recompute-signals"
    ]
    assert _tasks("recompute_signals") == 2
    assert list(PeriodicRun.objects.values_list("enqueued_by", flat=True).order_by("slot")) == [
        "w1",
        "w2",
    ]


def test_every_job_is_registered_with_an_importable_task():
    names = {job.name for job in jobs()}
    assert names == {
        "recompute-signals",
        "clear-sessions",
        "purge-reach-outs",
        "open-checkins",
        "scan-reminders",
        "scan-absences",
        "deliver-due",
        "expire-research-exports",
    }
    for job in jobs():
        assert callable(job.task().enqueue)


@pytest.mark.django_db(transaction=True)
def test_two_workers_beating_at_once_enqueue_a_slot_once():
    if connection.vendor == "sqlite":
        # The in-memory test database answers "table is locked" at once instead of waiting as a
        # file does; on SQLite two real worker processes cover this
        # (tests/web/test_worker_processes.py).
        pytest.skip("needs a database that makes concurrent writers wait")
    at = datetime(2026, 11, 2, 1, tzinfo=UTC)
    results: list[list[str]] = []
    barrier = threading.Barrier(2)

    def beat(worker: str) -> None:
        barrier.wait()
        try:
            results.append(periodic_enqueue_due(worker_id=worker, now=at, only=(NIGHTLY,)))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat, args=(w,)) for w in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r) for r in results) == [0, 1]
    assert PeriodicRun.objects.count() == 1
    assert _tasks("recompute_signals") == 1


def test_the_heartbeat_says_whether_a_worker_is_alive(db):
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    assert worker_status(now)["ok"] is False
    heartbeat(worker_id="w1", now=now)
    heartbeat(worker_id="w1", now=now + timedelta(seconds=30))
    assert WorkerHeartbeat.objects.count() == 1
    assert worker_status(now + timedelta(minutes=2))["ok"] is True
    stale = worker_status(now + timedelta(minutes=3))
    assert stale["ok"] is False
    assert stale["last_seen"] == now + timedelta(seconds=30)


@pytest.mark.django_db(transaction=True)
def test_once_runs_the_due_jobs_and_sends_queued_messages(client_user, capsys):
    message, _ = message_queue(
        kind=MessageKind.ACCOUNT,
        key="once",
        subject="You have a check-in waiting",
        body="https://example.org/me/",
        recipient=client_user,
    )
    assert run(once=True) == 0
    message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert len(mail.outbox) == 1
    assert DBTaskResult.objects.exclude(status="SUCCESSFUL").count() == 0
    assert set(PeriodicRun.objects.values_list("job", flat=True)) == {
        "recompute-signals",
        "clear-sessions",
        "purge-reach-outs",
        "open-checkins",
        "scan-reminders",
        "scan-absences",
        "deliver-due",
        "expire-research-exports",
    }
    assert "[worker] enqueued recompute-signals" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_once_reports_a_failing_task(client_user, monkeypatch):
    from alliance.ruptures import services as rupture_services

    def boom() -> str:
        raise RuntimeError("database away")

    monkeypatch.setattr(rupture_services, "signals_recompute", boom)
    assert run(once=True) == 1
    assert OutboxMessage.objects.count() == 0


def test_the_signal_task_opens_missing_alerts(episode, client_user, attend):
    checkin_submit(
        session=attend(episode, 1),
        client=client_user,
        answers={**GOOD_ANSWERS, "tension": "2", "talked": "1", "resolved": "2"},
        form_token=uuid.uuid4(),
    )
    AlertEvent.objects.all().delete()
    Alert.objects.all().delete()
    assert ops_tasks.recompute_signals.call() == (
        "1 check-ins, 1 alerts opened, 0 updated; dropout risk for 0 of 1 episodes, 0 alerts opened"
    )
    assert Alert.objects.count() == 1


def test_the_session_task_deletes_only_expired_sign_ins(client_user, login):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    login(client_user)
    login(client_user)
    stale = Session.objects.order_by("expire_date").first()
    assert stale is not None
    Session.objects.filter(pk=stale.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert ops_tasks.clear_sessions.call() == "1 expired sign-in sessions deleted"
    assert Session.objects.count() == 1
