"""Configuration: read once from ``REGFLOW_*`` variables and passed down.

No other module reads the environment. Every variable is documented in the
README with its default.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from regflow.core.colors import check_color
from regflow.core.experiments import ExperimentSpec
from regflow.core.webhooks import EVENT_TYPES

CSV = Annotated[list[str], NoDecode]


class WebhookSpec(BaseModel):
    """One webhook subscriber in ``REGFLOW_WEBHOOKS``: ``{"url", "secret", "events"?}``."""

    model_config = {"frozen": True, "extra": "forbid"}

    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2048)
    secret: SecretStr  # whsec_<base64>, as Standard Webhooks secrets look
    events: list[str] = Field(default_factory=lambda: list(EVENT_TYPES), min_length=1)

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"unknown webhook events {unknown}; known: {list(EVENT_TYPES)}")
        return events


class OidcClientSpec(BaseModel):
    """One relying party in ``REGFLOW_OIDC_CLIENTS`` (``regflow clients list`` shows them)."""

    model_config = {"frozen": True, "extra": "forbid"}

    client_id: str = Field(pattern=r"^[A-Za-z0-9._~-]{1,128}$")
    name: str | None = Field(None, max_length=100)
    redirect_uris: list[str] = Field(min_length=1)
    post_logout_redirect_uris: list[str] = Field(default_factory=list)
    public: bool = False
    client_secret_sha256: str | None = Field(None, pattern=r"^[0-9a-fA-F]{64}$")
    first_party: bool = False
    flows: list[str] = Field(default_factory=list)
    organization: str | None = Field(None, max_length=100)
    # OpenID Connect Registration's name; RS256 is its default and what every client accepts
    id_token_signed_response_alg: Literal["RS256", "EdDSA", "ES256"] = "RS256"  # noqa: S105

    @field_validator("redirect_uris", "post_logout_redirect_uris")
    @classmethod
    def _absolute(cls, uris: list[str]) -> list[str]:
        for uri in uris:
            if not re.fullmatch(r"https?://[^\s#]+", uri) or len(uri) > 2048:
                raise ValueError(f"{uri!r}: an absolute http(s) URI without a fragment")
        return uris

    @model_validator(mode="after")
    def _one_kind(self) -> OidcClientSpec:
        if self.public == bool(self.client_secret_sha256):
            raise ValueError(
                f"client {self.client_id}: either public (PKCE) or client_secret_sha256"
            )
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGFLOW_", extra="ignore", frozen=True)

    # storage and secrets
    database_url: str = "sqlite+aiosqlite:///./regflow.db"
    data_dir: Path = Path("./data")
    secret_key: SecretStr | None = None
    public_url: str = "http://127.0.0.1:8000"

    # delivery
    smtp_url: SecretStr | None = None
    smtp_timeout_seconds: float = 10.0
    smtp_ca_file: Path | None = None  # PEM bundle trusted for the SMTP server's certificate
    mail_from: str = "regflow@localhost"
    sms_provider: Literal["console", "webhook", "twilio"] = "console"
    sms_webhook_url: str | None = None
    dev_mailbox: bool = False
    worker_poll_seconds: float = 1.0
    outbox_max_attempts: int = 5
    # how long a claimed batch stays with its worker; a dead worker's messages wait this long
    outbox_lease_seconds: float = Field(60.0, ge=1)
    # due messages a worker claims at a time: one transaction claims them, one records them
    outbox_batch_size: int = Field(100, ge=1, le=1000)

    # flows and contracts
    flows: CSV = Field(default_factory=lambda: ["member", "organization", "teacher", "student"])
    contracts: CSV = Field(
        default_factory=lambda: ["phased", "evalon", "pending", "oneshot", "verify_first"]
    )
    password_policy: Literal["nist", "seed"] = "nist"  # noqa: S105 - a policy name
    registration_ttl_seconds: int = Field(3600, ge=60)
    code_ttl_seconds: int = Field(600, ge=30, le=3600)
    code_max_attempts: int = Field(5, ge=1, le=20)
    resend_cooldown_seconds: int = Field(60, ge=0)
    reset_code_ttl_seconds: int = Field(900, ge=60, le=86400)  # password reset code and link
    mfa_token_ttl_seconds: int = Field(300, ge=30, le=3600)  # a login's second step
    totp_issuer: str = Field("regflow", min_length=1, max_length=64)  # shown by the app

    # abuse resistance
    redis_url: str | None = None
    rate_limits_enabled: bool = True
    funnel_events: bool = True  # off only to measure what recording costs (make bench)
    trusted_proxies: CSV = Field(default_factory=list)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    # REGFLOW_RATE_LIMITS='{"start": "10/minute", "code_send": "1/minute;3/hour"}': rule overrides
    rate_limits: dict[str, str] = Field(default_factory=dict)
    rate_limit_prefix: str = Field("regflow", max_length=64)  # Redis key prefix
    cors_origins: CSV = Field(default_factory=list)  # allowed browser origins; none by default

    # passwords and tokens
    argon2_memory_kib: int = Field(19456, ge=8192)
    argon2_time_cost: int = Field(2, ge=1)
    argon2_parallelism: int = Field(1, ge=1)
    hash_workers: int | None = None
    jwt_algorithm: Literal["EdDSA", "ES256"] = "EdDSA"
    jwt_issuer: str = "regflow"
    jwt_audience: str = "regflow"
    access_token_ttl_seconds: int = Field(900, ge=60, le=86400)

    # hosted web UI at / and /register/... (REGFLOW_UI=false: the API only)
    ui: bool = True
    # its branding: product name, primary colour (#rrggbb, 4.5:1 with white and as text),
    # logo and favicon files (PNG, JPEG, GIF, SVG, ICO up to 512 KiB), support address
    brand_name: str = Field("regflow", min_length=1, max_length=60)
    brand_color: str | None = None
    brand_logo: Path | None = None
    brand_favicon: Path | None = None
    support_email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    # the hosted login session: ends after this long unused, and this long after sign-in
    session_idle_seconds: int = Field(7200, ge=60)
    session_absolute_seconds: int = Field(43200, ge=300)

    # the OpenID Provider: REGFLOW_OIDC_CLIENTS='[{"client_id": "app", "redirect_uris": [...],
    # "public": true, "first_party": true}]'; refresh tokens live this long unused
    oidc_clients: list[OidcClientSpec] = Field(default_factory=list)
    oidc_refresh_ttl_seconds: int = Field(30 * 86400, ge=300)

    # operator
    admin_token: SecretStr | None = None
    log_level: str = "INFO"
    log_json: bool = True

    # funnel analytics, experiments and metrics
    # REGFLOW_EXPERIMENTS='{"cta": {"variants": {"a": 50, "b": 50}, "flows": ["member"]}}'
    experiments: dict[str, ExperimentSpec] = Field(default_factory=dict)
    funnel_retention_days: int = Field(180, ge=1)
    sweep_interval_seconds: float = Field(60.0, gt=0)
    prometheus_multiproc_dir: Path | None = Field(  # read by prometheus-client too
        None, validation_alias=AliasChoices("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")
    )

    # organizations, teachers, students
    join_code_random_length: int = Field(6, ge=3, le=16)
    org_lookup_per_minute: int = Field(10, ge=1)  # GET /v1/organizations/by-code/{code}, per IP
    invitation_ttl_seconds: int = Field(7 * 86400, ge=300)
    upload_dir: Path | None = None  # unset: data_dir / "uploads"
    upload_max_bytes: int = Field(5 * 1024 * 1024, ge=1024)
    upload_ttl_seconds: int = Field(86400, ge=60)  # an unclaimed logo upload expires
    sms_webhook_token: SecretStr | None = None  # sent as Authorization: Bearer
    sms_webhook_timeout_seconds: float = Field(10.0, gt=0)

    # delivery: Twilio-compatible SMS, the SMS budget, webhooks
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None  # a number or sender id the account owns
    twilio_base_url: str = "https://api.twilio.com"
    twilio_timeout_seconds: float = Field(10.0, gt=0)
    sms_budget_per_hour: int = Field(1000, ge=0)  # every SMS, any country
    sms_country_budget_per_hour: int = Field(100, ge=0)  # per country calling code
    sms_country_budgets: dict[str, int] = Field(default_factory=dict)  # {"+91": 500, "+1": 0}
    # REGFLOW_WEBHOOKS='[{"url": "https://...", "secret": "whsec_...", "events": [...]}]'
    webhooks: list[WebhookSpec] = Field(default_factory=list)
    webhook_timeout_seconds: float = Field(10.0, gt=0)

    @field_validator("oidc_clients")
    @classmethod
    def _distinct_clients(cls, clients: list[OidcClientSpec]) -> list[OidcClientSpec]:
        if len({c.client_id for c in clients}) != len(clients):
            raise ValueError("each OIDC client_id may be configured once")
        return clients

    @model_validator(mode="after")
    def _signable_id_tokens(self) -> Settings:
        for client in self.oidc_clients:
            alg = client.id_token_signed_response_alg
            if alg not in ("RS256", self.jwt_algorithm):
                raise ValueError(
                    f"client {client.client_id}: id_token_signed_response_alg {alg} is neither"
                    f" RS256 nor REGFLOW_JWT_ALGORITHM ({self.jwt_algorithm})"
                )
        return self

    @field_validator("webhooks")
    @classmethod
    def _distinct_urls(cls, webhooks: list[WebhookSpec]) -> list[WebhookSpec]:
        if len({w.url for w in webhooks}) != len(webhooks):
            raise ValueError("each webhook URL may be configured once")
        return webhooks

    @field_validator("brand_color")
    @classmethod
    def _readable_color(cls, color: str | None) -> str | None:
        return None if color is None else check_color(color)

    @field_validator("flows", "contracts", "trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def secret_bytes(self) -> bytes:
        """The server secret; for development, generated once and kept in the data folder."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode("utf-8")
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                pass
            else:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode("utf-8")

    @property
    def uploads_path(self) -> Path:
        return self.upload_dir if self.upload_dir is not None else self.data_dir / "uploads"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
