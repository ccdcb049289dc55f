"""HTTP routes for exchange: FHIR R4 Measure and MeasureReport, and CSV exports."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from monitoring_api.db import SessionDep
from monitoring_api.deps import Reader
from monitoring_api.exchange import models as m
from monitoring_api.exchange import service
from monitoring_api.indicators import service as indicators
from servicekit.problems import problem_responses

router = APIRouter(tags=["exchange"])

FHIR_JSON = "application/fhir+json"


def _fhir(payload: dict) -> JSONResponse:
    return JSONResponse(payload, media_type=FHIR_JSON)


def _fhir_content(example: dict) -> dict:
    return {200: {"content": {FHIR_JSON: {"example": example}}}}


@router.get(
    "/fhir/Measure",
    summary="Every indicator you can see as a FHIR R4 Measure (a searchset Bundle)",
    response_model=m.Bundle,
    response_class=JSONResponse,
    responses={200: {"content": {FHIR_JSON: {}}}},
)
def list_measures(request: Request, session: SessionDep, principal: Reader) -> JSONResponse:
    return _fhir(service.measures(session, principal, request.app.state.settings.public_base_url))


@router.get(
    "/fhir/Measure/{indicator_id}",
    summary="An indicator as a FHIR R4 Measure",
    response_model=m.Measure,
    responses={**_fhir_content(m.MEASURE_EXAMPLE), **problem_responses(404)},
)
def read_measure(request: Request, indicator_id: uuid.UUID, session: SessionDep, principal: Reader) -> JSONResponse:
    indicator = indicators.get_indicator(session, principal, indicator_id)
    return _fhir(service.measure(session, indicator, request.app.state.settings.public_base_url))


@router.get(
    "/fhir/MeasureReport",
    summary="A unit's results as FHIR R4 summary MeasureReports, one per period (SPC in extensions)",
    response_model=m.Bundle,
    responses={200: {"content": {FHIR_JSON: {}}}, **problem_responses(404)},
)
def list_measure_reports(
    request: Request,
    session: SessionDep,
    principal: Reader,
    indicator: Annotated[uuid.UUID, Query(description="The indicator (the Measure's id).")],
    unit: Annotated[uuid.UUID, Query(description="The organisation unit reported on.")],
    period: Annotated[date | None, Query(description="Only the period starting on this date.")] = None,
) -> JSONResponse:
    found = indicators.get_indicator(session, principal, indicator)
    where = indicators.series_unit(session, principal, found, unit)
    return _fhir(service.measure_reports(session, found, where, period, request.app.state.settings.public_base_url))


@router.get(
    "/indicators.csv",
    summary="Indicator definitions as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": "code,title,...\n"}}}},
)
def indicators_csv(session: SessionDep, principal: Reader) -> Response:
    return Response(
        service.indicators_csv(session, principal),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="indicators.csv"'},
    )


@router.get(
    "/indicators/{indicator_id}/units/{unit_id}/chart.csv",
    summary="A unit's chart as CSV: each period's value with its SPC reading",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": "period,value,numerator,...\n"}}},
        **problem_responses(404),
    },
)
def chart_csv(indicator_id: uuid.UUID, unit_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    indicator = indicators.get_indicator(session, principal, indicator_id)
    unit = indicators.series_unit(session, principal, indicator, unit_id)
    return Response(
        service.chart_csv(session, indicator, unit),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{indicator.code}-{unit.code}.csv"'},
    )
