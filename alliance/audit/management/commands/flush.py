"""``flush`` that may empty the audit log too.

Django's flush deletes every row of every table, which the audit log's triggers refuse. Flushing
the whole database is an operator's deliberate act (and what Django's test runner does between
tests that need real transactions), so the triggers are lifted for the flush and put back after.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from alliance.audit import triggers


class Command(flush.Command):
    help = f"{flush.Command.help} The audit log is emptied too; its triggers are restored after."

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
