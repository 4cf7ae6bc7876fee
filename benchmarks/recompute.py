"""Benchmark: ``signals_recompute()`` over a large clinic.

Builds a clinic of 10,000 clients with about 100 check-ins each (1,000,000 check-ins, bulk
inserted by ``benchmarks/build.py``; build time printed separately), then runs
``signals_recompute()`` twice in a *fresh* Python process that opens the database just built,
so the build's memory does not count: the first run opens the alerts, the second must find
nothing new. Prints seconds, check-ins per second, alerts created and peak memory.

Targets: each run at most 10 s and 1 GB peak resident memory.

Run from the repository root::

    python -m benchmarks.recompute                          # full size, a few minutes
    python -m benchmarks.recompute --clients 1000 --checkins 50   # quick
    python -m benchmarks.recompute --profile                # + cProfile of the first run
    DATABASE_URL=postgres://user:pw@localhost/empty_db python -m benchmarks.recompute

``--data-dir DIR`` keeps the SQLite database in DIR instead of a fresh temporary folder (which
is deleted at the end), and
``--build-only`` stops after the build; ``--reuse`` then skips the build and measures the
database already there (its alerts are deleted first so the first run starts from none; the
audit log is append-only, so its rows from earlier runs stay). With ``DATABASE_URL`` the
database must be empty. ``--tracemalloc`` also reports Python's traced peak (it slows the traced
run, whose time is then not comparable).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

# Nothing from Django or alliance at module level: build.configure() sets the environment first.
from benchmarks import build

TARGET_SECONDS = 10.0
TARGET_MB = 1024.0


def _rss_mb() -> float:
    """Peak resident memory of this process image, in MiB.

    VmHWM from /proc, not ru_maxrss: on Linux ru_maxrss survives exec, so a child started by
    subprocess would report the *parent's* peak (the build's) as its own.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--checkins", type=int, default=100, help="mean check-ins per client")
    parser.add_argument(
        "--therapists", type=int, default=0, help="default: one per 50 clients (at least 1)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", help="keep the SQLite database here (default: temp)")
    parser.add_argument("--reuse", action="store_true", help="measure an existing --data-dir")
    parser.add_argument("--build-only", action="store_true", help="build, do not measure")
    parser.add_argument("--profile", action="store_true", help="cProfile the first run")
    parser.add_argument("--tracemalloc", action="store_true", help="trace the first run")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def weeks_for(checkins: int, *, seed: int, n_therapists: int, now: datetime) -> int:
    """History length that gives about ``checkins`` submitted check-ins per client.

    Attendance, check-in completion and dropout all thin the weekly series, so the rate is
    measured on a pilot of the generator's first 300 clients (client i depends only on the
    seed, i and the window, so the pilot's clients are the benchmark's first 300).
    """
    from alliance.core import synthetic

    def mean_at(weeks: int) -> float:
        total = 0
        n = 0
        for c in synthetic.iter_clients(
            seed=seed,
            n_therapists=n_therapists,
            n_clients=300,
            weeks=weeks,
            now=now,
            fixed_people=False,
        ):
            n += 1
            for s in c.sessions:
                submitted = synthetic.checkin_submitted_at(s)
                total += submitted is not None and submitted <= now
        return total / max(n, 1)

    weeks = max(synthetic.MIN_WEEKS, math.ceil(checkins / 0.7))
    for _ in range(2):
        weeks = max(synthetic.MIN_WEEKS, round(weeks * checkins / max(mean_at(weeks), 0.1)))
    return weeks


def build_main(args: argparse.Namespace) -> int:
    data_dir = build.configure(args.data_dir, empty=not args.reuse)
    try:
        return _build_then_measure(args, data_dir)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)  # the temporary database is ~1.2 GB


def _build_then_measure(args: argparse.Namespace, data_dir: Path) -> int:
    from django.db import connection
    from django.utils import timezone

    from alliance.ruptures.models import Alert, AlertEvent

    print(f"database: {build.database_label()}")
    print(build.load_line())
    if args.reuse:
        AlertEvent.objects.all().delete()
        Alert.objects.all().delete()
        print("reusing the existing database; alerts deleted")
    else:
        n_therapists = args.therapists or max(1, args.clients // 50)
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        weeks = weeks_for(args.checkins, seed=args.seed, n_therapists=n_therapists, now=now)
        print(
            f"building: {args.clients} clients, {n_therapists} therapists, {weeks} weeks of "
            f"weekly sessions (for about {args.checkins} check-ins per client), seed {args.seed}"
        )
        result = build.build_synthetic_clinic(
            seed=args.seed,
            n_therapists=n_therapists,
            n_clients=args.clients,
            weeks=weeks,
            now=now,
            progress=True,
        )
        print(
            f"build: {result.clients} clients, {result.active_episodes} active episodes, "
            f"{result.sessions} sessions, {result.checkins} check-ins "
            f"({result.checkins / max(result.clients, 1):.1f} per client)"
        )
        print(
            f"build time: {result.seconds:.1f} s wall, {result.cpu_seconds:.1f} s CPU "
            f"(generator {result.generate_seconds:.1f} s; "
            f"{result.checkins / result.seconds:,.0f} check-ins/s)"
        )
        print(f"build peak RSS (this process, not the measurement): {_rss_mb():.0f} MB")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = Path(connection.settings_dict["NAME"]).stat().st_size
        print(f"database file: {size / 2**20:.0f} MB")
    connection.close()

    if args.build_only:
        return 0
    command = [
        sys.executable,
        "-m",
        "benchmarks.recompute",
        "--measure",
        "--data-dir",
        str(data_dir),
    ]
    if args.profile:
        command.append("--profile")
    if args.tracemalloc:
        command.append("--tracemalloc")
    sys.stdout.flush()
    return subprocess.run(command, check=False).returncode


def measure_main(args: argparse.Namespace) -> int:
    """Runs in a fresh process on the database the parent built."""
    build.configure(args.data_dir, empty=False)
    from django.db import connection

    from alliance.ruptures.models import Alert, AlertEvent
    from alliance.ruptures.services import signals_recompute

    connection.ensure_connection()
    print(build.load_line())
    baseline = _rss_mb()
    print(f"measurement process: fresh, RSS after Django setup {baseline:.0f} MB")
    ok = True

    def run(label: str, *, profile: bool = False, trace: bool = False) -> tuple[float, Any]:
        import gc

        gc.collect()
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
        if trace:
            import tracemalloc

            tracemalloc.start()
        started = time.perf_counter()
        cpu_started = time.process_time()
        if profiler is not None:
            profiler.enable()
        report = signals_recompute()
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        rate = report.checkins / seconds if seconds else float("inf")
        print(
            f"{label}: {seconds:.2f} s ({cpu:.2f} s CPU), {report.episodes} episodes, "
            f"{report.checkins} check-ins "
            f"({rate:,.0f} check-ins/s), {report.signals} signals, "
            f"{report.alerts_created} alerts created, {report.alerts_updated} updated"
        )
        if trace:
            import tracemalloc

            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"{label}: tracemalloc peak {peak / 2**20:.0f} MB (traced, so slower)")
        print(f"{label}: peak RSS so far {_rss_mb():.0f} MB, current {_current_rss_mb():.0f} MB")
        if profiler is not None:
            import pstats

            print(f"--- cProfile of {label} (cumulative, top 30) ---")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
            print(f"--- cProfile of {label} (own time, top 20) ---")
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(20)
        return seconds, report

    first_s, first = run("first run", profile=args.profile, trace=args.tracemalloc)
    first_peak = _rss_mb()
    second_s, second = run("second run")
    peak = _rss_mb()
    alerts = Alert.objects.count()
    events = AlertEvent.objects.count()
    print(f"alerts in the database: {alerts} (alert events: {events})")
    if alerts != first.alerts_created:
        print(
            f"CHECK FAILED: {alerts} alerts stored but the first run created {first.alerts_created}"
        )
        ok = False
    if second.alerts_created or second.alerts_updated:
        print("CHECK FAILED: the second run was not idempotent")
        ok = False
    print(
        f"peak RSS: {peak:.0f} MB (first run peak {first_peak:.0f} MB; "
        f"{peak - baseline:.0f} MB above the {baseline:.0f} MB after setup)"
    )
    for label, seconds in (("first run", first_s), ("second run", second_s)):
        verdict = "met" if seconds <= TARGET_SECONDS else "MISSED"
        print(f"target {label} <= {TARGET_SECONDS:.0f} s: {verdict} ({seconds:.2f} s)")
    verdict = "met" if peak <= TARGET_MB else "MISSED"
    print(f"target peak memory <= {TARGET_MB:.0f} MB: {verdict} ({peak:.0f} MB)")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.reuse and not args.data_dir and not os.environ.get("DATABASE_URL"):
        raise SystemExit("--reuse needs --data-dir (or DATABASE_URL)")
    if args.measure:
        return measure_main(args)
    return build_main(args)


if __name__ == "__main__":
    sys.exit(main())
