"""`alliance worker`: the scheduled jobs of a clinic installation, run in a loop.

Each job is idempotent, so a worker that is restarted, or two workers by mistake, do no harm.
Jobs are registered in ``JOBS`` with their interval; ``alliance worker --once`` runs every job
once and exits (for cron or a systemd timer instead of a long-running process).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger("alliance.worker")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    run: Callable[[], str]


def _recompute_signals() -> str:
    from alliance.ruptures.services import signals_recompute

    report = signals_recompute()
    return (
        f"{report.checkins} check-ins, {report.alerts_created} alerts opened, "
        f"{report.alerts_updated} updated"
    )


def _clear_sessions() -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    expired = Session.objects.filter(expire_date__lt=timezone.now()).count()
    # Django's own clean-up of the session table (cached entries expire with their session).
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return f"{expired} expired sign-in sessions deleted"


JOBS: list[Job] = [
    # Signals are computed on every check-in; the nightly pass picks up changed clinic
    # thresholds and anything written outside the app (imports, restores).
    Job("recompute-signals", 24 * 3600, _recompute_signals),
    # An expired session can't sign anyone in, but its row still says who was signed in when.
    Job("clear-sessions", 3600, _clear_sessions),
]


class _Stop:
    requested = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True


def run(*, once: bool, tick_seconds: float = 5.0, jobs: list[Job] | None = None) -> int:
    """Run due jobs until stopped (SIGTERM/SIGINT finish the current job, then exit)."""
    jobs = JOBS if jobs is None else jobs
    stop = _Stop()
    if not once:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    last_run: dict[str, float] = {}
    failures = 0
    while True:
        now = time.monotonic()
        for job in jobs:
            if not once and now - last_run.get(job.name, -1e18) < job.every_seconds:
                continue
            started = time.monotonic()
            try:
                summary = job.run()
            except Exception:  # one failing job must not stop the others
                failures += 1
                log.exception("job %s failed", job.name)
                print(f"[worker] {job.name}: FAILED (see the log)", flush=True)
            else:
                print(
                    f"[worker] {job.name}: {summary} ({time.monotonic() - started:.1f} s)",
                    flush=True,
                )
            last_run[job.name] = time.monotonic()
            if stop.requested:
                break
        if once or stop.requested:
            return 1 if failures else 0
        time.sleep(tick_seconds)
