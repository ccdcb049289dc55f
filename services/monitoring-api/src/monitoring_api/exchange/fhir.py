"""Indicators as FHIR R4 `Measure` and their results as `MeasureReport` (summary). Pure: plain data in,
JSON-ready dicts out.

- Measure.scoring: proportion (percent), ratio (ratio, per 1,000), continuous-variable (a plain value).
- Measure.name is the code as a computable name (R4's cnl-0); each population's criteria is an R4
  Expression (`text/cql`, the definition `Numerator` or `Denominator`, the wording as its description).
- improvementNotation (increase / decrease) from the indicator's direction; none when neutral.
- MeasureReport.group.population: numerator and denominator with their counts. FHIR's `count` is an
  integer: a sum that is not a whole number (bed days 412.5, spend in pounds) goes in our extension
  `population-amount` (valueDecimal) instead.
- measureScore is a Quantity in the indicator's unit of measure.
- The SPC reading of the period (point type, special cause, mean and limits, variation and assurance
  with the package's icon names, provisional limits, the target) is carried in extensions under
  https://collective.hscni.net/fhir/StructureDefinition/.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

EXTENSION_BASE = "https://collective.hscni.net/fhir/StructureDefinition/"
IMPROVEMENT_NOTATION = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
MEASURE_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
MEASURE_SCORING = "http://terminology.hl7.org/CodeSystem/measure-scoring"
MEASURE_TYPE = "http://terminology.hl7.org/CodeSystem/measure-type"
INDICATOR_SYSTEM = "https://collective.hscni.net/fhir/NamingSystem/indicator-code"
UNIT_SYSTEM = "https://collective.hscni.net/fhir/NamingSystem/organisation-unit-path"
COMPONENT_SYSTEM = "https://collective.hscni.net/fhir/CodeSystem/strategy-component"
ACTION_SYSTEM = "https://collective.hscni.net/fhir/CodeSystem/strategy-action"
UCUM = "http://unitsofmeasure.org"
PUBLISHER = "HSC Collective Leadership Strategy, Northern Ireland"
REPORT_NAMESPACE = uuid.UUID("5b0b6f4e-8d0a-4c7e-9f61-2a4f6d3c1e90")

SCORING = {"percent": "proportion", "ratio": "ratio", "per_1000": "ratio", "value": "continuous-variable"}
SCORING_DISPLAY = {"proportion": "Proportion", "ratio": "Ratio", "continuous-variable": "Continuous Variable"}
POPULATION_DISPLAY = {
    "initial-population": "Initial Population",
    "numerator": "Numerator",
    "denominator": "Denominator",
    "measure-observation": "Measure Observation",
}
UCUM_CODES = {"%": "%", "days": "d", "day": "d"}

# Our extension URLs, one per SPC output.
EXTENSIONS = {
    name: EXTENSION_BASE + name
    for name in (
        "indicator-factor",
        "indicator-frequency",
        "population-amount",
        "spc-point-type",
        "spc-special-cause-type",
        "spc-mean",
        "spc-lower-process-limit",
        "spc-upper-process-limit",
        "spc-variation-type",
        "spc-variation-icon",
        "spc-assurance-type",
        "spc-assurance-icon",
        "spc-provisional",
        "spc-ghosted",
        "target",
    )
}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def improvement_notation(direction: str) -> dict[str, Any] | None:
    if direction not in ("increase", "decrease"):
        return None
    return _coding(
        IMPROVEMENT_NOTATION,
        direction,
        "Increased score indicates improvement" if direction == "increase" else "Decreased score indicates improvement",
    )


def measure_url(base_url: str, indicator_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/fhir/Measure/{indicator_id}"


def measure_name(code: str) -> str:
    """The code as a computable name (R4's cnl-0, `[A-Z]([A-Za-z0-9_]){0,254}`): '-' and '.' become '_',
    and a code that starts with a digit is prefixed with `INDICATOR_`."""
    name = code.replace("-", "_").replace(".", "_")
    return name if name[:1].isalpha() else f"INDICATOR_{name}"


def _population(code: str, description: str) -> dict[str, Any]:
    """R4's Expression.language is one of text/cql, text/fhirpath and application/x-fhir-query, and an
    expression or a reference is required (exp-1): the criterion is named as a CQL definition
    (`Numerator`, `Denominator`) and its wording goes in the descriptions."""
    return {
        "code": _coding(MEASURE_POPULATION, code, POPULATION_DISPLAY[code]),
        "description": description,
        "criteria": {"description": description, "language": "text/cql", "expression": POPULATION_DISPLAY[code]},
    }


def measure(indicator: dict[str, Any], base_url: str) -> dict[str, Any]:
    """`indicator` is the indicator's public JSON (IndicatorPublic)."""
    scoring = SCORING[indicator["factor"]]
    populations = [_population("numerator", indicator["numerator"])]
    if indicator.get("denominator"):
        populations.append(_population("denominator", indicator["denominator"]))
    resource: dict[str, Any] = {
        "resourceType": "Measure",
        "id": str(indicator["id"]),
        "url": measure_url(base_url, indicator["id"]),
        "identifier": [{"system": INDICATOR_SYSTEM, "value": indicator["code"]}],
        "name": measure_name(indicator["code"]),
        "title": indicator["title"],
        "status": "active",
        "experimental": bool(indicator.get("demo")),
        "date": _instant(indicator["updated_at"]),
        "publisher": PUBLISHER if indicator.get("regional") else indicator.get("org") or PUBLISHER,
        "description": indicator.get("description") or indicator["title"],
        "scoring": _coding(MEASURE_SCORING, scoring, SCORING_DISPLAY[scoring]),
        "type": [_coding(MEASURE_TYPE, "outcome", "Outcome")],
        "group": [{"population": populations}],
        "extension": [
            {"url": EXTENSIONS["indicator-factor"], "valueCode": indicator["factor"]},
            {"url": EXTENSIONS["indicator-frequency"], "valueCode": indicator["frequency"]},
        ],
    }
    notation = improvement_notation(indicator["direction"])
    if notation:
        resource["improvementNotation"] = notation
    topics = [_coding(COMPONENT_SYSTEM, c) for c in indicator.get("components", [])]
    topics += [_coding(ACTION_SYSTEM, a) for a in indicator.get("actions", [])]
    if topics:
        resource["topic"] = topics
    if indicator.get("source"):
        resource["purpose"] = f"Source: {indicator['source']}"
    return resource


def _instant(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _amount(code: str, amount: float | None) -> dict[str, Any]:
    population: dict[str, Any] = {"code": _coding(MEASURE_POPULATION, code, POPULATION_DISPLAY[code])}
    if amount is None:
        return population
    if float(amount).is_integer() and amount >= 0:
        population["count"] = int(amount)
    else:
        population["extension"] = [{"url": EXTENSIONS["population-amount"], "valueDecimal": amount}]
    return population


def _quantity(value: float, unit_of_measure: str) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value, "unit": unit_of_measure}
    if unit_of_measure in UCUM_CODES:
        quantity["system"] = UCUM
        quantity["code"] = UCUM_CODES[unit_of_measure]
    return quantity


def period_end(start: date, months: int) -> date:
    years, month = divmod(start.month - 1 + months, 12)
    following = date(start.year + years, month + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def measure_report(
    *,
    indicator: dict[str, Any],
    unit: dict[str, Any],
    point: dict[str, Any],
    months: int,
    variation: dict[str, Any] | None,
    assurance: dict[str, Any] | None,
    base_url: str,
    generated: datetime,
) -> dict[str, Any]:
    """A summary MeasureReport of one period. `point` is a chart point (ChartPoint JSON); `variation`
    and `assurance` are given for the series' last point only (they describe the series, as of then)."""
    start = date.fromisoformat(str(point["date"]))
    report_id = uuid.uuid5(REPORT_NAMESPACE, f"{indicator['id']}:{unit['path']}:{start.isoformat()}")
    populations = [_amount("numerator", point.get("numerator"))]
    if indicator.get("denominator"):
        populations.append(_amount("denominator", point.get("denominator")))
    group: dict[str, Any] = {
        "code": _coding(INDICATOR_SYSTEM, indicator["code"], indicator["title"]),
        "population": populations,
    }
    if point.get("value") is not None:
        group["measureScore"] = _quantity(point["value"], indicator["unit_of_measure"])
    extensions = []

    def add(name: str, kind: str, value: Any) -> None:
        if value is not None:
            extensions.append({"url": EXTENSIONS[name], kind: value})

    add("spc-point-type", "valueCode", point.get("point_type"))
    add("spc-special-cause-type", "valueString", point.get("special_cause_type"))
    add("spc-mean", "valueDecimal", point.get("mean"))
    add("spc-lower-process-limit", "valueDecimal", point.get("lpl"))
    add("spc-upper-process-limit", "valueDecimal", point.get("upl"))
    add("spc-provisional", "valueBoolean", point.get("provisional"))
    if point.get("ghosted"):
        add("spc-ghosted", "valueBoolean", True)
    add("target", "valueDecimal", point.get("target"))
    if variation:
        add("spc-variation-type", "valueCode", variation.get("type"))
        add("spc-variation-icon", "valueCode", variation.get("icon"))
    if assurance:
        add("spc-assurance-type", "valueCode", assurance.get("type"))
        add("spc-assurance-icon", "valueCode", assurance.get("icon"))
    if extensions:
        group["extension"] = extensions
    resource: dict[str, Any] = {
        "resourceType": "MeasureReport",
        "id": str(report_id),
        "status": "complete",
        "type": "summary",
        "measure": measure_url(base_url, indicator["id"]),
        "date": generated.isoformat(),
        "reporter": {
            "identifier": {"system": UNIT_SYSTEM, "value": unit["path"]},
            "display": unit["name"],
        },
        "period": {"start": start.isoformat(), "end": period_end(start, months).isoformat()},
        "group": [group],
    }
    notation = improvement_notation(indicator["direction"])
    if notation:
        resource["improvementNotation"] = notation
    return resource


def bundle(resources: list[dict[str, Any]], base_url: str, generated: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": generated.isoformat(),
        "total": len(resources),
        "entry": [{"fullUrl": _full_url(r, base_url), "resource": r, "search": {"mode": "match"}} for r in resources],
    }


def _full_url(resource: dict[str, Any], base_url: str) -> str:
    """A Measure is served at its URL; a MeasureReport is computed on request, so it is named by its id."""
    if resource["resourceType"] == "Measure":
        return resource["url"]
    return f"urn:uuid:{resource['id']}"
