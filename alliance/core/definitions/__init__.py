"""Outcome measures that ship with Alliance: the PHQ-9 and the GAD-7.

Both are free to reproduce ("No permission required to reproduce, translate, display or
distribute", Pfizer Inc.; developed by Spitzer, Williams, Kroenke and colleagues), so their
definition files carry the published item text. Every other validated instrument is
import-only: a clinic that holds the licence supplies the whole file (``docs/instruments.md``).

The files are package data (``alliance/core/definitions/*.json``) and are read with
:mod:`importlib.resources`, so they load from an installed wheel as well as from a checkout.

Choices recorded in the files, with their sources (``docs/instruments.md`` has the detail):

* Both totals need **every** item answered (``min_answered`` = number of items). Prorating a
  total with one or two items missing is a common practice, but we could not confirm a rule in
  the developers' own materials, so we do not prorate; a clinic can lower ``min_answered`` in its
  own copy of the file.
* Reliability for reliable change is the test–retest value (PHQ-9 .84, GAD-7 .83), *to verify*
  as CLINICAL.md §5 says. The SDs (PHQ-9 5.0, GAD-7 4.0) are ASSUMED, not published: replace them
  with the SD of your own clients' intake totals.
* The cut-off *c* is 10 for both, the usual screening cut-point and the start of "moderate".
* The PHQ-9's optional closing question about difficulty in daily life is not scored and is left
  out.
"""

from __future__ import annotations

import functools
from importlib import resources
from types import MappingProxyType
from typing import Final

from alliance.core.outcomes import OutcomeDefinition, load_outcome_json

__all__ = ["BUILTIN_IDS", "builtin", "builtin_json"]

BUILTIN_IDS: Final = ("phq9", "gad7")


def builtin() -> dict[str, OutcomeDefinition]:
    """The built-in outcome definitions by id: ``{"phq9": ..., "gad7": ...}``.

    Loaded and validated once per process; each call returns a new dict of the same frozen
    definitions, so a caller may add to it without affecting others.
    """
    return dict(_loaded())


def builtin_json(instrument_id: str) -> str:
    """The JSON text of one built-in definition, e.g. to offer it for download.

    Raises
    ------
    KeyError
        For an id that is not built in.
    """
    if instrument_id not in BUILTIN_IDS:
        raise KeyError(
            f"no built-in outcome definition {instrument_id!r}; built in: {', '.join(BUILTIN_IDS)}"
        )
    return resources.files(__name__).joinpath(f"{instrument_id}.json").read_text(encoding="utf-8")


@functools.cache
def _loaded() -> MappingProxyType[str, OutcomeDefinition]:
    return MappingProxyType({name: load_outcome_json(builtin_json(name)) for name in BUILTIN_IDS})
