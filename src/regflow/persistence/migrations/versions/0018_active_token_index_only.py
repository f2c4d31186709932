"""one index of registration tokens: the partial unique index of live ones

Every lookup of a registration by its token's hash asks for the live one
(``status = 'active'``, written into the SQL), which the partial unique index
``uq_registrations_active_token_hash`` (0013) answers. The index of every row's
token hash (0010) was only written: one index page more for each new
registration and at each change of status.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 00:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_registrations_token_hash", table_name="registrations")


def downgrade() -> None:
    op.create_index("ix_registrations_token_hash", "registrations", ["token_hash"])
