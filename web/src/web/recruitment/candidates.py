"""Recruitment admins' pages about a vacancy's candidates: importing them, their record (the one
page that shows a candidate's personal details), recording a withdrawal, and importing the scores of
an SJT stage.

Panels score blind: an admin who sits on a panel of the vacancy is not shown the candidates'
personal details here either. A withdrawal (and, in privacy.py, an erasure) is confirmed on a page
of its own first."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response

from collective_clients.recruitment import operations as recruitment
from collective_clients.recruitment.models import ImportResult, SjtImport
from web.accounts.auth import Identity
from web.clients.answers import scored
from web.clients.base import ServiceClient, cursor_of, unvalidated
from web.notices import Notice, attempt, gather
from web.pages import MAX_PROBLEMS_SHOWN, attachment, import_fields, is_htmx, render, see_other
from web.recruitment.deps import (
    VACANCY,
    Admin,
    AtCandidate,
    AtStage,
    AtVacancy,
    CandidatePath,
    Client,
    StagePath,
    VacancyPath,
    form_status,
    my_panels,
    problem_messages,
    stage_of,
)
from web.recruitment.forms import MAX_SJT_ROWS, RowProblem, import_problems, import_template, sjt_scores

router = APIRouter(prefix=VACANCY, include_in_schema=False)

# Bulk imports of thousands of candidates take longer than an ordinary call.
IMPORT_TIMEOUT_SECONDS = 300.0
CHANGES = {
    "withdrawn": "The withdrawal is recorded. Panels no longer see this candidate.",
    "erased": "The candidate's personal data is erased. Their pseudonymised scores stay.",
}


# --- candidate import -----------------------------------------------------------------------
# (before /candidates/{candidate_id}, so that "import" is not read as a candidate's id)


async def _import_page(
    request: Request,
    client: ServiceClient,
    at: AtVacancy,
    *,
    result: ImportResult | None = None,
    errors: dict[str, str] | None = None,
    rows: list[Any] | None = None,
    key: str | None = None,
    status_code: int = 200,
    notice: Notice | None = None,
    pasted: str = "",
) -> Response:
    vacancy = None
    if not is_htmx(request):
        (vacancy,), page_notice = await gather(client.send(recruitment.read_vacancy(at.vacancy_id)))
        notice = notice or page_notice
    return render(
        request,
        "recruitment/import.html",
        {
            "page_title": f"Import candidates: {vacancy.title}" if vacancy else "Import candidates",
            "vacancy": vacancy,
            "vacancy_id": at.vacancy_id,
            **import_fields(result=result, errors=errors, rows=rows, key=key, pasted=pasted, notice=notice),
        },
        block="importer",
        status_code=status_code,
    )


@router.get("/candidates/import/template.csv")
async def import_template_csv(at: VacancyPath, identity: Admin, client: Client) -> Response:
    """The header row the import accepts, with an answer column per value of the vacancy."""
    # With recruitment-api down the template still comes, with the fixed columns only.
    (vacancy,), _notice = await gather(client.send(recruitment.read_vacancy(at.vacancy_id)))
    statements = [criterion.statement for criterion in vacancy.criteria] if vacancy else []
    return attachment(import_template(statements), "candidates-template.csv")


@router.get("/candidates/import")
async def import_form(request: Request, at: VacancyPath, identity: Admin, client: Client) -> Response:
    return await _import_page(request, client, at)


@router.post("/candidates/import")
async def import_candidates(
    request: Request,
    at: VacancyPath,
    identity: Admin,
    client: Client,
    file: Annotated[UploadFile | None, File()] = None,
    csv: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    text = csv
    if file is not None and file.filename:
        raw = await file.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors = {"file": "The file must be a CSV saved as UTF-8 text"}
            return await _import_page(request, client, at, errors=errors, key=idempotency_key, status_code=422)
    if not text.strip():
        errors = {"file": "Choose a CSV file, or paste the CSV below"}
        return await _import_page(request, client, at, errors=errors, key=idempotency_key, status_code=422)
    call = recruitment.import_candidates(at.vacancy_id, text, idempotency_key=idempotency_key or None)
    outcome = await attempt(client.send(call.with_timeout(IMPORT_TIMEOUT_SECONDS)))
    if outcome.value is not None:
        return await _import_page(request, client, at, result=outcome.value)
    if outcome.notice:
        return await _import_page(request, client, at, notice=outcome.notice, key=idempotency_key, pasted=csv)
    problem = outcome.problem
    assert problem is not None
    field = "file" if file is not None and file.filename else "csv"
    rows: list[Any] = []
    if problem.field_errors():
        count = problem.problem.get("error_count")
        summary, rows = import_problems(problem.field_errors(), text, count if isinstance(count, int) else None)
        if field == "csv":
            summary = summary.replace("The file has", "The pasted CSV has").replace("the file again", "it again")
    else:
        # A refusal of the whole import (the vacancy is decided, the file too large): the service's words.
        summary = problem.detail or "The candidates were not imported"
    return await _import_page(
        request,
        client,
        at,
        errors={field: summary},
        rows=rows,
        key=idempotency_key,
        pasted=csv,
        status_code=problem.status if problem.status in (403, 409, 413, 415) else 422,
    )


# --- the candidate's record -----------------------------------------------------------------


async def _on_a_panel(client: ServiceClient, identity: Identity, vacancy_id: uuid.UUID) -> bool:
    """Whether the user sits on a panel of this vacancy (then they see no candidate's identity)."""
    return any(panel.vacancy_id == vacancy_id for panel in await my_panels(client, identity))


async def record_context(
    client: ServiceClient, identity: Identity, at: AtCandidate
) -> tuple[dict[str, Any], Notice | None]:
    """The vacancy, its design and the candidate's record, for the record and its confirmations."""
    (vacancy, read, candidate, on_panel), notice = await gather(
        client.send(recruitment.read_vacancy(at.vacancy_id)),
        client.send(recruitment.read_design(at.vacancy_id)),
        client.send(recruitment.read_candidate(at.vacancy_id, at.candidate_id)),
        _on_a_panel(client, identity, at.vacancy_id),
    )
    return {
        "vacancy": vacancy,
        "design": read.value if read else None,
        "candidate": candidate,
        # Unknown (the check failed) counts as on a panel: identity is shown only when surely safe.
        "identity_hidden": on_panel is not False,
        "vacancy_id": at.vacancy_id,
        "candidate_id": at.candidate_id,
        "record_url": at.record_url,
        "notice": notice,
    }, notice


def page_title(candidate: Any, text: str) -> str:
    return f"{text}: candidate {candidate.code}" if candidate else text


@router.get("/candidates/{candidate_id}")
async def candidate_record(request: Request, at: CandidatePath, identity: Admin, client: Client) -> Response:
    context, notice = await record_context(client, identity, at)
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


# --- confirmed actions: a withdrawal here, an erasure in privacy.py -------------------------

# action -> (template, page title, what failure means)
CONFIRMED_ACTIONS = {
    "withdrawn": ("recruitment/withdraw.html", "Record a withdrawal", "The withdrawal was not recorded."),
    "erased": ("recruitment/erasure.html", "Erase personal data", "Nothing was erased."),
}


async def confirmation_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    at: AtCandidate,
    action: str,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page that asks an admin to confirm a withdrawal or an erasure."""
    template, title, _ = CONFIRMED_ACTIONS[action]
    context, notice = await record_context(client, identity, at)
    candidate = context["candidate"]
    return render(
        request,
        template,
        {**context, "page_title": page_title(candidate, title), "errors": errors or {}},
        status_code=notice.status_code if notice and candidate is None else status_code,
    )


async def confirmed(
    request: Request, identity: Identity, client: ServiceClient, at: AtCandidate, action: str, call: Awaitable[Any]
) -> Response:
    """Carry out a confirmed action; back to the candidate page, or the form again with the reason."""
    outcome = await attempt(call)
    if outcome.ok:
        return see_other(f"{at.record_url}?changed={action}")
    if outcome.notice:
        errors = {"problem": f"{CONFIRMED_ACTIONS[action][2]} {outcome.notice.text}"}
        return await confirmation_page(request, identity, client, at, action, errors=errors)
    assert outcome.problem is not None
    return await confirmation_page(
        request,
        identity,
        client,
        at,
        action,
        errors=problem_messages(outcome.problem, {}),
        status_code=form_status(outcome.problem),
    )


@router.get("/candidates/{candidate_id}/withdraw")
async def withdraw_form(request: Request, at: CandidatePath, identity: Admin, client: Client) -> Response:
    return await confirmation_page(request, identity, client, at, "withdrawn")


@router.post("/candidates/{candidate_id}/withdraw")
async def withdraw(request: Request, at: CandidatePath, identity: Admin, client: Client) -> Response:
    call = client.send(recruitment.withdraw(at.vacancy_id, at.candidate_id))
    return await confirmed(request, identity, client, at, "withdrawn", call)


# --- SJT scores -----------------------------------------------------------------------------


async def _candidate_codes(client: ServiceClient, vacancy_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Every candidate of the vacancy: code -> id, page after page."""
    codes: dict[str, uuid.UUID] = {}
    cursor = None
    while True:
        page = await client.send(recruitment.list_candidates(vacancy_id, cursor=cursor, limit=500))
        codes.update({candidate.code: candidate.id for candidate in page.items})
        cursor = cursor_of(page.next)
        if not cursor:
            return codes


async def _sjt_page(
    request: Request,
    client: ServiceClient,
    at: AtStage,
    *,
    pasted: str = "",
    imported: int | None = None,
    errors: dict[str, str] | None = None,
    rows: list[RowProblem] | None = None,
    problem_count: int = 0,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Response:
    (vacancy, read), page_notice = await gather(
        client.send(recruitment.read_vacancy(at.vacancy_id)), client.send(recruitment.read_design(at.vacancy_id))
    )
    stage = stage_of(read, at.stage_id)
    if stage is not None and scored(stage):
        raise HTTPException(404)  # a panel scores this stage: there is nothing to import
    notice = notice or page_notice
    return render(
        request,
        "recruitment/sjt.html",
        {
            "page_title": f"Import SJT scores: {stage.name}" if stage else "Import SJT scores",
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": at.vacancy_id,
            "stage_url": at.stage_url,
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


@router.get("/stages/{stage_id}/sjt-scores")
async def sjt_form(request: Request, at: StagePath, identity: Admin, client: Client) -> Response:
    return await _sjt_page(request, client, at)


@router.post("/stages/{stage_id}/sjt-scores")
async def import_sjt(
    request: Request,
    at: StagePath,
    identity: Admin,
    client: Client,
    csv: Annotated[str, Form(max_length=2_000_000)] = "",
) -> Response:
    """Scores pasted as `candidate_code,score`: the codes become candidate ids (from the vacancy's
    candidates), and every row is checked before anything is sent; all are imported, or none."""
    if not csv.strip():
        errors = {"csv": "Paste the scores: one candidate code and score a line"}
        return await _sjt_page(request, client, at, errors=errors, status_code=422, pasted=csv)
    (codes,), notice = await gather(_candidate_codes(client, at.vacancy_id))
    if codes is None:
        assert notice is not None
        errors = {"csv": f"No scores were imported. {notice.text}"}
        return await _sjt_page(request, client, at, errors=errors, notice=notice, pasted=csv)
    scores, problems = sjt_scores(csv, codes)
    if problems:
        errors = {"csv": "No scores were imported. Change the rows listed below, then import again"}
        return await _sjt_page(
            request,
            client,
            at,
            errors=errors,
            rows=problems[:MAX_PROBLEMS_SHOWN],
            problem_count=len(problems),
            status_code=422,
            pasted=csv,
        )
    if not scores:
        errors = {"csv": "The paste has a header row but no scores"}
        return await _sjt_page(request, client, at, errors=errors, status_code=422, pasted=csv)
    if len(scores) > MAX_SJT_ROWS:
        errors = {"csv": f"Import at most {MAX_SJT_ROWS:,} scores at a time"}
        return await _sjt_page(request, client, at, errors=errors, status_code=422, pasted=csv)
    call = recruitment.import_sjt(at.vacancy_id, at.stage_id, unvalidated(SjtImport, scores=scores))
    outcome = await attempt(client.send(call.with_timeout(IMPORT_TIMEOUT_SECONDS)))
    if outcome.value is not None:
        return await _sjt_page(request, client, at, imported=outcome.value["imported"])
    if outcome.notice:
        errors = {"csv": f"No scores were imported. {outcome.notice.text}"}
        return await _sjt_page(request, client, at, errors=errors, notice=outcome.notice, pasted=csv)
    assert outcome.problem is not None
    return await _sjt_page(
        request,
        client,
        at,
        errors=problem_messages(outcome.problem, {}, general="csv"),
        status_code=form_status(outcome.problem),
        pasted=csv,
    )
