"""Changing a submitted score (issue 6 §8): only the panel lead is offered the form, and anyone
else is told so before filling it in, with a 403; the form names the scale's levels and shows
each value's behavioural anchors; and the pages call the stage's `min_per_value` "the minimum per
value" throughout, never also "the pass mark"."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from recruitment_support import create_vacancy, design, ready_panel, score


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def panel(recruitment_services, keys, browser_as):
    lead = browser_as("lead", roles=("assessor",), display_name="Lena Lead")
    second = browser_as("second", roles=("assessor",), display_name="Sam Second")
    api = recruitment_services["api"]
    ready = ready_panel(api, keys, org="SEHSCT", lead=str(lead.user.uid), second=str(second.user.uid))
    stage = f"/recruitment/vacancies/{ready.vacancy['id']}/stages/{ready.stage['id']}"
    base = f"{stage}/candidates/{ready.candidates[0]['id']}"
    # Both have submitted, 1 against 3 on V1: a candidate for moderation.
    score(api, ready, ready.lead, ready.candidates[0], {"V1": 3, "V2": 3, "V3": 3, "V4": 3})
    score(api, ready, ready.second, ready.candidates[0], {"V1": 1, "V2": 3, "V3": 3, "V4": 3})
    return SimpleNamespace(ready=ready, lead=lead, second=second, api=api, stage=stage, base=base)


def test_an_assessor_who_is_not_the_lead_is_refused_the_form_up_front(panel):
    page = panel.second.get(f"{panel.base}/amend")
    assert page.status_code == 403
    assert "Only the panel lead can change a submitted score" in page.text
    assert "you are not its lead" in page.text
    assert 'action="' + f"{panel.base}/amend" not in page.text  # no form to fill in for nothing
    assert 'name="reason"' not in page.text
    # And no page offers them the link.
    assert f'href="{panel.base}/amend"' not in panel.second.get(f"{panel.base}/scores").text


def test_a_recruitment_admin_off_the_panel_sees_the_queue_without_the_change_link(panel, browser_as):
    admin = browser_as("recruiter", roles=("recruitment_admin",))
    queue = admin.get(f"{panel.stage}/moderation")
    assert queue.status_code == 200 and panel.ready.candidates[0]["code"] in queue.text
    assert "/amend" not in queue.text
    assert admin.get(f"{panel.base}/amend").status_code == 403  # they cannot score, so cannot moderate

    lead_queue = panel.lead.get(f"{panel.stage}/moderation")
    assert f'href="{panel.base}/amend"' in lead_queue.text


def test_the_lead_gets_the_form_with_the_levels_named_and_the_anchors(panel):
    form = panel.lead.get(f"{panel.base}/amend")
    assert form.status_code == 200 and 'name="reason"' in form.text
    for points, level in ((1, "Essential"), (2, "Proficient"), (3, "Strong"), (4, "Exemplary")):
        assert f"<strong>{points}</strong>: {level}</label>" in form.text
    assert "What each score means, value by value" in form.text
    anchors = form.text.split("What each score means, value by value", 1)[1]
    for value in ("Working Together", "Excellence", "Openness and Honesty", "Compassion"):
        assert value in anchors

    chosen = panel.lead.get(f"{panel.base}/amend", params={"criterion": "V4", "answer": "2"})
    radios = chosen.text.split('id="new-score"', 1)[1].split("</fieldset>", 1)[0]
    assert 'value="2" checked' in radios  # the score chosen before the value is kept
    assert re.search(r'<option value="V4" selected>', chosen.text)
    hints = re.findall(r'class="nhsuk-hint nhsuk-radios__hint" id="answer-\d-hint">([^<]+)<', radios)
    assert len(hints) == 4 and all(hint.strip() for hint in hints)  # V4's descriptor for each score


def test_the_change_form_is_refused_again_if_sent_by_someone_not_the_lead(panel):
    page = panel.lead.get(f"{panel.base}/amend")
    sheet_id = re.search(r'<option value="([0-9a-f-]{36})">Sam Second</option>', page.text).group(1)
    token = csrf_from(panel.second.get(f"{panel.base}/scores").text)
    sent = panel.second.post(
        f"{panel.base}/amend",
        data={"sheet_id": sheet_id, "criterion": "V1", "answer": "3", "reason": "Agreed", "csrf_token": token},
    )
    assert sent.status_code == 403 and "Only the panel lead can change a submitted score" in sent.text


def test_divergence_across_the_minimum_per_value_is_called_that_not_the_pass_mark(panel):
    scores = panel.lead.get(f"{panel.base}/scores")
    assert "Assessors are on both sides of the minimum per value, 2." in scores.text
    assert "pass mark" not in scores.text
    queue = panel.lead.get(f"{panel.stage}/moderation")
    assert "both sides of the minimum per value, 2" in queue.text and "pass mark" not in queue.text


def test_the_design_form_names_min_per_value_as_the_vacancy_page_does(panel, keys, browser_as):
    admin = browser_as("designer", roles=("recruitment_admin",))
    vacancy = create_vacancy(panel.api, keys)
    design(panel.api, keys, vacancy)
    page = admin.get(f"/recruitment/vacancies/{vacancy['id']}")
    assert "Minimum per value 2" in page.text
    form = admin.get(f"/recruitment/vacancies/{vacancy['id']}/design")
    assert '<label class="nhsuk-label" for="stage-0-min-per-value">Minimum per value (optional)</label>' in form.text
    assert "pass mark" not in form.text.lower().replace("pass mark (situational judgement tests only)", "")
