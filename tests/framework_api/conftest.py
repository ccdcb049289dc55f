from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from framework_api.config import Settings
from framework_api.main import create_app
from framework_api.seed.loader import seed
from support import fresh_database


@pytest.fixture(scope="module")
def framework_settings(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("framework"), "framework") as url:
        yield Settings(
            database_url=url,
            jwt_public_key_path=keys.public_path,
            environment="test",
            log_json=True,
            log_level="WARNING",
            public_base_url="https://framework.test",
        )


@pytest.fixture(scope="module")
def framework_app(framework_settings):
    app = create_app(framework_settings)
    with Session(app.state.engine) as session:
        seed(session)
    yield app
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def client(framework_app):
    with TestClient(framework_app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def seeded(client, keys):
    """The seeded framework and its published version 1.0.0."""
    body = client.get("/frameworks", headers=keys.headers("framework:read")).json()
    framework = next(f for f in body["items"] if f["title"] == "HSC Collective Leadership Framework")
    return framework, framework["latest_published"]
