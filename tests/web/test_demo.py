"""The demo clinic and the `alliance` command."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction

from alliance.demo import seed_demo
from alliance.people.models import CareEpisode, Role, User
from alliance.ruptures.models import Alert, AlertState

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _fingerprint() -> list[tuple]:
    # Risk and not-on-track alerts have no session: sort by text, as None and numbers don't mix.
    return sorted(
        Alert.objects.values_list("episode__client__email", "session__number", "state", "severity"),
        key=repr,
    )


class _Undo(Exception):
    pass


@pytest.mark.django_db
def test_same_seed_same_demo():
    def seeded_fingerprint() -> list[tuple]:
        try:
            with transaction.atomic():
                seed_demo(seed=7, password="demo-password-1", now=NOW)
                found = _fingerprint()
                raise _Undo
        except _Undo:
            return found

    first = seeded_fingerprint()
    assert User.objects.count() == 0  # rolled back: the second run starts from nothing
    assert first == seeded_fingerprint()
    assert len(first) > 10


def test_alliance_demo_command_creates_a_wal_database(tmp_path):
    env = {**os.environ, "ALLIANCE_DEMO_PASSWORD": "another-demo-pass"}
    env.pop("ALLIANCE_TESTING", None)
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "alliance.cli", "--data-dir", str(tmp_path), "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "therapist@demo.example" in result.stdout
    assert "ALLIANCE_DEMO_PASSWORD" in result.stdout
    assert "http://127.0.0.1:8000/reach-out/to/maya-chen/" in result.stdout
    for name in ("alliance.sqlite3", "demo-secret-key", "demo-encryption-key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    db = sqlite3.connect(tmp_path / "alliance.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    count = db.execute("SELECT count(*) FROM checkins_checkin").fetchone()[0]
    assert count > 100
    # Running again keeps the data.
    again = subprocess.run(
        [sys.executable, "-m", "alliance.cli", "--data-dir", str(tmp_path), "demo", "--no-serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert "Using the existing demo data" in again.stdout
    assert db.execute("SELECT count(*) FROM checkins_checkin").fetchone()[0] == count


def test_the_served_demo_runs_a_worker_that_dies_with_it(tmp_path):
    import signal
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ALLIANCE_WORKER_BEAT_SECONDS": "1"}
    env.pop("ALLIANCE_TESTING", None)
    env.pop("DATABASE_URL", None)
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alliance.cli",
            "--data-dir",
            str(tmp_path),
            "demo",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        db_path = tmp_path / "alliance.sqlite3"
        beat = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and beat is None:
            time.sleep(1)
            if db_path.exists():
                try:
                    beat = (
                        sqlite3.connect(db_path)
                        .execute("SELECT worker_id FROM ops_workerheartbeat")
                        .fetchone()
                    )
                except sqlite3.OperationalError:
                    beat = None  # not migrated yet
        assert beat is not None, "the demo's worker never beat"
        children = subprocess.run(
            ["pgrep", "-P", str(demo.pid), "-f", "alliance.cli worker"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        assert len(children) == 1
        demo.send_signal(signal.SIGKILL)
        demo.wait(timeout=10)
        child = int(children[0])
        for _ in range(50):
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(child, signal.SIGKILL)
            raise AssertionError("the demo's worker outlived the demo")
    finally:
        if demo.poll() is None:
            demo.kill()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "now", [NOW, datetime(2026, 11, 26, 17, 0, tzinfo=UTC)], ids=["monday", "after-a-session"]
)
def test_demo_client_finds_a_check_in_waiting_at_first_start(now):
    from django.test import Client
    from django.urls import reverse

    from alliance.people.models import Session, SessionStatus

    seed_demo(seed=2026, password="demo-password-1", now=now)
    waiting = [
        s
        for s in Session.objects.filter(
            episode__client__email="client@demo.example", status=SessionStatus.ATTENDED
        ).select_related("checkin")
        if s.checkin_is_open(now) and not hasattr(s, "checkin")
    ]
    assert len(waiting) == 1
    assert now - waiting[0].scheduled_at < timedelta(hours=6)
    browser = Client()
    browser.force_login(User.objects.get(email="client@demo.example"))
    with time_machine.travel(now + timedelta(minutes=5), tick=False):
        home = browser.get(reverse("client_home")).content.decode()
        page = browser.get(reverse("checkin", kwargs={"session_id": waiting[0].id}))
    assert reverse("checkin", kwargs={"session_id": waiting[0].id}) in home
    assert page.status_code == 200


@pytest.mark.parametrize("command", ["demo", "serve", "worker"])
def test_help_lists_the_data_dir_option(command):
    result = subprocess.run(
        [sys.executable, "-m", "alliance.cli", command, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--data-dir DIR" in result.stdout
    assert "ALLIANCE_DATA_DIR" in result.stdout


@pytest.mark.django_db
class TestTheDemoClinic:
    """What the seeded demo holds: one seed for the class (seeding is the slow part), each test
    in a savepoint of its own, rolled back after it, so a test that writes changes nothing for
    the next."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def demo(cls, django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
        with django_db_blocker.unblock(), transaction.atomic():
            seed_demo(seed=2026, password="demo-password-1", now=NOW)
            yield
            transaction.set_rollback(True)

    def test_demo_has_the_fixed_logins_and_every_kind_of_signal(self) -> None:
        assert User.objects.get(email="admin@demo.example").role == Role.CLINIC_ADMIN
        for therapist, client in [
            ("therapist@demo.example", "client@demo.example"),
            ("therapist2@demo.example", "client2@demo.example"),
        ]:
            assert CareEpisode.objects.filter(
                therapist__email=therapist, client__email=client
            ).exists()
        assert User.objects.filter(role=Role.THERAPIST).count() >= 2
        assert User.objects.filter(role=Role.CLIENT).count() >= 12
        kinds = {
            s["kind"]
            for signals in Alert.objects.values_list("signals", flat=True)
            for s in signals
        }
        # The dropout-risk rule's reasons are tested on their own (tests/web/test_demo_dropout.py).
        assert "dropout_risk" in kinds
        assert {k for k in kinds if not k.startswith("dropout_")} == {
            "client_reported",
            "discrepancy",
            "not_on_track",
            "reliable_drop",
            "rupture_repair_1sd",
            "risk",
            "rupture_repair_2sd",
            "sudden_loss",
            "weak_early",
        }
        states = set(Alert.objects.values_list("state", flat=True))
        assert AlertState.OPEN in states
        assert AlertState.RESOLVED in states

    def test_every_signal_of_every_kind_reads_in_french_not_as_its_english_summary(self) -> None:
        """Each kind of signal the product writes (the demo writes them all through the real
        services) has translated plain words; the stored summary is English."""
        from django.utils import translation

        from alliance.ruptures.wording import signal_lines

        seen: set[str] = set()
        risk_sources: set[str] = set()
        with translation.override("fr-ca"):
            for signals in Alert.objects.values_list("signals", flat=True):
                for signal in signals:
                    (line,) = signal_lines([signal])
                    assert line.plain != signal["summary"], signal
                    seen.add(signal["kind"])
                    if signal["kind"] == "risk":
                        risk_sources.add("diary" if "field" in signal["detail"] else "outcome")
        assert {
            "client_reported",
            "discrepancy",
            "dropout_risk",
            "not_on_track",
            "reliable_drop",
            "risk",
            "rupture_repair_1sd",
            "rupture_repair_2sd",
            "sudden_loss",
            "weak_early",
        } <= seen
        # The dropout rule's every reason: tests/web/test_alert_wording.py.
        assert risk_sources == {"diary", "outcome"}

    def test_the_statistics_of_every_signal_say_the_stored_summary_in_english(self) -> None:
        """The numbers behind the plain words are said again from each signal's detail
        (alliance.ruptures.wording): in English exactly as the detector stored them, so that
        a French page can say the same thing. A risk answer's plain words name every answer,
        so it has none; the not-on-track rule's summary is kept as stored."""
        from django.utils import translation

        from alliance.ruptures.wording import signal_lines

        said_again: set[str] = set()
        with translation.override("en"):
            for signals in Alert.objects.values_list("signals", flat=True):
                for signal in signals:
                    (line,) = signal_lines([signal])
                    if signal["kind"] == "risk":
                        assert line.statistics == "", signal
                    else:
                        assert line.statistics == signal["summary"], signal
                        said_again.add(signal["kind"])
        assert {"client_reported", "dropout_risk", "dropout_missed", "reliable_drop"} <= said_again

    def test_the_statistics_read_in_french_with_french_numbers(self) -> None:
        from django.utils import translation

        from alliance.ruptures.wording import signal_lines

        kept_english: set[str] = set()
        with translation.override("fr-ca"):
            for signals in Alert.objects.values_list("signals", flat=True):
                for signal in signals:
                    (line,) = signal_lines([signal])
                    if not line.statistics:
                        continue
                    if line.statistics == signal["summary"]:
                        kept_english.add(signal["kind"])
                        continue
                    # A decimal is written with a comma ("1,07"), never "1.07".
                    assert not re.search(r"\d\.\d", line.statistics), line.statistics
        assert kept_english == {"not_on_track"}

    def test_demo_client_has_an_open_client_reported_alert(self) -> None:
        assert Alert.objects.filter(
            episode__client__email="client@demo.example",
            client_reported=True,
            state=AlertState.OPEN,
        ).exists()

    def test_demo_has_diary_cards_with_gaps_and_a_diary_risk_answer(self) -> None:
        from alliance.diary.models import DiaryCard, DiaryTarget

        days = set(
            DiaryCard.objects.filter(client__email="client@demo.example").values_list(
                "day", flat=True
            )
        )
        assert 10 <= len(days) < 21  # three weeks, with missed days
        assert DiaryTarget.objects.filter(episode__client__email="client@demo.example").exists()
        risk = Alert.objects.get(
            episode__client__email="client2@demo.example", source_key__startswith="diary:"
        )
        assert (risk.category, risk.state) == ("risk", AlertState.OPEN)

    def test_demo_outbox_has_a_sent_a_queued_and_a_failed_message(self) -> None:
        from alliance.messaging.models import MessageState, OutboxMessage

        states = sorted(OutboxMessage.objects.values_list("state", flat=True))
        assert states == [MessageState.FAILED, MessageState.QUEUED, MessageState.SENT]
        queued = OutboxMessage.objects.get(state=MessageState.QUEUED)
        assert queued.next_attempt_at > NOW  # due tomorrow: the demo's worker leaves it for now

    def test_demo_has_two_reach_out_requests_waiting_one_for_a_therapist_one_for_the_clinic(
        self,
    ) -> None:
        from alliance.reachout.models import ReachOutRequest, RequestStatus

        requests = ReachOutRequest.objects.select_related("page__therapist").order_by("received_at")
        assert [(r.page.slug, r.status) for r in requests] == [
            ("maya-chen", RequestStatus.WAITING),
            ("harbourview", RequestStatus.WAITING),
        ]
        assert requests[0].page.therapist.email == "therapist@demo.example"
        assert requests[1].page.therapist is None
        assert all(r.page.is_open for r in requests)

    def test_demo_sessions_are_numbered_by_date(self) -> None:
        from alliance.people.models import Session

        for episode in CareEpisode.objects.all():
            times = list(
                Session.objects.filter(episode=episode)
                .order_by("number")
                .values_list("scheduled_at", flat=True)
            )
            assert times == sorted(times), episode.client.email

    def test_demo_has_an_upcoming_absence_with_a_cover_whose_first_notice_is_due(self) -> None:
        from alliance.absences.models import Absence, AbsenceNotice
        from alliance.absences.notices import absence_notices_scan

        absence = Absence.objects.select_related("therapist", "cover").get()
        assert (absence.therapist.email, absence.cover.email) == (
            "therapist@demo.example",
            "therapist2@demo.example",
        )
        assert (absence.starts_on - NOW.date()).days == 21
        assert absence_notices_scan(now=NOW) > 0  # the demo worker's first scan
        told = set(AbsenceNotice.objects.values_list("client__email", "kind"))
        assert ("client@demo.example", "lead") in told
        assert not AbsenceNotice.objects.exclude(kind="lead").exists()

    def test_demo_has_a_supervisor_of_every_therapist_and_two_views_that_differ(self) -> None:
        from alliance.ratings.models import TherapistRating
        from alliance.supervision.models import SupervisorAssignment

        supervisor = User.objects.get(email="supervisor@demo.example")
        assert supervisor.role == Role.SUPERVISOR
        assert supervisor.check_password("demo-password-1")
        assert set(
            SupervisorAssignment.objects.filter(supervisor=supervisor).values_list(
                "therapist__email", flat=True
            )
        ) == set(User.objects.filter(role=Role.THERAPIST).values_list("email", flat=True))
        assert TherapistRating.objects.count() > 20
        assert (
            Alert.objects.filter(
                category="discrepancy", episode__client__email="client@demo.example"
            ).count()
            == 1
        )
