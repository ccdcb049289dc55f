"""The demo data set: deterministic, marked as demo, visible to the web's demo accounts (BSO), and
holding real signals: a shift, a trend, an outlier, a rebase after an intervention, a target change,
concerns, and overdue check-ins."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from monitoring_support import READ, REGIONAL
from sqlmodel import Session, select

from monitoring_api.config import Settings
from monitoring_api.indicators.models import IndicatorValue
from monitoring_api.main import create_app
from monitoring_api.seed.demo import seed_demo
from monitoring_api.structure.models import OrgUnit
from servicekit.demo import DEMO_ORG, DEMO_RECRUITER, demo_subject
from support import fresh_database

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, keys):
    with fresh_database(tmp_path_factory.mktemp("demo"), "monitoring_demo") as url:
        app = create_app(Settings(database_url=url, jwt_public_key_path=keys.public_path, log_level="WARNING"))
        with Session(app.state.engine) as session:
            assert seed_demo(session, today=TODAY) is True
            assert seed_demo(session, today=TODAY) is False
        with TestClient(app) as client:
            yield app, client
        app.state.engine.dispose()


def _everyone(keys):
    return keys.headers(READ, REGIONAL, org="DOH", subject="analyst")


def _ids(client, keys):
    indicators = {i["code"]: i["id"] for i in client.get("/indicators", headers=_everyone(keys)).json()["items"]}
    organisations = {o["code"]: o["id"] for o in client.get("/organisations", headers=_everyone(keys)).json()["items"]}
    return indicators, organisations


def _chart(client, keys, indicators, organisations, code, org):
    url = f"/indicators/{indicators[code]}/units/{organisations[org]}/chart"
    return client.get(url, headers=keys.headers(READ, org=org)).json()


def test_the_demo_is_marked_and_deterministic(demo, keys, tmp_path):
    app, client = demo
    indicators = client.get("/indicators", headers=_everyone(keys)).json()["items"]
    assert len(indicators) == 12
    assert all(i["demo"] and i["source"] == "Demo data" for i in indicators)
    with Session(app.state.engine) as session:
        teams = session.exec(select(OrgUnit).where(OrgUnit.kind == "team")).all()
        assert teams and all(u.demo for u in teams)
        assert {u.org for u in teams} == {"BHSCT", "NHSCT", "SEHSCT", "SHSCT", "WHSCT", "BSO"}
        count = len(session.exec(select(IndicatorValue.id)).all())
        assert count == 12 * len(teams) * 36
        first = [
            (v.numerator, v.denominator)
            for v in session.exec(select(IndicatorValue).order_by(IndicatorValue.id).limit(50))
        ]
    again = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'again.db'}", jwt_public_key_path=keys.public_path)
    )
    with Session(again.state.engine) as session:
        seed_demo(session, today=TODAY)
        second = [
            (v.numerator, v.denominator)
            for v in session.exec(select(IndicatorValue).order_by(IndicatorValue.id).limit(50))
        ]
        uids = {u.path: u.uid for u in session.exec(select(OrgUnit))}
    again.state.engine.dispose()
    assert first == second
    with Session(app.state.engine) as session:
        assert {u.path: u.uid for u in session.exec(select(OrgUnit))} == uids


def test_the_demo_accounts_organisation_sees_its_data(demo, keys):
    _, client = demo
    bso = keys.headers(READ, org=DEMO_ORG, subject=demo_subject(DEMO_RECRUITER))
    units = client.get("/units", headers=bso, params={"limit": 500}).json()["items"]
    assert {u["org"] for u in units} == {DEMO_ORG} and len(units) > 5
    items = client.get("/plan/items", headers=bso).json()["items"]
    assert len(items) == 9 and all(i["org"] == DEMO_ORG and i["demo"] for i in items)
    assert {i["reviewer"] for i in items} == {demo_subject(DEMO_RECRUITER)}
    assert any(i["check_in_overdue"] for i in items) and not all(i["check_in_overdue"] for i in items)
    summary = client.get("/summary", headers=bso).json()["items"]
    assert {r["unit"]["code"] for r in summary} == {DEMO_ORG} and len(summary) == 12


def test_the_demo_holds_real_signals(demo, keys):
    _, client = demo
    indicators, organisations = _ids(client, keys)
    shift = _chart(client, keys, indicators, organisations, "STAFF-RECOMMEND-WORK", "BHSCT")
    assert shift["variation"]["type"] == "special_cause_improvement"
    assert any(p["part_of_shift"] for p in shift["points"][18:])
    assert shift["annotations"][0]["text"].startswith("Collective leadership programme")
    trend = _chart(client, keys, indicators, organisations, "LENGTH-OF-STAY", "NHSCT")
    assert any(p["part_of_trend"] for p in trend["points"][-9:])
    outlier = _chart(client, keys, indicators, organisations, "AGENCY-SPEND", "WHSCT")
    assert outlier["points"][25]["special_cause_type"] == "Above UCL"
    assert outlier["points"][25]["point_type"] == "special_cause_concern"
    rebased = _chart(client, keys, indicators, organisations, "SICKNESS-ABSENCE", "SEHSCT")
    assert len(rebased["segments"]) == 2 and rebased["rebases"][0]["reason"].startswith("Attendance support")
    assert rebased["segments"][1]["mean"] < rebased["segments"][0]["mean"] - 1
    ghosted = _chart(client, keys, indicators, organisations, "SICKNESS-ABSENCE", "BSO")
    assert [p["date"] for p in ghosted["points"] if p["ghosted"]] == ["2024-07-01"]
    turnover = _chart(client, keys, indicators, organisations, "STAFF-TURNOVER", "BHSCT")
    assert {p["target"] for p in turnover["points"]} == {12.0, 10.0}
    concerns = client.get("/summary", headers=_everyone(keys), params={"filter": "all_concerns", "limit": 1000})
    assert {(r["indicator"]["code"], r["unit"]["code"]) for r in concerns.json()["items"]} >= {
        ("STAFF-RECOMMEND-CARE", "SHSCT"),
        ("VACANCY-RATE", "WHSCT"),
    }
    failing = client.get("/summary", headers=_everyone(keys), params={"filter": "consistently_failing", "limit": 1000})
    assert "APPRAISAL-RATE" in {r["indicator"]["code"] for r in failing.json()["items"]}
    rollup = client.get("/plan/rollup", headers=_everyone(keys)).json()
    assert any(row["off_track"] for row in rollup["actions"])


def test_the_demo_waves_results_are_stored_at_close(demo):
    """The demo's closed waves are closed as the close route closes them, results stored under the
    service's default disclosure settings: the first crowd of readers after `make run` finds them and
    computes nothing (computed on first read, 180 of 200 concurrent first GET /overview were 503)."""
    import sqlalchemy as sa

    from monitoring_api.seed.survey_demo import default_disclosure
    from monitoring_api.surveys import models as sm
    from monitoring_api.surveys.service import PUBLICATIONS
    from servicekit.db import table_of

    app, _ = demo
    settings = default_disclosure()
    p, w = PUBLICATIONS.c, table_of(sm.SurveyWave).c
    query = (
        sa.select(w.uid, p.minimum, p.protection, p.complementary)
        .join_from(table_of(sm.SurveyWave), PUBLICATIONS, w.id == p.wave_id)
        .where(w.org == DEMO_ORG, w.status == sm.WaveStatus.closed.value)
    )
    with app.state.engine.connect() as connection:
        waves = connection.execute(
            sa.select(sa.func.count()).where(w.org == DEMO_ORG, w.status == sm.WaveStatus.closed.value)
        ).scalar_one()
        stored = connection.execute(query).all()
    assert waves == 2
    assert (
        sorted((row.minimum, row.protection, row.complementary) for row in stored)
        == [(settings.minimum, settings.protection, settings.complementary)] * 2
    )
