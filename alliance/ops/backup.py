"""Backups of the clinic's database, each with a manifest, and verified restores.

SQLite: the sqlite3 backup API copies the live database inside one read transaction, so the copy
is a consistent snapshot even while the server writes (in WAL mode the writer is not blocked).
PostgreSQL: ``pg_dump --format=custom`` runs inside a snapshot exported by a REPEATABLE READ
transaction, and the manifest's row counts are read in that same snapshot, so they describe
exactly what the dump holds.

The manifest (``<backup>.json``) records when and from what the backup was made, the last
migration applied per app, the row count of every table and the sha256 of the backup file.
A restore refuses a file whose checksum does not match, a backup of the other database vendor,
a backup from a newer Alliance, and (without ``force``) a database that already holds data;
afterwards it checks the restored row counts against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction
from django.utils.translation import gettext, ngettext

from alliance import __version__

MANIFEST_FORMAT = 1
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
# A backup holds every client's answers: readable by its owner only.
FILE_MODE = 0o600
DIR_MODE = 0o700
SQLITE_BUSY_SECONDS = 20


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    format: int
    created_at: str
    vendor: str
    file: str
    size: int
    sha256: str
    tables: dict[str, int]
    migrations: dict[str, str]
    alliance_version: str
    django_version: str
    source: str
    tool: str
    integrity: str = ""

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def write(self, path: Path) -> None:
        text = json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"
        _write_private(path, text.encode())

    @classmethod
    def read(cls, path: Path) -> Manifest:
        if not path.is_file():
            raise BackupError(
                gettext(
                    "The manifest %(path)s is missing, so the backup cannot be verified. Copy it "
                    "from where the backup was made (it is written beside every backup)."
                )
                % {"path": path}
            )
        try:
            data = json.loads(path.read_text())
            if data.get("format") != MANIFEST_FORMAT:
                raise BackupError(
                    gettext(
                        "%(path)s is manifest format %(found)s; this Alliance reads format "
                        "%(ours)s."
                    )
                    % {"path": path, "found": repr(data.get("format")), "ours": MANIFEST_FORMAT}
                )
            return cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(
                gettext("%(path)s is not an Alliance backup manifest (%(problem)s).")
                % {"path": path, "problem": error}
            ) from None


@dataclass(frozen=True)
class _Snapshot:
    """What a backup copy holds, read from the copy itself (or the dump's own snapshot)."""

    tables: dict[str, int]
    migrations: dict[str, str]
    source: str
    tool: str
    integrity: str = ""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    manifest_path: Path
    manifest: Manifest


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    manifest: Manifest
    target: str
    method: str
    notes: list[str] = field(default_factory=list)


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ".json")


def backups_dir() -> Path:
    return Path(settings.DATA_DIR) / "backups"


def default_backup_path(*, vendor: str, now: datetime) -> Path:
    """``<data dir>/backups/alliance-YYYYmmddTHHMMSSZ.<sqlite3|pgdump>``, never an existing one."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder = backups_dir()
    candidate = folder / f"alliance-{stamp}{SUFFIX[vendor]}"
    n = 2
    while candidate.exists() or manifest_path(candidate).exists():
        candidate = folder / f"alliance-{stamp}-{n}{SUFFIX[vendor]}"
        n += 1
    return candidate


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def find_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            gettext(
                "%(tool)s was not found on PATH. Install the PostgreSQL client tools of the "
                "server's major version (Debian: apt install postgresql-client-15) and try again."
            )
            % {"tool": name}
        )
    return found


# --- backup --------------------------------------------------------------------------------


def backup_create(*, output: Path | None = None, now: datetime | None = None) -> BackupResult:
    """Back up the configured database to ``output`` (default: timestamped in the data folder)."""
    now = now or datetime.now(UTC)
    vendor = connection.vendor
    if vendor not in SUFFIX:
        raise BackupError(
            gettext("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor}
        )
    path = (output or default_backup_path(vendor=vendor, now=now)).expanduser().resolve()
    manifest_file = manifest_path(path)
    for existing in (path, manifest_file):
        if existing.exists():
            raise BackupError(
                gettext("%(path)s already exists; choose another --output.") % {"path": existing}
            )
    if output is None:
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise BackupError(
            gettext("The folder %(folder)s does not exist.") % {"folder": path.parent}
        )

    # Written under a temporary name and renamed at the end: a file with the final name is
    # always a complete, checked backup.
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    _create_private(partial)
    try:
        snapshot = _sqlite_backup(partial) if vendor == "sqlite" else _pg_backup(partial)
        _fsync(partial)
        manifest = Manifest(
            format=MANIFEST_FORMAT,
            created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
            vendor=vendor,
            file=path.name,
            size=partial.stat().st_size,
            sha256=sha256_file(partial),
            tables=snapshot.tables,
            migrations=snapshot.migrations,
            alliance_version=__version__,
            django_version=django.get_version(),
            source=snapshot.source,
            tool=snapshot.tool,
            integrity=snapshot.integrity,
        )
        try:
            os.link(partial, path)  # unlike a rename, never replaces a file made meanwhile
        except FileExistsError:
            raise BackupError(
                gettext("%(path)s appeared during the backup; choose another --output.")
                % {"path": path}
            ) from None
    finally:
        partial.unlink(missing_ok=True)
    manifest.write(manifest_file)
    _fsync_dir(path.parent)
    return BackupResult(path=path, manifest_path=manifest_file, manifest=manifest)


def _sqlite_file() -> Path:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError(gettext("An in-memory SQLite database cannot be backed up."))
    return Path(name)


# Django's session table: its rows are live sign-in keys, never put in a backup.
SESSION_TABLE = "django_session"


def _sqlite_backup(target: Path) -> _Snapshot:
    source = _sqlite_file()
    if not source.is_file():
        raise BackupError(
            gettext("There is no SQLite database at %(path)s: nothing to back up.")
            % {"path": source}
        )
    src = sqlite3.connect(source, timeout=SQLITE_BUSY_SECONDS)
    dst = sqlite3.connect(target)
    try:
        # One step (pages=-1): the whole copy happens in a single read transaction, a
        # consistent snapshot; the server's writes continue into the WAL meanwhile.
        src.backup(dst)
        # Sign-in sessions stay behind: a copy kept off-site must not hold working session
        # keys (staff ones past two-factor included), and a restore must not revive sessions
        # people have logged out of. secure_delete overwrites the rows, not just unlinks them.
        dst.execute("PRAGMA secure_delete=ON")
        dst.execute(f"DELETE FROM {SESSION_TABLE}")  # noqa: S608 - a constant
        dst.commit()
        # The copy is a standalone file: no -wal beside it, nothing left to checkpoint.
        dst.execute("PRAGMA journal_mode=DELETE")
        integrity = _sqlite_integrity(dst)
        if integrity != "ok":
            raise BackupError(
                gettext("The backup copy failed PRAGMA integrity_check: %(result)s")
                % {"result": integrity}
            )
        tables = _sqlite_counts(dst)
        migrations = _last_migrations(dst.execute("SELECT app, name FROM django_migrations"))
    except sqlite3.Error as error:
        raise BackupError(
            gettext("The SQLite backup of %(path)s failed: %(problem)s")
            % {"path": source, "problem": error}
        ) from None
    finally:
        dst.close()
        src.close()
    return _Snapshot(
        tables=tables,
        migrations=migrations,
        source=str(source),
        tool=f"sqlite {sqlite3.sqlite_version}",
        integrity=integrity,
    )


def _pg_backup(target: Path) -> _Snapshot:
    pg_dump = find_tool("pg_dump")
    tool = _tool_version(pg_dump)
    settings_dict = connection.settings_dict
    # Counts, migrations and the dump all read one snapshot; it lives as long as this
    # transaction, so pg_dump runs inside it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()
        tables = _django_counts(cursor)
        tables[SESSION_TABLE] = 0  # sign-in sessions stay behind, as on SQLite
        cursor.execute("SELECT app, name FROM django_migrations")
        migrations = _last_migrations(cursor.fetchall())
        command = [
            pg_dump,
            "--format=custom",
            "--no-password",
            f"--snapshot={snapshot}",
            f"--exclude-table-data={SESSION_TABLE}",
        ]
        _run([*command, f"--file={target}"], env=pg_env(settings_dict), what="pg_dump")
    source = f"{settings_dict.get('HOST') or 'local socket'}:{settings_dict.get('PORT') or 5432}"
    return _Snapshot(
        tables=tables,
        migrations=migrations,
        source=f"postgresql {source}/{settings_dict['NAME']}",
        tool=tool,
    )


# --- restore -------------------------------------------------------------------------------


def backup_restore(*, path: Path, force: bool = False) -> RestoreResult:
    """Restore the backup at ``path`` into the configured database, after every check."""
    path = path.expanduser().resolve()
    if not path.is_file():
        raise BackupError(gettext("There is no backup file at %(path)s.") % {"path": path})
    manifest = Manifest.read(manifest_path(path))
    found = sha256_file(path)
    if found != manifest.sha256:
        raise BackupError(
            gettext(
                "Checksum mismatch: %(path)s has sha256 %(found)s, but its manifest says "
                "%(expected)s. The file was changed or damaged after the backup was made; "
                "nothing was restored. Use another copy of this backup."
            )
            % {"path": path, "found": found, "expected": manifest.sha256}
        )
    vendor = connection.vendor
    if manifest.vendor != vendor:
        raise BackupError(
            gettext(
                "Vendor mismatch: this is a %(backup)s backup, and the configured database is "
                "%(configured)s. Set DATABASE_URL to a %(backup)s database to restore it."
            )
            % {"backup": manifest.vendor, "configured": vendor}
        )
    notes = _migration_notes(manifest.migrations)
    if vendor == "sqlite":
        target, method = _sqlite_restore(path, force=force)
    else:
        target, method = _pg_restore(path, force=force)
    # Sessions are read through a cache (cached_db): the restored table has none, and no
    # session cached before the restore may outlive it.
    caches[settings.SESSION_CACHE_ALIAS].clear()
    restored = _current_counts()
    differ = {
        table: (count, restored.get(table))
        for table, count in manifest.tables.items()
        if restored.get(table) != count
    }
    if differ:
        raise BackupError(
            gettext(
                "The restore finished but the row counts differ from the manifest (table: "
                "manifest, database): %(differ)s. Do not serve from this database."
            )
            % {"differ": differ}
        )
    return RestoreResult(path=path, manifest=manifest, target=target, method=method, notes=notes)


def _migration_notes(backed_up: Mapping[str, str]) -> list[str]:
    """Refuse a backup from a newer Alliance; say when ``alliance migrate`` is needed after."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in backed_up.items()
        if (app, name) not in loader.disk_migrations
    )
    if unknown:
        raise BackupError(
            gettext(
                "This backup was made by a newer version of Alliance: migrations %(migrations)s "
                "are unknown here. Install that version (or newer), then restore."
            )
            % {"migrations": ", ".join(unknown)}
        )
    leaves = dict(loader.graph.leaf_nodes())
    behind = sorted(app for app, name in leaves.items() if backed_up.get(app) != name)
    if behind:
        return [
            gettext(
                "The backup predates migrations of %(apps)s: run `alliance migrate` before serving."
            )
            % {"apps": ", ".join(behind)}
        ]
    return []


def _refuse_if_data(counts: Mapping[str, int], target: str, *, force: bool) -> None:
    tables = _data_tables()
    holding = {t: n for t, n in counts.items() if t in tables and n}
    if holding and not force:
        ranked = sorted(holding.items(), key=lambda item: -item[1])
        shown = ", ".join(
            ngettext("%(count)s row in %(table)s", "%(count)s rows in %(table)s", n)
            % {"count": n, "table": t}
            for t, n in ranked[:3]
        )
        if len(ranked) > 3:
            shown = ngettext(
                "%(shown)s and %(count)s more table",
                "%(shown)s and %(count)s more tables",
                len(ranked) - 3,
            ) % {"shown": shown, "count": len(ranked) - 3}
        raise BackupError(
            gettext(
                "%(target)s already holds data (%(shown)s). A restore replaces all of it. Stop "
                "the server, make a backup of it first if it matters, then run the restore again "
                "with --force."
            )
            % {"target": target, "shown": shown}
        )


def _sqlite_restore(path: Path, *, force: bool) -> tuple[str, str]:
    live = _sqlite_file()
    connection.close()  # Django's own connection must not hold the file during the restore
    src = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        if live.exists():
            dst = sqlite3.connect(live, timeout=SQLITE_BUSY_SECONDS)
            try:
                target = gettext("The database %(path)s") % {"path": live}
                _refuse_if_data(_sqlite_counts(dst), target, force=force)
                # Through SQLite's own locking and WAL, so a connection that is open elsewhere
                # reads the restored pages, never a torn file.
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=WAL")
                integrity = _sqlite_integrity(dst)
            finally:
                dst.close()
            method = gettext("copied into the live database file with the SQLite backup API")
        else:
            live.parent.mkdir(parents=True, exist_ok=True)
            # A -wal or -shm without its database belongs to a deleted database; SQLite must
            # not replay it into the restored one.
            for suffix in ("-wal", "-shm", "-journal"):
                Path(f"{live}{suffix}").unlink(missing_ok=True)
            temporary = live.with_name(f".{live.name}.restoring")
            temporary.unlink(missing_ok=True)
            _create_private(temporary)
            try:
                dst = sqlite3.connect(temporary)
                try:
                    src.backup(dst)
                    integrity = _sqlite_integrity(dst)
                finally:
                    dst.close()
                _fsync(temporary)
                os.replace(temporary, live)
                _fsync_dir(live.parent)
            finally:
                temporary.unlink(missing_ok=True)
            method = gettext("written to a new file and moved into place")
    except sqlite3.Error as error:
        raise BackupError(
            gettext(
                "The SQLite restore into %(path)s failed: %(problem)s. Stop the server and try "
                "again."
            )
            % {"path": live, "problem": error}
        ) from None
    finally:
        src.close()
    if integrity != "ok":
        raise BackupError(
            gettext("The restored database failed PRAGMA integrity_check: %(result)s")
            % {"result": integrity}
        )
    return str(live), method


def _pg_restore(path: Path, *, force: bool) -> tuple[str, str]:
    pg_restore = find_tool("pg_restore")
    settings_dict = connection.settings_dict
    target = gettext("The PostgreSQL database %(name)s") % {"name": settings_dict["NAME"]}
    _refuse_if_data(_current_counts(), target, force=force)
    connection.close()
    options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
    _run(
        [pg_restore, *options, "--no-password", f"--dbname={settings_dict['NAME']}", str(path)],
        env=pg_env(settings_dict),
        what="pg_restore",
    )
    return (
        f"postgresql {settings_dict['NAME']}",
        gettext("pg_restore --clean --if-exists --no-owner, in one transaction"),
    )


# --- helpers -------------------------------------------------------------------------------


def pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The environment for pg_dump/pg_restore: the password in PGPASSWORD, never in argv."""
    from django.db.backends.postgresql.client import DatabaseClient

    _, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(extra or {})}
    pairs = (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGDATABASE", "NAME"))
    for variable, key in pairs:
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    return env


def _run(command: list[str], *, env: Mapping[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(
            gettext("%(tool)s failed (exit %(code)s): %(problem)s")
            % {"tool": what, "code": done.returncode, "problem": done.stderr.strip()}
        )


def _tool_version(executable: str) -> str:
    done = subprocess.run(  # noqa: S603
        [executable, "--version"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or Path(executable).name


def _sqlite_integrity(conn: sqlite3.Connection) -> str:
    return "; ".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {
        name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
        for name in names
    }


def _django_counts(cursor: Any) -> dict[str, int]:
    counts = {}
    for name in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(name)}")  # noqa: S608
        counts[name] = cursor.fetchone()[0]
    return counts


def _current_counts() -> dict[str, int]:
    if connection.vendor == "sqlite":
        conn = sqlite3.connect(_sqlite_file(), timeout=SQLITE_BUSY_SECONDS)
        try:
            return _sqlite_counts(conn)
        finally:
            conn.close()
    with connection.cursor() as cursor:
        return _django_counts(cursor)


def _data_tables() -> set[str]:
    """Tables of Alliance's own models: rows there are the clinic's data."""
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config is not None
        and model._meta.app_config.name.startswith("alliance.")
    }


def _last_migrations(rows: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The last migration applied per app (names start with their number)."""
    last: dict[str, str] = {}
    for app, name in rows:
        if name > last.get(app, ""):
            last[app] = name
    return dict(sorted(last.items()))


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))


def _write_private(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    # The rename is durable only once the folder itself is synced (POSIX; a no-op elsewhere).
    if os.name == "posix":
        _fsync(path)
