"""HTTP routes for indicators: definitions, targets, values (bulk ingest, series, history), charts with
SPC and their choices, the stateless SPC calculator and the summary table."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from typing import IO, Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from monitoring_api.db import SessionDep
from monitoring_api.deps import Admin, Reader, Writer
from monitoring_api.indicators import ingest, service, summary
from monitoring_api.indicators import models as m
from monitoring_api.structure import service as structure
from servicekit import uploads
from servicekit.etags import check_if_match, not_modified
from servicekit.idempotency import Idempotency
from servicekit.pagination import DEFAULT_LIMIT, Page, next_link, read_cursor
from servicekit.params import Cursor, IdempotencyKey, IfMatch, Limit
from servicekit.problems import problem_responses

router = APIRouter(tags=["indicators"])

SERIES = "/indicators/{indicator_id}/units/{unit_id}"
VALUES_CSV_EXAMPLE = (
    "indicator,unit,period,numerator,denominator\n"
    "SICKNESS-ABSENCE,WARD7,2026-09-01,398,7300\n"
    "SICKNESS-ABSENCE,WARD7,2026-10-01,412.5,7300\n"
)


# --- definitions ----------------------------------------------------------------------------


@router.get(
    "/indicators",
    summary="Indicators you can see: regional ones and your organisation's",
    response_model=Page[m.IndicatorPublic],
)
def list_indicators(
    request: Request,
    session: SessionDep,
    principal: Reader,
    component: Annotated[
        str | None, Query(max_length=10, description="Only those linked to this component (C1 to C4).")
    ] = None,
    action: Annotated[
        str | None, Query(max_length=20, description="Only those linked to this action (A1 to A9).")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[m.IndicatorPublic]:
    rows, position = service.list_indicators(
        session, principal, component=component, action=action, limit=limit, after=read_cursor(request, cursor)
    )
    return Page[m.IndicatorPublic](items=service.indicators_public(session, rows), next=next_link(request, position))


@router.post(
    "/indicators",
    status_code=201,
    summary="Define an indicator (regional with monitoring:regional, else local to your organisation)",
    response_model=m.IndicatorPublic,
    responses=problem_responses(409),
)
def create_indicator(
    body: m.IndicatorCreate, session: SessionDep, principal: Admin, idempotency_key: IdempotencyKey = None
):
    idem = Idempotency(session, principal, idempotency_key, "POST /indicators", body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    indicator = service.create_indicator(session, principal, body)
    payload = service.indicators_public(session, [indicator])[0].model_dump(mode="json")
    headers = {"Location": f"/indicators/{indicator.uid}"}
    return idem.respond(201, payload, headers, unstored={"ETag": service.indicator_etag(session, indicator)})


@router.get(
    "/indicators/{indicator_id}",
    summary="An indicator's definition, SPC choices and targets",
    response_model=m.IndicatorPublic,
    responses=problem_responses(404),
)
def read_indicator(request: Request, indicator_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    indicator = service.get_indicator(session, principal, indicator_id)
    payload = service.indicators_public(session, [indicator])[0].model_dump(mode="json")
    etag = service.indicator_etag(session, indicator)
    if not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(payload, headers={"ETag": etag})


def _define(
    request: Request, session, principal, indicator_id: uuid.UUID, change: Callable[[m.Indicator], object]
) -> Response:
    """Change an indicator's definition (`change`), with If-Match, and answer with it and its new ETag."""
    indicator = service.get_indicator(session, principal, indicator_id)
    service.check_can_define(principal, indicator)
    check_if_match(request, service.indicator_etag(session, indicator), required=True)
    change(indicator)
    session.commit()
    payload = service.indicators_public(session, [indicator])[0].model_dump(mode="json")
    return JSONResponse(payload, headers={"ETag": service.indicator_etag(session, indicator)})


@router.patch(
    "/indicators/{indicator_id}",
    summary="Change an indicator's definition or SPC choices (needs If-Match)",
    response_model=m.IndicatorPublic,
    responses=problem_responses(404, 412, 428),
)
def update_indicator(
    request: Request,
    indicator_id: uuid.UUID,
    body: m.IndicatorUpdate,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatch = None,
) -> Response:
    return _define(
        request, session, principal, indicator_id, lambda i: service.update_indicator(session, principal, i, body)
    )


@router.put(
    "/indicators/{indicator_id}/targets",
    summary="Replace the indicator's targets, each in force from its date (needs If-Match)",
    response_model=m.IndicatorPublic,
    responses=problem_responses(404, 412, 428),
)
def put_targets(
    request: Request,
    indicator_id: uuid.UUID,
    body: m.TargetsWrite,
    session: SessionDep,
    principal: Admin,
    if_match: IfMatch = None,
) -> Response:
    return _define(
        request, session, principal, indicator_id, lambda i: service.put_targets(session, principal, i, body)
    )


# --- values ---------------------------------------------------------------------------------


def _json_rows(raw: bytes) -> list[tuple[int, list[str]]]:
    data = uploads.json_body(m.ValuesWrite, raw, "{count} problem(s) in the values; nothing was recorded.")
    return list(ingest.json_rows(data.values))


@router.post(
    "/values/import",
    status_code=201,
    summary="Record values in bulk (CSV or JSON): all or nothing, problems by row; a change is a new revision",
    response_model=m.IngestResult,
    responses=problem_responses(415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": VALUES_CSV_EXAMPLE},
                "application/json": {"schema": {"$ref": "#/components/schemas/ValuesWrite"}},
            },
        }
    },
)
async def import_values(
    request: Request, session: SessionDep, principal: Writer, idempotency_key: IdempotencyKey = None
):
    settings = request.app.state.settings

    def work(media_type: str, body: IO[bytes]) -> dict:
        rows: Iterable[tuple[int, ingest.Cells]]
        rows = ingest.csv_rows(uploads.text_of(body)) if media_type == uploads.CSV else _json_rows(body.read())
        result = ingest.ingest(session, principal, rows, batch_rows=settings.ingest_batch_rows)
        return result.model_dump(mode="json")

    return await uploads.streamed_import(request, session, principal, idempotency_key, "POST /values/import", work)


@router.get(
    SERIES + "/values",
    summary="The unit's series: values summed over its subtree per period, gaps included",
    response_model=m.Series,
    responses=problem_responses(404),
)
def read_series(indicator_id: uuid.UUID, unit_id: uuid.UUID, session: SessionDep, principal: Reader) -> m.Series:
    indicator = service.get_indicator(session, principal, indicator_id)
    unit = service.series_unit(session, principal, indicator, unit_id)
    return service.series_public(indicator, unit, service.unit_series(session, indicator, unit))


@router.get(
    SERIES + "/values/{period}",
    summary="Every revision of the value recorded for this unit and period, newest first",
    response_model=m.ValueHistory,
    responses=problem_responses(404),
)
def read_history(
    indicator_id: uuid.UUID, unit_id: uuid.UUID, period: date, session: SessionDep, principal: Reader
) -> m.ValueHistory:
    indicator = service.get_indicator(session, principal, indicator_id)
    unit = service.series_unit(session, principal, indicator, unit_id)
    return service.history(session, indicator, unit, period)


# --- charts ---------------------------------------------------------------------------------


@router.get(
    SERIES + "/chart",
    summary="The unit's XmR chart: SPC as NHSRplotthedots 0.2.2 computes it, with rebases, ghosts and annotations",
    response_model=m.Chart,
    responses=problem_responses(404),
)
def read_chart(
    indicator_id: uuid.UUID,
    unit_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    two_sigma: Annotated[
        bool | None,
        Query(description="Override the indicator's choice: Making Data Count's 2023 reading of the 2-of-3 rule."),
    ] = None,
) -> m.Chart:
    indicator = service.get_indicator(session, principal, indicator_id)
    unit = service.series_unit(session, principal, indicator, unit_id)
    return service.chart(session, indicator, unit, two_sigma)


def _series(session, principal, indicator_id: uuid.UUID, unit_id: uuid.UUID):
    indicator = service.get_indicator(session, principal, indicator_id)
    return indicator, service.series_unit(session, principal, indicator, unit_id)


def _created(session, public_of: Callable[[Any], BaseModel], choice: Any) -> JSONResponse:
    """Commit the chart choice just added and answer 201 with it as `public_of` shows it (once committed)."""
    session.commit()
    return JSONResponse(public_of(choice).model_dump(mode="json"), status_code=201)


def _remove(session, principal, indicator_id: uuid.UUID, unit_id: uuid.UUID, table, choice_id: uuid.UUID) -> Response:
    """Remove a rebase, ghost or annotation of the chart and answer 204."""
    indicator, unit = _series(session, principal, indicator_id, unit_id)
    service.remove_choice(session, principal, indicator, unit, table, choice_id)
    session.commit()
    return Response(status_code=204)


@router.post(
    SERIES + "/rebases",
    status_code=201,
    summary="Start a new SPC segment at a period, with the reason",
    response_model=m.RebasePublic,
    responses=problem_responses(404, 409),
)
def add_rebase(
    indicator_id: uuid.UUID, unit_id: uuid.UUID, body: m.RebaseWrite, session: SessionDep, principal: Writer
) -> JSONResponse:
    indicator, unit = _series(session, principal, indicator_id, unit_id)
    return _created(session, service.rebase_public, service.add_rebase(session, principal, indicator, unit, body))


@router.delete(
    SERIES + "/rebases/{rebase_id}", status_code=204, summary="Remove a rebase", responses=problem_responses(404)
)
def remove_rebase(
    indicator_id: uuid.UUID, unit_id: uuid.UUID, rebase_id: uuid.UUID, session: SessionDep, principal: Writer
) -> Response:
    return _remove(session, principal, indicator_id, unit_id, m.Rebase, rebase_id)


@router.post(
    SERIES + "/ghosts",
    status_code=201,
    summary="Ghost a point: shown on the chart, left out of the calculation, with the reason",
    response_model=m.GhostPublic,
    responses=problem_responses(404, 409),
)
def add_ghost(
    indicator_id: uuid.UUID, unit_id: uuid.UUID, body: m.GhostWrite, session: SessionDep, principal: Writer
) -> JSONResponse:
    indicator, unit = _series(session, principal, indicator_id, unit_id)
    return _created(session, service.ghost_public, service.add_ghost(session, principal, indicator, unit, body))


@router.delete(
    SERIES + "/ghosts/{ghost_id}",
    status_code=204,
    summary="Bring a ghosted point back",
    responses=problem_responses(404),
)
def remove_ghost(
    indicator_id: uuid.UUID, unit_id: uuid.UUID, ghost_id: uuid.UUID, session: SessionDep, principal: Writer
) -> Response:
    return _remove(session, principal, indicator_id, unit_id, m.Ghost, ghost_id)


@router.post(
    SERIES + "/annotations",
    status_code=201,
    summary="Note what was done, and when, on the chart",
    response_model=m.AnnotationPublic,
    responses=problem_responses(404),
)
def add_annotation(
    indicator_id: uuid.UUID, unit_id: uuid.UUID, body: m.AnnotationWrite, session: SessionDep, principal: Writer
) -> JSONResponse:
    indicator, unit = _series(session, principal, indicator_id, unit_id)
    note = service.add_annotation(session, principal, indicator, unit, body)
    return _created(session, service.annotation_public, note)


@router.delete(
    SERIES + "/annotations/{annotation_id}",
    status_code=204,
    summary="Remove an annotation",
    responses=problem_responses(404),
)
def remove_annotation(
    indicator_id: uuid.UUID, unit_id: uuid.UUID, annotation_id: uuid.UUID, session: SessionDep, principal: Writer
) -> Response:
    return _remove(session, principal, indicator_id, unit_id, m.Annotation, annotation_id)


# --- stateless SPC and the summary ----------------------------------------------------------


@router.post(
    "/spc",
    tags=["spc"],
    summary="An XmR chart of any series, exactly as NHSRplotthedots 0.2.2 computes it (nothing is stored)",
    response_model=m.SpcResponse,
)
def stateless_spc(body: m.SpcRequest, principal: Reader) -> m.SpcResponse:
    return service.stateless_spc(body)


SummaryLimit = Annotated[int, Query(ge=1, le=summary.MAX_PAGE, description="Series per page (at most 1,000).")]


@router.get(
    "/summary",
    summary="Variation and assurance across many indicators and units: latest value, target, icons",
    response_model=Page[m.SummaryRow],
    responses=problem_responses(404),
)
def read_summary(
    request: Request,
    session: SessionDep,
    principal: Reader,
    indicator: Annotated[
        list[uuid.UUID], Query(max_length=500, description="Indicators (all you can see when none).")
    ] = [],  # noqa: B006
    unit: Annotated[
        list[uuid.UUID], Query(max_length=1000, description="Units (see `under` and `level` when none).")
    ] = [],  # noqa: B006
    under: Annotated[
        uuid.UUID | None, Query(description="Without `unit`: the units at `level` under this one.")
    ] = None,
    level: Annotated[
        int | None, Query(ge=1, le=6, description="Without `unit`: the level of the units (1 = organisations).")
    ] = None,
    filter: Annotated[m.SummaryFilter | None, Query(description="Only the series that match.")] = None,
    limit: SummaryLimit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[m.SummaryRow]:
    root = structure.get_unit(session, principal, under) if under else None
    rows, position = summary.summary(
        session,
        principal,
        request.app.state.summary_cache,
        indicator_ids=indicator,
        unit_ids=unit,
        under=root,
        level=level,
        wanted=filter,
        limit=limit,
        after=read_cursor(request, cursor),
    )
    return Page[m.SummaryRow](items=rows, next=next_link(request, position))
