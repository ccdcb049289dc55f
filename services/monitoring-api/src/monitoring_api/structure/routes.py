"""HTTP routes for the organisation structure: organisations, directorates and teams."""

from __future__ import annotations

import io
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from monitoring_api.db import SessionDep
from monitoring_api.deps import Admin, Reader
from monitoring_api.structure import models as m
from monitoring_api.structure import service
from monitoring_api.structure.csv_format import CsvProblems, export_header, parse_units
from servicekit import csvio, uploads
from servicekit.errors import not_found, unprocessable
from servicekit.etags import check_if_match, not_modified
from servicekit.idempotency import Idempotency, fingerprint
from servicekit.pagination import DEFAULT_LIMIT, Page, next_link, read_cursor
from servicekit.params import Cursor, IdempotencyKey, IfMatch, Limit
from servicekit.problems import problem_responses

router = APIRouter(tags=["structure"])

UNITS_CSV_EXAMPLE = "code,name,kind,parent\nACUTE,Acute Services,directorate,\nWARD7,Ward 7 (Respiratory),team,ACUTE\n"


@router.get(
    "/organisations",
    summary="The HSC organisations you can see (yours; every one with monitoring:regional)",
    response_model=Page[m.UnitPublic],
)
def list_organisations(session: SessionDep, principal: Reader) -> Page[m.UnitPublic]:
    return Page[m.UnitPublic](items=service.units_public(session, service.organisations(session, principal)))


@router.get(
    "/units",
    summary="Units in path order: a subtree (`under`) or everything you can see",
    response_model=Page[m.UnitPublic],
    responses=problem_responses(404),
)
def list_units(
    request: Request,
    session: SessionDep,
    principal: Reader,
    under: Annotated[uuid.UUID | None, Query(description="A unit: list it and everything below it.")] = None,
    kind: Annotated[m.UnitKind | None, Query()] = None,
    level: Annotated[int | None, Query(ge=1, le=m.MAX_DEPTH, description="1 = organisations.")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[m.UnitPublic]:
    root = service.get_unit(session, principal, under) if under else None
    rows, position = service.list_units(
        session, principal, root, kind.value if kind else None, level, limit, read_cursor(request, cursor)
    )
    return Page[m.UnitPublic](items=service.units_public(session, rows), next=next_link(request, position))


@router.get(
    "/units.csv",
    summary="Your structure as CSV (the columns the import takes)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": UNITS_CSV_EXAMPLE}}}},
)
def export_units(session: SessionDep, principal: Reader) -> Response:
    root = service.organisation_root(session, principal.org)
    rows, _ = service.list_units(session, principal, root, None, None, 100_000, None)
    parents = service.units_by_id(session, (u.parent_id for u in rows))
    out = io.StringIO()
    writer = csvio.writer(out)
    writer.writerow(export_header())
    for unit in rows:
        if unit.level == 1:
            continue
        parent = parents.get(unit.parent_id) if unit.parent_id is not None else None
        writer.writerow([unit.code, unit.name, unit.kind, parent.code if parent and parent.level > 1 else ""])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{principal.org}-structure.csv"'},
    )


@router.post(
    "/units",
    status_code=201,
    summary="Add a directorate or team to your organisation",
    response_model=m.UnitPublic,
    responses=problem_responses(404, 409),
)
def create_unit(body: m.UnitCreate, session: SessionDep, principal: Admin, idempotency_key: IdempotencyKey = None):
    idem = Idempotency(session, principal, idempotency_key, "POST /units", body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    unit = service.create_unit(session, principal, body)
    payload = service.units_public(session, [unit])[0].model_dump(mode="json")
    return idem.respond(201, payload, {"Location": f"/units/{unit.uid}"}, unstored={"ETag": service.unit_etag(unit)})


@router.post(
    "/units/import",
    status_code=201,
    summary="Import directorates and teams from CSV: all or nothing, errors numbered by row",
    response_model=m.UnitImportResult,
    responses=problem_responses(404, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": UNITS_CSV_EXAMPLE}},
        }
    },
)
async def import_units(request: Request, session: SessionDep, principal: Admin, idempotency_key: IdempotencyKey = None):
    uploads.media_type(request, (uploads.CSV,))
    raw = await request.body()
    text = uploads.csv_text(raw)
    try:
        rows = parse_units(text, principal.org)
    except CsvProblems as exc:
        slug = "csv-invalid" if exc.fatal else "import-invalid"
        raise unprocessable(
            f"{len(exc.errors)} problem(s) in the CSV; nothing was imported.", exc.errors[:1000], slug=slug
        ) from exc
    idem = Idempotency(session, principal, idempotency_key, "POST /units/import", fingerprint(raw))
    if replayed := idem.replay():
        return replayed
    outcome = service.import_units(session, principal, rows)
    counts = {how: sum(1 for _, _, h in outcome if h == how) for how in ("created", "renamed", "unchanged")}
    result = m.UnitImportResult(
        **counts,
        units=[m.ImportedUnit(row=r.row, code=r.code, id=u.uid, outcome=how) for r, u, how in outcome],
    )
    return idem.respond(201, result.model_dump(mode="json"))


@router.get(
    "/units/{unit_id}",
    summary="Read a unit",
    response_model=m.UnitPublic,
    responses=problem_responses(404),
)
def read_unit(request: Request, unit_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    unit = service.get_unit(session, principal, unit_id)
    etag = service.unit_etag(unit)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(service.units_public(session, [unit])[0].model_dump(mode="json"), headers={"ETag": etag})


@router.patch(
    "/units/{unit_id}",
    summary="Rename a unit of your organisation (needs If-Match)",
    response_model=m.UnitPublic,
    responses=problem_responses(404, 412, 428),
)
def rename_unit(
    request: Request,
    unit_id: uuid.UUID,
    body: m.UnitUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatch = None,
) -> Response:
    unit = service.get_unit(session, principal, unit_id)
    if unit.org != principal.org:
        raise not_found("organisation unit")
    check_if_match(request, service.unit_etag(unit), required=True)
    service.rename_unit(session, principal, unit, body)
    session.commit()
    return JSONResponse(
        service.units_public(session, [unit])[0].model_dump(mode="json"), headers={"ETag": service.unit_etag(unit)}
    )
