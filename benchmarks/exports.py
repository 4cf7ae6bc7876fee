"""Benchmark: the full-clinic exports (FHIR Bundle, research export) and one client's own export.

Builds the benchmark clinic of ``benchmarks/recompute.py`` (``--clients`` synthetic clients,
10,000 by default, with about ``--checkins`` check-ins each, 100 by default: about 1,000,000
check-ins) with ``benchmarks/build.py``, then measures each export in a *fresh* Python process
on the database just built (so the build's memory does not count): size of the file, wall and
CPU seconds, peak resident memory.

* ``fhir``: ``alliance fhir_export``'s ``clinic_bundle_write`` into a gzip file (the plain JSON
  size is counted as it is written);
* ``research``: ``research_export_write`` (CSV + Parquet + dictionary, one ZIP);
* ``client``: ``client_export_zip`` of the client with the most check-ins.

Run from the repository root::

    python -m benchmarks.exports                              # full size: long, ~1.2 GB of disk
    python -m benchmarks.exports --clients 1000 --checkins 100   # a tenth of it
    DATABASE_URL=postgres://user:pw@localhost/empty_db python -m benchmarks.exports
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import sys
import time
from typing import Any

from benchmarks import build
from benchmarks.recompute import _rss_mb, weeks_for

MEASURES = ("fhir", "research", "client")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--checkins", type=int, default=100, help="mean check-ins per client")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", help="keep the SQLite database here (default: temp)")
    parser.add_argument("--measure", choices=MEASURES, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class _Counting:
    """A text sink that counts what passes through to ``inner``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.chars = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        return int(self.inner.write(text))


def measure(args: argparse.Namespace) -> int:
    data_dir = build.configure(args.data_dir, empty=False)
    from django.db.models import Count
    from django.utils import timezone

    from alliance.people.models import Clinic, Role, User

    clinic = Clinic.objects.get()
    baseline = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    out = data_dir / f"bench-{args.measure}"
    detail = ""
    if args.measure == "fhir":
        from alliance.exports.fhir import clinic_bundle_write

        target = out.with_suffix(".json.gz")
        with gzip.open(target, "wt", encoding="utf-8", compresslevel=6) as raw:
            sink = _Counting(raw)
            entries = clinic_bundle_write(clinic, sink)  # type: ignore[arg-type]
        detail = f"{entries:,} resources, {sink.chars / 2**20:,.0f} MiB of JSON before gzip"
    elif args.measure == "research":
        from alliance.exports.research import research_export_write

        target = out.with_suffix(".zip")
        _, rows = research_export_write(clinic, target, made=timezone.now())
        detail = ", ".join(f"{name} {n:,}" for name, n in rows.items())
    else:
        from alliance.exports.client import client_export_zip

        busiest = (
            User.objects.filter(clinic=clinic, role=Role.CLIENT)
            .annotate(n=Count("checkins"))
            .order_by("-n")
            .first()
        )
        assert busiest is not None
        target = out.with_suffix(".zip")
        target.write_bytes(client_export_zip(busiest))
        detail = f"client with {busiest.n} check-ins"  # type: ignore[attr-defined]
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    size = target.stat().st_size
    print(
        f"{args.measure}: {size / 2**20:,.1f} MiB file, {wall:.1f} s wall, {cpu:.1f} s CPU, "
        f"peak RSS {_rss_mb():.0f} MB ({_rss_mb() - baseline:.0f} MB above setup); {detail}",
        flush=True,
    )
    target.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure:
        return measure(args)
    data_dir = build.configure(args.data_dir)
    try:
        from django.db import connection
        from django.utils import timezone

        print(f"database: {build.database_label()}")
        print(build.load_line())
        n_therapists = max(1, args.clients // 50)
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
        weeks = weeks_for(args.checkins, seed=args.seed, n_therapists=n_therapists, now=now)
        result = build.build_synthetic_clinic(
            seed=args.seed,
            n_therapists=n_therapists,
            n_clients=args.clients,
            weeks=weeks,
            now=now,
            progress=False,
        )
        print(
            f"build: {result.clients} clients, {result.sessions} sessions, {result.checkins} "
            f"check-ins in {result.seconds:.0f} s"
        )
        connection.close()
        for name in MEASURES:
            command = [sys.executable, "-m", "benchmarks.exports", "--measure", name]
            command += ["--data-dir", str(data_dir)]
            sys.stdout.flush()
            subprocess.run(command, check=True)
    finally:
        if not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
