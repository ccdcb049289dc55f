"""Exchange: indicators as FHIR R4 Measure, results as summary MeasureReport (shapes as the R4 spec
defines them, SPC outputs in our extensions), and CSV exports neutralised for spreadsheets."""

from __future__ import annotations

import csv
import io

from monitoring_support import READ, create_indicator, headers, ingest_csv, months, tree

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
    assert all(p["criteria"]["language"] and p["criteria"]["expression"] for p in populations)
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
