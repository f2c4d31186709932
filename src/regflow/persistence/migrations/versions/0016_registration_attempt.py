"""registrations.attempt_hash: the registering client's attempt token (seeds 002, 003)

A contested pending registration (0013) completes without a password, except
when the code is confirmed from the client that made the registration: that
client holds an attempt token (an HttpOnly cookie) whose SHA-256 is kept here.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(sa.Column("attempt_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("attempt_hash")
