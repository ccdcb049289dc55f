"""Subject access obeys blind scoring: an admin who sits on the panel sees no other assessor's
scores, notes or moderation for a candidate until they have submitted their own sheet for them."""

from __future__ import annotations

from recruitment_support import ready_panel, score, sheet_url


def _export(client, panel, headers, candidate):
    url = f"/vacancies/{panel.vacancy['id']}/candidates/{candidate['id']}/subject-access"
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_an_admin_on_the_panel_gets_no_other_assessors_scores_before_submitting(client, keys):
    panel = ready_panel(client, keys, org="BHSCT", lead="admin-lead-sar", second="second-sar")
    both = keys.headers(
        "recruitment:read", "recruitment:admin", "recruitment:score", org="BHSCT", subject="admin-lead-sar"
    )
    first = panel.candidates[0]
    body = {"scores": [{"criterion": f"V{n}", "score": 4, "notes": f"second-notes-sar-V{n}"} for n in range(1, 5)]}
    assert client.put(sheet_url(panel, first), json=body, headers=panel.second).status_code == 200
    assert client.post(sheet_url(panel, first) + "/submit", headers=panel.second).status_code == 200
    # The admin-lead's own draft is theirs to see.
    score(client, panel, both, first, {"V1": 2, "V2": None}, submit=False)

    before = _export(client, panel, both, first)
    assert "second-notes-sar" not in before.text
    sheets = before.json()["score_sheets"]
    assert [s["assessor"] for s in sheets] == ["admin-lead-sar"], sheets
    assert before.json()["complete"] is False
    assert [w["stage"] for w in before.json()["withheld"]] == [panel.stage["name"]]

    # An admin off the panel gets everything, at any time.
    everything = _export(client, panel, panel.admin, first)
    assert "second-notes-sar-V1" in everything.text and everything.json()["complete"] is True

    score(client, panel, both, first, {"V1": 2, "V2": 3, "V3": 3, "V4": 3})
    after = _export(client, panel, both, first)
    assert "second-notes-sar-V1" in after.text
    assert sorted(s["assessor"] for s in after.json()["score_sheets"]) == ["admin-lead-sar", "second-sar"]
    assert after.json()["complete"] is True and after.json()["withheld"] == []
