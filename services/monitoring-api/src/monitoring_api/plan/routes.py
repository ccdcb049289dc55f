"""HTTP routes for the implementation plan: actions, plan items, check-ins and the roll-up."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from monitoring_api.db import SessionDep
from monitoring_api.deps import Admin, Reader, Writer
from monitoring_api.plan import models as m
from monitoring_api.plan import service
from servicekit.etags import check_if_match, not_modified
from servicekit.idempotency import Idempotency
from servicekit.pagination import DEFAULT_LIMIT, Page, next_link, read_cursor
from servicekit.params import Cursor, IdempotencyKey, IfMatch, Limit
from servicekit.problems import problem_responses

router = APIRouter(tags=["plan"])


@router.get(
    "/actions",
    summary="The strategy's nine actions, with phase, due date and components",
    response_model=Page[m.ActionPublic],
)
def list_actions(session: SessionDep, principal: Reader) -> Page[m.ActionPublic]:
    return Page[m.ActionPublic](items=[service.action_public(a) for a in service.list_actions(session)])


@router.get(
    "/actions/{action_id}",
    summary="One of the strategy's actions",
    response_model=m.ActionPublic,
    responses=problem_responses(404),
)
def read_action(action_id: uuid.UUID, session: SessionDep, principal: Reader) -> m.ActionPublic:
    return service.action_public(service.get_action(session, action_id))


@router.get(
    "/plan/items",
    summary="Plan items: your organisation's (every organisation's with monitoring:regional)",
    response_model=Page[m.PlanItemPublic],
)
def list_items(
    request: Request,
    session: SessionDep,
    principal: Reader,
    org: Annotated[str | None, Query(max_length=50, description="Only this organisation's items.")] = None,
    status: Annotated[m.PlanStatus | None, Query()] = None,
    action: Annotated[
        str | None, Query(max_length=20, description="Only items adopting this action (A1 to A9).")
    ] = None,
    overdue: Annotated[bool | None, Query(description="true: only items whose next check-in is overdue.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[m.PlanItemPublic]:
    rows, position = service.list_items(
        session,
        principal,
        org=org,
        status=status.value if status else None,
        action=action,
        overdue=overdue,
        limit=limit,
        after=read_cursor(request, cursor),
    )
    return Page[m.PlanItemPublic](items=service.plan_item_public(session, rows), next=next_link(request, position))


@router.post(
    "/plan/items",
    status_code=201,
    summary="Adopt a strategy action into your plan, or add a local action",
    response_model=m.PlanItemPublic,
    responses=problem_responses(409),
)
def create_item(body: m.PlanItemCreate, session: SessionDep, principal: Admin, idempotency_key: IdempotencyKey = None):
    idem = Idempotency(session, principal, idempotency_key, "POST /plan/items", body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    item = service.create_item(session, principal, body)
    payload = service.plan_item_public(session, [item])[0].model_dump(mode="json")
    headers = {"Location": f"/plan/items/{item.uid}"}
    return idem.respond(201, payload, headers, unstored={"ETag": service.item_etag(item)})


@router.get(
    "/plan/items/{item_id}",
    summary="A plan item with its milestones, links and latest check-in",
    response_model=m.PlanItemPublic,
    responses=problem_responses(404),
)
def read_item(request: Request, item_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    item = service.get_item(session, principal, item_id)
    etag = service.item_etag(item)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(service.plan_item_public(session, [item])[0].model_dump(mode="json"), headers={"ETag": etag})


@router.patch(
    "/plan/items/{item_id}",
    summary="Change a plan item (needs If-Match); its status changes only through a check-in",
    response_model=m.PlanItemPublic,
    responses=problem_responses(404, 412, 428),
)
def update_item(
    request: Request,
    item_id: uuid.UUID,
    body: m.PlanItemUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatch = None,
) -> Response:
    item = service.get_item(session, principal, item_id, writing=True)
    check_if_match(request, service.item_etag(item), required=True)
    service.update_item(session, principal, item, body)
    session.commit()
    return JSONResponse(
        service.plan_item_public(session, [item])[0].model_dump(mode="json"), headers={"ETag": service.item_etag(item)}
    )


@router.get(
    "/plan/items/{item_id}/check-ins",
    summary="The item's check-ins, newest first (never overwritten)",
    response_model=Page[m.CheckInPublic],
    responses=problem_responses(404),
)
def list_check_ins(
    request: Request,
    item_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[m.CheckInPublic]:
    item = service.get_item(session, principal, item_id)
    rows, position = service.check_ins_of(session, item, limit, read_cursor(request, cursor))
    return Page[m.CheckInPublic](
        items=[service.check_in_public(c, item.uid) for c in rows], next=next_link(request, position)
    )


@router.post(
    "/plan/items/{item_id}/check-ins",
    status_code=201,
    summary="Check in: the only way an item's status changes",
    response_model=m.CheckInPublic,
    responses=problem_responses(404, 409),
)
def create_check_in(
    item_id: uuid.UUID,
    body: m.CheckInCreate,
    session: SessionDep,
    principal: Writer,
    idempotency_key: IdempotencyKey = None,
):
    operation = f"POST /plan/items/{item_id}/check-ins"
    idem = Idempotency(session, principal, idempotency_key, operation, body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    item = service.get_item(session, principal, item_id, writing=True)
    entry = service.check_in(session, principal, item, body)
    payload = service.check_in_public(entry, item.uid).model_dump(mode="json")
    headers = {"Location": f"/plan/items/{item.uid}/check-ins/{entry.uid}"}
    return idem.respond(201, payload, headers)


@router.post(
    "/plan/items/{item_id}/check-ins/{check_in_id}/acknowledgement",
    summary="Acknowledge a check-in (its reviewer; once; never its author)",
    response_model=m.CheckInPublic,
    responses=problem_responses(404, 409),
)
def acknowledge(
    item_id: uuid.UUID,
    check_in_id: uuid.UUID,
    session: SessionDep,
    principal: Writer,
    body: m.AcknowledgeBody | None = None,
) -> m.CheckInPublic:
    item = service.get_item(session, principal, item_id, writing=True)
    entry = service.get_check_in(session, item, check_in_id)
    service.acknowledge(session, principal, item, entry, body or m.AcknowledgeBody())
    session.commit()
    return service.check_in_public(entry, item.uid)


@router.get(
    "/plan/rollup",
    summary="For each strategy action: organisations in each status, and which are off track",
    response_model=m.Rollup,
)
def rollup(session: SessionDep, principal: Reader) -> m.Rollup:
    return service.rollup(session, principal)
