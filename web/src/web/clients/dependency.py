"""The pooled HTTP client the services' calls share, as a route dependency, and the client of one
service for one incoming request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import Request

from servicekit.auth import Principal
from web.clients.base import ServiceClient

# The service names the pages use, with the setting that says where each service is.
SERVICE_URLS = {
    "framework": "framework_api_url",
    "recruitment": "recruitment_api_url",
    "monitoring": "monitoring_api_url",
}


async def http_client(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """The app's pooled client (made at start-up); a short-lived one if the app was not started."""
    shared = getattr(request.app.state, "http", None)
    if shared is not None:
        yield shared
        return
    async with request.app.state.make_http_client() as client:
        yield client


def service_client(service: str, request: Request, http: httpx.AsyncClient, principal: Principal) -> ServiceClient:
    """The client of `service` for one request: tokens signed by the app's signer for `principal`
    (the signed-in user), and the configured timeout."""
    settings = request.app.state.settings
    return ServiceClient(
        service,
        http,
        getattr(settings, SERVICE_URLS[service]),
        request.app.state.signer,
        principal,
        timeout=settings.service_timeout_seconds,
    )
