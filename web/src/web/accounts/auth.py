"""Who is asking: the session cookie, the signed-in user, their scopes, and the CSRF check.

Every request that changes something (POST, PUT, PATCH, DELETE) must carry the CSRF token of the
session: as the form field `csrf_token`, or as the `X-CSRF-Token` header htmx sends. Before sign-in
there is no session, so the sign-in form's token is a random value also held in a cookie
(double submit).

The user is read in a short database session of its own (`servicekit.db.in_session`: a worker
thread, and the connection given back at once), never in the route's: a page that then waits for
framework-api or recruitment-api holds no place in the database meanwhile. A request without a
session cookie, /livez included, does not touch the database at all."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from servicekit.auth import Principal
from servicekit.db import in_session
from web.accounts import service
from web.accounts.models import User, UserSession
from web.accounts.roles import scopes_for, service_scopes_for
from web.exceptions import CsrfRefused, NotPermitted, SignInRequired

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Identity:
    user: User
    session: UserSession
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def principal(self) -> Principal:
        """The user as the actor of audit records (all scopes, web-only ones included)."""
        return Principal(subject=str(self.user.uid), org=self.user.org, scopes=self.scopes, name=self.user.display_name)

    @property
    def service_principal(self) -> Principal:
        """The user as the subject of a token for a service (scopes the services know)."""
        return Principal(
            subject=str(self.user.uid),
            org=self.user.org,
            scopes=service_scopes_for(self.user.roles),
            name=self.user.display_name,
        )


def cookie_names(request: Request) -> tuple[str, str]:
    """(session cookie, sign-in form cookie); `__Host-` names when cookies are Secure."""
    if request.app.state.settings.session_cookie_secure:
        return "__Host-collective_session", "__Host-collective_signin"
    return "collective_session", "collective_signin"


def now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


def _identity_of(db: Session, token: str, at: datetime) -> Identity | None:
    found = service.find_session(db, token, now=at)
    if found is None:
        return None
    record, user = found
    return Identity(user=user, session=record, scopes=scopes_for(user.roles))


async def identify(request: Request) -> Identity | None:
    """The signed-in user of this request, read once (in a short database session of its own, and
    only when the browser sends a session cookie), then kept on request.state."""
    if hasattr(request.state, "identity"):
        known: Identity | None = request.state.identity
        return known
    session_cookie, signin_cookie = cookie_names(request)
    token = request.cookies.get(session_cookie)
    identity = await in_session(request.app, _identity_of, token, now(request)) if token else None
    request.state.identity = identity
    request.state.csrf_token = identity.session.csrf_token if identity else request.cookies.get(signin_cookie, "")
    return identity


async def optional_identity(request: Request) -> Identity | None:
    return await identify(request)


async def require_identity(identity: Annotated[Identity | None, Depends(optional_identity)]) -> Identity:
    if identity is None:
        raise SignInRequired()
    return identity


class RequireScopes:
    """Dependency: a signed-in user holding every scope named (sign in first; 403 otherwise)."""

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes

    async def __call__(self, identity: Annotated[Identity, Depends(require_identity)]) -> Identity:
        if not all(identity.has(scope) for scope in self.scopes):
            raise NotPermitted(self.scopes)
        return identity


CurrentIdentity = Annotated[Identity, Depends(require_identity)]


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: refuse a change without this session's CSRF token (403). A GET (and
    /livez) passes without reading anything; a change reads the user first (`identify`)."""
    if request.method in SAFE_METHODS:
        return
    identity = await identify(request)
    if identity is not None:
        expected = identity.session.csrf_token
    else:
        expected = request.cookies.get(cookie_names(request)[1], "")
    provided = request.headers.get(CSRF_HEADER)
    if provided is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            provided = value if isinstance(value, str) else None
    if not expected or not provided or not secrets.compare_digest(expected.encode(), provided.encode()):
        raise CsrfRefused()


def new_signin_token(request: Request) -> str | None:
    """An anonymous browser without a sign-in token gets one: kept for the page about to be
    rendered, and returned so the route sets it as a cookie. None when the browser has one."""
    if request.state.csrf_token:
        return None
    token = secrets.token_urlsafe(32)
    request.state.csrf_token = token
    return token


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.session_cookie_secure,
    )
