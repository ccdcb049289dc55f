"""JSON logs carrying the request id, Prometheus metrics, and the health probes."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog
from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.problems import REQUEST_ID_HEADER, problem_response


def _add_request_id(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = correlation_id.get()
    if request_id:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_request_id,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )


class AccessLogMiddleware:
    """One structured line per request, with the request id the web forwarded (or a new one)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.log = structlog.get_logger(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = scope.get("path", "")
            if path not in ("/livez", "/readyz", "/metrics"):
                self.log.info(
                    "request",
                    method=scope.get("method"),
                    path=path,
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )


def install_request_id(app: FastAPI) -> None:
    app.add_middleware(CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER)


class _DefaultRegistryMetrics:
    """Process, GC and any module-level metrics of the default registry, shown beside the app's."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def install_metrics(app: FastAPI) -> None:
    # The HTTP metrics live in a registry of the app's own: in the shared default registry a second
    # app built in the same process (tests, an app factory called twice) would find them already
    # registered, and prometheus-fastapi-instrumentator then silently records nothing for it.
    registry = CollectorRegistry()
    registry.register(_DefaultRegistryMetrics())
    app.state.metrics_registry = registry
    Instrumentator(excluded_handlers=["/metrics", "/livez", "/readyz"], registry=registry).instrument(app).expose(
        app, endpoint="/metrics", include_in_schema=False
    )


health_router = APIRouter(tags=["operations"])


@health_router.get("/livez", summary="The process is up", include_in_schema=False)
def livez() -> dict[str, str]:
    return {"status": "ok"}


@health_router.get("/readyz", summary="The database is reachable", include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        structlog.get_logger("servicekit").warning("readiness_failed")
        return problem_response(request, 503, "not-ready", "Service unavailable", "The database is not reachable.")
    return JSONResponse({"status": "ok"})
