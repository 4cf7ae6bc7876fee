"""`alliance restore FILE [--force]`: restore a backup made by `alliance backup`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext

from alliance.commands import AllianceCommand, gettext_lazy
from alliance.ops.backup import BackupError, backup_restore


class Command(AllianceCommand):
    help = gettext_lazy(
        "Restore a backup made by `alliance backup` into the configured database, after "
        "checking its sha256 against the manifest. Stop the server first. See "
        "docs/security-backup.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", type=Path, help=gettext_lazy("the backup file (its .json manifest beside)")
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=gettext_lazy("replace a database that already holds data"),
        )

    def handle(self, *args: Any, file: Path, force: bool, **options: Any) -> None:
        try:
            result = backup_restore(path=file, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        m = result.manifest
        self.stdout.write(
            gettext("Checked %(path)s: sha256 matches the manifest (%(sha256)s).")
            % {"path": result.path, "sha256": m.sha256}
        )
        self.stdout.write(
            gettext("Restored the %(vendor)s backup made %(made)s into %(target)s (%(method)s).")
            % {
                "vendor": m.vendor,
                "made": m.created_at,
                "target": result.target,
                "method": result.method,
            }
        )
        self.stdout.write(
            "  "
            + gettext("%(tables)s tables, %(rows)s rows: every count matches.")
            % {"tables": len(m.tables), "rows": m.rows}
        )
        for note in result.notes:
            self.stdout.write(note)
