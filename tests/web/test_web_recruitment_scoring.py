"""Assessors' pages against the real recruitment-api (and framework-api) in process: my panels, the
score sheet one value at a time with htmx autosave and without JavaScript, submitting, the panel's
scores afterwards, blindness before, moderation by the lead, and CSRF on every form."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from recruitment_support import ready_panel, score

VALUES = ["Working Together", "Excellence", "Openness and Honesty", "Compassion"]
NAMES = re.compile(r"Candidate \d|c\d@example\.org")


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def panel(recruitment_services, keys, browser_as):
    lead = browser_as("lead", roles=("assessor",), display_name="Lena Lead")
    second = browser_as("second", roles=("assessor",), display_name="Sam Second")
    api = recruitment_services["api"]
    ready = ready_panel(api, keys, org="SEHSCT", lead=str(lead.user.uid), second=str(second.user.uid))
    stage = f"/recruitment/vacancies/{ready.vacancy['id']}/stages/{ready.stage['id']}"
    return SimpleNamespace(ready=ready, lead=lead, second=second, api=api, stage=stage)


def candidate_url(panel, index: int = 0) -> str:
    return f"{panel.stage}/candidates/{panel.ready.candidates[index]['id']}"


def fill_sheet(browser, base: str, answers: list[str], notes: str = "") -> None:
    """Answer every value through the no-JavaScript form, moving with Next."""
    for index, answer in enumerate(answers, start=1):
        page = browser.get(f"{base}/sheet/{index}")
        assert page.status_code == 200, page.text
        saved = browser.post(
            f"{base}/sheet/{index}",
            data={
                "answer": answer,
                "notes": f"{notes} {index}".strip(),
                "action": "next",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert saved.status_code == 303, saved.text


def submit(browser, base: str):
    page = browser.get(f"{base}/sheet/submit")
    return browser.post(f"{base}/sheet/submit", data={"csrf_token": csrf_from(page.text)})


def test_the_recruitment_area_is_in_the_navigation_for_recruitment_readers(panel, browser_as):
    home = panel.lead.get("/")
    assert 'href="/recruitment"' in home.text
    hub = panel.lead.get("/recruitment")
    assert hub.status_code == 200 and 'href="/recruitment/panels"' in hub.text
    manager = browser_as("manager", roles=("manager",))
    assert 'href="/recruitment"' not in manager.get("/").text
    assert manager.get("/recruitment").status_code == 403
    assert manager.get("/recruitment/panels").status_code == 403


def test_my_panels_lead_to_the_stage_candidates_with_my_sheet_status(panel):
    page = panel.lead.get("/recruitment/panels")
    assert page.status_code == 200
    assert "Ward Sister" in page.text and "Interview" in page.text and "Panel lead" in page.text
    assert f'href="{panel.stage}/candidates"' in page.text

    candidates = panel.lead.get(f"{panel.stage}/candidates")
    assert candidates.status_code == 200
    for candidate in panel.ready.candidates:
        assert candidate["code"] in candidates.text
    assert "Not started" in candidates.text and "Moderation queue" in candidates.text
    assert not NAMES.search(candidates.text)


def test_the_sheet_shows_one_value_at_a_time_with_its_anchors_and_the_evidence(panel):
    base = candidate_url(panel)
    first = panel.lead.get(f"{base}/sheet", follow_redirects=True)
    assert first.status_code == 200
    assert "<h1>Working Together</h1>" in first.text and "value 1 of 4" in first.text
    assert panel.ready.candidates[0]["code"] in first.text and "Answer 0" in first.text  # code and evidence
    assert not NAMES.search(first.text)  # never a name or contact detail
    for points in (1, 2, 3, 4):
        assert f'name="answer" type="radio" value="{points}"' in first.text
    assert 'value="not_evidenced"' in first.text and "Not evidenced" in first.text
    assert "Exemplary" in first.text  # the anchors' titles, from the framework's level descriptors
    assert 'name="notes"' in first.text
    assert f'hx-put="{base}/sheet/1"' in first.text  # autosaved with htmx
    assert 'value="next">Next value' in first.text and "Previous value" not in first.text

    last = panel.lead.get(f"{base}/sheet/4")
    assert "<h1>Compassion</h1>" in last.text and "Review and submit" in last.text and "Previous value" in last.text
    assert panel.lead.get(f"{base}/sheet/5").status_code == 404


def test_htmx_autosaves_a_draft_and_answers_with_a_small_status(panel):
    base = candidate_url(panel)
    page = panel.lead.get(f"{base}/sheet/2")
    token = csrf_from(page.text)
    saved = panel.lead.put(
        f"{base}/sheet/2",
        data={"answer": "3", "notes": "Led an audit of inhaler teaching"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert saved.status_code == 200
    assert "Saved as a draft" in saved.text and "<html" not in saved.text

    again = panel.lead.get(f"{base}/sheet/2")
    assert 'value="3" checked' in again.text and "Led an audit of inhaler teaching" in again.text
    # The sheet opens at the first value still unanswered.
    assert panel.lead.get(f"{base}/sheet").headers["location"] == f"{base}/sheet/1"

    wrong = panel.lead.put(
        f"{base}/sheet/2", data={"answer": "9"}, headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert "Not saved" in wrong.text and "<html" not in wrong.text


def test_without_javascript_the_form_saves_and_moves_between_values(panel):
    base = candidate_url(panel)
    page = panel.lead.get(f"{base}/sheet/1")
    token = csrf_from(page.text)
    moved = panel.lead.post(f"{base}/sheet/1", data={"answer": "not_evidenced", "action": "next", "csrf_token": token})
    assert moved.status_code == 303 and moved.headers["location"] == f"{base}/sheet/2"
    back = panel.lead.post(f"{base}/sheet/2", data={"answer": "2", "action": "previous", "csrf_token": token})
    assert back.headers["location"] == f"{base}/sheet/1"
    stay = panel.lead.post(f"{base}/sheet/1", data={"answer": "not_evidenced", "action": "save", "csrf_token": token})
    assert stay.headers["location"] == f"{base}/sheet/1?saved=1"
    assert "saved as a draft" in panel.lead.get(stay.headers["location"]).text
    review = panel.lead.post(f"{base}/sheet/4", data={"answer": "4", "action": "review", "csrf_token": token})
    assert review.headers["location"] == f"{base}/sheet/submit"

    wrong = panel.lead.post(f"{base}/sheet/3", data={"answer": "0", "action": "next", "csrf_token": token})
    assert wrong.status_code == 422
    assert "Choose a score from the scale" in wrong.text and "<h1>Openness and Honesty</h1>" in wrong.text


def test_submit_asks_for_confirmation_then_locks_the_sheet_and_shows_the_panel(panel):
    base = candidate_url(panel)
    fill_sheet(panel.lead, base, ["3", "2"])
    summary = panel.lead.get(f"{base}/sheet/submit")
    assert summary.status_code == 200
    assert "Not ready to submit" in summary.text and "Submit my scores" not in summary.text
    refused = panel.lead.post(f"{base}/sheet/submit", data={"csrf_token": csrf_from(summary.text)})
    assert refused.status_code == 422 and "before submitting" in refused.text

    fill_sheet(panel.lead, base, ["3", "2", "not_evidenced", "4"])
    summary = panel.lead.get(f"{base}/sheet/submit")
    assert "Are these your final scores?" in summary.text and "Submit my scores" in summary.text
    for value in VALUES:
        assert value in summary.text
    assert "Not evidenced" in summary.text and "4: Exemplary" in summary.text

    done = submit(panel.lead, base)
    assert done.status_code == 303 and done.headers["location"] == f"{base}/scores?submitted=1"
    scores = panel.lead.get(done.headers["location"])
    assert scores.status_code == 200
    assert "Your scores are submitted and locked" in scores.text and "Lena Lead (you)" in scores.text

    # Locked: the sheet is read-only, and no save gets through.
    assert panel.lead.get(f"{base}/sheet/1").headers["location"] == f"{base}/sheet/submit"
    locked = panel.lead.get(f"{base}/sheet/submit")
    assert (
        "Your submitted scores" in locked.text and "Submit my scores" not in locked.text and "Change" not in locked.text
    )
    late = panel.lead.put(
        f"{base}/sheet/1", data={"answer": "1"}, headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(locked.text)}
    )
    assert "submitted and locked" in late.text


def test_an_assessor_sees_no_names_and_no_other_scores_before_submitting(panel, keys):
    base = candidate_url(panel)
    # The second assessor has submitted already, with notes that must not leak.
    score(panel.api, panel.ready, panel.ready.second, panel.ready.candidates[0], {"V1": 1, "V2": 1, "V3": 1, "V4": 1})
    second_sheet = panel.api.get(
        f"/vacancies/{panel.ready.vacancy['id']}/stages/{panel.ready.stage['id']}/candidates/"
        f"{panel.ready.candidates[0]['id']}/scores",
        headers=panel.ready.admin,
    ).json()
    assert len(second_sheet["sheets"]) == 1

    pages = [
        "/recruitment/panels",
        f"{panel.stage}/candidates",
        *[f"{base}/sheet/{i}" for i in (1, 2, 3, 4)],
        f"{base}/sheet/submit",
        f"{base}/scores",
        f"{base}/amend",
        f"{panel.stage}/moderation",
    ]
    fill_sheet(panel.lead, base, ["3", "3", "3"])  # a draft, not submitted
    for url in pages:
        page = panel.lead.get(url, follow_redirects=True)
        assert page.status_code in (200, 403), (url, page.status_code)
        assert not NAMES.search(page.text), url
        assert "Sam Second" not in page.text, url  # nothing of the other assessor's sheet
        assert "collective-panel-scores" not in page.text, url
    blind = panel.lead.get(f"{base}/scores")
    assert blind.status_code == 200 and 'data-blind="true"' in blind.text
    assert "once you have submitted your own score sheet" in blind.text

    fill_sheet(panel.lead, base, ["3", "3", "3", "3"])
    assert submit(panel.lead, base).status_code == 303
    after = panel.lead.get(f"{base}/scores")
    assert "Sam Second" in after.text and "collective-panel-scores" in after.text
    assert "Divergent" in after.text and "Scores to discuss" in after.text  # 3 against 1 on every value
    assert not NAMES.search(after.text)


def test_the_lead_moderates_a_divergent_score_with_a_reason(panel):
    base = candidate_url(panel)
    score(panel.api, panel.ready, panel.ready.second, panel.ready.candidates[0], {"V1": 1, "V2": 3, "V3": 3, "V4": 3})
    fill_sheet(panel.lead, base, ["4", "3", "3", "3"])
    submit(panel.lead, base)

    queue = panel.lead.get(f"{panel.stage}/moderation")
    assert queue.status_code == 200 and panel.ready.candidates[0]["code"] in queue.text
    form = panel.lead.get(f"{base}/amend")
    assert form.status_code == 200 and "Reason for the change" in form.text
    sheet_id = re.search(r'<option value="([0-9a-f-]{36})">Sam Second</option>', form.text).group(1)
    token = csrf_from(form.text)

    missing = panel.lead.post(
        f"{base}/amend", data={"sheet_id": sheet_id, "criterion": "V1", "answer": "3", "csrf_token": token}
    )
    assert missing.status_code == 422 and "Enter the reason for the change" in missing.text

    changed = panel.lead.post(
        f"{base}/amend",
        data={
            "sheet_id": sheet_id,
            "criterion": "V1",
            "answer": "3",
            "reason": "Panel agreed the example met the anchor for 3.",
            "csrf_token": token,
        },
    )
    assert changed.status_code == 303, changed.text
    scores = panel.lead.get(changed.headers["location"])
    assert "changed by moderation from 1" in scores.text

    # Only the lead moderates: the second assessor is refused by recruitment-api.
    assert panel.second.get(f"{panel.stage}/moderation").status_code == 403


def test_forms_refuse_a_request_without_the_csrf_token(panel):
    base = candidate_url(panel)
    assert panel.lead.post(f"{base}/sheet/1", data={"answer": "3", "action": "next"}).status_code == 403
    refused = panel.lead.put(f"{base}/sheet/1", data={"answer": "3"}, headers={"HX-Request": "true"})
    assert refused.status_code == 403 and "could not be sent" in refused.text and "<html" not in refused.text
    assert panel.lead.post(f"{base}/sheet/submit", data={}).status_code == 403
    assert panel.lead.post(f"{base}/amend", data={"reason": "x"}).status_code == 403
    assert panel.lead.post(f"{base}/sheet/1", data={"answer": "3", "csrf_token": "forged"}).status_code == 403
    # Nothing was saved.
    sheet = panel.api.get(
        f"/vacancies/{panel.ready.vacancy['id']}/stages/{panel.ready.stage['id']}/candidates/"
        f"{panel.ready.candidates[0]['id']}/sheet",
        headers=panel.ready.lead,
    ).json()
    assert sheet["scores"] == [] and sheet["status"] == "draft"


def test_someone_not_on_the_panel_is_refused_by_the_service(panel, browser_as):
    outsider = browser_as("outsider", roles=("assessor",))
    page = outsider.get(candidate_url(panel) + "/sheet")
    assert page.status_code == 403 and "did not allow this" in page.text
    assert outsider.get("/recruitment/panels").status_code == 200
    other_org = browser_as("elsewhere", org="WHSCT", roles=("assessor",))
    assert other_org.get(candidate_url(panel) + "/sheet").status_code == 404
