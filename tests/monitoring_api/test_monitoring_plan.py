"""The implementation plan: the strategy's actions, adoption and local actions, check-ins (the only way a
status changes, never overwritten), acknowledgements, overdue check-ins and the regional roll-up."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from monitoring_support import ADMIN, READ, WRITE, create_indicator, create_unit, headers, regional, unique
from sqlmodel import Session, select

from monitoring_api.plan.models import PlanItem

CHECK_IN = {"status": "on_track", "confidence": 7, "what_happened": "Values workshops ran in two directorates."}


def _adopt(client, keys, org, action="A3", **extra):
    response = client.post("/plan/items", json={"action": action, **extra}, headers=headers(keys, org=org))
    assert response.status_code == 201, response.text
    return response.json()


def _check_in(client, keys, org, item, body=None, subject=None):
    return client.post(
        f"/plan/items/{item['id']}/check-ins",
        json=body or CHECK_IN,
        headers=headers(keys, READ, WRITE, org=org, subject=subject),
    )


def test_the_strategy_actions_are_seeded(client, keys):
    actions = client.get("/actions", headers=headers(keys, READ)).json()["items"]
    assert [a["code"] for a in actions] == [f"A{n}" for n in range(1, 10)]
    assert [a["phase"] for a in actions] == [1] * 7 + [2] * 2
    monitor = actions[2]
    assert monitor["title"].startswith("Design and implement a system to monitor the outcomes")
    assert (monitor["due"], monitor["due_label"], monitor["components"]) == ("2018-06-30", "June 2018", ["C3"])
    assert monitor["framework_items"] == ["323b1a9c-6923-5a11-8ee6-9028e6f60f01"]
    assert actions[8]["due_label"] == "2018 to 2026"
    one = client.get(f"/actions/{monitor['id']}", headers=headers(keys, READ))
    assert one.status_code == 200 and one.json() == monitor
    assert client.get(f"/actions/{actions[0]['id'][:-4]}0000", headers=headers(keys, READ)).status_code == 404


def test_adopt_an_action_with_owner_milestones_and_links(client, keys):
    org = "NHSCT"
    indicator = create_indicator(client, keys, org=org)
    unit = create_unit(client, keys, org, unique("HR"), kind="directorate")
    item = _adopt(
        client,
        keys,
        org,
        "A6",
        unit=unit["id"],
        owner="Director of HR",
        reviewer="chief-exec",
        reviewer_name="Chief Executive",
        milestones=[{"title": "VBR for all band 7 posts", "due": "2027-03-31"}],
        indicators=[indicator["id"]],
        framework_items=["296b77e1-f907-5153-ba63-e094990d8ccd"],
    )
    assert item["action"]["code"] == "A6" and item["local"] is False
    assert item["title"].startswith("Establish a programme of work that will modernise selection")
    assert item["status"] == "not_started" and item["rag"] == "grey" and item["latest_check_in"] is None
    assert item["unit"]["code"] == unit["code"] and item["due"] == "2019-06-30"
    assert item["indicators"] == [{"id": indicator["id"], "code": indicator["code"], "title": indicator["title"]}]
    assert item["milestones"][0]["title"] == "VBR for all band 7 posts" and item["milestones"][0]["overdue"] is False
    assert item["next_check_in_due"] == (date.today() + timedelta(days=30)).isoformat()
    assert item["check_in_overdue"] is False
    twice = client.post("/plan/items", json={"action": "A6"}, headers=headers(keys, org=org))
    assert twice.status_code == 409 and twice.json()["type"].endswith("/already-adopted")
    assert twice.json()["plan_item_id"] == item["id"]
    local = client.post(
        "/plan/items", json={"title": "Listening events", "owner": "Head of OD"}, headers=headers(keys, org=org)
    )
    assert local.status_code == 201 and local.json()["local"] is True and local.json()["action"] is None


def test_adoption_refusals(client, keys):
    org = "SHSCT"
    other = create_indicator(client, keys, org="WHSCT")
    foreign_unit = create_unit(client, keys, "WHSCT", unique("FOREIGN"), kind="directorate")
    cases = [
        ({"action": "A99"}, "body.action"),
        ({"action": "A1", "title": "Both"}, "body.action"),
        ({}, "body.action"),
        ({"title": "x", "unit": foreign_unit["id"]}, "body.unit"),
        ({"title": "x", "indicators": [other["id"]]}, "body.indicators.0"),
        ({"title": "x", "check_in_cadence_days": 0}, "body.check_in_cadence_days"),
        ({"title": "x", "milestones": [{"title": "m"}]}, "body.milestones.0.due"),
        ({"title": "x", "status": "done"}, "body.status"),
    ]
    for body, field in cases:
        response = client.post("/plan/items", json=body, headers=headers(keys, org=org))
        assert response.status_code == 422, (body, response.text)
        assert field in [e["field"] for e in response.json()["errors"]], (body, response.json())
    assert (
        client.post("/plan/items", json={"title": "x"}, headers=headers(keys, READ, WRITE, org=org)).status_code == 403
    )


def test_status_changes_only_through_check_ins_which_are_never_overwritten(client, keys):
    org = "SEHSCT"
    item = _adopt(client, keys, org, "A1")
    admin = headers(keys, org=org)
    etag = client.get(f"/plan/items/{item['id']}", headers=admin).headers["etag"]
    patched = client.patch(f"/plan/items/{item['id']}", json={"status": "done"}, headers={**admin, "If-Match": etag})
    assert patched.status_code == 422 and patched.json()["errors"][0]["field"] == "body.status"
    first = _check_in(client, keys, org, item, subject="hr-lead")
    assert first.status_code == 201, first.text
    assert (
        first.json()["status"] == "on_track" and first.json()["rag"] == "green" and first.json()["author"] == "hr-lead"
    )
    second = _check_in(
        client,
        keys,
        org,
        item,
        {
            "status": "at_risk",
            "confidence": 4,
            "what_happened": "Two directorates paused.",
            "whats_next": "Restart in January.",
            "evidence": ["https://intranet.example.hscni.net/plan"],
        },
    )
    assert second.status_code == 201
    read = client.get(f"/plan/items/{item['id']}", headers=admin).json()
    assert (read["status"], read["rag"], read["confidence"]) == ("at_risk", "amber", 4)
    assert read["latest_check_in"]["id"] == second.json()["id"]
    history = client.get(f"/plan/items/{item['id']}/check-ins", headers=admin).json()["items"]
    assert [c["id"] for c in history] == [second.json()["id"], first.json()["id"]]
    assert history[1]["what_happened"] == CHECK_IN["what_happened"]
    back = _check_in(client, keys, org, item, {**CHECK_IN, "status": "not_started"})
    assert back.status_code == 409 and back.json()["type"].endswith("/invalid-status-change")
    assert _check_in(client, keys, org, item, {**CHECK_IN, "status": "done"}).status_code == 201
    closed = _check_in(client, keys, org, item)
    assert closed.status_code == 409 and closed.json()["type"].endswith("/plan-item-done")
    for body, field in [
        ({**CHECK_IN, "confidence": 11}, "body.confidence"),
        ({**CHECK_IN, "confidence": 7.5}, "body.confidence"),
        ({**CHECK_IN, "status": "red"}, "body.status"),
        ({**CHECK_IN, "what_happened": ""}, "body.what_happened"),
        ({**CHECK_IN, "evidence": ["not a link"]}, "body.evidence.0"),
    ]:
        refused = _check_in(client, keys, org, item, body)
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == field, refused.text


def test_check_in_is_idempotent_with_a_key(client, keys):
    org = "SEHSCT"
    item = _adopt(client, keys, org, "A4")
    key = {"Idempotency-Key": unique("k")}
    url = f"/plan/items/{item['id']}/check-ins"
    first = client.post(url, json=CHECK_IN, headers={**headers(keys, org=org), **key})
    replay = client.post(url, json=CHECK_IN, headers={**headers(keys, org=org), **key})
    assert first.status_code == replay.status_code == 201 and replay.json() == first.json()
    assert len(client.get(url, headers=headers(keys, org=org)).json()["items"]) == 1
    other = client.post(url, json={**CHECK_IN, "confidence": 2}, headers={**headers(keys, org=org), **key})
    assert other.status_code == 422 and other.json()["type"].endswith("/idempotency-key-reused")


def test_acknowledgement_by_a_reviewer_once(client, keys):
    org = "BHSCT"
    item = _adopt(client, keys, org, "A5", reviewer="the-reviewer", reviewer_name="Chief Executive")
    entry = _check_in(client, keys, org, item, subject="the-author").json()
    url = f"/plan/items/{item['id']}/check-ins/{entry['id']}/acknowledgement"
    own = client.post(url, headers=headers(keys, READ, WRITE, org=org, subject="the-author"))
    assert own.status_code == 403 and own.json()["type"].endswith("/own-check-in")
    stranger = client.post(url, headers=headers(keys, READ, WRITE, org=org, subject="someone-else"))
    assert stranger.status_code == 403 and stranger.json()["type"].endswith("/not-the-reviewer")
    done = client.post(
        url, json={"comment": "Agreed."}, headers=headers(keys, READ, WRITE, org=org, subject="the-reviewer")
    )
    assert done.status_code == 200, done.text
    assert done.json()["acknowledged"] is True and done.json()["acknowledgement"] == "Agreed."
    assert done.json()["what_happened"] == entry["what_happened"]
    again = client.post(url, headers=headers(keys, READ, WRITE, org=org, subject="the-reviewer"))
    assert again.status_code == 409 and again.json()["type"].endswith("/already-acknowledged")
    missing = client.post(
        f"/plan/items/{item['id']}/check-ins/{item['id']}/acknowledgement", headers=headers(keys, org=org)
    )
    assert missing.status_code == 404


def test_update_needs_if_match_and_keeps_the_status(client, keys):
    org = "NIAS"
    item = _adopt(client, keys, org, "A2")
    admin = headers(keys, org=org)
    url = f"/plan/items/{item['id']}"
    assert client.patch(url, json={"owner": "x"}, headers=admin).status_code == 428
    assert client.patch(url, json={"owner": "x"}, headers={**admin, "If-Match": '"old"'}).status_code == 412
    etag = client.get(url, headers=admin).headers["etag"]
    changed = client.patch(
        url,
        json={
            "owner": "Deputy Director",
            "check_in_cadence_days": 7,
            "milestones": [{"title": "m", "due": "2020-01-01"}],
        },
        headers={**admin, "If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["owner"] == "Deputy Director" and body["status"] == "not_started"
    assert body["next_check_in_due"] == (date.today() + timedelta(days=7)).isoformat()
    assert body["milestones"][0]["overdue"] is True
    title = client.patch(url, json={"title": "Mine"}, headers={**admin, "If-Match": changed.headers["etag"]})
    assert title.status_code == 422 and title.json()["errors"][0]["field"] == "body.title"
    null = client.patch(url, json={"milestones": None}, headers={**admin, "If-Match": changed.headers["etag"]})
    assert null.status_code == 422 and null.json()["errors"][0]["field"] == "body.milestones"
    assert client.get(url, headers={**admin, "If-None-Match": changed.headers["etag"]}).status_code == 304


def test_other_organisations_items_are_not_found_but_regional_tokens_read_them(client, keys):
    item = _adopt(client, keys, "NIMDTA", "A7")
    assert client.get(f"/plan/items/{item['id']}", headers=headers(keys, org="BHSCT")).status_code == 404
    assert _check_in(client, keys, "BHSCT", item).status_code == 404
    assert client.get(f"/plan/items/{item['id']}", headers=regional(keys)).status_code == 200
    writer = regional(keys, WRITE)
    assert client.post(f"/plan/items/{item['id']}/check-ins", json=CHECK_IN, headers=writer).status_code == 404
    listed = client.get("/plan/items", headers=regional(keys), params={"org": "NIMDTA"}).json()["items"]
    assert item["id"] in [i["id"] for i in listed]
    own = client.get("/plan/items", headers=headers(keys, READ, org="BHSCT"), params={"limit": 500}).json()["items"]
    assert all(i["org"] == "BHSCT" for i in own)


def test_overdue_check_ins_say_so(client, keys, monitoring_app):
    org = "NIPEC"
    late = _adopt(client, keys, org, "A8")
    fresh = _adopt(client, keys, org, "A9")
    with Session(monitoring_app.state.engine) as session:
        row = session.exec(select(PlanItem).where(PlanItem.uid == uuid.UUID(late["id"]))).one()
        row.next_check_in_due = date.today() - timedelta(days=1)
        session.add(row)
        session.commit()
    reader = headers(keys, READ, org=org)
    overdue = client.get("/plan/items", headers=reader, params={"overdue": "true"}).json()["items"]
    assert [i["id"] for i in overdue] == [late["id"]]
    assert overdue[0]["check_in_overdue"] is True
    on_time = client.get("/plan/items", headers=reader, params={"overdue": "false"}).json()["items"]
    assert fresh["id"] in [i["id"] for i in on_time] and late["id"] not in [i["id"] for i in on_time]
    assert _check_in(client, keys, org, {"id": late["id"]}).status_code == 201
    assert client.get("/plan/items", headers=reader, params={"overdue": "true"}).json()["items"] == []


def test_regional_roll_up_counts_each_status_and_names_the_off_track(client, keys):
    for org, status in (("WHSCT", "off_track"), ("NHSCT", "at_risk")):
        item = client.get("/plan/items", headers=headers(keys, READ, org=org), params={"action": "A3"}).json()["items"]
        item = item[0] if item else _adopt(client, keys, org, "A3")
        if status == "off_track":
            assert _check_in(client, keys, org, item, {**CHECK_IN, "status": "off_track"}).status_code == 201
        else:
            assert _check_in(client, keys, org, item, {**CHECK_IN, "status": "at_risk"}).status_code == 201
    rollup = client.get("/plan/rollup", headers=regional(keys)).json()
    assert len(rollup["organisations"]) == 16
    row = next(r for r in rollup["actions"] if r["action"]["code"] == "A3")
    assert row["statuses"]["off_track"] >= 1 and "WHSCT" in row["off_track"]
    assert sum(row["statuses"].values()) == row["adopted"]
    assert "PCC" in row["not_adopted"] and "WHSCT" not in row["not_adopted"]
    own = client.get("/plan/rollup", headers=headers(keys, READ, org="NHSCT")).json()
    assert own["organisations"] == ["NHSCT"]
    a3 = next(r for r in own["actions"] if r["action"]["code"] == "A3")
    assert a3["adopted"] == 1 and a3["statuses"]["at_risk"] == 1 and a3["off_track"] == []


def test_plan_writes_need_their_scopes(client, keys):
    org = "SPPG"
    assert (
        client.post("/plan/items", json={"title": "x"}, headers=headers(keys, READ, ADMIN, org=org)).status_code == 201
    )
    item = client.post("/plan/items", json={"title": "y"}, headers=headers(keys, ADMIN, org=org)).json()
    refused = client.post(
        f"/plan/items/{item['id']}/check-ins", json=CHECK_IN, headers=headers(keys, READ, ADMIN, org=org)
    )
    assert refused.status_code == 403
    assert client.get("/plan/items").status_code == 401
