"""The only queries written as SQL: where Django's per-value conversion costs more than the query.

Two of them are the nightly recomputation's, one is the check-in pages' session lookup.

The nightly recomputation reads every check-in's numbers of up to 2,000 care episodes at a
time. Through the ORM each of the million ids becomes a ``uuid.UUID`` and each alert's signals a
parsed JSON value, which was a quarter of the whole run; here rows come back as the database
driver gives them, and ids serve only as opaque keys until an alert is actually written.

Table and column names come from the models' public ``_meta`` API, values are bound as query
parameters after the field's own ``get_db_prep_value``, and identifiers are quoted the standard
SQL way (double quotes, which SQLite and PostgreSQL both read). ``tests/web/test_rawsql.py``
checks on both databases that each query returns what its ORM twin returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from django.db import connection, models
from django.utils import timezone

from alliance.checkins.models import CheckIn
from alliance.people.models import Session
from alliance.ruptures.models import ACTIVE_STATES, Alert, AlertCategory


def _table(model: type[models.Model]) -> str:
    return f'"{model._meta.db_table}"'


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    return f'"{field.column}"'  # type: ignore[union-attr]


def _ids(model: type[models.Model], name: str, values: Sequence[Any]) -> list[Any]:
    field = model._meta.get_field(name)
    return [field.get_db_prep_value(v, connection) for v in values]  # type: ignore[union-attr]


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    if not params:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def checkin_points(episode_ids: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Every check-in of these episodes, by episode then session number, as
    ``(episode_id, session_id, session number, alliance, tension, resolved, talked, id)``.

    The ORM twin: ``CheckIn.objects.filter(episode_id__in=ids).order_by("episode_id",
    "session__number").values_list("episode_id", "session_id", "session__number", "alliance",
    "tension", "resolved", "talked", "id")``.
    """
    params = _ids(CheckIn, "episode", episode_ids)
    c, s = _table(CheckIn), _table(Session)
    episode, session = _column(CheckIn, "episode"), _column(CheckIn, "session")
    columns = ", ".join(
        [
            f"{c}.{episode}",
            f"{c}.{session}",
            f"{s}.{_column(Session, 'number')}",
            *(f"{c}.{_column(CheckIn, name)}" for name in ("alliance", "tension", "resolved")),
            f"{c}.{_column(CheckIn, 'talked')}",
            f"{c}.{_column(CheckIn, 'id')}",
        ]
    )
    marks = ", ".join(["%s"] * len(params))
    sql = (
        f"SELECT {columns} FROM {c} INNER JOIN {s} ON {c}.{session} = {s}.{_column(Session, 'id')}"  # noqa: S608 - names from _meta, values are parameters
        f" WHERE {c}.{episode} IN ({marks})"
        f" ORDER BY {c}.{episode} ASC, {s}.{_column(Session, 'number')} ASC"
    )
    return _fetch(sql, params)


def alert_signals(episode_ids: Sequence[Any]) -> list[tuple[Any, ...]]:
    """``(episode_id, session_id, signals)`` of every session's alert of these episodes.

    ``signals`` is JSON text on SQLite, already parsed on PostgreSQL. The ORM twin:
    ``Alert.objects.filter(episode_id__in=ids, session__isnull=False).values_list("episode_id",
    "session_id", "signals")``.
    """
    params = _ids(Alert, "episode", episode_ids)
    a = _table(Alert)
    episode, session = _column(Alert, "episode"), _column(Alert, "session")
    marks = ", ".join(["%s"] * len(params))
    sql = (
        f"SELECT {a}.{episode}, {a}.{session}, {a}.{_column(Alert, 'signals')} FROM {a}"  # noqa: S608 - names from _meta, values are parameters
        f" WHERE {a}.{episode} IN ({marks}) AND {a}.{session} IS NOT NULL"
    )
    return _fetch(sql, params)


# --- the check-in pages' session --------------------------------------------------------------
#
# Every check-in page (the form, its post, the thanks page) starts with the client's session,
# its check-in if any, its episode, the therapist and the clinic: a four-join query that Django
# spends about 1 ms building and compiling each time and the database 0.1 ms running (on the
# machine of docs/performance.md). Written once here, with each value converted by the field's
# own public conversion (``to_python``, ``from_db_value``), as the ORM's rows would be.


def _convert(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None:
        return None
    if field.is_relation:  # a foreign key holds its target's value (a UUID here)
        field = field.target_field  # type: ignore[attr-defined]
    if hasattr(field, "from_db_value"):
        return field.from_db_value(value, None, connection)
    if isinstance(field, models.DateTimeField):
        if isinstance(value, str):
            from django.utils.dateparse import parse_datetime

            value = parse_datetime(value)
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value, UTC)
        return value
    if isinstance(field, models.UUIDField | models.DateField | models.BooleanField):
        return field.to_python(value)
    return value


def _part(model: type[models.Model], alias: str) -> tuple[list[str], list[models.Field[Any, Any]]]:
    fields = list(model._meta.concrete_fields)
    return [f'{alias}."{f.column}"' for f in fields], fields


def _instance(model: type[Any], fields: list[models.Field[Any, Any]], values: Sequence[Any]) -> Any:
    converted = [_convert(f, v) for f, v in zip(fields, values, strict=True)]
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def client_session(
    client_id: uuid.UUID, clinic_id: uuid.UUID, session_id: uuid.UUID
) -> Session | None:
    """The client's own session ``session_id`` in their own clinic, or None, with its check-in
    (or none, in ``known_checkin`` as well), episode, therapist and clinic attached, and
    ``has_open_rupture``; the episode's client is left to the caller.

    The ORM twin (``alliance.access.get_session_for_checkin``)::

        Session.objects.select_related("checkin", "episode__therapist", "episode__clinic").get(
            id=session_id, episode__client_id=client_id, episode__clinic_id=clinic_id)
    """
    from alliance.people.models import CareEpisode, Clinic, User

    parts = [
        _part(Session, "s"),
        _part(CheckIn, "c"),
        _part(CareEpisode, "e"),
        _part(User, "t"),
        _part(Clinic, "k"),
    ]
    columns = ", ".join(column for names, _ in parts for column in names)
    # ``checkin_context``'s question, asked in the same query: is an earlier client-reported
    # rupture of the episode still open (``checkins.services.open_ruptures_before``)?
    a = _table(Alert)
    states = ", ".join(["%s"] * len(ACTIVE_STATES))
    exists = (
        f"EXISTS (SELECT 1 FROM {a} a INNER JOIN {_table(Session)} p"  # noqa: S608 - _meta
        f" ON a.{_column(Alert, 'session')} = p.{_column(Session, 'id')}"
        f" WHERE a.{_column(Alert, 'episode')} = s.{_column(Session, 'episode')}"
        f" AND a.{_column(Alert, 'client_reported')} AND a.{_column(Alert, 'category')} = %s"
        f" AND a.{_column(Alert, 'state')} IN ({states})"
        f" AND p.{_column(Session, 'number')} < s.{_column(Session, 'number')})"
    )
    e_id, e_client, e_clinic = (
        _column(CareEpisode, "id"),
        _column(CareEpisode, "client"),
        _column(CareEpisode, "clinic"),
    )
    sql = (
        f"SELECT {columns}, {exists} FROM {_table(Session)} s"  # noqa: S608 - names from _meta
        f" INNER JOIN {_table(CareEpisode)} e ON s.{_column(Session, 'episode')} = e.{e_id}"
        f" INNER JOIN {_table(User)} t ON e.{_column(CareEpisode, 'therapist')} ="
        f" t.{_column(User, 'id')}"
        f" INNER JOIN {_table(Clinic)} k ON e.{e_clinic} = k.{_column(Clinic, 'id')}"
        f" LEFT OUTER JOIN {_table(CheckIn)} c ON c.{_column(CheckIn, 'session')} ="
        f" s.{_column(Session, 'id')}"
        f" WHERE s.{_column(Session, 'id')} = %s AND e.{e_client} = %s AND e.{e_clinic} = %s"
    )
    params = [
        AlertCategory.RUPTURE.value,
        *(str(state) for state in ACTIVE_STATES),
        _ids(Session, "id", [session_id])[0],
        _ids(CareEpisode, "client", [client_id])[0],
        _ids(CareEpisode, "clinic", [clinic_id])[0],
    ]
    rows = _fetch(sql, params)
    if not rows:
        return None
    row = rows[0]
    values: list[Sequence[Any]] = []
    start = 0
    for names, _ in parts:
        values.append(row[start : start + len(names)])
        start += len(names)
    (_, s_fields), (_, c_fields), (_, e_fields), (_, t_fields), (_, k_fields) = parts
    session: Session = _instance(Session, s_fields, values[0])
    session.has_open_rupture = bool(row[-1])  # type: ignore[attr-defined]
    episode = _instance(CareEpisode, e_fields, values[2])
    episode.therapist = _instance(User, t_fields, values[3])
    episode.clinic = _instance(Clinic, k_fields, values[4])
    session.episode = episode
    checkin = None
    if values[1][0] is not None:  # the check-in's id: there is one
        checkin = _instance(CheckIn, c_fields, values[1])
        checkin.session = session
        session.checkin = checkin
    # Said in so many words, the answer included when it is "none": asking the reverse
    # relation of a session without a check-in would query again (``checkin_of``).
    session.known_checkin = checkin  # type: ignore[attr-defined]
    return session


# --- the follow-up question's moment -----------------------------------------------------------
#
# A check-in page whose client has an open client-reported rupture asks about one of them, on
# the form and again when it is sent: the alert with its session and check-in, three joins and
# an ordering with NULLS FIRST that the ORM spends about as long building as the page's
# session lookup.


def followup_alert(episode_id: uuid.UUID, number: int) -> Alert | None:
    """The rupture ``checkins.services.followup_alert_for`` names, with its session and its
    check-in (or none) attached.

    The ORM twin::

        open_ruptures_before(episode_id, number).select_related("session", "checkin")
        .order_by(F("client_followup_at").asc(nulls_first=True), "session__number").first()
    """
    parts = [_part(Alert, "a"), _part(Session, "p"), _part(CheckIn, "c")]
    columns = ", ".join(column for names, _ in parts for column in names)
    states = ", ".join(["%s"] * len(ACTIVE_STATES))
    followup_at = f"a.{_column(Alert, 'client_followup_at')}"
    number_column = f"p.{_column(Session, 'number')}"
    sql = (
        f"SELECT {columns} FROM {_table(Alert)} a"  # noqa: S608 - names from _meta
        f" INNER JOIN {_table(Session)} p ON a.{_column(Alert, 'session')} ="
        f" p.{_column(Session, 'id')}"
        f" LEFT OUTER JOIN {_table(CheckIn)} c ON a.{_column(Alert, 'checkin')} ="
        f" c.{_column(CheckIn, 'id')}"
        f" WHERE a.{_column(Alert, 'episode')} = %s AND a.{_column(Alert, 'client_reported')}"
        f" AND a.{_column(Alert, 'category')} = %s AND a.{_column(Alert, 'state')} IN ({states})"
        f" AND {number_column} < %s"
        # NULLS FIRST in words both databases read: the unanswered ones, then by answer time.
        f" ORDER BY CASE WHEN {followup_at} IS NULL THEN 0 ELSE 1 END, {followup_at},"
        f" {number_column} LIMIT 1"
    )
    params = [
        _ids(Alert, "episode", [episode_id])[0],
        AlertCategory.RUPTURE.value,
        *(str(state) for state in ACTIVE_STATES),
        number,
    ]
    rows = _fetch(sql, params)
    if not rows:
        return None
    row = rows[0]
    (a_names, a_fields), (p_names, p_fields), (_, c_fields) = parts
    alert: Alert = _instance(Alert, a_fields, row[: len(a_names)])
    start = len(a_names)
    alert.session = _instance(Session, p_fields, row[start : start + len(p_names)])
    start += len(p_names)
    checkin_values = row[start:]
    if checkin_values[0] is not None:
        alert.checkin = _instance(CheckIn, c_fields, checkin_values)
    else:
        alert.checkin = None
    return alert


# --- audit rows ---------------------------------------------------------------------------------
#
# Every page writes audit rows (one per record it shows), and every check-in three more. Through
# ``bulk_create`` each row is a model instance and the insert is compiled anew, which cost a
# quarter of a check-in's time on the server; here the rows go in as plain values, each
# converted by its field's own ``get_db_prep_save``, in one multi-row INSERT per batch.

AUDIT_BATCH = 500  # rows per INSERT: 11 values each, well under both databases' limits


def audit_insert(rows: Sequence[dict[str, Any]]) -> int:
    """Insert audit rows given as ``{attribute name: value}`` (every concrete field but ``id``);
    returns how many. The log is append-only: this is the only statement it gets.

    The ORM twin: ``AuditEvent.objects.bulk_create([AuditEvent(**row) for row in rows])``.
    """
    from alliance.audit.models import AuditEvent

    if not rows:
        return 0
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    names = [f.attname for f in fields]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), AUDIT_BATCH):
            batch = rows[start : start + AUDIT_BATCH]
            params = [
                field.get_db_prep_save(row[name], connection)
                for row in batch
                for field, name in zip(fields, names, strict=True)
            ]
            cursor.execute(
                f"INSERT INTO {_table(AuditEvent)} ({columns}) VALUES "  # noqa: S608 - _meta names
                + ", ".join([one] * len(batch)),
                params,
            )
    return len(rows)
