"""HTTP routes for equality monitoring: written by the candidate channel, read with equality:read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from recruitment_api.candidates.service import get_candidate
from recruitment_api.db import SessionDep
from recruitment_api.deps import EqualityReader, EqualityWriter
from recruitment_api.fairness import models as m
from recruitment_api.fairness import service
from recruitment_api.vacancies import service as vacancies
from servicekit.problems import problem_responses

router = APIRouter(tags=["fairness"])


@router.put(
    "/vacancies/{vacancy_id}/candidates/{candidate_id}/equality",
    status_code=204,
    summary="Record a candidate's equality monitoring answers (candidate channel)",
    responses=problem_responses(404),
)
def put_equality(
    vacancy_id: uuid.UUID,
    candidate_id: uuid.UUID,
    body: m.EqualityWrite,
    session: SessionDep,
    principal: EqualityWriter,
) -> Response:
    vacancy = vacancies.get_vacancy(session, principal, vacancy_id)
    service.put_equality(session, principal, get_candidate(session, vacancy, candidate_id), body)
    session.commit()
    return Response(status_code=204)


@router.get(
    "/vacancies/{vacancy_id}/stages/{stage_id}/adverse-impact",
    summary="Selection rates by group, impact ratios and Fisher's exact test, small cells suppressed",
    response_model=m.AdverseImpactPublic,
    responses=problem_responses(404),
)
def adverse_impact(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    session: SessionDep,
    principal: EqualityReader,
    category: Annotated[
        str, Query(max_length=50, description="A Section 75 category or community_background.")
    ] = "community_background",
) -> m.AdverseImpactPublic:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    return service.report(session, vacancy, stage, category, request.app.state.settings.min_reported_cell)
