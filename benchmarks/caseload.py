"""Benchmark: the therapist's caseload page and client page, timed server-side.

Builds a clinic where one therapist has 60 active clients with two years (104 weeks) of weekly
sessions and check-ins (plus the ended episodes of clients who dropped out on the way, as a
real caseload would have), runs ``signals_recompute()`` so alerts exist, then requests
``/caseload/`` through Django's test client as that therapist: 5 warm-ups, 50 timed requests
(``time.perf_counter`` around ``client.get``). Prints median, p90 and max in ms and the SQL
queries per request. Then times ``/clients/<id>/`` for the client with the most history.

Target: caseload median at most 100 ms on SQLite.

Run from the repository root::

    python -m benchmarks.caseload
    python -m benchmarks.caseload --active 120 --weeks 52      # other sizes
    DATABASE_URL=postgres://user:pw@localhost/empty_db python -m benchmarks.caseload

``--data-dir DIR`` keeps the SQLite database in DIR instead of a fresh temporary folder (which
is deleted at the end).
``--profile`` adds a cProfile of 20 caseload requests.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Any

# Nothing from Django or alliance at module level: build.configure() sets the environment first.
from benchmarks import build

TARGET_MEDIAN_MS = 100.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--active", type=int, default=60, help="active clients of the therapist")
    parser.add_argument("--weeks", type=int, default=104, help="weeks of weekly history")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--data-dir", help="keep the SQLite database here (default: temp)")
    parser.add_argument("--profile", action="store_true", help="cProfile 20 caseload requests")
    return parser.parse_args(argv)


def _until_active(clients: Iterator[Any], active: int) -> Iterator[Any]:
    """Clients in generator order until ``active`` of them are still in therapy."""
    found = 0
    for c in clients:
        yield c
        found += not c.dropped_out
        if found >= active:
            return


def login(client: Any, user: Any) -> None:
    """``force_login``, plus the second factor when the app asks staff for one (django-otp).

    As tests/conftest.py does: a confirmed authenticator for the user, recorded in the session
    as verified, so the benchmark measures the page and not the two-factor redirect.
    """
    client.force_login(user)
    try:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice
    except ImportError:
        return
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Benchmark", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def time_get(client: Any, path: str, *, warmup: int, n: int) -> tuple[list[float], int, int]:
    """Seconds per request, SQL queries of one extra request, and response size in bytes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.get("Location"))
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    # Counted on a separate request: capturing forces Django's debug cursor, which costs time.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return times, len(queries.captured_queries), len(response.content)


def report(label: str, times: list[float], queries: int, size: int) -> float:
    median = statistics.median(times)
    print(
        f"{label}: median {build.ms(median)} ms, p90 {build.ms(build.percentile(times, 0.9))} ms, "
        f"max {build.ms(max(times))} ms, min {build.ms(min(times))} ms "
        f"over {len(times)} requests; {queries} SQL queries per request; {size / 1024:.0f} KiB"
    )
    return median


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir = build.configure(args.data_dir)
    try:
        return _run(args)
    finally:
        if not args.data_dir:
            from django.db import connections

            connections.close_all()
            shutil.rmtree(data_dir, ignore_errors=True)


def _run(args: argparse.Namespace) -> int:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone
    from django.utils.html import escape

    from alliance.core import synthetic
    from alliance.people.models import CareEpisode, User
    from alliance.ruptures.models import Alert
    from alliance.ruptures.services import signals_recompute

    print(f"database: {build.database_label()}")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    shell = synthetic.generate_clinic(
        seed=args.seed,
        n_therapists=1,
        n_clients=0,
        weeks=args.weeks,
        now=now,
        fixed_people=False,
    )
    clients = synthetic.iter_clients(
        seed=args.seed,
        n_therapists=1,
        n_clients=10 * args.active + 20,
        weeks=args.weeks,
        now=now,
        fixed_people=False,
    )
    result = build.build_clinic(
        name=shell.name,
        therapists=shell.therapists,
        clients=_until_active(clients, args.active),
        now=now,
    )
    print(
        f"build: 1 therapist, {result.active_episodes} active + "
        f"{result.clients - result.active_episodes} ended episodes, {args.weeks} weeks, "
        f"{result.sessions} sessions, {result.checkins} check-ins in {result.seconds:.1f} s"
    )
    started = time.perf_counter()
    recomputed = signals_recompute()
    print(
        f"signals_recompute: {recomputed.alerts_created} alerts created in "
        f"{time.perf_counter() - started:.2f} s"
    )

    therapist = User.objects.get(id=next(iter(result.therapist_ids.values())))
    active = CareEpisode.objects.filter(therapist=therapist, status="active")
    open_alerts = Alert.objects.filter(episode__in=active, state="open").count()
    print(f"caseload: {active.count()} active clients, {open_alerts} open alerts on them")

    print(build.load_line())
    client = Client(HTTP_HOST="localhost")
    login(client, therapist)
    page = client.get("/caseload/").content.decode()
    missing = [
        e.client.full_name
        for e in active.select_related("client")
        if escape(e.client.full_name) not in page
    ]
    assert not missing, f"the caseload page does not list {missing}"
    times, queries, size = time_get(client, "/caseload/", warmup=args.warmup, n=args.requests)
    median = report("GET /caseload/", times, queries, size)

    busiest = (
        active.annotate(n=Count("checkins"))
        .order_by("-n", "client__email")
        .select_related("client")
    ).first()
    assert busiest is not None
    path = f"/clients/{busiest.client_id}/"
    times, queries, size = time_get(client, path, warmup=args.warmup, n=args.requests)
    print(f"client page: {busiest.client.email}, {busiest.n} check-ins")
    report("GET /clients/<id>/", times, queries, size)

    print(build.load_line())
    verdict = "met" if median <= TARGET_MEDIAN_MS / 1000 else "MISSED"
    print(f"target caseload median <= {TARGET_MEDIAN_MS:.0f} ms: {verdict} ({build.ms(median)} ms)")

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20):
            client.get("/caseload/")
        profiler.disable()
        print("--- cProfile of 20 GET /caseload/ (cumulative, top 30) ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
