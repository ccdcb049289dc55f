"""Exchange: CASE 1.1 packages, CSV export and import, and the diff between two versions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from framework_api.db import SessionDep
from framework_api.deps import Reader, Writer
from framework_api.exchange import case, service
from framework_api.exchange.models import VersionDiffPublic
from framework_api.frameworks import models as m
from framework_api.frameworks import service as frameworks
from framework_api.frameworks.routes import cached_json, draft_etag
from servicekit import uploads
from servicekit.etags import check_if_match
from servicekit.idempotency import Idempotency, fingerprint
from servicekit.params import IdempotencyKey, IfMatch
from servicekit.problems import problem_responses

router = APIRouter(tags=["exchange"])

CSV_MEDIA_TYPE = "text/csv"
# The package's representation in its ETag names the format revision (see case.FORMAT_REVISION).
CASE_ETAG = f"case:{case.FORMAT_REVISION}"


@router.get(
    "/versions/{version_id}/diff",
    summary="What changed between two versions, by item identifier",
    response_model=VersionDiffPublic,
    responses=problem_responses(404),
)
def diff(
    version_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    from_: Annotated[uuid.UUID, Query(alias="from", description="The earlier version to compare against.")],
) -> VersionDiffPublic:
    old = frameworks.get_version(session, principal, from_)
    new = frameworks.get_version(session, principal, version_id)
    return service.diff(session, old, new)


@router.get(
    "/versions/{version_id}/case",
    summary="Export as a 1EdTech CASE 1.1 CFPackage (JSON)",
    responses={
        **problem_responses(404),
        200: {"description": "A CASE 1.1 CFPackage", "content": {"application/json": {"schema": {"type": "object"}}}},
        304: {"description": "Not modified"},
    },
)
def export_case(request: Request, version_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    version, framework = frameworks.get_version(session, principal, version_id)
    base_url = request.app.state.settings.public_base_url
    return cached_json(request, service.case_package(session, version, framework, base_url), version, CASE_ETAG)


# One route per kind, so OpenAPI lists each: the version is a CASE service root with the REST
# binding's paths below it, and each object answers at the URI the package gives it.
def _case_object_route(kind: str):
    def read_case_object(
        request: Request, version_id: uuid.UUID, identifier: uuid.UUID, session: SessionDep, principal: Reader
    ) -> Response:
        version, framework = frameworks.get_version(session, principal, version_id)
        base_url = request.app.state.settings.public_base_url
        body = service.case_entry(session, version, framework, base_url, kind, str(identifier))
        return cached_json(request, body, version, f"{CASE_ETAG}:{kind}:{identifier}")

    return read_case_object


for _kind, _name in case.KINDS.items():
    router.add_api_route(
        f"/versions/{{version_id}}/case/{_kind}/{{identifier}}",
        _case_object_route(_kind),
        methods=["GET"],
        name=f"read_{_name}",
        summary=f"One {_name} of the version's CASE 1.1 package (the target of its `uri`)",
        responses={
            **problem_responses(404),
            200: {
                "description": f"A CASE 1.1 {_name}",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            304: {"description": "Not modified"},
        },
    )


@router.get(
    "/versions/{version_id}/csv",
    summary="Export the version as CSV (one row per item)",
    responses={
        **problem_responses(404),
        200: {"description": "CSV", "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}},
    },
)
def export_csv(version_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    version, framework = frameworks.get_version(session, principal, version_id)
    filename = f"framework-{version.version}.csv"
    return Response(
        service.csv_export(session, version, framework),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/versions/{version_id}/csv",
    summary="Import a CSV into a draft, replacing its items (all or nothing)",
    response_model=m.ImportResult,
    responses=problem_responses(404, 409, 412, 415, 428),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                CSV_MEDIA_TYPE: {
                    "schema": {"type": "string"},
                    "example": "identifier,code,type,statement,description,audience,parent_code,sequence,source,"
                    "associations,descriptor:essential,descriptor:proficient,descriptor:strong,descriptor:exemplary\n"
                    ",V9,value,Kindness,,all_staff,,0,Local values,,Rarely,Often,Usually,Always\n",
                }
            },
        }
    },
)
async def import_csv(
    request: Request,
    version_id: uuid.UUID,
    session: SessionDep,
    principal: Writer,
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> Response:
    uploads.media_type(request, (CSV_MEDIA_TYPE, "application/csv"), "Send the CSV with Content-Type: text/csv.")
    raw = await request.body()
    text = uploads.csv_text(raw, "utf-8-sig")
    idem = Idempotency(session, principal, idempotency_key, f"POST /versions/{version_id}/csv", fingerprint(raw))
    if replayed := idem.replay():
        return replayed
    version, framework = frameworks.get_version(session, principal, version_id)
    frameworks.require_draft(principal, version, framework)
    check_if_match(request, draft_etag(version), required=True)
    result = service.csv_import(session, principal, version, framework, text)
    return idem.respond(200, result.model_dump(mode="json"), unstored={"ETag": draft_etag(version)})
