"""HTTP routes for vacancies and their assessment design."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from recruitment_api.db import SessionDep
from recruitment_api.deps import Admin, Reader
from recruitment_api.vacancies import models as m
from recruitment_api.vacancies import service
from servicekit.db import key_of
from servicekit.etags import check_if_match, not_modified, strong_etag
from servicekit.idempotency import Idempotency
from servicekit.pagination import DEFAULT_LIMIT, Page, next_link, read_cursor
from servicekit.params import Cursor, IdempotencyKey, IfMatch, Limit
from servicekit.problems import problem_responses

# The design's ETag, documented so that clients read it with the design (If-Match on PUT).
DESIGN_ETAG = {"description": "Send it as If-Match to replace the design.", "schema": {"type": "string"}}

router = APIRouter(tags=["vacancies"])


def vacancy_etag(vacancy: m.Vacancy) -> str:
    return strong_etag(f"{vacancy.uid}:{vacancy.updated_at.isoformat()}:{vacancy.status}")


@router.get("/vacancies", summary="List the organisation's vacancies", response_model=Page[m.VacancyPublic])
def list_vacancies(
    request: Request,
    session: SessionDep,
    principal: Reader,
    status: Annotated[m.VacancyStatus | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[m.VacancyPublic]:
    rows, position = service.list_vacancies(
        session, principal, status.value if status else None, limit, read_cursor(request, cursor)
    )
    counts = service.candidate_counts(session, rows)
    return Page[m.VacancyPublic](
        items=[
            service.vacancy_public(session, v, with_criteria=False, candidate_count=counts.get(key_of(v), 0))
            for v in rows
        ],
        next=next_link(request, position),
    )


@router.post(
    "/vacancies",
    status_code=201,
    summary="Create a vacancy, snapshotting its criteria",
    response_model=m.VacancyPublic,
    responses=problem_responses(503),
)
def create_vacancy(
    request: Request,
    body: m.VacancyCreate,
    session: SessionDep,
    principal: Admin,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    idem = Idempotency(session, principal, idempotency_key, "POST /vacancies", body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    settings = request.app.state.settings
    vacancy = service.create_vacancy(
        session, principal, body, request.app.state.framework_client, settings.default_retention_days
    )
    payload = service.vacancy_public(session, vacancy).model_dump(mode="json")
    headers = {"Location": f"/vacancies/{vacancy.uid}"}
    return idem.respond(201, payload, headers, unstored={"ETag": vacancy_etag(vacancy)})


@router.get(
    "/vacancies/{vacancy_id}",
    summary="Read a vacancy with its criteria",
    response_model=m.VacancyPublic,
    responses=problem_responses(404),
)
def read_vacancy(request: Request, vacancy_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    vacancy = service.get_vacancy(session, principal, vacancy_id)
    etag = vacancy_etag(vacancy)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(service.vacancy_public(session, vacancy).model_dump(mode="json"), headers={"ETag": etag})


@router.patch(
    "/vacancies/{vacancy_id}",
    summary="Change a vacancy's details (needs If-Match)",
    response_model=m.VacancyPublic,
    responses=problem_responses(404, 409, 412, 428),
)
def update_vacancy(
    request: Request,
    vacancy_id: uuid.UUID,
    body: m.VacancyUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatch = None,
) -> Response:
    vacancy = service.get_vacancy(session, principal, vacancy_id)
    # Like every edit of a resource with an ETag: without If-Match two HR users (or an HR system
    # and a person) silently overwrite each other's changes.
    check_if_match(request, vacancy_etag(vacancy), required=True)
    service.update_vacancy(session, principal, vacancy, body)
    session.commit()
    return JSONResponse(
        service.vacancy_public(session, vacancy).model_dump(mode="json"), headers={"ETag": vacancy_etag(vacancy)}
    )


@router.post(
    "/vacancies/{vacancy_id}/status",
    summary="Move a vacancy on: draft, open, scoring, decided, closed",
    response_model=m.VacancyPublic,
    responses=problem_responses(404, 409),
)
def change_status(
    vacancy_id: uuid.UUID, body: m.StatusChange, session: SessionDep, principal: Admin
) -> m.VacancyPublic:
    vacancy = service.get_vacancy(session, principal, vacancy_id)
    service.change_status(session, principal, vacancy, body.status)
    session.commit()
    return service.vacancy_public(session, vacancy)


@router.get(
    "/vacancies/{vacancy_id}/design",
    summary="The assessment design: stages, criteria, weights, thresholds",
    response_model=m.DesignPublic,
    responses={**problem_responses(404), 200: {"headers": {"ETag": DESIGN_ETAG}}},
)
def read_design(vacancy_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    vacancy = service.get_vacancy(session, principal, vacancy_id)
    design = service.design_public(session, vacancy)
    return JSONResponse(design.model_dump(mode="json"), headers={"ETag": strong_etag(design.model_dump(mode="json"))})


@router.put(
    "/vacancies/{vacancy_id}/design",
    summary="Replace the assessment design (needs If-Match)",
    response_model=m.DesignPublic,
    responses=problem_responses(404, 409, 412, 428),
)
def put_design(
    request: Request,
    vacancy_id: uuid.UUID,
    body: m.DesignWrite,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatch = None,
) -> Response:
    vacancy = service.get_vacancy(session, principal, vacancy_id)
    check_if_match(request, service.design_etag(session, vacancy), required=True)
    service.put_design(session, principal, vacancy, body)
    session.commit()
    design = service.design_public(session, vacancy).model_dump(mode="json")
    return JSONResponse(design, headers={"ETag": strong_etag(design)})
