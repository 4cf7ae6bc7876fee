"""Real `alliance worker` processes on one database: two at once send each message once, and a
worker killed in the middle of sending loses nothing and sends nothing twice.

The workers run against a database of their own: a fresh SQLite file, or, when the suite runs on
PostgreSQL (DATABASE_URL set), a fresh PostgreSQL database on the same server.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _wait_until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def worker_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ALLIANCE_DATA_DIR": str(tmp_path / "data"),
        "ALLIANCE_SECRET_KEY": "x" * 60 + "worker-test-key-not-secret",
        "ALLIANCE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLIANCE_DEBUG": "0",
        "ALLIANCE_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "ALLIANCE_EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "ALLIANCE_WORKER_BEAT_SECONDS": "1",
        "ALLIANCE_OUTBOX_SWEEP_SECONDS": "2",
        "ALLIANCE_OUTBOX_LEASE_SECONDS": "4",
    }
    env.pop("ALLIANCE_TESTING", None)
    (tmp_path / "data").mkdir()
    dropper = None
    url = os.environ.get("DATABASE_URL")
    if url:
        import psycopg

        name = f"alliance_workers_{uuid.uuid4().hex[:10]}"
        parts = urlsplit(url)
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))

        def dropper() -> None:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    try:
        _alliance(env, "migrate", "--verbosity", "0")
        yield env
    finally:
        if dropper is not None:
            dropper()


def _alliance(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "alliance.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _shell(env: dict[str, str], code: str) -> str:
    return _alliance(env, "shell", "-c", code)


SEED = """
from alliance.people.models import Clinic, Role, User
from alliance.messaging.services import message_queue
clinic = Clinic.objects.create(name="Worker Clinic")
client = User.objects.create_user("c@example.org", None, full_name="C", role=Role.CLIENT,
                                  clinic=clinic)
for i in range({n}):
    message_queue(kind="account", key=f"m{{i}}", subject=f"Reminder {{i}}",
                  body="https://example.org/me/", recipient=client)
"""

STATES = """
import json
from alliance.messaging.models import OutboxMessage
print(json.dumps([[m.idempotency_key, m.state, m.attempts, m.claimed_by]
                  for m in OutboxMessage.objects.all()]))
"""


def _states(env: dict[str, str]) -> list[list]:
    return json.loads(_shell(env, STATES).strip().splitlines()[-1])


def _message_ids(mail_dir: Path) -> list[str]:
    if not mail_dir.exists():
        return []
    ids = []
    for path in mail_dir.iterdir():
        for line in path.read_text().splitlines():
            if line.startswith("Message-ID:"):
                ids.append(line.split(":", 1)[1].strip())
    return ids


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "alliance.cli", "worker"],
        env=env,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_workers_at_once_send_each_message_exactly_once(worker_env, tmp_path):
    count = 40
    _shell(worker_env, SEED.format(n=count))
    workers = [_start_worker(worker_env, tmp_path / f"w{i}.log") for i in range(2)]
    try:
        done = _wait_until(lambda: len(_message_ids(tmp_path / "mail")) >= count, 120)
        time.sleep(3)  # time for a duplicate, if there were going to be one
    finally:
        for w in workers:
            _stop(w)
    logs = "".join((tmp_path / f"w{i}.log").read_text() for i in range(2))
    assert done, logs
    ids = _message_ids(tmp_path / "mail")
    assert len(ids) == count
    assert len(set(ids)) == count
    states = _states(worker_env)
    assert {state for _, state, _, _ in states} == {"sent"}
    assert all(attempts == 1 for _, _, attempts, _ in states)


def test_a_worker_killed_while_sending_loses_nothing_and_sends_nothing_twice(worker_env, tmp_path):
    _shell(worker_env, SEED.format(n=1))
    started = tmp_path / "started"
    slow = {
        **worker_env,
        "ALLIANCE_EMAIL_BACKEND": "tests.slow_mail.SlowFileBackend",
        "SLOW_MAIL_STARTED": str(started),
        "SLOW_MAIL_SECONDS": "60",
    }
    first = _start_worker(slow, tmp_path / "first.log")
    try:
        assert _wait_until(started.exists, 60), (tmp_path / "first.log").read_text()
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    [[_, state, attempts, claimed_by]] = _states(worker_env)
    assert (state, attempts) == ("sending", 1)  # claimed, not sent, not lost
    assert _message_ids(tmp_path / "mail") == []

    second = _start_worker(worker_env, tmp_path / "second.log")
    try:
        sent = _wait_until(lambda: len(_message_ids(tmp_path / "mail")) >= 1, 60)
        time.sleep(3)
    finally:
        _stop(second)
    assert sent, (tmp_path / "second.log").read_text()
    assert len(_message_ids(tmp_path / "mail")) == 1
    [[_, state, attempts, new_claim]] = _states(worker_env)
    assert (state, attempts) == ("sent", 2)
    assert new_claim != claimed_by
