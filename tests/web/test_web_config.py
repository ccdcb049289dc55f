"""Settings: embedded defaults for development; production refuses them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from web.config import Settings


def test_defaults(monkeypatch):
    for name in ("WEB_DATABASE_URL", "WEB_ENVIRONMENT", "WEB_KEYS_DIR", "WEB_FRAMEWORK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database_url == "sqlite:///var/web.db"
    assert settings.framework_api_url == "http://localhost:8001"
    assert settings.keys_dir == Path("var/keys")
    assert settings.token_ttl_seconds == 120
    assert settings.session_ttl_minutes == 480
    assert settings.session_cookie_secure is False
    assert (settings.lockout_threshold, settings.lockout_minutes) == (5, 15)
    assert settings.migrate_on_startup is True
    assert settings.service_timeout_seconds == 5


def test_environment_prefix(monkeypatch):
    monkeypatch.setenv("WEB_FRAMEWORK_API_URL", "http://framework:8001")
    monkeypatch.setenv("WEB_LOCKOUT_THRESHOLD", "3")
    settings = Settings()
    assert settings.framework_api_url == "http://framework:8001"
    assert settings.lockout_threshold == 3


def test_production_refuses_the_defaults():
    with pytest.raises(ValidationError) as refused:
        Settings(environment="production")
    message = str(refused.value)
    assert "database_url" in message and "session_cookie_secure" in message and "keys_dir" in message


def test_production_with_real_settings():
    settings = Settings(
        environment="production",
        database_url="postgresql://web@db/web",
        session_cookie_secure=True,
        keys_dir=Path("/run/secrets/keys"),
    )
    assert settings.session_cookie_secure


def test_secure_cookies_use_host_prefixed_names(tmp_path, keys, framework_api):
    from fastapi.testclient import TestClient

    from support import fresh_database
    from web.main import create_app

    with fresh_database(tmp_path, "websecure") as url:
        app = create_app(
            Settings(
                environment="test",
                database_url=url,
                keys_dir=keys.private_path.parent,
                session_cookie_secure=True,
                framework_api_url="http://framework.test",
            ),
            transports={"http://framework.test": framework_api},
        )
        with TestClient(app, base_url="https://testserver") as client:
            response = client.get("/sign-in")
        app.state.engine.dispose()
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-collective_signin=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
