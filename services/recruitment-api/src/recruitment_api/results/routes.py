"""HTTP routes for results, reliability, decisions, CSV export and candidate feedback (admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic_core import to_json
from sqlmodel import Session

from recruitment_api.candidates.service import get_candidate
from recruitment_api.db import SessionDep
from recruitment_api.deps import Admin
from recruitment_api.results import models as m
from recruitment_api.results import service
from recruitment_api.vacancies import service as vacancies
from servicekit.auth import Principal
from servicekit.compression import json_response
from servicekit.pagination import cursor_value, next_link, read_cursor
from servicekit.params import Cursor
from servicekit.problems import problem_responses

router = APIRouter(tags=["results"])

StagePath = "/vacancies/{vacancy_id}/stages/{stage_id}"
RESULTS_MAX_LIMIT = 10_000


@router.get(
    StagePath + "/results",
    summary="Per candidate: means, spread, weighted score, appointability, rank",
    response_model=m.StageResultsPublic,
    responses=problem_responses(404),
)
def results(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    session: SessionDep,
    principal: Admin,
    limit: Annotated[int, Query(ge=1, le=RESULTS_MAX_LIMIT, description="Candidates per page.")] = RESULTS_MAX_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """In rank order; pages of `limit` candidates, following `next`. Ranking needs every
    candidate's scores, so a whole stage usually comes in one page."""
    with service.collector_paused():  # and nothing of the page left alive when it resumes: only the bytes
        body = _results_page(request, vacancy_id, stage_id, session, principal, limit, cursor)
    return json_response(request, body)  # a whole large stage is gzipped at a faster level


def _results_page(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    session: Session,
    principal: Principal,
    limit: int,
    cursor: str | None,
) -> bytes:
    public = service.results_public(
        session, principal, *vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    )
    position = read_cursor(request, cursor)
    start = max(cursor_value(position, "offset", int), 0) if position else 0
    rows = public["candidates"]
    public["candidates"] = rows[start : start + limit]
    public["next"] = next_link(request, {"offset": start + limit} if start + limit < len(rows) else None)
    # Serialised straight from plain data in the documented shape (a test holds it to the schema):
    # validating 5,000 candidates into models again took longer than computing them.
    return to_json(public)


@router.get(
    StagePath + "/results.csv",
    summary="Results as CSV",
    responses={
        **problem_responses(404),
        200: {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)
def results_csv(vacancy_id: uuid.UUID, stage_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    filename = f"results-{stage.name.lower().replace(' ', '-')}.csv"
    return Response(
        service.results_csv(session, principal, vacancy, stage),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    StagePath + "/reliability",
    summary="Inter-rater reliability and assessor leniency",
    response_model=m.ReliabilityPublic,
    responses=problem_responses(404),
)
def reliability(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, session: SessionDep, principal: Admin
) -> m.ReliabilityPublic:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    service.require_nothing_hidden(session, principal, stage)
    return service.reliability_public(session, vacancy, stage)


@router.post(
    StagePath + "/decisions",
    status_code=201,
    summary="Record a progression decision, with who and why",
    response_model=m.DecisionPublic,
    responses=problem_responses(404, 409),
)
def decide(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, body: m.DecisionWrite, session: SessionDep, principal: Admin
) -> m.DecisionPublic:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    candidate = get_candidate(session, vacancy, body.candidate_id)
    decision = service.record_decision(session, principal, vacancy, stage, candidate, body)
    session.commit()
    return service.decision_public(decision, stage, candidate)


@router.get(
    "/vacancies/{vacancy_id}/candidates/{candidate_id}/feedback",
    summary="A candidate's scores per value beside the cohort's",
    response_model=m.CandidateFeedback,
    responses=problem_responses(404),
)
def feedback(
    request: Request,
    vacancy_id: uuid.UUID,
    candidate_id: uuid.UUID,
    stage: Annotated[uuid.UUID, Query(description="The stage to report.")],
    session: SessionDep,
    principal: Admin,
) -> m.CandidateFeedback:
    vacancy, stage_row = vacancies.locate_stage(session, principal, vacancy_id, stage)
    candidate = get_candidate(session, vacancy, candidate_id)
    service.require_nothing_hidden(session, principal, stage_row)  # cohort figures mix every candidate
    return service.feedback(session, vacancy, stage_row, candidate, request.app.state.settings.min_feedback_cohort)
