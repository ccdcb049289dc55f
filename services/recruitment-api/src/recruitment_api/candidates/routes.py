"""HTTP routes for candidates: create, bulk import, blind and admin views, withdrawal, SJT scores."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from recruitment_api.candidates import models as m
from recruitment_api.candidates import service
from recruitment_api.db import SessionDep
from recruitment_api.deps import Admin, Reader
from recruitment_api.scopes import Scope
from recruitment_api.vacancies import service as vacancies
from servicekit import uploads
from servicekit.errors import NOT_JSON, ProblemError, unprocessable
from servicekit.idempotency import Idempotency, fingerprint
from servicekit.pagination import DEFAULT_LIMIT, Page, next_link, read_cursor
from servicekit.params import Cursor, IdempotencyKey, Limit
from servicekit.problems import problem_responses

router = APIRouter(tags=["candidates"])

# Imports above this size answer with a count; the candidates are paged through afterwards.
INLINE_RESULT_LIMIT = 200


@router.post(
    "/vacancies/{vacancy_id}/candidates",
    status_code=201,
    summary="Add one candidate",
    response_model=m.CandidateAdmin,
    responses=problem_responses(404, 409),
)
def create_candidate(
    vacancy_id: uuid.UUID,
    body: m.CandidateCreate,
    session: SessionDep,
    principal: Admin,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    operation = f"POST /vacancies/{vacancy_id}/candidates"
    idem = Idempotency(session, principal, idempotency_key, operation, body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    vacancy = vacancies.get_vacancy(session, principal, vacancy_id)
    [candidate] = service.import_candidates(session, principal, vacancy, [body.model_dump()])
    payload = service.views(session, [candidate], admin=True)[0].model_dump(mode="json")
    headers = {"Location": f"/vacancies/{vacancy_id}/candidates/{candidate.uid}"}
    return idem.respond(201, payload, headers)


@router.post(
    "/vacancies/{vacancy_id}/candidates/import",
    status_code=201,
    summary="Import candidates in bulk (JSON or CSV), all or nothing, errors numbered by row",
    response_model=m.ImportResult,
    responses=problem_responses(404, 409, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/CandidateImport"}},
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "name,email,external_ref,evidence:Working together\n"
                    "Aoife Byrne,aoife@example.org,ATS-1,We set up a shared huddle with pharmacy...\n",
                },
            },
        }
    },
)
async def import_candidates(
    request: Request,
    vacancy_id: uuid.UUID,
    session: SessionDep,
    principal: Admin,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    media_type = uploads.media_type(request, (uploads.JSON, uploads.CSV))
    raw = await request.body()
    if media_type == uploads.CSV:
        rows, numbers = service.parse_csv(uploads.csv_text(raw))
    else:
        try:
            data = m.CandidateImport.model_validate(json.loads(raw))
        except json.JSONDecodeError as exc:
            message = f"{NOT_JSON} (at character {exc.pos})"
            raise unprocessable(NOT_JSON + ".", [{"field": "body", "message": message}]) from exc
        except UnicodeDecodeError as exc:  # JSON is UTF-8 (RFC 8259)
            message = f"{NOT_JSON}: it is not UTF-8 (at byte {exc.start})"
            raise unprocessable(NOT_JSON + ".", [{"field": "body", "message": message}]) from exc
        except ValidationError as exc:
            raise uploads.rows_invalid(exc, "{count} error(s) in the import; nothing was imported.") from exc
        rows = [c.model_dump() for c in data.candidates]
        numbers = list(range(1, len(rows) + 1))
    idem = Idempotency(
        session, principal, idempotency_key, f"POST /vacancies/{vacancy_id}/candidates/import", fingerprint(raw)
    )
    if replayed := idem.replay():
        return replayed
    vacancy = vacancies.get_vacancy(session, principal, vacancy_id)
    candidates = service.import_candidates(session, principal, vacancy, rows, numbers)
    mapping = [
        m.ImportedCandidate(row=number, external_ref=c.external_ref, id=c.uid, code=c.code)
        for number, c in zip(numbers, candidates, strict=True)
    ]
    result = m.ImportResult(imported=len(candidates), mapping=mapping)
    if len(candidates) <= INLINE_RESULT_LIMIT:
        result.candidates = service.views(session, candidates, admin=True)
    return idem.respond(201, result.model_dump(mode="json"))


@router.get(
    "/vacancies/{vacancy_id}/candidates",
    summary="Candidates: blind for assessors, identified for admins",
    response_model=Page[m.CandidateAdmin | m.CandidateBlind],
    responses=problem_responses(403, 404),
)
def list_candidates(
    request: Request,
    vacancy_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    external_ref: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Only the candidate with this `external_ref` (your own id); needs `recruitment:admin`.",
        ),
    ] = None,
) -> Response:
    if external_ref is not None and not principal.has(Scope.ADMIN):
        # external_ref ties a pseudonymous code to a person in the ATS: assessors stay blind.
        raise ProblemError(
            403,
            "insufficient-scope",
            f"Filtering by external_ref needs the scope {Scope.ADMIN}.",
            title="Forbidden",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{Scope.ADMIN}"'},
        )
    vacancy = vacancies.get_vacancy(session, principal, vacancy_id)
    after = read_cursor(request, cursor)
    rows, position = service.list_candidates(session, vacancy, limit, after, external_ref=external_ref)
    items = service.views(session, rows, admin=principal.has(Scope.ADMIN))
    return JSONResponse({"items": [i.model_dump(mode="json") for i in items], "next": next_link(request, position)})


@router.get(
    "/vacancies/{vacancy_id}/candidates/{candidate_id}",
    summary="One candidate",
    response_model=m.CandidateAdmin | m.CandidateBlind,
    responses=problem_responses(404),
)
def read_candidate(vacancy_id: uuid.UUID, candidate_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    vacancy = vacancies.get_vacancy(session, principal, vacancy_id)
    candidate = service.get_candidate(session, vacancy, candidate_id)
    return JSONResponse(
        service.views(session, [candidate], admin=principal.has(Scope.ADMIN))[0].model_dump(mode="json")
    )


@router.post(
    "/vacancies/{vacancy_id}/candidates/{candidate_id}/withdraw",
    summary="Record that a candidate withdrew",
    response_model=m.CandidateAdmin,
    responses=problem_responses(404, 409),
)
def withdraw(vacancy_id: uuid.UUID, candidate_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    vacancy = vacancies.get_vacancy(session, principal, vacancy_id)
    candidate = service.withdraw(session, principal, vacancy, service.get_candidate(session, vacancy, candidate_id))
    session.commit()
    return JSONResponse(service.views(session, [candidate], admin=True)[0].model_dump(mode="json"))


@router.post(
    "/vacancies/{vacancy_id}/stages/{stage_id}/sjt-scores",
    summary="Import situational judgement scores",
    responses={
        **problem_responses(404, 409),
        200: {
            "description": "How many scores were stored",
            "content": {
                "application/json": {"schema": {"type": "object", "properties": {"imported": {"type": "integer"}}}}
            },
        },
    },
)
def import_sjt(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, body: m.SjtImport, session: SessionDep, principal: Admin
) -> dict[str, int]:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    count = service.import_sjt_scores(session, principal, vacancy, stage, body)
    session.commit()
    return {"imported": count}
