"""OpenTelemetry tracing, on when an OTLP endpoint is configured (`*_OTEL_ENDPOINT`).

Each request becomes a server span named by its route; an incoming `traceparent` header joins the
caller's trace. Health and metrics probes are left out. The libraries are imported only when
tracing is on, so a service without an endpoint pays nothing for them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

EXCLUDED_URLS = "livez,readyz,metrics"


def install_tracing(app: FastAPI, service_name: str, endpoint: str | None, exporter: Any = None) -> None:
    """`exporter` replaces the OTLP exporter (tests pass an in-memory one)."""
    if not endpoint and exporter is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS)
    app.state.tracer_provider = provider
