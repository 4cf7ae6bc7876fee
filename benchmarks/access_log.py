"""Benchmark: the client's "who has seen my records" with a long audit history.

Writes ``--visits`` visits (default 400) of ``--rows`` audit rows each (default 15, what one
therapist visit to the client page writes), one visit a day from two people, so the client has
about 6,000 rows; then requests ``/me/who-has-seen/`` (first, middle and last page) through
Django's test client as the client: 3 warm-ups, 20 timed requests each. Prints median and max
in ms and the SQL queries per request. The grouping runs in the database
(``alliance.audit.visits``); a page must not load the whole history into Python.

Run from the repository root::

    python -m benchmarks.access_log
    python -m benchmarks.access_log --visits 4000          # about 60,000 rows
    DATABASE_URL=postgres://user:pw@localhost/empty_db python -m benchmarks.access_log
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from datetime import timedelta

# Nothing from Django or alliance at module level: build.configure() sets the environment first.
from benchmarks import build


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=400)
    parser.add_argument("--rows", type=int, default=15, help="audit rows per visit")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--data-dir", help="keep the SQLite database here (default: temp)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    data_dir = build.configure(args.data_dir)
    try:
        run(args)
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from alliance.audit.models import AuditEvent
    from alliance.people.models import CareEpisode, Clinic, Role, User

    clinic = Clinic.objects.create(name="Bench clinic")
    therapist = User.objects.create_user(
        email="t@bench.example", full_name="Teresa Tran", role=Role.THERAPIST, clinic=clinic
    )
    admin = User.objects.create_user(
        email="a@bench.example", full_name="Adam Admin", role=Role.CLINIC_ADMIN, clinic=clinic
    )
    client = User.objects.create_user(
        email="c@bench.example", full_name="Carla", role=Role.CLIENT, clinic=clinic
    )
    client.set_password("bench")
    client.save()
    CareEpisode.objects.create(clinic=clinic, client=client, therapist=therapist)
    now = timezone.now()
    rows = []
    for visit in range(args.visits):
        who = therapist if visit % 3 else admin
        start = now - timedelta(days=visit, minutes=5)
        for n in range(args.rows):
            rows.append(
                AuditEvent(
                    at=start + timedelta(seconds=20 * n),
                    clinic=clinic,
                    actor=who,
                    actor_display=who.full_name,
                    actor_role=who.role,
                    action="list" if n else "view",
                    record_type="outcome_response" if n else "care_episode",
                    record_id=str(n),
                    subject=client,
                )
            )
    AuditEvent.objects.bulk_create(rows, batch_size=2000)
    print(build.database_label())
    print(build.load_line())
    print(f"audit rows about the client: {len(rows):,} in {args.visits:,} visits")
    browser = Client(HTTP_HOST="localhost")
    browser.force_login(client)
    pages = (args.visits + 19) // 20
    for label, page in (("first page", 1), ("middle page", pages // 2), ("last page", pages)):
        query = {"page": page} if page > 1 else {}
        for _ in range(3):
            browser.get("/me/who-has-seen/", query)
        times = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = browser.get("/me/who-has-seen/", query)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            browser.get("/me/who-has-seen/", query)
        print(
            f"{label} ({page} of {pages}): median {statistics.median(times):.1f} ms, "
            f"max {max(times):.1f} ms, {len(queries.captured_queries)} queries"
        )


if __name__ == "__main__":
    main()
