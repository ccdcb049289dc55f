"""The regional view of the plan: organisations by actions as a table of statuses in words, with
the roll-up and which organisations are off track, only for the regional role."""

from __future__ import annotations

import re

import monitoring_web_support as fixtures
from monitoring_web_support import PASSWORD, MonitoringService, sign_in

# The fixtures these tests use.
browser, monitoring_api = fixtures.browser, fixtures.monitoring_api
monitoring_service, monitoring_web = fixtures.monitoring_service, fixtures.monitoring_web


def cell(html: str, org: str, column: int) -> str:
    """The text of the matrix cell of `org`'s row in `column` (1 is the first action)."""
    matrix = html.split('class="nhsuk-table collective-matrix"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in matrix.split("<tr")[1:] if f'collective-code">({org})<' in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cells[column - 1])).strip()


def test_the_regional_lead_sees_every_organisation_by_action_with_the_roll_up(
    browser, monitoring_service: MonitoringService
):
    belfast = monitoring_service.adopt("BHSCT", "A1")
    monitoring_service.check_in("BHSCT", belfast["id"], "off_track")
    western = monitoring_service.adopt("WHSCT", "A1")
    monitoring_service.check_in("WHSCT", western["id"], "on_track")
    monitoring_service.adopt("WHSCT", "A2")

    lead = browser(org="DOH", roles=("regional_lead",))
    page = lead.get("/monitoring/regional")
    assert page.status_code == 200
    # Statuses in words in each organisation's row, linked to the item; not adopted says so.
    assert cell(page.text, "BHSCT", 1).startswith("Off track")
    assert cell(page.text, "WHSCT", 1).startswith("On track")
    assert cell(page.text, "WHSCT", 2).startswith("Not started")
    assert cell(page.text, "BHSCT", 2) == "\u2013 Not adopted"  # a dash, and the words for screen readers
    assert f'href="/monitoring/plan/{belfast["id"]}"' in page.text
    # Every organisation has its row, with row and column headers for assistive technology.
    assert page.text.count('collective-matrix__org" scope="row">') == 16
    assert '<th class="nhsuk-table__header" scope="col">A1<span class="nhsuk-u-visually-hidden">' in page.text
    # The roll-up: counts per status and the organisations off track, by name.
    rollup = page.text.split('class="nhsuk-table collective-rollup"', 1)[1].split("</table>", 1)[0]
    a1 = next(r for r in rollup.split("<tr")[1:] if 'scope="row">A1<' in r)
    numbers = re.findall(r'<td class="nhsuk-table__cell">(\d+)</td>', a1)
    assert numbers[:6] == ["2", "0", "1", "0", "1", "0"]  # adopted, not started, on track, at risk, off track, done
    assert "Belfast Health and Social Care Trust" in a1
    # The regional lead can read an organisation's item from the matrix.
    assert lead.get(f"/monitoring/plan/{belfast['id']}").status_code == 200


def test_the_regional_view_is_only_for_the_regional_role(browser):
    for roles in (("manager",), ("admin",)):
        other = browser(org="BHSCT", roles=roles)
        assert other.get("/monitoring/regional").status_code == 403
        assert "/monitoring/regional" not in other.get("/monitoring/plan").text


def test_a_manager_sees_only_their_own_organisations_plan(browser, monitoring_service: MonitoringService):
    theirs = monitoring_service.adopt("SHSCT", "A3")
    manager = browser(org="NHSCT")
    page = manager.get("/monitoring/plan")
    assert page.status_code == 200
    assert theirs["id"] not in page.text
    assert manager.get(f"/monitoring/plan/{theirs['id']}").status_code == 404


def test_the_regional_view_with_monitoring_api_down_is_a_notice(browser, monitoring_api):
    lead = browser(org="SPPG", roles=("regional_lead",))
    monitoring_api.failure = "connect"
    page = lead.get("/monitoring/regional")
    assert page.status_code == 200
    assert "The monitoring service is not available just now" in page.text


def test_an_administrator_gives_the_regional_lead_role_in_the_users_pages(browser, monitoring_web):
    admin = browser(org="DOH", roles=("admin",))
    form = admin.get("/admin/users/new")
    assert "Regional lead" in form.text and 'value="regional_lead"' in form.text
    created = admin.form_post(
        "/admin/users",
        {"display_name": "Rita Regan", "username": "rita", "roles": ["regional_lead"], "password": PASSWORD},
        page="/admin/users/new",
    )
    assert created.status_code == 201, created.text
    rita = fixtures.Browser(monitoring_web, follow_redirects=False)
    with rita:
        assert sign_in(rita, "rita").status_code == 303
        assert rita.get("/monitoring/regional").status_code == 200
        assert 'href="/monitoring/regional"' in rita.get("/monitoring/plan").text
