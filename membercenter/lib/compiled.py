"""A read-only ORM query compiled to SQL once per database connection, then run with new numbers.

    HISTORY = CompiledQuery(
        "claims-history",
        lambda member: Claim.objects.filter(member=member).values_list("pk", "status", …).order_by(…),
    )
    rows = HISTORY.rows(member=request.user.pk)

    PRODUCTS = CompiledQuery(
        "my-products", lambda member: RegisteredProduct.objects.filter(member=member).select_related(…).only(…)
    )
    products = PRODUCTS.objects(member=request.user.pk)

A member page asks the same question on every request with a different member: Django builds the
query, resolves every joined field and writes the SQL again each time, which for a page's
few rows costs several times more CPU than PostgreSQL's answer (docs/performance.md). Here the
queryset is written with the ORM as usual — names, joins, `.only()`, `select_related()` and
the database's dialect stay Django's — built once with a stand-in integer for each parameter
and compiled once per connection. Each request then sends that SQL with its own numbers, and
Django's own compiler reads the rows back: its converters (dates and times made aware, booleans
on SQLite…) and, for `objects()`, its model and related-object builders, as a queryset would.

Limits, checked when the query is first compiled: parameters are integers (primary keys: a
stand-in that is not an integer could be turned into another value by the field), each
stand-in must reach the SQL unchanged; `rows()` takes a `values_list()` queryset (tuples, in the
order its fields are named), `objects()` a queryset of model instances without
`prefetch_related()` (a prefetch is a second query, which this does not run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.db.models.sql.compiler import SQLCompiler

# Stand-ins for the parameters while compiling: only their place in the SQL is kept. Within a
# 32-bit column's range (Django turns a lookup beyond a field's range into an empty result), and
# unlike any constant a query of ours holds.
_STAND_IN_BASE = 2_147_000_000


@dataclass(frozen=True)
class _Slot:
    name: str


@dataclass(frozen=True)
class _Compiled:
    compiler: SQLCompiler  # after as_sql(): what was selected, and how rows become values and objects
    sql: str
    params: tuple[Any, ...]  # each a constant, or a _Slot naming the caller's parameter
    model: type[Model] | None  # objects(): the queryset's model and how a row becomes one
    init: tuple[list[str], int, int] = ([], 0, 0)  # its fields' attribute names, their columns
    populators: tuple[Any, ...] = ()  # select_related(): Django's builders of the joined objects


class CompiledQuery:
    """One query shape; `rows(**numbers)` or `objects(**numbers)` runs it.

    Thread-safe: each connection (one per thread) compiles its own, kept on the connection
    object (it goes when the connection object goes), and reads through its own.
    """

    def __init__(self, name: str, build: Callable[..., QuerySet[Any]]) -> None:
        self.name = name
        self.build = build

    def rows(self, **numbers: int) -> list[tuple[Any, ...]]:
        """The rows of a `values_list()` query, converted as Django converts them."""
        compiled, fetched = self._run(numbers, objects=False)
        return cast(list[tuple[Any, ...]], list(compiled.compiler.results_iter(results=[fetched], tuple_expected=True)))

    def objects(self, **numbers: int) -> list[Any]:
        """The model instances of the query, with their `select_related()` objects, as the ORM builds them."""
        compiled, fetched = self._run(numbers, objects=True)
        assert compiled.model is not None  # noqa: S101 — _compile() checked
        attnames, start, end = compiled.init
        db = compiled.compiler.connection.alias
        found = []
        for row in compiled.compiler.results_iter(results=[fetched]):
            obj = compiled.model.from_db(db, attnames, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def _run(self, numbers: dict[str, int], *, objects: bool) -> tuple[_Compiled, list[Any]]:
        connection = connections[DEFAULT_DB_ALIAS]
        compiled = _kept(connection).get(self)
        if compiled is None:
            compiled = self._compile(connection, sorted(numbers), objects=objects)
        elif (compiled.model is not None) != objects:
            raise TypeError(f"{self.name}: compiled for {'objects' if compiled.model else 'rows'}()")
        values = [numbers[p.name] if isinstance(p, _Slot) else p for p in compiled.params]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, values)
            return compiled, cursor.fetchall()

    def _compile(self, connection: BaseDatabaseWrapper, names: list[str], *, objects: bool) -> _Compiled:
        stand_ins = {name: _STAND_IN_BASE + i for i, name in enumerate(names)}
        queryset = self.build(**stand_ins)
        wanted = ModelIterable if objects else ValuesListIterable
        if queryset._iterable_class is not wanted:
            kind = "a queryset of model instances" if objects else "a values_list() queryset"
            raise TypeError(f"{self.name}: {kind}, not {queryset._iterable_class.__name__}")
        if getattr(queryset, "_prefetch_related_lookups", ()):
            raise TypeError(f"{self.name}: prefetch_related() is a second query; not compiled here")
        query = queryset.query
        if getattr(queryset, "_known_related_objects", {}) or query.annotation_select or query.extra_select:
            raise TypeError(f"{self.name}: annotations, extra() and a related manager's objects are not read back here")
        if query.combinator or query.distinct:
            # Columns the database needs (DISTINCT's ordering) or a combined query's are read differently.
            raise TypeError(f"{self.name}: union() and distinct() are not read back here")
        if queryset.db != connection.alias:
            raise TypeError(f"{self.name}: the queryset reads {queryset.db!r}, not {connection.alias!r}")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, raw_params = compiler.as_sql()
        by_value = {value: name for name, value in stand_ins.items()}
        params = tuple(_Slot(by_value[p]) if isinstance(p, int) and p in by_value else p for p in raw_params)
        found = {p.name for p in params if isinstance(p, _Slot)}
        if found != set(names):
            raise TypeError(f"{self.name}: parameters {sorted(set(names) - found)} do not reach the SQL unchanged")
        if objects:
            # As django.db.models.query.ModelIterable reads a row.
            info = compiler.klass_info
            assert info is not None  # noqa: S101 — a model queryset always has one
            fields = info["select_fields"]
            start, end = fields[0], fields[-1] + 1
            attnames = [column[0].target.attname for column in compiler.select[start:end]]
            compiled = _Compiled(
                compiler=compiler,
                sql=sql,
                params=params,
                model=info["model"],
                init=(attnames, start, end),
                # Django 5.2's signature (django-stubs describe a later one, with a fetch mode).
                populators=tuple(get_related_populators(info, compiler.select, connection.alias)),  # type: ignore[call-arg]
            )
        else:
            compiled = _Compiled(compiler=compiler, sql=sql, params=params, model=None)
        _kept(connection)[self] = compiled
        return compiled


def _kept(connection: BaseDatabaseWrapper) -> dict[CompiledQuery, _Compiled]:
    """The queries compiled for this connection (a connection object belongs to one thread)."""
    kept: dict[CompiledQuery, _Compiled] = connection.__dict__.setdefault("_membercenter_compiled", {})
    return kept
