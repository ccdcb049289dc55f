"""Body size limit: 413 by Content-Length and by a streamed (chunked) body; per-path overrides."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from servicekit.errors import PROBLEM_MEDIA_TYPE, problem_type
from servicekit.limits import BodySizeLimitMiddleware
from servicekit.problems import install_problem_handlers

MAX_BODY = 1024  # as configured by the test app in conftest.py
BULK_MAX_BODY = 8192


def chunks(total: int, size: int = 100):
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"x" * piece


def assert_too_large(response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"] == problem_type("content-too-large")
    assert body["max_bytes"] == limit
    assert str(limit) in body["detail"]


def test_body_at_the_limit_is_accepted(sk_client):
    response = sk_client.post("/echo-size", content=b"x" * MAX_BODY)
    assert response.status_code == 200
    assert response.json() == {"received": MAX_BODY}


def test_declared_content_length_over_the_limit_is_413(sk_client):
    response = sk_client.post("/echo-size", content=b"x" * (MAX_BODY + 1))
    assert_too_large(response, MAX_BODY)
    assert response.json()["instance"] == "/echo-size"
    assert response.headers["x-request-id"]


def test_413_comes_before_authentication(sk_client):
    """The size check runs before any route work, authentication included."""
    response = sk_client.post("/things", content=b"{" + b" " * 5000 + b"}")
    assert_too_large(response, MAX_BODY)


def test_streamed_body_over_the_limit_is_413_not_400(sk_client):
    response = sk_client.post("/echo-size", content=chunks(MAX_BODY * 3))
    assert_too_large(response, MAX_BODY)


def test_streamed_json_body_over_the_limit_is_413(sk_client):
    """FastAPI turns any error while reading a JSON body into 400; the limit must still win."""

    def body():
        yield b'{"name": "'
        yield b"n" * (MAX_BODY * 2)
        yield b'", "size": 1}'

    response = sk_client.post("/echo-json", content=body(), headers={"content-type": "application/json"})
    assert_too_large(response, MAX_BODY)


def test_streamed_body_read_with_request_stream_is_413(sk_client):
    assert_too_large(sk_client.post("/stream-size", content=chunks(MAX_BODY + 50)), MAX_BODY)


def test_streamed_body_under_the_limit_is_accepted(sk_client):
    response = sk_client.post("/stream-size", content=chunks(MAX_BODY - 10))
    assert response.status_code == 200
    assert response.json() == {"received": MAX_BODY - 10}


def test_override_raises_the_limit_for_bulk_paths(sk_client):
    response = sk_client.post("/bulk/import", content=b"x" * (MAX_BODY * 4))
    assert response.status_code == 200
    assert response.json() == {"received": MAX_BODY * 4}
    assert_too_large(sk_client.post("/bulk/import", content=b"x" * (BULK_MAX_BODY + 1)), BULK_MAX_BODY)
    assert_too_large(sk_client.post("/bulk/import", content=chunks(BULK_MAX_BODY + 1)), BULK_MAX_BODY)


def test_get_without_body_is_unaffected(sk_client, reader):
    assert sk_client.get("/things", headers=reader).status_code == 200


def test_limit_for_uses_full_match_of_the_first_matching_override():
    middleware = BodySizeLimitMiddleware(app=None, max_bytes=10, overrides={r"/a/.*": 100, r"/a/b": 1000})
    assert middleware.limit_for("/a/b") == 100
    assert middleware.limit_for("/a") == 10
    assert middleware.limit_for("/x/a/b") == 10


@pytest.fixture
def bare_app() -> FastAPI:
    """Only the middleware and problem handlers, to see the ASGI behaviour in isolation."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/json")
    async def read_json(request: Request) -> dict[str, int]:
        return {"keys": len(await request.json())}

    @app.post("/partial")
    async def read_partially(request: Request) -> dict[str, int]:
        async for chunk in request.stream():
            return {"first": len(chunk)}
        return {"first": 0}

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=64)
    return app


def test_bare_middleware_refuses_a_streamed_body(bare_app):
    client = TestClient(bare_app)
    response = client.post("/json", content=chunks(500, 10))
    assert response.status_code == 413
    small = json.dumps({"a": 1}).encode()
    assert client.post("/json", content=small).json() == {"keys": 1}


def drive(app, path: str, pieces: list[bytes], headers: list[tuple[bytes, bytes]]) -> list[dict]:
    """Send a body to an ASGI app as several http.request messages, as a real server does."""
    import asyncio

    async def run() -> list[dict]:
        sent: list[dict] = []
        messages = [
            {"type": "http.request", "body": piece, "more_body": index < len(pieces) - 1}
            for index, piece in enumerate(pieces)
        ]

        async def receive() -> dict:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("testserver", 80),
        }
        await app(scope, receive, send)
        return sent

    return asyncio.run(run())


def status_of(sent: list[dict]) -> int:
    starts = [message for message in sent if message["type"] == "http.response.start"]
    assert len(starts) == 1, sent
    return starts[0]["status"]


CHUNKED = [(b"transfer-encoding", b"chunked"), (b"content-type", b"application/json")]


def test_body_over_the_limit_across_several_messages_is_413(bare_app):
    sent = drive(bare_app, "/json", [b"[" + b"1," * 20, b"1," * 20, b"1," * 20 + b"1]"], CHUNKED)
    assert status_of(sent) == 413
    body = json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))
    assert body["max_bytes"] == 64


def test_body_under_the_limit_across_several_messages_is_accepted(bare_app):
    sent = drive(bare_app, "/json", [b"[1,", b"2,", b"3]"], CHUNKED)
    assert status_of(sent) == 200


def test_route_that_stops_reading_early_is_not_refused(bare_app):
    sent = drive(bare_app, "/partial", [b"x" * 10] * 50, CHUNKED)
    assert status_of(sent) == 200


def test_non_numeric_content_length_falls_back_to_counting(bare_app):
    """A bogus Content-Length is not trusted either way; the bytes actually read are counted."""
    headers = [(b"content-length", b"abc"), (b"content-type", b"application/json")]
    assert status_of(drive(bare_app, "/json", [b"x" * 200], headers)) == 413


def test_understated_content_length_is_still_counted(bare_app):
    headers = [(b"content-length", b"10"), (b"content-type", b"application/json")]
    assert status_of(drive(bare_app, "/json", [b"[1,", b"1," * 100 + b"1]"], headers)) == 413
