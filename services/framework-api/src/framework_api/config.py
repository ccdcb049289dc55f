from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from servicekit.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="FRAMEWORK_API_", extra="ignore")

    database_url: str = "sqlite:///var/framework.db"
    # Base of the URIs in CASE exports; the public address of this service.
    public_base_url: str = "http://localhost:8001"
