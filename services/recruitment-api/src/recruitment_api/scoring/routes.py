"""HTTP routes for panels, score sheets, the panel's view and moderation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel
from pydantic import Field as PydField

from recruitment_api.candidates.service import get_candidate
from recruitment_api.db import SessionDep
from recruitment_api.deps import Admin, Reader, Scorer
from recruitment_api.scoring import models as m
from recruitment_api.scoring import service
from recruitment_api.vacancies import service as vacancies
from recruitment_api.vacancies.models import StageKind
from servicekit.problems import problem_responses

router = APIRouter(tags=["scoring"])


class MyPanel(BaseModel):
    vacancy_id: uuid.UUID
    vacancy_title: str
    vacancy_status: str
    stage_id: uuid.UUID
    stage_name: str
    stage_kind: StageKind
    is_lead: bool
    submitted: int
    drafts: int


class DivergencePublic(BaseModel):
    criterion: str = PydField(description="The criterion's code.")
    kind: str = PydField(
        examples=["range"],
        description="range: scores 2 or more points apart; threshold: assessors on both sides of the stage's "
        "min_per_value; evidence: some assessors marked the criterion not evidenced where others scored it, "
        "so its mean rests on fewer assessors.",
    )
    detail: str = PydField(description="The divergence in plain English, for the moderation screen.")


class PanelView(BaseModel):
    candidate_id: uuid.UUID
    candidate_code: str
    sheets: list[m.SheetPublic]
    flags: list[DivergencePublic]


class QueueEntry(BaseModel):
    candidate_id: uuid.UUID
    candidate_code: str
    flags: list[DivergencePublic]


class SheetStatusEntry(BaseModel):
    candidate_id: uuid.UUID
    candidate_code: str
    status: m.SheetStatus | None = None


@router.get("/panels/mine", summary="The panels I sit on, with my progress", response_model=list[MyPanel])
def my_panels(session: SessionDep, principal: Scorer) -> list[MyPanel]:
    return [
        MyPanel(
            vacancy_id=vacancy.uid,
            vacancy_title=vacancy.title,
            vacancy_status=vacancy.status,
            stage_id=stage.uid,
            stage_name=stage.name,
            stage_kind=StageKind(stage.kind),
            is_lead=member.is_lead,
            submitted=submitted,
            drafts=drafts,
        )
        for vacancy, stage, member, submitted, drafts in service.my_panels(session, principal)
    ]


@router.get(
    "/vacancies/{vacancy_id}/stages/{stage_id}/panel",
    summary="Who sits on a stage's panel",
    response_model=m.PanelPublic,
    responses=problem_responses(404),
)
def read_panel(vacancy_id: uuid.UUID, stage_id: uuid.UUID, session: SessionDep, principal: Reader) -> m.PanelPublic:
    _, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    return m.PanelPublic(
        stage_id=stage.uid,
        stage_name=stage.name,
        members=[
            m.PanelMemberPublic(assessor=p.assessor, name=p.name, is_lead=p.is_lead)
            for p in service.panel_of(session, stage)
        ],
    )


@router.put(
    "/vacancies/{vacancy_id}/stages/{stage_id}/panel",
    summary="Assign the assessors of a stage",
    response_model=m.PanelPublic,
    responses=problem_responses(404, 409),
)
def set_panel(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, body: m.PanelWrite, session: SessionDep, principal: Admin
) -> m.PanelPublic:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    service.set_panel(session, principal, vacancy, stage, body)
    session.commit()
    return read_panel(vacancy_id, stage_id, session, principal)


@router.get(
    "/vacancies/{vacancy_id}/stages/{stage_id}/my-sheets",
    summary="My sheet status for every candidate",
    response_model=list[SheetStatusEntry],
    responses=problem_responses(404),
)
def my_sheets(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, session: SessionDep, principal: Scorer
) -> list[SheetStatusEntry]:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    return [
        SheetStatusEntry(candidate_id=c.uid, candidate_code=c.code, status=status)
        for c, status in service.my_sheet_statuses(session, principal, vacancy, stage)
    ]


SheetPath = "/vacancies/{vacancy_id}/stages/{stage_id}/candidates/{candidate_id}/sheet"


@router.get(
    SheetPath,
    summary="My score sheet for a candidate (an empty draft on first open)",
    response_model=m.SheetPublic,
    responses=problem_responses(404),
)
def read_sheet(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID, session: SessionDep, principal: Scorer
) -> m.SheetPublic:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    candidate = get_candidate(session, vacancy, candidate_id)
    sheet = service.own_sheet(session, principal, stage, candidate)
    session.commit()
    return service.sheet_public(session, stage, candidate, sheet)


@router.put(
    SheetPath,
    summary="Save my draft scores (autosave)",
    response_model=m.SheetPublic,
    responses=problem_responses(404, 409),
)
def save_sheet(
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    body: m.SheetWrite,
    session: SessionDep,
    principal: Scorer,
) -> m.SheetPublic:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    candidate = get_candidate(session, vacancy, candidate_id)
    sheet = service.save_draft(session, principal, vacancy, stage, candidate, body)
    session.commit()
    return service.sheet_public(session, stage, candidate, sheet)


@router.post(
    SheetPath + "/submit",
    summary="Submit my score sheet; it locks",
    response_model=m.SheetPublic,
    responses=problem_responses(404, 409),
)
def submit_sheet(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID, session: SessionDep, principal: Scorer
) -> m.SheetPublic:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    candidate = get_candidate(session, vacancy, candidate_id)
    sheet = service.submit(session, principal, vacancy, stage, candidate)
    session.commit()
    return service.sheet_public(session, stage, candidate, sheet)


@router.get(
    "/vacancies/{vacancy_id}/stages/{stage_id}/candidates/{candidate_id}/scores",
    summary="The panel's scores for a candidate (after I submitted mine)",
    response_model=PanelView,
    responses=problem_responses(404),
)
def panel_view(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, candidate_id: uuid.UUID, session: SessionDep, principal: Reader
) -> PanelView:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    candidate = get_candidate(session, vacancy, candidate_id)
    sheets, flags = service.panel_scores(session, principal, vacancy, stage, candidate)
    return PanelView(
        candidate_id=candidate.uid,
        candidate_code=candidate.code,
        sheets=sheets,
        flags=[DivergencePublic(criterion=f.criterion, kind=f.kind, detail=f.detail) for f in flags],
    )


@router.get(
    "/vacancies/{vacancy_id}/stages/{stage_id}/moderation",
    summary="Candidates whose scores diverge",
    response_model=list[QueueEntry],
    responses=problem_responses(404),
)
def moderation_queue(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, session: SessionDep, principal: Reader
) -> list[QueueEntry]:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    return [
        QueueEntry(
            candidate_id=c.uid,
            candidate_code=c.code,
            flags=[DivergencePublic(criterion=f.criterion, kind=f.kind, detail=f.detail) for f in flags],
        )
        for c, flags in service.moderation_queue(session, principal, vacancy, stage)
    ]


@router.post(
    "/vacancies/{vacancy_id}/stages/{stage_id}/amendments",
    status_code=201,
    summary="Panel lead: change a submitted score, with a reason",
    response_model=m.AmendmentPublic,
    responses=problem_responses(404, 409),
)
def amend(
    vacancy_id: uuid.UUID, stage_id: uuid.UUID, body: m.AmendmentWrite, session: SessionDep, principal: Scorer
) -> m.AmendmentPublic:
    vacancy, stage = vacancies.locate_stage(session, principal, vacancy_id, stage_id)
    amendment = service.amend(session, principal, vacancy, stage, body)
    session.commit()
    return service.amendment_public(session, amendment)
