"""Settings base shared by every deployable: read from the environment, safe embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.db import PoolLimits

VAR_DIR = Path("var")
# Signs pagination cursors; fine for development and tests, refused in production.
DEFAULT_CURSOR_SECRET = "development-only-cursor-secret-change-me"  # noqa: S105 (refused in production)
MIN_SECRET_LENGTH = 32


class DatabaseSettings(BaseSettings):
    """How a deployable holds its own database; every service and the web share these names."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "sqlite:///var/service.db"
    # Connections per process: db_pool_size kept open, db_max_overflow more under load. A request
    # holds at most one, so together they are how many requests use the database at once.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    # How long a request waits for a connection (or SQLite for its write lock) before it is
    # answered 503 with Retry-After; also how long a new connection may take to open.
    db_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    # A statement running longer than this is cancelled (PostgreSQL), so no request hangs on it.
    db_statement_timeout_seconds: float = Field(default=30.0, gt=0)

    def pool_limits(self) -> PoolLimits:
        return PoolLimits(
            size=self.db_pool_size,
            overflow=self.db_max_overflow,
            wait_seconds=self.db_wait_seconds,
            statement_timeout_seconds=self.db_statement_timeout_seconds,
        )


class ServiceSettings(DatabaseSettings):
    """Each service subclasses this with its own env prefix (FRAMEWORK_API_, ...)."""

    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # Verification of bearer tokens: a local Ed25519 public key (embedded) or a JWKS URL.
    jwt_public_key_path: Path | None = VAR_DIR / "keys" / "jwt-signing.pub.pem"
    jwks_url: str | None = None
    # With jwks_url: also trust tokens signed with the local key (jwt_public_key_path) under this
    # issuer; that is how the web's own user tokens are accepted beside the OIDC provider's.
    jwt_local_issuer: str | None = None
    jwt_issuer: str = "collective-local"
    jwt_audience: str = "collective"
    max_body_bytes: int = 1_048_576
    # Bulk imports (the paths a service names in `create_service_app(import_paths=...)`) may be larger.
    max_import_bytes: int = 10_485_760
    migrate_on_startup: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    otel_endpoint: str | None = None
    # Key of the HMAC that makes pagination cursors tamper-evident (servicekit.pagination).
    cursor_secret: SecretStr = SecretStr(DEFAULT_CURSOR_SECRET)

    @model_validator(mode="after")
    def _production_refuses_defaults(self) -> ServiceSettings:
        if self.environment != "production":
            return self
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append("database_url must name a server database in production")
        default_key = VAR_DIR / "keys" / "jwt-signing.pub.pem"
        if self.jwks_url is None and self.jwt_public_key_path == default_key:
            problems.append("set jwks_url (or an explicit jwt_public_key_path) in production")
        cursor_secret = self.cursor_secret.get_secret_value()
        if cursor_secret == DEFAULT_CURSOR_SECRET or len(cursor_secret) < MIN_SECRET_LENGTH:
            problems.append(f"set cursor_secret to a random value of at least {MIN_SECRET_LENGTH} characters")
        if problems:
            raise ValueError("; ".join(problems))
        return self
