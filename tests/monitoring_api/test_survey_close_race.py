"""A response import that has passed the wave's "still open?" check when an administrator's close commits
is refused (409, nothing recorded), so a closed wave's published results never change. Without it, a
reader who saw the results at close and after could difference them: one late respondent's answers.

The interleaving is forced by running the close (in a session of its own, as a second request would) at
the moment the import's work starts, just after its open-wave check."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from monitoring_support import READ, create_unit, headers, unique
from sqlmodel import Session, select

from monitoring_api.surveys import ingest as survey_ingest
from monitoring_api.surveys import models as m
from monitoring_api.surveys import results as r
from monitoring_api.surveys import service
from servicekit.auth import Principal

ORG = "SEHSCT"
QUESTIONS = ["engagement.look_forward", "engagement.recommend_work", "engagement.enthusiastic"]


def _csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["unit", *QUESTIONS])
    writer.writerows(rows)
    return out.getvalue()


def test_a_response_import_racing_the_close_is_refused_and_the_results_stand(client, keys, monitoring_app, monkeypatch):
    h = headers(keys, org=ORG)
    d = unique("RDIR")
    units = {"dir": create_unit(client, keys, ORG, d, kind="directorate")}
    for name in ("a", "b"):
        units[name] = create_unit(client, keys, ORG, unique(f"R{name.upper()}"), parent=d)
    instrument = next(
        i
        for i in client.get("/survey-instruments", headers=headers(keys, READ, org=ORG)).json()["items"]
        if i["code"] == "HSC-CULTURE"
    )
    body = {
        "instrument": instrument["id"],
        "title": "Race",
        "opens": "2026-01-05",
        "closes": "2026-01-30",
        "unit": units["dir"]["id"],
    }
    wave = client.post("/survey-waves", json=body, headers=h).json()
    tool = {**keys.headers("survey:ingest", org=ORG, subject="race-tool"), "Content-Type": "text/csv"}
    rows = [[units[n]["code"], 1 + i % 5, 1 + (i + 1) % 5, 1 + (i + 2) % 5] for n in "ab" for i in range(12)]
    assert client.post(f"/survey-waves/{wave['id']}/responses", content=_csv(rows), headers=tool).status_code == 201

    settings = monitoring_app.state.settings
    seen_at_close: dict = {}
    real_ingest = survey_ingest.ingest

    def close_meanwhile(*args, **kwargs):
        # The import has read the wave as open; now the administrator's close runs and commits.
        admin = Principal(subject="admin", org=ORG, scopes=frozenset({"monitoring:read", "monitoring:admin"}))
        with Session(monitoring_app.state.engine) as other:
            w = other.exec(select(m.SurveyWave).where(m.SurveyWave.uid == uuid.UUID(wave["id"]))).one()
            service.close_wave(other, admin, w, settings=r.DisclosureSettings.of(settings.survey_minimum))
            other.commit()
            found = service.results(other, admin, w, uuid.UUID(units["a"]["id"]), None, minimum=settings.survey_minimum)
            seen_at_close["a"] = found.cells[0].model_dump(mode="json")
            other.commit()
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(survey_ingest, "ingest", close_meanwhile)
    late = _csv([[units["a"]["code"], 5, 5, 5]])  # one respondent, answering "strongly agree" to all
    answer = client.post(f"/survey-waves/{wave['id']}/responses", content=late, headers=tool)
    monkeypatch.undo()

    read = client.get(f"/survey-waves/{wave['id']}", headers=h).json()
    assert read["status"] == "closed"
    after = client.get(
        f"/survey-waves/{wave['id']}/results", params={"unit": units["a"]["id"]}, headers=headers(keys, READ, org=ORG)
    ).json()["cells"][0]
    before = seen_at_close["a"]
    if answer.status_code == 201:
        # The closed wave changed after its results were published: 12 -> 13 respondents in team A, and
        # the difference is one person's answers.
        pytest.fail(
            f"a response was recorded into the closed wave ({answer.json()}); team A's responses went from "
            f"{before['responses']} at close to {after['responses']}, percent positive of the first question "
            f"{before['questions'][0]['percent_positive']} -> {after['questions'][0]['percent_positive']}"
        )
    assert answer.status_code == 409, answer.text
    assert after == before
