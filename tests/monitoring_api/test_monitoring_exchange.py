"""Exchange: indicators as FHIR R4 Measure, results as summary MeasureReport (shapes as the R4 spec
defines them, SPC outputs in our extensions), and CSV exports neutralised for spreadsheets."""

from __future__ import annotations

import copy
import csv
import io

import pytest
from fhir_support import TERMINOLOGY, assert_valid, problems
from monitoring_support import EVERYTHING, READ, create_indicator, headers, ingest_csv, months, tree, unique

IMPROVEMENT = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
EXTENSIONS = "https://collective.hscni.net/fhir/StructureDefinition/"


def _setup(client, keys, org="NHSCT", **indicator):
    t = tree(client, keys, org)
    created = create_indicator(client, keys, org=org, **indicator)
    denominator = None if indicator.get("factor") == "value" else 100
    values = [(p, 40 + (n % 3), denominator) for n, p in enumerate(months(14))]
    ingest_csv(client, keys, org, [(created["code"], t["a"]["code"], p, num, den) for p, num, den in values])
    return created, t["a"]


def _codes(concept):
    return [(c["system"], c["code"]) for c in concept["coding"]]


def test_an_indicator_as_a_fhir_r4_measure(client, keys):
    indicator, _ = _setup(client, keys, direction="decrease", components=["C2", "C4"], source="HR system")
    response = client.get(f"/fhir/Measure/{indicator['id']}", headers=headers(keys, READ, org="NHSCT"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    measure = response.json()
    assert measure["resourceType"] == "Measure" and measure["status"] == "active"
    assert measure["id"] == indicator["id"]
    assert measure["url"] == f"https://monitoring.test/fhir/Measure/{indicator['id']}"
    assert measure["identifier"] == [
        {"system": "https://collective.hscni.net/fhir/NamingSystem/indicator-code", "value": indicator["code"]}
    ]
    assert _codes(measure["scoring"]) == [("http://terminology.hl7.org/CodeSystem/measure-scoring", "proportion")]
    assert _codes(measure["improvementNotation"]) == [(IMPROVEMENT, "decrease")]
    populations = measure["group"][0]["population"]
    assert [_codes(p["code"]) for p in populations] == [[(POPULATION, "numerator")], [(POPULATION, "denominator")]]
    assert [p["criteria"] for p in populations] == [
        {"description": "Staff who agree", "language": "text/cql", "expression": "Numerator"},
        {"description": "Staff who answered", "language": "text/cql", "expression": "Denominator"},
    ]
    assert measure["name"] == indicator["code"].replace("-", "_")
    bundle = client.get("/fhir/Measure", headers=headers(keys, READ, org="NHSCT")).json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert measure["url"] in [e["fullUrl"] for e in bundle["entry"]]


def test_plain_values_and_neutral_indicators(client, keys):
    plain, _ = _setup(client, keys, factor="value", denominator=None, direction="neutral", unit_of_measure="GBP")
    measure = client.get(f"/fhir/Measure/{plain['id']}", headers=headers(keys, READ, org="NHSCT")).json()
    assert _codes(measure["scoring"])[0][1] == "continuous-variable"
    assert "improvementNotation" not in measure
    assert len(measure["group"][0]["population"]) == 1


def test_results_as_summary_measure_reports_with_spc_extensions(client, keys):
    indicator, unit = _setup(client, keys)
    measure = client.get(f"/fhir/Measure/{indicator['id']}", headers=headers(keys, READ, org="NHSCT")).json()
    response = client.get(
        "/fhir/MeasureReport",
        params={"indicator": indicator["id"], "unit": unit["id"]},
        headers=headers(keys, READ, org="NHSCT"),
    )
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["total"] == 14
    reports = [e["resource"] for e in bundle["entry"]]
    first, last = reports[0], reports[-1]
    for report in reports:
        assert report["resourceType"] == "MeasureReport"
        assert (report["status"], report["type"]) == ("complete", "summary")
        assert report["measure"] == measure["url"]
        assert _codes(report["improvementNotation"]) == [(IMPROVEMENT, "increase")]
        assert report["reporter"]["identifier"]["value"] == unit["path"]
    assert first["period"] == {"start": "2024-01-01", "end": "2024-01-31"}
    group = first["group"][0]
    assert [(_codes(p["code"])[0][1], p["count"]) for p in group["population"]] == [
        ("numerator", 40),
        ("denominator", 100),
    ]
    assert group["measureScore"] == {"value": 40.0, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    extensions = {e["url"].removeprefix(EXTENSIONS): e for e in group["extension"]}
    assert all(e["url"].startswith(EXTENSIONS) for e in group["extension"])
    assert extensions["spc-point-type"]["valueCode"] == "common_cause"
    assert "valueDecimal" in extensions["spc-mean"] and "valueDecimal" in extensions["spc-upper-process-limit"]
    assert "spc-variation-icon" not in extensions  # the series' reading goes on its last report
    last_ext = {e["url"].removeprefix(EXTENSIONS): e for e in last["group"][0]["extension"]}
    assert last_ext["spc-variation-icon"]["valueCode"] == "common_cause"
    assert last_ext["spc-provisional"]["valueBoolean"] is False
    one = client.get(
        "/fhir/MeasureReport",
        params={"indicator": indicator["id"], "unit": unit["id"], "period": "2024-03-01"},
        headers=headers(keys, READ, org="NHSCT"),
    ).json()
    assert [e["resource"]["period"]["start"] for e in one["entry"]] == ["2024-03-01"]
    missing = client.get(
        "/fhir/MeasureReport",
        params={"indicator": indicator["id"], "unit": unit["id"], "period": "2030-01-01"},
        headers=headers(keys, READ, org="NHSCT"),
    )
    assert missing.status_code == 404
    other = client.get(
        "/fhir/MeasureReport", params={"indicator": indicator["id"], "unit": unit["id"]}, headers=headers(keys, READ)
    )
    assert other.status_code == 404


def test_amounts_that_are_not_whole_numbers_go_in_an_extension(client, keys):
    org = "NHSCT"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org, factor="ratio", unit_of_measure="days")
    ingest_csv(client, keys, org, [(indicator["code"], t["a"]["code"], "2024-01-01", 412.5, 50)])
    report = client.get(
        "/fhir/MeasureReport",
        params={"indicator": indicator["id"], "unit": t["a"]["id"]},
        headers=headers(keys, READ, org=org),
    ).json()["entry"][0]["resource"]
    numerator, denominator = report["group"][0]["population"]
    assert "count" not in numerator
    assert numerator["extension"] == [{"url": EXTENSIONS + "population-amount", "valueDecimal": 412.5}]
    assert denominator["count"] == 50
    assert report["group"][0]["measureScore"] == {
        "value": 8.25,
        "unit": "days",
        "system": "http://unitsofmeasure.org",
        "code": "d",
    }


# --- the FHIR R4 oracle: every export validates against the official R4 JSON Schema (fhir_support) ---------


def _get(client, keys, path, **params):
    response = client.get(path, params=params, headers=headers(keys, READ, org="NHSCT"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    return response.json()


def _series(client, keys, t, code, rows):
    ingest_csv(client, keys, "NHSCT", [(code, t["a"]["code"], p, num, den) for p, num, den in rows])


def _exports(client, keys):
    """Percent, ratio and plain indicators with results that are not whole numbers, gaps, a ghosted
    point and targets, and every FHIR endpoint's answer for them."""
    t = tree(client, keys, "NHSCT")
    periods = months(24)
    percent = create_indicator(
        client, keys, org="NHSCT", code=f"2024.{unique('STAFF')}", direction="decrease", source="Pulse survey"
    )
    _series(
        client, keys, t, percent["code"], [(p, 40 + (n % 5), 100) for n, p in enumerate(periods) if n not in (6, 7)]
    )
    url = f"/indicators/{percent['id']}"
    etag = client.get(url, headers=headers(keys, *EVERYTHING, org="NHSCT")).headers["etag"]
    targets = {"targets": [{"value": 42.5, "from_date": "2024-01-01"}, {"value": 40, "from_date": "2025-01-01"}]}
    put = client.put(
        url + "/targets", json=targets, headers={**headers(keys, *EVERYTHING, org="NHSCT"), "If-Match": etag}
    )
    assert put.status_code == 200, put.text
    ghost = client.post(
        f"{url}/units/{t['a']['id']}/ghosts",
        json={"period": periods[3], "reason": "Extract failed"},
        headers=headers(keys, *EVERYTHING, org="NHSCT"),
    )
    assert ghost.status_code == 201, ghost.text
    ratio = create_indicator(
        client, keys, org="NHSCT", factor="ratio", unit_of_measure="days", denominator="Staff in post"
    )
    _series(client, keys, t, ratio["code"], [(p, 412.5 + n * 3.25, 50 + n) for n, p in enumerate(periods[:15])])
    plain = create_indicator(
        client,
        keys,
        org="NHSCT",
        factor="value",
        denominator=None,
        direction="neutral",
        unit_of_measure="GBP",
        components=[],
        actions=[],
    )
    _series(client, keys, t, plain["code"], [(p, 1234.56 + 10.01 * n, None) for n, p in enumerate(periods[:12])])
    out = {"GET /fhir/Measure": _get(client, keys, "/fhir/Measure")}
    for kind, indicator in (("percent", percent), ("ratio", ratio), ("plain", plain)):
        out[f"GET /fhir/Measure/{{id}} {kind}"] = _get(client, keys, f"/fhir/Measure/{indicator['id']}")
        out[f"GET /fhir/MeasureReport {kind}"] = _get(
            client, keys, "/fhir/MeasureReport", indicator=indicator["id"], unit=t["a"]["id"]
        )
    out["GET /fhir/MeasureReport percent period"] = _get(
        client, keys, "/fhir/MeasureReport", indicator=percent["id"], unit=t["a"]["id"], period=periods[3]
    )
    return out


def test_every_fhir_export_validates_against_the_r4_schema(client, keys):
    exports = _exports(client, keys)
    refused = {name: problems(resource) for name, resource in exports.items()}
    assert not any(refused.values()), "\n".join(f"{name}: {p}" for name, found in refused.items() for p in found)
    # What was validated covers what the exporter writes: each scoring, both notations and none, every
    # SPC extension, amounts that are not whole numbers, the ghosted point and the gaps.
    measures = [e["resource"] for e in exports["GET /fhir/Measure"]["entry"]]
    assert {m["scoring"]["coding"][0]["code"] for m in measures} >= {"proportion", "ratio", "continuous-variable"}
    assert {m.get("improvementNotation", {}).get("coding", [{}])[0].get("code") for m in measures} >= {
        "increase",
        "decrease",
        None,
    }
    reports = [e["resource"] for name, bundle in exports.items() if "MeasureReport" in name for e in bundle["entry"]]
    urls = {x["url"].removeprefix(EXTENSIONS) for r in reports for g in r["group"] for x in g.get("extension", [])}
    urls |= {
        x["url"].removeprefix(EXTENSIONS)
        for r in reports
        for p in r["group"][0]["population"]
        for x in p.get("extension", [])
    }
    assert urls >= {
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
    }
    assert exports["GET /fhir/Measure/{id} percent"]["name"].startswith("INDICATOR_2024_")  # a code from a digit
    percent = exports["GET /fhir/MeasureReport percent"]
    starts = [e["resource"]["period"]["start"] for e in percent["entry"]]
    assert len(starts) == 22 and "2024-07-01" not in starts and "2024-08-01" not in starts  # the gap


def test_the_openapi_examples_are_valid_r4():
    from monitoring_api.exchange import models

    assert_valid(models.MEASURE_EXAMPLE)
    assert_valid(models.MEASURE_REPORT_EXAMPLE)
    for example in models.Bundle.model_config["json_schema_extra"]["examples"]:
        assert_valid(example)


def _broken(resource, change):
    broken = copy.deepcopy(resource)
    change(broken)
    return broken


def test_the_oracle_refuses_resources_that_are_not_r4(client, keys):
    """A test of the test: the oracle finds each of these faults in an otherwise valid export."""
    exports = _exports(client, keys)
    measure = exports["GET /fhir/Measure/{id} percent"]
    bundle = exports["GET /fhir/MeasureReport percent"]
    report = bundle["entry"][-1]["resource"]
    assert not problems(measure) and not problems(report) and not problems(bundle)
    group = lambda r: r["group"][0]  # noqa: E731
    faults = {
        "unknown resource type": (measure, lambda r: r.update(resourceType="Measurement")),
        "unknown element": (measure, lambda r: r.update(colour="blue")),
        "status outside its value set": (report, lambda r: r.update(status="final")),
        "type outside its value set": (report, lambda r: r.update(type="aggregate")),
        "no period": (report, lambda r: r.pop("period")),
        "no measure": (report, lambda r: r.pop("measure")),
        "a dateTime without its time zone": (report, lambda r: r.update(date="2024-01-01T10:00:00")),
        "an impossible date": (report, lambda r: r["period"].update(start="2024-13-01")),
        "a period ending before it starts": (report, lambda r: r["period"].update(end="2023-12-31")),
        "a string where an object belongs": (report, lambda r: r.update(reporter="Ward 7")),
        "an extension with two values": (
            report,
            lambda r: group(r)["extension"][0].update(valueString="x"),
        ),
        "an extension without a value": (
            report,
            lambda r: group(r)["extension"][0].pop(next(k for k in group(r)["extension"][0] if k != "url")),
        ),
        "an extension without a url": (report, lambda r: group(r)["extension"][0].pop("url")),
        "an extension with a relative url": (report, lambda r: group(r)["extension"][0].update(url="spc-mean")),
        "a count that is not a whole number": (report, lambda r: group(r)["population"][0].update(count=1.5)),
        "an improvement notation from no code system": (
            report,
            lambda r: r["improvementNotation"]["coding"][0].update(code="down"),
        ),
        "a scoring from the wrong code system": (
            measure,
            lambda r: r["scoring"]["coding"][0].update(system=TERMINOLOGY + "measure-type"),
        ),
        "a population without criteria": (measure, lambda r: r["group"][0]["population"][0].pop("criteria")),
        "criteria in a language R4 does not know": (
            measure,
            lambda r: r["group"][0]["population"][0]["criteria"].update(language="text/plain"),
        ),
        "a name no machine can use": (measure, lambda r: r.update(name="2024 staff")),
        "a quantity's code without its system": (report, lambda r: group(r)["measureScore"].pop("system")),
        "a broken resource in a bundle": (bundle, lambda b: b["entry"][0]["resource"].update(status="final")),
        "a bundle entry disagreeing with its resource's id": (
            exports["GET /fhir/Measure"],
            lambda b: b["entry"][0].update(fullUrl="https://monitoring.test/fhir/Measure/other"),
        ),
        "a bundle with the same fullUrl twice": (bundle, lambda b: b["entry"].append(b["entry"][0])),
        "an empty string": (measure, lambda r: r.update(title="")),
    }
    missed = [name for name, (resource, change) in faults.items() if not problems(_broken(resource, change))]
    assert not missed, f"the oracle let these through: {missed}"
    with pytest.raises(AssertionError, match="not valid FHIR R4"):
        assert_valid(_broken(report, lambda r: r.update(status="final")))


def test_csv_exports(client, keys):
    indicator, unit = _setup(client, keys, title="=cmd|' /C calc'!A0")
    definitions = client.get("/indicators.csv", headers=headers(keys, READ, org="NHSCT"))
    assert definitions.status_code == 200 and definitions.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(definitions.text)))
    row = next(r for r in rows if r["code"] == indicator["code"])
    assert row["title"].startswith("'=") and row["factor"] == "percent" and row["components"] == "C1"
    chart = client.get(
        f"/indicators/{indicator['id']}/units/{unit['id']}/chart.csv", headers=headers(keys, READ, org="NHSCT")
    )
    assert chart.status_code == 200
    points = list(csv.DictReader(io.StringIO(chart.text)))
    assert len(points) == 14 and points[0]["period"] == "2024-01-01" and points[0]["point_type"] == "common_cause"
    assert float(points[0]["value"]) == 40.0 and points[0]["ghosted"] == "false"
    assert (
        client.get(
            f"/indicators/{indicator['id']}/units/{unit['id']}/chart.csv", headers=headers(keys, READ)
        ).status_code
        == 404
    )
