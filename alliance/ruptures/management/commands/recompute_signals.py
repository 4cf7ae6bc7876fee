from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.people.models import Clinic
from alliance.ruptures.dropout import dropout_scan
from alliance.ruptures.services import signals_recompute


class Command(BaseCommand):
    help = (
        "Recompute every rupture signal and the dropout-risk rule for one clinic (or all) and "
        "open any missing alerts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="the clinic's name (default: every clinic)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = None
        if options["clinic"]:
            clinic = Clinic.objects.filter(name=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic is named {options['clinic']!r}.")
        started = time.perf_counter()
        report = signals_recompute(clinic=clinic)
        dropout = dropout_scan(clinic=clinic)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{report.episodes} care episodes, {report.checkins} check-ins, "
            f"{report.signals} signals; {report.alerts_created} alerts opened, "
            f"{report.alerts_updated} updated; dropout risk for {dropout.raised} episodes, "
            f"{dropout.opened} alerts opened, in {elapsed:.2f} s"
        )
