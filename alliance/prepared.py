"""Querysets compiled to SQL once, then run many times with new values.

Django builds and compiles the SQL of every queryset on every evaluation. For the few queries on
a client's busiest path (opening and sending a check-in or a diary card) that costs far more than
running the query: the check-in page's session lookup takes 1.09 ms through the ORM, 0.13 ms
prepared, 0.07 ms for the SQL alone on SQLite (``python benchmarks/prepared.py``). A ``Prepared``
query keeps the compiled SQL and swaps in each call's values.

How it stays correct:

- The queryset is written once, as ordinary ORM code, in a function of the values that change
  (``build``). It is compiled with *sentinel* values: random UUIDs or integers that cannot occur
  among the query's own constants. Each sentinel must show up among the SQL parameters (as
  itself, or as its ``hex`` for a UUID on SQLite); a value that does not, or a sentinel that
  lands in the SQL text, fails loudly the first time the query runs.
- Each call binds its values at the positions the sentinels took, encoded the same way, and rows
  become model instances (``select_related`` included) through the compiler's own converters
  and Django's related-object populators, exactly as ``QuerySet.__iter__`` does.
- The compiled state is kept per thread (each thread has its own database connection) and is
  compiled again if the connection object changes.
- Only what the SQL shape does not depend on may vary: single UUID, string, integer or date
  values, not lists (an ``IN`` list's length changes the SQL), not ``None``.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import (  # type: ignore[attr-defined, unused-ignore]
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.transaction import TransactionManagementError

# What a call returns a list of: the model, or a values_list() row.
R = TypeVar("R")

# Django 5.2's (klass_info, select, db); typed loosely because django-stubs follow a later one.
_related_populators: Callable[..., list[Any]] = get_related_populators

_SAME, _HEX, _ISO = "same", "hex", "iso"


@dataclass
class _Compiled:
    alias: str
    connection: Any
    for_update: bool
    models: bool  # model instances, or (``values_list``) tuples
    compiler: Any
    sql: str
    params: list[Any]
    bindings: list[tuple[int, int, str]]  # (parameter position, argument index, encoding)
    init_list: list[str]
    model_slice: slice
    populators: list[Any]
    annotations: dict[str, int]
    converters: dict[int, Any]


def _sentinel(kind: type) -> Any:
    if kind is uuid.UUID:
        return uuid.uuid4()
    if kind is date:
        # A random day in the 29th century: no real record is dated then.
        return date(2800, 1, 1) + timedelta(days=random.SystemRandom().randrange(36_000))
    if kind is str:
        return f"prepared-sentinel-{uuid.uuid4().hex}"
    if kind is int:
        # Large and random, but inside a 32-bit integer column's range (PostgreSQL's integer
        # lookups turn an out-of-range value into "matches nothing" without a parameter).
        return random.SystemRandom().randrange(1_000_000_007, 2_000_000_000)
    raise TypeError(f"Prepared queries take UUID, str, int or date values, not {kind.__name__}")


class Prepared(Generic[R]):
    """``build(*values)`` returns a queryset; ``fetch(*values)`` runs its SQL compiled once.

    ``fetch`` returns model instances, or tuples when the queryset is a ``values_list()``.
    """

    def __init__(self, build: Callable[..., QuerySet[Any, R]], *kinds: type) -> None:
        self.build = build
        self.kinds = kinds
        for kind in kinds:
            _sentinel(kind)  # refuse an unsupported kind at import time
        self._local = threading.local()

    def fetch(self, *values: Any) -> list[R]:
        if len(values) != len(self.kinds):
            raise TypeError(f"expected {len(self.kinds)} values, got {len(values)}")
        bound = [self._coerce(kind, value) for kind, value in zip(self.kinds, values, strict=True)]
        compiled = self._compiled()
        if compiled.for_update and compiled.connection.get_autocommit():
            # Django's own check (which it makes only where FOR UPDATE exists; here always).
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for position, index, encoding in compiled.bindings:
            value = bound[index]
            if encoding == _HEX:
                value = value.hex
            elif encoding == _ISO:
                value = value.isoformat()
            wrapper = type(compiled.params[position])
            params[position] = value if type(value) is wrapper else wrapper(value)
        with compiled.connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        compiler = compiled.compiler
        if compiled.converters:
            rows = list(compiler.apply_converters(rows, compiled.converters))
        if not compiled.models:
            width = compiler.col_count
            return [tuple(row[:width]) for row in rows]  # type: ignore[misc]
        db = compiled.connection.alias
        objects = []
        for row in rows:
            obj = compiler.query.model.from_db(db, compiled.init_list, row[compiled.model_slice])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    def first(self, *values: Any) -> R | None:
        found = self.fetch(*values)
        return found[0] if found else None

    @staticmethod
    def _coerce(kind: type, value: Any) -> Any:
        if kind is uuid.UUID:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        if kind is str:
            if not isinstance(value, str):
                raise TypeError(f"expected a string, got {value!r}")
            return value
        if kind is date:
            if isinstance(value, datetime) or not isinstance(value, date):
                raise TypeError(f"expected a date, got {value!r}")
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an int, got {value!r}")
        return value

    def _compiled(self) -> _Compiled:
        compiled: _Compiled | None = getattr(self._local, "compiled", None)
        if compiled is not None and compiled.connection is connections[compiled.alias]:
            return compiled
        compiled = self._compile()
        self._local.compiled = compiled
        return compiled

    def _compile(self) -> _Compiled:
        sentinels = [_sentinel(kind) for kind in self.kinds]
        queryset = self.build(*sentinels)
        models = queryset._iterable_class is ModelIterable
        if not models and queryset._iterable_class is not ValuesListIterable:
            raise ImproperlyConfigured(
                "Prepared queries return model instances or values_list() tuples "
                "(not values(), flat or named lists)."
            )
        if not models and (queryset.query.annotation_select or queryset.query.extra_select):
            raise ImproperlyConfigured("A prepared values_list() query takes fields only.")
        private: Any = queryset  # QuerySet internals the stubs do not describe
        if private._prefetch_related_lookups or private._known_related_objects:
            raise ImproperlyConfigured("Prepared queries cannot prefetch or use related managers.")
        alias = queryset.db
        connection = connections[alias]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        bindings: list[tuple[int, int, str]] = []
        for index, sentinel in enumerate(sentinels):
            encodings = [(sentinel, _SAME)]
            if isinstance(sentinel, uuid.UUID):
                encodings.append((sentinel.hex, _HEX))
            elif isinstance(sentinel, date):
                encodings.append((sentinel.isoformat(), _ISO))
            # PostgreSQL's driver wraps integers (psycopg's Int4 is an int): match subclasses,
            # and bind each call's value in the same wrapper.
            found = [
                (position, index, encoding)
                for position, param in enumerate(params)
                for value, encoding in encodings
                if isinstance(param, type(value)) and param == value
            ]
            if not found:
                raise ImproperlyConfigured(
                    f"value {index + 1} of a prepared {queryset.model.__name__} query is not a "
                    "query parameter (it may be part of the SQL text or unused)"
                )
            bindings.extend(found)
        leaked = [
            s for s in sentinels if str(s) in sql or (isinstance(s, uuid.UUID) and s.hex in sql)
        ]
        if leaked:
            raise ImproperlyConfigured("a prepared query put a value into its SQL text")
        select = compiler.select
        fields = [s[0] for s in select[0 : compiler.col_count]]
        klass_info = compiler.klass_info if models else None
        if klass_info is not None:
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        else:
            start = end = 0
        return _Compiled(
            alias=alias,
            connection=connection,
            for_update=bool(queryset.query.select_for_update),
            models=models,
            compiler=compiler,
            sql=sql,
            params=params,
            bindings=bindings,
            init_list=[f[0].target.attname for f in select[start:end]],
            model_slice=slice(start, end),
            populators=_related_populators(klass_info, select, alias) if klass_info else [],
            annotations=dict(compiler.annotation_col_map),
            converters=compiler.get_converters(fields),
        )
