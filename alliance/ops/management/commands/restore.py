"""`alliance restore FILE [--force]`: restore a backup made by `alliance backup`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `alliance backup` into the configured database, after "
        "checking its sha256 against the manifest. Stop the server first. See "
        "docs/security-backup.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup file (its .json manifest beside)")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already holds data",
        )

    def handle(self, *args: Any, file: Path, force: bool, **options: Any) -> None:
        try:
            result = backup_restore(path=file, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        m = result.manifest
        self.stdout.write(f"Checked {result.path}: sha256 matches the manifest ({m.sha256}).")
        self.stdout.write(
            f"Restored the {m.vendor} backup made {m.created_at} into {result.target} "
            f"({result.method})."
        )
        self.stdout.write(f"  {len(m.tables)} tables, {m.rows} rows: every count matches.")
        for note in result.notes:
            self.stdout.write(note)
