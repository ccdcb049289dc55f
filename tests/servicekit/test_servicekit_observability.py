"""Health probes, Prometheus metrics, the request id and JSON access logs."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from servicekit.errors import PROBLEM_MEDIA_TYPE, problem_type
from servicekit.observability import REQUEST_ID_HEADER, configure_logging


def test_livez(sk_client):
    response = sk_client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_when_the_database_answers(sk_client):
    response = sk_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "unreachable",
    [
        "sqlite:////nonexistent-directory/for/sure/db.sqlite",
        "postgresql+psycopg://nobody:nothing@127.0.0.1:9/none?connect_timeout=2",
    ],
)
def test_readyz_is_503_when_the_database_is_unreachable(sk_build_app, sk_database, keys, unreachable):
    app = sk_build_app(sk_database, keys.public_path)
    app.state.engine.dispose()
    app.state.engine = create_engine(unreachable)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        body = response.json()
        assert body["type"] == problem_type("not-ready")
        assert "nobody" not in response.text and "nothing" not in response.text
        assert client.get("/livez").status_code == 200


def test_probes_need_no_token_and_are_not_in_the_openapi(sk_client):
    paths = sk_client.get("/openapi.json").json()["paths"]
    assert not {"/livez", "/readyz", "/metrics"} & set(paths)


def test_metrics_expose_prometheus_text(sk_client, reader):
    sk_client.get("/things", headers=reader)
    response = sk_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert "# TYPE http_requests_total counter" in text
    labels = re.findall(r"http_requests_total\{([^}]*)\} \d", text)
    assert any({'handler="/things"', 'method="GET"', 'status="2xx"'} <= set(found.split(",")) for found in labels)
    assert "http_request_duration_seconds" in text
    # Probes and the metrics endpoint itself are not counted.
    assert 'handler="/metrics"' not in text
    assert 'handler="/livez"' not in text


def test_request_id_is_echoed(sk_client):
    request_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    response = sk_client.get("/livez", headers={REQUEST_ID_HEADER: request_id})
    assert response.headers[REQUEST_ID_HEADER] == request_id


def test_request_id_is_generated_when_missing(sk_client):
    first = sk_client.get("/livez").headers[REQUEST_ID_HEADER]
    second = sk_client.get("/livez").headers[REQUEST_ID_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_request_id_that_is_not_valid_is_replaced(sk_client):
    """Arbitrary text is not copied into logs and responses (log injection)."""
    response = sk_client.get("/livez", headers={REQUEST_ID_HEADER: "evil\\nvalue"})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers[REQUEST_ID_HEADER])


def test_request_id_is_on_problems_too(sk_client):
    response = sk_client.get("/nope", headers={REQUEST_ID_HEADER: "c" * 32})
    assert response.status_code == 404
    assert response.headers[REQUEST_ID_HEADER] == "c" * 32


def _log_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_access_log_is_json_with_the_request_id(sk_client, reader, capsys):
    configure_logging("INFO", json=True)  # bind the logger to pytest's captured stdout
    capsys.readouterr()
    sk_client.get("/things", headers={**reader, REQUEST_ID_HEADER: "d" * 32})
    sk_client.get("/livez")
    lines = _log_lines(capsys.readouterr().out)
    (access,) = [line for line in lines if line.get("event") == "request"]
    assert access["request_id"] == "d" * 32
    assert access["method"] == "GET"
    assert access["path"] == "/things"
    assert access["status"] == 200
    assert access["level"] == "info"
    assert isinstance(access["duration_ms"], float | int)
    assert access["timestamp"].endswith("Z")


def test_unhandled_error_is_logged_with_its_traceback_and_request_id(sk_client, capsys):
    configure_logging("INFO", json=True)
    capsys.readouterr()
    response = sk_client.get("/boom", headers={REQUEST_ID_HEADER: "e" * 32})
    lines = _log_lines(capsys.readouterr().out)
    (error,) = [line for line in lines if line.get("event") == "unhandled_error"]
    assert error["request_id"] == "e" * 32 == response.headers[REQUEST_ID_HEADER]
    assert "RuntimeError" in error["exception"]
    (access,) = [line for line in lines if line.get("event") == "request"]
    assert access["status"] == 500


def test_log_level_filters(sk_client, reader, capsys):
    configure_logging("WARNING", json=True)
    try:
        capsys.readouterr()
        sk_client.get("/things", headers=reader)
        assert not [line for line in _log_lines(capsys.readouterr().out) if line.get("event") == "request"]
    finally:
        configure_logging("INFO", json=True)


def test_console_logs_when_json_is_off(sk_client, capsys):
    configure_logging("INFO", json=False)
    try:
        capsys.readouterr()
        sk_client.get("/echo-json")
        out = capsys.readouterr().out
        assert "request" in out
        assert not out.lstrip().startswith("{")
    finally:
        configure_logging("INFO", json=True)


def test_every_app_counts_its_own_requests(sk_build_app, sk_database, keys):
    """Apps built in one process (tests, a factory called twice) each record their metrics."""
    apps = [sk_build_app(sk_database, keys.public_path) for _ in range(2)]
    texts = []
    for calls, app in enumerate(apps, start=1):
        with TestClient(app) as client:
            for _ in range(calls):
                client.post("/echo-size", content=b"abc")
            texts.append(client.get("/metrics").text)
    for calls, text in enumerate(texts, start=1):
        assert re.search(rf'http_requests_total\{{[^}}]*handler="/echo-size"[^}}]*\}} {calls}\.0', text), text
        assert "python_gc_objects_collected_total" in text  # the default registry's metrics too
