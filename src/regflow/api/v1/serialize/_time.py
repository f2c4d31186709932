"""How the native API writes time."""

from __future__ import annotations

from datetime import datetime


def timestamp(value: datetime) -> str:
    """``2026-01-05T09:00:00Z``: UTC, as every native answer writes time."""
    return value.isoformat().replace("+00:00", "Z")


def optional_timestamp(value: datetime | None) -> str | None:
    return timestamp(value) if value is not None else None
