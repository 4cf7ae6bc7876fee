"""`alliance backup [--output FILE]`: an online backup of the database, with a manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext

from alliance.commands import AllianceCommand, gettext_lazy
from alliance.ops.backup import BackupError, backup_create


class Command(AllianceCommand):
    help = gettext_lazy(
        "Back up the database while the server runs (SQLite backup API, or pg_dump for "
        "PostgreSQL) to <data dir>/backups/, with a manifest beside it. See "
        "docs/security-backup.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help=gettext_lazy(
                "where to write the backup (default: a timestamped file in <data dir>/backups/)"
            ),
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        try:
            result = backup_create(output=output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        m = result.manifest
        how = (
            gettext("online copy with the SQLite backup API; PRAGMA integrity_check: %(result)s")
            % {"result": m.integrity}
            if m.vendor == "sqlite"
            else gettext("pg_dump --format=custom, one consistent snapshot")
        )
        self.stdout.write(
            gettext("Backed up %(source)s (%(how)s).") % {"source": m.source, "how": how}
        )
        self.stdout.write(
            "  "
            + gettext("backup: %(path)s (%(size).1f MiB)")
            % {"path": result.path, "size": m.size / 1024 / 1024}
        )
        self.stdout.write("  " + gettext("manifest: %(path)s") % {"path": result.manifest_path})
        self.stdout.write(
            "  "
            + gettext("%(tables)s tables, %(rows)s rows; sha256 %(sha256)s")
            % {"tables": len(m.tables), "rows": m.rows, "sha256": m.sha256}
        )
        self.stdout.write(
            gettext("Copy both files off this machine; keep the encryption keys apart from them.")
        )
