"""axe (WCAG 2.2 AA) on the monitoring admin pages, with data on them and with their errors shown:
the hub, the definitions, the definition form sent empty, targets, rebases and annotations, and the
value and structure imports with problems listed by row."""

from __future__ import annotations

import monitoring_web_support as fixtures
import pytest
from axe_support import violations
from monitoring_web_support import MonitoringService

pytestmark = pytest.mark.browser

# The fixtures these tests use.
browser, monitoring_api = fixtures.browser, fixtures.monitoring_api
monitoring_service, monitoring_web = fixtures.monitoring_service, fixtures.monitoring_web

BAD_VALUES = "indicator,unit,period,numerator,denominator\nNOPE,NOWHERE,2026-13-01,x,\n"


def send_empty_definition(page) -> None:
    page.get_by_role("button", name="Define the indicator").click()
    page.get_by_text("There is a problem").wait_for()


def import_bad_values(page) -> None:
    page.get_by_label("Or paste the CSV here").fill(BAD_VALUES)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Problems by row").wait_for()


def import_bad_structure(page) -> None:
    page.get_by_label("Or paste the CSV here").fill("code,name,kind\nbad code,,department\n")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Problems by row").wait_for()


def test_the_admin_pages_have_no_axe_violations(browser, monitoring_service: MonitoringService):
    org = "SEHSCT"
    indicator = monitoring_service.indicator(org, "SE-AXE")
    monitoring_service.api.put(
        f"/indicators/{indicator['id']}/targets",
        json={"targets": [{"value": 70, "from_date": "2024-04-01"}, {"value": 75, "from_date": "2025-04-01"}]},
        headers={
            **monitoring_service.headers(fixtures.READ, fixtures.ADMIN, org=org),
            "If-Match": monitoring_service.api.get(
                f"/indicators/{indicator['id']}", headers=monitoring_service.headers(fixtures.READ, org=org)
            ).headers["etag"],
        },
    )
    admin = browser(org=org, roles=("admin",))
    base = f"/monitoring/admin/indicators/{indicator['id']}"
    found = violations(
        admin,
        [
            "/monitoring/admin",
            "/monitoring/admin/indicators",
            ("/monitoring/admin/indicators/new", send_empty_definition),
            f"{base}/edit",
            f"{base}/targets",
            f"{base}/notes",
            ("/monitoring/admin/values/import", import_bad_values),
            ("/monitoring/admin/structure/import", import_bad_structure),
        ],
    )
    assert {path: v for path, v in found.items() if v} == {}
    assert len(found) == 8
