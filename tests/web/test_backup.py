"""`alliance backup` and `alliance restore`, run the way a clinic runs them.

Each command runs in its own process against a real database: a file in a temporary data folder
on SQLite, or a scratch PostgreSQL database when ``DATABASE_URL`` points at PostgreSQL (the
second run of ``bin/test``). The test process never opens that database through Django: it
reads every table directly, so "restored" means the rows are really there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from alliance.ops import backup as ops_backup

DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
PASSWORD = "a-long-test-password"
SEED = f"from alliance.demo import seed_demo; seed_demo(password={PASSWORD!r}, n_clients=6)"
ADD_CLINIC = "from alliance.people.services import clinic_create; clinic_create(name='Added later')"


class Site:
    """One installation of Alliance: a data folder and its database."""

    def __init__(self, data_dir: Path, database_url: str | None) -> None:
        self.data_dir = data_dir
        data_dir.mkdir()
        self.database_url = database_url
        self.env = {**os.environ, "ALLIANCE_DATA_DIR": str(data_dir)}
        self.env.pop("DATABASE_URL", None)
        if database_url:
            self.env["DATABASE_URL"] = database_url

    @property
    def vendor(self) -> str:
        return "postgresql" if self.database_url else "sqlite"

    @property
    def sqlite_file(self) -> Path:
        return self.data_dir / "alliance.sqlite3"

    def alliance(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "alliance.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if ok and done.returncode != 0:
            raise AssertionError(f"alliance {' '.join(args)} failed:\n{done.stderr}")
        return done

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "alliance.cli", *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def seed(self) -> None:
        """Migrate and seed the demo clinic (two processes: most of a test's time)."""
        self.alliance("migrate", "--verbosity=0")
        self.alliance("shell", "-c", SEED)

    def copy_of(self, seeded: Site) -> None:
        """Become a copy of ``seeded``: its data folder (keys, database file) and its database.

        Each test starts from the same seeded installation without migrating and seeding it
        again; on PostgreSQL the copy is ``CREATE DATABASE ... TEMPLATE``.
        """
        shutil.copytree(seeded.data_dir, self.data_dir, dirs_exist_ok=True)
        if self.database_url is not None:
            assert seeded.database_url is not None
            _recreate_database(self.database_url, template=urlsplit(seeded.database_url).path[1:])

    def backup(self, output: Path) -> dict[str, Any]:
        self.alliance("backup", "--output", str(output))
        manifest: dict[str, Any] = json.loads(Path(f"{output}.json").read_text())
        return manifest

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows straight from the database, not through Django."""
        if self.database_url is None:
            conn: Any = sqlite3.connect(self.sqlite_file)
        else:
            import psycopg

            conn = psycopg.connect(self.database_url)
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()

    def rows(self) -> dict[str, list[tuple[str, ...]]]:
        """Every row of every table, in a stable order."""
        if self.database_url is None:
            if not self.sqlite_file.exists():
                return {}
            listing = (
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        else:
            listing = (
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        return {
            table: sorted(
                tuple(repr(value) for value in row)
                for row in self.query(f'SELECT * FROM "{table}"')
            )
            for (table,) in self.query(listing)
        }

    def wipe(self) -> None:
        """Lose the database entirely, as after a disk failure."""
        if self.database_url is None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.sqlite_file}{suffix}").unlink(missing_ok=True)
        else:
            _recreate_database(self.database_url)


def _maintenance_url(url: str) -> str:
    return urlsplit(url)._replace(path="/postgres").geturl()


def _recreate_database(url: str, *, create: bool = True, template: str = "") -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_maintenance_url(url), autocommit=True) as conn:
        for attempt in range(20):
            try:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                break
            except psycopg.errors.InsufficientPrivilege:
                # An autovacuum worker (the server's own, which our role may not stop) was in
                # the database after a restore's writes; it finishes in a moment.
                if attempt == 19:
                    raise
                time.sleep(0.25)
        if create:
            conn.execute(
                f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            )


@contextmanager
def _installation(data_dir: Path) -> Iterator[Site]:
    """A new installation: a data folder, and a scratch PostgreSQL database on PostgreSQL."""
    if not ON_POSTGRES:
        yield Site(data_dir, None)
        return
    parts = urlsplit(DATABASE_URL)
    scratch = f"{parts.path.lstrip('/') or 'alliance'}_backup_{uuid.uuid4().hex[:8]}"
    url = parts._replace(path=f"/{scratch}").geturl()
    _recreate_database(url)
    try:
        yield Site(data_dir, url)
    finally:
        _recreate_database(url, create=False)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One migrated, seeded installation for the module, never changed: tests copy it."""
    with _installation(tmp_path_factory.mktemp("seeded") / "data") as template:
        template.seed()
        yield template


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with _installation(tmp_path / "data") as fresh:
        yield fresh


@pytest.fixture
def seeded_site(site: Site, seeded: Site) -> Site:
    """A seeded installation of the test's own: a copy of ``seeded``."""
    site.copy_of(seeded)
    return site


def _clinics(site: Site) -> int:
    return int(site.query("SELECT COUNT(*) FROM people_clinic")[0][0])


def _counts(rows: dict[str, list[tuple[str, ...]]]) -> dict[str, int]:
    return {table: len(found) for table, found in rows.items()}


def test_restore_into_a_lost_database_finds_every_record(seeded_site: Site, tmp_path: Path):
    site = seeded_site
    before = site.rows()
    assert len(before["checkins_checkin"]) > 50
    assert len(before["ruptures_alert"]) > 5
    manifest = site.backup(tmp_path / "nightly")
    assert manifest["vendor"] == site.vendor
    assert manifest["tables"] == _counts(before)

    site.wipe()
    assert site.rows().get("checkins_checkin", []) == []
    restored = site.alliance("restore", str(tmp_path / "nightly"))

    assert "every count matches" in restored.stdout
    after = site.rows()
    assert after == before  # every row of every table: same ids, same values
    assert _counts(after) == manifest["tables"]


def test_backup_goes_to_a_private_timestamped_file_in_the_data_folder(seeded_site: Site):
    site = seeded_site
    done = site.alliance("backup")

    (backup,) = [p for p in (site.data_dir / "backups").iterdir() if p.suffix != ".json"]
    assert backup.name.startswith("alliance-")
    assert backup.suffix == (".sqlite3" if site.vendor == "sqlite" else ".pgdump")
    assert str(backup) in done.stdout
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    manifest = json.loads(Path(f"{backup}.json").read_text())
    assert manifest["sha256"] == hashlib.sha256(backup.read_bytes()).hexdigest()
    assert manifest["size"] == backup.stat().st_size
    applied = site.query("SELECT app, MAX(name) FROM django_migrations GROUP BY app")
    assert manifest["migrations"] == dict(applied)
    assert manifest["integrity"] == ("ok" if site.vendor == "sqlite" else "")


def test_backup_while_the_app_writes_is_one_consistent_snapshot(seeded_site: Site, tmp_path: Path):
    site = seeded_site
    stop = tmp_path / "stop"
    writer = site.popen(
        "shell",
        "--no-imports",
        "-c",
        "import pathlib\n"
        "from alliance.people.services import clinic_create\n"
        "n = 0\n"
        f"while not pathlib.Path({str(stop)!r}).exists() and n < 20000:\n"
        "    clinic_create(name=f'Clinic {n}'); n += 1\n"
        "    if n == 20: print('writing', flush=True)\n",
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "writing"
        manifest = site.backup(tmp_path / "busy")
        in_backup = manifest["tables"]["people_clinic"]
        deadline = time.monotonic() + 60
        while _clinics(site) <= in_backup and time.monotonic() < deadline:
            time.sleep(0.05)  # the writer goes on after the backup's snapshot
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    assert 20 < in_backup < _clinics(site)

    site.wipe()
    site.alliance("restore", str(tmp_path / "busy"))
    assert _counts(site.rows()) == manifest["tables"]


def test_a_tampered_backup_is_refused(seeded_site: Site, tmp_path: Path):
    site = seeded_site
    site.backup(tmp_path / "nightly")
    before = site.rows()
    data = bytearray((tmp_path / "nightly").read_bytes())
    data[len(data) // 2] ^= 0x01
    (tmp_path / "nightly").write_bytes(bytes(data))

    refused = site.alliance("restore", "--force", str(tmp_path / "nightly"), ok=False)

    assert refused.returncode != 0
    assert "Checksum mismatch" in refused.stderr
    assert "nothing was restored" in refused.stderr
    assert site.rows() == before


def test_restore_over_existing_data_needs_force(seeded_site: Site, tmp_path: Path):
    site = seeded_site
    at_backup = site.rows()
    site.backup(tmp_path / "nightly")
    site.alliance("shell", "-c", ADD_CLINIC)
    current = site.rows()

    refused = site.alliance("restore", str(tmp_path / "nightly"), ok=False)

    assert refused.returncode != 0
    assert "already holds data" in refused.stderr
    assert "--force" in refused.stderr
    assert site.rows() == current
    site.alliance("restore", "--force", str(tmp_path / "nightly"))
    assert site.rows() == at_backup


def test_restore_refuses_a_backup_of_the_other_database_vendor(seeded_site: Site, tmp_path: Path):
    site = seeded_site
    site.backup(tmp_path / "nightly")
    manifest_file = tmp_path / "nightly.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["vendor"] = "sqlite" if site.vendor == "postgresql" else "postgresql"
    manifest_file.write_text(json.dumps(manifest))
    site.wipe()

    refused = site.alliance("restore", str(tmp_path / "nightly"), ok=False)

    assert refused.returncode != 0
    assert "Vendor mismatch" in refused.stderr
    assert site.rows().get("people_clinic", []) == []


def test_restore_names_a_missing_backup_and_a_missing_manifest(site: Site, tmp_path: Path):
    site.alliance("migrate", "--verbosity=0")
    missing = site.alliance("restore", str(tmp_path / "nowhere.sqlite3"), ok=False)
    assert "There is no backup file at" in missing.stderr
    (tmp_path / "orphan.sqlite3").write_bytes(b"not a backup")
    orphan = site.alliance("restore", str(tmp_path / "orphan.sqlite3"), ok=False)
    assert "manifest" in orphan.stderr
    assert "is missing" in orphan.stderr


def test_a_missing_pg_dump_is_named_with_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ops_backup.BackupError, match=r"pg_dump was not found on PATH.*apt install"):
        ops_backup.find_tool("pg_dump")


def test_sign_in_sessions_stay_out_of_a_backup(seeded_site: Site, tmp_path: Path):
    """A copy kept off-site holds no working session key; a restore revives no sign-in."""
    site = seeded_site
    site.alliance(
        "shell",
        "-c",
        "from django.contrib.sessions.backends.db import SessionStore as S; "
        "s = S(); s['_auth_user_id'] = 'x'; s.create()",
    )
    assert int(site.query("SELECT COUNT(*) FROM django_session")[0][0]) == 1
    before = site.rows()
    manifest = site.backup(tmp_path / "nightly")
    assert manifest["tables"]["django_session"] == 0
    site.wipe()
    restored = site.alliance("restore", str(tmp_path / "nightly"))
    assert "every count matches" in restored.stdout
    after = site.rows()
    assert after["django_session"] == []
    assert {t: r for t, r in after.items() if t != "django_session"} == {
        t: r for t, r in before.items() if t != "django_session"
    }


def test_a_restore_leaves_no_cached_session_behind(seeded_site: Site, tmp_path: Path):
    """Sessions are read through a cache (cached_db): a restore empties it with the table."""
    site = seeded_site
    site.backup(tmp_path / "nightly")
    made = site.alliance(
        "shell",
        "-c",
        "from django.contrib.sessions.backends.cached_db import SessionStore as S; "
        "s = S(); s['_auth_user_id'] = 'x'; s.create(); print(s.session_key)",
    )
    key = made.stdout.strip().splitlines()[-1]
    check = (
        "from django.contrib.sessions.backends.cached_db import SessionStore as S; "
        f"print('alive' if S().exists({key!r}) else 'gone')"
    )
    assert site.alliance("shell", "-c", check).stdout.split()[-1] == "alive"
    site.alliance("restore", "--force", str(tmp_path / "nightly"))
    assert site.alliance("shell", "-c", check).stdout.split()[-1] == "gone"
