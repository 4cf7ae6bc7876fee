"""Which outcome definitions a clinic can use: the built-ins plus the clinic's own imports.

The built-in PHQ-9 and GAD-7 are always available (version 1, from the package). A clinic's
imported definitions are stored per id and version; the highest version of an id is the one
new questionnaires use, and every response records the version it was answered with.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from dataclasses import dataclass

from alliance.core.definitions import BUILTIN_IDS, builtin, builtin_json
from alliance.core.outcomes import OutcomeDefinition, load_outcome
from alliance.outcomes.models import InstrumentDefinition


class UnknownInstrument(LookupError):
    """No definition with this id (and version) in the clinic."""


@dataclass(frozen=True)
class Available:
    """One outcome definition a clinic can schedule (its latest version)."""

    instrument_id: str
    version: int
    title: str
    builtin: bool


def canonical(data: object) -> str:
    """The definition as canonical JSON: the same content always gives the same text."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(data: object) -> str:
    return hashlib.sha256(canonical(data).encode()).hexdigest()


@functools.cache
def builtin_digests() -> dict[str, str]:
    return {name: digest(json.loads(builtin_json(name))) for name in builtin()}


@functools.lru_cache(maxsize=256)
def _load(text: str) -> OutcomeDefinition:
    return load_outcome(json.loads(text))


def _stored(row: InstrumentDefinition) -> OutcomeDefinition:
    # Stored definitions were validated on import; loading again turns them into dataclasses.
    return _load(canonical(row.definition))


def definition_for(
    clinic_id: uuid.UUID, instrument_id: str, version: int | None = None
) -> OutcomeDefinition:
    """The definition of ``instrument_id`` (the latest version unless one is given).

    Raises
    ------
    UnknownInstrument
        When the clinic has no such id (or version).
    """
    rows = InstrumentDefinition.objects.filter(clinic_id=clinic_id, instrument_id=instrument_id)
    if version is not None:
        rows = rows.filter(version=version)
    row = rows.order_by("-version").first()
    built = builtin().get(instrument_id)
    if row is not None and (built is None or row.version > built.instrument.version):
        return _stored(row)
    if built is not None and (version is None or version == built.instrument.version):
        return built
    if row is not None:
        return _stored(row)
    raise UnknownInstrument(
        f"No questionnaire {instrument_id!r}"
        + ("" if version is None else f" version {version}")
        + " in this clinic."
    )


def available_for(clinic_id: uuid.UUID) -> list[Available]:
    """The latest version of every definition the clinic can use, built-ins first."""
    latest: dict[str, Available] = {
        defn.id: Available(defn.id, defn.instrument.version, defn.instrument.title, True)
        for defn in builtin().values()
    }
    for instrument_id, version, title in (
        InstrumentDefinition.objects.filter(clinic_id=clinic_id)
        .order_by("instrument_id", "version")
        .values_list("instrument_id", "version", "title")
    ):
        known = latest.get(instrument_id)
        if known is None or version > known.version:
            latest[instrument_id] = Available(instrument_id, version, title, False)
    order = {name: index for index, name in enumerate(BUILTIN_IDS)}
    return sorted(
        latest.values(), key=lambda a: (order.get(a.instrument_id, len(order)), a.instrument_id)
    )
