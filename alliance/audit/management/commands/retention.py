from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.audit.retention import retention_apply, retention_due
from alliance.people.models import Clinic


class Command(BaseCommand):
    help = (
        "List the former clients whose retention period is over (a dry run, the default), or "
        "anonymise them with --apply. Records on legal hold are listed and never anonymised."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="anonymise (default: dry run)")
        parser.add_argument("--clinic", help="the clinic's name (default: every clinic)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = None
        if options["clinic"]:
            clinic = Clinic.objects.filter(name=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic is named {options['clinic']!r}.")
        due = retention_due(clinic=clinic)
        for candidate in due:
            client = candidate.client
            status = "ON LEGAL HOLD, kept" if candidate.held else "due"
            self.stdout.write(
                f"{client.id}  {client.full_name}  ({client.clinic.name}): last contact "
                f"{candidate.last_contact}, retention ended {candidate.due_on}; {status}"
            )
        ready = sum(1 for c in due if not c.held)
        if not options["apply"]:
            self.stdout.write(
                f"Dry run: {ready} record(s) would be anonymised. Run with --apply to do it."
            )
            return
        done = retention_apply(clinic=clinic)
        self.stdout.write(f"Anonymised {len(done)} record(s).")
