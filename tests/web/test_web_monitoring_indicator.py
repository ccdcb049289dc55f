"""An indicator at a unit: the SPC chart drawn on the server with every point reachable by keyboard,
the data table, CSV and SVG downloads (cells neutralised), small multiples of the units below; 403
without monitoring:read, 404 for another organisation's indicator or unit, a notice when
monitoring-api is down."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from monitoring_support import create_indicator, ingest_csv, months
from web_monitoring_demo_support import (
    demo_monitoring,
    demo_web,
    monitoring_transport,
    open_as,
    recruitment_transport,
)

from servicekit import csvio

__all__ = ["demo_monitoring", "demo_web", "monitoring_transport", "open_as", "recruitment_transport"]

SVG = "{http://www.w3.org/2000/svg}"


def _url(indicator_id: str, unit_id: str) -> str:
    return f"/monitoring/indicators/{indicator_id}/units/{unit_id}"


@pytest.fixture(scope="module")
def local(demo_monitoring):
    """A local indicator of BSO with 20 months of values at BSO itself, a ghosted month, a rebase and
    annotations whose words a spreadsheet would run as formulas."""
    api, keys = demo_monitoring.api, demo_monitoring.keys
    indicator = create_indicator(api, keys, org="BSO", code="BSO-LOCAL-CHART", title="Local chart")
    values = [50, 52, 49, 51, 53, 48, 50, 52, 51, 49, 50, 51, 60, 61, 59, 62, 60, 61, 63, 60]
    periods = months(len(values), start=(2024, 1))
    ingest_csv(api, keys, "BSO", [("BSO-LOCAL-CHART", "BSO", p, v, 100) for p, v in zip(periods, values, strict=True)])
    unit = demo_monitoring.organisation("BSO")
    base = f"/indicators/{indicator['id']}/units/{unit['id']}"
    headers = demo_monitoring.headers("monitoring:read", "monitoring:write", "monitoring:admin", org="BSO")
    for path, body in (
        ("ghosts", {"period": periods[3], "reason": "+SUM(1,2) payroll extract failed"}),
        ("rebases", {"on": periods[12], "reason": "New rota from this month"}),
        ("annotations", {"on": periods[12], "text": '=HYPERLINK("http://evil.example","click")'}),
        ("annotations", {"on": periods[5], "text": "Team away day <b>not bold</b>"}),
    ):
        response = api.post(f"{base}/{path}", json=body, headers=headers)
        assert response.status_code == 201, response.text
    chart = demo_monitoring.api.get(f"{base}/chart", headers=demo_monitoring.headers(org="BSO")).json()
    return {"indicator": indicator, "unit": unit, "chart": chart, "url": _url(indicator["id"], unit["id"])}


def test_the_chart_page_draws_every_point_focusable_with_its_words(open_as, local):
    page = open_as("BSO").get(local["url"])
    assert page.status_code == 200, page.text
    html = page.text
    start = html.index('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 760')
    svg_text = html[start : html.index("</svg>", start) + len("</svg>")]
    svg = ET.fromstring(svg_text)  # noqa: S314
    points = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "spc-point"]
    with_values = [p for p in local["chart"]["points"] if p["value"] is not None]
    assert len(points) == len(with_values) == 20
    assert all(p.get("tabindex") == "0" and p.get("aria-label") for p in points)
    ghosted = [p for p in points if "ghosted" in p.get("aria-label")]
    assert len(ghosted) == 1 and "payroll extract failed" in ghosted[0].get("aria-label")
    assert ghosted[0].find(f"{SVG}circle").get("fill") == "#FFFFFF"  # hollow
    assert "April 2024" in ghosted[0].get("aria-label")
    # A rebase: the limits are drawn per segment, and the break is marked.
    assert len([p for p in svg.iter(f"{SVG}path") if p.get("class") == "spc-upl"]) == 2
    assert "Rebased from Jan 2025: New rota from this month" in svg_text
    # Annotations are escaped text, numbered on the chart and listed below it.
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html and "<b>not bold</b>" not in html
    assert "Notes on the chart" in html
    # The data table beside it: one row per period.
    table = html[html.index("data as a table") :]
    assert table.count('<th class="nhsuk-table__cell" scope="row">') == len(local["chart"]["points"])
    assert f'href="{local["url"]}/chart.csv"' in html and f'href="{local["url"]}/chart.svg"' in html


def test_the_indicator_at_my_organisation_and_its_small_multiples(open_as, demo_monitoring):
    indicator = demo_monitoring.indicator("STAFF-RECOMMEND-WORK")
    browser = open_as("BSO")
    page = browser.get(f"/monitoring/indicators/{indicator['id']}")
    assert page.status_code == 200, page.text
    html = page.text
    assert indicator["title"] in html
    units = demo_monitoring.get("/units", org="BSO", limit=500)["items"]
    organisation = demo_monitoring.organisation("BSO")
    directorates = [u for u in units if u["parent"] and u["parent"]["id"] == organisation["id"]]
    assert directorates
    for unit in directorates:
        assert f'href="{_url(indicator["id"], unit["id"])}"' in html
    assert html.count('class="spc-sparkline"') == len(directorates)
    assert 'class="mdc-icon mdc-icon--variation"' in html
    # A directorate's page links back up, and shows its teams.
    directorate = directorates[0]
    below = browser.get(_url(indicator["id"], directorate["id"]))
    assert below.status_code == 200
    assert f'href="{_url(indicator["id"], organisation["id"])}"' in below.text
    teams = [u for u in units if u["parent"] and u["parent"]["id"] == directorate["id"]]
    assert below.text.count('class="spc-sparkline"') == len(teams)


def test_refusals(open_as, demo_monitoring, local):
    other = create_indicator(demo_monitoring.api, demo_monitoring.keys, org="BHSCT", code="BHSCT-ONLY")
    bhsct = demo_monitoring.organisation("BHSCT")
    manager = open_as("BSO")
    for path in (
        f"/monitoring/indicators/{other['id']}",
        _url(other["id"], local["unit"]["id"]),
        _url(local["indicator"]["id"], bhsct["id"]),
        _url(other["id"], local["unit"]["id"]) + "/chart.csv",
        _url(local["indicator"]["id"], bhsct["id"]) + "/chart.svg",
    ):
        assert manager.get(path).status_code == 404, path
    outsider = open_as("BSO", roles=("assessor",))
    for path in (local["url"], local["url"] + "/chart.csv", local["url"] + "/chart.svg"):
        assert outsider.get(path).status_code == 403, path
    assert open_as("BSO").get("/monitoring/indicators/not-a-uuid").status_code in (404, 422)


def test_the_csv_download_neutralises_cells(open_as, local):
    response = open_as("BSO").get(local["url"] + "/chart.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="BSO-LOCAL-CHART-BSO.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["Date", "Value", "Numerator"]
    assert len(rows) == 1 + len(local["chart"]["points"])
    for row in rows:
        for cell in row:
            assert not cell.startswith(csvio.DANGEROUS_LEADS), cell
    notes = {row[0]: row[-1] for row in rows[1:]}
    assert notes["2025-01-01"].startswith("'=HYPERLINK")  # written escaped, read back exactly
    assert [csvio.unescape(c) for c in rows[13]][-1].startswith("=HYPERLINK")
    ghost = next(row for row in rows[1:] if row[0] == "2024-04-01")
    assert "payroll extract failed" in ghost[10]


def test_the_svg_download(open_as, local):
    response = open_as("BSO").get(local["url"] + "/chart.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["content-disposition"].endswith('.svg"')
    svg = ET.fromstring(response.text.split("\n", 1)[1])  # noqa: S314
    assert svg.find(f"{SVG}title").text.startswith("Local chart: ")
    assert len([g for g in svg.iter(f"{SVG}g") if g.get("class") == "spc-point"]) == 20


@pytest.mark.parametrize("failure", ["connect", 500])
def test_monitoring_api_down(open_as, monitoring_transport, local, failure):
    browser = open_as("BSO")
    monitoring_transport.failure = failure
    page = browser.get(local["url"])
    assert page.status_code == 200
    assert "The monitoring service is not available just now" in page.text
    assert 'href="/monitoring"' in page.text  # the layout and the way back still work
    for suffix in ("/chart.csv", "/chart.svg"):
        download = browser.get(local["url"] + suffix)
        assert download.status_code == 503
        assert "The monitoring service is not available just now" in download.text
