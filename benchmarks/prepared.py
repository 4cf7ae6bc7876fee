"""What a prepared query saves: the ORM's build-and-compile against SQL compiled once.

Builds the load benchmark's clinic (``benchmarks/load.py``: 200 clients, open check-ins, SQLite
in a fresh folder), then times, for a few of the queries on a client's busiest path, the ORM
queryset as it was written before (``ORM``) and its ``alliance.prepared.Prepared`` form, and the
SQL alone through a cursor (``execute``). Prints medians over ``--repeat`` calls.

Run from the repository root::

    python benchmarks/prepared.py
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import build, load


def _median_ms(call: Callable[[], object], repeat: int) -> float:
    for _ in range(20):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=500)
    args = parser.parse_args(argv)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("ALLIANCE_SECRET_KEY", secrets.token_urlsafe(60))
    os.environ.setdefault("ALLIANCE_ALLOWED_HOSTS", load.HOST)
    if not os.environ.get("ALLIANCE_ENCRYPTION_KEYS"):
        from cryptography.fernet import Fernet

        os.environ["ALLIANCE_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    data_dir = build.configure(None)
    prepared = load.prepare(load.parse_args(["--logins", "1"]))

    from django.db import connection

    from alliance import access
    from alliance.people.models import EpisodeStatus, Session, User

    email, tasks = next(iter(prepared.spare.items()))
    client = User.objects.get(email=email)
    session_id = next(key for kind, key in tasks if kind == load.CHECKIN)
    session = Session.objects.get(id=session_id)

    def orm_session() -> object:
        return (
            access.sessions_for(client)
            .select_related("checkin")
            .select_related("episode", "episode__client", "episode__therapist", "episode__clinic")
            .get(id=session_id)
        )

    def orm_active_episode() -> object:
        return (
            access.episodes_for(client)
            .filter(status=EpisodeStatus.ACTIVE)
            .select_related("client", "therapist", "clinic")
            .first()
        )

    cases: list[tuple[str, Callable[[], object], Callable[[], object], Callable[[], object]]] = []
    for label, orm, fast, queryset in (
        (
            "the client's session for a check-in",
            orm_session,
            lambda: access._CLIENT_SESSION.first(client.id, client.clinic_id, session.id),
            lambda: access._CLIENT_SESSION.build(client.id, client.clinic_id, session.id),
        ),
        (
            "the client's active episode",
            orm_active_episode,
            lambda: access.active_episode_of(client),
            lambda: access._ACTIVE_EPISODE.build(client.id, client.clinic_id),
        ),
    ):
        sql, params = queryset().query.get_compiler(using="default").as_sql()

        def execute(sql: str = sql, params: tuple[object, ...] = params) -> object:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()

        cases.append((label, orm, fast, execute))

    print(f"database: {build.database_label()}; medians of {args.repeat} calls")
    for label, orm, fast, execute in cases:
        orm_ms, fast_ms = _median_ms(orm, args.repeat), _median_ms(fast, args.repeat)
        print(
            f"{label}: ORM {orm_ms:.3f} ms, prepared {fast_ms:.3f} ms "
            f"({orm_ms / fast_ms:.1f}x), SQL alone {_median_ms(execute, args.repeat):.3f} ms"
        )
    shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
