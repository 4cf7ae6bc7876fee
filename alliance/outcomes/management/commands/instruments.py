"""``alliance instruments import FILE [--scoring SCORING.json] [--clinic NAME]`` and
``alliance instruments list [--clinic NAME]``.

Import validates the file completely before anything is stored. A defect is reported with the
file name and where in it (a path such as ``items[2].options[1].value``, or a line and column
for a JSON syntax error), and the command exits with status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext

from alliance.commands import AllianceCommand, gettext_lazy
from alliance.core.instruments import DefinitionError
from alliance.outcomes.definitions import available_for
from alliance.outcomes.models import InstrumentDefinition
from alliance.outcomes.services import ImportRefused, instrument_import
from alliance.people.models import Clinic

CLINIC_HELP = gettext_lazy("the clinic's name (needed when there are several)")


class Command(AllianceCommand):
    help = gettext_lazy("Import outcome questionnaire definitions for a clinic, or list them.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser(
            "import", help=gettext_lazy("validate and import one definition file")
        )
        load.add_argument(
            "file", help=gettext_lazy("a definition in our JSON format, or a FHIR Questionnaire")
        )
        load.add_argument(
            "--scoring",
            help=gettext_lazy("the scoring block (JSON) that goes with a FHIR R4 Questionnaire"),
        )
        load.add_argument("--clinic", help=CLINIC_HELP)
        show = sub.add_parser("list", help=gettext_lazy("list the questionnaires a clinic can use"))
        show.add_argument("--clinic", help=CLINIC_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        clinic = clinic_named(options.get("clinic"))
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
        self.stdout.write(gettext("Questionnaires for %(clinic)s:") % {"clinic": clinic.name})
        for available in available_for(clinic.id):
            row = imported.get((available.instrument_id, available.version))
            where = (
                gettext("built in")
                if row is None
                else gettext("imported %(day)s") % {"day": f"{row.imported_at:%Y-%m-%d}"}
            )
            self.stdout.write(
                # untranslated: a row of codes (v for version), the title as the clinic wrote it
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
                gettext("Earlier versions (kept for the answers given with them): %(versions)s")
                % {"versions": ", ".join(f"{i} v{v}" for i, v in older)}
            )


def _read(file: str) -> str:
    try:
        return Path(file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(
            gettext("%(file)s: no such file") % {"file": file}, returncode=1
        ) from None
    except UnicodeDecodeError as error:
        raise CommandError(
            gettext("%(file)s: not UTF-8 text (byte %(byte)s); save it as UTF-8 and try again")
            % {"file": file, "byte": error.start},
            returncode=1,
        ) from None
    except OSError as error:
        raise CommandError(
            gettext("%(file)s: cannot read it: %(reason)s")
            % {"file": file, "reason": error.strerror},
            returncode=1,
        ) from None


def clinic_named(name: str | None) -> Clinic:
    """The clinic a command's --clinic names, or the only one there is."""
    if name:
        matches = list(Clinic.objects.filter(name=name)[:2])
        if not matches:
            known = ", ".join(Clinic.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(
                gettext("No clinic named %(name)s. Clinics: %(known)s.")
                % {"name": repr(name), "known": known or gettext("none")}
            )
        if len(matches) > 1:
            raise CommandError(
                gettext("Several clinics are named %(name)s; rename one first.")
                % {"name": repr(name)}
            )
        return matches[0]
    clinics = list(Clinic.objects.order_by("name")[:2])
    if len(clinics) == 1:
        return clinics[0]
    if not clinics:
        raise CommandError(gettext("There is no clinic yet; create one first."))
    raise CommandError(gettext("There are several clinics: say which with --clinic NAME."))
