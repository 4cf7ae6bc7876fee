"""``alliance fhir_export [--clinic NAME] [--output FILE]``: every client's answers as one FHIR
R4 Bundle (``alliance.exports.fhir``), streamed to FILE (``.gz`` compresses) or stdout."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alliance.exports.fhir import clinic_bundle_write
from alliance.outcomes.management.commands.instruments import _clinic


class Command(BaseCommand):
    help = "Export a clinic's check-ins and questionnaires as a FHIR R4 Bundle (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="the clinic's name (needed when there are several)")
        parser.add_argument("--output", help="file to write (.gz to compress); default stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = _clinic(options.get("clinic"))
        target = options.get("output")
        if not target:
            clinic_bundle_write(clinic, sys.stdout)
            return
        path = Path(target)
        opener: Any = gzip.open if path.suffix == ".gz" else open
        with opener(path, "wt", encoding="utf-8") as out:
            count = clinic_bundle_write(clinic, out)
        self.stdout.write(f"{path}: {count} resources of {clinic.name}")
