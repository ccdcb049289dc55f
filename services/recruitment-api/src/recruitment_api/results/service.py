"""Results per stage, reliability, progression decisions, CSV export and candidate feedback."""

from __future__ import annotations

import gc
import io
import uuid
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from recruitment_api.candidates.models import Candidate, SjtScore
from recruitment_api.results import models as m
from recruitment_api.results.calculation import (
    CandidateResult,
    Criterion,
    Thresholds,
    results_from_table,
)
from recruitment_api.scoring import service as scoring
from recruitment_api.scoring.reliability import FULLY_CROSSED, Rating, leniency, reliability
from recruitment_api.scoring.tallies import TallyTable, tally
from recruitment_api.vacancies import service as vacancies
from recruitment_api.vacancies.models import Criterion as CriterionRow
from recruitment_api.vacancies.models import CriterionKind, Stage, StageKind, Vacancy, VacancyStatus
from servicekit import audit, csvio
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import ProblemError, conflict


class CandidateRef(NamedTuple):
    """What results need of a candidate, read as plain columns: a stage can have thousands."""

    id: int
    uid: uuid.UUID
    code: str
    withdrawn: bool


def _candidates(session: Session, vacancy: Vacancy) -> dict[int, CandidateRef]:
    rows = session.connection().execute(
        sa_select(col(Candidate.id), col(Candidate.uid), col(Candidate.code), col(Candidate.withdrawn)).where(
            col(Candidate.vacancy_id) == vacancy.id
        )
    )
    return {
        key: CandidateRef(key, uid, code, withdrawn)
        for key, uid, code, withdrawn in rows
        if key is not None  # stored rows' keys: never None
    }


def latest_decisions(session: Session, stage: Stage) -> dict[int, m.Decision]:
    found: dict[int, m.Decision] = {}
    for row in session.exec(select(m.Decision).where(m.Decision.stage_id == stage.id).order_by(col(m.Decision.id))):
        found[row.candidate_id] = row
    return found


def decision_public(decision: m.Decision, stage: Stage, candidate: Candidate | CandidateRef) -> m.DecisionPublic:
    return m.DecisionPublic(
        id=decision.uid,
        stage_id=stage.uid,
        candidate_id=candidate.uid,
        candidate_code=candidate.code,
        outcome=m.Outcome(decision.outcome),
        reason=decision.reason,
        decided_by=decision.decided_by,
        decided_at=decision.decided_at,
    )


@dataclass
class StageFigures:
    """The pure calculation fed from the database, for the candidates the figures cover."""

    results: list[CandidateResult]  # in rank order; `candidate` is the candidate's id as text
    candidates: dict[int, CandidateRef]  # every candidate of the vacancy
    flags: dict[Hashable, list[str]]  # candidate id -> divergence flags as sentences
    sheets: dict[Hashable, int]  # candidate id -> submitted sheets
    tallies: TallyTable  # the covered candidates' tallies


@contextmanager
def collector_paused() -> Iterator[None]:
    """Results for thousands of candidates build some 100,000 small objects, and Python's cyclic
    garbage collector would meanwhile walk every object in the process several times over (a third
    of the time taken). Nothing built here forms a cycle: reference counting frees it all. Free what
    was built before the block ends, too (serialise it inside): objects still alive when the
    collector resumes are all walked once more by its next collection."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def value_of(criterion: CriterionRow) -> str | None:
    """The value a criterion counts towards: its own for a value, its value's for a behaviour, and none
    for an essential criterion of the person specification, which is tested as an essential instead."""
    if criterion.kind == CriterionKind.essential:
        return None
    return criterion.value_code or (criterion.code if criterion.kind == CriterionKind.value else None)


def calculation_criteria(session: Session, stage: Stage) -> list[Criterion]:
    """The stage's criteria for the calculation. A criterion of kind `essential` is essential wherever
    it is used; any other is essential where the stage marks it."""
    return [
        Criterion(
            code=c.code,
            weight=link.weight,
            essential=link.essential or c.kind == CriterionKind.essential,
            value=value_of(c),
        )
        for link, c in vacancies.stage_criteria(session, stage)
    ]


def covered(candidates: Mapping[int, CandidateRef], scored: Iterable[Hashable], exclude: Collection[int]) -> set[int]:
    """The one candidate set of a stage's figures, results and reliability alike: scored at the
    stage, not withdrawn, and not held back from the caller (`exclude`)."""
    return {i for i, ref in candidates.items() if not ref.withdrawn and i not in exclude}.intersection(scored)


def compute(
    session: Session, vacancy: Vacancy, stage: Stage, exclude: frozenset[int] | set[int] = frozenset()
) -> StageFigures:
    """Candidates in `exclude` take no part, not even in the ranking."""
    candidates = _candidates(session, vacancy)
    if stage.kind == StageKind.sjt:
        rows = session.connection().execute(
            sa_select(col(SjtScore.candidate_id), col(SjtScore.score)).where(col(SjtScore.stage_id) == stage.id)
        )
        table = TallyTable.from_tallies(["SJT"], {candidate: {"SJT": tally([score])} for candidate, score in rows})
        criteria = [Criterion(code="SJT", weight=1.0)]
        thresholds = Thresholds(min_weighted_mean=stage.pass_mark, essentials_required=False)
        sheets: dict[Hashable, int] = {}
        flags: dict[Hashable, list[str]] = {}
    else:
        criteria = calculation_criteria(session, stage)
        thresholds = Thresholds(
            min_weighted_mean=stage.min_weighted_mean,
            min_per_value=stage.min_per_value,
            essentials_required=stage.essentials_required,
            essential_pass=1 if stage.kind == StageKind.shortlisting else 2,
        )
        table = scoring.criterion_tallies(session, stage)
        # Every submitted sheet answers every criterion (submit refuses it otherwise): any column counts them.
        answered = (table.n_scores + table.n_not_evidenced).max(axis=1, initial=0)
        sheets = dict(zip(table.candidates, answered.tolist(), strict=True))
    chosen = covered(candidates, table.candidates, exclude)
    table = table.rows_where(lambda c: c in chosen)
    if stage.kind != StageKind.sjt:
        flags = {
            i: [f"{f.criterion}: {f.detail}" for f in found] for i, found in scoring.flags_for(stage, table).items()
        }
    results = results_from_table(criteria, table, thresholds)
    return StageFigures(results, candidates, flags, sheets, table)


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


def results_public(session: Session, principal: Principal, vacancy: Vacancy, stage: Stage) -> dict[str, Any]:
    """Every candidate's result, as JSON-ready data in the shape of m.StageResultsPublic. For an admin
    who sits on the panel, only the candidates they have submitted their own sheet for, ranked among
    themselves: no rank reveals the others' scores.

    Plain dicts, not models: 5,000 candidates would be 40,000 models to build and check again."""
    with collector_paused():
        return _results_public(session, principal, vacancy, stage)


def _results_public(session: Session, principal: Principal, vacancy: Vacancy, stage: Stage) -> dict[str, Any]:
    hidden = scoring.hidden_from(session, principal, stage)
    figures = compute(session, vacancy, stage, exclude=hidden)
    decisions = latest_decisions(session, stage)
    rows = []
    for result in figures.results:
        candidate = figures.candidates[int(result.candidate)]
        decision = decisions.get(candidate.id)
        rows.append(
            {
                "candidate_id": candidate.uid,
                "candidate_code": candidate.code,
                "rank": result.rank,
                "weighted_mean": result.weighted_mean,
                "weighted_total": result.weighted_total,
                "weighted_total_complete": result.weighted_total_complete,
                "unscored_criteria": result.unscored_criteria,
                "value_means": result.value_means,
                "essentials": [
                    {"criterion": code, "mean": mean, "pass_mark": bar, "met": met}
                    for code, mean, bar, met in result.essentials
                ],
                "essentials_met": result.essentials_met,
                "appointable": result.appointable,
                "reasons": result.reasons,
                "criteria": [
                    {
                        "criterion": code,
                        "mean": mean,
                        "minimum": low,
                        "maximum": high,
                        "spread": spread,
                        "sd": sd,
                        "n_scores": n,
                        "n_not_evidenced": not_evidenced,
                    }
                    for code, mean, low, high, spread, sd, n, not_evidenced in result.criteria
                ],
                "sheets_submitted": figures.sheets.get(candidate.id, 0),
                "flags": figures.flags.get(candidate.id, []),
                "decision": decision_public(decision, stage, candidate).model_dump(mode="json") if decision else None,
            }
        )
    return {
        "vacancy_id": vacancy.uid,
        "stage_id": stage.uid,
        "stage_name": stage.name,
        "candidates": rows,
        "complete": not hidden,
        "next": None,
    }


def reliability_public(session: Session, vacancy: Vacancy, stage: Stage) -> m.ReliabilityPublic:
    """Agreement between assessors on each candidate's weighted mean score, over the candidates the
    stage's results cover (withdrawn candidates left out)."""
    with collector_paused():
        return _reliability_public(session, vacancy, stage)


def _reliability_public(session: Session, vacancy: Vacancy, stage: Stage) -> m.ReliabilityPublic:
    table = scoring.criterion_tallies(session, stage)
    chosen = covered(_candidates(session, vacancy), table.candidates, frozenset())
    ratings = [
        Rating(str(c), assessor, mean) for c, assessor, mean in scoring.assessor_means(session, stage) if c in chosen
    ]
    report = reliability(ratings)
    # Alpha is the measure for missing or ragged ratings; a fully crossed panel reports its ICCs.
    coefficients = [c for c in report.coefficients if report.design != FULLY_CROSSED or not c.name.startswith("alpha")]
    flagged = scoring.flags_for(stage, table.rows_where(lambda c: c in chosen))
    return m.ReliabilityPublic(
        vacancy_id=vacancy.uid,
        stage_id=stage.uid,
        design=report.design,
        coefficients=[m.CoefficientPublic(**vars(c)) for c in coefficients],
        leniency=[m.LeniencyPublic(**vars(x)) for x in leniency(ratings)],
        flagged_candidates=len(flagged),
        n_candidates=len(chosen),
    )


def record_decision(
    session: Session, principal: Principal, vacancy: Vacancy, stage: Stage, candidate: Candidate, data: m.DecisionWrite
) -> m.Decision:
    if vacancy.status not in (VacancyStatus.scoring, VacancyStatus.decided):
        raise conflict(
            "not-deciding", f"The vacancy is {vacancy.status}; decisions are recorded while scoring or decided."
        )
    decision = m.Decision(
        stage_id=key_of(stage),
        candidate_id=key_of(candidate),
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
            "weighted_total_complete",
            "appointable",
            "reasons",
            "essentials_met",
            *[f"mean:{c}" for c in codes],
            *[f"spread:{c}" for c in codes],
            *[f"evidenced:{c}" for c in codes],
            "flags",
            "decision",
            "decision_reason",
        ]
    )
    for row in public["candidates"]:
        by_code = {c["criterion"]: c for c in row["criteria"]}
        decision = row["decision"]
        writer.writerow(
            [
                row["candidate_code"],
                row["rank"] or "",
                _num(row["weighted_mean"]),
                _num(row["weighted_total"]),
                _yes_no(row["weighted_total_complete"]),
                _yes_no(row["appointable"]),
                "; ".join(row["reasons"]),
                _yes_no(row["essentials_met"]),
                *[_num(by_code[c]["mean"]) if c in by_code else "" for c in codes],
                *[by_code[c]["spread"] if c in by_code and by_code[c]["spread"] is not None else "" for c in codes],
                *[_evidenced(by_code[c]) if c in by_code else "" for c in codes],
                "; ".join(row["flags"]),
                decision["outcome"] if decision else "",
                decision["reason"] if decision else "",
            ]
        )
    return out.getvalue()


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def _evidenced(criterion: dict[str, Any]) -> str:
    """How many of the assessors found evidence, as "2 of 3"."""
    return f"{criterion['n_scores']} of {criterion['n_scores'] + criterion['n_not_evidenced']}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def feedback(
    session: Session, vacancy: Vacancy, stage: Stage, candidate: Candidate, min_cohort: int
) -> m.CandidateFeedback:
    results = compute(session, vacancy, stage).results
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
