"""Service notices: what a page shows when a service it composes is down, refuses or fails.

Reading (`gather`): the page's data from the services concurrently; a service that is down (or
refuses) never breaks the page: its part shows a notice and the rest renders. A service's 404 is
the page's 404. Changing (`attempt`): the service's answer, its refusal to explain beside the
form, or a notice."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import HTTPException

from web.clients.base import ServiceError, ServiceNotFound, ServiceRefused, ServiceUnavailable

T = TypeVar("T")

SERVICE_NAMES = {
    "framework": "framework service",
    "recruitment": "recruitment service",
    "monitoring": "monitoring service",
}


@dataclass(frozen=True)
class Notice:
    kind: str  # unavailable | refused | unauthenticated | error
    service: str
    heading: str
    body: str

    @property
    def status_code(self) -> int:
        """A page whose service is down still answers 200; a refusal by the service is a 403."""
        return 403 if self.kind == "refused" else 200

    @property
    def text(self) -> str:
        """Heading and body as one message, e.g. beside a form whose change was not made."""
        return f"{self.heading}. {self.body}"


def notice_for(exc: Exception) -> Notice:
    service = getattr(exc, "service", "service")
    name = SERVICE_NAMES.get(service, f"{service} service")
    if isinstance(exc, ServiceUnavailable):
        return Notice(
            "unavailable",
            service,
            f"The {name} is not available just now",
            "Try again in a few minutes. The rest of Collective still works.",
        )
    if isinstance(exc, ServiceRefused) and exc.status == 401:
        return Notice(
            "unauthenticated",
            service,
            f"The {name} could not confirm who you are",
            "Sign out and sign in again. If this keeps happening, tell your administrator.",
        )
    if isinstance(exc, ServiceRefused):
        return Notice(
            "refused",
            service,
            f"The {name} did not allow this",
            "Your roles do not give you access to this. Ask an administrator of your organisation if you need it.",
        )
    assert isinstance(exc, ServiceError)
    return Notice(
        "error", service, f"The {name} could not answer this request", exc.detail or "Check the address and try again."
    )


async def gather(*calls: Awaitable[Any]) -> tuple[list[Any], Notice | None]:
    """Run the calls concurrently. A 404 from any is the page's 404; otherwise the results (None
    where a call failed) and the notice of the first failure."""
    results = list(await asyncio.gather(*calls, return_exceptions=True))
    if any(isinstance(result, ServiceNotFound) for result in results):
        raise HTTPException(404)
    notice = None
    for index, result in enumerate(results):
        if isinstance(result, ServiceError | ServiceUnavailable):
            notice = notice or notice_for(result)
            results[index] = None
        elif isinstance(result, BaseException):
            raise result
    return results, notice


class Outcome(Generic[T]):
    """What a change sent to a service came to: its answer, a refusal to explain beside the form,
    or a notice (the service is down, or did not accept who the user is)."""

    def __init__(self, value: T | None = None, problem: ServiceError | None = None, notice: Notice | None = None):
        self.value = value
        self.problem = problem
        self.notice = notice

    @property
    def ok(self) -> bool:
        return self.problem is None and self.notice is None


async def attempt(call: Awaitable[T]) -> Outcome[T]:
    """Send a change. A 404 is the page's 404; everything else is kept for the page to explain."""
    try:
        return Outcome(value=await call)
    except ServiceNotFound as exc:
        raise HTTPException(404) from exc
    except ServiceRefused as exc:
        if exc.status == 401:
            return Outcome(notice=notice_for(exc))
        return Outcome(problem=exc)
    except ServiceError as exc:
        return Outcome(problem=exc)
    except ServiceUnavailable as exc:
        if exc.problem.get("detail"):
            # The service answered, and explained (e.g. framework-api unreachable while a vacancy
            # snapshots its criteria): show its words, not "the recruitment service is down".
            return Outcome(problem=ServiceError(exc.service, int(exc.problem.get("status") or 503), exc.problem))
        return Outcome(notice=notice_for(exc))


# --- refusals beside the form -------------------------------------------------------------------


def problem_messages(exc: ServiceError, fields: Mapping[str, str], *, general: str = "problem") -> dict[str, str]:
    """The service's refusal as {form field: message}. `fields` maps the service's field paths
    (e.g. "body.title") to the form's fields; an error that matches none goes under `general`."""
    errors: dict[str, str] = {}
    for error in exc.field_errors():
        path = str(error.get("field") or "")
        message = str(error.get("message") or "is not valid")
        matches = (name for prefix, name in fields.items() if path == prefix or path.startswith(prefix + "."))
        target = next(matches, general)
        errors.setdefault(target, sentence(message))
    if not errors:
        name = SERVICE_NAMES.get(exc.service, f"{exc.service} service")
        errors[general] = sentence(exc.detail or f"The {name} did not accept this")
    return errors


def form_status(problem: ServiceError) -> int:
    """The status of a form shown again after the service refused the change: 403 (not allowed)
    and 409 (not in this state) keep their meaning; anything else is a 422."""
    return problem.status if problem.status in (403, 409) else 422


def sentence(text: str) -> str:
    text = text.strip().removeprefix("Value error, ")
    return text[:1].upper() + text[1:] if text else text
