"""axe (WCAG 2.2 AA) on the culture pages with the demo survey on them: the culture page of the
organisation (chart, table, heat map, questions) with a point focused by keyboard, a team whose
figures are all withheld, My organisation with its culture card, the survey admin page sent with
problems, a wave's response import with problems by row; and the culture page with monitoring-api
down."""

from __future__ import annotations

import pytest
from axe_support import violations
from web_monitoring_demo_support import (
    ADMIN,
    READ,
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
        if page.evaluate("document.activeElement.getAttribute('class')") == "culture-point":
            return
    raise AssertionError("no point of the chart took the focus")


def send_empty_wave(page) -> None:
    page.get_by_role("button", name="Open the wave").click()
    page.get_by_text("There is a problem").wait_for()


def import_bad_responses(page) -> None:
    page.get_by_label("Or paste the CSV here").fill("unit,engagement.look_forward\nNOWHERE,9\n")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Problems by row").wait_for()


def test_the_culture_pages_have_no_axe_violations(open_as, demo_monitoring, monitoring_transport):
    coaching = next(u for u in demo_monitoring.get("/units", limit=500)["items"] if u["code"] == "COACHING")
    instrument = next(i for i in demo_monitoring.get("/survey-instruments")["items"] if i["code"] == "HSC-CULTURE")
    opened = demo_monitoring.api.post(
        "/survey-waves",
        json={"instrument": instrument["id"], "title": "Pulse survey", "opens": "2026-11-01", "closes": "2026-11-30"},
        headers=demo_monitoring.headers(READ, ADMIN),
    )
    assert opened.status_code == 201, opened.text
    manager = open_as("BSO")
    found = violations(
        manager,
        [
            "/monitoring/culture",
            ("/monitoring/culture", tab_to_a_point),
            f"/monitoring/culture?unit={coaching['id']}",
            "/monitoring",
        ],
    )
    admin = open_as("BSO", roles=("admin",))
    found.update(
        violations(
            admin,
            [
                ("/monitoring/admin/surveys", send_empty_wave),
                (f"/monitoring/admin/surveys/{opened.json()['id']}/responses", import_bad_responses),
            ],
        )
    )
    monitoring_transport.failure = "connect"
    found.update({f"{path} (down)": v for path, v in violations(manager, ["/monitoring/culture"]).items()})
    assert {path: v for path, v in found.items() if v} == {}
    assert len(found) == 7
