"""UK GDPR: subject access export, erasure that keeps pseudonymised scores, retention purge."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from recruitment_api.candidates.models import Candidate, CandidatePersonal, Evidence, SjtScore
from recruitment_api.fairness.models import EqualityRecord
from recruitment_api.results.models import Decision
from recruitment_api.scoring.models import Score, ScoreAmendment, ScoreSheet
from recruitment_api.scoring.service import must_submit_first
from recruitment_api.vacancies.models import Criterion, Stage, Vacancy, VacancyStatus
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.errors import conflict


def _rows(session: Session, model, *where) -> list[dict[str, Any]]:
    return [
        row.model_dump(mode="json", exclude={"id", "candidate_id", "sheet_id", "stage_id", "criterion_id"})
        for row in session.exec(select(model).where(*where))
    ]


def subject_access(
    session: Session, principal: Principal, vacancy: Vacancy, candidate: Candidate, *, with_equality: bool
) -> dict[str, Any]:
    """Everything held on one candidate, in one document. Equality monitoring answers are
    included only for a caller who may read them (equality:read); otherwise the export says so.

    Blind scoring binds an admin who sits on a stage's panel: until they have submitted their own
    sheet for the candidate, that stage's other sheets and decisions are left out, and `withheld`
    names the stage (another admin can produce the full export)."""
    stage_rows = list(session.exec(select(Stage).where(Stage.vacancy_id == vacancy.id).order_by(col(Stage.sequence))))
    stages = {s.id: s.name for s in stage_rows}
    blind = {s.id for s in stage_rows if must_submit_first(session, principal, s, candidate)}
    criteria = {c.id: c.code for c in session.exec(select(Criterion).where(Criterion.vacancy_id == vacancy.id))}
    sheets = list(session.exec(select(ScoreSheet).where(ScoreSheet.candidate_id == candidate.id)))
    decisions = list(session.exec(select(Decision).where(Decision.candidate_id == candidate.id)))
    held: list[ScoreSheet | Decision] = [*sheets, *decisions]
    withheld = {s.stage_id for s in held if s.stage_id in blind and getattr(s, "assessor", None) != principal.subject}
    sheets = [s for s in sheets if s.stage_id not in withheld or s.assessor == principal.subject]
    decisions = [d for d in decisions if d.stage_id not in withheld]
    sheet_ids = [s.id for s in sheets]
    scores = list(session.exec(select(Score).where(col(Score.sheet_id).in_(sheet_ids)))) if sheet_ids else []
    amendments = (
        list(session.exec(select(ScoreAmendment).where(col(ScoreAmendment.sheet_id).in_(sheet_ids))))
        if sheet_ids
        else []
    )
    return {
        "generated_at": utcnow().isoformat(),
        "vacancy": {"id": str(vacancy.uid), "title": vacancy.title, "org": vacancy.org},
        "candidate": {
            "id": str(candidate.uid),
            "code": candidate.code,
            "external_ref": candidate.external_ref,
            "withdrawn": candidate.withdrawn,
            "created_at": candidate.created_at.isoformat(),
            "erased_at": candidate.erased_at.isoformat() if candidate.erased_at else None,
        },
        "personal_details": _rows(session, CandidatePersonal, CandidatePersonal.candidate_id == candidate.id),
        "evidence": _rows(session, Evidence, Evidence.candidate_id == candidate.id),
        "equality_monitoring": _rows(session, EqualityRecord, EqualityRecord.candidate_id == candidate.id)
        if with_equality
        else None,
        "equality_monitoring_withheld": not with_equality,
        "complete": not withheld,
        "withheld": [
            {
                "stage": stages[stage_id],
                "reason": "You sit on this stage's panel: the other assessors' sheets and the decisions are left "
                "out until you submit your own sheet for this candidate.",
            }
            for stage_id in stages
            if stage_id in withheld
        ],
        "score_sheets": [
            {
                "stage": stages.get(sheet.stage_id),
                "assessor": sheet.assessor,
                "status": sheet.status,
                "submitted_at": sheet.submitted_at.isoformat() if sheet.submitted_at else None,
                "scores": [
                    {
                        "criterion": criteria.get(s.criterion_id),
                        "score": s.score,
                        "not_evidenced": s.not_evidenced,
                        "notes": s.notes,
                    }
                    for s in scores
                    if s.sheet_id == sheet.id
                ],
                "moderation": [
                    {
                        "criterion": criteria.get(a.criterion_id),
                        "previous_score": a.previous_score,
                        "score": a.score,
                        "not_evidenced": a.not_evidenced,
                        "reason": a.reason,
                        "amended_by": a.amended_by,
                        "amended_at": a.amended_at.isoformat(),
                    }
                    for a in amendments
                    if a.sheet_id == sheet.id
                ],
            }
            for sheet in sheets
        ],
        "sjt_scores": [
            {"stage": stages.get(r.stage_id), "score": r.score}
            for r in session.exec(select(SjtScore).where(SjtScore.candidate_id == candidate.id))
        ],
        "decisions": [
            {
                "stage": stages.get(d.stage_id),
                "outcome": d.outcome,
                "reason": d.reason,
                "decided_by": d.decided_by,
                "decided_at": d.decided_at.isoformat(),
            }
            for d in decisions
        ],
    }


def erase(session: Session, principal: Principal, candidate: Candidate, reason: str = "erasure request") -> None:
    """Remove identity, evidence, equality data and free-text notes; keep the pseudonymised scores."""
    if candidate.erased_at is not None:
        raise conflict("already-erased", f"Candidate {candidate.code}'s personal data was already erased.")
    session.exec(delete(CandidatePersonal).where(col(CandidatePersonal.candidate_id) == candidate.id))
    session.exec(delete(EqualityRecord).where(col(EqualityRecord.candidate_id) == candidate.id))
    session.exec(delete(Evidence).where(col(Evidence.candidate_id) == candidate.id))
    sheet_ids = list(session.exec(select(ScoreSheet.id).where(ScoreSheet.candidate_id == candidate.id)))
    if sheet_ids:
        # Notes can quote the candidate; the numbers stay for reliability and fairness reporting.
        session.exec(update(Score).where(col(Score.sheet_id).in_(sheet_ids)).values(notes=None))
    candidate.external_ref = None
    candidate.erased_at = utcnow()
    session.add(candidate)
    audit.record(session, principal, "candidate.erase", "candidate", candidate.uid, after={"reason": reason})


def purge_expired(session: Session, principal: Principal, now: datetime | None = None) -> int:
    """Erase every candidate of closed vacancies whose retention period has passed."""
    now = now or utcnow()
    erased = 0
    for vacancy in session.exec(
        select(Vacancy).where(Vacancy.status == VacancyStatus.closed, col(Vacancy.closed_at).is_not(None))
    ):
        closed_at = vacancy.closed_at
        assert closed_at is not None  # only vacancies with a closing time are selected
        closed_at = closed_at if closed_at.tzinfo else closed_at.replace(tzinfo=now.tzinfo)
        if closed_at + timedelta(days=vacancy.retention_days) > now:
            continue
        for candidate in session.exec(
            select(Candidate).where(Candidate.vacancy_id == vacancy.id, col(Candidate.erased_at).is_(None))
        ):
            erase(session, principal, candidate, reason="retention period ended")
            erased += 1
    return erased
