"""``alliance instruments import FILE [--scoring SCORING.json] [--clinic NAME]`` and
``alliance instruments list [--clinic NAME]``.

Import validates the file completely before anything is stored. A defect is reported with the
file name and where in it (a path such as ``items[2].options[1].value``, or a line and column
for a JSON syntax error), and the command exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.core.instruments import DefinitionError
from alliance.outcomes.definitions import available_for
from alliance.outcomes.models import InstrumentDefinition
from alliance.outcomes.services import ImportRefused, instrument_import
from alliance.people.models import Clinic


class Command(BaseCommand):
    help = "Import outcome questionnaire definitions for a clinic, or list them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="validate and import one definition file")
        load.add_argument("file", help="a definition in our JSON format, or a FHIR Questionnaire")
        load.add_argument(
            "--scoring",
            help="the scoring block (JSON) that goes with a FHIR R4 Questionnaire",
        )
        load.add_argument("--clinic", help="the clinic's name (needed when there are several)")
        show = sub.add_parser("list", help="list the questionnaires a clinic can use")
        show.add_argument("--clinic", help="the clinic's name (needed when there are several)")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = _clinic(options.get("clinic"))
        if options["action"] == "import":
            self._import(clinic, options["file"], options.get("scoring"))
        else:
            self._list(clinic)

    def _import(self, clinic: Clinic, file: str, scoring: str | None) -> None:
        text = _read(file)
        scoring_text = _read(scoring) if scoring else None
        try:
            result = instrument_import(clinic=clinic, text=text, scoring_text=scoring_text)
        except DefinitionError as error:
            where = file
            if scoring and error.path.startswith("scoring"):
                where = scoring
            raise CommandError(f"{where}: {error}", returncode=1) from None
        except ImportRefused as error:
            raise CommandError(f"{file}: {error}", returncode=1) from None
        self.stdout.write(f"{clinic.name}: {result.message}")

    def _list(self, clinic: Clinic) -> None:
        imported = {
            (row.instrument_id, row.version): row
            for row in InstrumentDefinition.objects.filter(clinic=clinic)
        }
        self.stdout.write(f"Questionnaires for {clinic.name}:")
        for available in available_for(clinic.id):
            row = imported.get((available.instrument_id, available.version))
            where = "built in" if row is None else f"imported {row.imported_at:%Y-%m-%d}"
            self.stdout.write(
                f"  {available.instrument_id:<16} v{available.version:<4} {where:<20} "
                f"{available.title}"
            )
        older = sorted(
            key
            for key in imported
            if key not in {(a.instrument_id, a.version) for a in available_for(clinic.id)}
        )
        if older:
            self.stdout.write(
                "Earlier versions (kept for the answers given with them): "
                + ", ".join(f"{i} v{v}" for i, v in older)
            )


def _read(file: str) -> str:
    try:
        return Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{file}: no such file", returncode=1) from None
    except UnicodeDecodeError as error:
        raise CommandError(
            f"{file}: not UTF-8 text (byte {error.start}); save it as UTF-8 and try again",
            returncode=1,
        ) from None
    except OSError as error:
        raise CommandError(f"{file}: cannot read it: {error.strerror}", returncode=1) from None


def _clinic(name: str | None) -> Clinic:
    if name:
        matches = list(Clinic.objects.filter(name=name)[:2])
        if not matches:
            known = ", ".join(Clinic.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(f"No clinic named {name!r}. Clinics: {known or 'none'}.")
        if len(matches) > 1:
            raise CommandError(f"Several clinics are named {name!r}; rename one first.")
        return matches[0]
    clinics = list(Clinic.objects.order_by("name")[:2])
    if len(clinics) == 1:
        return clinics[0]
    if not clinics:
        raise CommandError("There is no clinic yet; create one first.")
    raise CommandError("There are several clinics: say which with --clinic NAME.")
