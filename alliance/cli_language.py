"""The language the ``alliance`` command speaks: from the environment, as command-line tools do.

``ALLIANCE_LANGUAGE`` (``en`` or ``fr-ca``; ``fr`` and ``fr_CA`` work too) wins when it is set.
Otherwise the first of ``LANGUAGE`` (a colon-separated list, as in GNU gettext), ``LC_ALL``,
``LC_MESSAGES`` and ``LANG`` that names a language Alliance speaks: any French (``fr_CA.UTF-8``,
``fr_FR``, ``fr``) is Canadian French, anything else English. As in GNU gettext, ``LANGUAGE`` is
not read when the locale is ``C`` or ``POSIX`` (``LC_ALL=C`` asks for untranslated output).

Two ways to speak it, over the same catalogue (``alliance/locale``):

- ``in_cli_language()``: Django's own translation, for code that runs after ``django.setup()``
  (our management commands, through ``alliance.commands.AllianceCommand``; the demo's report;
  the worker's lines). It is a ``translation.override``, so it ends with the block: a task the
  worker runs, or a test that calls a command, keeps its own language.
- ``cli_gettext`` / ``cli_ngettext``: Python's ``gettext`` module reading the compiled catalogue,
  for ``alliance/cli.py``, which prints its usage and parses its options before Django starts
  (Django's translation needs the app registry).

This module imports nothing from Django at import time.
"""

from __future__ import annotations

import gettext as stdlib_gettext
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

OVERRIDE = "ALLIANCE_LANGUAGE"
ENGLISH = "en"
FRENCH = "fr-ca"
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# The gettext locale folder of each language Alliance speaks (English is the msgids themselves).
_LOCALE_NAMES = {FRENCH: "fr_CA"}


def language_of(value: str) -> str | None:
    """``fr_CA.UTF-8`` → ``fr-ca``, ``en_GB`` or ``C`` → ``en``; None for any other language."""
    code = value.split(".", 1)[0].split("@", 1)[0].strip().lower().replace("_", "-")
    if code in {"c", "posix"}:
        return ENGLISH
    primary = code.split("-", 1)[0]
    if primary == "fr":
        return FRENCH
    if primary == "en":
        return ENGLISH
    return None


def cli_language(environ: Mapping[str, str] | None = None) -> str:
    """The language (a Django language code) the command line asks for: ``en`` or ``fr-ca``."""
    environ = os.environ if environ is None else environ
    override = environ.get(OVERRIDE, "").strip()
    if override:
        return language_of(override) or ENGLISH
    locale = next((environ[name] for name in LOCALE_VARIABLES if environ.get(name)), "")
    # A C or POSIX locale asks for untranslated output, whatever LANGUAGE says.
    if locale.split(".", 1)[0].strip().upper() not in {"C", "POSIX"}:
        for entry in environ.get("LANGUAGE", "").split(":"):
            found = language_of(entry) if entry.strip() else None
            if found is not None:
                return found
    return language_of(locale) or ENGLISH


@contextmanager
def in_cli_language() -> Iterator[None]:
    """Django's translation in the command line's language, for the length of the block."""
    from django.utils import translation

    with translation.override(cli_language()):
        yield


@cache
def _catalogue(language: str) -> stdlib_gettext.NullTranslations:
    name = _LOCALE_NAMES.get(language)
    if name is None:
        return stdlib_gettext.NullTranslations()
    from alliance.catalogue import compile_stale

    compile_stale(LOCALE_DIR)  # as at Django's start-up: a .po newer than its .mo is compiled
    return stdlib_gettext.translation(
        "django", localedir=LOCALE_DIR, languages=[name], fallback=True
    )


def cli_gettext(message: str) -> str:
    """``message`` in the command line's language, without Django."""
    return _catalogue(cli_language()).gettext(message)


def cli_ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural of a message, as the command line's language counts."""
    return _catalogue(cli_language()).ngettext(singular, plural, count)
