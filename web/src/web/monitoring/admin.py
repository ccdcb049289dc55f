"""The monitoring admin pages: indicator definitions (list, create, edit) and their targets, value
import, rebases and annotations of an indicator's chart at a unit, and the organisation structure
import. Each asks for the scope monitoring-api asks for: definitions, targets and structure need
monitoring:admin; values, rebases and annotations monitoring:write.

monitoring-api judges every value: the pages check only what a person can fix before sending, and
the service's refusals (422 by field or by row, 403, 409, 412) land beside the form. Imports are all
or nothing, with every problem listed by row in plain words."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from collective_clients.monitoring import operations as monitoring
from collective_clients.monitoring.models import (
    AnnotationWrite,
    Chart,
    Direction,
    Factor,
    Frequency,
    IndicatorCreate,
    IndicatorPublic,
    IndicatorUpdate,
    RebaseWrite,
    SpcSettings,
    TargetsWrite,
    TargetWrite,
    UnitPublic,
)
from collective_clients.runtime import Call, Tagged, tagged_as
from web import labels
from web.accounts.auth import Identity
from web.clients.answers import member
from web.clients.base import ServiceClient, ServiceError, unvalidated
from web.exceptions import NotPermitted
from web.monitoring.deps import Admin, Client, Reader, Writer
from web.monitoring.plan import COMPONENTS, every_page
from web.notices import Notice, attempt, form_status, gather, problem_messages, sentence
from web.pages import attachment, import_fields, render, see_other

router = APIRouter(prefix="/monitoring/admin", include_in_schema=False)

ADMIN = "/monitoring/admin"
INDICATORS = ADMIN + "/indicators"
PAGE = 500
# Bulk imports of many thousands of values take longer than an ordinary call.
IMPORT_TIMEOUT_SECONDS = 300.0


def definition_labels() -> dict[str, Any]:
    return {
        "FACTORS": labels.FACTORS,
        "DIRECTIONS": labels.DIRECTIONS,
        "FREQUENCIES": labels.FREQUENCIES,
        "COMPONENTS": COMPONENTS,
    }


async def writer_or_admin(identity: Reader) -> Identity:
    """The definitions list serves both: admins change definitions, writers (managers) go from it
    to an indicator's rebases and annotations."""
    if not (identity.has("monitoring:write") or identity.has("monitoring:admin")):
        raise NotPermitted(("monitoring:write",))
    return identity


WriterOrAdmin = Annotated[Identity, Depends(writer_or_admin)]


# --- the hub --------------------------------------------------------------------------------


@router.get("")
async def admin_hub(request: Request, identity: Reader) -> Response:
    return render(request, "monitoring/admin.html", {"page_title": "Monitoring administration"})


# --- indicator definitions ------------------------------------------------------------------


def read_indicator(indicator_id: uuid.UUID) -> Call[Tagged[IndicatorPublic]]:
    """The indicator with its ETag, for the If-Match of a change. monitoring-api sends the ETag but
    its OpenAPI document does not declare it, so the generated call reads the body only: this is
    the same call, reading the header too."""
    call = monitoring.read_indicator(indicator_id)
    return Call(call.method, call.path, tagged_as(IndicatorPublic), params=call.params, accept=call.accept)


def may_define(identity: Identity, indicator: IndicatorPublic) -> bool:
    """Whether monitoring-api lets the user change the definition: a regional one with
    monitoring:regional, a local one only in its own organisation."""
    if indicator.regional:
        return identity.has("monitoring:regional")
    return indicator.org == identity.user.org


@router.get("/indicators")
async def list_indicators(request: Request, identity: WriterOrAdmin, client: Client) -> Response:
    (indicators,), notice = await gather(
        every_page(
            client,
            monitoring.list_indicators(limit=PAGE),
            lambda cursor: monitoring.list_indicators(limit=PAGE, cursor=cursor),
        )
    )
    return render(
        request,
        "monitoring/admin_indicators.html",
        {
            "page_title": "Indicator definitions",
            "indicators": indicators,
            "changeable": {
                i.id for i in indicators or [] if identity.has("monitoring:admin") and may_define(identity, i)
            },
            "changed": request.query_params.get("changed"),
            "notice": notice,
            **definition_labels(),
        },
        status_code=notice.status_code if notice and indicators is None else 200,
    )


@dataclass
class DefinitionForm:
    code: str = ""
    title: str = ""
    description: str = ""
    unit_of_measure: str = ""
    numerator: str = ""
    denominator: str = ""
    factor: str = ""
    direction: str = ""
    frequency: str = ""
    source: str = ""
    owner: str = ""
    components: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    regional: bool = False
    screen_outliers: bool = True
    baseline_points: str = ""
    two_sigma: bool = False
    idempotency_key: str = ""
    etag: str = ""


DEFINITION_FIELDS = {
    "body.code": "code",
    "body.title": "title",
    "body.description": "description",
    "body.unit_of_measure": "unit_of_measure",
    "body.numerator": "numerator",
    "body.denominator": "denominator",
    "body.factor": "factor",
    "body.direction": "direction",
    "body.frequency": "frequency",
    "body.source": "source",
    "body.owner": "owner",
    "body.components": "components",
    "body.actions": "actions",
    "body.regional": "regional",
    "body.spc.baseline_points": "baseline_points",
    "body.spc": "screen_outliers",
}


def form_of(indicator: IndicatorPublic, etag: str) -> DefinitionForm:
    spc = indicator.spc or SpcSettings()
    return DefinitionForm(
        code=indicator.code,
        title=indicator.title,
        description=_text(indicator.description),
        unit_of_measure=indicator.unit_of_measure,
        numerator=indicator.numerator,
        denominator=_text(indicator.denominator),
        factor=indicator.factor,
        direction=indicator.direction,
        frequency=indicator.frequency,
        source=_text(indicator.source),
        owner=_text(indicator.owner),
        components=list(indicator.components or []),
        actions=list(indicator.actions or []),
        regional=indicator.regional,
        screen_outliers=spc.screen_outliers,
        baseline_points=_text(spc.baseline_points),
        two_sigma=spc.two_sigma,
        etag=etag,
    )


def _text(value: Any) -> str:
    """A generated optional string (a plain str, or a RootModel around one) as text."""
    if value is None:
        return ""
    return str(getattr(value, "root", value))


def _baseline(form: DefinitionForm, errors: dict[str, str]) -> int | None:
    if not form.baseline_points:
        return None
    try:
        return int(form.baseline_points)
    except ValueError:
        errors["baseline_points"] = (
            "Enter the number of baseline points as a whole number, at least 12, or leave it empty"
        )
        return None


def create_body(form: DefinitionForm) -> tuple[IndicatorCreate, dict[str, str]]:
    """The body of POST /indicators from the form, or what to fix first by field."""
    errors: dict[str, str] = {}
    for name, words in (
        ("code", "Enter a code, for example STAFF-RECOMMEND-WORK"),
        ("title", "Enter the title of the indicator"),
        ("unit_of_measure", "Enter what a value is in, for example % or days"),
        ("numerator", "Say what the numerator counts"),
    ):
        if not getattr(form, name):
            errors[name] = words
    factor = member(Factor, form.factor)
    if factor is None:
        errors["factor"] = "Choose how a value is formed"
    elif factor != Factor.value and not form.denominator:
        errors["denominator"] = "Say what the denominator counts: this factor needs one"
    elif factor == Factor.value and form.denominator:
        errors["denominator"] = "A plain value has no denominator: leave it empty"
    if member(Direction, form.direction) is None:
        errors["direction"] = "Choose which way is improvement"
    if member(Frequency, form.frequency) is None:
        errors["frequency"] = "Choose how often a value is recorded"
    spc = unvalidated(
        SpcSettings,
        screen_outliers=form.screen_outliers,
        baseline_points=_baseline(form, errors),
        two_sigma=form.two_sigma,
    )
    body = unvalidated(
        IndicatorCreate,
        code=form.code,
        title=form.title,
        description=form.description or None,
        unit_of_measure=form.unit_of_measure,
        numerator=form.numerator,
        denominator=form.denominator or None,
        factor=factor,
        direction=member(Direction, form.direction),
        frequency=member(Frequency, form.frequency),
        source=form.source or None,
        owner=form.owner or None,
        components=form.components,
        actions=form.actions,
        regional=form.regional,
        spc=spc,
    )
    return body, errors


def update_body(form: DefinitionForm, current: IndicatorPublic) -> tuple[IndicatorUpdate, dict[str, str]]:
    """The body of PATCH /indicators/{id}: everything the form shows (run lengths kept as they are)."""
    errors: dict[str, str] = {}
    for name, words in (
        ("title", "Enter the title of the indicator"),
        ("unit_of_measure", "Enter what a value is in, for example % or days"),
    ):
        if not getattr(form, name):
            errors[name] = words
    if member(Direction, form.direction) is None:
        errors["direction"] = "Choose which way is improvement"
    kept = current.spc or SpcSettings()
    spc = unvalidated(
        SpcSettings,
        screen_outliers=form.screen_outliers,
        baseline_points=_baseline(form, errors),
        two_sigma=form.two_sigma,
        trend_points=kept.trend_points,
        shift_points=kept.shift_points,
    )
    body = unvalidated(
        IndicatorUpdate,
        title=form.title,
        description=form.description or None,
        unit_of_measure=form.unit_of_measure,
        source=form.source or None,
        owner=form.owner or None,
        direction=member(Direction, form.direction),
        components=form.components,
        actions=form.actions,
        spc=spc,
    )
    return body, errors


async def _definition_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    *,
    form: DefinitionForm,
    indicator: IndicatorPublic | None = None,
    errors: dict[str, str] | None = None,
    notice: Notice | None = None,
    status_code: int = 200,
) -> Response:
    (listing,), actions_notice = await gather(client.send(monitoring.list_actions()))
    editing = indicator is not None
    return render(
        request,
        "monitoring/admin_indicator_form.html",
        {
            "page_title": f"Change {indicator.code}" if indicator else "Define an indicator",
            "indicator": indicator,
            "editing": editing,
            "form": form,
            "actions": listing.items if listing else [],
            "can_be_regional": identity.has("monitoring:regional"),
            "errors": errors or {},
            "notice": notice or actions_notice,
            **definition_labels(),
        },
        status_code=status_code,
    )


def definition_form(values: Mapping[str, Any], lists: Mapping[str, list[str]]) -> DefinitionForm:
    text = {name: str(values.get(name) or "").strip() for name in DefinitionForm.__dataclass_fields__}
    return DefinitionForm(
        code=text["code"].upper(),
        title=text["title"],
        description=text["description"],
        unit_of_measure=text["unit_of_measure"],
        numerator=text["numerator"],
        denominator=text["denominator"],
        factor=text["factor"],
        direction=text["direction"],
        frequency=text["frequency"],
        source=text["source"],
        owner=text["owner"],
        components=[c for c in lists.get("components", []) if c in COMPONENTS],
        actions=list(dict.fromkeys(lists.get("actions", []))),
        regional=values.get("regional") is not None,
        screen_outliers=values.get("screen_outliers") is not None,
        baseline_points=text["baseline_points"],
        two_sigma=values.get("two_sigma") is not None,
        idempotency_key=text["idempotency_key"] or str(uuid.uuid4()),
        etag=text["etag"],
    )


async def _submitted(request: Request) -> DefinitionForm:
    form = await request.form()
    values = {name: value for name, value in form.items() if isinstance(value, str) and len(value) <= 10_000}
    lists = {name: [str(v)[:20] for v in form.getlist(name)][:20] for name in ("components", "actions")}
    return definition_form(values, lists)


@router.get("/indicators/new")
async def new_indicator(request: Request, identity: Admin, client: Client) -> Response:
    return await _definition_page(request, identity, client, form=DefinitionForm(idempotency_key=str(uuid.uuid4())))


@router.post("/indicators")
async def create_indicator(request: Request, identity: Admin, client: Client) -> Response:
    form = await _submitted(request)
    if form.regional and not identity.has("monitoring:regional"):
        form.regional = False
    body, errors = create_body(form)
    if errors:
        return await _definition_page(request, identity, client, form=form, errors=errors, status_code=422)
    outcome = await attempt(client.send(monitoring.create_indicator(body, idempotency_key=form.idempotency_key)))
    if outcome.value is not None:
        return see_other(f"{INDICATORS}?changed={outcome.value.code}")
    if outcome.notice:
        errors = {"problem": f"The indicator was not defined. {outcome.notice.text}"}
        return await _definition_page(request, identity, client, form=form, errors=errors)
    assert outcome.problem is not None
    errors = problem_messages(outcome.problem, DEFINITION_FIELDS)
    return await _definition_page(
        request, identity, client, form=form, errors=errors, status_code=form_status(outcome.problem)
    )


@router.get("/indicators/{indicator_id}/edit")
async def edit_indicator(request: Request, indicator_id: uuid.UUID, identity: Admin, client: Client) -> Response:
    (read,), notice = await gather(client.send(read_indicator(indicator_id)))
    if read is None:
        return await _definition_page(
            request,
            identity,
            client,
            form=DefinitionForm(),
            notice=notice,
            status_code=notice.status_code if notice else 200,
        )
    return await _definition_page(
        request, identity, client, form=form_of(read.value, read.etag or ""), indicator=read.value
    )


@router.post("/indicators/{indicator_id}/edit")
async def change_indicator(request: Request, indicator_id: uuid.UUID, identity: Admin, client: Client) -> Response:
    form = await _submitted(request)
    (read,), notice = await gather(client.send(read_indicator(indicator_id)))
    if read is None:
        errors = {"problem": f"The indicator was not changed. {notice.text if notice else ''}".strip()}
        return await _definition_page(request, identity, client, form=form, errors=errors, notice=notice)
    current = read.value
    form.code, form.regional = current.code, current.regional
    body, errors = update_body(form, current)
    if errors:
        return await _definition_page(
            request, identity, client, form=form, indicator=current, errors=errors, status_code=422
        )
    call = monitoring.update_indicator(indicator_id, body, if_match=form.etag or read.etag)
    outcome = await attempt(client.send(call))
    if outcome.value is not None:
        return see_other(f"{INDICATORS}?changed={current.code}")
    if outcome.notice:
        errors = {"problem": f"The indicator was not changed. {outcome.notice.text}"}
        return await _definition_page(request, identity, client, form=form, indicator=current, errors=errors)
    assert outcome.problem is not None
    if outcome.problem.status == 412:
        errors = {
            "problem": "Someone changed this indicator while you were editing it. Nothing of yours was saved: "
            "the form now shows their version; make your change again."
        }
        fresh = form_of(current, read.etag or "")
        return await _definition_page(
            request, identity, client, form=fresh, indicator=current, errors=errors, status_code=409
        )
    errors = problem_messages(outcome.problem, DEFINITION_FIELDS)
    return await _definition_page(
        request, identity, client, form=form, indicator=current, errors=errors, status_code=form_status(outcome.problem)
    )


# --- targets --------------------------------------------------------------------------------


@dataclass
class TargetForm:
    value: str = ""
    from_date: str = ""
    note: str = ""


async def _targets_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    indicator_id: uuid.UUID,
    *,
    form: TargetForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (read,), notice = await gather(client.send(read_indicator(indicator_id)))
    indicator = read.value if read else None
    return render(
        request,
        "monitoring/admin_targets.html",
        {
            "page_title": f"Targets of {indicator.code}" if indicator else "Targets",
            "indicator": indicator,
            "indicator_id": indicator_id,
            "etag": read.etag if read else "",
            "can_change": indicator is not None and may_define(identity, indicator),
            "form": form or TargetForm(),
            "errors": errors or {},
            "changed": request.query_params.get("changed") == "1",
            "notice": notice,
        },
        status_code=notice.status_code if notice and indicator is None else status_code,
    )


@router.get("/indicators/{indicator_id}/targets")
async def targets(request: Request, indicator_id: uuid.UUID, identity: Admin, client: Client) -> Response:
    return await _targets_page(request, identity, client, indicator_id)


@router.post("/indicators/{indicator_id}/targets")
async def add_target(
    request: Request,
    indicator_id: uuid.UUID,
    identity: Admin,
    client: Client,
    value: Annotated[str, Form(max_length=50)] = "",
    from_date: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    etag: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    form = TargetForm(value.strip(), from_date.strip(), note.strip())
    errors: dict[str, str] = {}
    number = None
    try:
        number = float(form.value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError
    except ValueError:
        errors["value"] = "Enter the target as a number, for example 75"
    starts = None
    try:
        starts = date.fromisoformat(form.from_date)
    except ValueError:
        errors["from_date"] = "Enter the date the target is in force from, for example 2027-04-01"
    (read,), notice = await gather(client.send(read_indicator(indicator_id)))
    if read is None:
        errors = {"value": f"The target was not added. {notice.text if notice else ''}".strip()}
        return await _targets_page(request, identity, client, indicator_id, form=form, errors=errors)
    existing = read.value.targets or []
    if starts is not None and any(target.from_date == starts for target in existing):
        errors["from_date"] = "A target already starts on that date: choose another date"
    if errors:
        return await _targets_page(request, identity, client, indicator_id, form=form, errors=errors, status_code=422)
    kept = [
        unvalidated(TargetWrite, value=t.value, from_date=t.from_date, note=_text(t.note) or None) for t in existing
    ]
    new = unvalidated(TargetWrite, value=number, from_date=starts, note=form.note or None)
    body = unvalidated(TargetsWrite, targets=[*kept, new])
    outcome = await attempt(client.send(monitoring.put_targets(indicator_id, body, if_match=etag or read.etag)))
    if outcome.ok:
        return see_other(f"{INDICATORS}/{indicator_id}/targets?changed=1")
    if outcome.notice:
        errors = {"value": f"The target was not added. {outcome.notice.text}"}
        return await _targets_page(request, identity, client, indicator_id, form=form, errors=errors)
    assert outcome.problem is not None
    if outcome.problem.status == 412:
        errors = {"value": "Someone changed the targets meanwhile. Check them below, then add yours again."}
        return await _targets_page(request, identity, client, indicator_id, form=form, errors=errors, status_code=409)
    errors = problem_messages(
        outcome.problem,
        {"body.targets": "value", "body": "value"},
        general="value",
    )
    return await _targets_page(
        request, identity, client, indicator_id, form=form, errors=errors, status_code=form_status(outcome.problem)
    )


# --- rebases and annotations ----------------------------------------------------------------


@dataclass
class NoteForm:
    on: str = ""
    text: str = ""


async def _own_units(client: ServiceClient) -> list[UnitPublic]:
    """The units of the user's organisation, in path order (the organisation first)."""
    units: list[UnitPublic] = await every_page(
        client, monitoring.list_units(limit=PAGE), lambda cursor: monitoring.list_units(limit=PAGE, cursor=cursor)
    )
    return units


async def _notes_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    indicator_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    *,
    rebase: NoteForm | None = None,
    annotation: NoteForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (indicator, units), notice = await gather(client.send(monitoring.read_indicator(indicator_id)), _own_units(client))
    own = [unit for unit in units or [] if unit.org == identity.user.org]
    unit = next((u for u in own if u.id == unit_id), own[0] if own else None)
    chart: Chart | None = None
    if unit is not None and indicator is not None:
        (chart,), chart_notice = await gather(client.send(monitoring.read_chart(indicator_id, unit.id)))
        notice = notice or chart_notice
    return render(
        request,
        "monitoring/admin_notes.html",
        {
            "page_title": f"Rebases and annotations: {indicator.code}" if indicator else "Rebases and annotations",
            "indicator": indicator,
            "indicator_id": indicator_id,
            "units": own,
            "unit": unit,
            "chart": chart,
            "rebase": rebase or NoteForm(),
            "annotation": annotation or NoteForm(),
            "errors": errors or {},
            "changed": request.query_params.get("changed"),
            "notice": notice,
        },
        status_code=notice.status_code if notice and indicator is None else status_code,
    )


@router.get("/indicators/{indicator_id}/notes")
async def notes(
    request: Request,
    indicator_id: uuid.UUID,
    identity: Writer,
    client: Client,
    unit: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    return await _notes_page(request, identity, client, indicator_id, unit)


def _note(on: str, text: str, what: str, prefix: str) -> tuple[date | None, dict[str, str]]:
    errors: dict[str, str] = {}
    day = None
    try:
        day = date.fromisoformat(on)
    except ValueError:
        errors[f"{prefix}_on"] = f"Enter the date of the {what} as a real date, for example 2025-04-01"
    if not text:
        errors[f"{prefix}_text"] = "Give the reason for the rebase" if prefix == "rebase" else "Say what was done"
    return day, errors


@router.post("/indicators/{indicator_id}/rebases")
async def add_rebase(
    request: Request,
    indicator_id: uuid.UUID,
    identity: Writer,
    client: Client,
    unit: Annotated[uuid.UUID, Form()],
    on: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = NoteForm(on.strip(), reason.strip())
    day, errors = _note(form.on, form.text, "rebase", "rebase")
    if errors:
        return await _notes_page(
            request, identity, client, indicator_id, unit, rebase=form, errors=errors, status_code=422
        )
    body = unvalidated(RebaseWrite, on=day, reason=form.text)
    outcome = await attempt(client.send(monitoring.add_rebase(indicator_id, unit, body)))
    if outcome.ok:
        return see_other(f"{INDICATORS}/{indicator_id}/notes?unit={unit}&changed=rebase")
    errors = _note_problem(
        outcome.problem, outcome.notice, "rebase", {"body.on": "rebase_on", "body.reason": "rebase_text"}
    )
    status_code = form_status(outcome.problem) if outcome.problem else 200
    return await _notes_page(
        request, identity, client, indicator_id, unit, rebase=form, errors=errors, status_code=status_code
    )


@router.post("/indicators/{indicator_id}/annotations")
async def add_annotation(
    request: Request,
    indicator_id: uuid.UUID,
    identity: Writer,
    client: Client,
    unit: Annotated[uuid.UUID, Form()],
    on: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    form = NoteForm(on.strip(), text.strip())
    day, errors = _note(form.on, form.text, "annotation", "annotation")
    if errors:
        return await _notes_page(
            request, identity, client, indicator_id, unit, annotation=form, errors=errors, status_code=422
        )
    body = unvalidated(AnnotationWrite, on=day, text=form.text)
    outcome = await attempt(client.send(monitoring.add_annotation(indicator_id, unit, body)))
    if outcome.ok:
        return see_other(f"{INDICATORS}/{indicator_id}/notes?unit={unit}&changed=annotation")
    fields = {"body.on": "annotation_on", "body.text": "annotation_text"}
    errors = _note_problem(outcome.problem, outcome.notice, "annotation", fields)
    status_code = form_status(outcome.problem) if outcome.problem else 200
    return await _notes_page(
        request, identity, client, indicator_id, unit, annotation=form, errors=errors, status_code=status_code
    )


def _note_problem(
    problem: ServiceError | None, notice: Notice | None, what: str, fields: Mapping[str, str]
) -> dict[str, str]:
    general = f"{what}_on"
    if notice is not None:
        return {general: f"The {what} was not recorded. {notice.text}"}
    assert problem is not None
    return problem_messages(problem, fields, general=general)


# --- imports: values and structure ----------------------------------------------------------


@dataclass(frozen=True)
class Importer:
    """One of the CSV imports: where it lives, its columns, and its words."""

    kind: str
    title: str
    url: str
    columns: tuple[str, ...]
    template_name: str
    nothing_written: str


VALUES = Importer(
    "values",
    "Import values",
    ADMIN + "/values/import",
    ("indicator", "unit", "period", "numerator", "denominator"),
    "values-template.csv",
    "No values were recorded",
)
STRUCTURE = Importer(
    "structure",
    "Import the organisation's structure",
    ADMIN + "/structure/import",
    ("code", "name", "kind", "parent"),
    "structure-template.csv",
    "No units were imported",
)


@dataclass(frozen=True)
class RowProblem:
    """One problem of an import as the page shows it: the row of the file (1 is the header), the
    column as headed in the file, and what to do, in plain words."""

    row: int | None
    column: str
    message: str


_CELLS = re.compile(r"^(\d+) cells but the header has (\d+)")
_PLAIN: dict[str, str] = {
    "a date written YYYY-MM-DD": "Write the period as a date like 2026-10-01: the first day of the period",
    "not a number": "Write a number here, with a point for decimals and no commas, for example 412.5",
    "not a finite number": "Write a number here, for example 412.5",
    "cannot be negative": "A denominator cannot be negative",
    "required for this indicator": "Give the denominator: this indicator is a rate, so it needs one",
    "directorate or team": "Write directorate or team",
    "not a unit code": "Write the code of the parent unit (capitals, digits, - and _), or leave it empty",
    "capitals, digits, - and _ (at most 40)": "Use capitals, digits, - and _ only, at most 40 characters",
    "1 to 300 characters": "Give a name of 1 to 300 characters",
    "not UTF-8": "Save the file as CSV UTF-8 and import it again",
}


def plain(field: str, message: str, importer: Importer) -> tuple[str, str]:
    """(column as headed in the file, what to do) for one of monitoring-api's row errors."""
    column = "" if field in ("", "body") else field
    if message == "missing column":
        return column, f"Add a column headed {field} to the header row (the first row of the file)"
    if message == "unknown column":
        return column, f"The import does not know the column {field}: use {', '.join(importer.columns)}"
    if message in ("missing header", "the CSV has no header row"):
        return column, f"Start the file with the header row: {','.join(importer.columns)}"
    if message in ("no rows", "the CSV has no units"):
        return "", "There is nothing to import: add one row after the header row for each line"
    if message == "required":
        return column, f"Fill in the {column}"
    cells = _CELLS.match(message)
    if cells:
        return "", (
            f"This row has {cells.group(1)} cells but the header has {cells.group(2)}: put quotation "
            "marks round a cell that holds a comma, or remove the extra cells"
        )
    if message in _PLAIN:
        return column, _PLAIN[message]
    return column, sentence(message)


def row_problems(errors: list[dict[str, Any]], count: int | None, importer: Importer) -> tuple[str, list[RowProblem]]:
    """monitoring-api's refusal of an import as (a summary by the file field, the problems by row)."""
    problems = []
    for error in errors:
        row = error.get("row")
        column, message = plain(str(error.get("field") or ""), str(error.get("message") or ""), importer)
        problems.append(RowProblem(row if isinstance(row, int) else None, column, message))
    total = count if count and count >= len(problems) else len(problems)
    noun = "problem" if total == 1 else "problems"
    them = "it" if total == 1 else "them"
    return f"The file has {total:,} {noun}, listed below: fix {them} and import the file again", problems


def template_csv(importer: Importer) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(importer.columns)
    return out.getvalue()


async def _import_page(
    request: Request,
    importer: Importer,
    *,
    result: Any = None,
    errors: dict[str, str] | None = None,
    rows: list[RowProblem] | None = None,
    key: str | None = None,
    pasted: str = "",
    notice: Notice | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "monitoring/admin_import.html",
        {
            "page_title": importer.title,
            "importer": importer,
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


async def _import(
    request: Request,
    client: ServiceClient,
    importer: Importer,
    file: UploadFile | None,
    pasted: str,
    idempotency_key: str,
) -> Response:
    text = pasted
    field = "csv"
    if file is not None and file.filename:
        field = "file"
        raw = await file.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors = {"file": "The file must be a CSV saved as UTF-8 text (CSV UTF-8)"}
            return await _import_page(request, importer, errors=errors, key=idempotency_key, status_code=422)
    if not text.strip():
        errors = {"file": "Choose a CSV file, or paste the CSV below"}
        return await _import_page(request, importer, errors=errors, key=idempotency_key, status_code=422)
    make = monitoring.import_values if importer is VALUES else monitoring.import_units
    call = make(text, idempotency_key=idempotency_key or None).with_timeout(IMPORT_TIMEOUT_SECONDS)
    outcome = await attempt(client.send(call))
    if outcome.value is not None:
        return await _import_page(request, importer, result=outcome.value)
    if outcome.notice:
        errors = {field: f"{importer.nothing_written}. {outcome.notice.text}"}
        return await _import_page(
            request, importer, errors=errors, notice=outcome.notice, key=idempotency_key, pasted=pasted
        )
    problem = outcome.problem
    assert problem is not None
    rows: list[RowProblem] = []
    if problem.field_errors():
        count = problem.problem.get("error_count")
        summary, rows = row_problems(problem.field_errors(), count if isinstance(count, int) else None, importer)
        if field == "csv":
            summary = summary.replace("The file has", "The pasted CSV has").replace("the file again", "it again")
    else:
        summary = sentence(problem.detail or importer.nothing_written)
    return await _import_page(
        request,
        importer,
        errors={field: summary},
        rows=rows,
        key=idempotency_key,
        pasted=pasted,
        status_code=problem.status if problem.status in (403, 409, 413, 415) else 422,
    )


UploadField = Annotated[UploadFile | None, File()]
PasteField = Annotated[str, Form(max_length=5_000_000)]
KeyField = Annotated[str, Form(max_length=100)]


def _template_response(importer: Importer) -> Response:
    return attachment(template_csv(importer), importer.template_name)


@router.get("/values/import/template.csv")
async def values_template(identity: Writer) -> Response:
    return _template_response(VALUES)


@router.get("/values/import")
async def values_form(request: Request, identity: Writer) -> Response:
    return await _import_page(request, VALUES)


@router.post("/values/import")
async def import_values(
    request: Request,
    identity: Writer,
    client: Client,
    file: UploadField = None,
    csv: PasteField = "",
    idempotency_key: KeyField = "",
) -> Response:
    return await _import(request, client, VALUES, file, csv, idempotency_key)


@router.get("/structure/import/template.csv")
async def structure_template(identity: Admin) -> Response:
    return _template_response(STRUCTURE)


@router.get("/structure/import")
async def structure_form(request: Request, identity: Admin) -> Response:
    return await _import_page(request, STRUCTURE)


@router.post("/structure/import")
async def import_structure(
    request: Request,
    identity: Admin,
    client: Client,
    file: UploadField = None,
    csv: PasteField = "",
    idempotency_key: KeyField = "",
) -> Response:
    return await _import(request, client, STRUCTURE, file, csv, idempotency_key)
