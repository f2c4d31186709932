"""Translate database integrity errors into the error tree."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from regflow.errors import UniqueViolation


def unique_violation(error: IntegrityError, fields: tuple[str, ...]) -> UniqueViolation | None:
    """Which of ``fields`` a uniqueness failure names (each database words it differently)."""
    text = str(error.orig).lower()
    if "unique" not in text and "duplicate" not in text:
        return None
    for field in fields:
        if f"_{field}" in text or f".{field}" in text or f"key ({field})" in text:
            return UniqueViolation(field)
    if "id" in fields and "pk_" in text:  # PostgreSQL names the primary key constraint
        return UniqueViolation("id")
    return UniqueViolation(fields[0]) if len(fields) == 1 else None
