"""The hot statements, run from their compiled SQL: compiled once, then straight to the cursor.

``Connection.execute`` looks a statement up in the compiled cache by its cache key,
builds an execution context, processes every parameter by name, sets up a result
and its metadata, and dispatches events: several times what SQLite takes to run a
regflow statement. The statements of the hot paths are module constants, so their
SQL, the order of their parameters and the processing of each value and column can
be worked out once per statement, dialect and set of parameter names (an ``INSERT``
or ``UPDATE`` whose values come from the parameters' keys compiles to what they
name). :func:`run` then hands the SQL to the connection's own ``run_compiled``
(``sqlite_inline.DirectConnection``) or to asyncpg's (``asyncpg_direct``): the
``before_cursor_execute`` and ``after_cursor_execute`` events (the statements
counted), echo and the translation of errors (``IntegrityError``,
``OperationalError``, a lost connection...) are those of any statement.

A statement this cannot run the same way (a Python-side default, an expanding
``IN``, an escaped name...), or on a connection of another kind, goes through
``execute`` as before: :func:`run` answers alike either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from operator import itemgetter
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.sqltypes import NullType

from regflow.persistence import asyncpg_direct, sqlite_inline

# column types whose values are read alike whatever the driver says of the column (a
# numeric's, a range's or an array's processing depends on the type the driver reports)
_READ = (
    sqltypes.String,
    sqltypes.Integer,
    sqltypes.Boolean,
    sqltypes.JSON,
    sqltypes.DateTime,
    sqltypes._Binary,
)
MAX_PLANS = 512  # statements are module constants: more means one is built per call

Row = dict[str, Any]
_Processor = Callable[[Any], Any]


class Fetched:
    """The rows of a statement as dicts by column (or label) name, and its row count."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> Row | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None."""
        return next(iter(self.rows[0].values())) if self.rows else None


# runs compiled SQL with positional parameters (and whether it returns rows): the rows as
# the driver returns them, and the row count
Runner = Callable[[str, Sequence[Any], bool], Awaitable[tuple[list[Any], int]]]


class Plan:
    """One statement's SQL, how to build its parameters, and how to read its rows."""

    __slots__ = (
        "binds",
        "defaults",
        "dml",
        "get",
        "keys",
        "params",
        "processors",
        "renamed",
        "sql",
        "statement",
    )

    def __init__(self, statement: Executable, compiled: SQLCompiler) -> None:
        self.statement = statement  # held: the cache is keyed by its id
        self.sql: str = compiled.string
        self.dml = bool(compiled.isinsert or compiled.isupdate or compiled.isdelete)
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        processors = compiled._bind_processors
        # (key, name, required, default) per position, and the values' processing
        self.binds: list[tuple[str, str, bool, Any]] = []
        self.params: list[tuple[int, _Processor]] = []
        for i, name in enumerate(compiled.positiontup or ()):
            bind = by_name[name]
            self.binds.append((bind.key, name, bind.required, bind.value))
            process = processors.get(name)
            if process is not None:
                assert callable(process)  # noqa: S101 - no tuple types here
                self.params.append((i, process))
        # the common case in one step: every value by its key, literals by default
        self.defaults = {key: value for key, _, required, value in self.binds if not required}
        keys = [key for key, *_ in self.binds]
        # a literal's own name (``coalesce_1``) given as a parameter: taken by name, as
        # SQLAlchemy does
        self.renamed = [n for k, n, required, _ in self.binds if k != n and not required]
        exact = all(k == n for k, n, required, _ in self.binds if required)
        self.get: Callable[[Mapping[str, Any]], Any] | None = (
            itemgetter(*keys) if keys and exact else None
        )
        columns = compiled._result_columns
        self.keys: list[str] = [c.keyname for c in columns]
        dialect = compiled.dialect
        self.processors: list[tuple[int, _Processor]] = []
        for i, column in enumerate(columns):
            result = column.type._cached_result_processor(dialect, None)
            if result is not None:
                self.processors.append((i, result))

    def parameters(self, params: Mapping[str, Any]) -> list[Any]:
        get = self.get
        if get is None or any(name in params for name in self.renamed):
            values = self._values(params)
        else:
            try:
                found = get({**self.defaults, **params} if self.defaults else params)
            except KeyError:  # a value missing, or given by name only
                values = self._values(params)
            else:
                values = list(found) if len(self.binds) > 1 else [found]
        for i, process in self.params:
            values[i] = process(values[i])
        return values

    def _values(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for key, name, required, default in self.binds:
            if key in params:
                values.append(params[key])
            elif name in params:
                values.append(params[name])
            elif required:
                raise exc.InvalidRequestError(f"A value is required for bind parameter {key!r}")
            else:
                values.append(default)
        return values

    def rows(self, raw: list[Sequence[Any]]) -> list[Row]:
        keys, processors = self.keys, self.processors
        if not processors:
            return [dict(zip(keys, r, strict=True)) for r in raw]
        rows = []
        for r in raw:
            values = list(r)
            for i, process in processors:
                values[i] = process(values[i])
            rows.append(dict(zip(keys, values, strict=True)))
        return rows


def plan(statement: Executable, dialect: Dialect, keys: Sequence[str]) -> Plan | None:
    """The plan of ``statement`` with parameters named ``keys``, or None: not runnable here."""
    if not isinstance(statement, ClauseElement):
        return None
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))
    if not isinstance(compiled, SQLCompiler) or compiled.positiontup is None:
        return None
    columns = compiled._result_columns
    if (
        compiled.escaped_bind_names
        or compiled._render_postcompile
        or compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or getattr(compiled, "_collected_params", None)  # values given by .params()
        or any(b.expanding or b.callable or b.type._is_tuple_type for b in compiled.bind_names)
        or not all(issubclass(c.type._type_affinity or NullType, _READ) for c in columns)
        or len({c.keyname for c in columns}) != len(columns)  # rows are dicts by name
    ):
        return None
    return Plan(statement, compiled)


# by dialect class: regflow configures every engine of a dialect alike (no serializer of
# its own), so their SQL and processing are the same
_PLANS: dict[tuple[int, type[Dialect], tuple[str, ...]], Plan | Executable] = {}


async def run(conn: AsyncConnection, statement: Executable, params: Mapping[str, Any]) -> Fetched:
    """``statement`` (a module constant) with ``params``: its rows and row count."""
    dialect = conn.dialect
    if isinstance(conn, sqlite_inline.DirectConnection):
        runner: Runner = conn.run_compiled
    elif dialect.driver == "asyncpg" and asyncpg_direct.usable(conn):
        runner = partial(asyncpg_direct.run_compiled, conn)
    else:
        return await _executed(conn, statement, params)
    key = (id(statement), type(dialect), tuple(params))
    found = _PLANS.get(key)
    if found is None:
        found = plan(statement, dialect, key[2]) or statement
        if len(_PLANS) < MAX_PLANS:
            _PLANS[key] = found
    if not isinstance(found, Plan):
        return await _executed(conn, statement, params)
    raw, count = await runner(found.sql, found.parameters(params), bool(found.keys))
    rows = found.rows(raw) if raw else []
    return Fetched(rows, len(rows) if found.dml and found.keys else count)


async def _executed(
    conn: AsyncConnection, statement: Executable, params: Mapping[str, Any]
) -> Fetched:
    result = await conn.execute(statement, dict(params))
    rows = [dict(r._mapping) for r in result] if result.returns_rows else []
    return Fetched(rows, result.rowcount)
