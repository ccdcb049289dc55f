"""The words of the results page and the recruitment hub (issue 6 §8): results name the values
("Compassion"), not only their codes ("V4"); each row's decision and feedback links are separate
list items, so they stack at 375 px (the layout itself is checked in a browser in
tests/e2e/test_e2e_recruitment_pages.py); the hub's description reads as one sentence whatever
the roles."""

from __future__ import annotations

import re

import pytest
from recruitment_support import ready_panel, score

ORG = "SEHSCT"
VALUES = {"V1": "Working Together", "V2": "Excellence", "V3": "Openness and Honesty", "V4": "Compassion"}


@pytest.fixture
def results(recruitment_services, keys, browser_as):
    admin = browser_as("recruiter", org=ORG, roles=("recruitment_admin",))
    api = recruitment_services["api"]
    ready = ready_panel(api, keys, org=ORG)
    score(api, ready, ready.lead, ready.candidates[0], {"V1": 3, "V2": 3, "V3": 2, "V4": 4})
    score(api, ready, ready.second, ready.candidates[0], {"V1": 3, "V2": 2, "V3": 2, "V4": 4})
    page = admin.get(f"/recruitment/vacancies/{ready.vacancy['id']}/stages/{ready.stage['id']}/results")
    assert page.status_code == 200
    return page.text


def test_results_name_each_value_not_only_its_code(results):
    head = results.split('<thead class="nhsuk-table__head">', 1)[1].split("</thead>", 1)[0]
    for code, name in VALUES.items():
        assert re.search(rf">{name} <span[^>]*>{code}</span></th>", head), name
    body = results.split("<tbody", 1)[1]
    for name in VALUES.values():
        assert f'aria-hidden="true">{name} </span>' in body  # the heading each cell shows on a phone


def test_decision_and_feedback_links_are_separate_items(results):
    cell = results.split('aria-hidden="true">Decision and feedback </span>', 1)[1].split("</td>", 1)[0]
    items = re.findall(r"<li>\s*<a [^>]*>([^<]+)<", cell)
    assert items == ["Record a decision", "Feedback"]
    assert "<br>" not in cell.split("collective-row-actions", 1)[1]


@pytest.mark.parametrize(
    ("roles", "description"),
    [
        (
            ("recruitment_admin", "equality_officer"),
            "give feedback and handle candidates' data protection requests, "
            "and read the adverse-impact report of each stage.</p>",
        ),
        (("recruitment_admin",), "give feedback and handle candidates' data protection requests.</p>"),
        (
            ("equality_officer",),
            "The organisation's vacancies and their stages, with the adverse-impact report of each stage.</p>",
        ),
    ],
)
def test_the_hub_describes_the_vacancies_in_one_sentence(browser_as, recruitment_web, roles, description):
    hub = browser_as("reader", org=ORG, roles=roles).get("/recruitment").text.replace("&#39;", "'")
    assert description in hub
    assert "., " not in hub and ".," not in hub
