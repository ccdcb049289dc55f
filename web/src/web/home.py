"""The home page: what Collective is, and where each of the user's roles takes them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.accounts.auth import CurrentIdentity
from web.accounts.roles import ROLE_LABELS, parse_roles
from web.navigation import visible_entries
from web.pages import render

router = APIRouter()


@router.get("/", include_in_schema=False)
def home(request: Request, identity: CurrentIdentity) -> Response:
    return render(
        request,
        "home.html",
        {
            "page_title": "Collective",
            "entries": visible_entries(identity.scopes),
            "roles": [ROLE_LABELS[role][0] for role in parse_roles(identity.user.roles)],
        },
    )
