"""The score sheet's autosave and address (issue 6 §8): notes typed by paste or dictation are saved
(htmx fires on `input`, not only on key press or change), the side list of values follows each
autosave (out-of-band swap), and the address names the value being viewed, so reloading stays on
it. The browser side of the same is in tests/e2e/test_e2e_recruitment_pages.py."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from recruitment_support import ready_panel


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
    return SimpleNamespace(ready=ready, lead=lead, second=second, api=api, stage=stage, base=base)


def test_autosave_fires_on_input_so_pasted_or_dictated_notes_are_saved(panel):
    page = panel.lead.get(f"{panel.base}/sheet/1")
    form = re.search(r"<form class=\"collective-sheet\"[^>]*>", page.text).group(0)
    trigger = re.search(r'hx-trigger="([^"]+)"', form).group(1)
    events = [part.strip().split()[0] for part in trigger.split(",")]
    # `input` fires for typing, pasting, dictation and autofill; `change` for the radios.
    assert "input" in events and "change" in events
    assert "keyup" not in events
    assert re.search(r"input[^,]*delay:", trigger), "typing must not send a request per character"


def test_autosave_updates_the_side_list_out_of_band(panel):
    page = panel.lead.get(f"{panel.base}/sheet/2")
    assert re.search(r'id="step-2-state"[^>]*>not answered yet<', page.text)
    saved = panel.lead.put(
        f"{panel.base}/sheet/2",
        data={"answer": "3", "notes": ""},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(page.text)},
    )
    assert saved.status_code == 200 and "Saved as a draft" in saved.text
    swapped = re.search(r'<span[^>]*id="step-2-state"[^>]*>([^<]*)<', saved.text)
    assert swapped is not None and 'hx-swap-oob="true"' in swapped.group(0)
    assert swapped.group(1) == "answered"
    # The other values keep their state, and say so too.
    assert re.search(r'id="step-1-state" hx-swap-oob="true">not answered yet<', saved.text)


def test_a_failed_autosave_leaves_the_side_list_alone(panel):
    page = panel.lead.get(f"{panel.base}/sheet/2")
    wrong = panel.lead.put(
        f"{panel.base}/sheet/2",
        data={"answer": "9"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(page.text)},
    )
    assert "Not saved" in wrong.text and "hx-swap-oob" not in wrong.text


def test_the_sheet_address_names_the_value_so_reloading_stays_on_it(panel):
    opened = panel.lead.get(f"{panel.base}/sheet")
    assert opened.status_code == 303 and opened.headers["location"] == f"{panel.base}/sheet/1"
    page = panel.lead.get(opened.headers["location"])
    # Autosave answers value 1 while it is on screen; reloading its address stays on value 1.
    panel.lead.put(
        f"{panel.base}/sheet/1",
        data={"answer": "2", "notes": "Dictated note"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(page.text)},
    )
    reloaded = panel.lead.get(opened.headers["location"])
    assert "<h1>Working Together</h1>" in reloaded.text and "Dictated note" in reloaded.text
    # Opening the sheet afresh goes to the first value still unanswered, by its own address.
    assert panel.lead.get(f"{panel.base}/sheet").headers["location"] == f"{panel.base}/sheet/2"
