"""The command line speaks the environment's language: English, or French as written in Canada.

Which language (alliance.cli_language), what the commands print in it (run as a person runs
them, in a subprocess, and through call_command), and a scan of every CLI module for words that
no gettext call covers (tests/i18n_cli_scan.py).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from alliance.cli_language import cli_language
from alliance.commands import AllianceCommand
from tests.i18n_cli_scan import PACKAGE, cli_modules, scan_module, scan_source

LANGUAGE_VARIABLES = ("ALLIANCE_LANGUAGE", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

# The language of the environment.


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({}, "en"),
        ({"LANG": "fr_CA.UTF-8"}, "fr-ca"),
        ({"LANG": "fr_FR.UTF-8"}, "fr-ca"),
        ({"LANG": "fr"}, "fr-ca"),
        ({"LANG": "en_CA.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "en_CA.UTF-8", "LC_MESSAGES": "fr_CA.UTF-8"}, "fr-ca"),
        ({"LANG": "fr_CA.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "fr_CA:en"}, "fr-ca"),
        ({"LANG": "en_US.UTF-8", "LANGUAGE": "de:fr"}, "fr-ca"),
        ({"LANG": "fr_CA.UTF-8", "LANGUAGE": "en"}, "en"),
        # LC_ALL=C asks for untranslated output, whatever LANGUAGE says (as in GNU gettext).
        ({"LC_ALL": "C", "LANGUAGE": "fr"}, "en"),
        ({"ALLIANCE_LANGUAGE": "fr-ca", "LANG": "C"}, "fr-ca"),
        ({"ALLIANCE_LANGUAGE": "fr_CA", "LANG": "en_US.UTF-8"}, "fr-ca"),
        ({"ALLIANCE_LANGUAGE": "en", "LANG": "fr_CA.UTF-8", "LANGUAGE": "fr"}, "en"),
    ],
)
def test_the_language_comes_from_the_environment(environment, language):
    assert cli_language(environment) == language


# What the commands print, run as a person runs them.


def _alliance(*args: str, lang: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if name not in LANGUAGE_VARIABLES}
    env["LANG"] = lang
    return subprocess.run(
        [sys.executable, "-m", "alliance.cli", "--data-dir", str(tmp_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def test_alliance_help_in_french_and_in_english(tmp_path):
    french = _alliance("--help", lang="fr_CA.UTF-8", tmp_path=tmp_path)
    assert french.returncode == 0, french.stderr
    assert "La commande alliance\u00a0:" in french.stdout
    assert "la clinique de démonstration" in french.stdout
    assert "alliance demo [--data-dir DIR]" in french.stdout  # the syntax is not translated
    english = _alliance("--help", lang="C", tmp_path=tmp_path)
    assert "The alliance command:" in english.stdout
    assert "the demo clinic, with made-up people" in english.stdout
    assert "clinique" not in english.stdout


def test_a_management_commands_help_in_french(tmp_path):
    french = _alliance("backup", "--help", lang="fr_CA.UTF-8", tmp_path=tmp_path)
    assert french.returncode == 0, french.stderr
    assert "Sauvegarder la base de données pendant que le serveur tourne" in french.stdout
    assert "où écrire la sauvegarde" in french.stdout
    english = _alliance("backup", "--help", lang="en_CA.UTF-8", tmp_path=tmp_path)
    assert "Back up the database while the server runs" in english.stdout
    assert "where to write the backup" in english.stdout


def test_an_argument_error_before_django_starts_in_french(tmp_path):
    french = _alliance("demo", "--clients", "3", lang="fr_CA.UTF-8", tmp_path=tmp_path)
    assert french.returncode == 2
    assert "--clients doit valoir au moins 7" in french.stderr
    english = _alliance("demo", "--clients", "3", lang="C.UTF-8", tmp_path=tmp_path)
    assert "--clients must be at least 7" in english.stderr


def test_a_command_error_in_french_and_in_english(tmp_path):
    french = _alliance("rotate-keys", "--batch-size", "0", lang="fr_CA.UTF-8", tmp_path=tmp_path)
    assert french.returncode == 1
    assert "CommandError: --batch-size doit valoir au moins 1." in french.stderr
    english = _alliance("rotate-keys", "--batch-size", "0", lang="C", tmp_path=tmp_path)
    assert "CommandError: --batch-size must be at least 1." in english.stderr


def test_a_restore_refusal_in_french(tmp_path):
    missing = tmp_path / "nowhere.sqlite3"
    french = _alliance("restore", str(missing), lang="fr_CA.UTF-8", tmp_path=tmp_path)
    assert french.returncode == 1
    assert f"Il n'y a pas de fichier de sauvegarde à {missing}." in french.stderr


def test_the_statistics_command_s_help_and_errors_in_french(tmp_path):
    french = _alliance("stats", "change", "--help", lang="fr_CA.UTF-8", tmp_path=tmp_path)
    assert french.returncode == 0, french.stderr
    assert "l'écart-type pour l'indice de changement fiable" in french.stdout
    missing = str(tmp_path / "scores.csv")
    args = ("stats", "change", missing, "--instrument", "phq9")
    refused = _alliance(*args, lang="fr_CA.UTF-8", tmp_path=tmp_path)
    assert refused.returncode == 2
    said = f"alliance stats change\u00a0: erreur\u00a0: {missing}\u00a0: ce fichier n'existe pas"
    assert said in refused.stderr
    english = _alliance(*args, lang="C", tmp_path=tmp_path)
    assert f"alliance stats change: error: {missing}: no such file" in english.stderr


# Through call_command, in this process.


def _french(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LANGUAGE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "fr_CA.UTF-8")


@pytest.mark.django_db
def test_a_command_prints_french_and_leaves_the_language_as_it_was(monkeypatch):
    _french(monkeypatch)
    out = StringIO()
    with translation.override("en"):
        call_command("purge_reach_outs", "--dry-run", stdout=out)
        assert translation.get_language() == "en"
    assert out.getvalue() == (
        "Simulation\u00a0: 0 demande de contact de plus de 90 jours serait supprimée.\n"
    )
    monkeypatch.setenv("LANG", "C")
    out = StringIO()
    call_command("purge_reach_outs", "--dry-run", stdout=out)
    assert out.getvalue() == "Dry run: 0 reach-out requests older than 90 days would be deleted.\n"


@pytest.mark.django_db
def test_a_command_error_raised_through_call_command_is_french(monkeypatch):
    _french(monkeypatch)
    with pytest.raises(CommandError, match="Il n'y a pas encore de clinique"):
        call_command("instruments", "list", stdout=StringIO())


def test_the_worker_says_what_it_enqueued_in_french(monkeypatch, capsys):
    from alliance.worker import say_enqueued

    _french(monkeypatch)
    say_enqueued("recompute-signals")
    assert capsys.readouterr().out == "[worker] recompute-signals mis en file\n"


def test_every_management_command_of_ours_speaks_the_cli_language():
    commands = [path for path in cli_modules() if "management" in path.relative_to(PACKAGE).parts]
    assert len(commands) >= 11
    for path in commands:
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        command = importlib.import_module(module).Command
        assert issubclass(command, AllianceCommand), module


# The scan: every word the command line shows goes through gettext.


def _found(source: str) -> list[tuple[int, str]]:
    return [(finding.line, finding.text) for finding in scan_source(source, Path("x.py"))]


def test_the_scan_finds_each_kind_of_unmarked_text():
    source = (
        "class Command(BaseCommand):\n"
        '    help = "Back up the database."\n'
        "    def add_arguments(self, parser):\n"
        '        parser.add_argument("--out", help="where to write it")\n'
        "    def handle(self, **options):\n"
        '        self.stdout.write(f"Backed up {name}.")\n'
        '        raise CommandError("No clinic " + repr(name))\n'
        "def main():\n"
        '    print("Creating %s" % folder)\n'
        '    parser = ArgumentParser(prog="alliance demo", description="Run the demo.")\n'
        '    parser.error(gettext("Fine") if ok else "Not fine")\n'
        '    sys.exit("alliance: --data-dir needs a folder")\n'
        '    say("{} running".format(worker))\n'
    )
    assert _found(source) == [
        (2, "Back up the database."),
        (4, "where to write it"),
        (6, "Backed up ."),
        (7, "No clinic"),
        (9, "Creating %s"),
        (10, "Run the demo."),
        (11, "Not fine"),
        (12, "alliance: --data-dir needs a folder"),
        (13, "{} running"),
    ]


def test_the_scan_leaves_alone_what_is_marked_or_not_words():
    source = (
        "class Command(AllianceCommand):\n"
        '    help = gettext_lazy("Back up the database.")\n'
        "    def handle(self, **options):\n"
        '        self.stdout.write(gettext("%(n)s rows") % {"n": rows, "name": name})\n'
        '        self.stdout.write("  " + ngettext("one", "%(n)s many", n) % {"n": n})\n'
        '        self.stdout.write(f"  {where}")\n'
        '        self.stdout.write(", ".join(f"{i} v{v}" for i, v in older))\n'
        '        print(_("Usage") + ":")\n'
        '        print(f"  {url}reach-out/{slug}/")  # untranslated: a URL\n'
        "        # untranslated: a row of codes\n"
        '        print(f"{code} v{version}")\n'
        '        parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)\n'
        '        print(pgettext("retention", "due"), flush=True)\n'
    )
    assert _found(source) == []


def test_the_scan_reads_every_cli_module():
    names = {str(path.relative_to(PACKAGE)) for path in cli_modules()}
    assert {
        "cli.py",
        "demo.py",
        "worker.py",
        "stats_cli.py",
        "ops/backup.py",
        "ops/management/commands/backup.py",
        "audit/management/commands/flush.py",
        "accounts/management/commands/reset_two_factor.py",
    } <= names


@pytest.mark.parametrize(
    "path", [pytest.param(path, id=str(path.relative_to(PACKAGE))) for path in cli_modules()]
)
def test_cli_module_has_no_untranslated_text(path):
    findings = scan_module(path)
    assert not findings, "Text outside gettext:\n" + "\n".join(map(str, findings))
