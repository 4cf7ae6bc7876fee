"""`alliance backup [--output FILE]`: an online backup of the database, with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database while the server runs (SQLite backup API, or pg_dump for "
        "PostgreSQL) to <data dir>/backups/, with a manifest beside it. See "
        "docs/security-backup.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="where to write the backup (default: a timestamped file in <data dir>/backups/)",
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        try:
            result = backup_create(output=output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        m = result.manifest
        how = (
            "online copy with the SQLite backup API; PRAGMA integrity_check: " + m.integrity
            if m.vendor == "sqlite"
            else "pg_dump --format=custom, one consistent snapshot"
        )
        self.stdout.write(f"Backed up {m.source} ({how}).")
        self.stdout.write(f"  backup:   {result.path} ({m.size / 1024 / 1024:.1f} MiB)")
        self.stdout.write(f"  manifest: {result.manifest_path}")
        self.stdout.write(f"  {len(m.tables)} tables, {m.rows} rows; sha256 {m.sha256}")
        self.stdout.write(
            "Copy both files off this machine; keep the encryption keys apart from them."
        )
