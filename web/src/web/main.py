"""The web shell: wires settings, database, routers, middleware and static files. Nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI

from servicekit.db import make_engine
from servicekit.keys import PRIVATE_NAME, ensure_keys
from servicekit.nul import install_nul_guard
from servicekit.observability import (
    AccessLogMiddleware,
    configure_logging,
    health_router,
    install_metrics,
    install_request_id,
)
from servicekit.tracing import install_tracing
from web import db
from web.accounts.auth import csrf_protect
from web.accounts.routes import router as accounts_router
from web.assets import mount_assets
from web.clients.base import TokenSigner
from web.config import Settings
from web.errors import install_error_pages, nul_refused
from web.frameworks.routes import router as frameworks_router
from web.home import router as home_router
from web.monitoring import admin as monitoring_admin
from web.monitoring import culture as monitoring_culture
from web.monitoring import culture_admin as monitoring_culture_admin
from web.monitoring import home as monitoring_home
from web.monitoring import indicators as monitoring_indicators
from web.monitoring import plan as monitoring_plan
from web.monitoring import regional as monitoring_regional
from web.recruitment import candidates, fairness, privacy, results, scoring, vacancies
from web.security import SecurityHeadersMiddleware, StaticGZipMiddleware


def load_signing_key(settings: Settings) -> bytes:
    """The Ed25519 key the web signs its users' tokens with; made on first run outside production."""
    path = settings.keys_dir / PRIVATE_NAME
    if settings.environment == "production":
        if not path.exists():
            raise RuntimeError(f"no signing key at {path}: mount the production key there")
    else:
        ensure_keys(settings.keys_dir)
    return path.read_bytes()


def create_app(
    settings: Settings | None = None, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> FastAPI:
    """`transports` maps a service's base URL (e.g. "http://localhost:8001") to the transport that
    reaches it; tests use it to route framework-api to an in-process app or a mock."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.migrate_on_startup:
        db.upgrade(settings.database_url)
    engine = make_engine(settings.database_url, settings.pool_limits())
    signer = TokenSigner(
        load_signing_key(settings),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl_seconds=settings.token_ttl_seconds,
    )

    def make_http_client() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=httpx.Timeout(settings.service_timeout_seconds),
            mounts=dict(transports or {}),
            follow_redirects=False,
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with make_http_client() as http:
            app.state.http = http
            yield
            app.state.http = None
        engine.dispose()

    app = FastAPI(
        title="Collective",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.signer = signer
    app.state.clock = db.utcnow
    app.state.make_http_client = make_http_client

    install_error_pages(app)
    app.include_router(health_router)
    app.include_router(home_router)
    app.include_router(accounts_router)
    app.include_router(frameworks_router)
    # The recruitment pages, named after recruitment-api's domains.
    for module in (vacancies, candidates, scoring, results, fairness, privacy):
        app.include_router(module.router)
    app.include_router(scoring.stage_router)
    # The monitoring pages.
    app.include_router(monitoring_home.router)
    app.include_router(monitoring_indicators.router)
    app.include_router(monitoring_culture.router)
    app.include_router(monitoring_plan.router)
    app.include_router(monitoring_regional.router)
    app.include_router(monitoring_culture_admin.router)
    app.include_router(monitoring_admin.router)
    mount_assets(app, settings.node_modules_dir)
    install_metrics(app)
    # Outermost last: request id first, so the access log carries it.
    app.add_middleware(StaticGZipMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.session_cookie_secure)
    app.add_middleware(AccessLogMiddleware, service="web")
    install_request_id(app)
    install_tracing(app, "Collective web", settings.otel_endpoint)
    # NUL is refused before any page runs, so SQLite and PostgreSQL answer alike.
    install_nul_guard(app, inside=SecurityHeadersMiddleware, respond=nul_refused)
    return app
