"""My organisation: a manager's home. The plan by action with RAG status and the items to look at,
the indicator summary with Making Data Count's icons, the recruitment headline for users who read
recruitment; the services asked at once, and a service that is down is a notice in its panel while
the rest of the page renders."""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from recruitment_support import admin_headers, create_vacancy, design, ready_panel, score
from web_monitoring_demo_support import (
    add_user,
    demo_monitoring,
    demo_web,
    monitoring_transport,
    open_as,
    recruitment_transport,
    sign_in,
)

from web.labels import PLAN_STATUSES
from web.monitoring import home

__all__ = ["demo_monitoring", "demo_web", "monitoring_transport", "open_as", "recruitment_transport"]


def _panel(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_a_manager_lands_on_my_organisation_after_signing_in(demo_web, recruitment_services):
    from fastapi.testclient import TestClient

    add_user(demo_web, "mona", org="BSO", roles=("manager",))
    add_user(demo_web, "eddie", org="BSO", roles=("framework_editor",))
    with TestClient(demo_web, follow_redirects=False) as browser:
        assert sign_in(browser, "mona").headers["location"] == "/monitoring"
    with TestClient(demo_web, follow_redirects=False) as browser:
        assert sign_in(browser, "mona", next_url="/frameworks").headers["location"] == "/frameworks"
    with TestClient(demo_web, follow_redirects=False) as browser:
        assert sign_in(browser, "eddie").headers["location"] == "/"


def test_my_organisation_shows_the_plan_the_indicators_and_the_navigation(open_as, demo_monitoring):
    page = open_as("BSO").get("/monitoring")
    assert page.status_code == 200
    html = page.text
    assert "<h1>My organisation</h1>" in html
    assert 'href="/monitoring"' in html and "My organisation</a>" in html  # the navigation entry

    plan = _panel(html, "plan-heading")
    items = demo_monitoring.get("/plan/items", org="BSO", limit=500)["items"]
    assert f"{len(items)} action" in plan
    for status in {i["status"] for i in items}:
        assert f'collective-plan-status">{PLAN_STATUSES[status]}<' in plan  # each status as a RAG tag, in words
    watched = [i for i in items if i["status"] in ("off_track", "at_risk") or i["check_in_overdue"]]
    assert watched, "the demo plan has items off track, at risk or overdue"
    for item in watched:
        assert f'href="/monitoring/plan/{item["id"]}"' in plan
    if any(i["check_in_overdue"] for i in items):
        assert "Check-in overdue" in plan
    for item in items:
        if item["action"]:
            assert item["action"]["code"] in plan

    indicators = _panel(html, "indicators-heading")
    rows = demo_monitoring.get("/summary", org="BSO", level=1, limit=500)["items"]
    assert rows
    for row in rows:
        assert f'href="/monitoring/indicators/{row["indicator"]["id"]}/units/{row["unit"]["id"]}"' in indicators
    # Icons are images with words, drawn inline in MDC colours.
    assert indicators.count('class="mdc-icon mdc-icon--variation"') == sum(1 for r in rows if r["variation"]["icon"])
    assert 'role="img" aria-label="Special cause variation' in indicators or "Common cause variation" in indicators
    assert "#289DE0" in indicators or "#FAB428" in indicators or "#7B7D7D" in indicators


def test_a_user_without_monitoring_read_is_refused(open_as):
    browser = open_as("BSO", roles=("assessor",))
    assert browser.get("/monitoring").status_code == 403
    assert 'href="/monitoring"' not in browser.get("/").text


def test_signed_out_goes_to_sign_in(demo_web):
    from fastapi.testclient import TestClient

    with TestClient(demo_web, follow_redirects=False) as browser:
        response = browser.get("/monitoring")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


@pytest.mark.parametrize("failure", ["connect", "timeout", 500])
def test_monitoring_api_down_turns_its_panels_into_notices_and_the_rest_renders(
    open_as, monitoring_transport, recruitment_services, keys, failure
):
    api = recruitment_services["api"]
    ready_panel(api, keys, org="BSO")
    browser = open_as("BSO", roles=("manager", "recruitment_admin"))
    monitoring_transport.failure = failure
    page = browser.get("/monitoring")
    assert page.status_code == 200
    html = page.text
    for heading in ("plan-heading", "indicators-heading"):
        assert "The monitoring service is not available just now" in _panel(html, heading)
    recruitment = _panel(html, "recruitment-heading")
    assert "not available" not in recruitment
    assert "in scoring" in recruitment


def test_recruitment_down_leaves_the_monitoring_panels(open_as, recruitment_transport):
    browser = open_as("BSO", roles=("manager", "recruitment_admin"))
    recruitment_transport.failure = "connect"
    html = browser.get("/monitoring").text
    assert "The recruitment service is not available just now" in _panel(html, "recruitment-heading")
    assert "not available" not in _panel(html, "plan-heading")
    assert "not available" not in _panel(html, "indicators-heading")


def test_the_recruitment_headline_counts_vacancies_and_flags_reliability(open_as, recruitment_services, keys):
    api = recruitment_services["api"]
    org = "NHSCT"
    panel = ready_panel(api, keys, org=org, candidates=3)
    opened = create_vacancy(api, keys, org, title="Open post")
    design(api, keys, opened, org)
    assert api.post(f"/vacancies/{opened['id']}/status", json={"status": "open"}, headers=admin_headers(keys, org))
    # The two assessors disagree widely on every candidate: the reliability report flags them.
    for index, candidate in enumerate(panel.candidates):
        score(api, panel, panel.lead, candidate, {"V1": 4, "V2": 4, "V3": 4, "V4": 4 - index % 2})
        score(api, panel, panel.second, candidate, {"V1": 1, "V2": 1, "V3": 1, "V4": 1 + index % 2})
    reader = open_as(org, roles=("manager", "recruitment_admin"))
    recruitment = _panel(reader.get("/monitoring").text, "recruitment-heading")
    counts = dict((label, int(n)) for n, label in re.findall(r"<strong>(\d+)</strong> ([a-z ]+)<", recruitment))
    assert counts.get("vacancy open") == 1 and counts.get("in scoring") == 1
    assert "Reliability flags" in recruitment
    assert f"/recruitment/vacancies/{panel.vacancy['id']}/stages/{panel.stage['id']}/reliability" in recruitment

    manager_only = open_as(org, roles=("manager",))
    assert 'id="recruitment-heading"' not in manager_only.get("/monitoring").text


def test_the_services_are_asked_at_once(open_as, monitoring_transport, recruitment_transport, monkeypatch):
    """Each service answers after a delay: the page asks monitoring-api and recruitment-api together, so
    their requests are in flight at the same time (counted, not timed: a busy machine cannot fail it)."""
    import asyncio

    in_flight: dict[str, int] = {"now": 0, "most": 0}
    for transport in (monitoring_transport, recruitment_transport):
        inner = transport.handle_async_request

        async def slow(request, inner=inner):
            in_flight["now"] += 1
            in_flight["most"] = max(in_flight["most"], in_flight["now"])
            try:
                await asyncio.sleep(0.3)
                return await inner(request)
            finally:
                in_flight["now"] -= 1

        monkeypatch.setattr(transport, "handle_async_request", slow)
    browser = open_as("BSO", roles=("manager", "recruitment_admin"))
    assert browser.get("/monitoring").status_code == 200
    assert in_flight["most"] >= 2, in_flight


def test_monitoring_api_is_asked_once_for_its_three_panels(open_as, monitoring_transport, monkeypatch):
    """The plan, the indicators and the culture card come from one GET /overview, not four reads queued
    one after another on monitoring-api's worker."""
    asked: list[str] = []
    inner = monitoring_transport.handle_async_request

    async def counted(request):
        asked.append(f"{request.method} {request.url.path}")
        return await inner(request)

    browser = open_as("BSO")
    monkeypatch.setattr(monitoring_transport, "handle_async_request", counted)
    html = browser.get("/monitoring").text
    assert asked == ["GET /overview"]
    for heading in ("plan-heading", "indicators-heading", "culture-heading"):
        assert "not available" not in _panel(html, heading)


def test_a_slow_panel_is_cut_off_at_the_timeout(open_as, monitoring_transport, monkeypatch, demo_web):
    import asyncio

    demo_web.state.settings = demo_web.state.settings.model_copy(update={"service_timeout_seconds": 0.2})

    cut_off = []

    async def hang(request):
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:  # the page's timeout gave up on it
            cut_off.append(request.url.path)
            raise
        raise AssertionError("not reached")

    monkeypatch.setattr(monitoring_transport, "handle_async_request", hang)
    browser = open_as("BSO")
    page = browser.get("/monitoring")
    assert cut_off == ["/overview"]
    assert page.status_code == 200
    assert "The monitoring service is not available just now" in page.text


def test_plan_panel_orders_what_needs_attention_first():
    from datetime import date, datetime
    from uuid import uuid4

    from collective_clients.monitoring.models import PlanItemPublic

    def item(title: str, status: str, overdue: bool = False, action: str | None = None) -> PlanItemPublic:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        unit = {"id": str(uuid4()), "code": "BSO", "name": "BSO", "path": "/BSO/"}
        return PlanItemPublic.model_validate(
            {
                "id": str(uuid4()),
                "title": title,
                "status": status,
                "rag": "grey",
                "check_in_overdue": overdue,
                "check_in_cadence_days": 30,
                "next_check_in_due": date(2026, 1, 1).isoformat(),
                "created_at": now.isoformat(),
                "updated_at": now.isoformat(),
                "demo": False,
                "framework_items": [],
                "indicators": [],
                "milestones": [],
                "local": action is None,
                "org": "BSO",
                "unit": unit,
                "action": {"id": str(uuid4()), "code": action, "title": f"Action {action}"} if action else None,
            }
        )

    panel = home.plan_panel(
        [
            item("fine", "on_track", action="A2"),
            item("late", "on_track", overdue=True, action="A10"),
            item("risky", "at_risk", action="A1"),
            item("bad", "off_track"),
            item("done", "done", action="A2"),
        ]
    )
    assert [i.title for i in panel.watch] == ["bad", "risky", "late"]
    assert [g.code for g in panel.groups] == ["A1", "A2", "A10", None]
    assert dict(panel.counts) == {"off_track": 1, "at_risk": 1, "on_track": 2, "done": 1}
