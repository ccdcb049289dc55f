"""Each person sees the vacancies their role and panels need (issue 6 §8): an assessor sees only
the vacancies they sit on a panel for, never another vacancy of the organisation (drafts
included); recruitment admins and equality officers see all of them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from recruitment_support import create_vacancy, ready_panel


@pytest.fixture
def vacancies(recruitment_services, keys, browser_as):
    lead = browser_as("lead", roles=("assessor",))
    second = browser_as("second", roles=("assessor",))
    api = recruitment_services["api"]
    mine = ready_panel(api, keys, org="SEHSCT", lead=str(lead.user.uid), second=str(second.user.uid))
    draft = create_vacancy(api, keys, title="Director of Nursing (draft)")
    return SimpleNamespace(lead=lead, mine=mine.vacancy, draft=draft)


def test_an_assessor_lists_only_the_vacancies_of_their_panels(vacancies):
    page = vacancies.lead.get("/recruitment/vacancies")
    assert page.status_code == 200
    assert f'href="/recruitment/vacancies/{vacancies.mine["id"]}"' in page.text
    assert "Director of Nursing (draft)" not in page.text
    assert vacancies.draft["id"] not in page.text
    # The status filter (also as htmx) keeps to their panels.
    scoring = vacancies.lead.get("/recruitment/vacancies", params={"status": "scoring"}, headers={"HX-Request": "true"})
    assert vacancies.mine["id"] in scoring.text and vacancies.draft["id"] not in scoring.text
    drafts = vacancies.lead.get("/recruitment/vacancies", params={"status": "draft"})
    assert vacancies.draft["id"] not in drafts.text and "whose panels you sit on" in drafts.text


def test_an_assessor_is_refused_a_vacancy_they_are_not_on_a_panel_for(vacancies):
    refused = vacancies.lead.get(f"/recruitment/vacancies/{vacancies.draft['id']}")
    assert refused.status_code == 403
    assert "Director of Nursing" not in refused.text
    assert "You see a vacancy once you sit on one of its panels" in refused.text
    assert vacancies.lead.get(f"/recruitment/vacancies/{vacancies.mine['id']}").status_code == 200


@pytest.mark.parametrize("roles", [("recruitment_admin",), ("equality_officer",)])
def test_recruitment_admins_and_equality_officers_see_every_vacancy(vacancies, browser_as, roles):
    reader = browser_as("reader", roles=roles)
    page = reader.get("/recruitment/vacancies")
    assert vacancies.mine["id"] in page.text and vacancies.draft["id"] in page.text
    assert reader.get(f"/recruitment/vacancies/{vacancies.draft['id']}").status_code == 200
