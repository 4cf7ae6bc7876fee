"""``alliance fhir_export [--clinic NAME] [--output FILE]``: every client's answers as one FHIR
R4 Bundle (``alliance.exports.fhir``), streamed to FILE (``.gz`` compresses) or stdout."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import ngettext

from alliance.commands import AllianceCommand, gettext_lazy
from alliance.exports.fhir import clinic_bundle_write
from alliance.outcomes.management.commands.instruments import CLINIC_HELP, clinic_named


class Command(AllianceCommand):
    help = gettext_lazy(
        "Export a clinic's check-ins and questionnaires as a FHIR R4 Bundle (JSON)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help=CLINIC_HELP)
        parser.add_argument(
            "--output", help=gettext_lazy("file to write (.gz to compress); default stdout")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = clinic_named(options.get("clinic"))
        target = options.get("output")
        if not target:
            clinic_bundle_write(clinic, sys.stdout)
            return
        path = Path(target)
        opener: Any = gzip.open if path.suffix == ".gz" else open
        with opener(path, "wt", encoding="utf-8") as out:
            count = clinic_bundle_write(clinic, out)
        self.stdout.write(
            ngettext(
                "%(path)s: %(count)s resource of %(clinic)s",
                "%(path)s: %(count)s resources of %(clinic)s",
                count,
            )
            % {"path": path, "count": count, "clinic": clinic.name}
        )
