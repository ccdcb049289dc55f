"""The pooled HTTP client the typed service clients share, as a route dependency, and the typed
clients made from it for one incoming request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

import httpx
from fastapi import Request

from servicekit.auth import Principal
from web.clients.base import ServiceClient

ClientT = TypeVar("ClientT", bound=ServiceClient)


async def http_client(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """The app's pooled client (made at start-up); a short-lived one if the app was not started."""
    shared = getattr(request.app.state, "http", None)
    if shared is not None:
        yield shared
        return
    async with request.app.state.make_http_client() as client:
        yield client


def service_client(
    client_class: type[ClientT], base_url: str, request: Request, http: httpx.AsyncClient, principal: Principal
) -> ClientT:
    """A typed client of the service at `base_url` for one request: tokens signed by the app's signer
    for `principal` (the signed-in user), and the configured timeout."""
    settings = request.app.state.settings
    return client_class(http, base_url, request.app.state.signer, principal, timeout=settings.service_timeout_seconds)
