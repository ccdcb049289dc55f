"""An indicator at one organisation unit: its SPC chart drawn on the server (web.monitoring.chart),
the data table beside it, downloads as CSV and SVG, and the units under this one as small multiples.

monitoring-api addresses a chart by indicator and unit; /monitoring/indicators/{id} is the chart at
the user's own organisation. An indicator or unit the user's organisation may not see is monitoring-
api's 404, and so the page's."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from collective_clients.monitoring import operations as monitoring
from collective_clients.monitoring.models import Chart, ChartPoint, UnitPublic
from servicekit import csvio
from web.accounts.auth import Identity
from web.clients.base import ServiceClient, ServiceError, ServiceUnavailable
from web.monitoring import chart as spc
from web.monitoring.deps import Client, Reader
from web.notices import Notice, gather, notice_for
from web.pages import attachment, render

router = APIRouter(prefix="/monitoring/indicators", include_in_schema=False)

HOME = "/monitoring"
MAX_UNITS = 200  # units read under one unit: an organisation's directorates and teams
MAX_SMALL_MULTIPLES = 24

VARIATION_WORDS = {
    "common_cause": "Common cause variation: no significant change",
    "improvement_high": "Special cause variation: improvement, the values are higher",
    "improvement_low": "Special cause variation: improvement, the values are lower",
    "concern_high": "Special cause variation: concern, the values are higher",
    "concern_low": "Special cause variation: concern, the values are lower",
    "neutral_high": "Special cause variation: higher values, neither improvement nor concern",
    "neutral_low": "Special cause variation: lower values, neither improvement nor concern",
}
ASSURANCE_WORDS = {
    "pass": "The process will consistently meet the target",
    "fail": "The process will consistently fail the target unless something changes",
    "inconsistent": "The process may hit or miss the target: it is within the limits",
}


def chart_url(indicator_id: uuid.UUID, unit_id: uuid.UUID) -> str:
    return f"/monitoring/indicators/{indicator_id}/units/{unit_id}"


async def own_organisation(client: ServiceClient, identity: Identity) -> UnitPublic:
    """The unit of the user's organisation (a regional user sees every organisation: theirs is the
    one of their account)."""
    page = await client.send(monitoring.list_organisations())
    found = next((unit for unit in page.items if unit.code == identity.user.org), None)
    if found is None:
        raise HTTPException(404)
    return found


def children_of(units: Sequence[UnitPublic], unit_id: uuid.UUID) -> list[UnitPublic]:
    return [unit for unit in units if unit.parent is not None and unit.parent.id == unit_id]


def data_of(found: Chart) -> spc.ChartData:
    return spc.chart_data(
        found.indicator.title,
        found.unit_of_measure,
        found.points,
        annotations=found.annotations,
        rebases=found.rebases,
        near_limits=found.options.two_sigma,
    )


def latest(points: Sequence[ChartPoint]) -> ChartPoint | None:
    return next((p for p in reversed(points) if p.value is not None), None)


def _small_label(found: Chart) -> str:
    last = latest(found.points)
    words = [found.unit.name]
    if last is not None:
        words.append(f"latest {spc.number(last.value, found.unit_of_measure)} ({spc.month(last.date)})")
    if found.variation.icon:
        words.append(VARIATION_WORDS.get(found.variation.icon, found.variation.icon))
    return ", ".join(words)


async def _small_multiple(client: ServiceClient, indicator_id: uuid.UUID, unit: UnitPublic) -> dict[str, Any]:
    found = await client.send(monitoring.read_chart(indicator_id, unit.id))
    return {
        "unit": unit,
        "chart": found,
        "latest": latest(found.points),
        "svg": spc.sparkline(spc.points_of(found.points), label=_small_label(found)),
        "url": chart_url(indicator_id, unit.id),
    }


async def _small_multiples(
    client: ServiceClient, indicator_id: uuid.UUID, children: Sequence[UnitPublic]
) -> tuple[list[dict[str, Any]], Notice | None]:
    results = await asyncio.gather(
        *(_small_multiple(client, indicator_id, unit) for unit in children[:MAX_SMALL_MULTIPLES]),
        return_exceptions=True,
    )
    out: list[dict[str, Any]] = []
    notice = None
    for result in results:
        if isinstance(result, ServiceError | ServiceUnavailable):
            notice = notice or notice_for(result)
        elif isinstance(result, BaseException):
            raise result
        else:
            out.append(result)
    return out, notice


def _rows(found: Chart) -> list[dict[str, Any]]:
    notes: dict[date, list[str]] = {}
    for annotation in found.annotations:
        on = next((p.date for p in found.points if p.date >= annotation.on), annotation.on)
        notes.setdefault(on, []).append(annotation.text)
    for rebase in found.rebases:
        notes.setdefault(rebase.on, []).append(f"Rebased: {rebase.reason}")
    rows = []
    for point in found.points:
        words = spc.point_type_words(spc.points_of([point])[0]) if point.value is not None else "gap: no value"
        rows.append({"point": point, "type": words, "notes": notes.get(point.date, [])})
    return rows


async def _page(request: Request, client: ServiceClient, indicator_id: uuid.UUID, unit_id: uuid.UUID) -> Response:
    (found, units, definition), notice = await gather(
        client.send(monitoring.read_chart(indicator_id, unit_id)),
        client.send(monitoring.list_units(under=unit_id, limit=MAX_UNITS)),
        client.send(monitoring.read_indicator(indicator_id)),
    )
    unit = next((u for u in units.items if u.id == unit_id), None) if units else None
    children = children_of(units.items, unit_id) if units else []
    multiples: list[dict[str, Any]] = []
    if found is not None and children:
        multiples, later = await _small_multiples(client, indicator_id, children)
        notice = notice or later
    title = found.indicator.title if found else (definition.title if definition else "Indicator")
    return render(
        request,
        "monitoring/indicator.html",
        {
            "page_title": f"{title}: {found.unit.name}" if found else title,
            "chart": found,
            "definition": definition,
            "unit": unit,
            "svg": spc.draw(data_of(found)) if found else None,
            "rows": _rows(found) if found else [],
            "latest": latest(found.points) if found else None,
            "multiples": multiples,
            "has_children": bool(children),
            "indicator_id": indicator_id,
            "unit_id": unit_id,
            "here": chart_url(indicator_id, unit_id),
            "parent_url": chart_url(indicator_id, unit.parent.id) if unit and unit.parent else None,
            "parent_name": unit.parent.name if unit and unit.parent else None,
            "VARIATION_WORDS": VARIATION_WORDS,
            "ASSURANCE_WORDS": ASSURANCE_WORDS,
            "number": spc.number,
            "month": spc.month,
            "day": spc.day,
            "notice": notice,
        },
        status_code=notice.status_code if notice and found is None else 200,
    )


@router.get("/{indicator_id}")
async def indicator_at_my_organisation(
    request: Request, indicator_id: uuid.UUID, identity: Reader, client: Client
) -> Response:
    try:
        organisation = await own_organisation(client, identity)
    except (ServiceError, ServiceUnavailable) as exc:
        return render(
            request,
            "monitoring/indicator.html",
            {"page_title": "Indicator", "chart": None, "notice": notice_for(exc), "rows": [], "multiples": []},
            status_code=notice_for(exc).status_code,
        )
    return await _page(request, client, indicator_id, organisation.id)


@router.get("/{indicator_id}/units/{unit_id}")
async def indicator_at_unit(
    request: Request, indicator_id: uuid.UUID, unit_id: uuid.UUID, identity: Reader, client: Client
) -> Response:
    return await _page(request, client, indicator_id, unit_id)


# --- downloads ------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "chart"


def _download_failed(request: Request, notice: Notice, indicator_id: uuid.UUID, unit_id: uuid.UUID) -> Response:
    # A download that failed because the service is down is a 503, not a page that answers 200.
    return render(
        request,
        "monitoring/indicator_download_failed.html",
        {"page_title": "The chart cannot be downloaded", "notice": notice, "here": chart_url(indicator_id, unit_id)},
        status_code=503 if notice.kind == "unavailable" else notice.status_code,
    )


CSV_HEADER = (
    "Date",
    "Value",
    "Numerator",
    "Denominator",
    "Mean",
    "Lower process limit",
    "Upper process limit",
    "Lower near limit",
    "Upper near limit",
    "Target",
    "Point type",
    "Provisional limits",
    "Notes",
)


def chart_csv(found: Chart) -> str:
    """The chart as CSV for people: every cell through servicekit.csvio (formulas neutralised)."""
    out = io.StringIO()
    writer = csvio.writer(out)
    writer.writerow(CSV_HEADER)
    for row in _rows(found):
        p: ChartPoint = row["point"]
        writer.writerow(
            (
                p.date.isoformat(),
                "" if p.value is None else p.value,
                "" if p.numerator is None else p.numerator,
                "" if p.denominator is None else p.denominator,
                "" if p.mean is None else p.mean,
                "" if p.lpl is None else p.lpl,
                "" if p.upl is None else p.upl,
                "" if p.near_lpl is None else p.near_lpl,
                "" if p.near_upl is None else p.near_upl,
                "" if p.target is None else p.target,
                row["type"],
                "yes" if p.provisional else "no",
                "; ".join(row["notes"]),
            )
        )
    return out.getvalue()


@router.get("/{indicator_id}/units/{unit_id}/chart.csv")
async def download_csv(
    request: Request, indicator_id: uuid.UUID, unit_id: uuid.UUID, identity: Reader, client: Client
) -> Response:
    (found,), notice = await gather(client.send(monitoring.read_chart(indicator_id, unit_id)))
    if found is None:
        assert notice is not None
        return _download_failed(request, notice, indicator_id, unit_id)
    filename = f"{_slug(found.indicator.code)}-{_slug(found.unit.code)}.csv"
    return attachment(chart_csv(found), filename)


@router.get("/{indicator_id}/units/{unit_id}/chart.svg")
async def download_svg(
    request: Request, indicator_id: uuid.UUID, unit_id: uuid.UUID, identity: Reader, client: Client
) -> Response:
    (found,), notice = await gather(client.send(monitoring.read_chart(indicator_id, unit_id)))
    if found is None:
        assert notice is not None
        return _download_failed(request, notice, indicator_id, unit_id)
    filename = f"{_slug(found.indicator.code)}-{_slug(found.unit.code)}.svg"
    title = f"{found.indicator.title}: {found.unit.name}"
    svg = spc.draw(dataclasses.replace(data_of(found), title=title))
    return attachment(spc.standalone(svg), filename, "image/svg+xml")
