"""axe (WCAG 2.2 AA) on My organisation and an indicator's chart page, with the demo data on them
(plan items off track and overdue, indicators with every kind of icon, a chart with rebases, ghosts,
annotations and small multiples), with a point focused by keyboard, and with monitoring-api down."""

from __future__ import annotations

import pytest
from axe_support import violations
from web_monitoring_demo_support import (
    demo_monitoring,
    demo_web,
    monitoring_transport,
    open_as,
    recruitment_transport,
)

pytestmark = pytest.mark.browser

__all__ = ["demo_monitoring", "demo_web", "monitoring_transport", "open_as", "recruitment_transport"]


def tab_to_a_point(page) -> None:
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('class')") == "spc-point":
            return
    raise AssertionError("no point of the chart took the focus")


def test_my_organisation_and_a_chart_have_no_axe_violations(open_as, demo_monitoring, monitoring_transport):
    indicator = demo_monitoring.indicator("STAFF-RECOMMEND-WORK")
    organisation = demo_monitoring.organisation("BSO")
    chart = f"/monitoring/indicators/{indicator['id']}/units/{organisation['id']}"
    browser = open_as("BSO", roles=("manager", "recruitment_admin"))
    found = violations(browser, ["/monitoring", chart, (chart, tab_to_a_point)])
    monitoring_transport.failure = "connect"
    found.update({f"{path} (down)": v for path, v in violations(browser, ["/monitoring", chart]).items()})
    assert {path: v for path, v in found.items() if v} == {}
    assert len(found) == 5
