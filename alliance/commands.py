"""The base of Alliance's own management commands: they speak the command line's language.

Django runs a management command in whatever language is active, which from a terminal is
``LANGUAGE_CODE`` (English). Ours speak the language of the environment instead
(``alliance.cli_language``): their ``--help``, what they print and their ``CommandError``
messages. The language is set with ``translation.override`` around Django's documented entry
points, so it ends with the command; Django's own commands are left as Django ships them.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from alliance.cli_language import in_cli_language


def gettext_lazy(message: str) -> str:
    """Django's ``gettext_lazy``, typed as the ``str`` that ``help`` and argparse's ``help=`` take.

    The text is translated each time it is read, so a command's help (built when the module is
    imported) is in the language of the moment it is shown. makemessages finds the calls by
    their name, as for Django's own.
    """
    return cast(str, translation.gettext_lazy(message))


class AllianceCommand(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        with in_cli_language():
            parser = super().create_parser(prog_name, subcommand, **kwargs)
            # argparse rewraps the description with re, which needs a str, not a lazy one.
            if parser.description is not None:
                parser.description = str(parser.description)
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        # From a terminal: --help, the command's output, and the CommandError Django prints.
        with in_cli_language():
            super().run_from_argv(argv)

    def execute(self, *args: Any, **options: Any) -> str | None:
        # From call_command (the worker, tests, another command).
        with in_cli_language():
            return super().execute(*args, **options)

    def print_help(self, prog_name: str, subcommand: str) -> None:
        # `alliance help backup`.
        with in_cli_language():
            super().print_help(prog_name, subcommand)
