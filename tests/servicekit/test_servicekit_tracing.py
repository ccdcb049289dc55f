"""Tracing: off without an endpoint; with one, each request is a span named by its route."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from servicekit.app import create_service_app
from servicekit.config import ServiceSettings
from servicekit.db import make_engine

router = APIRouter()


@router.get("/things/{thing_id}")
def read_thing(thing_id: int) -> dict[str, int]:
    return {"id": thing_id}


def build(tmp_path, keys, exporter=None, endpoint=None):
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 't.db'}",
        jwt_public_key_path=keys.public_path,
        otel_endpoint=endpoint,
        log_level="WARNING",
    )
    return create_service_app(
        title="traced",
        version="1",
        description="",
        settings=settings,
        engine=make_engine(settings.database_url),
        routers=[router],
        span_exporter=exporter,
    )


def test_no_endpoint_no_tracing(tmp_path, keys):
    app = build(tmp_path, keys)
    assert not hasattr(app.state, "tracer_provider")


def test_requests_become_spans_named_by_route_and_join_the_callers_trace(tmp_path, keys):
    exporter = InMemorySpanExporter()
    app = build(tmp_path, keys, exporter=exporter)
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    with TestClient(app) as client:
        assert client.get("/things/7", headers={"traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"}).json() == {
            "id": 7
        }
        client.get("/livez")
    spans = exporter.get_finished_spans()
    server = [s for s in spans if s.kind.name == "SERVER"]
    assert [s.name for s in server] == ["GET /things/{thing_id}"]
    assert format(server[0].context.trace_id, "032x") == caller_trace
    assert server[0].resource.attributes["service.name"] == "traced"
    app.state.tracer_provider.shutdown()
