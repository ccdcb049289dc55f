"""The culture survey admin pages: the organisation's waves (open and closed), setting up a wave (an
instrument over the organisation or a unit's subtree, between two dates; monitoring-api freezes the
structure when it opens), closing one (its results are then published), and importing a wave's
responses from a survey tool's CSV.

Setting up and closing need monitoring:admin, as monitoring-api asks; importing responses needs
survey:ingest (the administrator's role carries it). The import is web.monitoring.admin's pattern:
CSV upload or paste, an Idempotency-Key per form, a template CSV with the wave's question codes, all
or nothing, and every problem by row and column in plain words."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from collective_clients.monitoring import operations as monitoring
from collective_clients.monitoring.models import (
    InstrumentPublic,
    InstrumentSummary,
    UnitPublic,
    WaveCreate,
    WavePublic,
    WaveStatus,
)
from web.accounts.auth import Identity, RequireScopes
from web.clients.base import ServiceClient, unvalidated
from web.monitoring.admin import (
    ADMIN,
    IMPORT_TIMEOUT_SECONDS,
    Importer,
    KeyField,
    PasteField,
    RowProblem,
    UploadField,
    plain,
)
from web.monitoring.deps import Admin, Client
from web.monitoring.indicators import own_organisation
from web.monitoring.plan import every_page
from web.notices import Notice, attempt, form_status, gather, problem_messages, sentence
from web.pages import attachment, import_fields, render, see_other

router = APIRouter(prefix="/monitoring/admin/surveys", include_in_schema=False)

SURVEYS = ADMIN + "/surveys"
PAGE = 500
GROUP_COLUMNS = ("staff_group", "band")  # the template's group columns; the Section 75 ones may be added
Ingester = Annotated[Identity, Depends(RequireScopes("monitoring:read", "survey:ingest"))]


def responses_importer(wave: WavePublic) -> Importer:
    return Importer(
        "responses",
        f"Import responses: {wave.title}",
        f"{SURVEYS}/{wave.id}/responses",
        ("unit", *GROUP_COLUMNS),
        f"responses-{re.sub(r'[^A-Za-z0-9]+', '-', wave.title).strip('-')[:40] or 'wave'}.csv",
        "No responses were recorded",
    )


# --- the waves ------------------------------------------------------------------------------------


@dataclass
class WaveForm:
    instrument: str = ""
    title: str = ""
    unit: str = ""
    opens: str = ""
    closes: str = ""
    idempotency_key: str = ""


async def _own_units(client: ServiceClient, identity: Identity) -> list[UnitPublic]:
    organisation = await own_organisation(client, identity)
    units: list[UnitPublic] = await every_page(
        client,
        monitoring.list_units(under=organisation.id, limit=PAGE),
        lambda cursor: monitoring.list_units(under=organisation.id, limit=PAGE, cursor=cursor),
    )
    return [u for u in units if u.org == identity.user.org]


async def _waves(client: ServiceClient, identity: Identity) -> list[WavePublic]:
    waves: list[WavePublic] = await every_page(
        client, monitoring.list_waves(limit=PAGE), lambda cursor: monitoring.list_waves(limit=PAGE, cursor=cursor)
    )
    own = [w for w in waves if w.org == identity.user.org]
    own.sort(key=lambda w: (w.status != WaveStatus.open, -w.opens.toordinal(), w.title))
    return own


async def _instruments(client: ServiceClient) -> list[InstrumentSummary]:
    found: list[InstrumentSummary] = await every_page(
        client,
        monitoring.list_instruments(limit=PAGE),
        lambda cursor: monitoring.list_instruments(limit=PAGE, cursor=cursor),
    )
    return found


async def _surveys_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    *,
    form: WaveForm | None = None,
    errors: dict[str, str] | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Response:
    (waves, instruments, units), read_notice = await gather(
        _waves(client, identity), _instruments(client), _own_units(client, identity)
    )
    notice = notice or read_notice
    opened = request.query_params.get("opened")
    closed = request.query_params.get("closed")
    return render(
        request,
        "monitoring/culture_admin.html",
        {
            "page_title": "Culture surveys",
            "waves": waves,
            "instruments": instruments or [],
            "units": units or [],
            "form": form or WaveForm(idempotency_key=str(uuid.uuid4())),
            "errors": errors or {},
            "notice": notice,
            "opened": next((w for w in waves or [] if str(w.id) == opened), None),
            "closed": next((w for w in waves or [] if str(w.id) == closed), None),
            "may_import": identity.has("survey:ingest"),
        },
        status_code=notice.status_code if notice and waves is None and status_code == 200 else status_code,
    )


@router.get("")
async def surveys(request: Request, identity: Admin, client: Client) -> Response:
    return await _surveys_page(request, identity, client)


def _day(value: str, name: str, errors: dict[str, str], words: str) -> date | None:
    if not value.strip():
        errors[name] = f"Enter the day the wave {words}"
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = f"Enter the day the wave {words} as a date, for example 2026-10-01"
        return None


@router.post("")
async def set_up_wave(
    request: Request,
    identity: Admin,
    client: Client,
    instrument: Annotated[str, Form(max_length=100)] = "",
    title: Annotated[str, Form(max_length=1000)] = "",
    unit: Annotated[str, Form(max_length=100)] = "",
    opens: Annotated[str, Form(max_length=40)] = "",
    closes: Annotated[str, Form(max_length=40)] = "",
    idempotency_key: KeyField = "",
) -> Response:
    form = WaveForm(instrument, title, unit, opens, closes, idempotency_key)
    errors: dict[str, str] = {}
    instrument_id = _uuid(instrument)
    if instrument_id is None:
        errors["instrument"] = "Choose the survey instrument"
    if not title.strip():
        errors["title"] = "Enter a title for the wave, for example Culture survey autumn 2026"
    unit_id = _uuid(unit) if unit else None
    if unit and unit_id is None:
        errors["unit"] = "Choose the unit surveyed"
    opens_on = _day(opens, "opens", errors, "opens")
    closes_on = _day(closes, "closes", errors, "closes")
    if opens_on and closes_on and closes_on < opens_on:
        errors["closes"] = "The wave closes on or after the day it opens"
    if errors:
        return await _surveys_page(request, identity, client, form=form, errors=errors, status_code=422)
    body = unvalidated(
        WaveCreate, instrument=instrument_id, title=title.strip(), unit=unit_id, opens=opens_on, closes=closes_on
    )
    outcome = await attempt(client.send(monitoring.create_wave(body, idempotency_key=idempotency_key or None)))
    if outcome.value is not None:
        return see_other(f"{SURVEYS}?opened={outcome.value.id}")
    if outcome.notice is not None:
        errors = {"instrument": f"The wave was not set up. {outcome.notice.text}"}
        return await _surveys_page(request, identity, client, form=form, errors=errors, notice=outcome.notice)
    assert outcome.problem is not None
    fields = {
        "body.instrument": "instrument",
        "body.title": "title",
        "body.unit": "unit",
        "body.opens": "opens",
        "body.closes": "closes",
    }
    errors = problem_messages(outcome.problem, fields, general="instrument")
    return await _surveys_page(
        request, identity, client, form=form, errors=errors, status_code=form_status(outcome.problem)
    )


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


@router.post("/{wave_id}/close")
async def close_wave(request: Request, wave_id: uuid.UUID, identity: Admin, client: Client) -> Response:
    # closing computes and stores the wave's results: seconds for a large wave, 10 to 17 s for a million answers
    outcome = await attempt(client.send(monitoring.close_wave(wave_id).with_timeout(IMPORT_TIMEOUT_SECONDS)))
    if outcome.value is not None:
        return see_other(f"{SURVEYS}?closed={wave_id}")
    if outcome.notice is not None:
        return await _surveys_page(request, identity, client, notice=outcome.notice)
    assert outcome.problem is not None
    errors = {"waves": sentence(outcome.problem.detail or "The wave was not closed")}
    return await _surveys_page(request, identity, client, errors=errors, status_code=form_status(outcome.problem))


# --- importing a wave's responses -----------------------------------------------------------------

_OPTIONS = re.compile(r"^one of (.+) \(or 1 to (\d+)\)$")
_RESPONSE_PLAIN = {
    "no answers": "This response answers no question: fill in at least one answer, or remove the row",
    "not a question of the wave's instrument": "The wave's instrument has no question with this code: use the "
    "columns of the template",
    "repeated column": "This column appears twice in the header row: keep one",
    "a category: lower-case letters, digits, '_', '.', '+' and '-' (up to 50)": "Write the group in lower-case "
    "letters, digits, _ . + and - (at most 50 characters), or leave it empty",
}


def plain_response(field: str, message: str, importer: Importer) -> tuple[str, str]:
    """(column as headed in the file, what to do) for one of monitoring-api's row errors of a
    responses import."""
    column = "" if field in ("", "body") else field
    if message.startswith("no unit "):
        return column, "Write the code of a unit the wave surveyed (or its path), as in the organisation's structure"
    if message.startswith("unknown column"):
        return column, (
            f"The import does not know the column {field}: use unit, a group column such as staff_group or "
            "band, or a question's code from the template"
        )
    if field.startswith("groups.") and message.startswith("not a breakdown"):
        return "", "This row has more cells than the header: put quotation marks round a cell that holds a comma"
    options = _OPTIONS.match(message)
    if options:
        return column, (
            f"Write one of the answers ({options.group(1)}) or its number 1 to {options.group(2)}, "
            "or leave it empty if it was not answered"
        )
    if message in _RESPONSE_PLAIN:
        return column, _RESPONSE_PLAIN[message]
    return plain(field, message, importer)


def response_problems(errors: list[dict[str, Any]], importer: Importer) -> tuple[str, list[RowProblem]]:
    problems = []
    for error in errors:
        row = error.get("row")
        column, message = plain_response(str(error.get("field") or ""), str(error.get("message") or ""), importer)
        problems.append(RowProblem(row if isinstance(row, int) else None, column, message))
    total = len(problems)
    noun = "problem" if total == 1 else "problems"
    them = "it" if total == 1 else "them"
    return f"The file has {total:,} {noun}, listed below: fix {them} and import the file again", problems


def template_csv(instrument: InstrumentPublic) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(["unit", *GROUP_COLUMNS, *(q.code for q in instrument.questions)])
    return out.getvalue()


async def _import_page(
    request: Request,
    client: ServiceClient,
    wave_id: uuid.UUID,
    *,
    result: Any = None,
    errors: dict[str, str] | None = None,
    rows: list[RowProblem] | None = None,
    key: str | None = None,
    pasted: str = "",
    notice: Notice | None = None,
    status_code: int = 200,
) -> Response:
    (wave,), read_notice = await gather(client.send(monitoring.read_wave(wave_id)))
    if wave is None:
        assert read_notice is not None
        return render(
            request,
            "monitoring/culture_admin_import.html",
            {"page_title": "Import responses", "wave": None, "notice": read_notice},
            status_code=read_notice.status_code,
        )
    instrument = None
    if result is None and not errors:
        (instrument,), _ = await gather(client.send(monitoring.read_instrument(wave.instrument.id)))
    importer = responses_importer(wave)
    return render(
        request,
        "monitoring/culture_admin_import.html",
        {
            "page_title": importer.title,
            "importer": importer,
            "wave": wave,
            "instrument": instrument,
            **import_fields(
                result=result,
                errors=errors,
                rows=rows,
                key=key,
                pasted=pasted,
                notice=notice,
            ),
        },
        block="importer",
        status_code=status_code,
    )


@router.get("/{wave_id}/responses")
async def responses_form(request: Request, wave_id: uuid.UUID, identity: Ingester, client: Client) -> Response:
    return await _import_page(request, client, wave_id)


@router.get("/{wave_id}/responses/template.csv")
async def responses_template(request: Request, wave_id: uuid.UUID, identity: Ingester, client: Client) -> Response:
    (wave,), notice = await gather(client.send(monitoring.read_wave(wave_id)))
    instrument = None
    if wave is not None:
        (instrument,), notice = await gather(client.send(monitoring.read_instrument(wave.instrument.id)))
    if wave is None or instrument is None:
        assert notice is not None
        return render(
            request,
            "monitoring/culture_admin_import.html",
            {"page_title": "Import responses", "wave": None, "notice": notice},
            status_code=503 if notice.kind == "unavailable" else notice.status_code,
        )
    return attachment(template_csv(instrument), responses_importer(wave).template_name)


@router.post("/{wave_id}/responses")
async def import_responses(
    request: Request,
    wave_id: uuid.UUID,
    identity: Ingester,
    client: Client,
    file: UploadField = None,
    csv: PasteField = "",
    idempotency_key: KeyField = "",
) -> Response:
    text = csv
    field = "csv"
    if file is not None and file.filename:
        field = "file"
        raw = await file.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors = {"file": "The file must be a CSV saved as UTF-8 text (CSV UTF-8)"}
            return await _import_page(request, client, wave_id, errors=errors, key=idempotency_key, status_code=422)
    if not text.strip():
        errors = {"file": "Choose a CSV file, or paste the CSV below"}
        return await _import_page(request, client, wave_id, errors=errors, key=idempotency_key, status_code=422)
    call = monitoring.ingest_responses(wave_id, text, idempotency_key=idempotency_key or None)
    outcome = await attempt(client.send(call.with_timeout(IMPORT_TIMEOUT_SECONDS)))
    if outcome.value is not None:
        return await _import_page(request, client, wave_id, result=outcome.value)
    if outcome.notice is not None:
        errors = {field: f"No responses were recorded. {outcome.notice.text}"}
        return await _import_page(
            request, client, wave_id, errors=errors, notice=outcome.notice, key=idempotency_key, pasted=csv
        )
    problem = outcome.problem
    assert problem is not None
    rows: list[RowProblem] = []
    importer_stub = Importer("responses", "", "", ("unit", *GROUP_COLUMNS), "", "No responses were recorded")
    if problem.field_errors():
        summary, rows = response_problems(problem.field_errors(), importer_stub)
        if field == "csv":
            summary = summary.replace("The file has", "The pasted CSV has").replace("the file again", "it again")
    else:
        summary = sentence(problem.detail or "No responses were recorded")
    return await _import_page(
        request,
        client,
        wave_id,
        errors={field: summary},
        rows=rows,
        key=idempotency_key,
        pasted=csv,
        status_code=problem.status if problem.status in (403, 409, 413, 415) else 422,
    )
