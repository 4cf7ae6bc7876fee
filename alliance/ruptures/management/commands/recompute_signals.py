from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext

from alliance.commands import AllianceCommand, gettext_lazy
from alliance.people.models import Clinic
from alliance.ruptures.dropout import dropout_scan
from alliance.ruptures.services import signals_recompute


class Command(AllianceCommand):
    help = gettext_lazy(
        "Recompute every rupture signal and the dropout-risk rule for one clinic (or all) and "
        "open any missing alerts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clinic", help=gettext_lazy("the clinic's name (default: every clinic)")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = None
        if options["clinic"]:
            clinic = Clinic.objects.filter(name=options["clinic"]).first()
            if clinic is None:
                raise CommandError(
                    gettext("No clinic is named %(name)s.") % {"name": repr(options["clinic"])}
                )
        started = time.perf_counter()
        report = signals_recompute(clinic=clinic)
        dropout = dropout_scan(clinic=clinic)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            gettext(
                "%(episodes)s care episodes, %(checkins)s check-ins, %(signals)s signals; "
                "%(opened)s alerts opened, %(updated)s updated; dropout risk for "
                "%(dropout_raised)s episodes, %(dropout_opened)s alerts opened, in %(seconds).2f s"
            )
            % {
                "episodes": report.episodes,
                "checkins": report.checkins,
                "signals": report.signals,
                "opened": report.alerts_created,
                "updated": report.alerts_updated,
                "dropout_raised": dropout.raised,
                "dropout_opened": dropout.opened,
                "seconds": elapsed,
            }
        )
