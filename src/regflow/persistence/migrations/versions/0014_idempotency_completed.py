"""idempotency_records keep what a completion made, not an HTTP status and body

``response_body`` becomes ``completed`` (the codec of ``regflow.services.completed``
reads the bodies kept so far as well); ``response_status`` goes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch:
        batch.alter_column("response_body", new_column_name="completed")
        batch.drop_column("response_status")


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch:
        batch.alter_column("completed", new_column_name="response_body")
        batch.add_column(
            sa.Column("response_status", sa.Integer(), nullable=False, server_default="201")
        )
