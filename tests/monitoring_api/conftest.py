from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from monitoring_api.config import Settings
from monitoring_api.main import create_app
from monitoring_api.seed.loader import seed
from support import fresh_database


@pytest.fixture(scope="module")
def monitoring_settings(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("monitoring"), "monitoring") as url:
        yield Settings(
            database_url=url,
            jwt_public_key_path=keys.public_path,
            environment="test",
            log_level="WARNING",
            public_base_url="https://monitoring.test",
            ingest_batch_rows=100,
        )


@pytest.fixture(scope="module")
def monitoring_app(monitoring_settings):
    app = create_app(monitoring_settings)
    with Session(app.state.engine) as session:
        seed(session)
    yield app
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def client(monitoring_app):
    with TestClient(monitoring_app) as test_client:
        yield test_client
