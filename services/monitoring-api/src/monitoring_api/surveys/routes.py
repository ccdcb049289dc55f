"""HTTP routes for culture surveys: instruments (CSV import), waves, response ingest, results under
disclosure control (JSON and CSV), and indicators fed from results."""

from __future__ import annotations

import io
import uuid
from typing import IO, Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from monitoring_api.db import SessionDep
from monitoring_api.deps import Admin, Reader, SurveyTool
from monitoring_api.surveys import ingest, results, service
from monitoring_api.surveys import models as m
from monitoring_api.surveys.instruments import CsvProblems, parse_instrument
from servicekit import csvio, uploads
from servicekit.errors import unprocessable
from servicekit.idempotency import Idempotency, fingerprint
from servicekit.pagination import DEFAULT_LIMIT, Page, next_link, read_cursor
from servicekit.params import Cursor, IdempotencyKey, Limit
from servicekit.problems import problem_responses

router = APIRouter(tags=["surveys"])

INSTRUMENT_CSV_EXAMPLE = (
    "code,text,scale,positive,reverse,theme,framework_items\n"
    "culture.vision.quality_priority,Our organisation has an inspirational vision focused on quality of care.,"
    "agreement,,,vision,\n"
    "compassion.attending,My manager pays attention to me and listens with intent.,frequency,,,attending,\n"
)
RESPONSES_CSV_EXAMPLE = (
    "unit,staff_group,band,engagement.look_forward,engagement.recommend_work\n"
    "PROGRAMMES,admin_clerical,band_5,often,agree\n"
    "COACHING,,band_7,4,strongly_agree\n"
)
Breakdown = Annotated[
    str | None,
    Query(max_length=40, description=f"Results by the groups of one breakdown: {', '.join(m.BREAKDOWNS)}."),
]
UnitParam = Annotated[
    uuid.UUID | None, Query(description="A unit of the wave's frozen structure; omitted: the wave's top unit.")
]


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _cache(request: Request) -> results.PublicationCache:
    return request.app.state.survey_cache


def _disclosure(request: Request) -> results.DisclosureSettings:
    settings = _settings(request)
    return results.DisclosureSettings.of(settings.survey_minimum, None, settings.survey_complementary_suppression)


# --- instruments -------------------------------------------------------------------------------


@router.get(
    "/survey-instruments",
    summary="Survey instruments you can use: regional ones and your organisation's",
    response_model=Page[m.InstrumentSummary],
)
def list_instruments(
    request: Request, session: SessionDep, principal: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[m.InstrumentSummary]:
    rows, position = service.list_instruments(session, principal, limit, read_cursor(request, cursor))
    return Page[m.InstrumentSummary](
        items=[service.instrument_summary(session, i) for i in rows], next=next_link(request, position)
    )


@router.get(
    "/survey-instruments/{instrument_id}",
    summary="An instrument with its questions, scales, positive answers and themes",
    response_model=m.InstrumentPublic,
    responses=problem_responses(404),
)
def read_instrument(instrument_id: uuid.UUID, session: SessionDep, principal: Reader) -> m.InstrumentPublic:
    return service.instrument_public(session, service.get_instrument(session, principal, instrument_id))


@router.post(
    "/survey-instruments/import",
    status_code=201,
    summary="Create an instrument (or its next version) from CSV: all or nothing, problems by row",
    response_model=m.InstrumentImportResult,
    responses=problem_responses(409, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": INSTRUMENT_CSV_EXAMPLE}},
        }
    },
)
async def import_instrument(
    request: Request,
    session: SessionDep,
    principal: Admin,
    code: Annotated[str, Query(pattern=m.INSTRUMENT_CODE_PATTERN, description="The instrument's code.")],
    title: Annotated[str, Query(min_length=1, max_length=300, description="The instrument's title.")],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    # The refusal names JSON too, as it always has, though only CSV is taken here.
    uploads.media_type(request, (uploads.CSV,), "Send text/csv or application/json.")
    text = uploads.csv_text(await request.body())
    try:
        questions = parse_instrument(text)
    except CsvProblems as exc:
        raise unprocessable(
            f"{len(exc.errors)} problem(s) in the CSV; nothing was imported.", exc.errors, slug="import-invalid"
        ) from exc
    idem = Idempotency(
        session, principal, idempotency_key, "POST /survey-instruments/import", fingerprint([code, title, text])
    )
    if replayed := idem.replay():
        return replayed
    instrument = service.create_instrument(session, principal, code, title, questions)
    payload = m.InstrumentImportResult(
        instrument=service.instrument_public(session, instrument), imported=len(questions)
    ).model_dump(mode="json")
    return idem.respond(201, payload, {"Location": f"/survey-instruments/{instrument.uid}"})


# --- waves -------------------------------------------------------------------------------------


@router.get("/survey-waves", summary="Survey waves you can see", response_model=Page[m.WavePublic])
def list_waves(
    request: Request, session: SessionDep, principal: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[m.WavePublic]:
    rows, position = service.list_waves(session, principal, limit, read_cursor(request, cursor))
    return Page[m.WavePublic](
        items=[service.wave_public(session, principal, w) for w in rows], next=next_link(request, position)
    )


@router.post(
    "/survey-waves",
    status_code=201,
    summary="Open a wave: the instrument over a unit's subtree, its structure frozen now",
    response_model=m.WavePublic,
    responses=problem_responses(404),
)
def create_wave(
    body: m.WaveCreate, session: SessionDep, principal: Admin, idempotency_key: IdempotencyKey = None
) -> Response:
    idem = Idempotency(session, principal, idempotency_key, "POST /survey-waves", body.model_dump(mode="json"))
    if replayed := idem.replay():
        return replayed
    wave = service.create_wave(session, principal, body)
    payload = service.wave_public(session, principal, wave).model_dump(mode="json")
    return idem.respond(201, payload, {"Location": f"/survey-waves/{wave.uid}"})


@router.get(
    "/survey-waves/{wave_id}",
    summary="A wave",
    response_model=m.WavePublic,
    responses=problem_responses(404),
)
def read_wave(wave_id: uuid.UUID, session: SessionDep, principal: Reader) -> m.WavePublic:
    return service.wave_public(session, principal, service.get_wave(session, principal, wave_id))


@router.post(
    "/survey-waves/{wave_id}/close",
    summary="Close a wave: no more responses; its results are published",
    response_model=m.WavePublic,
    responses=problem_responses(404, 409),
)
def close_wave(request: Request, wave_id: uuid.UUID, session: SessionDep, principal: Admin) -> m.WavePublic:
    """Closing computes the wave's results under disclosure control and stores them with the wave, so
    every results read is a lookup: for a large wave closing takes seconds (10 to 17 s for a million
    answers)."""
    wave = service.close_wave(
        session, principal, service.get_wave(session, principal, wave_id), settings=_disclosure(request)
    )
    session.commit()
    return service.wave_public(session, principal, wave)


def _json_rows(raw: bytes) -> list[ingest.Row]:
    data = uploads.json_body(m.ResponsesWrite, raw, "{count} problem(s) in the responses; nothing was recorded.")
    return list(ingest.json_rows(data.responses))


@router.post(
    "/survey-waves/{wave_id}/responses",
    status_code=201,
    summary="Record anonymous responses in bulk (CSV or JSON): all or nothing, problems by row",
    response_model=m.ResponsesIngestResult,
    responses=problem_responses(404, 409, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}, "example": RESPONSES_CSV_EXAMPLE},
                "application/json": {"schema": {"$ref": "#/components/schemas/ResponsesWrite"}},
            },
        }
    },
)
async def ingest_responses(
    request: Request,
    wave_id: uuid.UUID,
    session: SessionDep,
    principal: SurveyTool,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    settings = _settings(request)

    def work(media_type: str, body: IO[bytes]) -> dict[str, Any]:
        wave = service.wave_for_ingest(session, principal, wave_id)
        rows: Any
        if media_type == uploads.CSV:
            codes = [q.code for q in service.questions_of_wave(session, wave)]
            rows = ingest.csv_rows(uploads.text_of(body), codes)
        else:
            rows = _json_rows(body.read())
        result = ingest.ingest(session, principal, wave, rows, batch_rows=settings.ingest_batch_rows)
        return result.model_dump(mode="json")

    operation = f"POST /survey-waves/{wave_id}/responses"
    return await uploads.streamed_import(request, session, principal, idempotency_key, operation, work)


# --- results -----------------------------------------------------------------------------------


def _results(
    request: Request,
    session: SessionDep,
    principal: Any,
    wave_id: uuid.UUID,
    unit: uuid.UUID | None,
    breakdown: str | None,
) -> m.ResultsPublic:
    settings = _settings(request)
    wave = service.get_wave(session, principal, wave_id)
    found = service.results(
        session,
        principal,
        wave,
        unit,
        breakdown,
        minimum=settings.survey_minimum,
        complementary=settings.survey_complementary_suppression,
        cache=_cache(request),
    )
    session.commit()  # what a first read stored (a wave closed before results were stored at close)
    return found


@router.get(
    "/survey-waves/{wave_id}/results",
    summary="Results of a closed wave: a unit and the units under it (or its groups), against the previous "
    "wave, under disclosure control",
    response_model=m.ResultsPublic,
    responses=problem_responses(404, 409),
)
def read_results(
    request: Request,
    wave_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    unit: UnitParam = None,
    breakdown: Breakdown = None,
) -> m.ResultsPublic:
    return _results(request, session, principal, wave_id, unit, breakdown)


@router.get(
    "/survey-waves/{wave_id}/results.csv",
    summary="The same results as CSV: one row per cell and figure; suppressed figures say so",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}, "example": "unit_path,unit_name,...\n"}}},
        **problem_responses(404, 409),
    },
)
def read_results_csv(
    request: Request,
    wave_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    unit: UnitParam = None,
    breakdown: Breakdown = None,
) -> Response:
    found = _results(request, session, principal, wave_id, unit, breakdown)
    out = io.StringIO()
    writer = csvio.writer(out)
    for row in results.rows_for_csv(found):
        writer.writerow(row)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="survey-results-{wave_id}.csv"'},
    )


@router.post(
    "/survey-waves/{wave_id}/indicators",
    status_code=201,
    summary="Feed the SURVEY-ENGAGEMENT indicator from the wave's results (shown results only)",
    response_model=m.FeedResult,
    responses=problem_responses(404, 409),
)
def feed_indicators(
    request: Request,
    wave_id: uuid.UUID,
    session: SessionDep,
    principal: Admin,
    level: Annotated[int, Query(ge=1, le=6, description="Units at this level (1: the organisation).")] = 1,
) -> Response:
    settings = _settings(request)
    wave = service.get_wave(session, principal, wave_id)
    result = service.feed_indicators(
        session,
        principal,
        wave,
        level,
        minimum=settings.survey_minimum,
        complementary=settings.survey_complementary_suppression,
        cache=_cache(request),
    )
    session.commit()
    return JSONResponse(result.model_dump(mode="json"), status_code=201)
