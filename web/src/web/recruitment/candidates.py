"""Recruitment admins' pages about one candidate: their record (the one page that shows a
candidate's personal details), recording a withdrawal, feedback against the cohort, and data
protection (the subject-access download, erasure); and importing the scores of an SJT stage.

Panels score blind: an admin who sits on a panel of the vacancy is not shown the candidates'
personal details here either. A withdrawal and an erasure are confirmed on a page of their own first."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response

from web.clients.base import cursor_of
from web.clients.recruitment import RecruitmentClient
from web.pages import render, see_other
from web.panels import Notice, gather
from web.recruitment.deps import (
    Admin,
    Client,
    attempt,
    form_status,
    or_blind,
    problem_messages,
    stage_of,
    stage_url,
)
from web.recruitment.forms import MAX_SJT_ROWS, sjt_scores

router = APIRouter()

VACANCY = "/recruitment/vacancies/{vacancy_id}"
CANDIDATE = VACANCY + "/candidates/{candidate_id}"
STAGE = VACANCY + "/stages/{stage_id}"

# How many problems of a pasted import the page lists (the rest are counted).
MAX_PROBLEMS_SHOWN = 1000
CHANGES = {
    "withdrawn": "The withdrawal is recorded. Panels no longer see this candidate.",
    "erased": "The candidate's personal data is erased. Their pseudonymised scores stay.",
}


def record_url(vacancy_id: uuid.UUID, candidate_id: uuid.UUID) -> str:
    return f"/recruitment/vacancies/{vacancy_id}/candidates/{candidate_id}"


async def _on_a_panel(client: RecruitmentClient, identity, vacancy_id: uuid.UUID) -> bool:
    """Whether the user sits on a panel of this vacancy (then they see no candidate's identity)."""
    if not identity.has("recruitment:score"):
        return False
    return any(panel.vacancy_id == vacancy_id for panel in (await client.my_panels()).root)


async def _record_context(
    client: RecruitmentClient, identity, vacancy_id: uuid.UUID, candidate_id: uuid.UUID
) -> tuple[dict, Notice | None]:
    """The vacancy, its design and the candidate's record, for the record and its confirmations."""
    (vacancy, read, candidate, on_panel), notice = await gather(
        client.get_vacancy(vacancy_id),
        client.get_design(vacancy_id),
        client.get_candidate_record(vacancy_id, candidate_id),
        _on_a_panel(client, identity, vacancy_id),
    )
    return {
        "vacancy": vacancy,
        "design": read.design if read else None,
        "candidate": candidate,
        # Unknown (the check failed) counts as on a panel: identity is shown only when surely safe.
        "identity_hidden": on_panel is not False,
        "vacancy_id": vacancy_id,
        "candidate_id": candidate_id,
        "record_url": record_url(vacancy_id, candidate_id),
        "notice": notice,
    }, notice


def _title(candidate, text: str) -> str:
    return f"{text}: candidate {candidate.code}" if candidate else text


# --- the candidate's record -----------------------------------------------------------------


@router.get(CANDIDATE, include_in_schema=False)
async def candidate_record(
    request: Request, vacancy_id: uuid.UUID, candidate_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    context, notice = await _record_context(client, identity, vacancy_id, candidate_id)
    candidate = context["candidate"]
    return render(
        request,
        "recruitment/candidate.html",
        {
            **context,
            "page_title": f"Candidate {candidate.code}" if candidate else "Candidate",
            "changed": CHANGES.get(request.query_params.get("changed", "")),
        },
        status_code=notice.status_code if notice and candidate is None else 200,
    )


# --- withdrawal -----------------------------------------------------------------------------


async def _confirmation_page(
    request: Request,
    identity,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    candidate_id: uuid.UUID,
    action: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page that asks an admin to confirm a withdrawal or an erasure."""
    template, title, _ = CONFIRMED_ACTIONS[action]
    context, notice = await _record_context(client, identity, vacancy_id, candidate_id)
    candidate = context["candidate"]
    return render(
        request,
        template,
        {**context, "page_title": _title(candidate, title), "errors": errors or {}},
        status_code=notice.status_code if notice and candidate is None else status_code,
    )


async def _confirmed(
    request: Request,
    identity,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    candidate_id: uuid.UUID,
    action: str,
    call,
) -> Response:
    """Carry out a confirmed action; back to the candidate page, or the form again with the reason."""
    outcome = await attempt(call)
    if outcome.ok:
        return see_other(f"{record_url(vacancy_id, candidate_id)}?changed={action}")
    if outcome.notice:
        errors = {"problem": f"{CONFIRMED_ACTIONS[action][2]} {outcome.notice.text}"}
        return await _confirmation_page(request, identity, client, vacancy_id, candidate_id, action, errors=errors)
    return await _confirmation_page(
        request,
        identity,
        client,
        vacancy_id,
        candidate_id,
        action,
        errors=problem_messages(outcome.problem, {}),
        status_code=form_status(outcome.problem),
    )


# action -> (template, page title, what failure means)
CONFIRMED_ACTIONS = {
    "withdrawn": ("recruitment/withdraw.html", "Record a withdrawal", "The withdrawal was not recorded."),
    "erased": ("recruitment/erasure.html", "Erase personal data", "Nothing was erased."),
}


@router.get(CANDIDATE + "/withdraw", include_in_schema=False)
async def withdraw_form(
    request: Request, vacancy_id: uuid.UUID, candidate_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    return await _confirmation_page(request, identity, client, vacancy_id, candidate_id, "withdrawn")


@router.post(CANDIDATE + "/withdraw", include_in_schema=False)
async def withdraw(
    request: Request, vacancy_id: uuid.UUID, candidate_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    return await _confirmed(
        request, identity, client, vacancy_id, candidate_id, "withdrawn", client.withdraw(vacancy_id, candidate_id)
    )


# --- feedback -------------------------------------------------------------------------------


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.get(CANDIDATE + "/feedback", include_in_schema=False)
async def feedback(
    request: Request,
    vacancy_id: uuid.UUID,
    candidate_id: uuid.UUID,
    identity: Admin,
    client: Client,
    stage: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The candidate's mean score per value at a stage, beside the cohort's (withheld when the
    cohort is too small for its figures to identify no one). Without a stage: choose one."""
    stage_id = _uuid_or_none(stage)
    calls = [
        client.get_vacancy(vacancy_id),
        client.get_design(vacancy_id),
        client.get_candidate(vacancy_id, candidate_id),
    ]
    if stage_id is not None:
        calls.append(or_blind(client.feedback(vacancy_id, candidate_id, stage_id)))
    results, notice = await gather(*calls)
    vacancy, read, candidate = results[:3]
    report = results[3] if stage_id is not None else None
    chosen = stage_of(read, stage_id) if stage_id is not None else None
    return render(
        request,
        "recruitment/feedback.html",
        {
            "page_title": _title(candidate, "Feedback"),
            "vacancy": vacancy,
            "candidate": candidate,
            "stages": read.design.stages if read else [],
            "stage": chosen,
            "stage_id": stage_id,
            "report": report if report != "blind" else None,
            "blind": report == "blind",
            "stage_url": stage_url(vacancy_id, stage_id) if stage_id else "",
            "record_url": record_url(vacancy_id, candidate_id),
            "notice": notice,
        },
        block="feedback",
        status_code=notice.status_code if notice and candidate is None else 200,
    )


# --- data protection ------------------------------------------------------------------------


def _filename(code: str) -> str:
    return "subject-access-" + (re.sub(r"[^A-Za-z0-9-]+", "-", code).strip("-") or "candidate") + ".json"


@router.get(CANDIDATE + "/subject-access", include_in_schema=False)
async def subject_access(
    request: Request, vacancy_id: uuid.UUID, candidate_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    """Everything recruitment-api holds on the candidate, as a JSON file to send them."""
    (download, candidate), notice = await gather(
        client.subject_access(vacancy_id, candidate_id), client.get_candidate(vacancy_id, candidate_id)
    )
    if download is None or candidate is None:
        # Like any download: a failure because the service is down is a 503, not a 200 page.
        return render(
            request,
            "recruitment/notice.html",
            {
                "page_title": "The subject access file cannot be downloaded",
                "notice": notice,
                "back": record_url(vacancy_id, candidate_id),
            },
            status_code=503 if notice.kind == "unavailable" else notice.status_code,
        )
    return Response(
        download.content,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(candidate.code)}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(CANDIDATE + "/erasure", include_in_schema=False)
async def erasure_form(
    request: Request, vacancy_id: uuid.UUID, candidate_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    return await _confirmation_page(request, identity, client, vacancy_id, candidate_id, "erased")


@router.post(CANDIDATE + "/erasure", include_in_schema=False)
async def erase(
    request: Request, vacancy_id: uuid.UUID, candidate_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    return await _confirmed(
        request, identity, client, vacancy_id, candidate_id, "erased", client.erase(vacancy_id, candidate_id)
    )


# --- SJT scores -----------------------------------------------------------------------------


async def _candidate_codes(client: RecruitmentClient, vacancy_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Every candidate of the vacancy: code -> id, page after page."""
    codes: dict[str, uuid.UUID] = {}
    cursor = None
    while True:
        page = await client.list_candidates(vacancy_id, cursor=cursor, limit=500)
        codes.update({candidate.code: candidate.id for candidate in page.items})
        cursor = cursor_of(page.next)
        if not cursor:
            return codes


async def _sjt_page(
    request: Request,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    *,
    pasted: str = "",
    imported: int | None = None,
    errors: dict[str, str] | None = None,
    rows: list | None = None,
    problem_count: int = 0,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Response:
    (vacancy, read), page_notice = await gather(client.get_vacancy(vacancy_id), client.get_design(vacancy_id))
    stage = stage_of(read, stage_id)
    if stage is not None and stage.kind != "sjt":
        raise HTTPException(404)  # a panel scores this stage: there is nothing to import
    notice = notice or page_notice
    return render(
        request,
        "recruitment/sjt.html",
        {
            "page_title": f"Import SJT scores: {stage.name}" if stage else "Import SJT scores",
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": vacancy_id,
            "stage_url": stage_url(vacancy_id, stage_id),
            "pasted": pasted,
            "imported": imported,
            "errors": errors or {},
            "rows": rows or [],
            "problem_count": problem_count,
            "notice": notice,
        },
        block="importer",
        status_code=status_code,
    )


@router.get(STAGE + "/sjt-scores", include_in_schema=False)
async def sjt_form(
    request: Request, vacancy_id: uuid.UUID, stage_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    return await _sjt_page(request, client, vacancy_id, stage_id)


@router.post(STAGE + "/sjt-scores", include_in_schema=False)
async def import_sjt(
    request: Request,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    identity: Admin,
    client: Client,
    csv: Annotated[str, Form(max_length=2_000_000)] = "",
) -> Response:
    """Scores pasted as `candidate_code,score`: the codes become candidate ids (from the vacancy's
    candidates), and every row is checked before anything is sent; all are imported, or none."""
    if not csv.strip():
        errors = {"csv": "Paste the scores: one candidate code and score a line"}
        return await _sjt_page(request, client, vacancy_id, stage_id, errors=errors, status_code=422, pasted=csv)
    (codes,), notice = await gather(_candidate_codes(client, vacancy_id))
    if codes is None:
        errors = {"csv": f"No scores were imported. {notice.text}"}
        return await _sjt_page(request, client, vacancy_id, stage_id, errors=errors, notice=notice, pasted=csv)
    scores, problems = sjt_scores(csv, codes)
    if problems:
        errors = {"csv": "No scores were imported. Change the rows listed below, then import again"}
        return await _sjt_page(
            request,
            client,
            vacancy_id,
            stage_id,
            errors=errors,
            rows=problems[:MAX_PROBLEMS_SHOWN],
            problem_count=len(problems),
            status_code=422,
            pasted=csv,
        )
    if not scores:
        errors = {"csv": "The paste has a header row but no scores"}
        return await _sjt_page(request, client, vacancy_id, stage_id, errors=errors, status_code=422, pasted=csv)
    if len(scores) > MAX_SJT_ROWS:
        errors = {"csv": f"Import at most {MAX_SJT_ROWS:,} scores at a time"}
        return await _sjt_page(request, client, vacancy_id, stage_id, errors=errors, status_code=422, pasted=csv)
    outcome = await attempt(client.import_sjt_scores(vacancy_id, stage_id, scores))
    if outcome.ok:
        return await _sjt_page(request, client, vacancy_id, stage_id, imported=outcome.value.imported)
    if outcome.notice:
        errors = {"csv": f"No scores were imported. {outcome.notice.text}"}
        return await _sjt_page(request, client, vacancy_id, stage_id, errors=errors, notice=outcome.notice, pasted=csv)
    problem = outcome.problem
    return await _sjt_page(
        request,
        client,
        vacancy_id,
        stage_id,
        errors=problem_messages(problem, {}, general="csv"),
        status_code=form_status(problem),
        pasted=csv,
    )
