"""Results and ranking, the CSV export, the reliability report, progression decisions and a
candidate's feedback against the cohort (recruitment admins), beside recruitment-api's results."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from collective_clients.recruitment import operations as recruitment
from collective_clients.recruitment.models import CandidateResultPublic, DecisionWrite, Outcome, StagePublic
from collective_clients.recruitment.models import VacancyPublic as Vacancy
from servicekit.db import in_session
from web.accounts.directory import people, person_name
from web.clients.answers import blind, member
from web.clients.base import ServiceClient, cursor_of, unvalidated
from web.notices import Notice, attempt, gather
from web.pages import attachment, render, see_other
from web.recruitment.deps import (
    VACANCY,
    Admin,
    AtStage,
    CandidatePath,
    Client,
    StagePath,
    form_status,
    my_panel,
    or_blind,
    problem_messages,
    stage_of,
)

router = APIRouter(prefix=VACANCY, include_in_schema=False)


def rank_labels(rows: list[CandidateResultPublic]) -> dict[uuid.UUID, str]:
    """Each candidate's rank as shown: "=2" where candidates tie, "" where there is no rank."""
    counts: dict[int, int] = {}
    for row in rows:
        if row.rank is not None:
            counts[row.rank] = counts.get(row.rank, 0) + 1
    return {
        row.candidate_id: "" if row.rank is None else (f"={row.rank}" if counts[row.rank] > 1 else str(row.rank))
        for row in rows
    }


async def stage_context(
    client: ServiceClient, at: AtStage, *calls: Awaitable[Any]
) -> tuple[Vacancy | None, StagePublic | None, list[Any], Notice | None]:
    """The vacancy, its stage and the results of `calls`, fetched together, and the notice if any failed."""
    results, notice = await gather(
        client.send(recruitment.read_vacancy(at.vacancy_id)),
        client.send(recruitment.read_design(at.vacancy_id)),
        *calls,
    )
    vacancy, read = results[0], results[1]
    return vacancy, stage_of(read, at.stage_id), results[2:], notice


# --- results --------------------------------------------------------------------------------


@router.get("/stages/{stage_id}/results")
async def results(
    request: Request,
    at: StagePath,
    identity: Admin,
    client: Client,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    vacancy, stage, (found, seat), notice = await stage_context(
        client,
        at,
        client.send(recruitment.results(at.vacancy_id, at.stage_id, cursor=cursor)),
        my_panel(client, identity, at.stage_id),
    )
    rows = found.candidates if found else []
    value_codes: list[str] = []
    for row in rows:
        for code in row.value_means or {}:
            if code not in value_codes:
                value_codes.append(code)
    return render(
        request,
        "recruitment/results.html",
        {
            "page_title": f"Results: {stage.name}, {vacancy.title}" if stage and vacancy else "Results",
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": at.vacancy_id,
            "stage_id": at.stage_id,
            "stage_url": at.stage_url,
            "rows": rows,
            "ranks": rank_labels(rows),
            "value_codes": value_codes,
            # Results name each value as the vacancy does ("Compassion"), not only by its code ("V4").
            "value_names": {c.code: c.statement for c in vacancy.criteria if c.kind == "value"} if vacancy else {},
            "seat": seat,
            "next_cursor": cursor_of(found.next) if found else None,
            "decided": request.query_params.get("decided"),
            "notice": notice,
        },
        status_code=notice.status_code if notice and found is None else 200,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "stage"


@router.get("/stages/{stage_id}/results.csv")
async def results_csv(request: Request, at: StagePath, identity: Admin, client: Client) -> Response:
    (download,), notice = await gather(or_blind(client.send(recruitment.results_csv(at.vacancy_id, at.stage_id))))
    if download == "blind":
        return _csv_failed(request, at, notice=None, blind=True)
    if download is None:
        assert notice is not None
        # A download that failed because the service is down is a 503, not a page that answers 200.
        status_code = 503 if notice.kind == "unavailable" else None
        return _csv_failed(request, at, notice=notice, blind=False, status_code=status_code)
    filename = download.filename or f"results-{_slug(str(at.stage_id))}.csv"
    return attachment(download.content, filename)


def _csv_failed(
    request: Request, at: AtStage, *, notice: Notice | None, blind: bool, status_code: int | None = None
) -> Response:
    return render(
        request,
        "recruitment/csv_failed.html",
        {
            "page_title": "The results cannot be downloaded",
            "notice": notice,
            "blind": blind,
            "stage_url": at.stage_url,
        },
        status_code=status_code or (403 if blind else (notice.status_code if notice else 200)),
    )


# --- reliability ----------------------------------------------------------------------------


@router.get("/stages/{stage_id}/reliability")
async def reliability(request: Request, at: StagePath, identity: Admin, client: Client) -> Response:
    vacancy, stage, (report,), notice = await stage_context(
        client, at, or_blind(client.send(recruitment.reliability(at.vacancy_id, at.stage_id)))
    )
    is_blind = report == "blind"
    report = None if is_blind else report
    assessors = {}
    if report is not None:
        assessors_seen = [row.assessor for row in report.leniency]
        directory = await in_session(request.app, people, identity.user.org, assessors_seen)
        assessors = {row.assessor: person_name(directory, row.assessor, identity) for row in report.leniency}
    return render(
        request,
        "recruitment/reliability.html",
        {
            "page_title": f"Reliability: {stage.name}, {vacancy.title}" if stage and vacancy else "Reliability",
            "vacancy": vacancy,
            "stage": stage,
            "stage_url": at.stage_url,
            "report": report,
            "blind": is_blind,
            "assessors": assessors,
            "notice": notice,
        },
        status_code=notice.status_code if notice and report is None and not is_blind else 200,
    )


# --- progression decisions ------------------------------------------------------------------


async def _decision_page(
    request: Request,
    client: ServiceClient,
    at: AtStage,
    candidate_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    vacancy, stage, (found,), notice = await stage_context(
        client, at, client.send(recruitment.results(at.vacancy_id, at.stage_id, limit=500))
    )
    row = None
    if found is not None:
        row = next((r for r in found.candidates if r.candidate_id == candidate_id), None)
        if row is None:
            raise HTTPException(404)
    return render(
        request,
        "recruitment/decision.html",
        {
            "page_title": f"Record a decision for candidate {row.candidate_code}" if row else "Record a decision",
            "vacancy": vacancy,
            "stage": stage,
            "row": row,
            "stage_url": at.stage_url,
            "candidate_id": candidate_id,
            "form": form or {},
            "errors": errors or {},
            "notice": notice,
        },
        status_code=notice.status_code if notice and row is None else status_code,
    )


@router.get("/stages/{stage_id}/results/{candidate_id}/decision")
async def decision_form(
    request: Request, at: StagePath, candidate_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    return await _decision_page(request, client, at, candidate_id)


@router.post("/stages/{stage_id}/results/{candidate_id}/decision")
async def record_decision(
    request: Request,
    at: StagePath,
    candidate_id: uuid.UUID,
    identity: Admin,
    client: Client,
    outcome: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    form = {"outcome": outcome, "reason": reason}
    errors: dict[str, str] = {}
    chosen = member(Outcome, outcome)
    if chosen is None:
        errors["outcome"] = "Choose the decision"
    if not reason.strip():
        errors["reason"] = "Enter the reason for the decision"
    if errors:
        return await _decision_page(request, client, at, candidate_id, form=form, errors=errors, status_code=422)
    body = unvalidated(DecisionWrite, candidate_id=candidate_id, outcome=chosen, reason=reason.strip())
    sent = await attempt(client.send(recruitment.decide(at.vacancy_id, at.stage_id, body)))
    if sent.value is not None:
        return see_other(f"{at.stage_url}/results?decided={sent.value.candidate_code}")
    if sent.notice:
        errors = {"problem": f"The decision was not recorded. {sent.notice.text}"}
        return await _decision_page(request, client, at, candidate_id, form=form, errors=errors)
    problem = sent.problem
    assert problem is not None
    return await _decision_page(
        request,
        client,
        at,
        candidate_id,
        form=form,
        errors=problem_messages(problem, {"body.outcome": "outcome", "body.reason": "reason"}),
        status_code=form_status(problem),
    )


# --- feedback -------------------------------------------------------------------------------


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


async def _nothing() -> None:
    return None


@router.get("/candidates/{candidate_id}/feedback")
async def feedback(
    request: Request,
    at: CandidatePath,
    identity: Admin,
    client: Client,
    stage: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The candidate's mean score per value at a stage, beside the cohort's (withheld when the
    cohort is too small for its figures to identify no one). Without a stage: choose one."""
    stage_id = _uuid_or_none(stage)
    report_call: Awaitable[Any]
    if stage_id is not None:
        sent = client.send(recruitment.feedback(at.vacancy_id, at.candidate_id, stage=stage_id))
        report_call = or_blind(sent)
    else:
        report_call = _nothing()
    (vacancy, read, candidate, report), notice = await gather(
        client.send(recruitment.read_vacancy(at.vacancy_id)),
        client.send(recruitment.read_design(at.vacancy_id)),
        client.send(recruitment.read_candidate(at.vacancy_id, at.candidate_id)),
        report_call,
    )
    chosen = stage_of(read, stage_id) if stage_id is not None else None
    return render(
        request,
        "recruitment/feedback.html",
        {
            "page_title": f"Feedback: candidate {candidate.code}" if candidate else "Feedback",
            "vacancy": vacancy,
            "candidate": blind(candidate) if candidate else None,
            "stages": read.value.stages if read else [],
            "stage": chosen,
            "stage_id": stage_id,
            "report": report if report != "blind" else None,
            "blind": report == "blind",
            "stage_url": AtStage(at.vacancy_id, stage_id).stage_url if stage_id else "",
            "record_url": at.record_url,
            "notice": notice,
        },
        block="feedback",
        status_code=notice.status_code if notice and candidate is None else 200,
    )
