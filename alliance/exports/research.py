"""The research export: a clinic's numbers, pseudonymous, for a study.

Rules (``docs/interoperability.md``):

* **Pseudonyms**: every person and record is named by HMAC-SHA256 of its id under the clinic's
  research key, the first 16 hex characters, with a prefix saying what it is (``c_`` client,
  ``t_`` therapist, ``e_`` care episode). The same key gives the same pseudonym in every export,
  so a study can join them; without the key nobody can go back from a pseudonym to the id.
* **Dates shifted per person**: every date and time of one client moves by the same whole number
  of days, drawn from the key and the client (HMAC again), between ``-SHIFT_DAYS`` and
  ``+SHIFT_DAYS``, never 0. Intervals within one person's record are exact; calendar dates are
  not. Times are kept to the minute, in UTC.
* **No free text**: no names, emails, comments, notes, diary card targets' names or text
  answers, and no summary text of any alert; only numbers, fixed codes and shifted times.

Tables: clients, episodes, sessions, checkins, questionnaires (one row per answered
questionnaire, each item a column ``<instrument>.<item>``), diary_cards, alerts. Each goes out
as CSV (formula-safe) and Parquet, with ``data-dictionary.csv`` naming every column, its type,
unit and source.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from alliance.checkins.models import CheckIn
from alliance.core import diary as card_def
from alliance.core.instruments import ItemKind
from alliance.core.spreadsheet import csv_safe
from alliance.diary.models import DiaryCard, DiaryStatus
from alliance.exports.models import ResearchKey
from alliance.outcomes.definitions import UnknownInstrument, definition_for
from alliance.outcomes.models import OutcomeResponse
from alliance.people.models import CareEpisode, Clinic, Role, Session, User
from alliance.ruptures.models import Alert

SHIFT_DAYS = 182
BATCH = 5000


def export_folder() -> Path:
    folder = Path(settings.DATA_DIR) / "exports" / "research"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def key_for(clinic: Clinic) -> bytes:
    """The clinic's research key: ``ALLIANCE_RESEARCH_KEY`` if set (one key for every clinic of
    the installation), else the clinic's own, made on its first export and kept."""
    configured = getattr(settings, "ALLIANCE_RESEARCH_KEY", "")
    if configured:
        return bytes.fromhex(configured)
    row, _ = ResearchKey.objects.get_or_create(
        clinic=clinic, defaults={"key": secrets.token_hex(32)}
    )
    return bytes.fromhex(row.key)


def fingerprint(key: bytes) -> str:
    """Names the key without revealing it: two exports with the same one can be joined."""
    return hashlib.sha256(b"alliance-research-key:" + key).hexdigest()[:16]


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        self.key = key
        self.shifts: dict[uuid.UUID, timedelta] = {}
        # Each id is named once per export: a client's rows would otherwise repeat the HMAC.
        self.names: dict[tuple[str, object], str] = {}

    def of(self, prefix: str, record_id: object) -> str:
        found = self.names.get((prefix, record_id))
        if found is None:
            digest = hmac.new(self.key, f"{prefix}:{record_id}".encode(), hashlib.sha256)
            found = self.names[(prefix, record_id)] = f"{prefix}_{digest.hexdigest()[:16]}"
        return found

    def shift(self, client_id: uuid.UUID) -> timedelta:
        found = self.shifts.get(client_id)
        if found is None:
            digest = hmac.new(self.key, f"shift:{client_id}".encode(), hashlib.sha256).digest()
            days = int.from_bytes(digest[:8], "big") % (2 * SHIFT_DAYS) - SHIFT_DAYS
            found = timedelta(days=days if days < 0 else days + 1)  # never 0
            self.shifts[client_id] = found
        return found

    def when(self, moment: datetime | None, client_id: uuid.UUID) -> datetime | None:
        if moment is None:
            return None
        return (moment + self.shift(client_id)).replace(second=0, microsecond=0)

    def day(self, day: date | None, client_id: uuid.UUID) -> date | None:
        return None if day is None else day + self.shift(client_id)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # string, integer, number, boolean, date, datetime
    unit: str
    source: str


def _arrow(kind: str) -> pa.DataType:
    return {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("s", tz="UTC"),
    }[kind]


@dataclass
class Table:
    name: str
    about: str
    columns: list[Column]
    rows: Callable[[], Iterator[tuple[Any, ...]]]


ID = "pseudonym: HMAC-SHA256 under the export key"
SHIFTED = "shifted by the client's date shift, UTC, to the minute"


def _tables(clinic: Clinic, names: Pseudonyms) -> list[Table]:
    p = names

    def clients() -> Iterator[tuple[Any, ...]]:
        rows = User.objects.filter(clinic=clinic, role=Role.CLIENT).values_list(
            "id", "date_joined", "is_active"
        )
        for client_id, joined, active in rows.iterator(chunk_size=BATCH):
            yield (p.of("c", client_id), p.day(joined.date(), client_id), active)

    def episodes() -> Iterator[tuple[Any, ...]]:
        rows = CareEpisode.objects.filter(clinic=clinic).values_list(
            "id", "client_id", "therapist_id", "status", "started_on", "ended_on"
        )
        for eid, cid, tid, status, started, ended in rows.iterator(chunk_size=BATCH):
            yield (
                p.of("e", eid),
                p.of("c", cid),
                p.of("t", tid),
                status,
                p.day(started, cid),
                p.day(ended, cid),
            )

    def sessions() -> Iterator[tuple[Any, ...]]:
        rows = Session.objects.filter(episode__clinic=clinic).values_list(
            "episode_id",
            "episode__client_id",
            "number",
            "scheduled_at",
            "duration_minutes",
            "status",
        )
        for eid, cid, number, when, minutes, status in rows.iterator(chunk_size=BATCH):
            yield (p.of("e", eid), p.of("c", cid), number, p.when(when, cid), minutes, status)

    checkin_numbers = (
        "bond",
        "tasks",
        "goals",
        "tension",
        "talked",
        "resolved",
        "followup_resolved",
    )

    def checkins() -> Iterator[tuple[Any, ...]]:
        rows = CheckIn.objects.filter(episode__clinic=clinic).values_list(
            "episode_id",
            "client_id",
            "session__number",
            "submitted_at",
            *checkin_numbers,
            "alliance",
            "therapist_read_at",
        )
        for eid, cid, number, sent, *values, alliance, read in rows.iterator(chunk_size=BATCH):
            yield (
                p.of("e", eid),
                p.of("c", cid),
                number,
                p.when(sent, cid),
                *values,
                alliance,
                p.when(read, cid),
            )

    item_keys = _questionnaire_items(clinic)

    def questionnaires() -> Iterator[tuple[Any, ...]]:
        rows = OutcomeResponse.objects.filter(episode__clinic=clinic).values_list(
            "episode_id",
            "client_id",
            "instrument_id",
            "instrument_version",
            "occasion",
            "session_index",
            "submitted_at",
            "composite",
            "band",
            "answers",
        )
        for (
            eid,
            cid,
            inst,
            version,
            occasion,
            index,
            sent,
            composite,
            band,
            answers,
        ) in rows.iterator(chunk_size=BATCH):
            # Imported responses are named by a digest of their source: not a fixed code.
            kind = "import" if occasion.startswith("import-") else occasion
            yield (
                p.of("e", eid),
                p.of("c", cid),
                inst,
                version,
                kind,
                index,
                p.when(sent, cid),
                composite,
                band,
                *((answers or {}).get(key) if name == inst else None for name, key in item_keys),
            )

    diary_numbers = [name for name in card_def.DiaryAnswers().columns() if name != "medication"]

    def diary_cards() -> Iterator[tuple[Any, ...]]:
        rows = DiaryCard.objects.filter(
            episode__clinic=clinic, status=DiaryStatus.SUBMITTED
        ).values_list(
            "episode_id", "client_id", "day", "submitted_at", "medication", *diary_numbers
        )
        for eid, cid, day, sent, medication, *values in rows.iterator(chunk_size=BATCH):
            yield (
                p.of("e", eid),
                p.of("c", cid),
                p.day(day, cid),
                p.when(sent, cid),
                medication or None,
                *values,
            )

    def alerts() -> Iterator[tuple[Any, ...]]:
        rows = Alert.objects.filter(episode__clinic=clinic).values_list(
            "episode_id",
            "episode__client_id",
            "category",
            "session__number",
            "severity",
            "state",
            "client_reported",
            "signals",
            "created_at",
            "acknowledged_at",
            "resolved_at",
            "closed_at",
        )
        for eid, cid, category, number, severity, state, reported, signals, *times in rows.iterator(
            chunk_size=BATCH
        ):
            kinds = "|".join(sorted({str(s.get("kind", "")) for s in signals or []}))
            yield (
                p.of("e", eid),
                p.of("c", cid),
                category,
                number,
                severity,
                state,
                reported,
                kinds,
                *(p.when(t, cid) for t in times),
            )

    episode = Column("episode", "string", "", f"{ID} of the care episode id")
    client = Column("client", "string", "", f"{ID} of the client's id")
    return [
        Table(
            "clients",
            "One row per client of the clinic.",
            [
                client,
                Column("joined_on", "date", "", f"people.User.date_joined (date), {SHIFTED}"),
                Column("active", "boolean", "", "people.User.is_active"),
            ],
            clients,
        ),
        Table(
            "episodes",
            "One row per course of therapy.",
            [
                episode,
                client,
                Column("therapist", "string", "", f"{ID} of the therapist's id"),
                Column("status", "string", "code: active, ended", "people.CareEpisode.status"),
                Column("started_on", "date", "", f"people.CareEpisode.started_on, {SHIFTED}"),
                Column("ended_on", "date", "", f"people.CareEpisode.ended_on, {SHIFTED}"),
            ],
            episodes,
        ),
        Table(
            "sessions",
            "One row per session booked.",
            [
                episode,
                client,
                Column("number", "integer", "count", "people.Session.number (1 = first)"),
                Column("scheduled_at", "datetime", "", f"people.Session.scheduled_at, {SHIFTED}"),
                Column("duration", "integer", "minutes", "people.Session.duration_minutes"),
                Column(
                    "status",
                    "string",
                    "code: scheduled, attended, missed, cancelled_client, cancelled_therapist",
                    "people.Session.status",
                ),
            ],
            sessions,
        ),
        Table(
            "checkins",
            "One row per post-session check-in (docs/checkin.md).",
            [
                episode,
                client,
                Column("session", "integer", "count", "people.Session.number"),
                Column("submitted_at", "datetime", "", f"checkins.CheckIn.submitted_at, {SHIFTED}"),
                Column("bond", "integer", "points 1-7", "checkins.CheckIn.bond"),
                Column("tasks", "integer", "points 1-7", "checkins.CheckIn.tasks"),
                Column("goals", "integer", "points 1-7", "checkins.CheckIn.goals"),
                Column("tension", "integer", "points 0-4", "checkins.CheckIn.tension"),
                Column(
                    "talked",
                    "integer",
                    "points 0-2 (asked if tension > 0)",
                    "checkins.CheckIn.talked",
                ),
                Column(
                    "resolved",
                    "integer",
                    "points 0-4 (asked if tension > 0)",
                    "checkins.CheckIn.resolved",
                ),
                Column(
                    "followup_resolved",
                    "integer",
                    "points 0-2 (asked while an earlier moment was open)",
                    "checkins.CheckIn.followup_resolved",
                ),
                Column(
                    "alliance",
                    "number",
                    "mean of bond, tasks, goals (1-7)",
                    "checkins.CheckIn.alliance",
                ),
                Column(
                    "therapist_read_at",
                    "datetime",
                    "",
                    f"checkins.CheckIn.therapist_read_at, {SHIFTED}",
                ),
            ],
            checkins,
        ),
        Table(
            "questionnaires",
            "One row per answered outcome questionnaire; one column per item of each.",
            [
                episode,
                client,
                Column(
                    "instrument",
                    "string",
                    "code, e.g. phq9, gad7",
                    "outcomes.OutcomeResponse.instrument_id",
                ),
                Column("version", "integer", "", "outcomes.OutcomeResponse.instrument_version"),
                Column(
                    "occasion",
                    "string",
                    "code: intake, session-N, week-N, discharge, import",
                    "outcomes.OutcomeResponse.occasion",
                ),
                Column(
                    "sessions_before",
                    "integer",
                    "count",
                    "outcomes.OutcomeResponse.session_index (sessions attended before it)",
                ),
                Column(
                    "submitted_at",
                    "datetime",
                    "",
                    f"outcomes.OutcomeResponse.submitted_at, {SHIFTED}",
                ),
                Column(
                    "score",
                    "number",
                    "points (instrument's composite)",
                    "outcomes.OutcomeResponse.composite",
                ),
                Column(
                    "band",
                    "string",
                    "code: the instrument's severity band",
                    "outcomes.OutcomeResponse.band",
                ),
                *(
                    Column(
                        f"{inst}.{key}",
                        "integer",
                        "points (the option's value)",
                        f"outcomes.OutcomeResponse.answers[{key}] when instrument is {inst}",
                    )
                    for inst, key in item_keys
                ),
            ],
            questionnaires,
        ),
        Table(
            "diary_cards",
            "One row per diary card sent (drafts are the client's own and not exported).",
            [
                episode,
                client,
                Column(
                    "day", "date", "", f"diary.DiaryCard.day (the client's local date), {SHIFTED}"
                ),
                Column("submitted_at", "datetime", "", f"diary.DiaryCard.submitted_at, {SHIFTED}"),
                Column("medication", "string", "code: yes, no, na", "diary.DiaryCard.medication"),
                *(
                    Column(
                        name,
                        "boolean" if name.startswith("acted_") else "integer",
                        _diary_unit(name),
                        f"diary.DiaryCard.{name}",
                    )
                    for name in diary_numbers
                ),
            ],
            diary_cards,
        ),
        Table(
            "alerts",
            "One row per alert raised for the therapist (docs/signals.md); no text.",
            [
                episode,
                client,
                Column(
                    "category",
                    "string",
                    "code: rupture, not_on_track, risk",
                    "ruptures.Alert.category",
                ),
                Column("session", "integer", "count", "people.Session.number of a rupture alert"),
                Column("severity", "integer", "1 low, 2 medium, 3 high", "ruptures.Alert.severity"),
                Column(
                    "state",
                    "string",
                    "code: open, acknowledged, repair_recorded, followed_up, resolved, closed",
                    "ruptures.Alert.state",
                ),
                Column("client_reported", "boolean", "", "ruptures.Alert.client_reported"),
                Column("signals", "string", "codes joined by |", "ruptures.Alert.signals[].kind"),
                Column("created_at", "datetime", "", f"ruptures.Alert.created_at, {SHIFTED}"),
                Column(
                    "acknowledged_at", "datetime", "", f"ruptures.Alert.acknowledged_at, {SHIFTED}"
                ),
                Column("resolved_at", "datetime", "", f"ruptures.Alert.resolved_at, {SHIFTED}"),
                Column("closed_at", "datetime", "", f"ruptures.Alert.closed_at, {SHIFTED}"),
            ],
            alerts,
        ),
    ]


def _diary_unit(name: str) -> str:
    if name.startswith("acted_"):
        return "yes/no"
    if name.startswith("action_"):
        return "count (times)"
    if name == "skills_code":
        return "code 0-7 (docs/diary.md)"
    return f"points 0-{card_def.URGE_MAX}"


def _questionnaire_items(clinic: Clinic) -> list[tuple[str, str]]:
    """Every (instrument, item) that has an answer in the clinic, in a stable order."""
    found: list[tuple[str, str]] = []
    used = (
        OutcomeResponse.objects.filter(episode__clinic=clinic)
        .values_list("instrument_id", "instrument_version")
        .distinct()
        .order_by("instrument_id", "instrument_version")
    )
    for instrument_id, version in used:
        try:
            items = definition_for(clinic.id, instrument_id, version).instrument.items
        except UnknownInstrument:
            continue
        for item in items:
            pair = (instrument_id, item.key)
            if item.kind is ItemKind.CHOICE and pair not in found:
                found.append(pair)
    return found


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, bool):
        return "true" if value else "false"
    return csv_safe(value)


def _write_table(table: Table, archive: zipfile.ZipFile, scratch: Path) -> int:
    """One table into the archive as CSV and Parquet, in batches; returns its row count."""
    schema = pa.schema([(c.name, _arrow(c.kind)) for c in table.columns])
    parquet_path = scratch / f"{table.name}.parquet"
    count = 0
    with (
        archive.open(f"csv/{table.name}.csv", "w") as raw,
        io.TextIOWrapper(raw, encoding="utf-8", newline="") as text,
        pq.ParquetWriter(parquet_path, schema) as parquet,
    ):
        writer = csv.writer(text)
        writer.writerow([c.name for c in table.columns])
        for batch in _batches(table.rows(), BATCH):
            writer.writerows([[_csv_text(v) for v in row] for row in batch])
            columns = list(zip(*batch, strict=True))
            names = [c.name for c in table.columns]
            parquet.write_table(
                pa.Table.from_pydict(dict(zip(names, columns, strict=True)), schema=schema)
            )
            count += len(batch)
    archive.write(parquet_path, f"parquet/{table.name}.parquet")
    parquet_path.unlink()
    return count


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _dictionary(tables: list[Table]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["table", "column", "type", "unit", "source"])
    for table in tables:
        for c in table.columns:
            writer.writerow([csv_safe(v) for v in (table.name, c.name, c.kind, c.unit, c.source)])
    return out.getvalue()


README = """Alliance research export

Made {made} (UTC) for one clinic. Key fingerprint: {fingerprint} (exports with the same
fingerprint share pseudonyms and date shifts, so they can be joined).

csv/*.csv and parquet/*.parquet hold the same tables; data-dictionary.csv names every column,
its type, unit and source. Pseudonyms are HMAC-SHA256 of the record's id under the clinic's
export key. Every date and time of a client is shifted by the same whole number of days,
between -{shift} and +{shift} (never 0), drawn from the key and the client: intervals within a
client's record are exact, calendar dates are not. No free text is exported.

Rows: {rows}
"""


def research_export_write(
    clinic: Clinic, target: Path, *, made: datetime
) -> tuple[str, dict[str, int]]:
    """Write the export ZIP to ``target``; returns the key fingerprint and rows per table."""
    key = key_for(clinic)
    tables = _tables(clinic, Pseudonyms(key))
    counts: dict[str, int] = {}
    scratch = target.parent / f".{target.name}.parts"
    scratch.mkdir(mode=0o700, exist_ok=True)
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for table in tables:
                counts[table.name] = _write_table(table, archive, scratch)
            archive.writestr("data-dictionary.csv", _dictionary(tables))
            archive.writestr(
                "README.txt",
                README.format(
                    made=made.isoformat(timespec="seconds"),
                    fingerprint=fingerprint(key),
                    shift=SHIFT_DAYS,
                    rows=", ".join(f"{name} {n}" for name, n in counts.items()),
                ),
            )
    finally:
        for leftover in scratch.glob("*"):
            leftover.unlink()
        scratch.rmdir()
    return fingerprint(key), counts
