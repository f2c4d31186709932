"""The schema, as SQLAlchemy Core tables. Alembic migrations mirror it."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from regflow.persistence.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(36)
# partial indexes of what the sweep picks (0017): a live row's insert adds nothing to them
REVOKED = text("revoked_at IS NOT NULL")
UNCONFIRMED = text("confirmed_at IS NULL")

registrations = Table(
    "registrations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("flow", String(32), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("data", JSON, nullable=False),
    Column("verified", JSON, nullable=False),
    Column("variant", String(64)),
    Column("contract", String(32), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("account_id", ID),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    # SHA-256 of the token given to the client that proved the address (seed 004; 0009)
    Column("proof_hash", String(64)),
    # a later request for the same address asked for another password or data (0013)
    Column("contested", Boolean, nullable=False, server_default=false()),
    # SHA-256 of the registering client's attempt token (seeds 002, 003; 0016)
    Column("attempt_hash", String(64)),
    # funnel events recorded with the registration's own write, as JSON lines, until the
    # sweep (or a report) moves them into funnel_events (persistence/funnel.py; 0005)
    Column("pending_events", Text),
    # ids and the join code drawn before completion, to be shown early (0015)
    Column("reserved_account_id", ID),
    Column("reserved_organization_id", ID),
    Column("reserved_join_code", String(64)),
    # the invitation that started the registration (0015)
    Column("invitation_id", ID),
    Column("invitation_organization_id", ID),
    Column("invitation_role", String(16)),
    Column("invitation_email", String(320)),
    Index("ix_registrations_status_expires", "status", "expires_at"),
    # one live registration per token: racing first requests for one address (seeds 002,
    # 003, 004 name registrations by email) cannot start two (0013); the email-named
    # lookups search it too (0018: it replaced an index of every row's token hash)
    Index(
        "uq_registrations_active_token_hash",
        "token_hash",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
    Index(
        "ix_registrations_pending_events",
        "id",
        sqlite_where=text("pending_events IS NOT NULL"),
        postgresql_where=text("pending_events IS NOT NULL"),
    ),
)

verifications = Table(
    "verifications",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "registration_id",
        ID,
        ForeignKey("registrations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("channel", String(16), nullable=False),
    Column("target", String(320), nullable=False),
    Column("code_hmac", String(64), nullable=False),
    Column("link_hash", String(64), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("resend_available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sends", Integer, nullable=False),
    Column("consumed_at", UTCDateTime),
    Index("ix_verifications_registration_channel", "registration_id", "channel"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("email_verified_at", UTCDateTime),
    Column("phone", String(32)),
    Column("phone_verified_at", UTCDateTime),
    Column("username", String(64), unique=True),
    # UTS #39 skeleton of the username: look-alike names collide here (regflow.core.confusables)
    Column("username_skeleton", String(128), unique=True),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("password_hash", String(255), nullable=False),
    Column("token_version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # the language of its later mails and links, its registration's (0011)
    Column("locale", String(16), nullable=False, server_default="en"),
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("slug", String(100), nullable=False, unique=True),
    Column("join_code", String(64), nullable=False, unique=True),
    Column("join_policy", String(16), nullable=False),
    Column("settings", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column(
        "organization_id", ID, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("role", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("details", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "organization_id", name="uq_memberships_account_org"),
    Index("ix_memberships_org_status", "organization_id", "status"),  # approval queues
)

# -- organizations: invitations, uploaded logos, onboarding profiles (migration 0002) --------

invitations = Table(
    "invitations",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "organization_id", ID, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    ),
    Column("email", String(320), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("invited_by", ID, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("accepted_at", UTCDateTime),
    Column("registration_id", ID),
    Index("ix_invitations_organization", "organization_id"),
)

uploads = Table(
    "uploads",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("file_name", String(128), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("claimed_at", UTCDateTime),
    Column("organization_id", ID, ForeignKey("organizations.id", ondelete="SET NULL")),
    Index("ix_uploads_claimed_expires", "claimed_at", "expires_at"),
)

account_profiles = Table(
    "account_profiles",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("locale", String(16), nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

outbox_messages = Table(
    "outbox_messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("recipient", String(2048), nullable=False),
    Column("template", String(64), nullable=False),
    Column("context", JSON, nullable=False),
    Column("locale", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("available_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime),
    Column("lease_owner", String(64)),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index("ix_outbox_status_available", "status", "available_at"),
    # the SMS budget (0003), of SMS alone: a mail's insert and delivery write nothing here (0019)
    Index(
        "ix_outbox_sms_sent",
        "sent_at",
        sqlite_where=text("kind = 'sms'"),
        postgresql_where=text("kind = 'sms'"),
    ),
)

funnel_events = Table(
    "funnel_events",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("registration_id", ID, nullable=False),
    Column("flow", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("step", String(32)),
    Column("code", String(64)),
    Column("channel", String(16)),
    Column("variant", String(64)),
    Column("contract", String(32), nullable=False),
    Column("organization_id", ID),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_funnel_events_flow_at", "flow", "at"),
    Index("ix_funnel_events_registration", "registration_id"),
    # the sweep's retention (0017); rows come in batches from the sweep's drain, not requests
    Index("ix_funnel_events_at", "at"),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("completed", JSON, nullable=False),  # regflow.services.completed's codec
    Column("created_at", UTCDateTime, nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("private_pem", LargeBinary, nullable=False),
    Column("public_jwk", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# -- the hosted UI's login sessions (migration 0006) -----------------------------------------

login_sessions = Table(
    "login_sessions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("token_version", Integer, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Index("ix_login_sessions_account", "account_id"),
    # the sweep: past the absolute end, idle, revoked (0017); last_seen_at is written at
    # most once a minute per session (core.login_sessions.TOUCH_EVERY)
    Index("ix_login_sessions_expires", "expires_at"),
    Index("ix_login_sessions_last_seen", "last_seen_at"),
    Index(
        "ix_login_sessions_revoked", "revoked_at", sqlite_where=REVOKED, postgresql_where=REVOKED
    ),
)

# -- after sign-up: password resets (migration 0007) -----------------------------------------

password_resets = Table(
    "password_resets",
    metadata,
    Column("id", ID, primary_key=True),
    # HMAC of the address (regflow.core.recovery.email_key): no mail address is kept here
    Column("email_key", String(64), nullable=False, unique=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("code_hmac", String(64), nullable=False),
    Column("link_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("resend_available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("consumed_at", UTCDateTime),
    Index("ix_password_resets_expires", "expires_at"),  # the sweep (0017)
)

# -- the OpenID Provider: authorization codes and refresh tokens (migration 0008) ------------

oauth_codes = Table(
    "oauth_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("client_id", String(128), nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("redirect_uri", String(2048), nullable=False),
    Column("scope", String(512), nullable=False),
    Column("nonce", String(512)),
    Column("code_challenge", String(128)),
    Column("code_challenge_method", String(16)),
    Column("auth_time", UTCDateTime, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Index("ix_oauth_codes_expires", "expires_at"),
)

oauth_refresh_tokens = Table(
    "oauth_refresh_tokens",
    metadata,
    Column("id", ID, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("family_id", ID, nullable=False),
    Column("client_id", String(128), nullable=False),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("scope", String(512), nullable=False),
    Column("token_version", Integer, nullable=False),
    Column("auth_time", UTCDateTime, nullable=False),
    Column("amr", JSON, nullable=False),
    Column("code_hash", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Index("ix_oauth_refresh_tokens_family", "family_id"),
    Index("ix_oauth_refresh_tokens_account", "account_id", "client_id"),
    Index("ix_oauth_refresh_tokens_code", "code_hash"),
    # the sweep: past their end, revoked (0017)
    Index("ix_oauth_refresh_tokens_expires", "expires_at"),
    Index(
        "ix_oauth_refresh_tokens_revoked",
        "revoked_at",
        sqlite_where=REVOKED,
        postgresql_where=REVOKED,
    ),
)

# -- after sign-up: TOTP second factor, recovery codes, login challenges (0012) --------------

totp_credentials = Table(
    "totp_credentials",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("sealed_secret", String(255), nullable=False),  # AES-GCM (core.second_factor.seal)
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime),
    Column("last_step", BigInteger),  # the last 30-second step used: replays are refused
    # the sweep: set-ups never confirmed; a confirmed credential leaves the index (0017)
    Index(
        "ix_totp_credentials_unconfirmed",
        "created_at",
        sqlite_where=UNCONFIRMED,
        postgresql_where=UNCONFIRMED,
    ),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("code_hmac", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    UniqueConstraint("account_id", "code_hmac", name="uq_recovery_codes_account_code"),
)

mfa_challenges = Table(
    "mfa_challenges",
    metadata,
    Column("id", ID, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account_id", ID, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),
    Column("organization_id", ID),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("consumed_at", UTCDateTime),
    Index("ix_mfa_challenges_expires", "expires_at"),
)

# -- after sign-up: changing the email address (migration 0012) ------------------------------

email_changes = Table(
    "email_changes",
    metadata,
    Column("id", ID, primary_key=True),
    Column(
        "account_id",
        ID,
        ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("new_email", String(320), nullable=False),
    Column("code_hmac", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("resend_available_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("consumed_at", UTCDateTime),
    # kept only while the old address's undo link works (undo_expires_at)
    Column("old_email", String(320)),
    Column("undo_hash", String(64), unique=True),
    Column("undo_expires_at", UTCDateTime),
    Index("ix_email_changes_expires", "expires_at"),  # the sweep (0017)
)
