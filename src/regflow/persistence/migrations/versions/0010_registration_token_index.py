"""an index on registrations.token_hash

The seed contracts whose clients name a registration by email (seed 002, seed
004) find it by its derived token's hash on every call; without an index that
read scanned every registration, so each call grew slower as the table grew.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_registrations_token_hash", "registrations", ["token_hash"])


def downgrade() -> None:
    op.drop_index("ix_registrations_token_hash", table_name="registrations")
