"""HTTP routes for data protection: subject access and erasure (recruitment admins)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response

from recruitment_api.candidates.service import get_candidate
from recruitment_api.db import SessionDep
from recruitment_api.deps import Admin
from recruitment_api.privacy import service
from recruitment_api.scopes import Scope
from recruitment_api.vacancies import service as vacancies
from servicekit.problems import problem_responses

router = APIRouter(tags=["data protection"])


@router.get(
    "/vacancies/{vacancy_id}/candidates/{candidate_id}/subject-access",
    summary="Everything held on one candidate (UK GDPR subject access); equality answers need equality:read",
    description="An admin who sits on a stage's panel gets that stage's other sheets and decisions only after "
    "submitting their own sheet for the candidate (blind scoring); until then `complete` is false and "
    "`withheld` names the stage.",
    responses=problem_responses(404),
)
def subject_access(
    vacancy_id: uuid.UUID, candidate_id: uuid.UUID, session: SessionDep, principal: Admin
) -> dict[str, Any]:
    vacancy = vacancies.get_vacancy(session, principal, vacancy_id)
    candidate = get_candidate(session, vacancy, candidate_id)
    return service.subject_access(
        session, principal, vacancy, candidate, with_equality=principal.has(Scope.EQUALITY_READ)
    )


@router.post(
    "/vacancies/{vacancy_id}/candidates/{candidate_id}/erasure",
    status_code=204,
    summary="Erase personal and equality data, keeping pseudonymised scores",
    responses=problem_responses(404, 409),
)
def erase(vacancy_id: uuid.UUID, candidate_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    vacancy = vacancies.get_vacancy(session, principal, vacancy_id)
    service.erase(session, principal, get_candidate(session, vacancy, candidate_id))
    session.commit()
    return Response(status_code=204)
