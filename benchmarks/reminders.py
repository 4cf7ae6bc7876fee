"""Benchmark: the reminder scan over a large clinic, and the outbox's delivery rate.

Builds a clinic of ``--clients`` synthetic clients (10,000 by default, a few check-ins each)
with ``benchmarks/build.py``, turns on every client's diary reminder and gives a fifth of them an
open check-in, then:

1. times ``reminders_scan()`` and counts its queries (target: a fixed number of queries per
   batch of 500 clients, and under 5 s for the whole scan);
2. queues ``--messages`` messages and times ``messages_deliver_due()`` delivering them through
   Django's in-memory mail backend (the outbox's own cost: claims, leases, outcome rows), in
   one worker and then in two worker threads at once.

Run from the repository root::

    python -m benchmarks.reminders                       # SQLite, 10,000 clients
    python -m benchmarks.reminders --clients 1000        # quick
    DATABASE_URL=postgres://user:pw@localhost/empty_db python -m benchmarks.reminders
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import threading
import time
from datetime import time as clock
from datetime import timedelta

from benchmarks import build


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data-dir", help="keep the SQLite database here (default: temp)")
    parser.add_argument("--profile", action="store_true", help="cProfile the scan")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    build.configure(args.data_dir)
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from alliance.core import synthetic
    from alliance.messaging.models import MessageKind, MessagePreferences, OutboxMessage
    from alliance.messaging.reminders import BATCH, reminders_scan
    from alliance.messaging.services import message_queue, messages_deliver_due
    from alliance.people.models import Role, Session, SessionStatus, User

    settings.ALLIANCE_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    print(f"database: {build.database_label()}")
    print(build.load_line())
    now = timezone.now()
    n_therapists = max(1, args.clients // 50)
    started = time.perf_counter()
    shell = synthetic.generate_clinic(
        seed=args.seed,
        n_therapists=n_therapists,
        n_clients=0,
        weeks=synthetic.MIN_WEEKS,
        now=now,
        fixed_people=False,
    )
    build.tune_for_bulk_load()
    build.build_clinic(
        name=shell.name,
        therapists=shell.therapists,
        clients=synthetic.iter_clients(
            seed=args.seed,
            n_therapists=n_therapists,
            n_clients=args.clients,
            weeks=synthetic.MIN_WEEKS,
            now=now,
            fixed_people=False,
        ),
        now=now,
    )
    print(f"build: {args.clients} clients in {time.perf_counter() - started:.1f} s")

    # Every client wants a diary reminder at a time that has passed today in their zone: the
    # scan's worst case. Quiet hours start at 23:59 so that none is pushed to tomorrow.
    clients = list(User.objects.filter(role=Role.CLIENT).values_list("pk", flat=True))
    MessagePreferences.objects.bulk_create(
        [
            MessagePreferences(
                user_id=pk,
                diary_reminders=True,
                diary_time=clock(0, 1),
                quiet_start=clock(23, 59),
                quiet_end=clock(0, 0),
            )
            for pk in clients
        ],
        batch_size=1000,
    )
    # A fifth of the clients have a check-in open now.
    latest = {}
    for session_id, episode_id in Session.objects.order_by("scheduled_at").values_list(
        "pk", "episode_id"
    ):
        latest[episode_id] = session_id
    opened = list(latest.values())[: args.clients // 5]
    Session.objects.filter(pk__in=opened).update(
        status=SessionStatus.ATTENDED,
        checkin_opens_at=now - timedelta(minutes=5),
        checkin_closes_at=now + timedelta(hours=48),
    )
    from alliance.checkins.models import CheckIn

    CheckIn.objects.filter(session_id__in=opened).delete()

    # A worker imports its modules and loads its catalogues once; so does this warm-up scan,
    # whose messages (for a day ten years ago) are then removed.
    reminders_scan(now=now - timedelta(days=3650))
    OutboxMessage.objects.all().delete()
    profiler = cProfile.Profile() if args.profile else None
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        report = reminders_scan(now=now)
        if profiler:
            profiler.disable()
        scan = time.perf_counter() - t0
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    batches = -(-args.clients // BATCH)
    print(
        f"reminder scan: {scan:.2f} s, {len(queries)} queries for {args.clients} clients "
        f"({batches} batches of {BATCH}: {len(queries) / batches:.1f} queries per batch); "
        f"queued check-in {report.checkin}, diary {report.diary}, "
        f"questionnaire {report.questionnaire}"
    )
    target = "met" if scan < 5 else "NOT met"
    print(f"target: scan of {args.clients} clients under 5 s: {target}")

    OutboxMessage.objects.all().delete()
    recipient = User.objects.filter(role=Role.CLIENT).first()
    assert recipient is not None
    for label, threads in (("one worker", 1), ("two workers at once", 2)):
        for i in range(args.messages):
            message_queue(
                kind=MessageKind.ACCOUNT,
                key=f"bench:{label}:{i}",
                subject="Benchmark",
                body="A message with a link https://example.org/",
                recipient=recipient,
                now=now,
            )
        sent = [0] * threads

        def work(index: int, sent: list[int] = sent) -> None:
            try:
                while True:
                    result = messages_deliver_due(limit=100)
                    sent[index] += result.sent
                    if result.sent == 0:
                        return
            finally:
                connection.close()

        t0 = time.perf_counter()
        workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - t0
        total = sum(sent)
        print(
            f"delivery, {label}: {total} messages in {elapsed:.2f} s = {total / elapsed:.0f} "
            f"messages/s (per worker: {sent})"
        )
        assert total == args.messages, "every message is sent exactly once"
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
