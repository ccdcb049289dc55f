"""`create_service_app`: wiring, lifespan, and the OpenAPI document's problem responses."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from servicekit.auth import TokenVerifier
from servicekit.errors import PROBLEM_MEDIA_TYPE

PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
def openapi(sk_client) -> dict:
    response = sk_client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_is_3_1_with_title_version_and_description(openapi):
    assert openapi["openapi"].startswith("3.1")
    assert openapi["info"]["title"] == "servicekit-test"
    assert openapi["info"]["version"] == "0.0.1"
    assert openapi["info"]["description"]


def test_openapi_has_the_problem_schema(openapi):
    schemas = openapi["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) >= {"type", "title", "status"}
    assert problem["properties"]["errors"]["anyOf"][0]["items"] == {"$ref": "#/components/schemas/FieldError"}
    assert "FieldError" in schemas
    assert "$defs" not in problem
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def test_every_reference_resolves(openapi):
    schemas = openapi["components"]["schemas"]
    for ref in _refs(openapi):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref


@pytest.mark.parametrize(
    ("path", "method"),
    [("/things", "post"), ("/things", "get"), ("/things/{uid}", "get"), ("/things/{uid}", "patch")],
)
def test_secured_operations_document_401_403_422_as_problems(openapi, path, method):
    operation = openapi["paths"][path][method]
    assert operation["security"] == [{"HTTPBearer": []}]
    responses = operation["responses"]
    for status in ("401", "403", "413", "422"):
        assert responses[status]["content"] == PROBLEM_CONTENT, (path, method, status)
        assert responses[status]["description"]


def test_unsecured_operations_document_no_401_or_403(openapi):
    responses = openapi["paths"]["/echo-json"]["post"]["responses"]
    assert "401" not in responses
    assert "403" not in responses
    assert responses["422"]["content"] == PROBLEM_CONTENT


def test_operation_specific_problem_wording_is_kept(openapi):
    responses = openapi["paths"]["/things"]["post"]["responses"]
    assert responses["409"]["content"] == PROBLEM_CONTENT
    assert responses["422"]["description"] == "A field is not valid, or the Idempotency-Key was reused."
    # FastAPI's generic wording is replaced by ours where the operation said nothing.
    generic = openapi["paths"]["/echo-json"]["post"]["responses"]["422"]["description"]
    assert generic != "Validation Error"
    assert "errors" in generic


def test_success_responses_stay_json(openapi):
    ok = openapi["paths"]["/things"]["get"]["responses"]["200"]
    assert "application/json" in ok["content"]


def test_openapi_is_built_once(sk_app):
    assert sk_app.openapi() is sk_app.openapi()


def test_bearer_scheme_is_documented(openapi):
    scheme = openapi["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"


def test_app_state_is_wired(sk_app):
    assert isinstance(sk_app.state.verifier, TokenVerifier)
    assert sk_app.state.settings.max_body_bytes == 1024
    assert sk_app.state.engine is not None


def test_large_responses_are_gzipped(sk_client, reader, make_thing):
    for _ in range(30):
        make_thing(name="g" * 50)
    response = sk_client.get("/things?limit=200", headers={**reader, "Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["items"]  # httpx decodes it


def test_on_startup_runs_and_engine_is_disposed(sk_build_app, sk_database, keys):
    from servicekit.app import create_service_app

    built = sk_build_app(sk_database, keys.public_path)
    started: list[object] = []
    app = create_service_app(
        title="t",
        version="1",
        description="d",
        settings=built.state.settings,
        engine=built.state.engine,
        routers=[],
        on_startup=started.append,
    )
    disposed: list[bool] = []
    original = app.state.engine.dispose
    app.state.engine.dispose = lambda: disposed.append(True) or original()
    with TestClient(app) as client:
        assert started == [app]
        assert client.get("/livez").status_code == 200
    assert disposed == [True]


def test_a_verifier_can_be_passed_in(sk_build_app, sk_database, keys):
    from servicekit.app import create_service_app

    built = sk_build_app(sk_database, keys.public_path)
    verifier = TokenVerifier(issuer="x", audience="y", public_key_pem=keys.public_path.read_bytes())
    app = create_service_app(
        title="t",
        version="1",
        description="d",
        settings=built.state.settings,
        engine=built.state.engine,
        routers=[],
        verifier=verifier,
    )
    assert app.state.verifier is verifier
