"""funnel events ride on the registration's own write until the sweep moves them

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("pending_events IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(sa.Column("pending_events", sa.Text(), nullable=True))
    op.create_index(
        "ix_registrations_pending_events",
        "registrations",
        ["id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    # events not yet moved into funnel_events are lost with the column; run the sweep first
    op.drop_index("ix_registrations_pending_events", table_name="registrations")
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("pending_events")
