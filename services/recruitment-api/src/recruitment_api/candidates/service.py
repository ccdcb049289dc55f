"""Candidates: creation, bulk import (all or nothing), blind and admin views, SJT scores."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from collections.abc import Iterable
from typing import Any, Literal, overload

from pydantic import ValidationError
from sqlalchemy import bindparam, insert
from sqlmodel import Session, col, select

from recruitment_api.candidates import models as m
from recruitment_api.vacancies.models import Stage, StageKind, Vacancy, VacancyStatus
from servicekit import audit
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import ProblemError, conflict, not_found, unprocessable
from servicekit.pagination import cursor_value, paginate

# Codes avoid letters and digits that are easily confused when read aloud on a panel day.
CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"
CODE_LENGTH = 6


def new_codes(count: int, taken: set[str]) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        code = "C-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


# Built once: asked on every score sheet request.
_CANDIDATE = select(m.Candidate).where(
    m.Candidate.vacancy_id == bindparam("vacancy"), m.Candidate.uid == bindparam("uid")
)


def get_candidate(session: Session, vacancy: Vacancy, uid: uuid.UUID) -> m.Candidate:
    candidate = session.exec(_CANDIDATE, params={"vacancy": vacancy.id, "uid": uid}).first()
    if candidate is None:
        raise not_found("candidate of this vacancy")
    return candidate


def _require_accepting(vacancy: Vacancy) -> None:
    if vacancy.status in (VacancyStatus.decided, VacancyStatus.closed):
        raise conflict("vacancy-decided", f"The vacancy is {vacancy.status}; no more candidates can be added.")


def _validate_rows(
    rows: Iterable[dict], numbers: Iterable[int]
) -> tuple[list[tuple[int, m.CandidateCreate]], list[dict]]:
    """Each valid row with its row number, and every error found."""
    valid, errors = [], []
    for number, row in zip(numbers, rows, strict=True):
        try:
            valid.append((number, m.CandidateCreate.model_validate(row)))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or None
                blank = err["type"] == "missing" or (err["type"] == "string_type" and err.get("input") is None)
                errors.append({"row": number, "field": field, "message": "is required" if blank else err["msg"]})
    return valid, errors


PERSONAL_COLUMNS = ("name", "email", "phone", "external_ref")
EVIDENCE_PREFIX = "evidence:"


def parse_csv(text: str) -> tuple[list[dict], list[int]]:
    """Rows and their spreadsheet row numbers (the header is row 1; blank rows count but are
    skipped). Columns name, email, phone, external_ref; any column `evidence:<title>` is an answer.

    Every row with more cells than the header is refused, naming it: an unquoted comma in an
    answer would otherwise cut what assessors score without anyone noticing."""
    records: list[list[str]] = []
    try:
        # The candidate file comes from an ATS, not from our own exports, so nothing is unescaped.
        records.extend(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error as exc:
        failed_row = len(records) + 1
        raise unprocessable(
            f"The CSV cannot be read at row {failed_row}: {exc}.",
            [{"row": failed_row, "field": None, "message": str(exc)}],
            slug="csv-invalid",
        ) from exc
    numbered = [(number, record) for number, record in enumerate(records, start=1) if any(c.strip() for c in record)]
    if not numbered or "name" not in (header := [c.strip() for c in numbered[0][1]]):
        raise unprocessable(
            "The CSV needs a header row with at least a 'name' column.",
            [{"row": numbered[0][0] if numbered else 1, "field": "name", "message": "missing column"}],
            slug="csv-invalid",
        )
    header_row = numbered[0][0]
    unknown = [f for f in header if f not in PERSONAL_COLUMNS and not f.startswith(EVIDENCE_PREFIX)]
    if unknown:
        raise unprocessable(
            "Unknown columns: " + ", ".join(unknown),
            [{"row": header_row, "field": f, "message": "unknown column"} for f in unknown],
            slug="csv-invalid",
        )
    too_long = [
        {
            "row": number,
            "field": None,
            "message": f"{len(record)} cells but the header has {len(header)}: "
            "quote a cell that holds a comma, or remove the extra cells",
        }
        for number, record in numbered[1:]
        if len(record) > len(header)
    ]
    if too_long:
        raise unprocessable(
            f"{len(too_long)} row(s) have more cells than the header; nothing was imported.",
            too_long[:1000],
            slug="import-invalid",
        )
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, record in numbered[1:]:
        cells = dict(zip(header, record, strict=False))  # short rows leave the missing cells blank
        row: dict[str, Any] = {k: (cells.get(k) or "").strip() or None for k in PERSONAL_COLUMNS if k in cells}
        row["evidence"] = [
            {"title": k.removeprefix(EVIDENCE_PREFIX), "text": v}
            for k, v in cells.items()
            if k.startswith(EVIDENCE_PREFIX) and v.strip()
        ]
        rows.append(row)
        numbers.append(number)
    return rows, numbers


def require_candidates(rows: list) -> None:
    """An import with no candidates is refused the same way whether it came as JSON or CSV."""
    if not rows:
        raise unprocessable(
            "There are no candidates in the import; nothing was imported.",
            [{"row": None, "field": "body.candidates", "message": "at least one candidate is needed"}],
            slug="import-invalid",
        )


def import_candidates(
    session: Session,
    principal: Principal,
    vacancy: Vacancy,
    rows: list[dict],
    numbers: list[int] | None = None,
) -> list[m.Candidate]:
    """All or nothing: every row is checked first and every error reported by row number
    (`numbers`, by default 1, 2, ...). The candidates come back in the order of the rows."""
    _require_accepting(vacancy)
    require_candidates(rows)
    valid, errors = _validate_rows(rows, numbers or range(1, len(rows) + 1))
    seen: dict[str, int] = {}
    existing = set(
        session.exec(
            select(m.Candidate.external_ref).where(
                m.Candidate.vacancy_id == vacancy.id, col(m.Candidate.external_ref).is_not(None)
            )
        )
    )
    for number, data in valid:
        ref = data.external_ref
        if ref is None:
            continue
        if ref in seen or ref in existing:
            where = f"row {seen[ref]}" if ref in seen else "an existing candidate"
            errors.append({"row": number, "field": "external_ref", "message": f"duplicate of {where}"})
        seen.setdefault(ref, number)
    if errors:
        errors.sort(key=lambda e: (e["row"], e["field"] or ""))
        raise ProblemError(
            422,
            "import-invalid",
            f"{len(errors)} error(s) in the import; nothing was imported.",
            title="Request is not valid",
            errors=errors[:1000],
            error_count=len(errors),
        )
    taken = set(session.exec(select(m.Candidate.code).where(m.Candidate.vacancy_id == vacancy.id)))
    valid_rows = [data for _, data in valid]
    codes = new_codes(len(valid_rows), taken)
    candidates = [
        m.Candidate(uid=uuid.uuid4(), vacancy_id=key_of(vacancy), code=code, external_ref=data.external_ref)
        for code, data in zip(codes, valid_rows, strict=True)
    ]
    # Bulk statements: ten thousand candidates in one request stays quick and small.
    session.execute(insert(m.Candidate), [c.model_dump(exclude={"id"}) for c in candidates])
    ids = dict(session.exec(select(m.Candidate.uid, m.Candidate.id).where(m.Candidate.vacancy_id == vacancy.id)).all())
    personal, evidence = [], []
    for candidate, data in zip(candidates, valid_rows, strict=True):
        candidate.id = ids[candidate.uid]
        personal.append({"candidate_id": candidate.id, "name": data.name, "email": data.email, "phone": data.phone})
        evidence += [
            {"candidate_id": candidate.id, "title": e.title, "text": e.text, "sequence": i}
            for i, e in enumerate(data.evidence)
        ]
    session.execute(insert(m.CandidatePersonal), personal)
    if evidence:
        session.execute(insert(m.Evidence), evidence)
    audit.record(
        session,
        principal,
        "candidates.import",
        "vacancy",
        vacancy.uid,
        after={"imported": len(candidates), "codes": [c.code for c in candidates[:50]]},
    )
    return candidates


def list_candidates(
    session: Session,
    vacancy: Vacancy,
    limit: int,
    after: dict | None,
    external_ref: str | None = None,
) -> tuple[list[m.Candidate], dict | None]:
    query = select(m.Candidate).where(m.Candidate.vacancy_id == vacancy.id)
    if external_ref is not None:
        query = query.where(m.Candidate.external_ref == external_ref)
    if after:
        query = query.where(m.Candidate.id > cursor_value(after, "after", int))
    rows = list(session.exec(query.order_by(col(m.Candidate.id)).limit(limit + 1)))
    return paginate(rows, limit, lambda c: {"after": c.id})


@overload
def views(session: Session, candidates: list[m.Candidate], admin: Literal[True]) -> list[m.CandidateAdmin]: ...


@overload
def views(session: Session, candidates: list[m.Candidate], admin: bool) -> list[m.CandidateBlind]: ...


def views(
    session: Session, candidates: list[m.Candidate], admin: bool
) -> list[m.CandidateBlind] | list[m.CandidateAdmin]:
    """Blind views for assessors; admin views (with identity) only when `admin` is true."""
    ids = [key_of(c) for c in candidates]
    evidence: dict[int, list[m.EvidencePublic]] = {i: [] for i in ids}
    for row in session.exec(
        select(m.Evidence).where(col(m.Evidence.candidate_id).in_(ids)).order_by(col(m.Evidence.sequence))
    ):
        evidence[row.candidate_id].append(m.EvidencePublic(title=row.title, text=row.text))
    if not admin:
        return [
            m.CandidateBlind(id=c.uid, code=c.code, withdrawn=c.withdrawn, evidence=evidence[key_of(c)])
            for c in candidates
        ]
    personal = {
        p.candidate_id: p
        for p in session.exec(select(m.CandidatePersonal).where(col(m.CandidatePersonal.candidate_id).in_(ids)))
    }
    return [
        m.CandidateAdmin(
            id=c.uid,
            code=c.code,
            withdrawn=c.withdrawn,
            evidence=evidence[key_of(c)],
            external_ref=c.external_ref,
            personal=m.PersonalDetails(name=personal[c.id].name, email=personal[c.id].email, phone=personal[c.id].phone)
            if c.id in personal
            else None,
            erased=c.erased_at is not None,
            created_at=c.created_at,
        )
        for c in candidates
    ]


def withdraw(session: Session, principal: Principal, vacancy: Vacancy, candidate: m.Candidate) -> m.Candidate:
    if candidate.withdrawn:
        raise conflict("already-withdrawn", f"Candidate {candidate.code} has already withdrawn.")
    candidate.withdrawn = True
    session.add(candidate)
    audit.record(session, principal, "candidate.withdraw", "candidate", candidate.uid, after={"withdrawn": True})
    return candidate


def import_sjt_scores(session: Session, principal: Principal, vacancy: Vacancy, stage: Stage, data: m.SjtImport) -> int:
    if stage.kind != StageKind.sjt:
        raise conflict("not-an-sjt-stage", f"Stage {stage.name} is scored by the panel, not imported.")
    rows = session.exec(select(m.Candidate.uid, m.Candidate.id).where(m.Candidate.vacancy_id == vacancy.id))
    known = {uid: key for uid, key in rows if key is not None}  # stored rows' keys: never None
    errors = [
        {"row": i + 1, "field": f"body.scores.{i}.candidate_id", "message": "no such candidate in this vacancy"}
        for i, s in enumerate(data.scores)
        if s.candidate_id not in known
    ]
    if errors:
        raise unprocessable(
            f"{len(errors)} score(s) name unknown candidates; nothing imported.", errors[:1000], slug="import-invalid"
        )
    existing = {s.candidate_id: s for s in session.exec(select(m.SjtScore).where(m.SjtScore.stage_id == stage.id))}
    for given in data.scores:
        candidate_id = known[given.candidate_id]
        row = existing.get(candidate_id) or m.SjtScore(
            stage_id=key_of(stage), candidate_id=candidate_id, score=given.score
        )
        row.score = given.score
        session.add(row)
    audit.record(session, principal, "sjt.import", "stage", stage.uid, after={"scores": len(data.scores)})
    return len(data.scores)
