"""A read-only ORM query compiled to SQL once per database connection, then run with new numbers.

    HISTORY = CompiledQuery(
        "claims-history",
        lambda member: Claim.objects.filter(member=member).values_list("pk", "status", …).order_by(…),
    )
    rows = HISTORY.rows(member=request.user.pk)

A member page asks the same question on every request with a different member: Django builds the
query, resolves every joined field and writes the SQL again each time, which for a page's
few rows costs ten times more CPU than PostgreSQL's answer (docs/performance.md). Here the
queryset is written with the ORM as usual — names, joins and the database's dialect stay
Django's — built once with a stand-in integer for each parameter, and compiled once per
connection; each request then sends that SQL with its own numbers and reads the rows through
the same converters Django applies (dates and times made aware, booleans on SQLite…).

Limits, checked when the query is first compiled: parameters are integers (primary keys: a
stand-in that is not an integer could be turned into another value by the field), each
stand-in must reach the SQL unchanged, and the queryset must be a `values_list()` (rows as
tuples, in the order its fields are named).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

# Stand-ins no primary key reaches (a bigint column holds them; no table of ours counts so high).
_STAND_IN_BASE = 8_765_432_100_000_000_000


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # each a constant, or a _Slot naming the caller's parameter
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]  # (column, converters, expression)


@dataclass(frozen=True)
class _Slot:
    name: str


class CompiledQuery:
    """One query shape; `rows(**numbers)` runs it. Thread-safe: each connection compiles its own."""

    def __init__(self, name: str, build: Callable[..., QuerySet[Any]]) -> None:
        self.name = name
        self.build = build
        self._by_connection: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Compiled] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def rows(self, **numbers: int) -> list[tuple[Any, ...]]:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled = self._by_connection.get(connection)
        if compiled is None:
            compiled = self._compile(connection, sorted(numbers))
        values = [numbers[p.name] if isinstance(p, _Slot) else p for p in compiled.params]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, values)
            rows = cursor.fetchall()
        if not compiled.converters:
            return [tuple(row) for row in rows]
        return [_convert(row, compiled.converters, connection) for row in rows]

    def _compile(self, connection: BaseDatabaseWrapper, names: list[str]) -> _Compiled:
        stand_ins = {name: _STAND_IN_BASE + i for i, name in enumerate(names)}
        queryset = self.build(**stand_ins)
        if queryset._iterable_class is not ValuesListIterable:
            raise TypeError(f"{self.name}: a values_list() queryset, not {queryset._iterable_class.__name__}")
        if queryset.db != connection.alias:
            raise TypeError(f"{self.name}: the queryset reads {queryset.db!r}, not {connection.alias!r}")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, raw_params = compiler.as_sql()
        by_value = {value: name for name, value in stand_ins.items()}
        params = tuple(_Slot(by_value[p]) if isinstance(p, int) and p in by_value else p for p in raw_params)
        found = {p.name for p in params if isinstance(p, _Slot)}
        if found != set(names):
            raise TypeError(f"{self.name}: parameters {sorted(set(names) - found)} do not reach the SQL unchanged")
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        converters = tuple(
            (index, tuple(funcs), expression) for index, (funcs, expression) in compiler.get_converters(columns).items()
        )
        compiled = _Compiled(sql=sql, params=params, converters=converters)
        with self._lock:
            self._by_connection[connection] = compiled
        return compiled


def _convert(row: tuple[Any, ...], converters: tuple[Any, ...], connection: BaseDatabaseWrapper) -> tuple[Any, ...]:
    values = list(row)
    for index, funcs, expression in converters:
        value = values[index]
        for func in funcs:
            value = func(value, expression, connection)
        values[index] = value
    return tuple(values)
