"""``alliance fhir_import FILE [--clinic NAME]``: import FHIR R4 QuestionnaireResponses (one, or
a Bundle of them) for questionnaires the clinic knows, scoring each as if answered in the app.

A response that cannot be imported is named with the reason; the others are still imported,
and the command exits with status 1 if any failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.exports.fhir import FhirImportError, fhir_response_import, responses_in
from alliance.outcomes.management.commands.instruments import _clinic


class Command(BaseCommand):
    help = "Import FHIR R4 QuestionnaireResponses of known questionnaires, with their scores."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a QuestionnaireResponse or a Bundle (JSON)")
        parser.add_argument("--clinic", help="the clinic's name (needed when there are several)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = _clinic(options.get("clinic"))
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
            f"{path}: {created} imported, {existing} already there, {len(failed)} refused"
        )
        if failed:
            raise CommandError(f"{len(failed)} response(s) could not be imported")
