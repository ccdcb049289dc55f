"""Recruitment admins' pages: vacancies, creating one from a published framework version, the
assessment design (If-Match with the design's ETag), panels, status changes and candidate import."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from collective_clients.framework import operations as framework
from collective_clients.framework.models import ItemNode, ItemType
from collective_clients.recruitment import operations as recruitment
from collective_clients.recruitment.models import StatusChange, VacancyCreate, VacancyPublic, VacancyStatus
from servicekit.db import in_session
from web.accounts.auth import Identity
from web.accounts.directory import people_with_scope
from web.clients.answers import member
from web.clients.base import ServiceClient, cursor_of, unvalidated
from web.notices import attempt, gather
from web.pages import render, see_other
from web.recruitment.deps import (
    VACANCIES,
    Admin,
    AtVacancy,
    Client,
    Frameworks,
    Reader,
    VacancyPath,
    form_status,
    my_panels,
    problem_messages,
)
from web.recruitment.forms import (
    MAX_STAGES,
    StageForm,
    blank_stage,
    criteria_codes,
    design_body,
    design_problem_errors,
    stages_from_design,
    stages_from_form,
)

router = APIRouter(prefix=VACANCIES, include_in_schema=False)

MAX_MY_VACANCIES = 100  # an assessor's panels span a handful of vacancies; each is read on its own
# Checkboxes: a form with none ticked sends no `values` at all.
ValuesField = Annotated[list[str], Form(default_factory=list)]


def sees_every_vacancy(identity: Identity) -> bool:
    """Recruitment admins run the organisation's vacancies and equality officers report on all of
    them; an assessor needs only the vacancies they sit on a panel for (drafts of others' included
    in none of it). recruitment-api gives any recruitment reader the list, so the web narrows it."""
    return identity.has("recruitment:admin") or identity.has("equality:read")


NOT_ON_A_PANEL = (
    "You see a vacancy once you sit on one of its panels. If you should be on this one, ask a "
    "recruitment administrator of your organisation to add you to its panel."
)


# --- the list -------------------------------------------------------------------------------


@router.get("")
async def list_vacancies(
    request: Request,
    identity: Reader,
    client: Client,
    status_filter: Annotated[str | None, Query(alias="status", max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    status = member(VacancyStatus, status_filter)  # an unknown status shows them all
    if not sees_every_vacancy(identity):
        return await _my_vacancies(request, client, identity, status)
    (page,), notice = await gather(client.send(recruitment.list_vacancies(status=status, cursor=cursor)))
    return render(
        request,
        "recruitment/vacancies.html",
        {
            "page_title": "Vacancies",
            "vacancies": page.items if page else [],
            "next_cursor": cursor_of(page.next) if page else None,
            "status": status or "",
            "statuses": list(VacancyStatus),
            "notice": notice,
        },
        block="vacancy_list",
        status_code=notice.status_code if notice else 200,
    )


async def _my_vacancies(
    request: Request, client: ServiceClient, identity: Identity, status: VacancyStatus | None
) -> Response:
    """The vacancies of the user's panels, whatever their status, in the order of their panels."""
    (panels,), notice = await gather(my_panels(client, identity))
    ids = list(dict.fromkeys(panel.vacancy_id for panel in panels)) if panels else []
    vacancies: list[VacancyPublic] = []
    if ids:
        found, notice = await gather(
            *(client.send(recruitment.read_vacancy(vacancy_id)) for vacancy_id in ids[:MAX_MY_VACANCIES])
        )
        vacancies = [v for v in found if v is not None and (status is None or v.status == status)]
    return render(
        request,
        "recruitment/vacancies.html",
        {
            "page_title": "Vacancies",
            "vacancies": vacancies,
            "next_cursor": None,
            "status": status or "",
            "statuses": list(VacancyStatus),
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
        if node.type == ItemType.value:
            found.append(node)
        found.extend(_values_of(node.children))
    return found


async def _new_vacancy_page(
    request: Request,
    frameworks: ServiceClient,
    *,
    version: str | None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (listing,), notice = await gather(frameworks.send(framework.list_frameworks(limit=100)))
    published = [
        (found, found.latest_published)
        for found in (listing.items if listing else [])
        if found.latest_published is not None
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
        (tree,), values_notice = await gather(frameworks.send(framework.read_tree(chosen.id)))
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


@router.get("/new")
async def new_vacancy(
    request: Request,
    identity: Admin,
    frameworks: Frameworks,
    framework_version_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    return await _new_vacancy_page(request, frameworks, version=framework_version_id or None)


@router.post("")
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
    form: dict[str, Any] = {
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
        body = unvalidated(
            VacancyCreate,
            title=form["title"],
            band=form["band"] or None,
            staff_group=form["staff_group"] or None,
            closing_date=closing,
            framework_version_id=framework_version_id,
            values=values,
        )
        outcome = await attempt(client.send(recruitment.create_vacancy(body, idempotency_key=idempotency_key or None)))
        if outcome.value is not None:
            return see_other(f"{AtVacancy(outcome.value.id).vacancy_url}?created=1")
        if outcome.notice:
            errors["problem"] = outcome.notice.text
        elif outcome.problem:
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
    identity: Identity,
    client: ServiceClient,
    at: AtVacancy,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    admin = identity.has("recruitment:admin")
    vacancy_id = at.vacancy_id
    (vacancy, design, panels, candidates), notice = await gather(
        client.send(recruitment.read_vacancy(vacancy_id)),
        client.send(recruitment.read_design(vacancy_id)),
        my_panels(client, identity),
        client.send(recruitment.list_candidates(vacancy_id, limit=200)) if admin else _nothing(),
    )
    seats = {panel.stage_id: panel for panel in panels or []}
    if (
        not sees_every_vacancy(identity)
        and panels is not None
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
            "design": design.value if design else None,
            "seats": seats,
            "candidates": candidates.items if candidates else [],
            "more_candidates": bool(candidates and candidates.next),
            # recruitment-api moves a vacancy one step at a time: its next status is the one it names.
            "next_status": vacancy.next_statuses[0] if vacancy and vacancy.next_statuses else None,
            "created": query.get("created") == "1",
            "changed": query.get("changed"),
            "errors": errors or {},
            "notice": notice,
        },
        status_code=notice.status_code if notice and vacancy is None else status_code,
    )


async def _nothing() -> None:
    return None


@router.get("/{vacancy_id}")
async def show_vacancy(request: Request, at: VacancyPath, identity: Reader, client: Client) -> Response:
    return await _vacancy_page(request, identity, client, at)


@router.post("/{vacancy_id}/status")
async def change_status(
    request: Request,
    at: VacancyPath,
    identity: Admin,
    client: Client,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    target = member(VacancyStatus, status)
    if target is None:
        errors = {"status": "Choose the next status"}
        return await _vacancy_page(request, identity, client, at, errors=errors, status_code=422)
    body = unvalidated(StatusChange, status=target)
    outcome = await attempt(client.send(recruitment.change_status(at.vacancy_id, body)))
    if outcome.ok:
        return see_other(f"{at.vacancy_url}?changed={status}")
    if outcome.notice:
        errors = {"status": f"The status did not change. {outcome.notice.text}"}
        return await _vacancy_page(request, identity, client, at, errors=errors)
    assert outcome.problem is not None
    errors = problem_messages(outcome.problem, {}, general="status")
    return await _vacancy_page(request, identity, client, at, errors=errors, status_code=form_status(outcome.problem))


# --- the assessment design ------------------------------------------------------------------


async def _design_page(
    request: Request,
    client: ServiceClient,
    at: AtVacancy,
    *,
    stages: list[StageForm] | None = None,
    etag: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (vacancy, read), notice = await gather(
        client.send(recruitment.read_vacancy(at.vacancy_id)), client.send(recruitment.read_design(at.vacancy_id))
    )
    context = {
        "page_title": f"Assessment design: {vacancy.title}" if vacancy else "Assessment design",
        "vacancy": vacancy,
        "vacancy_id": at.vacancy_id,
        "design": read.value if read else None,
        "notice": notice,
        "errors": errors or {},
    }
    if vacancy is None or read is None:
        return render(request, "recruitment/design.html", context, status_code=notice.status_code if notice else 200)
    codes = criteria_codes(vacancy.criteria)
    if stages is None:
        stages = stages_from_design(read.value, codes)
        if len(stages) < MAX_STAGES:
            stages.append(blank_stage(codes))
    context.update(
        {
            "stages": stages,
            "etag": etag or read.etag or "",
            # The design can change until the first sheet is submitted, and while the vacancy can still change.
            "locked": read.value.locked or vacancy.status in (VacancyStatus.decided, VacancyStatus.closed),
            "can_add": len(stages) < MAX_STAGES,
        }
    )
    return render(request, "recruitment/design.html", context, status_code=status_code)


@router.get("/{vacancy_id}/design")
async def design_form(request: Request, at: VacancyPath, identity: Admin, client: Client) -> Response:
    return await _design_page(request, client, at)


@router.post("/{vacancy_id}/design")
async def save_design(request: Request, at: VacancyPath, identity: Admin, client: Client) -> Response:
    form = await request.form()
    etag = str(form.get("etag", ""))
    (vacancy,), _notice = await gather(client.send(recruitment.read_vacancy(at.vacancy_id)))
    if vacancy is None:
        return await _design_page(request, client, at)
    codes = criteria_codes(vacancy.criteria)
    stages = stages_from_form(form, codes)
    if form.get("action") == "add":
        if len(stages) < MAX_STAGES:
            stages.append(blank_stage(codes))
        return await _design_page(request, client, at, stages=stages, etag=etag)
    body, errors, slots = design_body(stages)
    if not etag:
        errors["problem"] = "Open the design page again before saving: the form is missing its version"
    if errors:
        return await _design_page(request, client, at, stages=stages, etag=etag, errors=errors, status_code=422)
    outcome = await attempt(client.send(recruitment.put_design(at.vacancy_id, body, if_match=etag)))
    if outcome.ok:
        return see_other(f"{at.vacancy_url}?changed=design")
    if outcome.notice:
        errors = {"problem": f"The design was not saved. {outcome.notice.text}"}
        return await _design_page(request, client, at, stages=stages, etag=etag, errors=errors)
    problem = outcome.problem
    assert problem is not None
    if problem.status == 412:
        # Someone else saved the design meanwhile: show theirs, with its new ETag.
        errors = {
            "problem": "Someone else changed this design since you opened the page, so yours was not saved. "
            "This is the design as it is now: make your changes again."
        }
        return await _design_page(request, client, at, errors=errors, status_code=412)
    if problem.status == 409:
        if problem.slug == "design-locked":
            message = (
                "The design is locked: the first score sheet has been submitted, so the stages, criteria, "
                "weights and thresholds can no longer change."
            )
        else:
            message = problem.detail or "The design can no longer change."
        return await _design_page(request, client, at, errors={"problem": message}, status_code=409)
    errors = design_problem_errors(problem.field_errors(), slots, problem.detail)
    return await _design_page(request, client, at, stages=stages, etag=etag, errors=errors, status_code=422)


async def assessor_choices(request: Request, identity: Identity) -> dict[str, str]:
    """The organisation's active users who can score, by id: the people a panel can have."""
    return await in_session(request.app, people_with_scope, identity.user.org, "recruitment:score")
