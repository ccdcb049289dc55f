"""Exchange: indicators and their results as FHIR R4 resources and as CSV. Plain functions on a Session."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlmodel import Session

from monitoring_api.exchange import fhir
from monitoring_api.indicators import models as im
from monitoring_api.indicators import service as indicators
from monitoring_api.structure.models import OrgUnit
from servicekit import csvio
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.errors import not_found

INDICATOR_COLUMNS = [
    "code",
    "title",
    "regional",
    "org",
    "unit_of_measure",
    "numerator",
    "denominator",
    "factor",
    "direction",
    "frequency",
    "source",
    "owner",
    "components",
    "actions",
    "framework_items",
    "screen_outliers",
    "baseline_points",
    "targets",
]
CHART_COLUMNS = [
    "period",
    "value",
    "numerator",
    "denominator",
    "reporting_units",
    "ghosted",
    "rebase_group",
    "mean",
    "lpl",
    "upl",
    "near_lpl",
    "near_upl",
    "target",
    "point_type",
    "special_cause_type",
    "provisional",
]


def measures(session: Session, principal: Principal, base_url: str) -> dict[str, Any]:
    rows, _ = indicators.list_indicators(session, principal, component=None, action=None, limit=100_000, after=None)
    resources = [fhir.measure(i.model_dump(mode="json"), base_url) for i in indicators.indicators_public(session, rows)]
    return fhir.bundle(resources, base_url, utcnow())


def measure(session: Session, indicator: im.Indicator, base_url: str) -> dict[str, Any]:
    return fhir.measure(indicators.indicators_public(session, [indicator])[0].model_dump(mode="json"), base_url)


def measure_reports(
    session: Session, indicator: im.Indicator, unit: OrgUnit, period: date | None, base_url: str
) -> dict[str, Any]:
    """One summary MeasureReport per period with a value (or the one `period`); the SPC reading of the
    series as a whole (variation, assurance) goes on the last period's report."""
    chart = indicators.chart(session, indicator, unit).model_dump(mode="json")
    definition = indicators.indicators_public(session, [indicator])[0].model_dump(mode="json")
    points = [p for p in chart["points"] if p["value"] is not None]
    last = points[-1]["date"] if points else None
    if period is not None:
        points = [p for p in points if p["date"] == period.isoformat()]
        if not points:
            raise not_found(f"value of {indicator.code} at {unit.code} for the period starting {period}")
    months = im.MONTHS_PER_PERIOD[indicator.frequency]
    generated = utcnow()
    reports = [
        fhir.measure_report(
            indicator=definition,
            unit=chart["unit"],
            point=p,
            months=months,
            variation=chart["variation"] if p["date"] == last else None,
            assurance=chart["assurance"] if p["date"] == last else None,
            base_url=base_url,
            generated=generated,
        )
        for p in points
    ]
    return fhir.bundle(reports, base_url, generated)


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def indicators_csv(session: Session, principal: Principal) -> str:
    rows, _ = indicators.list_indicators(session, principal, component=None, action=None, limit=100_000, after=None)
    out = io.StringIO()
    writer = csvio.writer(out)
    writer.writerow(INDICATOR_COLUMNS)
    for i in indicators.indicators_public(session, rows):
        data = i.model_dump(mode="json")
        data.update(data.pop("spc"))
        data["targets"] = " ".join(f"{t['from_date']}={t['value']}" for t in data["targets"])
        writer.writerow([_cell(data.get(column)) for column in INDICATOR_COLUMNS])
    return out.getvalue()


def chart_csv(session: Session, indicator: im.Indicator, unit: OrgUnit) -> str:
    chart = indicators.chart(session, indicator, unit).model_dump(mode="json")
    out = io.StringIO()
    writer = csvio.writer(out)
    writer.writerow(CHART_COLUMNS)
    for p in chart["points"]:
        p["period"] = p["date"]
        writer.writerow([_cell(p.get(column)) for column in CHART_COLUMNS])
    return out.getvalue()
