"""Compiles the translation catalogues: each ``locale/<lang>/LC_MESSAGES/*.po`` to its ``.mo``.

The ``.po`` files are in the repository; the ``.mo`` files, which Django reads, are not: they
are made from them, with polib (pure Python, no gettext tools needed), in two places:

- when the package is built (setup.py runs this file for ``pip install .`` and for an editable
  ``pip install -e .``), so an installed Alliance has them from the start;
- at start-up (``compile_stale`` from the people app's ``ready``), for a source tree whose
  ``.po`` changed after it was installed (a pull, a merge of new translations): a ``.mo`` that is
  missing or older than its ``.po`` is made again, if the folder can be written.

This module imports nothing from Django or from the rest of Alliance, so that setup.py can load
it on its own, before any dependency is installed.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

LOCALE = Path(__file__).resolve().parent / "locale"

log = logging.getLogger("alliance.catalogue")


def catalogues(locale: Path = LOCALE) -> list[Path]:
    """Every ``.po`` file under ``locale`` (one folder per language)."""
    return sorted(locale.glob("*/LC_MESSAGES/*.po"))


def is_stale(po: Path) -> bool:
    """True when the ``.mo`` beside ``po`` is missing or older than it."""
    mo = po.with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compile_catalogue(po: Path, mo: Path | None = None) -> Path:
    """Write the ``.mo`` of ``po`` (beside it unless ``mo`` is given); returns its path.

    Fuzzy and untranslated entries are left out, as msgfmt does, so that they show the English.
    The file is written under another name and then renamed, so that a process starting at the
    same moment reads either the old catalogue or the new one, never half of one.
    """
    import polib  # type: ignore[import-untyped]

    target = mo or po.with_suffix(".mo")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".mo")
    os.close(handle)
    try:
        polib.pofile(str(po)).save_as_mofile(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def compile_all(locale: Path = LOCALE) -> list[Path]:
    """Compile every catalogue under ``locale``; returns the ``.mo`` files written."""
    return [compile_catalogue(po) for po in catalogues(locale)]


def compile_stale(locale: Path = LOCALE) -> list[Path]:
    """Compile the catalogues whose ``.mo`` is missing or older; returns those written.

    A folder that cannot be written (a read-only install) is left as it is: the pages then show
    the catalogue built with the package (an unpacked wheel may give the ``.po`` the later time
    by a hair, hence no warning then), or English when there is none (with a warning).
    """
    written = []
    for po in catalogues(locale):
        if not is_stale(po):
            continue
        try:
            written.append(compile_catalogue(po))
        except OSError as error:
            missing = not po.with_suffix(".mo").exists()
            log.log(logging.WARNING if missing else logging.INFO, "not compiled: %s", error)
    return written
