"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator

# instants the SQLite fast path must write exactly as the dialect's own processor does
_SAMPLES = (
    datetime(2026, 1, 2, 3, 4, 5, 60708, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite stores them naive, PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        utc: datetime = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the stored text in one step (a few binds per statement); the same text.

        The dialect's own chain converts to naive UTC, then formats through a dict; the
        fast path formats at once, and is used only when it writes the samples exactly
        as that chain does (another storage format keeps the chain).
        """
        chain = super().bind_processor(dialect)
        if dialect.name != "sqlite" or chain is None:
            return chain
        fast = _sqlite_text
        if any(fast(sample) != chain(sample) for sample in _SAMPLES):
            return chain
        return fast

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)  # noqa: S101 - the column holds datetimes only
        aware: datetime = value.replace(tzinfo=UTC) if value.tzinfo is None else value
        return aware.astimezone(UTC)


def _sqlite_text(value: Any) -> str | None:
    """``value`` as SQLite's ``DATETIME`` stores it: naive UTC, microseconds always written."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    if type(value) is datetime and value.tzinfo is UTC:  # the common case: C's own text
        text: str = value.isoformat(" ")[:-6]  # without its "+00:00"
        return text if value.microsecond else text + ".000000"
    u = value.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d} "
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}"
    )
