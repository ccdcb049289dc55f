"""schemathesis over framework-api's OpenAPI: no 5xx, every response within its documented schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from framework_api.config import Settings
from framework_api.main import create_app
from framework_api.seed.loader import seed
from support import fresh_database


@pytest.fixture(scope="module")
def framework_contract_app(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("contract"), "fw_contract") as url:
        app = create_app(Settings(database_url=url, jwt_public_key_path=keys.public_path, log_level="ERROR"))
        with Session(app.state.engine) as session:
            seed(session)
        yield app
        app.state.engine.dispose()


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_framework_api_honours_its_openapi(framework_contract_app, keys):
    # Operations are driven one by one (schemathesis' pytest fixture loader does not work with pytest 9).
    schema = schemathesis.openapi.from_asgi("/openapi.json", framework_contract_app)
    token = keys.token(["framework:read", "framework:write"], org="BSO", subject="schemathesis", ttl_seconds=3600)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def exercise(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
