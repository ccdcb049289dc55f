"""Recruitment admins' pages: vacancies, creating one from a published framework version, the
assessment design (If-Match with the design's ETag), panels, status changes and candidate import."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import Session

from servicekit.db import in_session
from web.accounts.roles import scopes_for
from web.clients.base import cursor_of
from web.clients.framework import FrameworkClient, ItemNode
from web.clients.recruitment import RecruitmentClient
from web.pages import is_htmx, render, see_other
from web.panels import gather
from web.recruitment.deps import (
    NEXT_STATUS,
    STAGE_KINDS,
    STATUS_ACTIONS,
    Admin,
    Client,
    Frameworks,
    Reader,
    attempt,
    form_status,
    people,
    problem_messages,
    stage_of,
)
from web.recruitment.forms import (
    MAX_MEMBERS,
    MAX_STAGES,
    MemberForm,
    blank_stage,
    criteria_codes,
    design_body,
    design_problem_errors,
    import_problems,
    import_template,
    members_from_form,
    members_from_panel,
    panel_body,
    stages_from_design,
    stages_from_form,
)

router = APIRouter()

VACANCY = "/recruitment/vacancies/{vacancy_id}"
VACANCY_STATUSES = ("draft", "open", "scoring", "decided", "closed")
MAX_MY_VACANCIES = 100  # an assessor's panels span a handful of vacancies; each is read on its own
# Checkboxes: a form with none ticked sends no `values` at all.
ValuesField = Annotated[list[str], Form(default_factory=list)]


def vacancy_url(vacancy_id: uuid.UUID) -> str:
    return f"/recruitment/vacancies/{vacancy_id}"


def sees_every_vacancy(identity) -> bool:
    """Recruitment admins run the organisation's vacancies and equality officers report on all of
    them; an assessor needs only the vacancies they sit on a panel for (drafts of others' included
    in none of it). recruitment-api gives any recruitment reader the list, so the web narrows it."""
    return identity.has("recruitment:admin") or identity.has("equality:read")


NOT_ON_A_PANEL = (
    "You see a vacancy once you sit on one of its panels. If you should be on this one, ask a "
    "recruitment administrator of your organisation to add you to its panel."
)


# --- the list -------------------------------------------------------------------------------


@router.get("/recruitment/vacancies", include_in_schema=False)
async def list_vacancies(
    request: Request,
    identity: Reader,
    client: Client,
    status: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    status = status if status in VACANCY_STATUSES else None
    if not sees_every_vacancy(identity):
        return await _my_vacancies(request, client, status)
    (page,), notice = await gather(client.list_vacancies(status=status, cursor=cursor))
    return render(
        request,
        "recruitment/vacancies.html",
        {
            "page_title": "Vacancies",
            "vacancies": page.items if page else [],
            "next_cursor": cursor_of(page.next) if page else None,
            "status": status or "",
            "statuses": VACANCY_STATUSES,
            "notice": notice,
        },
        block="vacancy_list",
        status_code=notice.status_code if notice else 200,
    )


async def _my_vacancies(request: Request, client: RecruitmentClient, status: str | None) -> Response:
    """The vacancies of the user's panels, whatever their status, in the order of their panels."""
    (panels,), notice = await gather(client.my_panels())
    ids = list(dict.fromkeys(panel.vacancy_id for panel in panels.root)) if panels else []
    vacancies = []
    if ids:
        found, notice = await gather(*(client.get_vacancy(vacancy_id) for vacancy_id in ids[:MAX_MY_VACANCIES]))
        vacancies = [v for v in found if v is not None and (status is None or v.status == status)]
    return render(
        request,
        "recruitment/vacancies.html",
        {
            "page_title": "Vacancies",
            "vacancies": vacancies,
            "next_cursor": None,
            "status": status or "",
            "statuses": VACANCY_STATUSES,
            "notice": notice,
            "only_mine": True,
        },
        block="vacancy_list",
        status_code=notice.status_code if notice else 200,
    )


# --- creating a vacancy ---------------------------------------------------------------------


def _values_of(nodes: list[ItemNode]) -> list[ItemNode]:
    found = []
    for node in nodes:
        if node.type == "value":
            found.append(node)
        found.extend(_values_of(node.children))
    return found


async def _new_vacancy_page(
    request: Request,
    frameworks: FrameworkClient,
    *,
    version: str | None,
    form: dict | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (listing,), notice = await gather(frameworks.list_frameworks(limit=100))
    published = [
        (framework, framework.latest_published)
        for framework in (listing.items if listing else [])
        if framework.latest_published is not None
    ]
    chosen = None
    if version:
        chosen = next((v for _, v in published if str(v.id) == version), None)
        if chosen is None and not errors:
            errors = {"framework_version_id": "Choose a published framework version"}
            status_code = 422
    elif len(published) == 1:
        chosen = published[0][1]
    values, values_notice = [], None
    if chosen is not None:
        (tree,), values_notice = await gather(frameworks.get_tree(chosen.id))
        values = _values_of(tree.items) if tree else []
    form = form or {}
    picked = form.get("values")
    return render(
        request,
        "recruitment/vacancy_new.html",
        {
            "page_title": "Create a vacancy",
            "published": published,
            "chosen": chosen,
            "values": values,
            # Every value is scored unless the recruiter chooses otherwise.
            "picked": picked if picked is not None else [value.code for value in values],
            "form": form,
            "idempotency_key": form.get("idempotency_key") or str(uuid.uuid4()),
            "errors": errors or {},
            "notice": notice,
            "values_notice": values_notice,
        },
        block="values",
        status_code=status_code,
    )


@router.get("/recruitment/vacancies/new", include_in_schema=False)
async def new_vacancy(
    request: Request,
    identity: Admin,
    frameworks: Frameworks,
    framework_version_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    return await _new_vacancy_page(request, frameworks, version=framework_version_id or None)


@router.post("/recruitment/vacancies", include_in_schema=False)
async def create_vacancy(
    request: Request,
    identity: Admin,
    client: Client,
    frameworks: Frameworks,
    values: ValuesField,
    title: Annotated[str, Form(max_length=300)] = "",
    band: Annotated[str, Form(max_length=50)] = "",
    staff_group: Annotated[str, Form(max_length=200)] = "",
    closing_date: Annotated[str, Form(max_length=20)] = "",
    framework_version_id: Annotated[str, Form(max_length=100)] = "",
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
    action: Annotated[str, Form(max_length=20)] = "create",
) -> Response:
    form = {
        "title": title.strip(),
        "band": band.strip(),
        "staff_group": staff_group.strip(),
        "closing_date": closing_date.strip(),
        "values": values,
        "idempotency_key": idempotency_key,
    }
    if action == "choose":
        # Without JavaScript: the version was chosen; show its values.
        return await _new_vacancy_page(request, frameworks, version=framework_version_id or None, form=form)
    errors: dict[str, str] = {}
    if not form["title"]:
        errors["title"] = "Enter the title of the post"
    if not framework_version_id:
        errors["framework_version_id"] = "Choose a published framework version"
    elif not values:
        errors["values"] = "Choose at least one value to score"
    closing = None
    if form["closing_date"]:
        try:
            closing = date.fromisoformat(form["closing_date"])
        except ValueError:
            errors["closing_date"] = "Enter the closing date as a real date, for example 2026-12-18"
    if not errors:
        body = {
            "title": form["title"],
            "band": form["band"] or None,
            "staff_group": form["staff_group"] or None,
            "closing_date": closing.isoformat() if closing else None,
            "framework_version_id": framework_version_id,
            "values": values,
        }
        outcome = await attempt(client.create_vacancy(body, idempotency_key=idempotency_key or None))
        if outcome.ok:
            return see_other(f"{vacancy_url(outcome.value.id)}?created=1")
        if outcome.notice:
            errors["problem"] = outcome.notice.text
        else:
            fields = {
                "body.title": "title",
                "body.band": "band",
                "body.staff_group": "staff_group",
                "body.closing_date": "closing_date",
                "body.framework_version_id": "framework_version_id",
                "body.values": "values",
            }
            errors = problem_messages(outcome.problem, fields)
    return await _new_vacancy_page(
        request, frameworks, version=framework_version_id or None, form=form, errors=errors, status_code=422
    )


# --- a vacancy ------------------------------------------------------------------------------


async def _vacancy_page(
    request: Request,
    identity,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    admin = identity.has("recruitment:admin")
    calls = [client.get_vacancy(vacancy_id), client.get_design(vacancy_id), _my_seats(client, identity)]
    if admin:
        calls.append(client.list_candidates(vacancy_id, limit=200))
    results, notice = await gather(*calls)
    vacancy, design, seats = results[0], results[1], results[2] or {}
    candidates = results[3] if admin else None
    if (
        not sees_every_vacancy(identity)
        and results[2] is not None
        and not any(seat.vacancy_id == vacancy_id for seat in seats.values())
    ):
        return render(
            request,
            "errors/forbidden.html",
            {"page_title": "You are not on a panel of this vacancy", "reason": NOT_ON_A_PANEL},
            status_code=403,
        )
    query = request.query_params
    return render(
        request,
        "recruitment/vacancy.html",
        {
            "page_title": vacancy.title if vacancy else "Vacancy",
            "vacancy": vacancy,
            "design": design.design if design else None,
            "seats": seats,
            "candidates": candidates.items if candidates else [],
            "more_candidates": bool(candidates and candidates.next),
            "next_status": NEXT_STATUS.get(vacancy.status) if vacancy else None,
            "STATUS_ACTIONS": STATUS_ACTIONS,
            "STAGE_KINDS": STAGE_KINDS,
            "created": query.get("created") == "1",
            "changed": query.get("changed"),
            "errors": errors or {},
            "notice": notice,
        },
        status_code=notice.status_code if notice and vacancy is None else status_code,
    )


async def _my_seats(client: RecruitmentClient, identity) -> dict:
    """The user's seats on panels, by stage id (empty if they score nothing)."""
    if not identity.has("recruitment:score"):
        return {}
    panels = await client.my_panels()
    return {panel.stage_id: panel for panel in panels.root}


@router.get(VACANCY, include_in_schema=False)
async def show_vacancy(request: Request, vacancy_id: uuid.UUID, identity: Reader, client: Client) -> Response:
    return await _vacancy_page(request, identity, client, vacancy_id)


@router.post(VACANCY + "/status", include_in_schema=False)
async def change_status(
    request: Request,
    vacancy_id: uuid.UUID,
    identity: Admin,
    client: Client,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    if status not in VACANCY_STATUSES:
        return await _vacancy_page(
            request, identity, client, vacancy_id, errors={"status": "Choose the next status"}, status_code=422
        )
    outcome = await attempt(client.change_status(vacancy_id, status))
    if outcome.ok:
        return see_other(f"{vacancy_url(vacancy_id)}?changed={status}")
    if outcome.notice:
        errors = {"status": f"The status did not change. {outcome.notice.text}"}
        return await _vacancy_page(request, identity, client, vacancy_id, errors=errors)
    problem = outcome.problem
    return await _vacancy_page(
        request,
        identity,
        client,
        vacancy_id,
        errors=problem_messages(problem, {}, general="status"),
        status_code=form_status(problem),
    )


# --- the assessment design ------------------------------------------------------------------


async def _design_page(
    request: Request,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    *,
    stages=None,
    etag: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (vacancy, read), notice = await gather(client.get_vacancy(vacancy_id), client.get_design(vacancy_id))
    context = {
        "page_title": f"Assessment design: {vacancy.title}" if vacancy else "Assessment design",
        "vacancy": vacancy,
        "vacancy_id": vacancy_id,
        "design": read.design if read else None,
        "notice": notice,
        "errors": errors or {},
        "STAGE_KINDS": STAGE_KINDS,
    }
    if vacancy is None or read is None:
        return render(request, "recruitment/design.html", context, status_code=notice.status_code if notice else 200)
    codes = criteria_codes(vacancy.criteria)
    if stages is None:
        stages = stages_from_design(read.design, codes)
        if len(stages) < MAX_STAGES:
            stages.append(blank_stage(codes))
    context.update(
        {
            "stages": stages,
            "etag": etag or read.etag or "",
            "locked": read.design.locked or vacancy.status in ("decided", "closed"),
            "can_add": len(stages) < MAX_STAGES,
        }
    )
    return render(request, "recruitment/design.html", context, status_code=status_code)


@router.get(VACANCY + "/design", include_in_schema=False)
async def design_form(request: Request, vacancy_id: uuid.UUID, identity: Admin, client: Client) -> Response:
    return await _design_page(request, client, vacancy_id)


@router.post(VACANCY + "/design", include_in_schema=False)
async def save_design(request: Request, vacancy_id: uuid.UUID, identity: Admin, client: Client) -> Response:
    form = await request.form()
    etag = str(form.get("etag", ""))
    (vacancy,), _notice = await gather(client.get_vacancy(vacancy_id))
    if vacancy is None:
        return await _design_page(request, client, vacancy_id)
    codes = criteria_codes(vacancy.criteria)
    stages = stages_from_form(form, codes)
    if form.get("action") == "add":
        if len(stages) < MAX_STAGES:
            stages.append(blank_stage(codes))
        return await _design_page(request, client, vacancy_id, stages=stages, etag=etag)
    body, errors, slots = design_body(stages)
    if not etag:
        errors["problem"] = "Open the design page again before saving: the form is missing its version"
    if errors:
        return await _design_page(request, client, vacancy_id, stages=stages, etag=etag, errors=errors, status_code=422)
    outcome = await attempt(client.put_design(vacancy_id, body, etag=etag))
    if outcome.ok:
        return see_other(f"{vacancy_url(vacancy_id)}?changed=design")
    if outcome.notice:
        errors = {"problem": f"The design was not saved. {outcome.notice.text}"}
        return await _design_page(request, client, vacancy_id, stages=stages, etag=etag, errors=errors)
    problem = outcome.problem
    if problem.status == 412:
        # Someone else saved the design meanwhile: show theirs, with its new ETag.
        errors = {
            "problem": "Someone else changed this design since you opened the page, so yours was not saved. "
            "This is the design as it is now: make your changes again."
        }
        return await _design_page(request, client, vacancy_id, errors=errors, status_code=412)
    if problem.status == 409:
        if problem.slug == "design-locked":
            message = (
                "The design is locked: the first score sheet has been submitted, so the stages, criteria, "
                "weights and thresholds can no longer change."
            )
        else:
            message = problem.detail or "The design can no longer change."
        return await _design_page(request, client, vacancy_id, errors={"problem": message}, status_code=409)
    errors = design_problem_errors(problem.field_errors(), slots, problem.detail)
    return await _design_page(request, client, vacancy_id, stages=stages, etag=etag, errors=errors, status_code=422)


# --- a stage's panel ------------------------------------------------------------------------


def _assessor_choices(db: Session, org: str) -> dict[str, str]:
    """The organisation's active users who can score, by id: the people a panel can have."""
    return {
        uid: user.display_name
        for uid, user in people(db, org).items()
        if user.active and "recruitment:score" in scopes_for(user.roles)
    }


async def _panel_page(
    request: Request,
    identity,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    stage_id: uuid.UUID,
    *,
    members=None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (vacancy, read, panel), notice = await gather(
        client.get_vacancy(vacancy_id), client.get_design(vacancy_id), client.get_panel(vacancy_id, stage_id)
    )
    stage = stage_of(read, stage_id)
    choices = await in_session(request.app, _assessor_choices, identity.user.org)
    if panel is not None:
        # A member who is not (or no longer) a user who can score stays choosable, by their stored name.
        for member in panel.members:
            choices.setdefault(member.assessor, member.name or f"Assessor {member.assessor[:8]}")
    if members is None:
        members = members_from_panel(panel) if panel else []
        if panel is not None and len(members) < MAX_MEMBERS:
            members.append(MemberForm())  # a free row to add someone
    rows = list(members)
    return render(
        request,
        "recruitment/panel.html",
        {
            "page_title": f"Panel: {stage.name}" if stage else "Panel",
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": vacancy_id,
            "stage_id": stage_id,
            "rows": rows,
            "choices": sorted(choices.items(), key=lambda item: item[1].lower()),
            "errors": errors or {},
            "notice": notice,
        },
        status_code=notice.status_code if notice and panel is None else status_code,
    )


@router.get(VACANCY + "/stages/{stage_id}/panel", include_in_schema=False)
async def panel_form(
    request: Request, vacancy_id: uuid.UUID, stage_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    return await _panel_page(request, identity, client, vacancy_id, stage_id)


@router.post(VACANCY + "/stages/{stage_id}/panel", include_in_schema=False)
async def save_panel(
    request: Request, vacancy_id: uuid.UUID, stage_id: uuid.UUID, identity: Admin, client: Client
) -> Response:
    form = await request.form()
    members = members_from_form(form)
    if form.get("action") == "add":
        if len(members) < MAX_MEMBERS:
            members.append(MemberForm())
        return await _panel_page(request, identity, client, vacancy_id, stage_id, members=members)
    (panel,), _notice = await gather(client.get_panel(vacancy_id, stage_id))
    choices = await in_session(request.app, _assessor_choices, identity.user.org)
    for member in panel.members if panel else []:
        choices.setdefault(member.assessor, member.name or f"Assessor {member.assessor[:8]}")
    body, errors = panel_body(members, choices)
    if errors:
        return await _panel_page(
            request, identity, client, vacancy_id, stage_id, members=members, errors=errors, status_code=422
        )
    outcome = await attempt(client.set_panel(vacancy_id, stage_id, body))
    if outcome.ok:
        return see_other(f"{vacancy_url(vacancy_id)}?changed=panel")
    if outcome.notice:
        errors = {"problem": f"The panel was not saved. {outcome.notice.text}"}
        return await _panel_page(request, identity, client, vacancy_id, stage_id, members=members, errors=errors)
    problem = outcome.problem
    return await _panel_page(
        request,
        identity,
        client,
        vacancy_id,
        stage_id,
        members=members,
        errors=problem_messages(problem, {}),
        status_code=form_status(problem),
    )


# --- candidate import -----------------------------------------------------------------------


async def _import_page(
    request: Request,
    client: RecruitmentClient,
    vacancy_id: uuid.UUID,
    *,
    result=None,
    errors: dict[str, str] | None = None,
    rows: list[dict] | None = None,
    key: str | None = None,
    status_code: int = 200,
    notice=None,
    pasted: str = "",
) -> Response:
    vacancy = None
    if not is_htmx(request):
        (vacancy,), page_notice = await gather(client.get_vacancy(vacancy_id))
        notice = notice or page_notice
    return render(
        request,
        "recruitment/import.html",
        {
            "page_title": f"Import candidates: {vacancy.title}" if vacancy else "Import candidates",
            "vacancy": vacancy,
            "vacancy_id": vacancy_id,
            "result": result,
            "errors": errors or {},
            "rows": rows or [],
            "idempotency_key": key or str(uuid.uuid4()),
            "notice": notice,
            "pasted": pasted,
        },
        block="importer",
        status_code=status_code,
    )


@router.get(VACANCY + "/candidates/import/template.csv", include_in_schema=False)
async def import_template_csv(vacancy_id: uuid.UUID, identity: Admin, client: Client) -> Response:
    """The header row the import accepts, with an answer column per value of the vacancy."""
    # With recruitment-api down the template still comes, with the fixed columns only.
    (vacancy,), _notice = await gather(client.get_vacancy(vacancy_id))
    statements = [criterion.statement for criterion in vacancy.criteria] if vacancy else []
    return Response(
        import_template(statements),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="candidates-template.csv"'},
    )


@router.get(VACANCY + "/candidates/import", include_in_schema=False)
async def import_form(request: Request, vacancy_id: uuid.UUID, identity: Admin, client: Client) -> Response:
    return await _import_page(request, client, vacancy_id)


@router.post(VACANCY + "/candidates/import", include_in_schema=False)
async def import_candidates(
    request: Request,
    vacancy_id: uuid.UUID,
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
            return await _import_page(request, client, vacancy_id, errors=errors, key=idempotency_key, status_code=422)
    if not text.strip():
        errors = {"file": "Choose a CSV file, or paste the CSV below"}
        return await _import_page(request, client, vacancy_id, errors=errors, key=idempotency_key, status_code=422)
    outcome = await attempt(client.import_candidates(vacancy_id, text, idempotency_key=idempotency_key or None))
    if outcome.ok:
        return await _import_page(request, client, vacancy_id, result=outcome.value)
    if outcome.notice:
        return await _import_page(request, client, vacancy_id, notice=outcome.notice, key=idempotency_key, pasted=csv)
    problem = outcome.problem
    field = "file" if file is not None and file.filename else "csv"
    if problem.field_errors():
        count = problem.problem.get("error_count")
        summary, rows = import_problems(problem.field_errors(), text, count if isinstance(count, int) else None)
        if field == "csv":
            summary = summary.replace("The file has", "The pasted CSV has").replace("the file again", "it again")
    else:
        # A refusal of the whole import (the vacancy is decided, the file too large): the service's words.
        summary, rows = problem.detail or "The candidates were not imported", []
    errors = {field: summary}
    return await _import_page(
        request,
        client,
        vacancy_id,
        errors=errors,
        rows=rows,
        key=idempotency_key,
        pasted=csv,
        status_code=problem.status if problem.status in (403, 409, 413, 415) else 422,
    )
