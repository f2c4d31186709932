"""Inserts that meet a unique constraint without an error, so they need no savepoint.

A plain ``INSERT`` that hits a unique index aborts a PostgreSQL transaction, so the
repositories that turn such a hit into ``UniqueViolation`` wrapped every insert in a
savepoint: two statements more per insert (``SAVEPOINT``, ``RELEASE``) on the hot
path of completion. :func:`insert_unless_taken` writes the row or nothing (``ON
CONFLICT DO NOTHING``, on both databases); only when nothing was written does the
repository run the insert again in a savepoint, which names the field taken (or
writes the row, if the other one went away meanwhile).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from regflow.persistence.compiled import run
from regflow.persistence.errors import unique_violation


@cache
def insert_unless_taken(dialect: str, table: Table) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING`` into ``table``: ``rowcount`` is 0 when a
    unique constraint (any of them, the primary key included) already holds the value.
    Built once per table: execute it with the row's values as parameters."""
    if dialect == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing()
    raise ValueError(f"no insert-or-nothing for the {dialect!r} dialect")


async def insert_or_name_taken(
    conn: AsyncConnection,
    table: Table,
    plain: Insert,
    values: dict[str, Any],
    fields: Sequence[str],
) -> None:
    """Write ``values`` into ``table``; when one of its unique values is taken, the
    ``plain`` insert again in a savepoint raises the ``UniqueViolation`` naming which of
    ``fields`` it was (or writes the row, if the other one went away meanwhile)."""
    written = await run(conn, insert_unless_taken(conn.dialect.name, table), values)
    if written.rowcount == 1:
        return
    try:
        async with conn.begin_nested():
            await conn.execute(plain, values)
    except IntegrityError as error:
        violation = unique_violation(error, tuple(fields))
        if violation is None:
            raise
        raise violation from None
