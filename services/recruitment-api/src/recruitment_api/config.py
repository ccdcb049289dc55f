from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from servicekit.config import VAR_DIR, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="RECRUITMENT_API_", extra="ignore")

    database_url: str = "sqlite:///var/recruitment.db"
    framework_api_url: str = "http://localhost:8001"
    framework_api_timeout_seconds: float = 10
    # The service's own token for framework-api: a local signing key (embedded) or client credentials.
    service_signing_key_path: Path | None = VAR_DIR / "keys" / "jwt-signing.pem"
    service_token_url: str | None = None
    service_client_id: str | None = None
    service_client_secret: str | None = None
    # Equality monitoring: cells under this count are suppressed in adverse-impact reports.
    min_reported_cell: int = 5
    # Candidate feedback: cohort figures are withheld below this many scored candidates.
    min_feedback_cohort: int = 5
    default_retention_days: int = 365
    # Bulk candidate imports (10,000 rows and more) may be larger than ordinary requests.
    max_import_bytes: int = 52_428_800
