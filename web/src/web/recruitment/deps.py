"""What every recruitment page shares: the client of recruitment-api for the signed-in user, the
scopes each kind of page needs, the names of the organisation's people, and service refusals
turned into messages beside the fields of a form."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Iterable, Mapping
from typing import Annotated, Generic, TypeVar

import httpx
from fastapi import Depends, HTTPException, Request
from sqlmodel import Session, col, select

from web.accounts.auth import CurrentIdentity, Identity, RequireScopes
from web.accounts.models import User
from web.clients.base import ServiceError, ServiceNotFound, ServiceRefused, ServiceUnavailable
from web.clients.dependency import http_client, service_client
from web.clients.framework import FrameworkClient
from web.clients.recruitment import DesignRead, MyPanel, RecruitmentClient, Stage
from web.panels import Notice, notice_for

T = TypeVar("T")

Reader = Annotated[Identity, Depends(RequireScopes("recruitment:read"))]
Scorer = Annotated[Identity, Depends(RequireScopes("recruitment:read", "recruitment:score"))]
Admin = Annotated[Identity, Depends(RequireScopes("recruitment:read", "recruitment:admin"))]
EqualityReader = Annotated[Identity, Depends(RequireScopes("recruitment:read", "equality:read"))]


async def recruitment_client(
    request: Request, identity: CurrentIdentity, http: Annotated[httpx.AsyncClient, Depends(http_client)]
) -> RecruitmentClient:
    url = request.app.state.settings.recruitment_api_url
    return service_client(RecruitmentClient, url, request, http, identity.service_principal)


async def framework_client(
    request: Request, identity: CurrentIdentity, http: Annotated[httpx.AsyncClient, Depends(http_client)]
) -> FrameworkClient:
    """framework-api for a recruitment page (the page's own scopes decide who may see it)."""
    url = request.app.state.settings.framework_api_url
    return service_client(FrameworkClient, url, request, http, identity.service_principal)


Client = Annotated[RecruitmentClient, Depends(recruitment_client)]
Frameworks = Annotated[FrameworkClient, Depends(framework_client)]

# The moves a vacancy makes, one at a time (recruitment-api refuses any other with 409).
NEXT_STATUS = {"draft": "open", "open": "scoring", "scoring": "decided", "decided": "closed"}
STATUS_ACTIONS = {
    "open": ("Open the vacancy", "Candidates can be added; the panel cannot score yet."),
    "scoring": ("Start scoring", "Assessors on the panels can score candidates."),
    "decided": ("Mark as decided", "Scoring ends; decisions can still be recorded."),
    "closed": ("Close the vacancy", "Nothing changes any more; the retention period starts."),
}
STAGE_KINDS = {
    "shortlisting": "Shortlisting",
    "interview": "Interview",
    "mmi_station": "MMI station",
    "sjt": "Situational judgement test (imported score)",
}
# Shortlisting scores 0 to 2 against the essential criteria of the person specification.
SHORTLISTING_LABELS = {0: "Not met", 1: "Partly met", 2: "Fully met"}
OUTCOMES = {
    "progress": "Progress to the next stage",
    "appoint": "Appoint",
    "reserve": "Reserve list",
    "reject": "Do not progress",
    "withdrawn": "Withdrawn",
}
BANDS = {
    "poor": "poor agreement",
    "moderate": "moderate agreement",
    "good": "good agreement",
    "excellent": "excellent agreement",
    "reliable": "reliable",
    "tentative": "tentative: use with care",
    "unreliable": "unreliable",
}
EQUALITY_CATEGORIES = {
    "community_background": "Community background",
    "sex": "Sex",
    "age_band": "Age",
    "religious_belief": "Religious belief",
    "political_opinion": "Political opinion",
    "racial_group": "Racial group",
    "marital_status": "Marital status",
    "sexual_orientation": "Sexual orientation",
    "disability": "Disability",
    "dependants": "Dependants",
}


def stage_url(vacancy_id: uuid.UUID, stage_id: uuid.UUID) -> str:
    return f"/recruitment/vacancies/{vacancy_id}/stages/{stage_id}"


def stage_of(read: DesignRead | None, stage_id: uuid.UUID) -> Stage | None:
    """The stage in the vacancy's design: None if the design could not be read, a 404 if the design
    has no such stage."""
    stage = read.design.stage(stage_id) if read else None
    if read is not None and stage is None:
        raise HTTPException(404)
    return stage


def is_blind_refusal(exc: BaseException) -> bool:
    """recruitment-api's 403 for an assessor who has not submitted their own sheet yet."""
    return isinstance(exc, ServiceRefused) and exc.status == 403 and exc.slug == "submit-your-own-first"


async def or_blind(call: Awaitable[T]) -> T | str:
    """The call's result, or "blind" when the service says: submit your own scores first."""
    try:
        return await call
    except ServiceRefused as exc:
        if is_blind_refusal(exc):
            return "blind"
        raise


async def my_panel(client: RecruitmentClient, identity: Identity, stage_id: uuid.UUID) -> MyPanel | None:
    """The user's seat on this stage's panel (None if they have none, or it cannot be known now)."""
    if not identity.has("recruitment:score"):
        return None
    try:
        return (await client.my_panels()).find(stage_id)
    except (ServiceError, ServiceUnavailable):
        return None


def people(db: Session, org: str, ids: Iterable[str] | None = None) -> dict[str, User]:
    """The organisation's users by id (the token subject the services know them by)."""
    query = select(User).where(User.org == org)
    if ids is not None:
        wanted = []
        for value in ids:
            try:
                wanted.append(uuid.UUID(value))
            except ValueError:
                continue
        query = query.where(col(User.uid).in_(wanted))
    return {str(user.uid): user for user in db.exec(query.order_by(col(User.display_name)))}


def person_name(directory: Mapping[str, User], subject: str, me: Identity | None = None) -> str:
    if me is not None and subject == str(me.user.uid):
        return f"{me.user.display_name} (you)"
    user = directory.get(subject)
    return user.display_name if user else "An assessor not in Collective's accounts"


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
        errors[general] = sentence(exc.detail or "The recruitment service did not accept this")
    return errors


def form_status(problem: ServiceError) -> int:
    """The status of a form shown again after the service refused the change: 403 (not allowed)
    and 409 (not in this state) keep their meaning; anything else is a 422."""
    return problem.status if problem.status in (403, 409) else 422


def sentence(text: str) -> str:
    text = text.strip().removeprefix("Value error, ")
    return text[:1].upper() + text[1:] if text else text


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
