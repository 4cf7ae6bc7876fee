"""Shared by the benchmarks: a fresh database and a synthetic clinic of any size, inserted fast.

Not a benchmark itself. ``configure()`` must run before anything imports Django settings: it
points ``ALLIANCE_DATA_DIR`` at a fresh temporary folder (unless one is given), sets
``ALLIANCE_TESTING=1`` when no real secret is configured, calls ``django.setup()`` and migrates.
``DATABASE_URL`` is honoured (PostgreSQL or SQLite, as in ``alliance/settings.py``); the database
it names must be empty, since the benchmarks recompute every clinic in it.

``build_clinic()`` writes what ``alliance.core.synthetic`` generates straight into the tables
with ``bulk_create``: clinic, therapists, clients, care episodes, sessions (statuses and
check-in windows as ``alliance/demo.py`` sets them) and check-ins (alliance composite
``(bond + tasks + goals) / 3``, as ``checkin_submit`` stores it). It does *not* go through
``checkin_submit``, so no alert exists afterwards: alerts come from ``signals_recompute()``.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# Rows buffered in memory before they are written (sessions; check-ins are fewer).
FLUSH_ROWS = 50_000
BATCH_SIZE = 5_000  # Django lowers it to what the backend allows (999 variables on SQLite)


def configure(data_dir: str | None = None, *, empty: bool = True) -> Path:
    """Environment first, then Django, then ``migrate``; returns the data folder in use.

    With ``empty=False`` the database may already hold data (a measurement run in a fresh
    process, reusing what an earlier run built); otherwise it must hold no clinic.
    """
    if "django.conf" in sys.modules and "alliance.settings" in sys.modules:
        raise RuntimeError("configure() must run before Django settings are imported")
    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="alliance-bench-")
    path = Path(data_dir).resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["ALLIANCE_DATA_DIR"] = str(path)
    if not os.environ.get("ALLIANCE_SECRET_KEY"):
        os.environ["ALLIANCE_TESTING"] = "1"
    os.environ.setdefault("ALLIANCE_DEBUG", "0")  # DEBUG would keep every query in memory
    os.environ["DJANGO_SETTINGS_MODULE"] = "alliance.settings"

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if empty:
        from alliance.people.models import Clinic

        if Clinic.objects.exists():
            raise SystemExit(
                "The database already holds a clinic; point DATABASE_URL at an empty database "
                "(the benchmarks recompute every clinic in it)."
            )
    return path


def database_label() -> str:
    """Engine and version, e.g. ``sqlite 3.40.1`` or ``postgresql 16.2``."""
    from django.db import connection

    connection.ensure_connection()
    if connection.vendor == "sqlite":
        import sqlite3

        return f"sqlite {sqlite3.sqlite_version} (WAL, file {connection.settings_dict['NAME']})"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return f"{connection.vendor} {version}"


def load_line() -> str:
    """CPU count and load average: other work on the machine inflates wall-clock figures."""
    one, five, fifteen = os.getloadavg()
    return f"machine: {os.cpu_count()} CPUs, load average {one:.2f} {five:.2f} {fifteen:.2f}"


def tune_for_bulk_load() -> None:
    """A larger page cache for this connection while loading (SQLite only).

    Random UUID keys scatter inserts across big indexes; with SQLite's default 2 MB cache the
    load spends its time re-reading pages. Affects this connection only, not the app's settings.
    """
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB


class RowWriter:
    """Rows of one model, written with one ``executemany`` per flush.

    ``bulk_create`` spends about 50 µs per row in Django's per-value preparation (model
    ``__init__``, ``get_db_prep_save`` on every field); for the million-row tables that is most
    of the build. This writes the same INSERT Django would, converting each value with the
    backend's own adapters (``connection.ops.adapt_*``; UUIDs as ``uuid.hex`` where the backend
    has no native UUID type). The first row is checked against Django's ``get_db_prep_save``,
    so a model change that this does not handle stops the build instead of writing bad rows.
    Fields not given must have a constant default (or be nullable), which is written.
    """

    def __init__(self, model: Any, attnames: tuple[str, ...]) -> None:
        from django.db import connection, models

        self.model = model
        self.attnames = attnames
        self.rows: list[tuple[Any, ...]] = []
        fields = list(model._meta.concrete_fields)
        by_attname = {f.attname: f for f in fields}
        unknown = set(attnames) - set(by_attname)
        if unknown:
            raise RuntimeError(f"{model.__name__} has no field(s) {sorted(unknown)}")
        self.fields = [by_attname[a] for a in attnames]
        self.fixed: list[Any] = []
        fixed_fields = []
        for f in fields:
            if f.attname in attnames:
                continue
            if f.has_default() and callable(f.default):
                raise RuntimeError(
                    f"benchmarks/build.py must give {model.__name__}.{f.attname} a value "
                    "(its default is computed per row)"
                )
            fixed_fields.append(f)
            self.fixed.append(f.get_db_prep_save(f.get_default(), connection))
        ops = connection.ops
        native_uuid = connection.features.has_native_uuid_field

        plain = (
            models.IntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.SmallIntegerField,
            models.BigIntegerField,
            models.FloatField,
            models.CharField,
            models.TextField,
            models.BooleanField,
            models.EmailField,
        )
        # (position, function, ours): values converted by our function are checked against
        # Django on the first row; Django's own get_db_prep_save needs no check (and may not
        # give the same value twice: an encrypted field uses a random IV).
        self.converters: list[tuple[int, Any]] = []
        self.own: list[int] = []
        for i, f in enumerate(self.fields):
            target = f.target_field if f.is_relation else f
            if type(target) is models.UUIDField:
                if not native_uuid:
                    self.converters.append((i, _hex))
                self.own.append(i)
            elif type(f) is models.DateTimeField:
                self.converters.append((i, ops.adapt_datetimefield_value))
                self.own.append(i)
            elif type(f) is models.DateField:
                self.converters.append((i, ops.adapt_datefield_value))
                self.own.append(i)
            elif type(f) in plain:  # exact types: a subclass may encrypt, for one
                self.own.append(i)  # the driver takes the Python value as it is
            else:
                self.converters.append(
                    (i, lambda value, f=f: f.get_db_prep_save(value, connection))
                )
        quote = ops.quote_name
        columns = [f.column for f in self.fields] + [f.column for f in fixed_fields]
        self.sql = (
            f"INSERT INTO {quote(model._meta.db_table)} "
            f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        )
        self.checked = False
        self.fixed_tuple = tuple(self.fixed)

    def add(self, *values: Any) -> None:
        row = list(values)
        for i, convert in self.converters:
            if row[i] is not None:
                row[i] = convert(row[i])
        if not self.checked:
            self._check(values, row)
        self.rows.append((*row, *self.fixed_tuple))

    def _check(self, values: tuple[Any, ...], row: list[Any]) -> None:
        from django.db import connection

        obj = self.model(**dict(zip(self.attnames, values, strict=True)))
        expected = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in self.fields]
        if [str(expected[i]) for i in self.own] != [str(row[i]) for i in self.own]:
            raise RuntimeError(
                f"benchmarks/build.py converts {self.model.__name__} rows differently from "
                f"Django: {row!r} != {expected!r}"
            )
        self.checked = True

    def flush(self) -> None:
        from django.db import connection

        if self.rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, self.rows)
            self.rows.clear()

    def __len__(self) -> int:
        return len(self.rows)


def _hex(value: uuid.UUID) -> str:
    return value.hex


@dataclass
class BuildResult:
    clinic_id: uuid.UUID
    therapist_ids: dict[str, uuid.UUID]
    clients: int = 0
    active_episodes: int = 0
    sessions: int = 0
    checkins: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    generate_seconds: float = 0.0
    client_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    checkins_by_client: dict[str, int] = field(default_factory=dict)


def build_clinic(
    *,
    name: str,
    therapists: Iterable[Any],
    clients: Iterable[Any],
    now: datetime,
    clinic_timezone: str = "America/Toronto",
    progress: bool = False,
) -> BuildResult:
    """Insert a synthetic clinic; ``therapists`` and ``clients`` come from the generator.

    ``clients`` may be a lazy iterator (``synthetic.iter_clients``): it is consumed once and
    only about ``FLUSH_ROWS`` rows are held in memory at a time. Clinic, therapists, clients
    and care episodes go through ``bulk_create``; sessions and check-ins through
    :class:`RowWriter`. Each flush is one transaction.
    """
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from alliance.checkins.models import CheckIn
    from alliance.core import synthetic
    from alliance.people.models import (
        CareEpisode,
        Clinic,
        EpisodeStatus,
        Role,
        Session,
        User,
    )

    started = time.perf_counter()
    cpu_started = time.process_time()
    clinic = Clinic.objects.create(name=name, timezone=clinic_timezone, created_at=now)
    window = timedelta(hours=clinic.checkin_window_hours)
    # A real password hash of a secret nobody knows (sign-in is by force_login): an account
    # without a usable password is one whose invitation is not accepted yet, which the
    # caseload lists with the invitations instead of as a client in care.
    known_to_nobody = make_password(secrets.token_urlsafe(32))

    therapist_list = list(therapists)
    therapist_rows = [
        User(
            id=uuid.uuid4(),
            email=t.email,
            full_name=t.name,
            display_name=t.display_name,
            role=Role.THERAPIST,
            clinic_id=clinic.id,
            password=known_to_nobody,
            date_joined=now,
        )
        for t in therapist_list
    ]
    User.objects.bulk_create(therapist_rows, batch_size=BATCH_SIZE)
    therapist_by_key = {t.key: u.id for t, u in zip(therapist_list, therapist_rows, strict=True)}
    result = BuildResult(clinic_id=clinic.id, therapist_ids={u.email: u.id for u in therapist_rows})

    users: list[User] = []
    episodes: list[CareEpisode] = []
    sessions = RowWriter(
        Session,
        (
            "id",
            "episode_id",
            "number",
            "scheduled_at",
            "status",
            "status_changed_at",
            "checkin_opens_at",
            "checkin_closes_at",
        ),
    )
    checkins = RowWriter(
        CheckIn,
        (
            "id",
            "session_id",
            "episode_id",
            "client_id",
            "bond",
            "tasks",
            "goals",
            "tension",
            "talked",
            "resolved",
            "followup_resolved",
            "comment",
            "alliance",
            "submitted_at",
            "form_token",
        ),
    )

    def flush() -> None:
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=BATCH_SIZE)
            CareEpisode.objects.bulk_create(episodes, batch_size=BATCH_SIZE)
            sessions.flush()
            checkins.flush()
        users.clear()
        episodes.clear()

    generate = 0.0
    attended_status, scheduled_status = synthetic.ATTENDED, synthetic.SCHEDULED
    length = synthetic.SESSION_LENGTH
    new_id = uuid.uuid4
    alliance_of, submitted_at = synthetic.alliance_of, synthetic.checkin_submitted_at
    add_session, add_checkin = sessions.add, checkins.add
    iterator: Iterator[Any] = iter(clients)
    while True:
        g0 = time.perf_counter()
        c = next(iterator, None)
        generate += time.perf_counter() - g0
        if c is None:
            break
        client = User(
            id=new_id(),
            email=c.email,
            full_name=c.name,
            display_name=c.display_name,
            role=Role.CLIENT,
            clinic_id=clinic.id,
            timezone=c.timezone,
            password=known_to_nobody,
            date_joined=now,
        )
        users.append(client)
        past = [s for s in c.sessions if s.status != scheduled_status]
        first = c.sessions[0].scheduled_at if c.sessions else now
        episode_id = new_id()
        episodes.append(
            CareEpisode(
                id=episode_id,
                clinic_id=clinic.id,
                client_id=client.id,
                therapist_id=therapist_by_key[c.therapist_key],
                status=EpisodeStatus.ENDED if c.dropped_out else EpisodeStatus.ACTIVE,
                started_on=first.astimezone(client.zone).date(),
                ended_on=(
                    past[-1].scheduled_at.astimezone(client.zone).date()
                    if c.dropped_out and past
                    else None
                ),
            )
        )
        n_checkins = 0
        for s in c.sessions:
            session_id = new_id()
            if s.status == scheduled_status:
                add_session(
                    session_id, episode_id, s.number, s.scheduled_at, s.status, None, None, None
                )
                continue
            ended = s.scheduled_at + length
            if s.status == attended_status:
                add_session(
                    session_id,
                    episode_id,
                    s.number,
                    s.scheduled_at,
                    s.status,
                    ended,
                    ended,
                    ended + window,
                )
            else:
                add_session(
                    session_id, episode_id, s.number, s.scheduled_at, s.status, ended, None, None
                )
            ci = s.checkin
            if ci is None:
                continue
            submitted = submitted_at(s)
            if submitted is None or submitted > now:
                continue
            n_checkins += 1
            add_checkin(
                new_id(),
                session_id,
                episode_id,
                client.id,
                ci.bond,
                ci.tasks,
                ci.goals,
                ci.tension,
                ci.talked,
                ci.resolved,
                ci.followup_resolved,
                ci.comment,
                alliance_of(ci),
                submitted,
                new_id(),
            )
        result.clients += 1
        result.active_episodes += not c.dropped_out
        result.sessions += len(c.sessions)
        result.checkins += n_checkins
        result.client_ids[c.email] = client.id
        result.checkins_by_client[c.email] = n_checkins
        if len(sessions) >= FLUSH_ROWS:
            flush()
            if progress:
                rate = result.checkins / (time.perf_counter() - started)
                print(
                    f"  ... {result.clients} clients, {result.checkins} check-ins "
                    f"({rate:,.0f} check-ins/s so far)",
                    flush=True,
                )
    flush()
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = time.process_time() - cpu_started
    result.generate_seconds = generate
    return result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def build_synthetic_clinic(
    *, seed: int, n_therapists: int, n_clients: int, weeks: int, now: datetime, progress: bool
) -> BuildResult:
    """The benchmark clinic of ``synthetic``'s generator, streamed into the database: the
    therapists from a client-less shell, the clients generated lazily, bulk-load tuning on."""
    from alliance.core import synthetic

    shell = synthetic.generate_clinic(
        seed=seed,
        n_therapists=n_therapists,
        n_clients=0,
        weeks=weeks,
        now=now,
        fixed_people=False,
    )
    tune_for_bulk_load()
    return build_clinic(
        name=shell.name,
        therapists=shell.therapists,
        clients=synthetic.iter_clients(
            seed=seed,
            n_therapists=n_therapists,
            n_clients=n_clients,
            weeks=weeks,
            now=now,
            fixed_people=False,
        ),
        now=now,
        progress=progress,
    )
