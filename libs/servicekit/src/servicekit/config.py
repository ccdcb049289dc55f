"""Settings base shared by every deployable: read from the environment, safe embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class ServiceSettings(BaseSettings):
    """Each service subclasses this with its own env prefix (FRAMEWORK_API_, ...)."""

    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///var/service.db"
    # Verification of bearer tokens: a local Ed25519 public key (embedded) or a JWKS URL.
    jwt_public_key_path: Path | None = VAR_DIR / "keys" / "jwt-signing.pub.pem"
    jwks_url: str | None = None
    # With jwks_url: also trust tokens signed with the local key (jwt_public_key_path) under this
    # issuer; that is how the web's own user tokens are accepted beside the OIDC provider's.
    jwt_local_issuer: str | None = None
    jwt_issuer: str = "collective-local"
    jwt_audience: str = "collective"
    max_body_bytes: int = 1_048_576
    migrate_on_startup: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    otel_endpoint: str | None = None

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
        if problems:
            raise ValueError("; ".join(problems))
        return self
