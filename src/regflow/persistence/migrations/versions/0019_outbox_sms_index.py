"""the SMS budget's index holds SMS alone

The SMS budget counts the SMS sent since a moment (``kind = 'sms'``, written into
the SQL). The index of every message's kind and sending time (0003) took an entry
for each mail too: one index page written when a request queued a mail and one
more when the worker marked it sent. A partial index of SMS answers the count.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SMS = sa.text("kind = 'sms'")


def upgrade() -> None:
    op.drop_index("ix_outbox_kind_sent", table_name="outbox_messages")
    op.create_index(
        "ix_outbox_sms_sent", "outbox_messages", ["sent_at"], sqlite_where=SMS, postgresql_where=SMS
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_sms_sent", table_name="outbox_messages")
    op.create_index("ix_outbox_kind_sent", "outbox_messages", ["kind", "sent_at"])
