"""indexes for the sweep's picks: every statement it runs searches an index

The sweep (every minute in ``regflow worker``) picks what ran out by its end of
life inside a write transaction; without these each pick read the whole table
(on SQLite while every other writer waited). Rows revoked and TOTP set-ups not
confirmed get partial indexes, which a live row's insert leaves alone.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVOKED = sa.text("revoked_at IS NOT NULL")
UNCONFIRMED = sa.text("confirmed_at IS NULL")

# (name, table, columns, partial index condition)
INDEXES: list[tuple[str, str, list[str], sa.TextClause | None]] = [
    ("ix_funnel_events_at", "funnel_events", ["at"], None),
    ("ix_login_sessions_expires", "login_sessions", ["expires_at"], None),
    ("ix_login_sessions_last_seen", "login_sessions", ["last_seen_at"], None),
    ("ix_login_sessions_revoked", "login_sessions", ["revoked_at"], REVOKED),
    ("ix_password_resets_expires", "password_resets", ["expires_at"], None),
    ("ix_oauth_refresh_tokens_expires", "oauth_refresh_tokens", ["expires_at"], None),
    ("ix_oauth_refresh_tokens_revoked", "oauth_refresh_tokens", ["revoked_at"], REVOKED),
    ("ix_totp_credentials_unconfirmed", "totp_credentials", ["created_at"], UNCONFIRMED),
    ("ix_email_changes_expires", "email_changes", ["expires_at"], None),
]


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        op.create_index(name, table, columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, table, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
