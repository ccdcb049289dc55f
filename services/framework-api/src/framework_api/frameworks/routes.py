"""HTTP routes for frameworks, versions and items: parse, authorise, call the service, shape."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from framework_api.db import SessionDep
from framework_api.deps import Reader, Writer
from framework_api.frameworks import models as m
from framework_api.frameworks import service
from framework_api.frameworks.content import AssociationType, Audience, ItemType, VersionStatus
from servicekit.etags import check_if_match, not_modified, strong_etag
from servicekit.idempotency import Idempotency
from servicekit.pagination import DEFAULT_LIMIT, Page, next_link, read_cursor
from servicekit.params import Cursor, IdempotencyKey, IfMatch, Limit
from servicekit.problems import problem_responses

router = APIRouter()

# Every write to a draft: not found, not a draft, stale If-Match, no If-Match.
WRITE_PROBLEMS = problem_responses(404, 409, 412, 428)

# Published content never changes, so clients and caches may keep it.
IMMUTABLE = "private, max-age=86400, immutable"


def cached_json(request: Request, body: object, version: m.FrameworkVersion, representation: str) -> Response:
    """Serve a version's representation with a strong ETag; immutable caching once published."""
    if version.status == VersionStatus.draft:
        etag = strong_etag(f"{version.uid}:{version.updated_at.isoformat()}:{representation}")
        cache = "private, no-cache"
    else:
        etag = strong_etag(f"{version.content_hash}:{version.status}:{representation}")
        cache = IMMUTABLE
    headers = {"ETag": etag, "Cache-Control": cache}
    if not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    if isinstance(body, bytes):
        return Response(body, media_type="application/json", headers=headers)
    return JSONResponse(body, headers=headers)


def draft_etag(version: m.FrameworkVersion) -> str:
    return strong_etag(f"{version.uid}:{version.updated_at.isoformat()}:version")


# --- frameworks -----------------------------------------------------------------------------


@router.get("/frameworks", tags=["frameworks"], summary="List frameworks", response_model=Page[m.FrameworkPublic])
def list_frameworks(
    request: Request, session: SessionDep, principal: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[m.FrameworkPublic]:
    """Frameworks with a published version, and the caller's organisation's own drafts."""
    rows, position = service.list_frameworks(session, principal, limit, read_cursor(request, cursor))
    items = [service.framework_public(session, principal, f) for f in rows]
    return Page[m.FrameworkPublic](items=items, next=next_link(request, position))


@router.post(
    "/frameworks",
    tags=["frameworks"],
    status_code=201,
    summary="Create a framework with a first draft",
    response_model=m.FrameworkPublic,
    responses=problem_responses(409),
)
def create_framework(
    session: SessionDep, principal: Writer, body: m.FrameworkCreate, idempotency_key: IdempotencyKey = None
) -> Response:
    idem = Idempotency(session, principal, idempotency_key, "POST /frameworks", body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    framework = service.create_framework(session, principal, body)
    payload = service.framework_public(session, principal, framework).model_dump(mode="json")
    location = {"Location": f"/frameworks/{framework.uid}"}
    return idem.respond(201, payload, location)


@router.get(
    "/frameworks/{framework_id}",
    tags=["frameworks"],
    summary="Read a framework and its versions",
    response_model=m.FrameworkPublic,
    responses=problem_responses(404),
)
def read_framework(framework_id: uuid.UUID, session: SessionDep, principal: Reader) -> m.FrameworkPublic:
    return service.framework_public(session, principal, service.get_framework(session, principal, framework_id))


@router.get(
    "/frameworks/{framework_id}/versions",
    tags=["frameworks"],
    summary="List a framework's versions, oldest first",
    response_model=Page[m.VersionSummary],
    responses=problem_responses(404),
)
def list_versions(
    request: Request,
    framework_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[m.VersionSummary]:
    framework = service.get_framework(session, principal, framework_id)
    items, position = service.list_versions(session, principal, framework, limit, read_cursor(request, cursor))
    return Page[m.VersionSummary](items=items, next=next_link(request, position))


@router.post(
    "/frameworks/{framework_id}/versions",
    tags=["frameworks"],
    status_code=201,
    summary="Start a new draft version, copied from the latest published one",
    response_model=m.VersionPublic,
    responses=problem_responses(404, 409),
)
def create_version(
    framework_id: uuid.UUID,
    session: SessionDep,
    principal: Writer,
    body: m.VersionCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    operation = f"POST /frameworks/{framework_id}/versions"
    idem = Idempotency(session, principal, idempotency_key, operation, body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    framework = service.get_framework(session, principal, framework_id)
    version = service.create_version(session, principal, framework, body)
    payload = service.version_public(session, version, framework).model_dump(mode="json")
    headers = {"Location": f"/versions/{version.uid}"}
    return idem.respond(201, payload, headers, unstored={"ETag": draft_etag(version)})


# --- versions -------------------------------------------------------------------------------


@router.get(
    "/versions/{version_id}",
    tags=["frameworks"],
    summary="Read a version",
    response_model=m.VersionPublic,
    responses={**problem_responses(404), 304: {"description": "Not modified"}},
)
def read_version(request: Request, version_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    version, framework = service.get_version(session, principal, version_id)
    return cached_json(
        request, service.version_public(session, version, framework).model_dump(mode="json"), version, "version"
    )


@router.delete(
    "/versions/{version_id}",
    tags=["frameworks"],
    status_code=204,
    summary="Discard a draft version",
    responses=WRITE_PROBLEMS,
)
def discard_draft(
    request: Request, version_id: uuid.UUID, session: SessionDep, principal: Writer, if_match: IfMatch = None
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    service.discard_draft(session, principal, version, framework)
    session.commit()
    return Response(status_code=204)


@router.get(
    "/versions/{version_id}/tree",
    tags=["items"],
    summary="The version's items as a tree",
    response_model=m.VersionTree,
    responses={**problem_responses(404), 304: {"description": "Not modified"}},
)
def read_tree(request: Request, version_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    version, framework = service.get_version(session, principal, version_id)
    return cached_json(request, service.tree_json(session, version, framework), version, "tree")


@router.get(
    "/versions/{version_id}/items",
    tags=["items"],
    summary="Search the items of a version",
    response_model=Page[m.ItemPublic],
    responses=problem_responses(404),
)
def search_items(
    request: Request,
    version_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=200, description="Text in the code, statement or description.")] = None,
    type: Annotated[list[ItemType] | None, Query(description="Item types; repeat for several.")] = None,
    audience: Annotated[Audience | None, Query()] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[m.ItemPublic]:
    version, _ = service.get_version(session, principal, version_id)
    items, position = service.search_items(
        session,
        version,
        text=q,
        types=[t.value for t in type] if type else None,
        audience=audience.value if audience else None,
        limit=limit,
        after=read_cursor(request, cursor),
    )
    return Page[m.ItemPublic](items=items, next=next_link(request, position))


@router.get(
    "/versions/{version_id}/items/{identifier}",
    tags=["items"],
    summary="Read an item with its descriptors and links",
    response_model=m.ItemDetail,
    responses=problem_responses(404),
)
def read_item(version_id: uuid.UUID, identifier: uuid.UUID, session: SessionDep, principal: Reader) -> m.ItemDetail:
    version, _ = service.get_version(session, principal, version_id)
    return service.item_detail(session, version, service.get_item(session, version, identifier))


def _draft_for_write(session, principal, version_id: uuid.UUID, request: Request):
    version, framework = service.get_version(session, principal, version_id)
    service.require_draft(principal, version, framework)
    # Every write changes the draft as a whole (its ETag), so every write must name the state it
    # was made against: without it two editors silently overwrite each other.
    check_if_match(request, draft_etag(version), required=True)
    return version, framework


def _written(session, version: m.FrameworkVersion, payload, status: int = 200) -> Response:
    session.commit()
    headers = {"ETag": draft_etag(version)}
    if payload is None:
        return Response(status_code=204, headers=headers)
    return JSONResponse(payload, status_code=status, headers=headers)


@router.post(
    "/versions/{version_id}/items",
    tags=["items"],
    status_code=201,
    summary="Add an item to a draft",
    response_model=m.ItemDetail,
    responses=WRITE_PROBLEMS,
)
def add_item(
    request: Request,
    version_id: uuid.UUID,
    body: m.ItemCreate,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    item = service.add_item(session, principal, version, framework, body)
    return _written(session, version, service.item_detail(session, version, item).model_dump(mode="json"), 201)


@router.patch(
    "/versions/{version_id}/items/{identifier}",
    tags=["items"],
    summary="Change an item in a draft",
    response_model=m.ItemDetail,
    responses=WRITE_PROBLEMS,
)
def update_item(
    request: Request,
    version_id: uuid.UUID,
    identifier: uuid.UUID,
    body: m.ItemUpdate,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    item = service.update_item(
        session, principal, version, framework, service.get_item(session, version, identifier), body
    )
    return _written(session, version, service.item_detail(session, version, item).model_dump(mode="json"))


@router.delete(
    "/versions/{version_id}/items/{identifier}",
    tags=["items"],
    status_code=204,
    summary="Remove an item from a draft",
    responses=WRITE_PROBLEMS,
)
def delete_item(
    request: Request,
    version_id: uuid.UUID,
    identifier: uuid.UUID,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    service.delete_item(session, principal, version, framework, service.get_item(session, version, identifier))
    return _written(session, version, None)


@router.post(
    "/versions/{version_id}/associations",
    tags=["items"],
    status_code=201,
    summary="Link two items of a draft (exact match, related, replaced by)",
    response_model=m.AssociationPublic,
    responses=WRITE_PROBLEMS,
)
def add_association(
    request: Request,
    version_id: uuid.UUID,
    body: m.AssociationCreate,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    assoc = service.add_association(session, principal, version, framework, body)
    destination = service.get_item(session, version, assoc.destination)
    public = m.AssociationPublic(
        id=assoc.identifier,
        type=AssociationType(assoc.type),
        direction="outgoing",
        other=m.ItemRef.model_validate(destination),
    )
    return _written(session, version, public.model_dump(mode="json"), 201)


@router.delete(
    "/versions/{version_id}/associations/{association_id}",
    tags=["items"],
    status_code=204,
    summary="Remove a link from a draft",
    responses=WRITE_PROBLEMS,
)
def delete_association(
    request: Request,
    version_id: uuid.UUID,
    association_id: uuid.UUID,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    service.delete_association(
        session, principal, version, framework, service.get_association(session, version, association_id)
    )
    return _written(session, version, None)


@router.put(
    "/versions/{version_id}/items/{identifier}/descriptors/{level}",
    tags=["items"],
    summary="Set an item's descriptor at one level of the scale",
    response_model=m.ItemDetail,
    responses=WRITE_PROBLEMS,
)
def put_descriptor(
    request: Request,
    version_id: uuid.UUID,
    identifier: uuid.UUID,
    level: Annotated[str, Path(max_length=50)],
    body: m.DescriptorWrite,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    item = service.get_item(session, version, identifier)
    service.put_descriptor(session, principal, version, framework, item, level, body.description)
    return _written(session, version, service.item_detail(session, version, item).model_dump(mode="json"))


@router.delete(
    "/versions/{version_id}/items/{identifier}/descriptors/{level}",
    tags=["items"],
    status_code=204,
    summary="Remove an item's descriptor at one level",
    responses=WRITE_PROBLEMS,
)
def delete_descriptor(
    request: Request,
    version_id: uuid.UUID,
    identifier: uuid.UUID,
    level: Annotated[str, Path(max_length=50)],
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    service.delete_descriptor(
        session, principal, version, framework, service.get_item(session, version, identifier), level
    )
    return _written(session, version, None)


@router.put(
    "/versions/{version_id}/scale",
    tags=["items"],
    summary="Replace a draft's scale and its levels",
    response_model=m.VersionPublic,
    responses=WRITE_PROBLEMS,
)
def put_scale(
    request: Request,
    version_id: uuid.UUID,
    body: m.ScaleWrite,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    service.put_scale(session, principal, version, framework, body)
    return _written(session, version, service.version_public(session, version, framework).model_dump(mode="json"))


@router.get(
    "/versions/{version_id}/publication-check",
    tags=["frameworks"],
    summary="Every reason the draft cannot be published yet",
    response_model=m.PublicationCheck,
    responses=problem_responses(404),
)
def publication_check(version_id: uuid.UUID, session: SessionDep, principal: Reader) -> m.PublicationCheck:
    version, framework = service.get_version(session, principal, version_id)
    return service.publication_check(session, version, framework)


@router.post(
    "/versions/{version_id}/publish",
    tags=["frameworks"],
    summary="Publish a draft (it never changes again)",
    response_model=m.VersionPublic,
    responses=WRITE_PROBLEMS,
)
def publish(
    request: Request,
    version_id: uuid.UUID,
    body: m.PublishRequest,
    session: SessionDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> Response:
    version, framework = _draft_for_write(session, principal, version_id, request)
    service.publish(session, principal, version, framework, body.change_note)
    session.commit()
    return JSONResponse(service.version_public(session, version, framework).model_dump(mode="json"))


@router.post(
    "/versions/{version_id}/deprecate",
    tags=["frameworks"],
    summary="Deprecate a published version",
    response_model=m.VersionPublic,
    responses=problem_responses(404, 409),
)
def deprecate(version_id: uuid.UUID, session: SessionDep, principal: Writer) -> m.VersionPublic:
    version, framework = service.get_version(session, principal, version_id)
    service.deprecate(session, principal, version, framework)
    session.commit()
    return service.version_public(session, version, framework)
