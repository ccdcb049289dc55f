"""RFC 9457 problem documents for every error: validation, unknown routes, crashes, helpers."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from servicekit.errors import (
    PROBLEM_BASE,
    PROBLEM_MEDIA_TYPE,
    ProblemError,
    conflict,
    not_found,
    problem_type,
    unprocessable,
)
from servicekit.problems import Problem, install_problem_handlers, problem_response, problem_responses


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == problem_type(slug)
    assert body["status"] == status
    assert body["title"]
    Problem.model_validate(body)
    return body


# --- validation ----------------------------------------------------------------------------


def test_422_from_a_pydantic_body_names_the_field(sk_client, writer):
    response = sk_client.post("/things", json={"name": "", "size": -1}, headers=writer)
    body = assert_problem(response, 422, "validation-error")
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"body.name", "body.size"}
    for error in body["errors"]:
        assert error["message"]
        assert error["type"]
    assert "body.name" in body["detail"]
    assert body["instance"] == "/things"


def test_422_for_a_missing_field(sk_client):
    body = assert_problem(sk_client.post("/echo-json", json={"size": 3}), 422, "validation-error")
    assert body["errors"] == [{"field": "body.name", "message": "Field required", "type": "missing"}]


@pytest.mark.parametrize("content", [b"{not json", b"not json at all", b'{"name": "x"'])
def test_422_for_a_body_that_is_not_json_says_so_and_names_the_body(sk_client, content):
    response = sk_client.post("/echo-json", content=content, headers={"content-type": "application/json"})
    body = assert_problem(response, 422, "validation-error")
    # Not `body.10`: the offset FastAPI puts in the location is no field.
    assert body["detail"] == "The body is not valid JSON."
    [error] = body["errors"]
    assert error["field"] == "body" and error["type"] == "json_invalid"
    assert error["message"].startswith("The body is not valid JSON")


@pytest.mark.parametrize("content", [b"[1]", b"1", b"null", b'"x"'])
def test_422_for_a_body_of_the_wrong_shape_names_the_body_without_an_empty_segment(sk_client, content):
    response = sk_client.post("/echo-json", content=content, headers={"content-type": "application/json"})
    body = assert_problem(response, 422, "validation-error")
    assert [e["field"] for e in body["errors"]] == ["body"]
    assert body["detail"] == "Check these fields: body (see errors)."


def test_field_paths_never_have_an_empty_segment():
    from servicekit.problems import _field_path

    assert _field_path(("body", "", "count")) == "body.count"
    assert _field_path(("body", "items", 0, "name")) == "body.items.0.name"


def test_422_for_a_query_parameter(sk_client, reader):
    body = assert_problem(sk_client.get("/things?limit=0", headers=reader), 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["query.limit"]


def test_422_for_a_path_parameter(sk_client, reader):
    body = assert_problem(sk_client.get("/things/not-a-uuid", headers=reader), 422, "validation-error")
    assert [error["field"] for error in body["errors"]] == ["path.uid"]


def test_422_has_no_input_echo_or_internal_detail(sk_client):
    response = sk_client.post("/echo-json", json={"name": "x", "size": "secret-value"})
    assert response.status_code == 422
    assert "secret-value" not in response.text
    assert "pydantic" not in response.text.lower()


# --- other errors --------------------------------------------------------------------------


def test_unknown_route_is_a_404_problem(sk_client):
    body = assert_problem(sk_client.get("/no/such/route"), 404, "not-found")
    assert body["instance"] == "/no/such/route"


def test_wrong_method_is_a_405_problem_with_allow(sk_client):
    assert_problem(sk_client.delete("/echo-json"), 405, "method-not-allowed")
    assert "POST" in sk_client.delete("/echo-json").headers["allow"]


def test_not_found_helper_for_another_organisations_data(sk_client, keys, make_thing):
    thing = make_thing()
    other_org = keys.headers("things:read", org="SEHSCT")
    body = assert_problem(sk_client.get(f"/things/{thing['id']}", headers=other_org), 404, "not-found")
    assert body["detail"] == "No thing with that identifier."


def test_unhandled_exception_is_a_500_problem_without_stack_trace(sk_client):
    response = sk_client.get("/boom")
    body = assert_problem(response, 500, "internal-error")
    text = response.text
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret_table", "SELECT", ".py"):
        assert leak not in text
    # The client gets the request id it can quote, in the header and in the body.
    assert response.headers["x-request-id"]
    assert body["request_id"] == response.headers["x-request-id"]


def test_500_keeps_the_request_id_the_caller_sent(sk_client):
    request_id = "0123456789abcdef0123456789abcdef"
    response = sk_client.get("/boom", headers={"X-Request-ID": request_id})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == request_id


def test_problem_error_renders_extensions_and_headers(sk_client):
    response = sk_client.get("/locked")
    body = assert_problem(response, 409, "thing-locked")
    assert body["title"] == "Thing locked"
    assert body["detail"] == "The thing is locked."
    assert body["locked_by"] == "someone"
    assert response.headers["x-why"] == "lock"


def test_plain_http_exception_becomes_a_problem(sk_client):
    body = assert_problem(sk_client.get("/plain-http-error"), 409, "conflict")
    assert body["title"] == "Conflict"
    assert body["detail"] == "A plain HTTPException."


# --- helpers -------------------------------------------------------------------------------


def test_problem_type_is_a_stable_uri():
    assert problem_type("not-found") == PROBLEM_BASE + "not-found"
    assert PROBLEM_BASE.startswith("https://")


def test_helpers_build_the_common_refusals():
    missing = not_found("vacancy")
    assert (missing.status, missing.slug, missing.title) == (404, "not-found", "Not found")
    assert "vacancy" in missing.detail
    clash = conflict("already-published", "The version is published.", version=3)
    assert (clash.status, clash.slug, clash.extensions) == (409, "already-published", {"version": 3})
    invalid = unprocessable("Bad rows.", errors=[{"field": "csv.name", "message": "empty"}])
    assert (invalid.status, invalid.slug, invalid.title) == (422, "validation-error", "Request is not valid")
    assert invalid.errors == [{"field": "csv.name", "message": "empty"}]


def test_problem_error_defaults():
    error = ProblemError(409, "state-conflict")
    assert error.title == "State conflict"
    assert error.detail is None
    assert error.headers == {}
    assert str(error) == "state-conflict"


def test_problem_response_leaves_out_empty_members():
    response = problem_response(None, 503, "not-ready", "Service unavailable")
    assert response.media_type == PROBLEM_MEDIA_TYPE
    assert response.body == (
        b'{"type":"https://collective.hscni.net/problems/not-ready","title":"Service unavailable","status":503}'
    )


def test_problem_responses_documents_statuses():
    documented = problem_responses(404, 409)
    assert set(documented) == {404, 409}
    assert documented[404]["description"] == "Not Found"
    schema = documented[409]["content"][PROBLEM_MEDIA_TYPE]["schema"]
    assert schema == {"$ref": "#/components/schemas/Problem"}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 406, 415, 429, 418, 599])
def test_every_http_exception_status_becomes_a_problem(status):
    from starlette.exceptions import HTTPException

    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/raise")
    def _raise() -> None:
        raise HTTPException(status_code=status)

    response = TestClient(app).get("/raise")
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith(PROBLEM_BASE)
    assert "detail" not in body  # the default detail only repeats the title


def test_a_value_the_database_refuses_is_a_422_not_a_500():
    import asyncio

    from sqlalchemy.exc import DataError

    from servicekit.problems import _unstorable_value_handler

    class Orig(Exception):
        def __str__(self):
            return "PostgreSQL text fields cannot contain NUL (0x00) bytes"

    response = asyncio.run(_unstorable_value_handler(None, DataError("INSERT", {}, Orig())))
    assert response.status_code == 422
    assert response.media_type == "application/problem+json"
    assert b"NUL" in response.body and b"unstorable-value" in response.body
