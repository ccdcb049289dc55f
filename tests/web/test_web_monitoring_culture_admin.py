"""The culture survey admin pages against the real monitoring-api: an administrator sets up a wave
(instrument, unit, dates), imports its responses from a CSV (upload or paste, Idempotency-Key, a
template with the wave's questions, every problem by row in plain words and nothing recorded on
error, a summary of what was recorded) and closes it; the culture page then shows its results with a
team of 7 withheld (its figures, which the test knows, appear nowhere); refusals; monitoring-api down."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid

import monitoring_web_support as fixtures
from monitoring_web_support import READ, MonitoringService

# The fixtures these tests use.
browser, monitoring_api = fixtures.browser, fixtures.monitoring_api
monitoring_service, monitoring_web = fixtures.monitoring_service, fixtures.monitoring_web

SURVEYS = "/monitoring/admin/surveys"
ENGAGEMENT_9 = [
    "engagement.look_forward",
    "engagement.enthusiastic",
    "engagement.time_passes_quickly",
    "engagement.show_initiative",
    "engagement.suggest_improvements",
    "engagement.make_improvements",
    "engagement.care_top_priority",
    "engagement.recommend_work",
    "engagement.recommend_treatment",
]


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", " ", fragment, flags=re.S))).split())


def _unit(service: MonitoringService, org: str, code: str, parent: str | None = None, kind: str = "team") -> dict:
    body = {"code": code, "name": f"Unit {code}", "kind": kind, **({"parent": parent} if parent else {})}
    response = service.api.post("/units", json=body, headers=service.headers(READ, "monitoring:admin", org=org))
    assert response.status_code == 201, response.text
    return response.json()


def _tree(service: MonitoringService, org: str) -> dict[str, dict]:
    tag = uuid.uuid4().hex[:4].upper()
    out = {"dir": _unit(service, org, f"CD{tag}", kind="directorate")}
    for name in ("A", "B", "C"):
        out[name] = _unit(service, org, f"T{name}{tag}", parent=f"CD{tag}")
    return out


def _instrument(service: MonitoringService, org: str) -> dict:
    found = service.api.get("/survey-instruments", headers=service.headers(READ, org=org)).json()["items"]
    return next(i for i in found if i["code"] == "HSC-CULTURE")


def _responses(rows: list[tuple[str, int, int]]) -> str:
    """`count` respondents of `unit` answering every engagement question at `position` (1-5)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", "staff_group", *ENGAGEMENT_9])
    for unit, count, position in rows:
        for _ in range(count):
            writer.writerow([unit, "admin_clerical", *([position] * len(ENGAGEMENT_9))])
    return out.getvalue()


def _set_up(admin, service: MonitoringService, org: str, unit: dict, title: str = "Culture survey spring") -> str:
    response = admin.form_post(
        SURVEYS,
        {
            "instrument": _instrument(service, org)["id"],
            "title": title,
            "unit": unit["id"],
            "opens": "2026-03-01",
            "closes": "2026-03-31",
            "idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"{SURVEYS}?opened=")
    return response.headers["location"].split("=", 1)[1]


def _wave(service: MonitoringService, org: str, wave_id: str) -> dict:
    response = service.api.get(f"/survey-waves/{wave_id}", headers=service.headers(READ, "monitoring:admin", org=org))
    assert response.status_code == 200, response.text
    return response.json()


def test_an_admin_sets_up_a_wave_imports_responses_and_closes_it(browser, monitoring_service):
    org = "NHSCT"
    tree = _tree(monitoring_service, org)
    admin = browser(org=org, roles=("admin",))
    page = admin.get(SURVEYS)
    assert page.status_code == 200 and "HSC collective leadership culture survey" in page.text

    # A form with problems the person can fix is shown again with them, and nothing is sent.
    refused = admin.form_post(SURVEYS, {"instrument": "", "title": "", "opens": "2026-03-31", "closes": "2026-03-01"})
    assert refused.status_code == 422
    assert (
        "Choose the survey instrument" in refused.text
        and "The wave closes on or after the day it opens" in refused.text
    )

    wave_id = _set_up(admin, monitoring_service, org, tree["dir"])
    listed = admin.get(f"{SURVEYS}?opened={wave_id}").text
    assert "is open: its organisation structure is frozen" in listed
    assert f"{SURVEYS}/{wave_id}/responses" in listed

    # The template: the unit, group columns and every question's code.
    template = admin.get(f"{SURVEYS}/{wave_id}/responses/template.csv")
    assert template.status_code == 200 and "attachment" in template.headers["content-disposition"]
    header = template.text.splitlines()[0].split(",")
    assert header[:3] == ["unit", "staff_group", "band"] and set(ENGAGEMENT_9) <= set(header)

    form_page = admin.get(f"{SURVEYS}/{wave_id}/responses")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form_page.text).group(1)
    # Problems by row in plain words; nothing recorded.
    bad = _responses([(tree["A"]["code"], 2, 4)]) + f"NOWHERE,admin_clerical,{','.join(['4'] * 9)}\n"
    bad += f"{tree['B']['code']},admin_clerical,{','.join(['9'] * 9)}\n"
    answer = admin.form_post(
        f"{SURVEYS}/{wave_id}/responses", {"csv": bad, "idempotency_key": key}, page=f"{SURVEYS}/{wave_id}/responses"
    )
    assert answer.status_code == 422
    table = answer.text.split('class="nhsuk-table collective-import-errors"', 1)[1].split("</table>", 1)[0]
    cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", table, flags=re.S)]
    assert cells[:3] == [
        "4",
        "unit",
        "Write the code of a unit the wave surveyed (or its path), as in the organisation's structure",
    ]
    assert (
        cells[3] == "5"
        and "Write one of the answers (never, rarely, sometimes, often, always) or its number 1 to 5" in cells[5]
    )
    assert "No responses were recorded" in answer.text and "The pasted CSV has" in answer.text
    assert _wave(monitoring_service, org, wave_id)["responses"] == 0

    # A good file, uploaded: the summary; sent again with the same key, nothing is recorded twice.
    good = _responses([(tree["A"]["code"], 12, 4), (tree["B"]["code"], 7, 2), (tree["C"]["code"], 15, 5)])
    for _ in range(2):
        done = admin.form_post(
            f"{SURVEYS}/{wave_id}/responses",
            {"idempotency_key": key},
            page=f"{SURVEYS}/{wave_id}/responses",
            files={"file": ("responses.csv", good.encode(), "text/csv")},
        )
        assert done.status_code == 200, done.text
        summary = _text(done.text.split('id="import-result"', 1)[1].split("</dl>", 1)[0])
        assert "Responses recorded 34" in summary and "Answers recorded 306" in summary
        assert "Responses in the wave now 34" in summary
    assert _wave(monitoring_service, org, wave_id)["responses"] == 34

    closed = admin.form_post(f"{SURVEYS}/{wave_id}/close", {}, page=SURVEYS)
    assert closed.status_code == 303 and closed.headers["location"] == f"{SURVEYS}?closed={wave_id}"
    assert _wave(monitoring_service, org, wave_id)["status"] == "closed"
    assert "See the results" in admin.get(SURVEYS).text

    # The manager's culture page: team B (7 respondents, every answer "disagree": 2.5 out of 10, none
    # positive) is withheld, and its figures appear nowhere; with it another team, so the
    # directorate's total minus the shown teams cannot give it.
    manager = browser(org=org, roles=("manager",))
    page = manager.get(f"/monitoring/culture?wave={wave_id}&unit={tree['dir']['id']}")
    assert page.status_code == 200
    main = _text(page.text[page.text.index("<main") :])
    heat = page.text[page.text.index('id="heat-heading"') :].split("</section>", 1)[0]
    rows = {
        _text(r.split("</th>", 1)[0]): _text(r)
        for r in re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", heat, flags=re.S)
    }
    b_row = next(text for name, text in rows.items() if tree["B"]["name"] in name)
    assert "Fewer than 10 responses" in b_row and not re.search(
        r"\d", b_row.replace("Fewer than 10 responses", "").replace(tree["B"]["name"], "")
    )
    withheld = [name for name, text in rows.items() if "Fewer than 10 responses" in text or "Withheld" in text]
    assert len(withheld) >= 2
    assert "2.5" not in main and "0%" not in main.replace("100%", "")
    assert " 7 " not in f" {main} "
    # My organisation's card reads waves over the whole organisation; this one surveyed a directorate.
    home = _text(manager.get("/monitoring").text)
    assert "No culture survey of the whole organisation has closed yet" in home


def test_refusals(browser, monitoring_service):
    org, other = "SEHSCT", "SHSCT"
    tree = _tree(monitoring_service, org)
    admin = browser(org=org, roles=("admin",))
    wave_id = _set_up(admin, monitoring_service, org, tree["dir"])
    manager = browser(org=org, roles=("manager",))
    # Without monitoring:admin or survey:ingest: 403.
    assert manager.get(SURVEYS).status_code == 403
    assert manager.get(f"{SURVEYS}/{wave_id}/responses").status_code == 403
    assert manager.get(f"{SURVEYS}/{wave_id}/responses/template.csv").status_code == 403
    # Another organisation's wave: 404.
    stranger = browser(org=other, roles=("admin",))
    assert stranger.get(f"{SURVEYS}/{wave_id}/responses").status_code == 404
    assert stranger.get(f"{SURVEYS}/{wave_id}/responses/template.csv").status_code == 404
    assert stranger.form_post(f"{SURVEYS}/{wave_id}/close", {}, page=SURVEYS).status_code == 404
    assert (
        stranger.form_post(
            f"{SURVEYS}/{wave_id}/responses", {"csv": "unit\nX\n", "idempotency_key": "k"}, page=SURVEYS
        ).status_code
        == 404
    )
    assert _wave(monitoring_service, org, wave_id)["status"] == "open"
    # A closed wave takes no more responses: 409, said beside the form.
    assert admin.form_post(f"{SURVEYS}/{wave_id}/close", {}, page=SURVEYS).status_code == 303
    late = admin.form_post(
        f"{SURVEYS}/{wave_id}/responses",
        {"csv": _responses([(tree["A"]["code"], 1, 4)]), "idempotency_key": str(uuid.uuid4())},
        page=SURVEYS,
    )
    assert late.status_code == 409 and "closed" in _text(late.text)


def test_monitoring_api_down(browser, monitoring_service, monitoring_api):
    org = "WHSCT"
    tree = _tree(monitoring_service, org)
    admin = browser(org=org, roles=("admin",))
    wave_id = _set_up(admin, monitoring_service, org, tree["dir"])
    form_page = admin.get(f"{SURVEYS}/{wave_id}/responses").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)
    monitoring_api.failure = "connect"
    page = admin.get(SURVEYS)
    assert page.status_code == 200 and "The monitoring service is not available just now" in page.text
    answer = admin.post(
        f"{SURVEYS}/{wave_id}/responses",
        data={"csv": _responses([(tree["A"]["code"], 1, 4)]), "idempotency_key": "k", "csrf_token": token},
    )
    assert "The monitoring service is not available just now" in answer.text
    monitoring_api.failure = None
    assert _wave(monitoring_service, org, wave_id)["responses"] == 0


def test_the_minimum_is_the_one_monitoring_api_reports(browser, monitoring_service, monitoring_api, monkeypatch):
    org = "NIAS"
    settings = monitoring_service.app.state.settings
    monkeypatch.setattr(monitoring_service.app.state, "settings", settings.model_copy(update={"survey_minimum": 12}))
    tree = _tree(monitoring_service, org)
    admin_headers = monitoring_service.headers(READ, "monitoring:admin", org=org)
    body = {
        "instrument": _instrument(monitoring_service, org)["id"],
        "title": "Culture survey with a minimum of 12",
        "opens": "2026-05-01",
        "closes": "2026-05-31",
        "unit": tree["dir"]["id"],
    }
    wave = monitoring_service.api.post("/survey-waves", json=body, headers=admin_headers).json()
    ingested = monitoring_service.api.post(
        f"/survey-waves/{wave['id']}/responses",
        content=_responses([(tree["A"]["code"], 11, 2), (tree["B"]["code"], 13, 4), (tree["C"]["code"], 20, 5)]),
        headers={**monitoring_service.headers("survey:ingest", org=org), "Content-Type": "text/csv"},
    )
    assert ingested.status_code == 201, ingested.text
    assert monitoring_service.api.post(f"/survey-waves/{wave['id']}/close", headers=admin_headers).status_code == 200
    page = browser(org=org, roles=("manager",)).get(f"/monitoring/culture?wave={wave['id']}&unit={tree['dir']['id']}")
    assert page.status_code == 200
    text = _text(page.text)
    assert 'No figure based on fewer than 12 responses is shown: it says "fewer than 12 responses" instead' in text
    assert "fewer than 10" not in text.lower()
    heat = page.text[page.text.index('id="heat-heading"') :].split("</section>", 1)[0]
    a_row = next(
        r for r in re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", heat, flags=re.S) if tree["A"]["name"] in r
    )
    assert "Fewer than 12 responses" in _text(a_row)
    assert " 11 " not in f" {text} "
