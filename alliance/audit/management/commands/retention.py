from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext, ngettext, pgettext

from alliance.audit.retention import retention_apply, retention_due
from alliance.commands import AllianceCommand, gettext_lazy
from alliance.people.models import Clinic


class Command(AllianceCommand):
    help = gettext_lazy(
        "List the former clients whose retention period is over (a dry run, the default), or "
        "anonymise them with --apply. Records on legal hold are listed and never anonymised."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--apply", action="store_true", help=gettext_lazy("anonymise (default: dry run)")
        )
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
        due = retention_due(clinic=clinic)
        for candidate in due:
            client = candidate.client
            status = (
                gettext("ON LEGAL HOLD, kept") if candidate.held else pgettext("retention", "due")
            )
            self.stdout.write(
                gettext(
                    "%(id)s  %(name)s  (%(clinic)s): last contact %(last_contact)s, retention "
                    "ended %(due_on)s; %(status)s"
                )
                % {
                    "id": client.id,
                    "name": client.full_name,
                    "clinic": client.clinic.name,
                    "last_contact": candidate.last_contact,
                    "due_on": candidate.due_on,
                    "status": status,
                }
            )
        ready = sum(1 for c in due if not c.held)
        if not options["apply"]:
            self.stdout.write(
                ngettext(
                    "Dry run: %(count)s record would be anonymised. Run with --apply to do it.",
                    "Dry run: %(count)s records would be anonymised. Run with --apply to do it.",
                    ready,
                )
                % {"count": ready}
            )
            return
        done = retention_apply(clinic=clinic)
        self.stdout.write(
            ngettext("Anonymised %(count)s record.", "Anonymised %(count)s records.", len(done))
            % {"count": len(done)}
        )
