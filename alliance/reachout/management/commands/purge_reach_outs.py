from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils import timezone
from django.utils.translation import ngettext

from alliance.commands import AllianceCommand, gettext_lazy
from alliance.reachout.selectors import past_retention
from alliance.reachout.services import requests_purge


class Command(AllianceCommand):
    help = gettext_lazy(
        "Delete the reach-out requests received more than ALLIANCE_REACH_OUT_RETENTION_DAYS ago "
        "(answered or not). The worker does this every night; --dry-run only counts them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=gettext_lazy("count, delete nothing")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.ALLIANCE_REACH_OUT_RETENTION_DAYS
        now = timezone.now()
        if options["dry_run"]:
            due = past_retention(now).count()
            self.stdout.write(
                ngettext(
                    "Dry run: %(count)s reach-out request older than %(days)s days would be "
                    "deleted.",
                    "Dry run: %(count)s reach-out requests older than %(days)s days would be "
                    "deleted.",
                    due,
                )
                % {"count": due, "days": days}
            )
            return
        deleted = requests_purge(now=now)
        self.stdout.write(
            ngettext(
                "Deleted %(count)s reach-out request older than %(days)s days.",
                "Deleted %(count)s reach-out requests older than %(days)s days.",
                deleted,
            )
            % {"count": deleted, "days": days}
        )
