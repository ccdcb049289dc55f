"""schemathesis over monitoring-api's OpenAPI: no 5xx, every response within its documented schema.

monitoring-api runs in-process on a fresh database built by the migrations, with the HSC
organisations and actions seeded. A directorate and team, an indicator with a year of values, a plan
item with a check-in and chart choices are built first; half the generated cases have their path ids
swapped for those real ones, so the operations are exercised past "not found" too.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import Session

from monitoring_api.config import Settings
from monitoring_api.main import create_app
from monitoring_api.seed.loader import seed
from support import fresh_database

ORG, SUBJECT = "SEHSCT", "schemathesis"
SCOPES = ["monitoring:read", "monitoring:write", "monitoring:admin", "monitoring:regional", "survey:ingest"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "10"))


@pytest.fixture(scope="module")
def monitoring_contract_app(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("contract-monitoring"), "monitoring_contract") as url:
        app = create_app(Settings(database_url=url, jwt_public_key_path=keys.public_path, log_level="ERROR"))
        with Session(app.state.engine) as session:
            seed(session)
        yield app
        app.state.engine.dispose()


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def build_state(app, headers: dict[str, str]) -> dict[str, list[str]]:
    """Real ids for each path parameter."""
    with TestClient(app) as client:
        directorate = _ok(
            client.post(
                "/units", json={"code": "CONTRACT", "name": "Contract", "kind": "directorate"}, headers=headers
            ),
            201,
        )
        team = _ok(
            client.post(
                "/units", json={"code": "CTEAM", "name": "Team", "kind": "team", "parent": "CONTRACT"}, headers=headers
            ),
            201,
        )
        indicator = _ok(
            client.post(
                "/indicators",
                headers=headers,
                json={
                    "code": "CONTRACT-IND",
                    "title": "Contract",
                    "unit_of_measure": "%",
                    "numerator": "n",
                    "denominator": "d",
                    "factor": "percent",
                    "direction": "increase",
                    "frequency": "monthly",
                },
            ),
            201,
        )
        lines = "".join(f"CONTRACT-IND,CTEAM,2024-{m:02d}-01,{10 + m % 3},50\n" for m in range(1, 13))
        _ok(
            client.post(
                "/values/import",
                content="indicator,unit,period,numerator,denominator\n" + lines,
                headers={**headers, "Content-Type": "text/csv"},
            ),
            201,
        )
        item = _ok(client.post("/plan/items", json={"action": "A3"}, headers=headers), 201)
        check_in = _ok(
            client.post(
                f"/plan/items/{item['id']}/check-ins",
                json={"status": "on_track", "confidence": 7, "what_happened": "Started."},
                headers=headers,
            ),
            201,
        )
        series = f"/indicators/{indicator['id']}/units/{team['id']}"
        rebase = _ok(client.post(series + "/rebases", json={"on": "2024-07-01", "reason": "x"}, headers=headers), 201)
        ghost = _ok(client.post(series + "/ghosts", json={"period": "2024-03-01", "reason": "x"}, headers=headers), 201)
        note = _ok(client.post(series + "/annotations", json={"on": "2024-03-05", "text": "x"}, headers=headers), 201)
        actions = _ok(client.get("/actions", headers=headers))["items"]
        instrument = _ok(client.get("/survey-instruments", headers=headers))["items"][0]["id"]
        waves = []
        for title in ("open", "closed"):
            body = {"instrument": instrument, "title": title, "opens": "2025-01-01", "closes": "2025-01-31"}
            waves.append(_ok(client.post("/survey-waves", json=body, headers=headers), 201)["id"])
        rows = "unit,sex,engagement.look_forward,culture.learning.improve\n" + "CTEAM,women,often,agree\n" * 12
        _ok(
            client.post(
                f"/survey-waves/{waves[1]}/responses", content=rows, headers={**headers, "Content-Type": "text/csv"}
            ),
            201,
        )
        _ok(client.post(f"/survey-waves/{waves[1]}/close", headers=headers))
    return {
        "instrument_id": [instrument],
        "wave_id": waves,
        "unit_id": [team["id"], directorate["id"]],
        "indicator_id": [indicator["id"]],
        "item_id": [item["id"]],
        "check_in_id": [check_in["id"]],
        "action_id": [actions[0]["id"]],
        "rebase_id": [rebase["id"]],
        "ghost_id": [ghost["id"]],
        "annotation_id": [note["id"]],
        "period": ["2024-01-01", "2024-02-01"],
    }


def test_monitoring_api_honours_its_openapi(monitoring_contract_app, keys):
    token = keys.token(SCOPES, org=ORG, subject=SUBJECT, ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    real_ids = build_state(monitoring_contract_app, headers)
    schema = schemathesis.openapi.from_asgi("/openapi.json", monitoring_contract_app)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 38

    for operation in operations:

        @given(case=operation.as_strategy(), data=st.data())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def exercise(case, data):
            if case.path_parameters and data.draw(st.booleans(), label="use real ids"):
                for name in case.path_parameters:
                    if name in real_ids:
                        case.path_parameters[name] = data.draw(st.sampled_from(real_ids[name]), label=name)
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            exercise()
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_every_operation_documents_its_problems(monitoring_contract_app):
    for path, item in monitoring_contract_app.openapi()["paths"].items():
        for method, operation in item.items():
            if operation.get("security"):
                assert {"401", "403", "422"} <= set(operation["responses"]), (method, path)
