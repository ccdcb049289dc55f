from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from framework_api.config import Settings as FrameworkSettings
from framework_api.main import create_app as create_framework_app
from framework_api.seed.loader import seed
from recruitment_api.config import Settings
from recruitment_api.main import create_app
from recruitment_api.vacancies.framework_client import FrameworkClient
from servicekit.service_tokens import ServiceTokenProvider
from support import fresh_database

SEEDED_VERSION = "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef"  # HSC Collective Leadership Framework 1.0.0


@pytest.fixture(scope="module")
def framework_for_recruitment(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("fw"), "fw_for_recruitment") as url:
        app = create_framework_app(
            FrameworkSettings(database_url=url, jwt_public_key_path=keys.public_path, log_level="WARNING")
        )
        with Session(app.state.engine) as session:
            seed(session)
        with TestClient(app) as client:
            yield client
        app.state.engine.dispose()


@pytest.fixture(scope="module")
def recruitment_app(tmp_path_factory, keys, framework_for_recruitment):
    with fresh_database(tmp_path_factory.mktemp("recruitment"), "recruitment") as url:
        settings = Settings(
            database_url=url, jwt_public_key_path=keys.public_path, log_level="WARNING", min_feedback_cohort=3
        )
        framework = FrameworkClient(
            "http://framework.test",
            ServiceTokenProvider(
                subject="recruitment-api", scopes=["framework:read"], private_key_path=keys.private_path
            ),
            transport=framework_for_recruitment._transport,
        )
        app = create_app(settings, framework_client=framework)
        yield app
        app.state.engine.dispose()


@pytest.fixture(scope="module")
def client(recruitment_app):
    with TestClient(recruitment_app) as test_client:
        yield test_client
