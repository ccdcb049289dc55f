"""Panels, score sheets and moderation. Plain functions on a Session.

Blindness: an assessor sees their own sheet only, until they have submitted it for that
candidate; only then the panel's scores for that candidate. Recruitment admins see everything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable

import numpy as np
from sqlalchemy import ColumnElement, Row, and_, bindparam, case, func
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import Session, col, select

from recruitment_api.candidates.models import Candidate
from recruitment_api.scopes import Scope
from recruitment_api.scoring import models as m
from recruitment_api.scoring.divergence import DivergenceFlag, table_flags
from recruitment_api.scoring.tallies import TallyTable, tally
from recruitment_api.vacancies import service as vacancies
from recruitment_api.vacancies.models import (
    SCALES,
    Criterion,
    Stage,
    StageCriterion,
    StageKind,
    Vacancy,
    VacancyStatus,
)
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import ProblemError, conflict, not_found, unprocessable


def _forbidden(slug: str, detail: str) -> ProblemError:
    return ProblemError(403, slug, detail, title="Forbidden")


# --- panels ---------------------------------------------------------------------------------


def panel_of(session: Session, stage: Stage) -> list[m.PanelMember]:
    return list(
        session.exec(select(m.PanelMember).where(m.PanelMember.stage_id == stage.id).order_by(col(m.PanelMember.id)))
    )


def set_panel(session: Session, principal: Principal, vacancy: Vacancy, stage: Stage, data: m.PanelWrite) -> None:
    if stage.kind == StageKind.sjt:
        raise conflict("not-a-scored-stage", "An SJT stage has no panel: its scores are imported.")
    current = panel_of(session, stage)
    keeping = {member.assessor for member in data.members}
    scored = set(session.exec(select(m.ScoreSheet.assessor).where(m.ScoreSheet.stage_id == stage.id)))
    removed_with_scores = sorted(a.assessor for a in current if a.assessor not in keeping and a.assessor in scored)
    if removed_with_scores:
        raise conflict(
            "assessor-has-scores",
            "These assessors already have score sheets and cannot leave the panel: " + ", ".join(removed_with_scores),
        )
    before = [{"assessor": a.assessor, "is_lead": a.is_lead} for a in current]
    for member in current:
        session.delete(member)
    session.flush()
    for given in data.members:
        session.add(m.PanelMember(stage_id=key_of(stage), **given.model_dump()))
    audit.record(
        session,
        principal,
        "panel.set",
        "stage",
        stage.uid,
        before={"members": before},
        after=data.model_dump(mode="json"),
    )


# The statements on every score sheet's way are built once, with parameters: on a panel day,
# building a query expression afresh costs more than the database takes to answer it.
_MEMBER = select(m.PanelMember).where(
    m.PanelMember.stage_id == bindparam("stage"), m.PanelMember.assessor == bindparam("assessor")
)
_SHEET = select(m.ScoreSheet).where(
    m.ScoreSheet.stage_id == bindparam("stage"),
    m.ScoreSheet.candidate_id == bindparam("candidate"),
    m.ScoreSheet.assessor == bindparam("assessor"),
)
_SUBMITTED_FOR = (
    select(m.ScoreSheet)
    .where(
        m.ScoreSheet.stage_id == bindparam("stage"),
        m.ScoreSheet.status == m.SheetStatus.submitted,
        col(m.ScoreSheet.candidate_id).in_(bindparam("candidates", expanding=True)),
    )
    .order_by(col(m.ScoreSheet.id))
)
_STAGE_CRITERIA = (
    sa_select(col(Criterion.code), col(Criterion.id))
    .join(StageCriterion, col(StageCriterion.criterion_id) == Criterion.id)
    .where(col(StageCriterion.stage_id) == bindparam("stage"))
    .order_by(col(Criterion.sequence))
)
_SCORE_ROWS = (
    sa_select(
        col(m.Score.sheet_id),
        col(m.Score.criterion_id),
        col(Criterion.code),
        col(Criterion.uid),
        col(m.Score.score),
        col(m.Score.not_evidenced),
        col(m.Score.notes),
    )
    .join(Criterion, col(Criterion.id) == m.Score.criterion_id)
    .where(col(m.Score.sheet_id).in_(bindparam("sheets", expanding=True)))
    .order_by(col(Criterion.sequence))
)
_SCORE_IDS = sa_select(col(m.Score.criterion_id), col(m.Score.id)).where(col(m.Score.sheet_id) == bindparam("sheet"))
_AMENDMENTS = (
    select(m.ScoreAmendment)
    .where(col(m.ScoreAmendment.sheet_id).in_(bindparam("sheets", expanding=True)))
    .order_by(col(m.ScoreAmendment.id))
)


def membership(session: Session, principal: Principal, stage: Stage) -> m.PanelMember | None:
    return session.exec(_MEMBER, params={"stage": stage.id, "assessor": principal.subject}).first()


def require_member(session: Session, principal: Principal, stage: Stage) -> m.PanelMember:
    member = membership(session, principal, stage)
    if member is None:
        raise _forbidden("not-on-panel", f"You are not on the panel for {stage.name}.")
    return member


def my_panels(session: Session, principal: Principal) -> list[tuple[Vacancy, Stage, m.PanelMember, int, int]]:
    """The caller's panels in their organisation, with how many sheets they submitted and drafted."""
    rows = list(
        session.exec(
            select(Vacancy, Stage, m.PanelMember)
            .join(Stage, col(Stage.vacancy_id) == Vacancy.id)
            .join(m.PanelMember, col(m.PanelMember.stage_id) == Stage.id)
            .where(Vacancy.org == principal.org, m.PanelMember.assessor == principal.subject)
            .order_by(col(Vacancy.id).desc(), col(Stage.sequence))
        )
    )
    counts: dict[tuple[int, str], int] = defaultdict(int)
    stage_ids = [key_of(s) for _, s, _ in rows]
    if stage_ids:
        for sheet in session.exec(
            select(m.ScoreSheet).where(
                col(m.ScoreSheet.stage_id).in_(stage_ids), m.ScoreSheet.assessor == principal.subject
            )
        ):
            counts[(sheet.stage_id, sheet.status)] += 1
    return [
        (v, s, p, counts[(key_of(s), m.SheetStatus.submitted)], counts[(key_of(s), m.SheetStatus.draft)])
        for v, s, p in rows
    ]


def my_sheet_statuses(
    session: Session, principal: Principal, vacancy: Vacancy, stage: Stage
) -> list[tuple[Candidate, m.SheetStatus | None]]:
    """Every candidate still in the running, with the caller's sheet status (None: not opened)."""
    require_member(session, principal, stage)
    statuses = {
        s.candidate_id: m.SheetStatus(s.status)
        for s in session.exec(
            select(m.ScoreSheet).where(m.ScoreSheet.stage_id == stage.id, m.ScoreSheet.assessor == principal.subject)
        )
    }
    candidates = session.exec(
        select(Candidate)
        .where(Candidate.vacancy_id == vacancy.id, col(Candidate.withdrawn).is_(False))
        .order_by(Candidate.code)
    )
    return [(c, statuses.get(key_of(c))) for c in candidates]


# --- score sheets ---------------------------------------------------------------------------


def _sheet(session: Session, stage: Stage, candidate: Candidate, assessor: str) -> m.ScoreSheet | None:
    return session.exec(_SHEET, params={"stage": stage.id, "candidate": candidate.id, "assessor": assessor}).first()


def has_submitted(session: Session, principal: Principal, stage: Stage, candidate: Candidate) -> bool:
    sheet = _sheet(session, stage, candidate, principal.subject)
    return sheet is not None and sheet.status == m.SheetStatus.submitted


def must_submit_first(session: Session, principal: Principal, stage: Stage, candidate: Candidate) -> bool:
    """Blind scoring for one candidate: anyone on this stage's panel, recruitment admins included,
    sees no other assessor's sheet, score, note or decision for the candidate until they have
    submitted their own. Every per-candidate view asks this one question."""
    return membership(session, principal, stage) is not None and not has_submitted(session, principal, stage, candidate)


def own_sheet(session: Session, principal: Principal, stage: Stage, candidate: Candidate) -> m.ScoreSheet:
    """The caller's sheet for the candidate, created as an empty draft on first use."""
    require_member(session, principal, stage)
    sheet = _sheet(session, stage, candidate, principal.subject)
    if sheet is None:
        sheet = m.ScoreSheet(stage_id=key_of(stage), candidate_id=key_of(candidate), assessor=principal.subject)
        session.add(sheet)
        session.flush()
    return sheet


def _require_scoring(vacancy: Vacancy, stage: Stage, candidate: Candidate) -> None:
    if vacancy.status != VacancyStatus.scoring:
        raise conflict("not-scoring", f"The vacancy is {vacancy.status}; scores are taken only while it is scoring.")
    if stage.kind == StageKind.sjt:
        raise conflict("not-a-scored-stage", "An SJT stage has no score sheets: its scores are imported.")
    if candidate.withdrawn:
        raise conflict("candidate-withdrawn", f"Candidate {candidate.code} has withdrawn.")


def _check_score(stage: Stage, criterion: str, score: int | None, field: str) -> None:
    low, high = SCALES[stage.kind]
    if score is not None and not low <= score <= high:
        raise unprocessable(
            f"{criterion}: {score} is outside the {stage.name} scale of {low} to {high}.",
            [{"field": field, "message": f"must be between {low} and {high}"}],
            slug="score-out-of-scale",
        )


def save_draft(
    session: Session, principal: Principal, vacancy: Vacancy, stage: Stage, candidate: Candidate, data: m.SheetWrite
) -> m.ScoreSheet:
    _require_scoring(vacancy, stage, candidate)
    sheet = own_sheet(session, principal, stage, candidate)
    if sheet.status == m.SheetStatus.submitted:
        raise conflict(
            "sheet-submitted", "This score sheet is submitted and locked; a change needs moderation by the panel lead."
        )
    criteria = stage_criterion_ids(session, stage)
    for i, given in enumerate(data.scores):
        if given.criterion not in criteria:
            raise unprocessable(
                f"{given.criterion} is not a criterion of {stage.name}.",
                [{"field": f"body.scores.{i}.criterion", "message": "not in this stage"}],
                slug="unknown-criteria",
            )
        _check_score(stage, given.criterion, given.score, f"body.scores.{i}.score")
    # Autosave runs on every keystroke pause of every assessor on a panel day: the scores are
    # written in one UPDATE (by primary key, executed as a batch) and one INSERT, not a row at a time.
    existing = dict(session.connection().execute(_SCORE_IDS, {"sheet": sheet.id}).all())
    changed, added = [], []
    for given in {g.criterion: g for g in data.scores}.values():  # the last of a repeated criterion wins
        values = {"score": given.score, "not_evidenced": given.not_evidenced, "notes": given.notes}
        criterion_id = criteria[given.criterion]
        if criterion_id in existing:
            changed.append({"id": existing[criterion_id], **values})
        else:
            added.append({"sheet_id": sheet.id, "criterion_id": criterion_id, **values})
    if changed:
        session.execute(sa_update(m.Score), changed)
    if added:
        session.execute(sa_insert(m.Score), added)
    sheet.updated_at = utcnow()
    session.add(sheet)
    session.flush()
    return sheet


def submit(
    session: Session, principal: Principal, vacancy: Vacancy, stage: Stage, candidate: Candidate
) -> m.ScoreSheet:
    _require_scoring(vacancy, stage, candidate)
    sheet = own_sheet(session, principal, stage, candidate)
    if sheet.status == m.SheetStatus.submitted:
        raise conflict("sheet-submitted", "This score sheet is already submitted.")
    rows = _score_rows(session, [key_of(sheet)]).get(key_of(sheet), [])
    missing = _missing(stage_criterion_ids(session, stage), rows)
    if missing:
        raise unprocessable(
            "Score every criterion, or mark it not evidenced, before submitting: " + ", ".join(missing),
            [{"field": f"scores.{code}", "message": "no score"} for code in missing],
            slug="sheet-incomplete",
        )
    now = utcnow()
    sheet.status = m.SheetStatus.submitted
    sheet.submitted_at = sheet.updated_at = now
    session.add(sheet)
    if vacancy.design_locked_at is None:
        vacancy.design_locked_at = now
        session.add(vacancy)
    audit.record(
        session,
        principal,
        "sheet.submit",
        "score_sheet",
        sheet.uid,
        after={
            "candidate": candidate.code,
            "stage": stage.name,
            "scores": {r.code: ("not evidenced" if r.not_evidenced else r.score) for r in rows},
        },
    )
    return sheet


def stage_criterion_ids(session: Session, stage: Stage) -> dict[str, int]:
    """The stage's criteria, code -> id, in the stage's order (plain columns: asked on every save)."""
    rows = session.connection().execute(_STAGE_CRITERIA, {"stage": stage.id})
    return {code: key for code, key in rows if key is not None}  # stored rows' keys: never None


def _score_rows(session: Session, sheet_ids: list[int]) -> dict[int, list[Row]]:
    """sheet id -> its raw scores with their criterion, in the criteria's order: one query for all."""
    found: dict[int, list[Row]] = defaultdict(list)
    if not sheet_ids:
        return found
    for row in session.connection().execute(_SCORE_ROWS, {"sheets": sheet_ids}):
        found[row.sheet_id].append(row)
    return found


def _missing(criteria: dict[str, int], rows: Iterable[Row]) -> list[str]:
    answered = {r.code for r in rows if r.score is not None or r.not_evidenced}
    return [code for code in criteria if code not in answered]


def missing_criteria(session: Session, stage: Stage, sheet: m.ScoreSheet) -> list[str]:
    return _missing(stage_criterion_ids(session, stage), _score_rows(session, [key_of(sheet)]).get(key_of(sheet), []))


def latest_amendments(session: Session, sheet_ids: list[int]) -> dict[tuple[int, int], m.ScoreAmendment]:
    found: dict[tuple[int, int], m.ScoreAmendment] = {}
    if not sheet_ids:
        return found
    for row in session.exec(_AMENDMENTS, params={"sheets": sheet_ids}):
        found[(row.sheet_id, row.criterion_id)] = row
    return found


def sheet_public(session: Session, stage: Stage, candidate: Candidate, sheet: m.ScoreSheet) -> m.SheetPublic:
    return sheets_public(session, stage, candidate, [sheet])[0]


def sheets_public(
    session: Session, stage: Stage, candidate: Candidate, sheets: list[m.ScoreSheet]
) -> list[m.SheetPublic]:
    """Sheets for one candidate as the API shows them, the latest amendment over each raw score:
    three queries whatever the number of sheets."""
    ids = [key_of(sheet) for sheet in sheets]
    rows = _score_rows(session, ids)
    amendments = latest_amendments(session, ids)
    criteria = stage_criterion_ids(session, stage)
    shown = []
    for sheet in sheets:
        scores = []
        for row in rows.get(key_of(sheet), []):
            amendment = amendments.get((key_of(sheet), row.criterion_id))
            scores.append(
                m.ScorePublic(
                    criterion=row.code,
                    criterion_id=row.uid,
                    score=amendment.score if amendment else row.score,
                    not_evidenced=amendment.not_evidenced if amendment else row.not_evidenced,
                    notes=row.notes,
                    amended=amendment is not None,
                    raw_score=row.score,
                    raw_not_evidenced=row.not_evidenced,
                )
            )
        shown.append(
            m.SheetPublic(
                id=sheet.uid,
                stage_id=stage.uid,
                candidate_id=candidate.uid,
                candidate_code=candidate.code,
                assessor=sheet.assessor,
                status=m.SheetStatus(sheet.status),
                updated_at=sheet.updated_at,
                submitted_at=sheet.submitted_at,
                scores=scores,
                missing=_missing(criteria, rows.get(key_of(sheet), [])),
            )
        )
    return shown


def submitted_sheets(session: Session, stage: Stage, candidate_ids: list[int] | None = None) -> list[m.ScoreSheet]:
    if candidate_ids is not None:
        return list(session.exec(_SUBMITTED_FOR, params={"stage": stage.id, "candidates": candidate_ids}))
    query = select(m.ScoreSheet).where(
        m.ScoreSheet.stage_id == stage.id, m.ScoreSheet.status == m.SheetStatus.submitted
    )
    return list(session.exec(query.order_by(col(m.ScoreSheet.id))))


def _submitted_filter(stage: Stage, candidate_ids: Iterable[int] | None) -> list[ColumnElement[bool]]:
    submitted = [col(m.ScoreSheet.stage_id) == stage.id, col(m.ScoreSheet.status) == m.SheetStatus.submitted]
    if candidate_ids is not None:
        submitted.append(col(m.ScoreSheet.candidate_id).in_(list(candidate_ids)))
    return submitted


# The raw score as a number, or NULL where the assessor found no evidence.
_RAW_SCORE = case((col(m.Score.not_evidenced), None), else_=m.Score.score)


def effective_scores(
    session: Session, stage: Stage, candidate_ids: Iterable[int] | None = None
) -> dict[int, dict[int, dict[str, int | None]]]:
    """candidate id -> criterion id -> assessor -> the score that counts (None = not evidenced), from
    submitted sheets, the latest moderation amendment over the raw score. One row per score: meant for
    a few candidates; `criterion_tallies` and `assessor_means` aggregate thousands in the database."""
    submitted = _submitted_filter(stage, candidate_ids)
    amended: dict[tuple[int, int], int | None] = {}
    for sheet_id, criterion_id, score, not_evidenced in session.connection().execute(
        sa_select(
            col(m.ScoreAmendment.sheet_id),
            col(m.ScoreAmendment.criterion_id),
            col(m.ScoreAmendment.score),
            col(m.ScoreAmendment.not_evidenced),
        )
        .join(m.ScoreSheet, col(m.ScoreSheet.id) == m.ScoreAmendment.sheet_id)
        .where(*submitted)
        .order_by(col(m.ScoreAmendment.id))
    ):
        amended[(sheet_id, criterion_id)] = None if not_evidenced else score  # the latest amendment wins
    scores: dict[int, dict[int, dict[str, int | None]]] = defaultdict(lambda: defaultdict(dict))
    for sheet_id, candidate_id, assessor, criterion_id, score in session.connection().execute(
        sa_select(
            col(m.ScoreSheet.id),
            col(m.ScoreSheet.candidate_id),
            col(m.ScoreSheet.assessor),
            col(m.Score.criterion_id),
            _RAW_SCORE,
        )
        .join(m.Score, col(m.Score.sheet_id) == m.ScoreSheet.id)
        .where(*submitted)
    ):
        scores[candidate_id][criterion_id][assessor] = amended.get((sheet_id, criterion_id), score)
    return scores


def _moderated(session: Session, submitted: list[ColumnElement[bool]]) -> list[int]:
    """Candidates with a moderation amendment on a submitted sheet: their aggregates are redone in Python."""
    return list(
        session.connection()
        .execute(
            sa_select(col(m.ScoreSheet.candidate_id))
            .join(m.ScoreAmendment, col(m.ScoreAmendment.sheet_id) == m.ScoreSheet.id)
            .where(*submitted)
            .distinct()
        )
        .scalars()
    )


def criterion_tallies(session: Session, stage: Stage, candidate_ids: Iterable[int] | None = None) -> TallyTable:
    """The tallies of the scores that count, from submitted sheets only: candidate ids x the stage's
    criteria.

    The database aggregates the raw scores (count, sum, sum of squares, min, max per candidate and
    criterion), so thousands of candidates never bring single scores into Python; the candidates
    with a moderation amendment, usually a handful, are tallied again from their sheets."""
    submitted = _submitted_filter(stage, candidate_ids)
    criteria = [c for _, c in vacancies.stage_criteria(session, stage)]
    # A raw score marked not evidenced is NULL (a sheet cannot hold both), so the plain column
    # aggregates as the bare GROUP BY does: no CASE, no filter on the criteria, both cost time here.
    score = col(m.Score.score)
    rows = (
        session.connection()
        .execute(
            sa_select(
                col(m.ScoreSheet.candidate_id),
                col(m.Score.criterion_id),
                func.count(score),
                func.sum(score),
                func.sum(score * score),
                func.min(score),
                func.max(score),
                func.count(),
            )
            .join(m.Score, col(m.Score.sheet_id) == m.ScoreSheet.id)
            .where(*submitted)
            .group_by(col(m.ScoreSheet.candidate_id), col(m.Score.criterion_id))
        )
        .all()
    )
    # Plain tuples: numpy would probe each Row for an array interface. NULL (nobody scored) becomes NaN.
    data = np.array(list(map(tuple, rows)), dtype=np.float64).reshape(len(rows), 8)
    # Criterion id -> the stage's column; rows on criteria outside the stage, if any, are dropped.
    stage_ids = np.array([c.id for c in criteria], dtype=np.int64)
    by_id = np.argsort(stage_ids)
    ids = data[:, 1].astype(np.int64)
    found = np.searchsorted(stage_ids[by_id], ids).clip(0, max(len(criteria) - 1, 0))
    on_stage = stage_ids[by_id][found] == ids if len(criteria) else np.zeros(len(ids), dtype=bool)
    data, columns = data[on_stage], by_id[found[on_stage]]
    n_scores = data[:, 2]
    values = np.column_stack(
        (n_scores, np.nan_to_num(data[:, 3]), np.nan_to_num(data[:, 4]), data[:, 5], data[:, 6], data[:, 7] - n_scores)
    )
    table = TallyTable.from_arrays([c.code for c in criteria], data[:, 0].astype(np.int64), columns, values)
    moderated = _moderated(session, submitted)
    if moderated:
        code_of = {c.id: c.code for c in criteria}
        redone = {
            candidate_id: {code_of[c]: tally(given) for c, given in by_criterion.items() if c in code_of}
            for candidate_id, by_criterion in effective_scores(session, stage, moderated).items()
        }
        table = table.replace_rows(redone)
    return table


def assessor_means(session: Session, stage: Stage) -> list[tuple[int, str, float]]:
    """(candidate id, assessor, weighted mean of the scores that count) per submitted sheet with at
    least one score, weighted by the stage's criterion weights: what reliability compares. Aggregated
    from the raw scores by the database; the moderated candidates' sheets are averaged again here."""
    submitted = _submitted_filter(stage, None)
    weight = col(StageCriterion.weight)
    rows = session.connection().execute(
        sa_select(
            col(m.ScoreSheet.candidate_id),
            col(m.ScoreSheet.assessor),
            func.sum(weight * _RAW_SCORE),
            func.sum(case((_RAW_SCORE.is_(None), 0.0), else_=weight)),
        )
        .join(m.Score, col(m.Score.sheet_id) == m.ScoreSheet.id)
        .join(
            StageCriterion,
            and_(
                col(StageCriterion.stage_id) == m.ScoreSheet.stage_id,
                col(StageCriterion.criterion_id) == m.Score.criterion_id,
            ),
        )
        .where(*submitted)
        .group_by(col(m.ScoreSheet.candidate_id), col(m.ScoreSheet.assessor))
    )
    sums = {(candidate_id, assessor): (total, weights) for candidate_id, assessor, total, weights in rows}
    moderated = _moderated(session, submitted)
    if moderated:
        weights_of = dict(
            session.connection()
            .execute(
                sa_select(col(StageCriterion.criterion_id), col(StageCriterion.weight)).where(
                    col(StageCriterion.stage_id) == stage.id
                )
            )
            .all()
        )
        for candidate_id, by_criterion in effective_scores(session, stage, moderated).items():
            redone: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
            for criterion_id, given in by_criterion.items():
                for assessor, score in given.items():
                    entry = redone[assessor]  # every sheet keeps its entry, scored or not
                    weight_of = weights_of.get(criterion_id)
                    if score is not None and weight_of is not None:
                        entry[0] += weight_of * score
                        entry[1] += weight_of
            for assessor, (total, weights) in redone.items():
                sums[(candidate_id, assessor)] = (total, weights)
    return [(c, a, total / weights) for (c, a), (total, weights) in sums.items() if weights]


def flags_for(stage: Stage, table: TallyTable) -> dict[Hashable, list[DivergenceFlag]]:
    """candidate id -> divergence flags, the stage's min_per_value as the pass mark."""
    return table_flags(table, pass_mark=stage.min_per_value)


def hidden_from(session: Session, principal: Principal, stage: Stage) -> set[int]:
    """Candidates whose scores the caller may not see yet: `must_submit_first` over the whole stage,
    for the candidates another assessor has submitted a sheet for (an unscored candidate hides nothing)."""
    if membership(session, principal, stage) is None:
        return set()
    scored_by: dict[int, set[str]] = defaultdict(set)
    for candidate_id, assessor in _submitted(session, stage, m.ScoreSheet.candidate_id, m.ScoreSheet.assessor):
        scored_by[candidate_id].add(assessor)
    return {candidate for candidate, assessors in scored_by.items() if principal.subject not in assessors}


def _submitted(session: Session, stage: Stage, *columns):
    """Plain columns of the stage's submitted sheets: cheap even for thousands of candidates."""
    return session.exec(
        select(*columns).where(m.ScoreSheet.stage_id == stage.id, m.ScoreSheet.status == m.SheetStatus.submitted)
    ).all()


def panel_scores(
    session: Session, principal: Principal, vacancy: Vacancy, stage: Stage, candidate: Candidate
) -> tuple[list[m.SheetPublic], list[DivergenceFlag]]:
    """The panel's submitted sheets for one candidate: for an assessor who has submitted their own
    sheet for this candidate, or for an admin who is not on this panel."""
    member = membership(session, principal, stage)
    if member is None and not principal.has(Scope.ADMIN):
        raise _forbidden("not-on-panel", f"You are not on the panel for {stage.name}.")
    if member is not None and not has_submitted(session, principal, stage, candidate):
        raise _forbidden(
            "submit-your-own-first",
            "Submit your own score sheet for this candidate before seeing the panel's scores.",
        )
    sheets = sheets_public(session, stage, candidate, submitted_sheets(session, stage, [key_of(candidate)]))
    # The flags come from the scores that count on these very sheets (amendments applied), as
    # criterion_tallies would give them for this one candidate, without asking the database again.
    codes = list(stage_criterion_ids(session, stage))
    given: dict[str, dict[str, int | None]] = defaultdict(dict)
    for sheet in sheets:
        for score in sheet.scores:
            given[score.criterion][sheet.assessor] = None if score.not_evidenced else score.score
    tallies = {code: tally(by_assessor) for code, by_assessor in given.items() if code in codes}
    table = TallyTable.from_tallies(codes, {key_of(candidate): tallies} if tallies else {})
    return sheets, flags_for(stage, table).get(key_of(candidate), [])


def moderation_queue(
    session: Session, principal: Principal, vacancy: Vacancy, stage: Stage
) -> list[tuple[Candidate, list[DivergenceFlag]]]:
    if not principal.has(Scope.ADMIN):
        member = require_member(session, principal, stage)
        if not member.is_lead:
            raise _forbidden("not-panel-lead", "Only the panel lead moderates scores.")
    # Even the lead sees a candidate's divergence only after submitting their own sheet for them.
    hidden = hidden_from(session, principal, stage)
    flags = flags_for(stage, criterion_tallies(session, stage).rows_where(lambda c: c not in hidden))
    found = session.exec(select(Candidate).where(col(Candidate.id).in_(list(flags))))
    candidates: dict[Hashable, Candidate] = {key_of(c): c for c in found}
    return [(candidates[i], flags[i]) for i in sorted(flags, key=lambda i: candidates[i].code)]


def amend(
    session: Session, principal: Principal, vacancy: Vacancy, stage: Stage, data: m.AmendmentWrite
) -> m.ScoreAmendment:
    member = require_member(session, principal, stage)
    if not member.is_lead:
        raise _forbidden("not-panel-lead", "Only the panel lead can change a submitted score, with a reason.")
    if vacancy.status != VacancyStatus.scoring:
        raise conflict("not-scoring", f"The vacancy is {vacancy.status}; scores can be moderated only while scoring.")
    sheet = session.exec(
        select(m.ScoreSheet).where(m.ScoreSheet.uid == data.sheet_id, m.ScoreSheet.stage_id == stage.id)
    ).first()
    if sheet is None:
        raise not_found("score sheet in this stage")
    if sheet.status != m.SheetStatus.submitted:
        raise conflict(
            "sheet-not-submitted", "Only submitted sheets are moderated; the assessor can still edit a draft."
        )
    if must_submit_first(session, principal, stage, session.get_one(Candidate, sheet.candidate_id)):
        raise _forbidden(
            "submit-your-own-first", "Submit your own score sheet for this candidate before moderating the panel's."
        )
    criterion = next((c for _, c in vacancies.stage_criteria(session, stage) if c.code == data.criterion), None)
    if criterion is None:
        raise unprocessable(
            f"{data.criterion} is not a criterion of {stage.name}.",
            [{"field": "body.criterion", "message": "not in stage"}],
            slug="unknown-criteria",
        )
    _check_score(stage, data.criterion, data.score, "body.score")
    raw = session.exec(select(m.Score).where(m.Score.sheet_id == sheet.id, m.Score.criterion_id == criterion.id)).one()
    previous = latest_amendments(session, [key_of(sheet)]).get((key_of(sheet), key_of(criterion)))
    amendment = m.ScoreAmendment(
        sheet_id=key_of(sheet),
        criterion_id=key_of(criterion),
        previous_score=previous.score if previous else raw.score,
        previous_not_evidenced=previous.not_evidenced if previous else raw.not_evidenced,
        score=data.score,
        not_evidenced=data.not_evidenced,
        reason=data.reason,
        amended_by=principal.subject,
    )
    session.add(amendment)
    session.flush()
    audit.record(
        session,
        principal,
        "score.amend",
        "score_sheet",
        sheet.uid,
        before={
            "criterion": criterion.code,
            "score": amendment.previous_score,
            "not_evidenced": amendment.previous_not_evidenced,
        },
        after={
            "criterion": criterion.code,
            "score": data.score,
            "not_evidenced": data.not_evidenced,
            "reason": data.reason,
        },
    )
    return amendment


def amendment_public(session: Session, amendment: m.ScoreAmendment) -> m.AmendmentPublic:
    sheet = session.get_one(m.ScoreSheet, amendment.sheet_id)
    criterion = session.get_one(Criterion, amendment.criterion_id)
    return m.AmendmentPublic(
        id=amendment.uid,
        sheet_id=sheet.uid,
        criterion=criterion.code,
        previous_score=amendment.previous_score,
        previous_not_evidenced=amendment.previous_not_evidenced,
        score=amendment.score,
        not_evidenced=amendment.not_evidenced,
        reason=amendment.reason,
        amended_by=amendment.amended_by,
        amended_at=amendment.amended_at,
    )
