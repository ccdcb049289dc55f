"""axe (WCAG 2.2 AA) on the plan pages and the regional view, with data on them: the plan with an
overdue item, an item with its check-in form, its timeline and a form shown again with errors, the
form to add to the plan, the form to change an item (with its framework items, one linked that the
framework no longer has), and the regional matrix."""

from __future__ import annotations

import monitoring_web_support as fixtures
import pytest
from axe_support import violations
from monitoring_web_support import MonitoringService
from web_framework_support import framework_ids

pytestmark = pytest.mark.browser

# The fixtures these tests use.
browser, monitoring_api = fixtures.browser, fixtures.monitoring_api
monitoring_service, monitoring_web = fixtures.monitoring_service, fixtures.monitoring_web


def send_empty_check_in(page) -> None:
    page.get_by_role("button", name="Record the check-in").click()
    page.get_by_text("There is a problem").wait_for()


def test_the_plan_pages_have_no_axe_violations(browser, monitoring_service: MonitoringService):
    org = "BHSCT"
    linked = [str(framework_ids()["V4"]), "9b2f9c1e-0000-4000-8000-000000000001"]
    item = monitoring_service.adopt(org, "A2", owner="Director of HR", framework_items=linked)
    monitoring_service.check_in(org, item["id"], "at_risk", evidence=["https://intranet.example.org/plan"])
    monitoring_service.local(org, "Leadership walkabouts")
    other = monitoring_service.adopt("WHSCT", "A2")
    monitoring_service.check_in("WHSCT", other["id"], "off_track")
    admin = browser(org=org, roles=("admin",))
    found = violations(
        admin,
        [
            "/monitoring/plan",
            f"/monitoring/plan/{item['id']}",
            (f"/monitoring/plan/{item['id']}", send_empty_check_in),
            "/monitoring/plan/new?action=A3",
            f"/monitoring/plan/{item['id']}/edit",
        ],
    )
    lead = browser(org="DOH", roles=("regional_lead",))
    found.update(violations(lead, ["/monitoring/regional"]))
    assert {path: v for path, v in found.items() if v} == {}
    assert len(found) == 6
