"""The implementation plan pages over the real monitoring-api: the plan by component with overdue
check-ins first, an item with its check-in form and timeline, acknowledgements, adopting actions and
adding local ones; every refusal (403 without the scope, 404 for another organisation's item, 422
with the fields named and nothing written, the service's 409), and monitoring-api down."""

from __future__ import annotations

import html
import re
from datetime import date

import monitoring_web_support as fixtures
from monitoring_web_support import ADMIN, READ, Browser, MonitoringService
from sqlmodel import Session
from web_framework_support import framework_ids

from servicekit.auth import Principal

# The fixtures these tests use.
browser, monitoring_api = fixtures.browser, fixtures.monitoring_api
monitoring_service, monitoring_web = fixtures.monitoring_service, fixtures.monitoring_web


def overdue_item(monitoring: MonitoringService, org: str, action: str) -> str:
    """An adopted action whose first check-in was due long ago (made with the service's own
    function, which takes the day the item started)."""
    from monitoring_api.plan import models as m
    from monitoring_api.plan import service

    with Session(monitoring.app.state.engine) as session:
        principal = Principal(subject="setup", org=org, scopes=frozenset({READ, ADMIN}))
        item = service.create_item(session, principal, m.PlanItemCreate(action=action), on=date(2020, 1, 1))
        session.commit()
        return str(item.uid)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the plan -------------------------------------------------------------------------------


def test_the_plan_shows_items_by_component_with_status_in_words_and_overdue_first(
    browser, monitoring_service: MonitoringService
):
    org = "BHSCT"
    on_track = monitoring_service.adopt(org, "A2", owner="Director of HR")
    monitoring_service.check_in(org, on_track["id"], "on_track")
    late = overdue_item(monitoring_service, org, "A4")
    local = monitoring_service.local(org, "Induction for new ward managers")
    manager = browser(org=org)

    page = manager.get("/monitoring/plan")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Check-ins overdue" in text
    # The overdue item is listed first, and says so where it stands in its component.
    callout = page.text.split("Check-ins overdue", 1)[1].split("</div>", 1)[0]
    assert f"/monitoring/plan/{late}" in callout
    assert "Overdue" in page.text
    c1 = page.text.split('id="component-c1"', 1)[1].split("</table>", 1)[0]
    assert c1.index(late) < c1.index(on_track["id"])  # overdue first within the component
    assert "On track" in c1 and "Not started" in c1
    assert "Director of HR" in c1
    # A local action has no component: it is under local actions.
    local_group = page.text.split('id="component-local"', 1)[1]
    assert local["id"] in local_group
    # The status is in words, never colour alone.
    assert re.search(r'nhsuk-tag--green collective-plan-status">On track<', page.text)


def test_the_plan_needs_monitoring_read(browser):
    outsider = browser(roles=("assessor",))
    assert outsider.get("/monitoring/plan").status_code == 403


def test_another_organisations_item_is_not_found_and_cannot_be_checked_in_on(
    browser, monitoring_service: MonitoringService
):
    theirs = monitoring_service.adopt("NHSCT", "A1")
    manager = browser(org="SEHSCT")
    assert manager.get(f"/monitoring/plan/{theirs['id']}").status_code == 404
    own = monitoring_service.adopt("SEHSCT", "A1")
    token_page = f"/monitoring/plan/{own['id']}"
    answer = manager.form_post(
        f"/monitoring/plan/{theirs['id']}/check-ins",
        {"status": "on_track", "confidence": "6", "what_happened": "Nothing of yours"},
        page=token_page,
    )
    assert answer.status_code == 404
    assert monitoring_service.check_ins("NHSCT", theirs["id"]) == []


# --- checking in ----------------------------------------------------------------------------


def test_a_check_in_changes_the_status_and_appears_in_the_timeline(browser, monitoring_service: MonitoringService):
    org = "SHSCT"
    item = monitoring_service.adopt(org, "A3")
    manager = browser(org=org)
    page = manager.get(f"/monitoring/plan/{item['id']}")
    assert page.status_code == 200
    assert "No one has checked in on this action yet" in page.text
    assert "Record the check-in" in page.text

    answer = manager.form_post(
        f"/monitoring/plan/{item['id']}/check-ins",
        {
            "status": "at_risk",
            "confidence": "4",
            "what_happened": "Two of five directorates held their workshops.",
            "whats_next": "The other three before March.",
            "evidence": "https://intranet.example.org/workshops\n\nhttps://intranet.example.org/plan",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(f"/monitoring/plan/{item['id']}?changed=checked_in")
    shown = manager.get(answer.headers["location"])
    timeline = shown.text.split('id="timeline"', 1)[1]
    assert "Two of five directorates held their workshops." in timeline
    assert "The other three before March." in timeline
    assert 'href="https://intranet.example.org/plan"' in timeline
    assert "At risk" in timeline and "confidence 4 out of 10" in timeline
    assert "Your check-in is recorded." in shown.text
    summary = shown.text.split('id="timeline"', 1)[0]
    assert "At risk" in summary
    assert monitoring_service.item(org, item["id"])["status"] == "at_risk"

    # A second check-in adds to the history; the first stays as it was.
    again = manager.form_post(
        f"/monitoring/plan/{item['id']}/check-ins",
        {"status": "on_track", "confidence": "7", "what_happened": "The last three are booked."},
    )
    assert again.status_code == 303
    history = monitoring_service.check_ins(org, item["id"])
    assert [entry["status"] for entry in history] == ["on_track", "at_risk"]
    timeline = manager.get(f"/monitoring/plan/{item['id']}").text.split('id="timeline"', 1)[1]
    assert timeline.index("The last three are booked.") < timeline.index("Two of five directorates")


def test_a_check_in_with_problems_shows_them_beside_the_fields_and_writes_nothing(
    browser, monitoring_service: MonitoringService
):
    org = "WHSCT"
    item = monitoring_service.adopt(org, "A5")
    manager = browser(org=org)
    answer = manager.form_post(
        f"/monitoring/plan/{item['id']}/check-ins",
        {"status": "sideways", "confidence": "11", "what_happened": "  ", "evidence": "not a link"},
    )
    assert answer.status_code == 422
    assert "Error: " in answer.text
    for field, words in (
        ("status", "Choose the status of the action now"),
        ("confidence", "from 0 to 10"),
        ("what-happened", "Say what happened since the last check-in"),
        ("evidence", "Evidence link 1 is not a web address"),
    ):
        assert f'id="{field}-error"' in answer.text
        assert words in answer.text
    # What was typed stays in the form.
    assert "not a link" in answer.text
    assert monitoring_service.check_ins(org, item["id"]) == []
    assert monitoring_service.item(org, item["id"])["status"] == "not_started"


def test_a_done_item_takes_no_more_check_ins_and_the_services_refusal_is_explained(
    browser, monitoring_service: MonitoringService
):
    org = "NIAS"
    item = monitoring_service.adopt(org, "A6")
    monitoring_service.check_in(org, item["id"], "done")
    manager = browser(org=org)
    page = manager.get(f"/monitoring/plan/{item['id']}")
    assert "This action is done: it takes no more check-ins." in page.text
    assert "Record the check-in" not in page.text
    answer = manager.form_post(
        f"/monitoring/plan/{item['id']}/check-ins",
        {"status": "on_track", "confidence": "5", "what_happened": "Reopened"},
    )
    assert answer.status_code == 409
    assert "a done item takes no more check-ins" in answer.text
    assert len(monitoring_service.check_ins(org, item["id"])) == 1


def test_checking_in_needs_monitoring_write(browser, monitoring_service: MonitoringService):
    org = "PHA"
    item = monitoring_service.adopt(org, "A7")
    reader = browser(org=org, roles=("regional_lead",))  # monitoring:read without write
    page = reader.get(f"/monitoring/plan/{item['id']}")
    assert page.status_code == 200
    assert "Record the check-in" not in page.text
    answer = reader.form_post(
        f"/monitoring/plan/{item['id']}/check-ins",
        {"status": "on_track", "confidence": "5", "what_happened": "Tried"},
        page=f"/monitoring/plan/{item['id']}",
    )
    assert answer.status_code == 403
    assert monitoring_service.check_ins(org, item["id"]) == []


# --- acknowledging --------------------------------------------------------------------------


def test_a_reviewer_acknowledges_a_check_in_once_and_its_author_cannot(browser, monitoring_service: MonitoringService):
    org = "BSO"
    author = browser(org=org)
    reviewer = browser(org=org)
    item = monitoring_service.adopt(
        org, "A8", reviewer=str(reviewer.user.uid), reviewer_name=reviewer.user.display_name
    )
    made = author.form_post(
        f"/monitoring/plan/{item['id']}/check-ins",
        {"status": "on_track", "confidence": "8", "what_happened": "Embedded in two directorates."},
    )
    assert made.status_code == 303
    (entry,) = monitoring_service.check_ins(org, item["id"])
    # The author is not offered the acknowledgement; the reviewer is.
    assert "Acknowledge" not in author.get(f"/monitoring/plan/{item['id']}").text.split('id="timeline"', 1)[1]
    page = reviewer.get(f"/monitoring/plan/{item['id']}")
    assert f"/check-ins/{entry['id']}/acknowledge" in page.text
    # The author trying anyway is refused by monitoring-api, and the refusal is explained.
    refused = author.form_post(
        f"/monitoring/plan/{item['id']}/check-ins/{entry['id']}/acknowledge",
        {"comment": "Me"},
        page=f"/monitoring/plan/{item['id']}",
    )
    assert refused.status_code == 403
    assert "someone other than its author" in refused.text
    done = reviewer.form_post(
        f"/monitoring/plan/{item['id']}/check-ins/{entry['id']}/acknowledge",
        {"comment": "Agreed, thanks."},
        page=f"/monitoring/plan/{item['id']}",
    )
    assert done.status_code == 303
    shown = reviewer.get(done.headers["location"])
    assert "Acknowledged" in shown.text and "Agreed, thanks." in shown.text
    assert monitoring_service.check_ins(org, item["id"])[0]["acknowledged"] is True
    twice = reviewer.form_post(
        f"/monitoring/plan/{item['id']}/check-ins/{entry['id']}/acknowledge",
        {"comment": "Again"},
        page=f"/monitoring/plan/{item['id']}",
    )
    assert twice.status_code == 409
    assert monitoring_service.check_ins(org, item["id"])[0]["acknowledgement"] == "Agreed, thanks."


# --- adding to the plan ---------------------------------------------------------------------


def test_an_administrator_adopts_an_action_and_adds_a_local_one(browser, monitoring_service: MonitoringService):
    org = "NIMDTA"
    admin: Browser = browser(org=org, roles=("admin",))
    plan = admin.get("/monitoring/plan")
    assert "/monitoring/plan/new?action=A9" in plan.text
    form = admin.get("/monitoring/plan/new?action=A9")
    assert form.status_code == 200
    assert 'value="A9" checked' in form.text
    adopted = admin.form_post("/monitoring/plan", {"action": "A9", "owner": "Chief Executive", "cadence": "14"})
    assert adopted.status_code == 303, adopted.text
    item_id = adopted.headers["location"].split("/monitoring/plan/", 1)[1].split("?", 1)[0]
    item = monitoring_service.item(org, item_id)
    assert item["action"]["code"] == "A9" and item["owner"] == "Chief Executive"
    assert item["check_in_cadence_days"] == 14
    # Once adopted, the action is no longer offered; adopting it again is the service's 409.
    assert "/monitoring/plan/new?action=A9" not in admin.get("/monitoring/plan").text
    again = admin.form_post("/monitoring/plan", {"action": "A9"}, page="/monitoring/plan/new")
    assert again.status_code == 409
    assert "Action A9 is already in your organisation" in again.text

    local = admin.form_post(
        "/monitoring/plan", {"action": "local", "title": "Leadership walkabouts"}, page="/monitoring/plan/new"
    )
    assert local.status_code == 303
    local_id = local.headers["location"].split("/monitoring/plan/", 1)[1].split("?", 1)[0]
    assert monitoring_service.item(org, local_id)["local"] is True


def test_adding_with_problems_shows_them_and_writes_nothing(browser, monitoring_service: MonitoringService):
    org = "RQIA"
    admin = browser(org=org, roles=("admin",))
    answer = admin.form_post(
        "/monitoring/plan",
        {"action": "local", "title": "", "due": "31/03/2027", "cadence": "0"},
        page="/monitoring/plan/new",
    )
    assert answer.status_code == 422
    for field in ("title", "due", "cadence"):
        assert f'id="{field}-error"' in answer.text
    nothing = admin.form_post("/monitoring/plan", {}, page="/monitoring/plan/new")
    assert nothing.status_code == 422 and 'id="action-error"' in nothing.text
    listing = monitoring_service.api.get("/plan/items", headers=monitoring_service.headers(READ, org=org))
    assert listing.json()["items"] == []


def test_adding_to_the_plan_needs_monitoring_admin(browser, monitoring_service: MonitoringService):
    manager = browser(org="NIPEC")
    assert "Add a local action" not in manager.get("/monitoring/plan").text
    assert manager.get("/monitoring/plan/new").status_code == 403
    refused = manager.form_post("/monitoring/plan", {"action": "A1"}, page="/monitoring/plan")
    assert refused.status_code == 403
    listing = monitoring_service.api.get("/plan/items", headers=monitoring_service.headers(READ, org="NIPEC"))
    assert listing.json()["items"] == []


# --- monitoring-api down --------------------------------------------------------------------


def test_monitoring_api_down_gives_notices_not_errors(browser, monitoring_service: MonitoringService, monitoring_api):
    org = "NISCC"
    item = monitoring_service.adopt(org, "A1")
    manager = browser(org=org)
    page = manager.get(f"/monitoring/plan/{item['id']}")
    token_page = page.text
    for failure in ("connect", "timeout", 500):
        monitoring_api.failure = failure
        for path in ("/monitoring/plan", f"/monitoring/plan/{item['id']}"):
            answer = manager.get(path)
            assert answer.status_code == 200, (failure, path)
            assert "The monitoring service is not available just now" in answer.text
    monitoring_api.failure = "connect"
    answer = manager.post(
        f"/monitoring/plan/{item['id']}/check-ins",
        data={
            "status": "on_track",
            "confidence": "5",
            "what_happened": "While it was down",
            "csrf_token": fixtures.csrf_from(token_page),
        },
    )
    assert answer.status_code == 200
    assert "The check-in was not recorded" in answer.text
    monitoring_api.failure = None
    assert monitoring_service.check_ins(org, item["id"]) == []


# --- changing an item -----------------------------------------------------------------------


def test_an_administrator_changes_an_item_its_milestones_and_key_results(
    browser, monitoring_service: MonitoringService
):
    org = "PCC"
    item = monitoring_service.adopt(org, "A4")
    indicator = monitoring_service.indicator(org, "PCC-APPRAISAL", title="Appraisal rate")
    admin = browser(org=org, roles=("admin",))
    page = admin.get(f"/monitoring/plan/{item['id']}")
    assert f"/monitoring/plan/{item['id']}/edit" in page.text
    form = admin.get(f"/monitoring/plan/{item['id']}/edit")
    assert form.status_code == 200
    assert 'name="title"' not in form.text  # an adopted action keeps the strategy's title
    etag = html.unescape(re.search(r'name="etag" value="([^"]+)"', form.text).group(1))
    data = {
        "owner": "Head of OD",
        "reviewer": "",
        "due": "2027-03-31",
        "cadence": "14",
        "milestone_count": "2",
        "milestone-0-title": "Board approves the plan",
        "milestone-0-due": "2027-01-31",
        "milestone-0-done_on": "",
        "milestone-1-title": "",
        "milestone-1-due": "",
        "indicators": [indicator["id"]],
        "etag": etag,
    }
    saved = admin.form_post(f"/monitoring/plan/{item['id']}/edit", data)
    assert saved.status_code == 303, saved.text
    changed = monitoring_service.item(org, item["id"])
    assert changed["owner"] == "Head of OD" and changed["check_in_cadence_days"] == 14
    assert [(m["title"], m["due"]) for m in changed["milestones"]] == [("Board approves the plan", "2027-01-31")]
    assert [link["code"] for link in changed["indicators"]] == ["PCC-APPRAISAL"]
    shown = admin.get(saved.headers["location"])
    assert "Board approves the plan" in shown.text
    # The key result links to its chart at the item's unit (the indicators pages' address).
    assert f'href="/monitoring/indicators/{indicator["id"]}/units/{item["unit"]["id"]}"' in shown.text
    # The same form again (its ETag is stale): refused, nothing of it saved.
    stale = admin.form_post(f"/monitoring/plan/{item['id']}/edit", {**data, "owner": "Someone else"})
    assert stale.status_code == 409
    assert "Someone changed this action while you were editing it" in stale.text
    assert monitoring_service.item(org, item["id"])["owner"] == "Head of OD"


def test_changing_an_item_with_problems_shows_them_and_writes_nothing(browser, monitoring_service: MonitoringService):
    org = "NIBTS"
    item = monitoring_service.local(org, "Team coaching")
    admin = browser(org=org, roles=("admin",))
    form = admin.get(f"/monitoring/plan/{item['id']}/edit")
    etag = html.unescape(re.search(r'name="etag" value="([^"]+)"', form.text).group(1))
    answer = admin.form_post(
        f"/monitoring/plan/{item['id']}/edit",
        {
            "title": "",
            "cadence": "400",
            "due": "soon",
            "milestone_count": "1",
            "milestone-0-title": "",
            "milestone-0-due": "2027-02-30",
            "etag": etag,
        },
    )
    assert answer.status_code == 422
    for field in ("title", "cadence", "due", "milestone-0-title", "milestone-0-due"):
        assert f'id="{field}-error"' in answer.text, field
    unchanged = monitoring_service.item(org, item["id"])
    assert unchanged["title"] == "Team coaching" and unchanged["milestones"] == []


def test_changing_an_item_needs_monitoring_admin_and_its_own_organisation(
    browser, monitoring_service: MonitoringService
):
    mine = monitoring_service.adopt("SPPG", "A6")
    theirs = monitoring_service.adopt("DOH", "A6")
    manager = browser(org="SPPG")
    assert f"/monitoring/plan/{mine['id']}/edit" not in manager.get(f"/monitoring/plan/{mine['id']}").text
    assert manager.get(f"/monitoring/plan/{mine['id']}/edit").status_code == 403
    admin = browser(org="SPPG", roles=("admin",))
    assert admin.get(f"/monitoring/plan/{theirs['id']}/edit").status_code == 404
    refused = admin.form_post(
        f"/monitoring/plan/{theirs['id']}/edit",
        {"owner": "Not mine", "cadence": "30"},
        page=f"/monitoring/plan/{mine['id']}/edit",
    )
    assert refused.status_code == 404
    # A regional lead reads another organisation's item but cannot change it.
    lead = browser(org="DOH", roles=("regional_lead",))
    page = lead.get(f"/monitoring/plan/{mine['id']}")
    assert page.status_code == 200 and "/edit" not in page.text and "Record the check-in" not in page.text


# --- linking framework items ----------------------------------------------------------------


def etag_of(page: str) -> str:
    return html.unescape(re.search(r'name="etag" value="([^"]+)"', page).group(1))


def ticked(page: str) -> set[str]:
    """The framework items the form has ticked."""
    return set(re.findall(r'name="framework_items" type="checkbox" value="([^"]+)" checked', page))


def test_the_change_form_lists_the_frameworks_items_by_type_and_saves_the_chosen_ones(
    browser, monitoring_service: MonitoringService
):
    ids = {code: str(uid) for code, uid in framework_ids().items()}
    org = "SEHSCT"
    # Linked before: the value, and an item that no latest published version has.
    elsewhere = "9b2f9c1e-0000-4000-8000-000000000001"
    item = monitoring_service.local(org, "Compassion circles", framework_items=[ids["V4"], elsewhere])
    admin = browser(org=org, roles=("admin",))
    form = admin.get(f"/monitoring/plan/{item['id']}/edit")
    assert form.status_code == 200
    text = text_of(form.text)
    # The latest published version (1.1.0), by type, each item by its code and statement.
    assert "Framework items" in text and "HSC Collective Leadership Framework, version 1.1.0" in text
    assert text.index("Components") < text.index("C4 Compassionate leadership") < text.index("Values")
    assert text.index("Values") < text.index("V4 Compassion") < text.index("Capabilities")
    assert "C4.TL.1 Creates psychological safety in the team" in text  # only in 1.1.0
    # The current links are ticked, the one not in the framework by its identifier.
    assert ticked(form.text) == {ids["V4"], elsewhere}
    assert "Linked items not in the latest version" in text and elsewhere in text
    data = {
        "title": "Compassion circles",
        "cadence": "30",
        "milestone_count": "0",
        "framework_items": [ids["C4.AS.1"], ids["C4.TL.1"], elsewhere],
        "framework_items_listed": "1",
        "etag": etag_of(form.text),
    }
    saved = admin.form_post(f"/monitoring/plan/{item['id']}/edit", data)
    assert saved.status_code == 303, saved.text
    changed = monitoring_service.item(org, item["id"])
    assert changed["framework_items"] == [ids["C4.AS.1"], ids["C4.TL.1"], elsewhere]
    shown = text_of(admin.get(saved.headers["location"]).text)
    assert "C4.AS.1: Listens with compassion" in shown and "V4: Compassion" not in shown
    # Unticking everything unlinks everything.
    again = admin.get(f"/monitoring/plan/{item['id']}/edit")
    assert ticked(again.text) == {ids["C4.AS.1"], ids["C4.TL.1"], elsewhere}
    data = {**data, "framework_items": [], "etag": etag_of(again.text)}
    assert admin.form_post(f"/monitoring/plan/{item['id']}/edit", data).status_code == 303
    assert monitoring_service.item(org, item["id"])["framework_items"] == []


def test_framework_api_down_the_change_form_says_so_and_keeps_the_links(
    browser, monitoring_service: MonitoringService, framework_api
):
    ids = {code: str(uid) for code, uid in framework_ids().items()}
    org = "SHSCT"
    item = monitoring_service.local(org, "Values workshops", framework_items=[ids["V4"]])
    admin = browser(org=org, roles=("admin",))
    for failure in ("connect", 500):
        framework_api.failure = failure
        form = admin.get(f"/monitoring/plan/{item['id']}/edit")
        assert form.status_code == 200
        assert "The framework service is not available just now" in form.text
        assert "framework_items_listed" not in form.text and 'name="framework_items"' not in form.text
        assert ids["V4"] in form.text  # the link, by its identifier, kept as it is
    saved = admin.form_post(
        f"/monitoring/plan/{item['id']}/edit",
        {"title": "Values workshops", "owner": "Head of OD", "cadence": "30", "etag": etag_of(form.text)},
    )
    assert saved.status_code == 303, saved.text
    changed = monitoring_service.item(org, item["id"])
    assert changed["owner"] == "Head of OD" and changed["framework_items"] == [ids["V4"]]
    # A form that listed the items, sent while framework-api is down, saves what was ticked.
    framework_api.failure = None
    listed = admin.get(f"/monitoring/plan/{item['id']}/edit")
    framework_api.failure = "connect"
    data = {
        "title": "Values workshops",
        "cadence": "30",
        "framework_items": [ids["C4"]],
        "framework_items_listed": "1",
        "etag": etag_of(listed.text),
    }
    assert admin.form_post(f"/monitoring/plan/{item['id']}/edit", data).status_code == 303
    assert monitoring_service.item(org, item["id"])["framework_items"] == [ids["C4"]]


def test_monitoring_apis_refusal_of_a_framework_item_shows_beside_the_field(
    browser, monitoring_service: MonitoringService
):
    ids = {code: str(uid) for code, uid in framework_ids().items()}
    org = "NIAS"
    item = monitoring_service.adopt(org, "A5", framework_items=[ids["V4"]])
    admin = browser(org=org, roles=("admin",))
    form = admin.get(f"/monitoring/plan/{item['id']}/edit")
    answer = admin.form_post(
        f"/monitoring/plan/{item['id']}/edit",
        {
            "cadence": "30",
            "owner": "Not saved",
            "framework_items": [ids["C4"], "not-an-identifier"],
            "framework_items_listed": "1",
            "etag": etag_of(form.text),
        },
    )
    assert answer.status_code == 422
    assert 'id="framework-items-error"' in answer.text and 'href="#framework-items"' in answer.text
    assert 'id="framework-items"' in answer.text  # the summary's link lands on the first checkbox
    # The form keeps what was ticked (the malformed one by itself, to untick); nothing was saved.
    assert ticked(answer.text) == {ids["C4"], "not-an-identifier"}
    unchanged = monitoring_service.item(org, item["id"])
    assert unchanged["owner"] is None and unchanged["framework_items"] == [ids["V4"]]


def test_a_local_action_is_added_with_the_framework_items_ticked(browser, monitoring_service: MonitoringService):
    ids = {code: str(uid) for code, uid in framework_ids().items()}
    org = "PHA"
    admin = browser(org=org, roles=("admin",))
    form = admin.get("/monitoring/plan/new")
    assert "Framework items" in form.text and ticked(form.text) == set()
    assert "C4.AS.1" in text_of(form.text)
    added = admin.form_post(
        "/monitoring/plan",
        {"action": "local", "title": "Listening sessions", "cadence": "30", "framework_items": [ids["C4.AS.1"]]},
    )
    assert added.status_code == 303, added.text
    item_id = added.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert monitoring_service.item(org, item_id)["framework_items"] == [ids["C4.AS.1"]]
    # Refused beside the field, the ticks kept.
    refused = admin.form_post(
        "/monitoring/plan", {"action": "local", "title": "Not added", "cadence": "30", "framework_items": ["nope"]}
    )
    assert refused.status_code == 422 and 'id="framework-items-error"' in refused.text
    assert ticked(refused.text) == {"nope"}
