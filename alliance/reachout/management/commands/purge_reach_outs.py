from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from alliance.reachout.selectors import past_retention
from alliance.reachout.services import requests_purge


class Command(BaseCommand):
    help = (
        "Delete the reach-out requests received more than ALLIANCE_REACH_OUT_RETENTION_DAYS ago "
        "(answered or not). The worker does this every night; --dry-run only counts them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        days = settings.ALLIANCE_REACH_OUT_RETENTION_DAYS
        now = timezone.now()
        if options["dry_run"]:
            due = past_retention(now).count()
            self.stdout.write(
                f"Dry run: {due} reach-out request(s) older than {days} days would be deleted."
            )
            return
        deleted = requests_purge(now=now)
        self.stdout.write(f"Deleted {deleted} reach-out request(s) older than {days} days.")
