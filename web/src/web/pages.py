"""Rendering: one Jinja2 template serves the full page, and with `HX-Request` just a block of it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from jinja2.runtime import Macro
from jinja2_fragments.fastapi import Jinja2Blocks

from web import labels
from web.accounts.organisations import ORGANISATIONS, organisation_name
from web.accounts.roles import ROLE_LABELS, Role
from web.clients import answers
from web.labels import AUDIENCES, ITEM_TYPE_TAGS, VACANCY_STATUS_TAGS, VERSION_STATUS_TAGS, humanise, label
from web.navigation import visible_entries

TEMPLATES_DIR = Path(__file__).parent / "templates"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
LOCAL_TIME = ZoneInfo("Europe/London")  # the time people in Northern Ireland read


def is_htmx(request: Request) -> bool:
    """An htmx request for part of a page (not a history restore, which wants the whole page)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and "hx-history-restore-request" not in headers


def _layout(request: Request) -> dict[str, Any]:
    identity = getattr(request.state, "identity", None)
    scopes = identity.scopes if identity is not None else frozenset()
    return {
        "identity": identity,
        "user": identity.user if identity is not None else None,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "navigation": visible_entries(scopes) if identity is not None else [],
        "current_path": request.url.path,
    }


templates = Jinja2Blocks(directory=TEMPLATES_DIR, context_processors=[_layout])
templates.env.globals.update(
    ORGANISATIONS=ORGANISATIONS,
    ROLE_LABELS=ROLE_LABELS,
    ROLES=list(Role),
    AUDIENCES=AUDIENCES,
    STATUS_ACTIONS=labels.STATUS_ACTIONS,
    STAGE_KINDS=labels.STAGE_KINDS,
    OUTCOMES=labels.OUTCOMES,
    BANDS=labels.BANDS,
    DESIGNS=labels.RELIABILITY_DESIGNS,
    COEFFICIENTS=labels.COEFFICIENTS,
    CATEGORIES=labels.EQUALITY_CATEGORIES,
    PLAN_STATUSES=labels.PLAN_STATUSES,
    PLAN_STATUS_TAGS=labels.PLAN_STATUS_TAGS,
    organisation_name=organisation_name,
)
# What the templates ask of the services' answers: `stage is scored`, `sheet is submitted`, ...
templates.env.tests.update(
    scored=answers.scored,
    submitted=answers.submitted,
    answered=answers.answered,
    unchanged=answers.unchanged,
)
templates.env.filters.update(
    humanise=humanise,
    status_tag=lambda status: VERSION_STATUS_TAGS.get(status, "nhsuk-tag--grey"),
    type_tag=lambda kind: ITEM_TYPE_TAGS.get(kind, "nhsuk-tag--grey"),
    vacancy_tag=lambda status: VACANCY_STATUS_TAGS.get(status, "nhsuk-tag--grey"),
    audience=lambda value: label(AUDIENCES, value),
    date=lambda value: value.strftime("%-d %B %Y") if value else "",
    local_time=lambda value: value.astimezone(LOCAL_TIME).strftime("%-d %B %Y, %H:%M:%S") if value else "",
)

# The shared macros (error summary, notices, tags) are globals, so a block rendered on its own as
# an htmx fragment has them too (top-level imports of a template do not run for a lone block).
_macros = templates.env.get_template("macros.html").make_module()
templates.env.globals.update({name: value for name, value in vars(_macros).items() if isinstance(value, Macro)})


def see_other(url: str) -> RedirectResponse:
    """303: after a change, the browser GETs `url` (so reloading it does not send the form again)."""
    return RedirectResponse(url, status_code=303)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The whole page, or only `block` when htmx asks for part of it."""
    fragment = block if block is not None and is_htmx(request) else None
    response = templates.TemplateResponse(
        request, name, dict(context or {}), status_code=status_code, headers=headers, block_name=fragment
    )
    response.headers["Vary"] = "HX-Request"
    return response


def attachment(content: str | bytes, filename: str, media_type: str = CSV_MEDIA_TYPE) -> Response:
    """A file the browser saves as `filename` (a CSV unless `media_type` says otherwise)."""
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# How many of an import's problems a page lists (the service's answer holds at most as many).
MAX_PROBLEMS_SHOWN = 1000


def import_fields(
    *,
    result: Any = None,
    errors: Mapping[str, str] | None = None,
    rows: Sequence[Any] | None = None,
    key: str | None = None,
    pasted: str = "",
    notice: Any = None,
) -> dict[str, Any]:
    """What every import page's form shows: the result, or the problems (by field, and by row);
    the Idempotency-Key the form sends (a fresh one, unless the form is shown again after a
    problem, so that sending it again cannot import twice); the pasted CSV; and a notice."""
    return {
        "result": result,
        "errors": dict(errors or {}),
        "rows": list(rows or [])[:MAX_PROBLEMS_SHOWN],
        "idempotency_key": key or str(uuid.uuid4()),
        "pasted": pasted,
        "notice": notice,
    }
