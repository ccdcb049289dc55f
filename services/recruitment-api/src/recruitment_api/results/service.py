"""Results per stage, reliability, progression decisions, CSV export and candidate feedback."""

from __future__ import annotations

import io
from collections import defaultdict

from sqlmodel import Session, select

from recruitment_api.candidates.models import Candidate, SjtScore
from recruitment_api.results import models as m
from recruitment_api.results.calculation import CandidateResult, Criterion, Thresholds, stage_results
from recruitment_api.scoring import service as scoring
from recruitment_api.scoring.reliability import Rating, leniency, reliability
from recruitment_api.vacancies import service as vacancies
from recruitment_api.vacancies.models import Stage, StageKind, Vacancy, VacancyStatus
from servicekit import audit, csvio
from servicekit.auth import Principal
from servicekit.problems import ProblemError, conflict


def _candidates(session: Session, vacancy: Vacancy) -> dict[int, Candidate]:
    return {c.id: c for c in session.exec(select(Candidate).where(Candidate.vacancy_id == vacancy.id))}


def latest_decisions(session: Session, stage: Stage) -> dict[int, m.Decision]:
    found: dict[int, m.Decision] = {}
    for row in session.exec(select(m.Decision).where(m.Decision.stage_id == stage.id).order_by(m.Decision.id)):
        found[row.candidate_id] = row
    return found


def decision_public(decision: m.Decision, stage: Stage, candidate: Candidate) -> m.DecisionPublic:
    return m.DecisionPublic(
        id=decision.uid,
        stage_id=stage.uid,
        candidate_id=candidate.uid,
        candidate_code=candidate.code,
        outcome=decision.outcome,
        reason=decision.reason,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
    )


def compute(
    session: Session, vacancy: Vacancy, stage: Stage, exclude: frozenset[int] | set[int] = frozenset()
) -> tuple[list[CandidateResult], dict[int, Candidate], dict[int, list[str]], dict[int, int]]:
    """The pure calculation fed from the database: results, candidates, flags and sheet counts.
    Candidates in `exclude` take no part, not even in the ranking."""
    candidates = _candidates(session, vacancy)
    if stage.kind == StageKind.sjt:
        scores = {
            row.candidate_id: {"SJT": {"import": row.score}}
            for row in session.exec(select(SjtScore).where(SjtScore.stage_id == stage.id))
        }
        criteria = [Criterion(code="SJT", weight=1.0)]
        thresholds = Thresholds(min_weighted_mean=stage.pass_mark, essentials_required=False)
        flags: dict[int, list[str]] = {}
        sheets = {cid: 0 for cid in scores}
    else:
        links = vacancies.stage_criteria(session, stage)
        criteria = [
            Criterion(code=c.code, weight=sc.weight, essential=sc.essential, value=c.value_code or c.code)
            for sc, c in links
        ]
        thresholds = Thresholds(
            min_weighted_mean=stage.min_weighted_mean,
            min_per_value=stage.min_per_value,
            essentials_required=stage.essentials_required,
            essential_pass=1 if stage.kind == StageKind.shortlisting else 2,
        )
        scores = scoring.effective_scores(session, stage)
        divergence = scoring.flags_for(session, stage, scores, {i: c.code for i, c in candidates.items()})
        flags = {i: [f"{f.criterion}: {f.detail}" for f in found] for i, found in divergence.items()}
        sheets = scoring.sheet_counts(session, stage)
    eligible = {i: s for i, s in scores.items() if i in candidates and not candidates[i].withdrawn and i not in exclude}
    results = stage_results(criteria, {str(i): s for i, s in eligible.items()}, thresholds)
    return results, candidates, flags, sheets


def require_nothing_hidden(session: Session, principal: Principal, stage: Stage) -> None:
    """Stage-wide figures mix every candidate's scores: an admin on the panel sees them only once
    they have submitted all their own sheets."""
    if scoring.hidden_from(session, principal, stage):
        raise ProblemError(
            403,
            "submit-your-own-first",
            "You are on this panel: submit your own score sheets for "
            "every candidate before seeing the panel's figures.",
            title="Forbidden",
        )


def results_public(session: Session, principal: Principal, vacancy: Vacancy, stage: Stage) -> m.StageResultsPublic:
    """Every candidate's result. For an admin who sits on the panel, only the candidates they have
    submitted their own sheet for, ranked among themselves: no rank reveals the others' scores."""
    hidden = scoring.hidden_from(session, principal, stage)
    results, candidates, flags, sheets = compute(session, vacancy, stage, exclude=hidden)
    decisions = latest_decisions(session, stage)
    rows = []
    for result in results:
        candidate = candidates[int(result.candidate)]
        decision = decisions.get(candidate.id)
        rows.append(
            m.CandidateResultPublic(
                candidate_id=candidate.uid,
                candidate_code=candidate.code,
                rank=result.rank,
                weighted_mean=result.weighted_mean,
                weighted_total=result.weighted_total,
                value_means=dict(result.value_means),
                appointable=result.appointable,
                reasons=list(result.reasons),
                criteria=[m.CriterionResultPublic(**vars(c)) for c in result.criteria],
                sheets_submitted=sheets.get(candidate.id, 0),
                flags=flags.get(candidate.id, []),
                decision=decision_public(decision, stage, candidate) if decision else None,
            )
        )
    return m.StageResultsPublic(
        vacancy_id=vacancy.uid, stage_id=stage.uid, stage_name=stage.name, candidates=rows, complete=not hidden
    )


def reliability_public(session: Session, vacancy: Vacancy, stage: Stage) -> m.ReliabilityPublic:
    """Agreement between assessors on each candidate's weighted mean score."""
    links = vacancies.stage_criteria(session, stage)
    weights = {c.code: sc.weight for sc, c in links}
    scores = scoring.effective_scores(session, stage)
    ratings = []
    for candidate, criteria in scores.items():
        by_assessor: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for code, given in criteria.items():
            for assessor, score in given.items():
                if score is not None:
                    by_assessor[assessor].append((weights.get(code, 1.0), score))
        for assessor, pairs in by_assessor.items():
            total = sum(w for w, _ in pairs)
            ratings.append(Rating(str(candidate), assessor, sum(w * s for w, s in pairs) / total))
    report = reliability(ratings)
    # Alpha is the measure for missing or ragged ratings; a fully crossed panel reports its ICCs.
    coefficients = [
        c for c in report.coefficients if report.design != "fully_crossed" or not c.name.startswith("alpha")
    ]
    candidates = _candidates(session, vacancy)
    flagged = len(scoring.flags_for(session, stage, scores, {i: c.code for i, c in candidates.items()}))
    return m.ReliabilityPublic(
        vacancy_id=vacancy.uid,
        stage_id=stage.uid,
        design=report.design,
        coefficients=[m.CoefficientPublic(**vars(c)) for c in coefficients],
        leniency=[m.LeniencyPublic(**vars(x)) for x in leniency(ratings)],
        flagged_candidates=flagged,
    )


def record_decision(
    session: Session, principal: Principal, vacancy: Vacancy, stage: Stage, candidate: Candidate, data: m.DecisionWrite
) -> m.Decision:
    if vacancy.status not in (VacancyStatus.scoring, VacancyStatus.decided):
        raise conflict(
            "not-deciding", f"The vacancy is {vacancy.status}; decisions are recorded while scoring or decided."
        )
    decision = m.Decision(
        stage_id=stage.id,
        candidate_id=candidate.id,
        outcome=data.outcome,
        reason=data.reason,
        decided_by=principal.subject,
    )
    session.add(decision)
    session.flush()
    audit.record(
        session,
        principal,
        "decision.record",
        "candidate",
        candidate.uid,
        after={"stage": stage.name, "outcome": data.outcome.value, "reason": data.reason},
    )
    return decision


def results_csv(session: Session, principal: Principal, vacancy: Vacancy, stage: Stage) -> str:
    require_nothing_hidden(session, principal, stage)
    public = results_public(session, principal, vacancy, stage)
    codes = [c.code for _, c in vacancies.stage_criteria(session, stage)] if stage.kind != StageKind.sjt else ["SJT"]
    out = io.StringIO()
    writer = csvio.writer(out)  # decision reasons and flags are free text: no formulas
    writer.writerow(
        [
            "candidate_code",
            "rank",
            "weighted_mean",
            "weighted_total",
            "appointable",
            "reasons",
            *[f"mean:{c}" for c in codes],
            *[f"spread:{c}" for c in codes],
            "flags",
            "decision",
            "decision_reason",
        ]
    )
    for row in public.candidates:
        by_code = {c.criterion: c for c in row.criteria}
        writer.writerow(
            [
                row.candidate_code,
                row.rank or "",
                _num(row.weighted_mean),
                _num(row.weighted_total),
                "yes" if row.appointable else "no",
                "; ".join(row.reasons),
                *[_num(by_code[c].mean) if c in by_code else "" for c in codes],
                *[by_code[c].spread if c in by_code and by_code[c].spread is not None else "" for c in codes],
                "; ".join(row.flags),
                row.decision.outcome.value if row.decision else "",
                row.decision.reason if row.decision else "",
            ]
        )
    return out.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def feedback(
    session: Session, vacancy: Vacancy, stage: Stage, candidate: Candidate, min_cohort: int
) -> m.CandidateFeedback:
    results, _, _, _ = compute(session, vacancy, stage)
    mine = next((r for r in results if r.candidate == str(candidate.id)), None)
    cohort = [r for r in results if r.weighted_mean is not None]
    withheld = len(cohort) < min_cohort
    statements = {c.code: c.statement for c in vacancies.criteria_of(session, vacancy)}
    values = []
    codes = (
        [c.criterion for c in mine.criteria] if mine else [c.code for _, c in vacancies.stage_criteria(session, stage)]
    )
    for code in codes:
        means = [c.mean for r in cohort for c in r.criteria if c.criterion == code and c.mean is not None]
        own = next((c.mean for c in mine.criteria if c.criterion == code), None) if mine else None
        values.append(
            m.FeedbackValue(
                criterion=code,
                statement=statements.get(code, code),
                your_score=own,
                cohort_mean=None if withheld or not means else sum(means) / len(means),
                cohort_spread=None if withheld or not means else max(means) - min(means),
            )
        )
    return m.CandidateFeedback(
        candidate_id=candidate.uid,
        candidate_code=candidate.code,
        stage_id=stage.uid,
        stage_name=stage.name,
        cohort_size=None if withheld else len(cohort),
        cohort_withheld=withheld,
        values=values,
    )
