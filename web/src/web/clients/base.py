"""Sending the generated clients' calls for the signed-in user: a short-lived token signed for
them, the request id forwarded, timeouts, and errors the pages can turn into clear notices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import structlog
from asgi_correlation_id import correlation_id
from opentelemetry.propagate import inject
from pydantic import BaseModel, ValidationError

from collective_clients.runtime import Call
from servicekit.auth import Principal
from servicekit.keys import issue_token
from servicekit.problems import REQUEST_ID_HEADER

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

log = structlog.get_logger("web.clients")


def unvalidated(model: type[M], **fields: Any) -> M:
    """A request body as the user gave it, for the service to judge: its 422 problem lands beside
    the form's fields. `model_construct`, typed for what it does: nothing is checked here, so a
    field may hold what the form had (a plain string for a constrained one, None for a missing one)."""
    return model.model_construct(**fields)


class ServiceUnavailable(Exception):
    """The service could not be reached, timed out, failed (5xx) or answered nonsense."""

    def __init__(self, service: str, reason: str, problem: dict[str, Any] | None = None) -> None:
        super().__init__(f"{service} is not available: {reason}")
        self.service = service
        self.reason = reason
        self.problem = problem or {}


class ServiceError(Exception):
    """The service refused the request (4xx); `problem` is its RFC 9457 body when it sent one."""

    def __init__(self, service: str, status: int, problem: dict[str, Any] | None = None) -> None:
        self.service = service
        self.status = status
        self.problem = problem or {}
        super().__init__(f"{service} answered {status}: {self.detail}")

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or self.problem.get("title") or "")

    @property
    def slug(self) -> str:
        """The last part of the problem's `type` URI (e.g. "design-locked"), or ""."""
        return str(self.problem.get("type") or "").rstrip("/").rsplit("/", 1)[-1]

    def field_errors(self) -> list[dict[str, Any]]:
        errors = self.problem.get("errors")
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


class ServiceNotFound(ServiceError):
    """404: no such thing, or not one the user's organisation may see."""


class ServiceRefused(ServiceError):
    """401 or 403: the service did not accept the user's token or scopes."""


@dataclass(frozen=True)
class TokenSigner:
    """Signs the short-lived tokens the web sends to the services on a user's behalf."""

    private_pem: bytes
    issuer: str = "collective-local"
    audience: str = "collective"
    ttl_seconds: int = 120

    def sign(self, principal: Principal) -> str:
        return issue_token(
            self.private_pem,
            subject=principal.subject,
            org=principal.org,
            scopes=principal.scopes,
            ttl_seconds=self.ttl_seconds,
            issuer=self.issuer,
            audience=self.audience,
            name=principal.name,
        )


class ServiceClient:
    """One service for one incoming request: sends the generated clients' calls
    (`collective_clients.<service>.operations`) with a token signed for the signed-in user, the
    request id and trace context, and the configured timeout, and turns what comes back into the
    call's typed answer or the exceptions the pages explain."""

    def __init__(
        self,
        service: str,
        http: httpx.AsyncClient,
        base_url: str,
        signer: TokenSigner,
        principal: Principal,
        *,
        timeout: float = 5.0,
    ) -> None:
        self.service = service
        self._http = http
        self._base_url = base_url
        self._signer = signer
        self._principal = principal
        self._timeout = timeout
        self._token: str | None = None

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            self._token = self._signer.sign(self._principal)
        headers = {"Authorization": f"Bearer {self._token}"}
        request_id = correlation_id.get()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        inject(headers)  # W3C traceparent, when tracing is on: the service's span joins the page's trace
        return headers

    async def send(self, call: Call[T]) -> T:
        """The call's answer. 4xx become ServiceError (404 ServiceNotFound, 401/403 ServiceRefused);
        anything that is not an answer, or not of the documented shape, becomes ServiceUnavailable."""
        request = call.build(self._http, base_url=self._base_url, headers=self._headers(), timeout=self._timeout)
        method, path = call.method, call.path
        try:
            response = await self._http.send(request)
        except httpx.TimeoutException as exc:
            log.warning("service_timeout", service=self.service, method=method, path=path)
            raise ServiceUnavailable(self.service, "timed out") from exc
        except httpx.TransportError as exc:
            log.warning("service_unreachable", service=self.service, method=method, path=path, error=str(exc))
            raise ServiceUnavailable(self.service, "could not connect") from exc
        if response.status_code >= 500:
            log.warning("service_failed", service=self.service, method=method, path=path, status=response.status_code)
            raise ServiceUnavailable(self.service, f"answered {response.status_code}", _problem(response))
        if response.status_code >= 400:
            kind = {404: ServiceNotFound, 401: ServiceRefused, 403: ServiceRefused}.get(
                response.status_code, ServiceError
            )
            raise kind(self.service, response.status_code, _problem(response))
        try:
            return call.read(response)
        except ValidationError as exc:
            log.error("service_bad_shape", service=self.service, path=path, errors=exc.errors()[:5])
            raise ServiceUnavailable(self.service, "answered with an unexpected shape") from exc
        except ValueError as exc:
            log.error("service_bad_json", service=self.service, path=path)
            raise ServiceUnavailable(self.service, "answered with a body that is not JSON") from exc


def cursor_of(next_url: str | None) -> str | None:
    """The `cursor` of a list's `next` link (cursor pagination), for the page's own Next link."""
    if not next_url:
        return None
    values = parse_qs(urlsplit(next_url).query).get("cursor")
    return values[0] if values else None


def _problem(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
