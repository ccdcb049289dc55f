"""Results and ranking, the CSV export, the reliability report, progression decisions (recruitment
admins) and the adverse-impact report (holders of the equality role only)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from servicekit.db import in_session
from web.clients.base import cursor_of
from web.clients.recruitment import CandidateResult, RecruitmentClient
from web.pages import render, see_other
from web.panels import gather
from web.recruitment.deps import (
    BANDS,
    EQUALITY_CATEGORIES,
    OUTCOMES,
    Admin,
    Client,
    EqualityReader,
    attempt,
    form_status,
    my_panel,
    or_blind,
    people,
    person_name,
    problem_messages,
    stage_of,
    stage_url,
)

router = APIRouter()

STAGE = "/recruitment/vacancies/{vacancy_id}/stages/{stage_id}"

DESIGNS = {
    "fully_crossed": "Every assessor scored every candidate (fully crossed).",
    "one_way": "Each candidate was scored by the same number of assessors, but not always the same people.",
    "ragged": "Candidates were scored by different numbers of assessors, so only Krippendorff's alpha applies.",
}
COEFFICIENTS = {
    "ICC(2,1)": "How far one assessor's score can be relied on alone.",
    "ICC(2,k)": "How far the panel's mean score, the one used for results, can be relied on.",
    "ICC(1,k)": "How far the mean of the assessors who scored each candidate can be relied on.",
    "alpha (ordinal)": "Agreement between assessors on the order of scores, allowing for missing scores.",
}


def rank_labels(rows: list[CandidateResult]) -> dict[uuid.UUID, str]:
    """Each candidate's rank as shown: "=2" where candidates tie, "" where there is no rank."""
    counts: dict[int, int] = {}
    for row in rows:
        if row.rank is not None:
            counts[row.rank] = counts.get(row.rank, 0) + 1
    return {
        row.candidate_id: "" if row.rank is None else (f"={row.rank}" if counts[row.rank] > 1 else str(row.rank))
        for row in rows
    }


async def _stage_context(client: RecruitmentClient, vacancy_id: uuid.UUID, stage_id: uuid.UUID, *calls):
    """The vacancy, its stage and the results of `calls`, fetched together, and the notice if any failed."""
    results, notice = await gather(client.get_vacancy(vacancy_id), client.get_design(vacancy_id), *calls)
    vacancy, read = results[0], results[1]
    return vacancy, stage_of(read, stage_id), results[2:], notice


# --- results --------------------------------------------------------------------------------


@router.get(STAGE + "/results", include_in_schema=False)
async def results(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    identity: Admin,
    client: Client,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    vacancy, stage, (found, seat), notice = await _stage_context(
        client,
        vacancy_id,
        stage_id,
        client.results(vacancy_id, stage_id, cursor=cursor),
        my_panel(client, identity, stage_id),
    )
    rows = found.candidates if found else []
    value_codes: list[str] = []
    for row in rows:
        for code in row.value_means:
            if code not in value_codes:
                value_codes.append(code)
    return render(
        request,
        "recruitment/results.html",
        {
            "page_title": f"Results: {stage.name}, {vacancy.title}" if stage and vacancy else "Results",
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": vacancy_id,
            "stage_id": stage_id,
            "stage_url": stage_url(vacancy_id, stage_id),
            "rows": rows,
            "ranks": rank_labels(rows),
            "value_codes": value_codes,
            # Results name each value as the vacancy does ("Compassion"), not only by its code ("V4").
            "value_names": {c.code: c.statement for c in vacancy.criteria if c.kind == "value"} if vacancy else {},
            "seat": seat,
            "next_cursor": cursor_of(found.next) if found else None,
            "decided": request.query_params.get("decided"),
            "OUTCOMES": OUTCOMES,
            "notice": notice,
        },
        status_code=notice.status_code if notice and found is None else 200,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "stage"


@router.get(STAGE + "/results.csv", include_in_schema=False)
async def results_csv(
    request: Request, vacancy_id: uuid.UUID, stage_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    (download,), notice = await gather(or_blind(client.results_csv(vacancy_id, stage_id)))
    if download == "blind":
        return _csv_failed(request, vacancy_id, stage_id, notice=None, blind=True)
    if download is None:
        # A download that failed because the service is down is a 503, not a page that answers 200.
        status_code = 503 if notice.kind == "unavailable" else None
        return _csv_failed(request, vacancy_id, stage_id, notice=notice, blind=False, status_code=status_code)
    filename = download.filename or f"results-{_slug(str(stage_id))}.csv"
    return Response(
        download.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_failed(request, vacancy_id, stage_id, *, notice, blind: bool, status_code: int | None = None) -> Response:
    return render(
        request,
        "recruitment/csv_failed.html",
        {
            "page_title": "The results cannot be downloaded",
            "notice": notice,
            "blind": blind,
            "stage_url": stage_url(vacancy_id, stage_id),
        },
        status_code=status_code or (403 if blind else (notice.status_code if notice else 200)),
    )


# --- reliability ----------------------------------------------------------------------------


@router.get(STAGE + "/reliability", include_in_schema=False)
async def reliability(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    identity: Admin,
    client: Client,
) -> Response:
    vacancy, stage, (report,), notice = await _stage_context(
        client, vacancy_id, stage_id, or_blind(client.reliability(vacancy_id, stage_id))
    )
    blind = report == "blind"
    report = None if blind else report
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
            "stage_url": stage_url(vacancy_id, stage_id),
            "report": report,
            "blind": blind,
            "assessors": assessors,
            "DESIGNS": DESIGNS,
            "COEFFICIENTS": COEFFICIENTS,
            "BANDS": BANDS,
            "notice": notice,
        },
        status_code=notice.status_code if notice and report is None and not blind else 200,
    )


# --- progression decisions ------------------------------------------------------------------


async def _decision_page(
    request: Request,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    *,
    form: dict | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    vacancy, stage, (found,), notice = await _stage_context(
        client, vacancy_id, stage_id, client.results(vacancy_id, stage_id, limit=500)
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
            "stage_url": stage_url(vacancy_id, stage_id),
            "candidate_id": candidate_id,
            "form": form or {},
            "errors": errors or {},
            "OUTCOMES": OUTCOMES,
            "notice": notice,
        },
        status_code=notice.status_code if notice and row is None else status_code,
    )


@router.get(STAGE + "/results/{candidate_id}/decision", include_in_schema=False)
async def decision_form(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    identity: Admin,
    client: Client,
) -> Response:
    return await _decision_page(request, client, vacancy_id, stage_id, candidate_id)


@router.post(STAGE + "/results/{candidate_id}/decision", include_in_schema=False)
async def record_decision(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    candidate_id: uuid.UUID,
    identity: Admin,
    client: Client,
    outcome: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    form = {"outcome": outcome, "reason": reason}
    errors: dict[str, str] = {}
    if outcome not in OUTCOMES:
        errors["outcome"] = "Choose the decision"
    if not reason.strip():
        errors["reason"] = "Enter the reason for the decision"
    if errors:
        return await _decision_page(
            request, client, vacancy_id, stage_id, candidate_id, form=form, errors=errors, status_code=422
        )
    body = {"candidate_id": str(candidate_id), "outcome": outcome, "reason": reason.strip()}
    sent = await attempt(client.decide(vacancy_id, stage_id, body))
    if sent.ok:
        return see_other(f"{stage_url(vacancy_id, stage_id)}/results?decided={sent.value.candidate_code}")
    if sent.notice:
        errors = {"problem": f"The decision was not recorded. {sent.notice.text}"}
        return await _decision_page(request, client, vacancy_id, stage_id, candidate_id, form=form, errors=errors)
    problem = sent.problem
    return await _decision_page(
        request,
        client,
        vacancy_id,
        stage_id,
        candidate_id,
        form=form,
        errors=problem_messages(problem, {"body.outcome": "outcome", "body.reason": "reason"}),
        status_code=form_status(problem),
    )


# --- adverse impact (equality role only) ----------------------------------------------------


@router.get(STAGE + "/adverse-impact", include_in_schema=False)
async def adverse_impact(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    identity: EqualityReader,
    client: Client,
    category: Annotated[str, Query(max_length=50)] = "community_background",
) -> Response:
    category = category if category in EQUALITY_CATEGORIES else "community_background"
    vacancy, stage, (report,), notice = await _stage_context(
        client, vacancy_id, stage_id, client.adverse_impact(vacancy_id, stage_id, category)
    )
    return render(
        request,
        "recruitment/adverse_impact.html",
        {
            "page_title": f"Adverse impact: {stage.name}, {vacancy.title}" if stage and vacancy else "Adverse impact",
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": vacancy_id,
            "stage_id": stage_id,
            "stage_url": stage_url(vacancy_id, stage_id),
            "category": category,
            "report": report,
            "CATEGORIES": EQUALITY_CATEGORIES,
            "notice": notice,
        },
        block="report",
        status_code=notice.status_code if notice and report is None else 200,
    )
