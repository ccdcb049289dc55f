"""Culture surveys through the API: instruments, waves with their frozen structure, response ingest,
results under disclosure control, the CSV export, indicators fed from results, and every refusal."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from monitoring_support import ADMIN, READ, REGIONAL, WRITE, create_unit, headers, regional, unique

INGEST = "survey:ingest"
ORG = "NHSCT"
OTHER = "SHSCT"
SUPPRESSED_PRIMARY = {"suppressed": True, "reason": "fewer than 10 responses"}
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


def tool(keys, org: str = ORG) -> dict[str, str]:
    return keys.headers(INGEST, org=org, subject=f"survey-tool-{org.lower()}")


def _ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content and "json" in response.headers["content-type"] else response.text


def culture_instrument(client, keys) -> dict:
    items = _ok(client.get("/survey-instruments", headers=headers(keys, READ, org=ORG)))["items"]
    return next(i for i in items if i["code"] == "HSC-CULTURE")


def subtree(client, keys, org: str = ORG) -> dict[str, dict]:
    """A directorate with teams A, B and C (codes unique to this call)."""
    d = unique("SDIR")
    out = {"dir": create_unit(client, keys, org, d, kind="directorate")}
    for name in ("a", "b", "c"):
        out[name] = create_unit(client, keys, org, unique(f"S{name.upper()}"), parent=d)
    return out


def open_wave(client, keys, unit: dict, title: str = "Wave", opens: str = "2025-01-01", org: str = ORG) -> dict:
    body = {
        "instrument": culture_instrument(client, keys)["id"],
        "title": title,
        "opens": opens,
        "closes": opens[:8] + "28",
        "unit": unit["id"],
    }
    return _ok(client.post("/survey-waves", json=body, headers=headers(keys, org=org)), 201)


def responses_csv(rows: list[tuple[str, dict[str, str], dict[str, str | int]]]) -> str:
    groups = sorted({g for _, gs, _ in rows for g in gs})
    questions = sorted({q for _, _, answers in rows for q in answers})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", *groups, *questions])
    for unit, gs, answers in rows:
        writer.writerow([unit, *(gs.get(g, "") for g in groups), *(answers.get(q, "") for q in questions)])
    return out.getvalue()


def ingest(client, keys, wave: dict, rows, *, key: str | None = None, expected: int = 201, org: str = ORG):
    extra = {"Content-Type": "text/csv", **({"Idempotency-Key": key} if key else {})}
    response = client.post(
        f"/survey-waves/{wave['id']}/responses", content=responses_csv(rows), headers={**tool(keys, org), **extra}
    )
    assert response.status_code == expected, response.text
    return response.json()


def close(client, keys, wave: dict, org: str = ORG) -> dict:
    return _ok(client.post(f"/survey-waves/{wave['id']}/close", headers=headers(keys, org=org)))


def results(client, keys, wave: dict, org: str = ORG, **params) -> dict:
    return _ok(client.get(f"/survey-waves/{wave['id']}/results", params=params, headers=headers(keys, READ, org=org)))


POSITION = {"strongly_disagree": 1, "disagree": 2, "neither": 3, "agree": 4, "strongly_agree": 5}


def same_answers(n: int, unit: str, answer: str, **groups: str) -> list:
    """n respondents answering every engagement question at the same position of its scale (agreement
    or frequency), given by its agreement name."""
    return [(unit, dict(groups), dict.fromkeys(ENGAGEMENT_9, POSITION[answer])) for _ in range(n)]


def cell_of(found: dict, code: str, category: str | None = None) -> dict:
    return next(c for c in found["cells"] if c["unit"]["code"] == code and c["category"] == category)


def figure(cell: dict, measure: str) -> dict:
    return next(s for s in cell["engagement"] + cell["themes"] if s["id"] == measure)


def question(cell: dict, code: str) -> dict:
    return next(q for q in cell["questions"] if q["code"] == code)


# --- instruments ---------------------------------------------------------------------------------


def test_the_seeded_culture_instrument_carries_the_engagement_questions_and_the_strategy(client, keys):
    found = _ok(
        client.get(f"/survey-instruments/{culture_instrument(client, keys)['id']}", headers=headers(keys, READ))
    )
    codes = [q["code"] for q in found["questions"]]
    assert codes[:9] == ENGAGEMENT_9 and all(q["built_in"] for q in found["questions"][:9])
    themes = {q["theme"] for q in found["questions"]}
    assert {"vision", "performance", "people_management", "learning", "team_working", "values"} <= themes
    assert {"attending", "understanding", "empathising", "helping"} <= themes
    blame = next(q for q in found["questions"] if q["code"] == "culture.values.blame")
    assert blame["reverse"] and sorted(blame["positive"]) == ["disagree", "strongly_disagree"]
    assert found["questions"][0]["options"] == ["never", "rarely", "sometimes", "often", "always"]


def test_an_instrument_imported_as_csv_is_versioned(client, keys):
    code = unique("PULSE")
    text = "code,text,scale,positive,reverse,theme,framework_items\n"
    text += "pulse.valued,I feel valued.,agreement,,,people_management,\n"
    text += "pulse.framework,I lead with care.,frequency,always,,framework,HLM.leading-with-care\n"
    h = {**headers(keys, org=ORG), "Content-Type": "text/csv"}
    first = _ok(
        client.post("/survey-instruments/import", params={"code": code, "title": "Pulse"}, content=text, headers=h), 201
    )
    assert first["imported"] == 2 and first["instrument"]["version"] == 1 and first["instrument"]["org"] == ORG
    assert len(first["instrument"]["questions"]) == 11
    framework = first["instrument"]["questions"][-1]
    assert framework["framework_items"] == ["HLM.leading-with-care"] and framework["positive"] == ["always"]
    second = _ok(
        client.post("/survey-instruments/import", params={"code": code, "title": "Pulse"}, content=text, headers=h), 201
    )
    assert second["instrument"]["version"] == 2 and second["instrument"]["id"] != first["instrument"]["id"]
    # another organisation neither sees it nor may take its code
    other = headers(keys, org=OTHER)
    assert client.get(f"/survey-instruments/{first['instrument']['id']}", headers=other).status_code == 404
    taken = client.post(
        "/survey-instruments/import",
        params={"code": code, "title": "Mine"},
        content=text,
        headers={**other, "Content-Type": "text/csv"},
    )
    assert taken.status_code == 409 and taken.json()["type"].endswith("instrument-code-taken")


def test_an_instrument_csv_is_all_or_nothing_with_every_problem_by_row(client, keys):
    code = unique("BAD")
    text = (
        "code,text,scale,positive,reverse,theme\n"
        "ok.one,Fine.,agreement,,,vision\n"
        "Bad Code,Text,agreement,,,vision\n"
        "ok.two,Text,likert,,,vision\n"
        "ok.three,Text,agreement,maybe,,vision\n"
        "engagement.look_forward,Mine,frequency,,,vision\n"
        "ok.four,Text,agreement,,perhaps,nowhere\n"
        "ok.one,Again,agreement,,,vision\n"
        "ok.five,Framework,agreement,,,framework\n"
    )
    response = client.post(
        "/survey-instruments/import",
        params={"code": code, "title": "Bad"},
        content=text,
        headers={**headers(keys, org=ORG), "Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text
    errors = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert errors == {
        (3, "code"),
        (4, "scale"),
        (5, "positive"),
        (6, "code"),
        (7, "reverse"),
        (7, "theme"),
        (8, "code"),
        (9, "framework_items"),
    }
    assert not [
        i
        for i in client.get("/survey-instruments", headers=headers(keys, READ, org=ORG)).json()["items"]
        if i["code"] == code
    ]


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("code,text,theme\nq.one,Text,vision\n", "application/json", 415),
        ("nothing,here\nq,x\n", "text/csv", 422),
        ("", "text/csv", 422),
        (b"code,text,theme\nq.one,\xff,vision\n", "text/csv", 422),
    ],
)
def test_instrument_import_refusals(client, keys, content, content_type, status):
    response = client.post(
        "/survey-instruments/import",
        params={"code": unique("REF"), "title": "x"},
        content=content,
        headers={**headers(keys, org=ORG), "Content-Type": content_type},
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_instrument_import_needs_a_code_and_admin(client, keys):
    h = {**headers(keys, org=ORG), "Content-Type": "text/csv"}
    assert (
        client.post(
            "/survey-instruments/import", params={"code": "lower", "title": "x"}, content="x", headers=h
        ).status_code
        == 422
    )
    reader = {**headers(keys, READ, WRITE, org=ORG), "Content-Type": "text/csv"}
    assert (
        client.post(
            "/survey-instruments/import", params={"code": "X", "title": "x"}, content="x", headers=reader
        ).status_code
        == 403
    )


# --- waves ---------------------------------------------------------------------------------------


def test_a_wave_freezes_the_structure_it_opened_with(client, keys):
    units = subtree(client, keys)
    wave = open_wave(client, keys, units["dir"])
    assert wave["status"] == "open" and wave["units"] == 4 and wave["root"]["code"] == units["dir"]["code"]
    # restructure after opening: a new team and a renamed one
    create_unit(client, keys, ORG, unique("SNEW"), parent=units["dir"]["code"])
    etag = client.get(f"/units/{units['a']['id']}", headers=headers(keys, org=ORG)).headers["etag"]
    _ok(
        client.patch(
            f"/units/{units['a']['id']}", json={"name": "Renamed"}, headers={**headers(keys, org=ORG), "If-Match": etag}
        )
    )
    assert _ok(client.get(f"/survey-waves/{wave['id']}", headers=headers(keys, READ, org=ORG)))["units"] == 4
    ingest(client, keys, wave, same_answers(12, units["a"]["code"], "agree"))
    close(client, keys, wave)
    found = results(client, keys, wave, unit=units["dir"]["id"])
    assert [c["unit"]["name"] for c in found["cells"]][1] == units["a"]["name"] != "Renamed"
    assert len(found["cells"]) == 4  # the directorate and its three teams as they were


def test_wave_refusals(client, keys):
    units = subtree(client, keys)
    instrument = culture_instrument(client, keys)["id"]
    h = headers(keys, org=ORG)
    body = {"instrument": instrument, "title": "W", "opens": "2025-02-01", "closes": "2025-01-01"}
    backwards = client.post("/survey-waves", json=body, headers=h)
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "body.closes"
    body["closes"] = "2025-03-01"
    theirs = subtree(client, keys, OTHER)["dir"]["id"]
    assert client.post("/survey-waves", json={**body, "unit": theirs}, headers=h).status_code == 404
    assert client.post("/survey-waves", json={**body, "instrument": units["a"]["id"]}, headers=h).status_code == 404
    assert client.post("/survey-waves", json={**body, "extra": 1}, headers=h).status_code == 422
    wave = _ok(client.post("/survey-waves", json={**body, "unit": units["dir"]["id"]}, headers=h), 201)
    assert client.get(f"/survey-waves/{wave['id']}", headers=headers(keys, READ, org=OTHER)).status_code == 404
    assert client.get(f"/survey-waves/{wave['id']}", headers=regional(keys)).status_code == 200
    # results only once closed; closing twice is refused
    opened = client.get(f"/survey-waves/{wave['id']}/results", headers=h)
    assert opened.status_code == 409 and opened.json()["type"].endswith("wave-open")
    close(client, keys, wave)
    again = client.post(f"/survey-waves/{wave['id']}/close", headers=h)
    assert again.status_code == 409 and again.json()["type"].endswith("wave-closed")


def test_wave_list_is_confined_to_the_organisation(client, keys):
    mine = open_wave(client, keys, subtree(client, keys)["dir"], title=unique("LISTED"))
    own = client.get("/survey-waves", params={"limit": 500}, headers=headers(keys, READ, org=ORG)).json()["items"]
    assert mine["id"] in {w["id"] for w in own} and {w["org"] for w in own} == {ORG}
    theirs = client.get("/survey-waves", params={"limit": 500}, headers=headers(keys, READ, org=OTHER)).json()["items"]
    assert mine["id"] not in {w["id"] for w in theirs}


def test_a_wave_count_is_only_collection_progress_for_its_administrators(client, keys):
    """A wave's total is its results' root cell, which disclosure control may withhold: a reader never
    sees it outside the results, and nobody does once the wave is closed (here 3, under the minimum)."""
    units = subtree(client, keys)
    wave = open_wave(client, keys, units["a"])
    ingest(client, keys, wave, same_answers(3, units["a"]["code"], "agree"), key=unique("count"))
    url = f"/survey-waves/{wave['id']}"
    withheld_open = {"suppressed": True, "reason": "counted for the wave's administrators while it is open"}
    withheld_closed = {"suppressed": True, "reason": "in the wave's results, under disclosure control"}
    assert _ok(client.get(url, headers=headers(keys, READ, org=ORG)))["responses"] == withheld_open
    assert _ok(client.get(url, headers=headers(keys, READ, ADMIN, org=ORG)))["responses"] == 3
    listed = client.get("/survey-waves", params={"limit": 500}, headers=headers(keys, READ, org=ORG)).json()["items"]
    assert [w["responses"] for w in listed if w["id"] == wave["id"]] == [withheld_open]
    assert close(client, keys, wave)["responses"] == withheld_closed
    for h in (headers(keys, READ, org=ORG), headers(keys, READ, ADMIN, org=ORG), regional(keys)):
        assert _ok(client.get(url, headers=h))["responses"] == withheld_closed
        listed = client.get("/survey-waves", params={"limit": 500}, headers=h).json()["items"]
        assert all(w["responses"] == withheld_closed for w in listed if w["status"] == "closed")
    assert "3" not in json.dumps(_ok(client.get(url, headers=regional(keys)))["responses"])


# --- ingest --------------------------------------------------------------------------------------


def test_ingest_is_idempotent_and_anonymous(client, keys, monitoring_app):
    units = subtree(client, keys)
    wave = open_wave(client, keys, units["dir"])
    rows = same_answers(3, units["a"]["code"], "agree", staff_group="nursing")
    first = ingest(client, keys, wave, rows, key="survey-batch-1")
    assert first == {"received": 3, "answers": 27, "wave_responses": 3}
    assert ingest(client, keys, wave, rows, key="survey-batch-1") == first  # replayed, not recorded twice
    assert _ok(client.get(f"/survey-waves/{wave['id']}", headers=headers(keys, READ, ADMIN, org=ORG)))["responses"] == 3
    other_body = ingest(client, keys, wave, rows[:1], key="survey-batch-1", expected=422)
    assert other_body["status"] == 422
    # JSON, with positions 1-5 as well as names
    payload = {
        "responses": [
            {
                "unit": units["b"]["path"],
                "groups": {"band": "Band_5"},
                "answers": {"engagement.look_forward": 5, "culture.learning.improve": "neither"},
            }
        ]
    }
    response = client.post(f"/survey-waves/{wave['id']}/responses", json=payload, headers=tool(keys))
    assert response.status_code == 201 and response.json()["wave_responses"] == 4
    # nothing but the unit, the wave and the groups is stored with a response
    with monitoring_app.state.engine.connect() as connection:
        columns = connection.exec_driver_sql("SELECT * FROM survey_response LIMIT 1").keys()
    assert set(columns) == {
        "id",
        "wave_id",
        "unit_id",
        "staff_group",
        "band",
        "sex",
        "age_group",
        "religion",
        "political_opinion",
        "racial_group",
        "marital_status",
        "sexual_orientation",
        "disability",
        "dependants",
    }


def test_ingest_is_all_or_nothing_with_every_problem_by_row(client, keys):
    units = subtree(client, keys)
    wave = open_wave(client, keys, units["dir"])
    text = (
        "unit,staff_group,engagement.look_forward,engagement.recommend_work\n"
        f"{units['a']['code']},nursing,often,agree\n"
        "NOWHERE,nursing,often,agree\n"
        f"{units['a']['code']},Nurses & Midwives,often,agree\n"
        f"{units['a']['code']},,sometimes-ish,agree\n"
        f"{units['a']['code']},,,\n"
        f"{units['a']['code']},,6,0\n"
        f"{units['a']['code']},,often,agree,extra\n"
    )
    response = client.post(
        f"/survey-waves/{wave['id']}/responses", content=text, headers={**tool(keys), "Content-Type": "text/csv"}
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("import-invalid")
    assert [(e["row"], e["field"]) for e in problem["errors"]] == [
        (3, "unit"),
        (4, "staff_group"),
        (5, "engagement.look_forward"),
        (6, None),
        (7, "engagement.look_forward"),
        (7, "engagement.recommend_work"),
        (8, None),
    ]
    assert _ok(client.get(f"/survey-waves/{wave['id']}", headers=headers(keys, READ, ADMIN, org=ORG)))["responses"] == 0


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        ("unit,no.such.question\nX,agree\n", "text/csv", 422, "no.such.question"),
        ("staff_group,engagement.look_forward\nnursing,often\n", "text/csv", 422, "unit"),
        ("unit,unit\nX,Y\n", "text/csv", 422, "unit"),
        ("", "text/csv", 422, "unit"),
        ("unit,engagement.look_forward\n", "text/csv", 422, "body"),
        (
            '{"responses": [{"unit": "X", "groups": {"shoe_size": "9"}, "answers": {}}]}',
            "application/json",
            422,
            "groups.shoe_size",
        ),
        ('{"responses": [{"unit": "X"}]}', "application/json", 422, "body.responses.0.answers"),
        ("{not json", "application/json", 422, "body"),
        ("unit\nX\n", "text/plain", 415, None),
    ],
)
def test_ingest_refusals(client, keys, body, content_type, status, field):
    wave = open_wave(client, keys, subtree(client, keys)["dir"])
    response = client.post(
        f"/survey-waves/{wave['id']}/responses", content=body, headers={**tool(keys), "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field:
        assert field in {e.get("field") for e in response.json().get("errors") or []}, response.text


def test_only_a_survey_tool_of_the_organisation_ingests_into_an_open_wave(client, keys):
    units = subtree(client, keys)
    wave = open_wave(client, keys, units["dir"])
    rows = same_answers(1, units["a"]["code"], "agree")
    assert ingest(client, keys, wave, rows, expected=404, org=OTHER)["status"] == 404
    response = client.post(
        f"/survey-waves/{wave['id']}/responses",
        content=responses_csv(rows),
        headers={**headers(keys, READ, WRITE, ADMIN, REGIONAL, org=ORG), "Content-Type": "text/csv"},
    )
    assert response.status_code == 403
    close(client, keys, wave)
    closed = ingest(client, keys, wave, rows, expected=409)
    assert closed["type"].endswith("wave-closed")


# --- results -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_waves(client, keys) -> dict[str, Any]:
    """Wave 1: A 20 (agree), B 12 (disagree), C 5 (strongly agree); wave 2: A 30, B 12, C 6; groups by sex."""
    units = subtree(client, keys)
    a, b, c = (units[x]["code"] for x in "abc")
    w1 = open_wave(client, keys, units["dir"], title="Autumn 2024", opens="2024-10-01")
    ingest(
        client,
        keys,
        w1,
        same_answers(12, a, "agree", sex="women")
        + same_answers(8, a, "agree", sex="men")
        + same_answers(12, b, "disagree", sex="women")
        + same_answers(5, c, "strongly_agree", sex="women"),
    )
    close(client, keys, w1)
    w2 = open_wave(client, keys, units["dir"], title="Autumn 2025", opens="2025-10-01")
    ingest(
        client,
        keys,
        w2,
        same_answers(15, a, "strongly_agree", sex="women")
        + same_answers(15, a, "neither", sex="men")
        + same_answers(12, b, "disagree", sex="women")
        + same_answers(6, c, "agree", sex="men"),
    )
    close(client, keys, w2)
    return {"units": units, "w1": w1, "w2": w2}


def test_results_per_unit_with_the_figures_worked_by_hand(client, keys, two_waves):
    units, w2 = two_waves["units"], two_waves["w2"]
    found = results(client, keys, w2, unit=units["dir"]["id"])
    assert found["minimum"] == 10 and found["previous_wave"] == two_waves["w1"]["id"]
    assert found["tests"] == {
        "percent_positive": "two-proportion z-test (pooled proportion, two-sided)",
        "score": "Welch's t-test (unequal variances, two-sided)",
    }
    a = cell_of(found, units["a"]["code"])
    assert a["responses"] == 30 and a["responses_change"] == 10
    q = question(a, "engagement.recommend_work")
    # 15 strongly agree (10 points) and 15 neither (5 points): 50% positive, mean 7.5
    assert q["n"] == 30 and q["percent_positive"] == pytest.approx(50.0) and q["mean"] == pytest.approx(7.5)
    assert q["change"]["previous"] == pytest.approx(100.0) and q["change"]["change"] == pytest.approx(-50.0)
    assert q["change"]["test"].startswith("two-proportion z-test") and q["change"]["significant"] is True
    engagement = figure(a, "engagement")
    assert engagement["n"] == 30 and engagement["score"] == pytest.approx(7.5)
    # wave 1: everyone 7.5; wave 2: 10 and 5 -> no change in the mean, Welch's test says so
    assert engagement["change"]["change"] == pytest.approx(0.0) and engagement["change"]["significant"] is False
    assert engagement["change"]["test"].startswith("Welch")
    # C has 6 respondents: every figure is withheld and says why, never 0 or blank
    c = cell_of(found, units["c"]["code"])
    assert c["responses"] == SUPPRESSED_PRIMARY
    assert figure(c, "engagement")["score"] == SUPPRESSED_PRIMARY
    assert question(c, "engagement.recommend_work")["percent_positive"] == SUPPRESSED_PRIMARY
    assert c["responses_change"] == SUPPRESSED_PRIMARY
    # ... and a partner is withheld, so C cannot be worked out from the directorate's total
    shown = [x["responses"] for x in found["cells"] if isinstance(x["responses"], int)]
    assert len(shown) <= 2
    complementary = [
        x
        for x in found["cells"]
        if x["responses"] == {"suppressed": True, "reason": "withheld so a smaller group cannot be worked out"}
    ]
    assert complementary


def test_results_by_group(client, keys, two_waves):
    units, w2 = two_waves["units"], two_waves["w2"]
    found = results(client, keys, w2, unit=units["a"]["id"], breakdown="sex")
    assert [c["category"] for c in found["cells"]] == [None, "men", "not_given", "women"]
    men, women = cell_of(found, units["a"]["code"], "men"), cell_of(found, units["a"]["code"], "women")
    # not given is 0 (suppressed: fewer than 10), so one of the two others is withheld with it, or the
    # total of A would give it away; the one shown has its figures
    assert cell_of(found, units["a"]["code"], "not_given")["responses"] == SUPPRESSED_PRIMARY
    assert found["cells"][0]["responses"] == 30
    shown = [c for c in (men, women) if c["responses"] == 15]
    withheld = [c for c in (men, women) if isinstance(c["responses"], dict)]
    assert len(shown) == 1 and withheld[0]["responses"]["reason"] == "withheld so a smaller group cannot be worked out"
    expected = 100.0 if shown[0]["category"] == "women" else 0.0
    assert question(shown[0], "engagement.look_forward")["percent_positive"] == pytest.approx(expected)
    assert question(withheld[0], "engagement.look_forward")["percent_positive"] == withheld[0]["responses"]
    # men went from 8 (suppressed) to 15: the change is withheld with the worse reason
    assert men["responses_change"] == SUPPRESSED_PRIMARY
    bad = client.get(
        f"/survey-waves/{w2['id']}/results", params={"breakdown": "shoe_size"}, headers=headers(keys, READ, org=ORG)
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.breakdown"


def test_the_csv_export_marks_every_suppressed_figure(client, keys, two_waves):
    units, w2 = two_waves["units"], two_waves["w2"]
    response = client.get(
        f"/survey-waves/{w2['id']}/results.csv",
        params={"unit": units["dir"]["id"]},
        headers=headers(keys, READ, org=ORG),
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    c_rows = [r for r in rows if r["unit_path"] == units["c"]["path"]]
    assert c_rows and all(r["n"] == "suppressed: fewer than 10 responses" for r in c_rows)
    assert all(r["value"] == "suppressed: fewer than 10 responses" for r in c_rows)
    a_rows = [r for r in rows if r["unit_path"] == units["a"]["path"] and r["figure"] == "engagement.recommend_work"]
    assert a_rows[0]["value"] == "50.0" and a_rows[0]["significant"] == "yes"


def test_results_are_confined_to_the_organisation_and_regional_sees_organisation_level_only(client, keys, two_waves):
    units, w2 = two_waves["units"], two_waves["w2"]
    url = f"/survey-waves/{w2['id']}/results"
    assert client.get(url, headers=headers(keys, READ, org=OTHER)).status_code == 404
    assert client.get(url + ".csv", headers=headers(keys, READ, org=OTHER)).status_code == 404
    top = _ok(client.get(url, headers=regional(keys)))
    assert [c["unit"]["code"] for c in top["cells"]] == [units["dir"]["code"]]
    assert client.get(url, params={"unit": units["a"]["id"]}, headers=regional(keys)).status_code == 404
    assert client.get(url, params={"unit": units["b"]["id"]}, headers=headers(keys, READ, org=ORG)).status_code == 200
    assert (
        client.get(
            url, params={"unit": "00000000-0000-0000-0000-000000000000"}, headers=headers(keys, READ, org=ORG)
        ).status_code
        == 404
    )
    assert client.get(url, headers=headers(keys, "framework:read", org=ORG)).status_code == 403
    assert client.get(url).status_code == 401


def test_indicators_are_fed_from_shown_results_only(client, keys, two_waves):
    units, w2 = two_waves["units"], two_waves["w2"]
    h = headers(keys, org=ORG)
    fed = _ok(client.post(f"/survey-waves/{w2['id']}/indicators", params={"level": 3}, headers=h), 201)
    assert fed["indicator"] == "SURVEY-ENGAGEMENT" and fed["period"] == "2025-10-01"
    assert units["c"]["path"] not in fed["units"] and fed["withheld"] >= 1
    indicator = next(
        i
        for i in client.get("/indicators", params={"limit": 500}, headers=h).json()["items"]
        if i["code"] == "SURVEY-ENGAGEMENT"
    )
    for path in fed["units"]:
        unit = next(u for u in units.values() if u["path"] == path)
        series = _ok(client.get(f"/indicators/{indicator['id']}/units/{unit['id']}/values", headers=h))
        shown = figure(cell_of(results(client, keys, w2, unit=units["dir"]["id"]), unit["code"]), "engagement")
        assert series["values"][-1]["value"] == pytest.approx(shown["score"])
    nothing = client.post(f"/survey-waves/{w2['id']}/indicators", params={"level": 6}, headers=h)
    assert nothing.status_code == 409
    assert (
        client.post(f"/survey-waves/{w2['id']}/indicators", headers=headers(keys, READ, WRITE, org=ORG)).status_code
        == 403
    )
    assert client.post(f"/survey-waves/{w2['id']}/indicators", headers=headers(keys, org=OTHER)).status_code == 404


def test_no_response_body_reveals_a_suppressed_count(client, keys, two_waves):
    """C's 5 and 6 appear in no results answer, whatever the unit or breakdown asked for."""
    units = two_waves["units"]
    for wave in (two_waves["w1"], two_waves["w2"]):
        for unit in units.values():
            for breakdown in (None, "sex"):
                params = {"unit": unit["id"], **({"breakdown": breakdown} if breakdown else {})}
                body = results(client, keys, wave, **params)
                for cell in body["cells"]:
                    if cell["unit"]["code"] == units["c"]["code"]:
                        assert isinstance(cell["responses"], dict), json.dumps(cell)[:300]
