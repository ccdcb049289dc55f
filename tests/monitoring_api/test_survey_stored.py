"""A closed wave's results are computed when it closes and stored in survey_wave_publication, so a results
read in any process, after any restart, is a lookup. A wave without a stored row (closed before rows were
stored) is computed on its first read and stored; other settings get rows of their own; a stale row
(another format) is computed again. The figures and decisions are the same whichever way they come."""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from monitoring_support import READ, create_unit, headers, unique
from sqlmodel import Session, select

from monitoring_api.main import create_app
from monitoring_api.surveys import disclosure, service
from monitoring_api.surveys import models as m
from monitoring_api.surveys import results as r
from monitoring_api.surveys.disclosure import Cell
from servicekit.db import table_of

ORG = "WHSCT"
QUESTIONS = ["engagement.look_forward", "engagement.recommend_work", "engagement.enthusiastic"]


def _ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@contextmanager
def another_process(settings, **overrides) -> Iterator[TestClient]:
    """A second service instance on the same database: its own (empty) in-process cache."""
    app = create_app(settings.model_copy(update=overrides))
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


def rows_of(app, wave: dict) -> list[tuple]:
    p, w = service.PUBLICATIONS.c, table_of(m.SurveyWave).c
    query = (
        sa.select(p.minimum, p.protection, p.complementary, p.format)
        .join_from(service.PUBLICATIONS, table_of(m.SurveyWave), w.id == p.wave_id)
        .where(w.uid == uuid.UUID(wave["id"]))
        .order_by(p.minimum)
    )
    with app.state.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def every_result(client, keys, wave: dict, units: dict) -> list[dict]:
    h = headers(keys, READ, org=ORG)
    out = []
    for unit in units.values():
        for params in ({"unit": unit["id"]}, {"unit": unit["id"], "breakdown": "sex"}):
            out.append(_ok(client.get(f"/survey-waves/{wave['id']}/results", params=params, headers=h)))
    out.append({"csv": client.get(f"/survey-waves/{wave['id']}/results.csv", headers=h).text})
    return out


@pytest.fixture(scope="module")
def closed_waves(client, keys) -> dict[str, Any]:
    """A directorate with teams A (25), B (11) and C (4), two waves; some respondents skip a question, so
    the questions' tables are protected on their own too."""
    d = unique("PDIR")
    units = {"dir": create_unit(client, keys, ORG, d, kind="directorate")}
    for name in ("a", "b", "c"):
        units[name] = create_unit(client, keys, ORG, unique(f"P{name.upper()}"), parent=d)
    instrument = next(
        i
        for i in _ok(client.get("/survey-instruments", headers=headers(keys, READ, org=ORG)))["items"]
        if i["code"] == "HSC-CULTURE"
    )
    waves = []
    for k, counts in enumerate(((25, 11, 4), (28, 12, 6))):
        body = {
            "instrument": instrument["id"],
            "title": f"Wave {k}",
            "opens": f"202{k}-10-01",
            "closes": f"202{k}-10-28",
            "unit": units["dir"]["id"],
        }
        wave = _ok(client.post("/survey-waves", json=body, headers=headers(keys, org=ORG)), 201)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["unit", "sex", *QUESTIONS])
        for name, n in zip("abc", counts, strict=True):
            for i in range(n):
                answers = [1 + (i + j) % 5 for j in range(len(QUESTIONS))]
                if i % 7 == 3:
                    answers[2] = ""  # skipped
                writer.writerow([units[name]["code"], ("women", "men", "")[i % 3], *answers])
        done = client.post(
            f"/survey-waves/{wave['id']}/responses",
            content=out.getvalue(),
            headers={**keys.headers("survey:ingest", org=ORG, subject="stored-tool"), "Content-Type": "text/csv"},
        )
        assert done.status_code == 201, done.text
        _ok(client.post(f"/survey-waves/{wave['id']}/close", headers=headers(keys, org=ORG)))
        waves.append(wave)
    return {"units": units, "waves": waves}


def test_closing_stores_the_results_and_another_process_only_looks_them_up(
    client, keys, monitoring_app, monitoring_settings, closed_waves, monkeypatch
):
    w0, w1 = closed_waves["waves"]
    assert rows_of(monitoring_app, w0) == [(10, 5, True, r.STORED_FORMAT)]
    assert rows_of(monitoring_app, w1) == [(10, 5, True, r.STORED_FORMAT)]
    here = every_result(client, keys, w1, closed_waves["units"])

    def no_computing(*args, **kwargs):
        raise AssertionError("a stored wave was computed again")

    monkeypatch.setattr(r, "compute_wave", no_computing)
    with another_process(monitoring_settings) as other:
        assert every_result(other, keys, w1, closed_waves["units"]) == here


def test_a_wave_without_a_stored_row_is_computed_on_its_first_read_and_stored(
    client, keys, monitoring_app, monitoring_settings, closed_waves
):
    """As for a wave closed before the table existed: the same results, and the row is there afterwards."""
    w0, w1 = closed_waves["waves"]
    with another_process(monitoring_settings) as first:
        stored = every_result(first, keys, w1, closed_waves["units"])
    with monitoring_app.state.engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM survey_wave_publication"))
    with another_process(monitoring_settings) as second:
        assert every_result(second, keys, w1, closed_waves["units"]) == stored
    assert rows_of(monitoring_app, w0) == [(10, 5, True, r.STORED_FORMAT)]  # the previous wave, for changes
    assert rows_of(monitoring_app, w1) == [(10, 5, True, r.STORED_FORMAT)]


def test_a_stale_row_is_computed_again(client, keys, monitoring_app, monitoring_settings, closed_waves, monkeypatch):
    w0, w1 = closed_waves["waves"]
    with another_process(monitoring_settings) as first:
        stored = every_result(first, keys, w1, closed_waves["units"])
    with monitoring_app.state.engine.begin() as connection:
        connection.execute(sa.text("UPDATE survey_wave_publication SET format = 0"))
    computed = []
    compute = r.compute_wave
    monkeypatch.setattr(r, "compute_wave", lambda *a, **k: computed.append(1) or compute(*a, **k))
    with another_process(monitoring_settings) as second:
        assert every_result(second, keys, w1, closed_waves["units"]) == stored
    assert len(computed) == 2  # both waves, once each
    assert rows_of(monitoring_app, w1) == [(10, 5, True, r.STORED_FORMAT)]


def test_other_settings_get_decisions_of_their_own(client, keys, monitoring_app, monitoring_settings, closed_waves):
    """Never the decisions stored under another minimum: a row per setting, each as if computed afresh."""
    w0, w1 = closed_waves["waves"]
    with another_process(monitoring_settings, survey_minimum=5) as five:
        stored = every_result(five, keys, w1, closed_waves["units"])
    assert {row[:3] for row in rows_of(monitoring_app, w1)} == {(5, 2, True), (10, 5, True)}
    assert all(found["minimum"] == 5 for found in stored[:-1])
    team_c = next(c for c in stored[0]["cells"] if c["unit"]["id"] == closed_waves["units"]["c"]["id"])
    # 6 responses: at least 5, but one of its groups is smaller, so it is withheld for that one
    assert team_c["responses"] == {"suppressed": True, "reason": "withheld so a smaller group cannot be worked out"}
    with another_process(monitoring_settings, survey_minimum=5) as again:
        assert every_result(again, keys, w1, closed_waves["units"]) == stored
    with another_process(monitoring_settings) as ten:
        tens = every_result(ten, keys, w1, closed_waves["units"])
    assert all(found["minimum"] == 10 for found in tens[:-1])
    team_c = next(c for c in tens[0]["cells"] if c["unit"]["id"] == closed_waves["units"]["c"]["id"])
    assert team_c["responses"] == {"suppressed": True, "reason": "fewer than 10 responses"}


def test_the_stored_form_gives_back_the_figures_and_decisions(monitoring_app, closed_waves):
    with Session(monitoring_app.state.engine) as session:
        for given in closed_waves["waves"]:
            wave = session.exec(select(m.SurveyWave).where(m.SurveyWave.uid == uuid.UUID(given["id"]))).one()
            settings = r.DisclosureSettings.of(10)
            data, decisions = r.compute_wave(session.connection(), wave, settings)
            assert decisions.measures  # a skipped question has a table of its own
            back, back_decisions = r.decode(r.encode(data, decisions))
            for name in ("wave_id", "uid", "title", "units", "questions", "themes", "respondents", "hist", "scores"):
                assert getattr(back, name) == getattr(data, name), name
            assert back.breakdowns == data.breakdowns and back.categories == data.categories
            assert back_decisions.measures.keys() == decisions.measures.keys()
            for old, new in [(decisions.respondents, back_decisions.respondents)] + [
                (decisions.measures[k], back_decisions.measures[k]) for k in decisions.measures
            ]:
                assert new.decisions == {k: d for k, d in old.decisions.items() if isinstance(k, Cell)}
            assert service.wave_publication(session, wave, settings)[0].hist == data.hist


def test_computing_a_wave_may_take_longer_than_a_request_statement(monitoring_app, closed_waves):
    """A close of a very large wave must not die at the 30 s statement limit (it would stay open for good):
    on PostgreSQL its transaction gets the bulk ingest's limit."""
    if monitoring_app.state.engine.dialect.name != "postgresql":
        pytest.skip("statement limits are PostgreSQL's")
    with Session(monitoring_app.state.engine) as session:
        limit = lambda: session.connection().execute(sa.text("SHOW statement_timeout")).scalar()  # noqa: E731
        assert limit() == "30s"
        wave = session.exec(select(m.SurveyWave).where(m.SurveyWave.uid == uuid.UUID(closed_waves["waves"][1]["id"])))
        r.compute_wave(session.connection(), wave.one(), r.DisclosureSettings.of(10))
        assert limit() == "10min"
        session.rollback()
        assert limit() == "30s"  # for that transaction only


def _code_fingerprint(path: str) -> str:
    """The module's code without its docstrings, comments or layout, so only a change of what it does
    changes the fingerprint."""
    tree = ast.parse(Path(path).read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:16]


# disclosure.py's code as of each METHOD_VERSION: stored waves keep that code's decisions.
DISCLOSURE_CODE = {1: "f84f48e95f7e0c7e"}


def test_a_change_to_disclosure_control_is_a_new_method_version():
    found = _code_fingerprint(disclosure.__file__)
    assert DISCLOSURE_CODE.get(disclosure.METHOD_VERSION) == found, (
        "surveys/disclosure.py's code changed. If which cells it suppresses can change, bump METHOD_VERSION "
        "(closed waves are then decided again on their next read); either way pin "
        f"{{{disclosure.METHOD_VERSION}: {found!r}}} in DISCLOSURE_CODE."
    )
    assert r.STORED_FORMAT % 1000 == disclosure.METHOD_VERSION
