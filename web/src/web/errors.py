"""The HTML pages (never JSON, never a stack trace) that refusals and failures become: the handlers
`web.main` installs at the edge. The refusals themselves are in `web.exceptions`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicekit.errors import RETRY_AFTER_SECONDS, DatabaseBusy, is_database_unavailable
from web.accounts.auth import identify
from web.accounts.hashing import ClientGone, HashingBusy
from web.exceptions import CsrfRefused, NotPermitted, SignInRequired
from web.pages import is_htmx, render
from web.security import SECURITY_HEADERS

log = structlog.get_logger("web")


async def _identify(request: Request) -> None:
    """Error pages are for signed-in users too: show their navigation where possible (the user is
    read as every page reads it, admitted to the database and off the event loop)."""
    if hasattr(request.state, "identity"):
        return
    try:
        await identify(request)
    except Exception:  # the error page must render whatever state the database is in
        log.warning("identity_unavailable_for_error_page", exc_info=True)
        request.state.identity = None


def sign_in_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/sign-in" if target == "/" else f"/sign-in?next={quote(target, safe='')}"


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    url = sign_in_url(request) if request.method in ("GET", "HEAD") else "/sign-in"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def _not_permitted(request: Request, exc: Exception) -> Response:
    await _identify(request)
    return render(
        request,
        "errors/forbidden.html",
        {"page_title": "You do not have access to this page"},
        block="content",  # an htmx request gets the explanation alone, for the part of the page it updates
        status_code=403,
    )


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    await _identify(request)
    return render(
        request, "errors/csrf.html", {"page_title": "Your form could not be sent"}, block="content", status_code=403
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    await _identify(request)
    if exc.status_code == 404:
        return render(request, "errors/not_found.html", {"page_title": "Page not found"}, status_code=404)
    if exc.status_code == 403:
        return await _not_permitted(request, exc)
    headers = getattr(exc, "headers", None)
    return render(
        request,
        "errors/error.html",
        {"page_title": "Sorry, that did not work", "status": exc.status_code},
        status_code=exc.status_code,
        headers=headers,
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    await _identify(request)
    if any(err.get("loc", ("",))[0] == "path" for err in exc.errors()):
        # /versions/not-a-uuid is simply a page that does not exist.
        return render(request, "errors/not_found.html", {"page_title": "Page not found"}, status_code=404)
    return render(
        request, "errors/error.html", {"page_title": "Sorry, that did not work", "status": 400}, status_code=400
    )


async def _database_error(request: Request, exc: Exception) -> Response:
    """The web's own database (accounts and sessions) cannot answer: a page that says to come back,
    not a 500, and no attempt to load the user from that same database."""
    if not is_database_unavailable(exc):
        return await _unhandled(request, exc)
    log.warning("database_unavailable", path=request.url.path, error=type(exc).__name__)
    request.state.identity = None
    return render(
        request,
        "errors/error.html",
        {"page_title": "Sorry, Collective is not available just now", "status": 503},
        status_code=503,
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _busy(request: Request, exc: Exception) -> Response:
    """Too many passwords to weigh at once (a crowd signing in): come back in a moment."""
    log.warning("password_hashing_busy", path=request.url.path)
    await _identify(request)
    return render(
        request,
        "errors/error.html",
        {"page_title": "Sorry, Collective is busy just now", "status": 503, "busy": True},
        status_code=503,
        headers={"Cache-Control": "no-store", "Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _client_gone(request: Request, exc: Exception) -> Response:
    """Nobody is waiting for this answer (499, as proxies log a client that closed the request)."""
    return Response(status_code=499)


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path)
    await _identify(request)
    # Rendered outside the middleware stack (Starlette's ServerErrorMiddleware), so the security
    # headers are added here.
    return render(
        request,
        "errors/error.html",
        {"page_title": "Sorry, there is a problem with the service", "status": 500},
        status_code=500,
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


async def nul_refused(request: Request, errors: list[dict[str, Any]]) -> Response:
    """A form or address holding the NUL character (servicekit.nul refuses it before any page runs)."""
    await _identify(request)
    return render(
        request,
        "errors/error.html",
        {"page_title": "Sorry, that text cannot be saved", "status": 422},
        status_code=422,
    )


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(NotPermitted, _not_permitted)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HashingBusy, _busy)
    app.add_exception_handler(ClientGone, _client_gone)
    for database_error in (DatabaseBusy, DBAPIError, PoolTimeout):
        app.add_exception_handler(database_error, _database_error)
    app.add_exception_handler(Exception, _unhandled)
