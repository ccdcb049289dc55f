"""The pooled HTTP client the typed service clients share, as a route dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import Request


async def http_client(request: Request) -> AsyncIterator[httpx.AsyncClient]:
    """The app's pooled client (made at start-up); a short-lived one if the app was not started."""
    shared = getattr(request.app.state, "http", None)
    if shared is not None:
        yield shared
        return
    async with request.app.state.make_http_client() as client:
        yield client
