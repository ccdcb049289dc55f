"""Indicators: definitions and targets, bulk values (CSV and JSON, all or nothing, errors by row,
idempotent), revisions, roll-up by sums, gaps, charts with rebases, ghosts and annotations, and the
summary table."""

from __future__ import annotations

import math
from datetime import date

import pytest
from monitoring_support import (
    ADMIN,
    READ,
    REGIONAL,
    WRITE,
    create_indicator,
    create_unit,
    csv_of,
    headers,
    indicator_body,
    ingest_csv,
    months,
    regional,
    tree,
    unique,
)

from monitoring_api.indicators.spc import spc

# --- definitions ------------------------------------------------------------------------------


def test_define_read_change_an_indicator(client, keys):
    created = create_indicator(client, keys, org="BHSCT", direction="decrease", spc={"baseline_points": 12})
    assert created["org"] == "BHSCT" and created["regional"] is False and created["targets"] == []
    assert created["spc"] == {
        "screen_outliers": True,
        "baseline_points": 12,
        "trend_points": 7,
        "shift_points": 7,
        "two_sigma": False,
    }
    admin = headers(keys, org="BHSCT")
    url = f"/indicators/{created['id']}"
    read = client.get(url, headers=admin)
    assert read.json() == created
    assert client.get(url, headers={**admin, "If-None-Match": read.headers["etag"]}).status_code == 304
    assert client.patch(url, json={"owner": "x"}, headers=admin).status_code == 428
    assert client.patch(url, json={"owner": "x"}, headers={**admin, "If-Match": '"x"'}).status_code == 412
    changed = client.patch(
        url, json={"owner": "HR", "spc": {"two_sigma": True}}, headers={**admin, "If-Match": read.headers["etag"]}
    )
    assert changed.status_code == 200 and changed.json()["owner"] == "HR"
    assert changed.json()["spc"]["two_sigma"] is True and changed.json()["spc"]["baseline_points"] is None
    etag = changed.headers["etag"]
    targets = client.put(
        url + "/targets",
        json={"targets": [{"value": 10, "from_date": "2025-04-01"}, {"value": 12, "from_date": "2024-04-01"}]},
        headers={**admin, "If-Match": etag},
    )
    assert targets.status_code == 200, targets.text
    assert targets.json()["targets"] == [
        {"value": 12.0, "from_date": "2024-04-01", "note": None, "until": "2025-03-31"},
        {"value": 10.0, "from_date": "2025-04-01", "note": None, "until": None},
    ]
    stale = client.put(url + "/targets", json={"targets": []}, headers={**admin, "If-Match": etag})
    assert stale.status_code == 412


def test_definition_refusals(client, keys):
    admin = headers(keys, org="BHSCT")
    code = unique("DUP")
    create_indicator(client, keys, code=code)
    again = client.post("/indicators", json=indicator_body(code), headers=admin)
    assert again.status_code == 409 and again.json()["type"].endswith("/indicator-exists")
    regional_refused = client.post("/indicators", json={**indicator_body(unique("R")), "regional": True}, headers=admin)
    assert regional_refused.status_code == 403 and regional_refused.json()["type"].endswith("/regional-scope-needed")
    cases = [
        (indicator_body("lower"), "body.code"),
        (indicator_body(unique("V"), factor="value"), "body"),
        (indicator_body(unique("V"), denominator=None), "body"),
        (indicator_body(unique("V"), components=["C9"]), "body.components"),
        (indicator_body(unique("V"), actions=["A42"]), "body.actions.0"),
        (indicator_body(unique("V"), direction="up"), "body.direction"),
        (indicator_body(unique("V"), frequency="weekly"), "body.frequency"),
        (indicator_body(unique("V"), spc={"baseline_points": 11}), "body.spc.baseline_points"),
        (indicator_body(unique("V"), spc={"trend_points": 7.5}), "body.spc.trend_points"),
    ]
    for body, field in cases:
        response = client.post("/indicators", json=body, headers=admin)
        assert response.status_code == 422, (body, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], (field, response.json())
    target = create_indicator(client, keys)
    etag = client.get(f"/indicators/{target['id']}", headers=admin).headers["etag"]
    twice = {"targets": [{"value": 1, "from_date": "2025-04-01"}, {"value": 2, "from_date": "2025-04-01"}]}
    refused = client.put(f"/indicators/{target['id']}/targets", json=twice, headers={**admin, "If-Match": etag})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.targets"


def test_local_and_regional_indicators_and_who_changes_them(client, keys):
    local = create_indicator(client, keys, org="WHSCT")
    shared = create_indicator(client, keys, org="DOH", regional_definition=True)
    assert shared["regional"] is True and shared["org"] is None
    bhsct = headers(keys, org="BHSCT")
    assert client.get(f"/indicators/{local['id']}", headers=bhsct).status_code == 404
    assert client.get(f"/indicators/{shared['id']}", headers=bhsct).status_code == 200
    assert client.get(f"/indicators/{local['id']}", headers=regional(keys)).status_code == 200
    listed = [i["code"] for i in client.get("/indicators", headers=bhsct, params={"limit": 500}).json()["items"]]
    assert shared["code"] in listed and local["code"] not in listed
    etag = client.get(f"/indicators/{shared['id']}", headers=bhsct).headers["etag"]
    by_local_admin = client.patch(
        f"/indicators/{shared['id']}", json={"owner": "x"}, headers={**bhsct, "If-Match": etag}
    )
    assert by_local_admin.status_code == 403 and by_local_admin.json()["type"].endswith("/regional-scope-needed")
    doh = headers(keys, READ, ADMIN, REGIONAL, org="DOH")
    etag = client.get(f"/indicators/{local['id']}", headers=doh).headers["etag"]
    not_owner = client.patch(f"/indicators/{local['id']}", json={"owner": "x"}, headers={**doh, "If-Match": etag})
    assert not_owner.status_code == 403 and not_owner.json()["type"].endswith("/not-indicator-owner")


def test_list_filters_and_pages(client, keys):
    org = "NISCC"
    made = [create_indicator(client, keys, org=org, components=["C2"], actions=["A5"]) for _ in range(3)]
    reader = headers(keys, READ, org=org)
    by_component = client.get("/indicators", headers=reader, params={"component": "C2", "limit": 500}).json()["items"]
    assert {m["code"] for m in made} <= {i["code"] for i in by_component}
    assert all("C2" in i["components"] for i in by_component)
    by_action = client.get("/indicators", headers=reader, params={"action": "A5", "limit": 2})
    assert len(by_action.json()["items"]) == 2 and by_action.json()["next"]
    codes, url, params = [], "/indicators", {"limit": 2}
    while url:
        page = client.get(url, headers=reader, params=params).json()
        codes += [i["code"] for i in page["items"]]
        url, params = page.get("next"), None
    assert codes == sorted(codes) and {m["code"] for m in made} <= set(codes)


# --- values -----------------------------------------------------------------------------------


def test_values_roll_up_by_summing_numerators_and_denominators(client, keys):
    org = "BHSCT"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org)
    ingest_csv(client, keys, org, [(indicator["code"], t["a"]["code"], "2024-01-01", 1, 10)])
    ingest_csv(client, keys, org, [(indicator["code"], t["b"]["code"], "2024-01-01", 45, 50)])
    url = f"/indicators/{indicator['id']}/units/{t['directorate']['id']}/values"
    series = client.get(url, headers=headers(keys, READ, org=org)).json()
    [value] = series["values"]
    # 46 / 60, not the mean of 10% and 90%.
    assert value["numerator"] == 46 and value["denominator"] == 60 and value["reporting_units"] == 2
    assert math.isclose(value["value"], 46 / 60 * 100)
    team = client.get(
        f"/indicators/{indicator['id']}/units/{t['a']['id']}/values", headers=headers(keys, READ, org=org)
    ).json()
    assert team["values"][0]["value"] == 10.0


def test_a_missing_period_is_a_gap_never_a_zero(client, keys):
    org = "BHSCT"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org)
    ingest_csv(
        client,
        keys,
        org,
        [
            (indicator["code"], t["a"]["code"], "2024-01-01", 5, 10),
            (indicator["code"], t["a"]["code"], "2024-04-01", 6, 10),
            (indicator["code"], t["b"]["code"], "2024-04-01", 7, 10),
        ],
    )
    values = client.get(
        f"/indicators/{indicator['id']}/units/{t['directorate']['id']}/values", headers=headers(keys, READ, org=org)
    ).json()["values"]
    assert [v["period"] for v in values] == ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
    assert [v["value"] for v in values] == [50.0, None, None, 65.0]
    assert [v["reporting_units"] for v in values] == [1, 0, 0, 2]
    chart = client.get(
        f"/indicators/{indicator['id']}/units/{t['directorate']['id']}/chart", headers=headers(keys, READ, org=org)
    ).json()
    assert [p["value"] for p in chart["points"]] == [50.0, None, None, 65.0]


def test_a_correction_is_a_new_revision_and_the_earlier_one_is_kept(client, keys):
    org = "NHSCT"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org)
    first = ingest_csv(client, keys, org, [(indicator["code"], t["a"]["code"], "2024-05-01", 3, 40)]).json()
    assert first == {"received": 1, "created": 1, "corrected": 0, "unchanged": 0}
    same = ingest_csv(client, keys, org, [(indicator["code"], t["a"]["code"], "2024-05-01", 3, 40)]).json()
    assert same == {"received": 1, "created": 0, "corrected": 0, "unchanged": 1}
    fixed = ingest_csv(client, keys, org, [(indicator["code"], t["a"]["code"], "2024-05-01", 4, 40)]).json()
    assert fixed == {"received": 1, "created": 0, "corrected": 1, "unchanged": 0}
    history = client.get(
        f"/indicators/{indicator['id']}/units/{t['a']['id']}/values/2024-05-01", headers=headers(keys, READ, org=org)
    ).json()
    assert [(r["revision"], r["current"], r["numerator"]) for r in history["revisions"]] == [
        (2, True, 4.0),
        (1, False, 3.0),
    ]
    assert history["revisions"][0]["value"] == 10.0
    missing = client.get(
        f"/indicators/{indicator['id']}/units/{t['a']['id']}/values/2024-06-01", headers=headers(keys, READ, org=org)
    )
    assert missing.status_code == 404


def test_ingest_problems_are_numbered_by_row_and_nothing_is_recorded(client, keys):
    org = "SEHSCT"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org)
    plain = create_indicator(client, keys, org=org, factor="value", denominator=None, unit_of_measure="GBP")
    foreign = create_unit(client, keys, "WHSCT", unique("FAR"), kind="directorate")
    code, unit = indicator["code"], t["a"]["code"]
    rows = [
        (code, unit, "2024-01-01", 5, 10),  # row 2: fine
        ("NO-SUCH", unit, "2024-01-01", 5, 10),  # row 3
        (code, "NOWHERE", "2024-01-01", 5, 10),  # row 4
        (code, foreign["code"], "2024-02-01", 5, 10),  # row 5: another organisation's unit
        (code, unit, "2024-01-15", 5, 10),  # row 6: not the first of the month
        (code, unit, "2024-03-01", "five", 10),  # row 7
        (code, unit, "2024-04-01", "inf", 10),  # row 8
        (code, unit, "2024-05-01", 5, None),  # row 9: denominator missing
        (plain["code"], unit, "2024-05-01", 5, 10),  # row 10: a plain value has no denominator
        (code, unit, "2024-06-01", 5, -1),  # row 11
        (code, unit, "01/07/2024", 5, 10),  # row 12
    ]
    response = client.post(
        "/values/import", content=csv_of(rows), headers={**headers(keys, org=org), "Content-Type": "text/csv"}
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/import-invalid")
    got = {(e["row"], e["field"]) for e in problem["errors"]}
    assert got == {
        (3, "indicator"),
        (4, "unit"),
        (5, "unit"),
        (6, "period"),
        (7, "numerator"),
        (8, "numerator"),
        (9, "denominator"),
        (10, "denominator"),
        (11, "denominator"),
        (12, "period"),
    }
    series = client.get(f"/indicators/{indicator['id']}/units/{t['a']['id']}/values", headers=headers(keys, org=org))
    assert series.json()["values"] == []  # row 2 was not recorded either
    repeated = client.post(
        "/values/import",
        content=csv_of(
            [
                (code, unit, "2024-01-01", 5, 10),
                (code, t["b"]["code"], "2024-01-01", 1, 2),
                (code, unit, "2024-01-01", 6, 10),
            ]
        ),
        headers={**headers(keys, org=org), "Content-Type": "text/csv"},
    )
    assert repeated.status_code == 422
    assert [(e["row"], e["field"]) for e in repeated.json()["errors"]] == [(4, "period")]
    assert "row 2" in repeated.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("content", "status", "slug"),
    [
        ("indicator,unit,period\n", 422, "csv-invalid"),
        ("indicator,unit,period,numerator,denominator,extra\nA,B,2024-01-01,1,2,3\n", 422, "csv-invalid"),
        ("indicator,unit,period,numerator,denominator\n", 422, "validation-error"),
        ("", 422, "csv-invalid"),
        ("indicator,unit,period,numerator,denominator\nA,B,2024-01-01,1,2,3\n", 422, "import-invalid"),
    ],
)
def test_ingest_csv_shape_refusals(client, keys, content, status, slug):
    response = client.post(
        "/values/import", content=content, headers={**headers(keys, org="SEHSCT"), "Content-Type": "text/csv"}
    )
    assert response.status_code == status, response.text
    assert response.json()["type"].endswith("/" + slug)


def test_ingest_json_and_its_refusals(client, keys):
    org = "SHSCT"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org)
    body = {
        "values": [
            {"indicator": indicator["code"], "unit": t["a"]["path"], "period": p, "numerator": 3, "denominator": 9}
            for p in months(3)
        ]
    }
    created = client.post("/values/import", json=body, headers=headers(keys, org=org))
    assert created.status_code == 201 and created.json()["created"] == 3
    bad = {"values": [body["values"][0], {**body["values"][1], "period": "June"}, {**body["values"][2], "unit": "X"}]}
    refused = client.post("/values/import", json=bad, headers=headers(keys, org=org))
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(2, "body.values.1.period")]
    unknown_unit = {"values": [{**body["values"][0], "unit": "X"}]}
    refused = client.post("/values/import", json=unknown_unit, headers=headers(keys, org=org))
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(1, "unit")]
    nan = '{"values": [{"indicator": "A", "unit": "B", "period": "2024-01-01", "numerator": NaN}]}'
    refused = client.post(
        "/values/import", content=nan, headers={**headers(keys, org=org), "Content-Type": "application/json"}
    )
    assert refused.status_code == 422
    assert (
        client.post(
            "/values/import", content="{", headers={**headers(keys, org=org), "Content-Type": "application/json"}
        ).json()["errors"][0]["field"]
        == "body"
    )
    assert (
        client.post(
            "/values/import", content="x", headers={**headers(keys, org=org), "Content-Type": "text/plain"}
        ).status_code
        == 415
    )


def test_ingest_is_idempotent_with_a_key(client, keys):
    org = "SHSCT"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org)
    rows = [(indicator["code"], t["a"]["code"], p, 1, 4) for p in months(4)]
    key = unique("ingest-")
    first = ingest_csv(client, keys, org, rows, key=key)
    replay = ingest_csv(client, keys, org, rows, key=key)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json() == first.json()
    reused = ingest_csv(client, keys, org, rows[:2], key=key, expected=422)
    assert reused.json()["type"].endswith("/idempotency-key-reused")


def test_values_need_write_and_stay_in_the_callers_organisation(client, keys):
    org = "BHSCT"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org)
    content = csv_of([(indicator["code"], t["a"]["code"], "2024-01-01", 1, 2)])
    for scopes, status in (((READ,), 403), ((READ, ADMIN), 403)):
        response = client.post(
            "/values/import", content=content, headers={**headers(keys, *scopes, org=org), "Content-Type": "text/csv"}
        )
        assert response.status_code == status
    # A regional writer's token writes only to its own organisation: BHSCT's units are not its own.
    doh = {**regional(keys, WRITE), "Content-Type": "text/csv"}
    refused = client.post("/values/import", content=content, headers=doh)
    assert refused.status_code == 422 and {e["field"] for e in refused.json()["errors"]} == {"indicator", "unit"}
    assert (
        client.get(
            f"/indicators/{indicator['id']}/units/{t['a']['id']}/values", headers=headers(keys, READ, org="WHSCT")
        ).status_code
        == 404
    )


# --- charts -----------------------------------------------------------------------------------


def _series(client, keys, org, values, **indicator):
    t = tree(client, keys, org)
    created = create_indicator(client, keys, org=org, **indicator)
    periods = months(len(values))
    rows = [(created["code"], t["a"]["code"], p, v, 100) for p, v in zip(periods, values, strict=True) if v is not None]
    ingest_csv(client, keys, org, rows)
    return created, t["a"], periods


def test_the_chart_is_the_spc_of_the_series(client, keys):
    values = [50, 52, 49, 51, 50, 53, 48, 50, 51, 49, 52, 50, 61, 62, 60, 63, 62, 61, 64, 60]
    indicator, unit, periods = _series(client, keys, "PHA", values)
    chart = client.get(
        f"/indicators/{indicator['id']}/units/{unit['id']}/chart", headers=headers(keys, READ, org="PHA")
    )
    assert chart.status_code == 200, chart.text
    body = chart.json()
    expected = spc([(date.fromisoformat(p), float(v)) for p, v in zip(periods, values, strict=True)])
    assert [p["point_type"] for p in body["points"]] == [p.point_type for p in expected.points]
    assert [p["upl"] for p in body["points"]] == [p.upl for p in expected.points]
    assert body["variation"] == {"type": expected.variation_type, "icon": expected.variation_icon}
    assert body["points"][0]["numerator"] == 50 and body["points"][0]["reporting_units"] == 1


def test_rebases_ghosts_and_annotations(client, keys):
    org = "PHA"
    values = [50, 52, 49, 51, 50, 53, 48, 50, 51, 49, 52, 50, 70, 71, 69, 72, 70, 71, 69, 70]
    indicator, unit, periods = _series(client, keys, org, values, direction="decrease")
    base = f"/indicators/{indicator['id']}/units/{unit['id']}"
    writer = headers(keys, READ, WRITE, org=org)
    rebase = client.post(base + "/rebases", json={"on": periods[12], "reason": "New rota"}, headers=writer)
    assert rebase.status_code == 201, rebase.text
    again = client.post(base + "/rebases", json={"on": periods[12], "reason": "Again"}, headers=writer)
    assert again.status_code == 409 and again.json()["type"].endswith("/rebase-exists")
    mid_month = client.post(base + "/rebases", json={"on": "2024-03-15", "reason": "x"}, headers=writer)
    assert mid_month.status_code == 422 and mid_month.json()["errors"][0]["field"] == "body.on"
    ghost = client.post(base + "/ghosts", json={"period": periods[5], "reason": "Extract failed"}, headers=writer)
    assert ghost.status_code == 201
    assert client.post(base + "/ghosts", json={"period": periods[5], "reason": "x"}, headers=writer).status_code == 409
    note = client.post(base + "/annotations", json={"on": "2024-12-15", "text": "Workshops began"}, headers=writer)
    assert note.status_code == 201
    chart = client.get(base + "/chart", headers=writer).json()
    assert [r["on"] for r in chart["rebases"]] == [periods[12]]
    assert [g["reason"] for g in chart["ghosts"]] == ["Extract failed"]
    assert [a["text"] for a in chart["annotations"]] == ["Workshops began"]
    assert len(chart["segments"]) == 2 and chart["provisional"] is True
    ghosted = chart["points"][5]
    assert ghosted["ghosted"] is True and ghosted["point_type"] is None and ghosted["ghost_reason"] == "Extract failed"
    assert {p["rebase_group"] for p in chart["points"][12:]} == {1}
    expected = spc(
        [(date.fromisoformat(p), float(v)) for p, v in zip(periods, values, strict=True)],
        improvement_direction="decrease",
        rebase_dates=[date.fromisoformat(periods[12])],
        ghosted_dates=[date.fromisoformat(periods[5])],
    )
    assert [p["point_type"] for p in chart["points"]] == [p.point_type for p in expected.points]
    two_sigma = client.get(base + "/chart", headers=writer, params={"two_sigma": "true"}).json()
    assert two_sigma["options"]["two_sigma"] is True
    # Other organisations neither see nor change the chart's choices.
    other = headers(keys, READ, WRITE, org="BHSCT")
    assert client.post(base + "/rebases", json={"on": periods[3], "reason": "x"}, headers=other).status_code == 404
    assert client.delete(f"{base}/ghosts/{ghost.json()['id']}", headers=other).status_code == 404
    assert (
        client.post(
            base + "/rebases", json={"on": periods[3], "reason": "x"}, headers=regional(keys, WRITE)
        ).status_code
        == 404
    )
    for kind, made in (("rebases", rebase), ("ghosts", ghost), ("annotations", note)):
        assert client.delete(f"{base}/{kind}/{made.json()['id']}", headers=writer).status_code == 204
        assert client.delete(f"{base}/{kind}/{made.json()['id']}", headers=writer).status_code == 404
    assert len(client.get(base + "/chart", headers=writer).json()["segments"]) == 1


def test_targets_change_over_time_on_the_chart(client, keys):
    org = "PHA"
    values = [12.0, 11.5, 12.2, 11.8, 12.1, 11.9, 12.0, 11.7, 12.3, 11.6, 12.0, 11.9, 12.1, 11.8]
    indicator, unit, periods = _series(client, keys, org, values, direction="decrease")
    admin = headers(keys, org=org)
    etag = client.get(f"/indicators/{indicator['id']}", headers=admin).headers["etag"]
    targets = {"targets": [{"value": 13, "from_date": periods[0]}, {"value": 10, "from_date": periods[6]}]}
    assert (
        client.put(
            f"/indicators/{indicator['id']}/targets", json=targets, headers={**admin, "If-Match": etag}
        ).status_code
        == 200
    )
    chart = client.get(f"/indicators/{indicator['id']}/units/{unit['id']}/chart", headers=admin).json()
    assert [p["target"] for p in chart["points"]] == [13.0] * 6 + [10.0] * 8
    assert chart["assurance"]["type"] == "consistent_fail" and chart["assurance"]["icon"] == "fail"


# --- the summary table ------------------------------------------------------------------------


def test_summary_across_indicators_and_units_with_filters_and_pages(client, keys, monitoring_app):
    org = "NIBTS"
    t = tree(client, keys, org)
    steady = create_indicator(client, keys, org=org)
    failing = create_indicator(client, keys, org=org)
    worse = create_indicator(client, keys, org=org, direction="decrease")
    rows = []
    for n, p in enumerate(months(20)):
        for team in ("a", "b"):
            rows.append((steady["code"], t[team]["code"], p, 50 + (n % 3), 100))
            rows.append((failing["code"], t[team]["code"], p, 60 + (n % 2), 100))
            rows.append((worse["code"], t[team]["code"], p, 40 + (15 if n >= 13 else n % 2), 100))
    ingest_csv(client, keys, org, rows)
    admin = headers(keys, org=org)
    etag = client.get(f"/indicators/{failing['id']}", headers=admin).headers["etag"]
    client.put(
        f"/indicators/{failing['id']}/targets",
        json={"targets": [{"value": 95, "from_date": "2020-01-01"}]},
        headers={**admin, "If-Match": etag},
    )
    ids = [steady["id"], failing["id"], worse["id"]]
    reader = headers(keys, READ, org=org)
    params = {"indicator": ids, "under": t["directorate"]["id"], "level": 3}
    everything = client.get("/summary", headers=reader, params=params)
    assert everything.status_code == 200, everything.text
    rows_out = everything.json()["items"]
    assert len(rows_out) == 6
    assert [(r["indicator"]["code"], r["unit"]["code"]) for r in rows_out] == sorted(
        (r["indicator"]["code"], r["unit"]["code"]) for r in rows_out
    )
    first = rows_out[0]
    assert first["latest_period"] == months(20)[-1] and first["points"] == 20 and first["provisional"] is False
    concerns = client.get("/summary", headers=reader, params={**params, "filter": "all_concerns"}).json()["items"]
    assert {r["indicator"]["code"] for r in concerns} == {worse["code"]}
    assert all(r["variation"]["icon"] == "concern_high" for r in concerns)
    fails = client.get("/summary", headers=reader, params={**params, "filter": "consistently_failing"}).json()["items"]
    assert {r["indicator"]["code"] for r in fails} == {failing["code"]} and fails[0]["target"] == 95.0
    assert fails[0]["assurance"] == {"type": "consistent_fail", "icon": "fail"}
    seen, url, page_params = [], "/summary", {**params, "limit": 4}
    while url:
        page = client.get(url, headers=reader, params=page_params).json()
        seen += [(r["indicator"]["code"], r["unit"]["code"]) for r in page["items"]]
        url, page_params = page.get("next"), None
    assert seen == [(r["indicator"]["code"], r["unit"]["code"]) for r in rows_out]
    # The directorate's series is the sum of its teams'.
    directorate = client.get("/summary", headers=reader, params={"indicator": ids, "unit": t["directorate"]["id"]})
    assert len(directorate.json()["items"]) == 3
    # Computed once per series: asking again hits the cache.
    cache = monitoring_app.state.summary_cache
    hits = cache.hits
    client.get("/summary", headers=reader, params=params)
    assert cache.hits == hits + 6
    # A new value changes the series' revision: recomputed, not served stale.
    ingest_csv(client, keys, org, [(steady["code"], t["a"]["code"], months(21)[-1], 99, 100)])
    refreshed = client.get("/summary", headers=reader, params=params).json()["items"]
    assert refreshed[[r["indicator"]["code"] for r in refreshed].index(steady["code"])]["latest_value"] == 99.0


def test_summary_sees_what_the_token_sees(client, keys):
    own = client.get("/summary", headers=headers(keys, READ, org="PCC"), params={"limit": 1000}).json()["items"]
    assert {r["unit"]["code"] for r in own} <= {"PCC"}
    everyone = client.get("/summary", headers=regional(keys), params={"limit": 1000}).json()["items"]
    assert len({r["unit"]["code"] for r in everyone}) == 16
    foreign = create_unit(client, keys, "WHSCT", unique("HIDDEN"), kind="directorate")
    refused = client.get("/summary", headers=headers(keys, READ, org="PCC"), params={"unit": foreign["id"]})
    assert refused.status_code == 404
    assert client.get("/summary", headers=headers(keys, READ), params={"limit": 1001}).status_code == 422
    assert client.get("/summary", headers=headers(keys, READ), params={"filter": "nice"}).status_code == 422


def test_an_indicator_is_recorded_at_one_level_of_a_subtree(client, keys):
    """Values at a team and at its directorate would be counted twice when the tree is summed."""
    org = "NIMDTA"
    t = tree(client, keys, org)
    indicator = create_indicator(client, keys, org=org)
    code = indicator["code"]
    ingest_csv(client, keys, org, [(code, t["a"]["code"], "2024-01-01", 1, 10)])
    above = ingest_csv(client, keys, org, [(code, t["directorate"]["code"], "2024-02-01", 1, 10)], expected=422)
    [error] = above.json()["errors"]
    assert (error["row"], error["field"]) == (2, "unit") and t["a"]["path"] in error["message"]
    both = ingest_csv(
        client,
        keys,
        org,
        [(code, t["b"]["code"], "2024-01-01", 1, 10), (code, t["directorate"]["code"], "2024-03-01", 1, 10)],
        expected=422,
    )
    assert [e["row"] for e in both.json()["errors"]] == [2, 3]
    # Another indicator may be recorded at the directorate: the rule is per indicator.
    other = create_indicator(client, keys, org=org)
    ingest_csv(client, keys, org, [(other["code"], t["directorate"]["code"], "2024-01-01", 1, 10)])
