"""What every monitoring page shares: the client of monitoring-api for the signed-in user and the
scopes each kind of page needs."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Request

from web.accounts.auth import CurrentIdentity, Identity, RequireScopes
from web.clients.base import ServiceClient
from web.clients.dependency import http_client, service_client

Reader = Annotated[Identity, Depends(RequireScopes("monitoring:read"))]
Writer = Annotated[Identity, Depends(RequireScopes("monitoring:read", "monitoring:write"))]
Admin = Annotated[Identity, Depends(RequireScopes("monitoring:read", "monitoring:admin"))]
# Every organisation side by side (the Department of Health and SPPG).
Regional = Annotated[Identity, Depends(RequireScopes("monitoring:read", "monitoring:regional"))]
Http = Annotated[httpx.AsyncClient, Depends(http_client)]


async def monitoring_client(request: Request, identity: CurrentIdentity, http: Http) -> ServiceClient:
    """monitoring-api for the signed-in user (the page's own scopes decide who may see it)."""
    return service_client("monitoring", request, http, identity.service_principal)


async def recruitment_client(request: Request, identity: CurrentIdentity, http: Http) -> ServiceClient:
    """recruitment-api for a monitoring page (My organisation's recruitment headline)."""
    return service_client("recruitment", request, http, identity.service_principal)


Client = Annotated[ServiceClient, Depends(monitoring_client)]
Recruitment = Annotated[ServiceClient, Depends(recruitment_client)]
