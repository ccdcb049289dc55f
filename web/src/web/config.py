"""Settings of the web shell, from the environment (prefix WEB_); production refuses the defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from servicekit.config import DatabaseSettings

# web/node_modules, where `npm ci` in web/ puts NHS.UK frontend and htmx.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "sqlite:///var/web.db"
DEFAULT_KEYS_DIR = Path("var/keys")


class Settings(DatabaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    framework_api_url: str = "http://localhost:8001"
    recruitment_api_url: str = "http://localhost:8002"
    monitoring_api_url: str = "http://localhost:8003"
    # The Ed25519 signing key (jwt-signing.pem) the web signs its users' short-lived tokens with.
    keys_dir: Path = DEFAULT_KEYS_DIR
    jwt_issuer: str = "collective-local"
    jwt_audience: str = "collective"
    token_ttl_seconds: int = 120
    session_ttl_minutes: int = 480
    session_cookie_secure: bool = False
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    # Password hashes and verifications (argon2id, 64 MiB each) computed at once; sign-ins beyond
    # this wait their turn, holding no database connection, for at most the wait (then 503).
    password_hashing_at_once: int = Field(default=2, ge=1, le=16)
    password_hashing_wait_seconds: float = Field(default=20.0, gt=0, le=60)
    # `web purge` removes sign-in records older than this (expired sessions go whatever their age).
    sign_in_audit_retention_days: int = Field(default=365, ge=1)
    migrate_on_startup: bool = True
    service_timeout_seconds: float = 5.0
    node_modules_dir: Path = PACKAGE_ROOT / "node_modules"
    log_level: str = "INFO"
    log_json: bool = True
    otel_endpoint: str | None = None  # an OTLP/HTTP traces endpoint switches tracing on

    @model_validator(mode="after")
    def _production_refuses_defaults(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if self.database_url.startswith("sqlite"):
            problems.append("database_url must name a server database in production")
        if not self.session_cookie_secure:
            problems.append("session_cookie_secure must be true in production (cookies only over HTTPS)")
        if self.keys_dir == DEFAULT_KEYS_DIR:
            problems.append("set keys_dir to where the production signing key is mounted")
        if problems:
            raise ValueError("; ".join(problems))
        return self
