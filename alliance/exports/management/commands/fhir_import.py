"""``alliance fhir_import FILE [--clinic NAME]``: import FHIR R4 QuestionnaireResponses (one, or
a Bundle of them) for questionnaires the clinic knows, scoring each as if answered in the app.

A response that cannot be imported is named with the reason; the others are still imported,
and the command exits with status 1 if any failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext, ngettext

from alliance.commands import AllianceCommand, gettext_lazy
from alliance.exports.fhir import FhirImportError, fhir_response_import, responses_in
from alliance.outcomes.management.commands.instruments import CLINIC_HELP, clinic_named


class Command(AllianceCommand):
    help = gettext_lazy(
        "Import FHIR R4 QuestionnaireResponses of known questionnaires, with their scores."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=gettext_lazy("a QuestionnaireResponse or a Bundle (JSON)"))
        parser.add_argument("--clinic", help=CLINIC_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = clinic_named(options.get("clinic"))
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found = responses_in(data)
        except (OSError, ValueError) as error:
            raise CommandError(f"{path}: {error}") from None
        except FhirImportError as error:
            raise CommandError(f"{path}: {error}") from None
        created = existing = 0
        failed = []
        for resource in found:
            try:
                _, new = fhir_response_import(resource=resource, clinic=clinic)
            except FhirImportError as error:
                failed.append(f"QuestionnaireResponse/{resource.get('id')}: {error}")
                continue
            created += new
            existing += not new
        for line in failed:
            self.stderr.write(line)
        self.stdout.write(
            gettext(
                "%(path)s: %(created)s imported, %(existing)s already there, %(refused)s refused"
            )
            % {"path": path, "created": created, "existing": existing, "refused": len(failed)}
        )
        if failed:
            raise CommandError(
                ngettext(
                    "%(count)s response could not be imported",
                    "%(count)s responses could not be imported",
                    len(failed),
                )
                % {"count": len(failed)}
            )
