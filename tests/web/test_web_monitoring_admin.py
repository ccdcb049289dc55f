"""The monitoring admin pages over the real monitoring-api: indicator definitions and targets,
value and structure imports with row-numbered problems in plain words (nothing written on error),
rebases and annotations; every refusal (403 without the scope, 404 for another organisation's
indicator, 422 with the fields named and nothing written, 409 on a stale edit) and the service down."""

from __future__ import annotations

import html
import re

import monitoring_web_support as fixtures
from monitoring_web_support import READ, MonitoringService

# The fixtures these tests use.
browser, monitoring_api = fixtures.browser, fixtures.monitoring_api
monitoring_service, monitoring_web = fixtures.monitoring_service, fixtures.monitoring_web

INDICATORS = "/monitoring/admin/indicators"
VALUES = "/monitoring/admin/values/import"
STRUCTURE = "/monitoring/admin/structure/import"


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def etag_in(page: str) -> str:
    match = re.search(r'name="etag" value="([^"]+)"', page)
    assert match
    return html.unescape(match.group(1))


def problem_rows(page: str) -> list[tuple[str, str, str]]:
    """(row, column, what to fix) of the problems table."""
    table = page.split('class="nhsuk-table collective-import-errors"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody", 1)[1]
    rows = []
    for row in body.split("<tr")[1:]:
        cells = [text_of(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def indicators_of(monitoring: MonitoringService, org: str) -> dict[str, dict]:
    response = monitoring.api.get("/indicators", params={"limit": 500}, headers=monitoring.headers(READ, org=org))
    return {indicator["code"]: indicator for indicator in response.json()["items"]}


# --- the hub and who may use what -----------------------------------------------------------


def test_the_hub_offers_what_the_roles_allow_and_every_page_refuses_the_others(browser, monitoring_service):
    admin = browser(org="BHSCT", roles=("admin",))
    hub = admin.get("/monitoring/admin")
    assert hub.status_code == 200
    for link in (INDICATORS, VALUES, STRUCTURE):
        assert f'href="{link}"' in hub.text
    manager = browser(org="BHSCT")
    hub = manager.get("/monitoring/admin")
    assert f'href="{VALUES}"' in hub.text and f'href="{STRUCTURE}"' not in hub.text
    # monitoring:admin pages refuse a manager (write only); every page refuses someone without monitoring.
    indicator = monitoring_service.indicator("BHSCT", "HUB-CHECK")
    listing = manager.get(INDICATORS)  # a writer goes from the list to rebases and annotations only
    assert listing.status_code == 200
    assert f"{INDICATORS}/{indicator['id']}/notes" in listing.text
    assert f"{INDICATORS}/{indicator['id']}/edit" not in listing.text
    assert f"{INDICATORS}/{indicator['id']}/targets" not in listing.text
    assert f'href="{INDICATORS}/new"' not in listing.text
    for path in (
        f"{INDICATORS}/new",
        f"{INDICATORS}/{indicator['id']}/edit",
        f"{INDICATORS}/{indicator['id']}/targets",
        STRUCTURE,
        f"{STRUCTURE}/template.csv",
    ):
        assert manager.get(path).status_code == 403, path
    outsider = browser(org="BHSCT", roles=("assessor",))
    for path in (
        "/monitoring/admin",
        INDICATORS,
        VALUES,
        f"{VALUES}/template.csv",
        f"{INDICATORS}/{indicator['id']}/notes",
    ):
        assert outsider.get(path).status_code == 403, path
    refused = outsider.form_post(VALUES, {"csv": "indicator,unit,period,numerator\n"}, page="/")
    assert refused.status_code == 403


# --- indicator definitions ------------------------------------------------------------------


def test_an_administrator_defines_an_indicator(browser, monitoring_service):
    admin = browser(org="NHSCT", roles=("admin",))
    form = admin.get(f"{INDICATORS}/new")
    assert form.status_code == 200
    assert "A regional indicator" not in form.text  # the administrator is not regional
    answer = admin.form_post(
        INDICATORS,
        {
            "code": "nh-turnover",
            "title": "Staff turnover",
            "unit_of_measure": "%",
            "numerator": "Leavers",
            "denominator": "Average headcount",
            "factor": "percent",
            "direction": "decrease",
            "frequency": "monthly",
            "components": ["C1", "C4"],
            "actions": ["A8"],
            "screen_outliers": "1",
            "baseline_points": "12",
        },
        page=f"{INDICATORS}/new",
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{INDICATORS}?changed=NH-TURNOVER"
    saved = indicators_of(monitoring_service, "NHSCT")["NH-TURNOVER"]
    assert saved["org"] == "NHSCT" and not saved["regional"]
    assert saved["components"] == ["C1", "C4"] and saved["actions"] == ["A8"]
    assert saved["spc"]["baseline_points"] == 12 and saved["spc"]["screen_outliers"] is True
    listing = admin.get(answer.headers["location"])
    assert "Indicator NH-TURNOVER is saved." in listing.text
    assert f"{INDICATORS}/{saved['id']}/edit" in listing.text


def test_a_definition_with_problems_shows_them_beside_the_fields_and_writes_nothing(browser, monitoring_service):
    admin = browser(org="SEHSCT", roles=("admin",))
    answer = admin.form_post(
        INDICATORS,
        {"code": "", "title": "No code", "factor": "percent", "baseline_points": "twelve"},
        page=f"{INDICATORS}/new",
    )
    assert answer.status_code == 422
    for field in ("code", "unit-of-measure", "numerator", "denominator", "direction", "frequency", "baseline-points"):
        assert f'id="{field}-error"' in answer.text, field
    assert 'value="No code"' in answer.text  # what was typed stays
    # The service's own checks land beside the fields too: a code it refuses, a baseline under 12.
    refused = admin.form_post(
        INDICATORS,
        {
            "code": "BAD CODE!",
            "title": "Bad",
            "unit_of_measure": "%",
            "numerator": "n",
            "denominator": "d",
            "factor": "percent",
            "direction": "increase",
            "frequency": "monthly",
            "baseline_points": "5",
        },
        page=f"{INDICATORS}/new",
    )
    assert refused.status_code == 422
    assert 'id="code-error"' in refused.text and 'id="baseline-points-error"' in refused.text
    assert not [code for code in indicators_of(monitoring_service, "SEHSCT") if code in ("", "BAD CODE!")]
    assert all(i["org"] != "SEHSCT" for i in indicators_of(monitoring_service, "SEHSCT").values())


def test_a_duplicate_code_is_the_services_409_explained(browser, monitoring_service):
    monitoring_service.indicator("SHSCT", "SH-TAKEN")
    admin = browser(org="SHSCT", roles=("admin",))
    answer = admin.form_post(
        INDICATORS,
        {
            "code": "SH-TAKEN",
            "title": "Again",
            "unit_of_measure": "days",
            "numerator": "Days",
            "factor": "value",
            "direction": "decrease",
            "frequency": "monthly",
        },
        page=f"{INDICATORS}/new",
    )
    assert answer.status_code == 409
    assert "An indicator with the code SH-TAKEN exists already" in answer.text


def test_changing_a_definition_needs_the_latest_version_and_its_own_organisation(browser, monitoring_service):
    mine = monitoring_service.indicator("WHSCT", "WH-SICKNESS", title="Sickness absence")
    theirs = monitoring_service.indicator("NIAS", "NIAS-ONLY")
    admin = browser(org="WHSCT", roles=("admin",))
    page = admin.get(f"{INDICATORS}/{mine['id']}/edit")
    assert page.status_code == 200
    etag = etag_in(page.text)
    base = {
        "title": "Sickness absence rate",
        "unit_of_measure": "%",
        "direction": "decrease",
        "screen_outliers": "1",
        "etag": etag,
    }
    saved = admin.form_post(f"{INDICATORS}/{mine['id']}/edit", base)
    assert saved.status_code == 303
    assert monitoring_service.read_indicator("WHSCT", mine["id"])["title"] == "Sickness absence rate"
    assert monitoring_service.read_indicator("WHSCT", mine["id"])["direction"] == "decrease"
    # The same form again (its ETag is now stale): refused, and nothing of it saved.
    stale = admin.form_post(f"{INDICATORS}/{mine['id']}/edit", {**base, "title": "Overwritten"})
    assert stale.status_code == 409
    assert "Someone changed this indicator while you were editing it" in stale.text
    assert monitoring_service.read_indicator("WHSCT", mine["id"])["title"] == "Sickness absence rate"
    # Another organisation's local indicator is not found; a regional one is changed by the regional team only.
    assert admin.get(f"{INDICATORS}/{theirs['id']}/edit").status_code == 404
    regional = monitoring_service.api.post(
        "/indicators",
        json={
            "code": "REG-ENGAGEMENT",
            "title": "Engagement",
            "unit_of_measure": "score",
            "numerator": "Score",
            "factor": "value",
            "direction": "increase",
            "frequency": "annual",
            "regional": True,
        },
        headers=monitoring_service.headers(READ, "monitoring:admin", "monitoring:regional", org="DOH"),
    ).json()
    page = admin.get(f"{INDICATORS}/{regional['id']}/edit")
    etag = etag_in(page.text)
    refused = admin.form_post(
        f"{INDICATORS}/{regional['id']}/edit",
        {"title": "Mine now", "unit_of_measure": "score", "direction": "increase", "etag": etag},
    )
    assert refused.status_code == 403
    assert "monitoring:regional" in refused.text
    assert monitoring_service.read_indicator("WHSCT", regional["id"])["title"] == "Engagement"
    # Nor its targets: the page says whose they are, and monitoring-api refuses a target sent anyway.
    targets = admin.get(f"{INDICATORS}/{regional['id']}/targets")
    assert "its targets are set by the regional team" in targets.text and "Add the target" not in targets.text
    sent = admin.form_post(
        f"{INDICATORS}/{regional['id']}/targets", {"value": "80", "from_date": "2026-04-01", "etag": etag}
    )
    assert sent.status_code == 403
    assert monitoring_service.read_indicator("WHSCT", regional["id"])["targets"] == []


def test_targets_are_added_with_the_period_they_are_in_force(browser, monitoring_service):
    indicator = monitoring_service.indicator("PHA", "PHA-RECOMMEND")
    admin = browser(org="PHA", roles=("admin",))
    page = f"{INDICATORS}/{indicator['id']}/targets"
    assert "This indicator has no target yet" in admin.get(page).text
    first = admin.form_post(page, {"value": "70", "from_date": "2024-04-01", "note": "First"})
    assert first.status_code == 303
    second = admin.form_post(page, {"value": "75", "from_date": "2025-04-01", "note": "Raised"})
    assert second.status_code == 303
    targets = monitoring_service.read_indicator("PHA", indicator["id"])["targets"]
    assert [(t["value"], t["from_date"], t["until"]) for t in targets] == [
        (70, "2024-04-01", "2025-03-31"),
        (75, "2025-04-01", None),
    ]
    shown = admin.get(page).text
    assert "31 March 2025" in shown and "still in force" in shown
    # Problems: nothing written.
    bad = admin.form_post(page, {"value": "seventy", "from_date": "2025-04-01"})
    assert bad.status_code == 422
    assert 'id="value-error"' in bad.text and 'id="from-date-error"' in bad.text
    assert "A target already starts on that date" in bad.text
    assert len(monitoring_service.read_indicator("PHA", indicator["id"])["targets"]) == 2


# --- value import ---------------------------------------------------------------------------


def test_values_import_records_values_and_replays_with_the_same_key(browser, monitoring_service):
    indicator = monitoring_service.indicator("BSO", "BSO-APPRAISAL")
    manager = browser(org="BSO")  # monitoring:write
    form = manager.get(VALUES)
    assert form.status_code == 200
    template = manager.get(f"{VALUES}/template.csv")
    assert template.status_code == 200
    assert template.text == "indicator,unit,period,numerator,denominator\r\n"
    assert "attachment" in template.headers["content-disposition"]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
    csv = (
        "indicator,unit,period,numerator,denominator\n"
        "BSO-APPRAISAL,BSO,2026-09-01,80,100\nBSO-APPRAISAL,BSO,2026-10-01,85,100\n"
    )
    answer = manager.form_post(VALUES, {"csv": csv, "idempotency_key": key})
    assert answer.status_code == 200
    assert "2 rows imported" in answer.text and "2 new values" in answer.text
    unit = monitoring_service.organisation("BSO")
    values = monitoring_service.series("BSO", indicator["id"], unit["id"])
    assert [v["value"] for v in values] == [80.0, 85.0]
    # The same key and file again: the stored answer, nothing recorded twice.
    again = manager.form_post(VALUES, {"csv": csv, "idempotency_key": key}, page=VALUES)
    assert again.status_code == 200 and "2 rows imported" in again.text
    # A file upload works the same way, and a correction keeps the earlier value in its history.
    correction = "BSO-APPRAISAL,BSO,2026-10-01,90,100\n"
    upload = manager.form_post(
        VALUES,
        {"idempotency_key": "another-key"},
        page=VALUES,
        files={
            "file": (
                "values.csv",
                "indicator,unit,period,numerator,denominator\n" + correction,
                "text/csv",
            )
        },
    )
    assert upload.status_code == 200 and "1 corrected" in upload.text
    assert [v["value"] for v in monitoring_service.series("BSO", indicator["id"], unit["id"])] == [80.0, 90.0]


def test_values_import_with_problems_lists_them_by_row_in_plain_words_and_writes_nothing(browser, monitoring_service):
    indicator = monitoring_service.indicator("NIMDTA", "NIMDTA-LOS", factor="value", denominator=None)
    manager = browser(org="NIMDTA")
    csv = (
        "indicator,unit,period,numerator,denominator\n"
        "NIMDTA-LOS,NIMDTA,2026-09-01,6.2,\n"
        "NO-SUCH,NIMDTA,2026-10-01,5,\n"
        "NIMDTA-LOS,WARD99,2026-10-15,five,\n"
        "NIMDTA-LOS,NIMDTA,2026-11-01,6,100\n"
    )
    answer = manager.form_post(VALUES, {"csv": csv})
    assert answer.status_code == 422
    assert "No values were recorded" in answer.text
    assert "The pasted CSV has" in answer.text
    rows = problem_rows(answer.text)
    assert ("3", "indicator", "No indicator 'NO-SUCH' that your organisation records") in rows
    assert ("4", "unit", "No unit 'WARD99' in your organisation") in rows
    assert any(r[0] == "4" and r[1] == "numerator" and "Write a number here" in r[2] for r in rows)
    assert any(r[0] == "4" and r[1] == "period" and "first day" in r[2] for r in rows)
    assert any(r[0] == "5" and r[1] == "denominator" for r in rows)
    assert csv.splitlines()[2] in answer.text  # the paste stays in the form
    unit = monitoring_service.organisation("NIMDTA")
    assert monitoring_service.series("NIMDTA", indicator["id"], unit["id"]) == []
    # A header the import does not know is explained too.
    header = manager.form_post(VALUES, {"csv": "indicator,unit,when,numerator\nNIMDTA-LOS,NIMDTA,2026-09-01,6\n"})
    assert header.status_code == 422
    messages = [r[2] for r in problem_rows(header.text)]
    assert "Add a column headed period to the header row (the first row of the file)" in messages
    assert any(m.startswith("The import does not know the column when") for m in messages)
    # Nothing at all is a problem of the form, not of the service.
    empty = manager.form_post(VALUES, {"csv": "  "})
    assert empty.status_code == 422 and "Choose a CSV file, or paste the CSV below" in empty.text


# --- structure import -----------------------------------------------------------------------


def test_structure_import_creates_units_or_lists_problems_by_row_and_writes_nothing(browser, monitoring_service):
    admin = browser(org="RQIA", roles=("admin",))
    template = admin.get(f"{STRUCTURE}/template.csv")
    assert template.text == "code,name,kind,parent\r\n"
    before = monitoring_service.units("RQIA")
    bad = (
        "code,name,kind,parent\nREVIEWS,Reviews directorate,directorate,\n"
        "team 1,Team one,team,REVIEWS\nINSP,Inspections,department,\n"
    )
    answer = admin.form_post(STRUCTURE, {"csv": bad})
    assert answer.status_code == 422
    assert "No units were imported" in answer.text
    rows = problem_rows(answer.text)
    assert ("3", "code", "Use capitals, digits, - and _ only, at most 40 characters") in rows
    assert ("4", "kind", "Write directorate or team") in rows
    assert monitoring_service.units("RQIA") == before
    good = "code,name,kind,parent\nREVIEWS,Reviews directorate,directorate,\nTEAM1,Team one,team,REVIEWS\n"
    done = admin.form_post(STRUCTURE, {"csv": good}, page=STRUCTURE)
    assert done.status_code == 200
    assert "2 units imported" in done.text and "2 new" in done.text
    assert {unit["code"] for unit in monitoring_service.units("RQIA")} >= {"RQIA", "REVIEWS", "TEAM1"}


# --- rebases and annotations ----------------------------------------------------------------


def test_rebases_and_annotations_are_recorded_on_the_chart_of_a_unit(browser, monitoring_service):
    indicator = monitoring_service.indicator("NIPEC", "NIPEC-AGENCY", factor="value", denominator=None)
    theirs = monitoring_service.indicator("NISCC", "NISCC-LOCAL")
    manager = browser(org="NIPEC")
    unit = monitoring_service.organisation("NIPEC")
    page = f"{INDICATORS}/{indicator['id']}/notes"
    shown = manager.get(page)
    assert shown.status_code == 200 and "No rebases or annotations yet" in shown.text
    rebase = manager.form_post(
        f"{INDICATORS}/{indicator['id']}/rebases",
        {"unit": unit["id"], "on": "2025-04-01", "reason": "New rostering system"},
        page=page,
    )
    assert rebase.status_code == 303
    note = manager.form_post(
        f"{INDICATORS}/{indicator['id']}/annotations",
        {"unit": unit["id"], "on": "2025-06-15", "text": "Values workshops"},
        page=page,
    )
    assert note.status_code == 303
    chart = monitoring_service.chart("NIPEC", indicator["id"], unit["id"])
    assert [(r["on"], r["reason"]) for r in chart["rebases"]] == [("2025-04-01", "New rostering system")]
    assert [(a["on"], a["text"]) for a in chart["annotations"]] == [("2025-06-15", "Values workshops")]
    listed = manager.get(note.headers["location"]).text
    assert "New rostering system" in listed and "Values workshops" in listed
    # Problems beside the fields, nothing written.
    bad = manager.form_post(
        f"{INDICATORS}/{indicator['id']}/rebases", {"unit": unit["id"], "on": "April", "reason": ""}, page=page
    )
    assert bad.status_code == 422
    assert 'id="rebase-on-error"' in bad.text and 'id="rebase-text-error"' in bad.text
    bad = manager.form_post(
        f"{INDICATORS}/{indicator['id']}/annotations", {"unit": unit["id"], "on": "", "text": ""}, page=page
    )
    assert bad.status_code == 422 and 'id="annotation-text-error"' in bad.text
    assert len(monitoring_service.chart("NIPEC", indicator["id"], unit["id"])["annotations"]) == 1
    # Another organisation's indicator is not found.
    assert manager.get(f"{INDICATORS}/{theirs['id']}/notes").status_code == 404
    refused = manager.form_post(
        f"{INDICATORS}/{theirs['id']}/annotations", {"unit": unit["id"], "on": "2025-01-01", "text": "x"}, page=page
    )
    assert refused.status_code == 404


# --- monitoring-api down --------------------------------------------------------------------


def test_monitoring_api_down_gives_notices_and_the_import_says_nothing_was_recorded(browser, monitoring_api):
    admin = browser(org="NIBTS", roles=("admin",))
    form = admin.get(VALUES).text
    monitoring_api.failure = "connect"
    for path in (INDICATORS, f"{INDICATORS}/new"):
        answer = admin.get(path)
        assert answer.status_code == 200, path
        assert "The monitoring service is not available just now" in answer.text
    answer = admin.post(
        VALUES,
        data={"csv": "indicator,unit,period,numerator\nX,NIBTS,2026-01-01,1\n", "csrf_token": fixtures.csrf_from(form)},
    )
    assert answer.status_code == 200
    assert "No values were recorded. The monitoring service is not available just now" in answer.text
