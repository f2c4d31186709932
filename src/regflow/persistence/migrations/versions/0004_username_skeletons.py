"""username skeletons: look-alike usernames (UTS #39) collide on a unique column

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from regflow.core.confusables import skeleton

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

accounts = sa.table(
    "accounts",
    sa.column("id", sa.String(36)),
    sa.column("username", sa.String(64)),
    sa.column("username_skeleton", sa.String(128)),
)


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("username_skeleton", sa.String(length=128), nullable=True))
    conn = op.get_bind()
    seen: set[str] = set()
    rows = conn.execute(
        sa.select(accounts.c.id, accounts.c.username)
        .where(accounts.c.username.is_not(None))
        .order_by(accounts.c.id)
    )
    for account_id, username in rows.all():
        value = skeleton(username)
        if value in seen:  # an older look-alike pair: the first keeps the skeleton
            continue
        seen.add(value)
        conn.execute(
            sa.update(accounts).where(accounts.c.id == account_id).values(username_skeleton=value)
        )
    with op.batch_alter_table("accounts") as batch:
        batch.create_unique_constraint(op.f("uq_accounts_username_skeleton"), ["username_skeleton"])


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_constraint(op.f("uq_accounts_username_skeleton"), type_="unique")
        batch.drop_column("username_skeleton")
