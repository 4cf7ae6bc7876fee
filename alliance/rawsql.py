"""The only queries written as SQL: where Django's per-value conversion costs more than the query.

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

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

from alliance.checkins.models import CheckIn
from alliance.people.models import Session
from alliance.ruptures.models import Alert


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
