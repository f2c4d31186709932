"""UTCDateTime's SQLite bind text: the same as SQLAlchemy's own processing, faster."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql

from regflow.persistence.sqlite_inline import InlineDialect
from regflow.persistence.types import UTCDateTime, _sqlite_text


def _chain(value: Any) -> Any:
    """What the dialect's own processors make of ``value`` (the slow, reference path)."""
    dialect = InlineDialect()
    naive = UTCDateTime().process_bind_param(value, dialect)
    process = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    return process(naive)


def _values() -> list[datetime]:
    rng = random.Random(15)
    start = datetime(1, 1, 2, tzinfo=UTC)
    span = (datetime(9999, 12, 30, tzinfo=UTC) - start).total_seconds()
    found = [datetime.now(UTC), datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)]
    for _ in range(2000):
        moment = start + timedelta(seconds=rng.uniform(0, span))
        if rng.random() < 0.3:
            moment = moment.replace(microsecond=0)
        offset = timezone(timedelta(minutes=rng.choice([0, 60, -330, 845])))
        found.append(moment if rng.random() < 0.5 else moment.astimezone(offset))
    return found


def test_sqlite_uses_the_fast_text() -> None:
    assert UTCDateTime()._cached_bind_processor(InlineDialect()) is _sqlite_text


@pytest.mark.parametrize("value", _values()[:5])
def test_a_few_examples_match(value: datetime) -> None:
    assert _sqlite_text(value) == _chain(value)


def test_the_same_text_as_sqlalchemy_for_any_instant() -> None:
    for value in _values():
        assert _sqlite_text(value) == _chain(value), value


def test_none_and_naive_values_as_before() -> None:
    assert _sqlite_text(None) is None
    with pytest.raises(ValueError, match="naive datetimes are not stored"):
        _sqlite_text(datetime(2026, 1, 1))  # noqa: DTZ001 - the refused value
    with pytest.raises(ValueError, match="naive datetimes are not stored"):
        _sqlite_text("2026-01-01")


def test_postgresql_keeps_sqlalchemys_processing() -> None:
    dialect = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
    assert UTCDateTime()._cached_bind_processor(dialect) is not _sqlite_text
