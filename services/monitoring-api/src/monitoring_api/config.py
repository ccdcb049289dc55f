from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MONITORING_API_", extra="ignore")

    database_url: str = "sqlite:///var/monitoring.db"
    # Base of the canonical URLs in FHIR exports (Measure.url); the public address of this service.
    public_base_url: str = "http://localhost:8003"
    # Bulk value ingests (a million values as CSV is about 45 MB) and structure imports.
    max_import_bytes: int = 268_435_456
    # Values are validated and written in batches of this many rows, so memory stays bounded.
    ingest_batch_rows: int = Field(default=5000, ge=100, le=100_000)
    # SPC results kept in memory for the summary table, one per series, keyed by its latest revision.
    summary_cache_series: int = Field(default=20_000, ge=0, le=1_000_000)
    # Survey results: no figure from fewer responses than this is shown (disclosure control).
    survey_minimum: int = Field(default=10, ge=3, le=100)
    # Complementary suppression (so a small group cannot be worked out by subtraction). Switching it off
    # is unsafe: it exists only for the disclosure attack test to show the leak it closes.
    survey_complementary_suppression: bool = True
    # Protected survey publications kept in memory (closed waves never change).
    survey_cache_publications: int = Field(default=64, ge=1, le=10_000)
