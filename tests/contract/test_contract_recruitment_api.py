"""schemathesis over recruitment-api's OpenAPI: no 5xx, every response within its documented schema.

recruitment-api runs in-process with a framework-api beside it (for the criteria snapshot), as in
tests/recruitment_api/conftest.py. A vacancy in scoring, with candidates and a panel the test's
token sits on, is built first; half the generated cases have their path ids swapped for that
vacancy's real ones, so the operations are exercised past "not found" too.
"""

from __future__ import annotations

import os

import jwt
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

from framework_api.config import Settings as FrameworkSettings
from framework_api.main import create_app as create_framework_app
from framework_api.seed.loader import seed
from recruitment_api.config import Settings
from recruitment_api.main import create_app
from recruitment_api.vacancies.framework_client import FrameworkClient
from servicekit.auth import TokenVerifier
from servicekit.service_tokens import ServiceTokenProvider
from support import fresh_database

SEEDED_VERSION = "0e0f845f-bea6-5cba-ad81-5a5e70dcb9ef"  # HSC Collective Leadership Framework 1.0.0
ORG, SUBJECT = "SEHSCT", "schemathesis"
SCOPES = ["recruitment:read", "recruitment:score", "recruitment:admin", "equality:read", "equality:write"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "10"))
IMPORT_PATH = "/vacancies/{vacancy_id}/candidates/import"


@pytest.fixture(scope="module")
def framework_for_contract(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("contract-fw"), "fw_for_recruitment_contract") as url:
        app = create_framework_app(
            FrameworkSettings(database_url=url, jwt_public_key_path=keys.public_path, log_level="ERROR")
        )
        with Session(app.state.engine) as session:
            seed(session)
        with TestClient(app) as client:
            yield client
        app.state.engine.dispose()


@pytest.fixture(scope="module")
def recruitment_contract_app(tmp_path_factory, keys, framework_for_contract):
    with fresh_database(tmp_path_factory.mktemp("contract-recruitment"), "recruitment_contract") as url:
        settings = Settings(
            database_url=url, jwt_public_key_path=keys.public_path, log_level="ERROR", min_feedback_cohort=3
        )
        framework = FrameworkClient(
            "http://framework.test",
            ServiceTokenProvider(
                subject="recruitment-api", scopes=["framework:read"], private_key_path=keys.private_path
            ),
            transport=framework_for_contract._transport,
        )
        app = create_app(settings, framework_client=framework)
        yield app
        app.state.engine.dispose()


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def build_state(app, headers: dict[str, str]) -> dict[str, list[str]]:
    """Real ids for each path parameter: a vacancy in scoring, its stages, candidates, one submitted sheet."""
    with TestClient(app) as client:
        vacancy = _ok(
            client.post(
                "/vacancies",
                headers=headers,
                json={
                    "title": "Contract vacancy",
                    "framework_version_id": SEEDED_VERSION,
                    "values": ["V1", "V2", "V3", "V4"],
                },
            ),
            201,
        )
        base = f"/vacancies/{vacancy['id']}"
        etag = client.get(f"{base}/design", headers=headers).headers["etag"]
        stages = [
            {
                "name": "Interview",
                "kind": "interview",
                "min_weighted_mean": 2,
                "min_per_value": 2,
                "criteria": [{"criterion": c} for c in ("V1", "V2", "V3", "V4")],
            },
            {"name": "SJT", "kind": "sjt", "pass_mark": 50},
        ]
        interview, sjt = _ok(
            client.put(f"{base}/design", json={"stages": stages}, headers={**headers, "If-Match": etag})
        )["stages"]
        people = [
            {
                "name": f"Contract Candidate {i}",
                "email": f"cc{i}@example.org",
                "external_ref": f"CC-{i}",
                "evidence": [{"title": "Working together", "text": f"Answer {i}"}],
            }
            for i in range(4)
        ]
        candidates = _ok(client.post(f"{base}/candidates/import", json={"candidates": people}, headers=headers), 201)[
            "candidates"
        ]
        _ok(
            client.put(
                f"{base}/stages/{interview['id']}/panel",
                headers=headers,
                json={
                    "members": [{"assessor": SUBJECT, "name": "Schemathesis", "is_lead": True}, {"assessor": "second"}]
                },
            )
        )
        for status in ("open", "scoring"):
            _ok(client.post(f"{base}/status", json={"status": status}, headers=headers))
        sheet = f"{base}/stages/{interview['id']}/candidates/{candidates[0]['id']}/sheet"
        _ok(
            client.put(
                sheet,
                headers=headers,
                json={"scores": [{"criterion": c, "score": 3} for c in ("V1", "V2", "V3", "V4")]},
            )
        )
        _ok(client.post(sheet + "/submit", headers=headers))
        for candidate in candidates[:2]:
            _ok(
                client.put(
                    f"{base}/candidates/{candidate['id']}/equality",
                    headers=headers,
                    json={"community_background": "neither", "sex": "female"},
                ),
                204,
            )
    return {
        "vacancy_id": [vacancy["id"]],
        "stage_id": [interview["id"], sjt["id"]],
        "candidate_id": [c["id"] for c in candidates],
    }


def test_recruitment_api_honours_its_openapi(recruitment_contract_app, keys):
    # Operations are driven one by one (schemathesis' pytest fixture loader does not work with pytest 9).
    token = keys.token(SCOPES, org=ORG, subject=SUBJECT, ttl_seconds=3600)
    headers = {"Authorization": f"Bearer {token}"}
    real_ids = build_state(recruitment_contract_app, headers)
    schema = schemathesis.openapi.from_asgi("/openapi.json", recruitment_contract_app)
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30

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
        # Collect every operation's failure, then report them together (schemathesis' FailureGroup is a
        # BaseExceptionGroup, not an Exception).
        except (Exception, BaseExceptionGroup) as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


# Two failures the run above found, pinned so they stay fixed whatever hypothesis draws next time.


def test_import_documents_its_201(recruitment_contract_app):
    responses = recruitment_contract_app.openapi()["paths"][IMPORT_PATH]["post"]["responses"]
    assert "201" in responses and "200" not in responses


def test_patch_with_null_retention_days_is_refused_not_a_500(recruitment_contract_app, keys):
    headers = keys.headers(*SCOPES, org="PATCHORG", subject="patcher")
    with TestClient(recruitment_contract_app, raise_server_exceptions=False) as client:
        created = client.post(
            "/vacancies",
            headers=headers,
            json={"title": "Null retention", "criteria": [{"code": "K1", "statement": "Kindness"}]},
        )
        assert created.status_code == 201, created.text
        response = client.patch(
            f"/vacancies/{created.json()['id']}",
            json={"retention_days": None},
            headers={**headers, "If-Match": created.headers["etag"]},
        )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_service_token_for_framework_api_is_trusted_beside_an_oidc_provider(tmp_path, keys):
    """The production overlay's two issuers, with no client credentials: recruitment-api signs its token for
    framework-api with the web's key, so it must claim the local issuer framework-api trusts that key under."""
    provider = {
        "jwks_url": "https://login.example.invalid/.well-known/jwks.json",
        "jwt_issuer": "https://login.example.invalid/",
        "jwt_local_issuer": "collective-local",
        "jwt_public_key_path": keys.public_path,
        "log_level": "ERROR",
    }
    framework_verifier = TokenVerifier.from_settings(FrameworkSettings(database_url="sqlite://", **provider))
    app = create_app(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'tokens.db'}", service_signing_key_path=keys.private_path, **provider
        )
    )
    token = app.state.framework_client.tokens.token(ORG)
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == "collective-local"
    # Checked with the local key only: the provider's JWKS is never fetched.
    principal = framework_verifier.verifiers["collective-local"].verify(token)
    assert principal.subject == "recruitment-api" and principal.scopes == frozenset({"framework:read"})
    app.state.engine.dispose()
