"""What every recruitment page shares: the clients of recruitment-api and framework-api for the
signed-in user, the scopes each kind of page needs, where the page is (the vacancy, stage and
candidate its address names, as typed dependencies); service refusals turned into messages beside
the fields of a form are web.notices' (re-exported here)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, TypeVar

import httpx
from fastapi import Depends, HTTPException, Request

from collective_clients.recruitment import operations as recruitment
from collective_clients.recruitment.models import DesignPublic, MyPanel, StagePublic
from collective_clients.runtime import Tagged
from web.accounts.auth import CurrentIdentity, Identity, RequireScopes
from web.clients.answers import seat_on, stage_in
from web.clients.base import ServiceClient, ServiceError, ServiceRefused, ServiceUnavailable
from web.clients.dependency import http_client, service_client
from web.notices import form_status, problem_messages, sentence

__all__ = ["form_status", "problem_messages", "sentence"]  # refusals beside a form, as the pages import them

T = TypeVar("T")

Reader = Annotated[Identity, Depends(RequireScopes("recruitment:read"))]
Scorer = Annotated[Identity, Depends(RequireScopes("recruitment:read", "recruitment:score"))]
Admin = Annotated[Identity, Depends(RequireScopes("recruitment:read", "recruitment:admin"))]
EqualityReader = Annotated[Identity, Depends(RequireScopes("recruitment:read", "equality:read"))]
Http = Annotated[httpx.AsyncClient, Depends(http_client)]


async def recruitment_client(request: Request, identity: CurrentIdentity, http: Http) -> ServiceClient:
    return service_client("recruitment", request, http, identity.service_principal)


async def framework_client(request: Request, identity: CurrentIdentity, http: Http) -> ServiceClient:
    """framework-api for a recruitment page (the page's own scopes decide who may see it)."""
    return service_client("framework", request, http, identity.service_principal)


Client = Annotated[ServiceClient, Depends(recruitment_client)]
Frameworks = Annotated[ServiceClient, Depends(framework_client)]

# --- where the page is ------------------------------------------------------------------------

VACANCIES = "/recruitment/vacancies"
VACANCY = VACANCIES + "/{vacancy_id}"
STAGE = VACANCY + "/stages/{stage_id}"
CANDIDATE = VACANCY + "/candidates/{candidate_id}"
STAGE_CANDIDATE = STAGE + "/candidates/{candidate_id}"


@dataclass(frozen=True)
class AtVacancy:
    vacancy_id: uuid.UUID

    @property
    def vacancy_url(self) -> str:
        return f"{VACANCIES}/{self.vacancy_id}"


@dataclass(frozen=True)
class AtStage(AtVacancy):
    stage_id: uuid.UUID

    @property
    def stage_url(self) -> str:
        return f"{self.vacancy_url}/stages/{self.stage_id}"


@dataclass(frozen=True)
class AtCandidate(AtVacancy):
    """A candidate of the vacancy: their record (recruitment admins)."""

    candidate_id: uuid.UUID

    @property
    def record_url(self) -> str:
        return f"{self.vacancy_url}/candidates/{self.candidate_id}"


@dataclass(frozen=True)
class AtStageCandidate(AtStage):
    """A candidate at a stage: their score sheet and the panel's scores."""

    candidate_id: uuid.UUID

    @property
    def candidate_url(self) -> str:
        return f"{self.stage_url}/candidates/{self.candidate_id}"


# FastAPI fills each from the path parameters its fields name.
VacancyPath = Annotated[AtVacancy, Depends()]
StagePath = Annotated[AtStage, Depends()]
CandidatePath = Annotated[AtCandidate, Depends()]
StageCandidatePath = Annotated[AtStageCandidate, Depends()]

# --- reading ------------------------------------------------------------------------------------


def stage_of(read: Tagged[DesignPublic] | None, stage_id: uuid.UUID) -> StagePublic | None:
    """The stage in the vacancy's design: None if the design could not be read, a 404 if the design
    has no such stage."""
    stage = stage_in(read.value, stage_id) if read else None
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


async def my_panels(client: ServiceClient, identity: Identity) -> list[MyPanel]:
    """The user's seats on panels (none if they score nothing)."""
    if not identity.has("recruitment:score"):
        return []
    return await client.send(recruitment.my_panels())


async def my_panel(client: ServiceClient, identity: Identity, stage_id: uuid.UUID) -> MyPanel | None:
    """The user's seat on this stage's panel (None if they have none, or it cannot be known now)."""
    try:
        return seat_on(await my_panels(client, identity), stage_id)
    except (ServiceError, ServiceUnavailable):
        return None
