"""registrations: reserved ids and the invitation as columns, no longer fake steps in data

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:05:00.000000

Until 0014 a registration kept the ids drawn before completion under
``data["_reserved"]`` and the invitation that started it under
``data["_invitation"]``. Upgrading moves both into their own columns and
removes the two keys from ``data``; downgrading puts them back.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RESERVED_KEY = "_reserved"
INVITATION_KEY = "_invitation"
RESERVED = {  # column -> key under data["_reserved"]
    "reserved_account_id": "account_id",
    "reserved_organization_id": "organization_id",
    "reserved_join_code": "join_code",
}
INVITATION = {  # column -> key under data["_invitation"]
    "invitation_id": "id",
    "invitation_organization_id": "organization_id",
    "invitation_role": "role",
    "invitation_email": "email",
}
COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "reserved_account_id": sa.String(36),
    "reserved_organization_id": sa.String(36),
    "reserved_join_code": sa.String(64),
    "invitation_id": sa.String(36),
    "invitation_organization_id": sa.String(36),
    "invitation_role": sa.String(16),
    "invitation_email": sa.String(320),
}


def _table() -> sa.TableClause:
    return sa.table(
        "registrations",
        sa.column("id", sa.String(36)),
        sa.column("data", sa.JSON),
        *(sa.column(name, kind) for name, kind in COLUMNS.items()),
    )


def _as_dict(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):  # a driver that hands JSON back as text
        raw = json.loads(raw)
    return dict(raw) if isinstance(raw, dict) else {}


def upgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        for name, kind in COLUMNS.items():
            batch.add_column(sa.Column(name, kind, nullable=True))
    t = _table()
    conn = op.get_bind()
    rows = conn.execute(sa.select(t.c.id, t.c.data)).all()
    for rid, raw in rows:
        data = _as_dict(raw)
        if RESERVED_KEY not in data and INVITATION_KEY not in data:
            continue
        reserved = data.pop(RESERVED_KEY, None)
        invited = data.pop(INVITATION_KEY, None)
        values: dict[str, Any] = {"data": data}
        if isinstance(reserved, dict):
            values.update({col: _text(reserved.get(key)) for col, key in RESERVED.items()})
        if isinstance(invited, dict) and invited.get("id") and invited.get("organization_id"):
            values.update({col: _text(invited.get(key)) for col, key in INVITATION.items()})
        conn.execute(sa.update(t).where(t.c.id == rid).values(**values))


def downgrade() -> None:
    t = _table()
    conn = op.get_bind()
    linked = sa.or_(*(t.c[name].is_not(None) for name in (*RESERVED, "invitation_id")))
    rows = conn.execute(sa.select(t).where(linked)).mappings().all()
    for row in rows:
        data = _as_dict(row["data"])
        reserved = {key: row[col] for col, key in RESERVED.items() if row[col] is not None}
        if reserved:
            data[RESERVED_KEY] = reserved
        if row["invitation_id"] is not None:
            data[INVITATION_KEY] = {key: row[col] for col, key in INVITATION.items()}
        conn.execute(sa.update(t).where(t.c.id == row["id"]).values(data=data))
    with op.batch_alter_table("registrations") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
