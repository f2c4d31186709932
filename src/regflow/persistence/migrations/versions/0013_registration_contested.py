"""registrations.contested; one active registration per token

Seeds 002 and 003 name a pending registration by its email alone. When a later
request for the same address asks for another password (or other data) the
first registration is marked contested: completing it then keeps neither
password and mails a link to choose one to whoever proved the address.

A partial unique index keeps racing first requests for one address from
starting two active registrations; older duplicates (possible before) are
expired first, all but the newest, which is the one the lookups found.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(
            sa.Column("contested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE registrations SET status = 'expired' WHERE status = 'active' AND EXISTS ("
        "SELECT 1 FROM registrations AS newer WHERE newer.token_hash = registrations.token_hash"
        " AND newer.status = 'active' AND (newer.created_at > registrations.created_at"
        " OR (newer.created_at = registrations.created_at AND newer.id > registrations.id)))"
    )
    op.create_index(
        "uq_registrations_active_token_hash",
        "registrations",
        ["token_hash"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_registrations_active_token_hash", table_name="registrations")
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("contested")
