"""Equality monitoring records and the adverse-impact report (readable only with equality:read)."""

from __future__ import annotations

from collections import Counter

from sqlmodel import Session, col, select

from recruitment_api.candidates.models import Candidate
from recruitment_api.fairness import models as m
from recruitment_api.fairness.adverse_impact import GroupOutcome, adverse_impact
from recruitment_api.results.models import Outcome
from recruitment_api.results.service import latest_decisions
from recruitment_api.vacancies.models import Stage, Vacancy
from servicekit import audit
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import conflict, unprocessable

SELECTED = {Outcome.progress, Outcome.appoint}
NOT_RECORDED = "not_recorded"


def put_equality(session: Session, principal: Principal, candidate: Candidate, data: m.EqualityWrite) -> None:
    if candidate.erased_at is not None:
        raise conflict(
            "candidate-erased",
            f"Candidate {candidate.code}'s personal data was erased; no new equality answers are kept for them.",
        )
    record = session.exec(select(m.EqualityRecord).where(m.EqualityRecord.candidate_id == candidate.id)).first()
    if record is None:
        record = m.EqualityRecord(candidate_id=key_of(candidate))
    for name, value in data.model_dump().items():
        setattr(record, name, value)
    session.add(record)
    # The audit trail says that monitoring data was recorded, never what it is.
    audit.record(session, principal, "equality.record", "candidate", candidate.uid, after={"recorded": True})


def report(session: Session, vacancy: Vacancy, stage: Stage, category: str, min_cell: int) -> m.AdverseImpactPublic:
    if category not in m.CATEGORIES:
        raise unprocessable(
            f"Unknown category {category}.",
            [{"field": "query.category", "message": "one of " + ", ".join(m.CATEGORIES)}],
        )
    decisions = latest_decisions(session, stage)
    considered = {cid: d for cid, d in decisions.items() if d.outcome != Outcome.withdrawn}
    groups_of = {
        r.candidate_id: getattr(r, category) or NOT_RECORDED
        for r in session.exec(select(m.EqualityRecord).where(col(m.EqualityRecord.candidate_id).in_(list(considered))))
    }
    totals: Counter[str] = Counter()
    selected: Counter[str] = Counter()
    for candidate_id, decision in considered.items():
        group = groups_of.get(candidate_id, NOT_RECORDED)
        totals[group] += 1
        selected[group] += decision.outcome in SELECTED
    result = adverse_impact([GroupOutcome(g, totals[g], selected[g]) for g in sorted(totals)], min_cell=min_cell)
    return m.AdverseImpactPublic(
        vacancy_id=vacancy.uid,
        stage_id=stage.uid,
        stage_name=stage.name,
        category=category,
        threshold=result.threshold,
        min_cell=result.min_cell,
        reference_group=result.reference_group,
        groups=[m.GroupImpactPublic(**vars(g)) for g in result.groups],
        note=result.note,
    )
