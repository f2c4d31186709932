"""Configuration: read once from ``REGFLOW_*`` variables and passed down.

No other module reads the environment. Every variable is documented in the
README with its default.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from regflow.core.experiments import ExperimentSpec

CSV = Annotated[list[str], NoDecode]


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
    mail_from: str = "regflow@localhost"
    sms_provider: Literal["console", "webhook", "twilio"] = "console"
    sms_webhook_url: str | None = None
    dev_mailbox: bool = False
    worker_poll_seconds: float = 1.0
    outbox_max_attempts: int = 5

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

    # abuse resistance
    redis_url: str | None = None
    rate_limits_enabled: bool = True
    trusted_proxies: CSV = Field(default_factory=list)
    max_body_bytes: int = Field(64 * 1024, ge=1024)

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

    @field_validator("flows", "contracts", "trusted_proxies", mode="before")
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
