"""``flush`` that may empty the audit log too.

Django's flush deletes every row of every table, which the audit log's triggers refuse. Flushing
the whole database is an operator's deliberate act (and what Django's test runner does between
tests that need real transactions), so the triggers are lifted for the flush and put back after.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.management.commands import flush
from django.db import connections
from django.utils.text import format_lazy

from alliance.audit import triggers
from alliance.commands import AllianceCommand, gettext_lazy


class Command(AllianceCommand, flush.Command):
    # Django's own sentence stays as Django ships it; ours is translated.
    help = cast(
        str,
        format_lazy(
            "{} {}",
            flush.Command.help,
            gettext_lazy("The audit log is emptied too; its triggers are restored after."),
        ),
    )

    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if triggers.TABLE not in connection.introspection.table_names():
            super().handle(**options)
            return
        triggers.remove(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
