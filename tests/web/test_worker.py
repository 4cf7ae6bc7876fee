from __future__ import annotations

import uuid

from alliance.checkins.services import checkin_submit
from alliance.ruptures.models import Alert, AlertEvent
from alliance.worker import JOBS, Job, run
from tests.conftest import GOOD_ANSWERS


def test_once_runs_every_job_and_reports(capsys):
    calls: list[str] = []
    jobs = [Job("a", 60, lambda: calls.append("a") or "did a"), Job("b", 60, lambda: "did b")]
    assert run(once=True, jobs=jobs) == 0
    assert calls == ["a"]
    out = capsys.readouterr().out
    assert "[worker] a: did a" in out
    assert "[worker] b: did b" in out


def test_a_failing_job_does_not_stop_the_others(capsys):
    def boom() -> str:
        raise RuntimeError("database away")

    assert run(once=True, jobs=[Job("bad", 60, boom), Job("good", 60, lambda: "fine")]) == 1
    out = capsys.readouterr().out
    assert "[worker] bad: FAILED" in out
    assert "[worker] good: fine" in out


def test_signal_job_opens_missing_alerts(episode, client_user, attend):
    checkin_submit(
        session=attend(episode, 1),
        client=client_user,
        answers={**GOOD_ANSWERS, "tension": "2", "talked": "1", "resolved": "2"},
        form_token=uuid.uuid4(),
    )
    AlertEvent.objects.all().delete()
    Alert.objects.all().delete()
    [job] = [j for j in JOBS if j.name == "recompute-signals"]
    assert job.run() == "1 check-ins, 1 alerts opened, 0 updated"
    assert Alert.objects.count() == 1


def test_the_session_job_deletes_only_expired_sign_ins(client_user, login):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    login(client_user)
    login(client_user)
    stale = Session.objects.order_by("expire_date").first()
    assert stale is not None
    Session.objects.filter(pk=stale.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    [job] = [j for j in JOBS if j.name == "clear-sessions"]
    assert job.run() == "1 expired sign-in sessions deleted"
    assert Session.objects.count() == 1
