"""Vacancies, their criteria snapshot and assessment design. Plain functions on a Session."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func
from sqlmodel import Session, col, select

from recruitment_api.candidates.models import Candidate
from recruitment_api.scopes import Scope
from recruitment_api.scoring.models import PanelMember
from recruitment_api.vacancies import models as m
from recruitment_api.vacancies.framework_client import FrameworkClient
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import conflict, not_found, unprocessable
from servicekit.etags import strong_etag
from servicekit.pagination import cursor_value, paginate

SHORTLISTING_ANCHORS: list[dict[str, Any]] = [
    {"score": 0, "title": "Not met", "description": "The application shows no evidence of the criterion."},
    {"score": 1, "title": "Partly met", "description": "Some evidence, but incomplete or general."},
    {"score": 2, "title": "Fully met", "description": "Clear, specific evidence that the criterion is met."},
]


def get_vacancy(session: Session, principal: Principal, uid: uuid.UUID) -> m.Vacancy:
    """A vacancy of the caller's organisation; any other organisation's is simply not found."""
    vacancy = session.exec(select(m.Vacancy).where(m.Vacancy.uid == uid, m.Vacancy.org == principal.org)).first()
    if vacancy is None:
        raise not_found("vacancy")
    return vacancy


def list_vacancies(
    session: Session, principal: Principal, status: str | None, limit: int, after: dict | None
) -> tuple[list[m.Vacancy], dict | None]:
    """The organisation's vacancies, except for an assessor (recruitment:score without admin), who
    sees only those whose panels they sit on: drafts and other panels are not theirs to see."""
    query = select(m.Vacancy).where(m.Vacancy.org == principal.org)
    if principal.has(Scope.SCORE) and not principal.has(Scope.ADMIN):
        panels = (
            select(m.Stage.vacancy_id)
            .join(PanelMember, col(PanelMember.stage_id) == m.Stage.id)
            .where(PanelMember.assessor == principal.subject)
        )
        query = query.where(col(m.Vacancy.id).in_(panels))
    if status:
        query = query.where(m.Vacancy.status == status)
    if after:
        query = query.where(m.Vacancy.id < cursor_value(after, "before", int))
    rows = list(session.exec(query.order_by(col(m.Vacancy.id).desc()).limit(limit + 1)))
    return paginate(rows, limit, lambda v: {"before": v.id})


def criteria_of(session: Session, vacancy: m.Vacancy) -> list[m.Criterion]:
    return list(
        session.exec(
            select(m.Criterion).where(m.Criterion.vacancy_id == vacancy.id).order_by(col(m.Criterion.sequence))
        )
    )


def candidate_counts(session: Session, vacancies: list[m.Vacancy]) -> dict[int, int]:
    """vacancy id -> its number of candidates, in one query for a whole page of vacancies."""
    ids = [key_of(v) for v in vacancies]
    if not ids:
        return {}
    rows = session.exec(
        select(Candidate.vacancy_id, func.count())
        .where(col(Candidate.vacancy_id).in_(ids))
        .group_by(col(Candidate.vacancy_id))
    )
    return dict(rows.all())


def vacancy_public(
    session: Session, vacancy: m.Vacancy, with_criteria: bool = True, candidate_count: int | None = None
) -> m.VacancyPublic:
    count = (
        candidate_count if candidate_count is not None else candidate_counts(session, [vacancy]).get(key_of(vacancy), 0)
    )
    return m.VacancyPublic(
        id=vacancy.uid,
        org=vacancy.org,
        title=vacancy.title,
        band=vacancy.band,
        staff_group=vacancy.staff_group,
        closing_date=vacancy.closing_date,
        status=m.VacancyStatus(vacancy.status),
        next_statuses=[status for status in m.VacancyStatus if status in m.TRANSITIONS[vacancy.status]],
        criteria_source=vacancy.criteria_source,
        framework_version_id=vacancy.framework_version_id,
        framework_title=vacancy.framework_title,
        framework_version=vacancy.framework_version,
        retention_days=vacancy.retention_days,
        design_locked=vacancy.design_locked_at is not None,
        created_at=vacancy.created_at,
        updated_at=vacancy.updated_at,
        candidate_count=count,
        criteria=[criterion_public(c) for c in criteria_of(session, vacancy)] if with_criteria else [],
    )


def criterion_public(criterion: m.Criterion) -> m.CriterionPublic:
    return m.CriterionPublic(
        id=criterion.uid,
        code=criterion.code,
        kind=m.CriterionKind(criterion.kind),
        statement=criterion.statement,
        description=criterion.description,
        value_code=criterion.value_code,
        framework_item=criterion.framework_item,
        anchors=[m.Anchor(**a) for a in criterion.anchors],
        indicators=criterion.indicators,
        sequence=criterion.sequence,
    )


def create_vacancy(
    session: Session,
    principal: Principal,
    data: m.VacancyCreate,
    framework: FrameworkClient | None,
    default_retention_days: int,
) -> m.Vacancy:
    vacancy = m.Vacancy(
        org=principal.org,
        title=data.title,
        band=data.band,
        staff_group=data.staff_group,
        closing_date=data.closing_date,
        retention_days=data.retention_days or default_retention_days,
        created_by=principal.subject,
    )
    # Each criterion's fields: the rows are made once the vacancy has its key.
    criteria_fields: list[dict[str, Any]] = []
    if data.criteria is not None:
        vacancy.criteria_source = "inline"
        for sequence, given in enumerate(data.criteria):
            criteria_fields.append(
                dict(
                    code=given.code,
                    kind=given.kind,
                    statement=given.statement,
                    description=given.description,
                    value_code=given.value_code or (given.code if given.kind == m.CriterionKind.value else None),
                    anchors=[a.model_dump() for a in given.anchors],
                    indicators=given.indicators,
                    sequence=sequence,
                )
            )
    else:
        assert framework is not None and data.framework_version_id is not None
        snapshot = framework.snapshot(data.framework_version_id, principal.org, data.values)
        vacancy.framework_version_id = snapshot.version_id
        vacancy.framework_title = snapshot.title
        vacancy.framework_version = snapshot.version
        vacancy.framework_content_hash = snapshot.content_hash
        for sequence, item in enumerate(snapshot.criteria):
            value_code = item.code if item.type == "value" else item.parent_code
            anchors = [
                {"score": d.position, "title": d.level_title, "description": d.description}
                for d in snapshot.descriptors.get(value_code or "", [])
            ]
            criteria_fields.append(
                dict(
                    code=item.code,
                    kind=item.type,
                    statement=item.statement,
                    description=item.description,
                    value_code=value_code,
                    framework_item=item.identifier,
                    anchors=anchors,
                    indicators=snapshot.children.get(item.code, []) if item.type == "value" else [],
                    sequence=sequence,
                )
            )
    session.add(vacancy)
    session.flush()
    criteria = [m.Criterion(vacancy_id=key_of(vacancy), **fields) for fields in criteria_fields]
    for criterion in criteria:
        session.add(criterion)
    session.flush()
    audit.record(
        session,
        principal,
        "vacancy.create",
        "vacancy",
        vacancy.uid,
        after={**data.model_dump(mode="json"), "criteria": [c.code for c in criteria]},
    )
    return vacancy


def update_vacancy(session: Session, principal: Principal, vacancy: m.Vacancy, data: m.VacancyUpdate) -> m.Vacancy:
    if vacancy.status == m.VacancyStatus.closed:
        raise conflict("vacancy-closed", "A closed vacancy cannot be changed.")
    changes = data.model_dump(exclude_unset=True)
    required = [name for name in ("title", "retention_days") if name in changes and changes[name] is None]
    if required:
        raise unprocessable(
            f"{', '.join(required)} cannot be null.",
            [{"field": f"body.{name}", "message": "cannot be null"} for name in required],
        )
    before = {k: _jsonable(getattr(vacancy, k)) for k in changes}
    for name, value in changes.items():
        setattr(vacancy, name, value)
    vacancy.updated_at = utcnow()
    session.add(vacancy)
    audit.record(
        session,
        principal,
        "vacancy.update",
        "vacancy",
        vacancy.uid,
        before=before,
        after=data.model_dump(mode="json", exclude_unset=True),
    )
    return vacancy


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def change_status(session: Session, principal: Principal, vacancy: m.Vacancy, target: m.VacancyStatus) -> m.Vacancy:
    allowed = m.TRANSITIONS[vacancy.status]
    if target not in allowed:
        options = ", ".join(sorted(allowed)) or "none (closed is final)"
        raise conflict(
            "invalid-transition",
            f"A vacancy cannot go from {vacancy.status} to {target}; allowed next: {options}.",
            current_status=vacancy.status,
        )
    if target == m.VacancyStatus.open and not stages_of(session, vacancy):
        raise conflict("design-missing", "Design the assessment stages before opening the vacancy.")
    before = vacancy.status
    vacancy.status = target
    now = utcnow()
    if target == m.VacancyStatus.decided:
        vacancy.decided_at = now
    if target == m.VacancyStatus.closed:
        vacancy.closed_at = now
    vacancy.updated_at = now
    session.add(vacancy)
    audit.record(
        session,
        principal,
        "vacancy.status",
        "vacancy",
        vacancy.uid,
        before={"status": before},
        after={"status": target.value},
    )
    return vacancy


# --- design ---------------------------------------------------------------------------------


def stages_of(session: Session, vacancy: m.Vacancy) -> list[m.Stage]:
    return list(session.exec(select(m.Stage).where(m.Stage.vacancy_id == vacancy.id).order_by(col(m.Stage.sequence))))


def get_stage(session: Session, vacancy: m.Vacancy, uid: uuid.UUID) -> m.Stage:
    stage = session.exec(select(m.Stage).where(m.Stage.vacancy_id == vacancy.id, m.Stage.uid == uid)).first()
    if stage is None:
        raise not_found("stage of this vacancy")
    return stage


# Built once: every score sheet request locates its stage, and building the expression costs more
# than running it.
_LOCATE_STAGE = (
    select(m.Vacancy, m.Stage)
    .join(m.Stage, col(m.Stage.vacancy_id) == m.Vacancy.id)
    .where(m.Vacancy.uid == bindparam("vacancy"), m.Vacancy.org == bindparam("org"), m.Stage.uid == bindparam("stage"))
)


def locate_stage(
    session: Session, principal: Principal, vacancy_id: uuid.UUID, stage_id: uuid.UUID
) -> tuple[m.Vacancy, m.Stage]:
    """A stage of one of the caller's organisation's vacancies (404 otherwise), with its vacancy.
    One query on the way every score sheet takes; the two lookups only to say which one is missing."""
    params = {"vacancy": vacancy_id, "org": principal.org, "stage": stage_id}
    found = session.exec(_LOCATE_STAGE, params=params).first()
    if found is not None:
        return found[0], found[1]
    vacancy = get_vacancy(session, principal, vacancy_id)
    return vacancy, get_stage(session, vacancy, stage_id)


def stage_criteria(session: Session, stage: m.Stage) -> list[tuple[m.StageCriterion, m.Criterion]]:
    rows = session.exec(
        select(m.StageCriterion, m.Criterion)
        .join(m.Criterion)
        .where(m.StageCriterion.stage_id == stage.id)
        .order_by(col(m.Criterion.sequence))
    )
    return [(sc, c) for sc, c in rows]


def design_public(session: Session, vacancy: m.Vacancy) -> m.DesignPublic:
    stages = []
    for stage in stages_of(session, vacancy):
        low, high = m.SCALES.get(stage.kind, (None, None))
        stages.append(
            m.StagePublic(
                id=stage.uid,
                name=stage.name,
                kind=m.StageKind(stage.kind),
                sequence=stage.sequence,
                scale_min=low,
                scale_max=high,
                min_weighted_mean=stage.min_weighted_mean,
                min_per_value=stage.min_per_value,
                essentials_required=stage.essentials_required,
                pass_mark=stage.pass_mark,
                anchors=[m.Anchor(**a) for a in SHORTLISTING_ANCHORS]
                if stage.kind == m.StageKind.shortlisting
                else None,
                criteria=[
                    m.StageCriterionPublic(
                        criterion=c.code, criterion_id=c.uid, weight=sc.weight, essential=sc.essential
                    )
                    for sc, c in stage_criteria(session, stage)
                ],
            )
        )
    return m.DesignPublic(
        vacancy_id=vacancy.uid,
        locked=vacancy.design_locked_at is not None,
        locked_at=vacancy.design_locked_at,
        stages=stages,
    )


def _delete_stage(session: Session, stage: m.Stage) -> None:
    from recruitment_api.candidates.models import SjtScore
    from recruitment_api.results.models import Decision
    from recruitment_api.scoring.models import PanelMember, Score, ScoreSheet

    sheets = list(session.exec(select(ScoreSheet.id).where(ScoreSheet.stage_id == stage.id)))
    if sheets:
        session.exec(delete(Score).where(col(Score.sheet_id).in_(sheets)))
    for table in (ScoreSheet, PanelMember, SjtScore, Decision, m.StageCriterion):
        session.exec(delete(table).where(col(table.stage_id) == stage.id))
    session.delete(stage)
    session.flush()


def _drop_draft_scores_outside(session: Session, stage: m.Stage, criterion_ids: list[int]) -> None:
    from recruitment_api.scoring.models import Score, ScoreSheet

    sheets = list(session.exec(select(ScoreSheet.id).where(ScoreSheet.stage_id == stage.id)))
    if sheets:
        session.exec(
            delete(Score).where(col(Score.sheet_id).in_(sheets), col(Score.criterion_id).not_in(criterion_ids))
        )


def design_etag(session: Session, vacancy: m.Vacancy) -> str:
    return strong_etag(design_public(session, vacancy).model_dump(mode="json"))


def put_design(session: Session, principal: Principal, vacancy: m.Vacancy, data: m.DesignWrite) -> None:
    if vacancy.design_locked_at is not None:
        raise conflict("design-locked", "The assessment design locked when the first score was submitted.")
    if vacancy.status in (m.VacancyStatus.decided, m.VacancyStatus.closed):
        raise conflict("vacancy-decided", f"The vacancy is {vacancy.status}; its design can no longer change.")
    codes = {c.code: c for c in criteria_of(session, vacancy)}
    errors = [
        {
            "field": f"body.stages.{i}.criteria.{j}.criterion",
            "message": f"no criterion {given.criterion} in this vacancy",
        }
        for i, stage in enumerate(data.stages)
        for j, given in enumerate(stage.criteria)
        if given.criterion not in codes
    ]
    if errors:
        raise unprocessable("Some stages name criteria the vacancy does not have.", errors, slug="unknown-criteria")
    before = design_public(session, vacancy).model_dump(mode="json")
    # Stages are matched by name: a kept stage keeps its id, panel and draft sheets; a dropped
    # stage goes with everything hanging from it (nothing is submitted before the design locks).
    old = {stage.name: stage for stage in stages_of(session, vacancy)}
    wanted = {given.name for given in data.stages}
    for name, stage in old.items():
        if name not in wanted:
            _delete_stage(session, stage)
    for sequence, given in enumerate(data.stages):
        stage = old.get(given.name) or m.Stage(vacancy_id=key_of(vacancy), name=given.name, kind=given.kind)
        stage.kind, stage.sequence = given.kind, sequence
        stage.min_weighted_mean, stage.min_per_value = given.min_weighted_mean, given.min_per_value
        stage.essentials_required, stage.pass_mark = given.essentials_required, given.pass_mark
        session.add(stage)
        session.flush()
        session.exec(delete(m.StageCriterion).where(col(m.StageCriterion.stage_id) == stage.id))
        keep = [key_of(codes[link.criterion]) for link in given.criteria]
        for link in given.criteria:
            session.add(
                m.StageCriterion(
                    stage_id=key_of(stage),
                    criterion_id=key_of(codes[link.criterion]),
                    weight=link.weight,
                    essential=link.essential,
                )
            )
        _drop_draft_scores_outside(session, stage, keep)
    vacancy.updated_at = utcnow()
    session.add(vacancy)
    session.flush()
    audit.record(
        session, principal, "design.put", "vacancy", vacancy.uid, before=before, after=data.model_dump(mode="json")
    )
