"""The disclosure attack through the real endpoints: random organisation trees, groups and response counts
go in through the ingest; everything the results endpoints publish for every unit, with and without the
breakdown, in both waves, is read back as a reader would; then the attacker differences (every equation
with one unknown left, again and again) and solves the linear system of what is shown (the smallest and
largest whole number each suppressed count can be, by integer programmes over the tree, the groups and
the changes between the waves). No count below the minimum may be determined, nor narrowed to fewer
than the protection requirement. With complementary suppression switched off (the setting exists for
this), the same attack recovers a small team's count exactly.

The attacker is written here from the published JSON and the structure alone; it shares no code with
monitoring_api.surveys.disclosure.
"""

from __future__ import annotations

import itertools
import math
import os
import random
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from monitoring_support import READ, headers, unique
from scipy.optimize import Bounds, LinearConstraint, milp
from sqlmodel import Session

from monitoring_api.config import Settings
from monitoring_api.main import create_app
from monitoring_api.seed.loader import seed
from support import fresh_database

ORG = "PHA"
# More by hand: SURVEY_ATTACK_EXAMPLES=50 .venv/bin/pytest tests/monitoring_api/test_survey_disclosure_api.py
EXAMPLES = int(os.environ.get("SURVEY_ATTACK_EXAMPLES", "6"))
MINIMUM, PROTECTION = 10, 5
SEXES = ("men", "not_given", "women")
_unique = itertools.count(1)


@pytest.fixture(scope="module")
def leaky_client(tmp_path_factory, keys):
    """monitoring-api with complementary suppression off: unsafe, here to show what it prevents."""
    with fresh_database(tmp_path_factory.mktemp("leaky"), "monitoring_leaky") as url:
        app = create_app(
            Settings(
                database_url=url,
                jwt_public_key_path=keys.public_path,
                log_level="WARNING",
                survey_complementary_suppression=False,
            )
        )
        with Session(app.state.engine) as session:
            seed(session)
        with TestClient(app) as client:
            yield client
        app.state.engine.dispose()


# --- building an organisation through the API -----------------------------------------------------


def build(client, keys, tree: dict[str, str | None], waves: list[dict[str, list[str]]]) -> dict[str, Any]:
    """Units (name -> parent name; the root's parent None) under ORG, then one closed wave per entry of
    `waves` (unit name -> the sex of each of its own respondents)."""
    h = headers(keys, org=ORG)
    codes = {name: unique(f"X{name.upper()}") for name in tree}
    made: dict[str, dict] = {}
    for name, parent in tree.items():  # parents first
        body = {"code": codes[name], "name": name, "kind": "directorate" if parent is None else "team"}
        if parent is not None:
            body["parent"] = codes[parent]
        response = client.post("/units", json=body, headers=h)
        assert response.status_code == 201, response.text
        made[name] = response.json()
    root = next(n for n, p in tree.items() if p is None)
    instrument = client.get("/survey-instruments", headers=h).json()["items"][0]["id"]
    tool = keys.headers("survey:ingest", org=ORG, subject="attack-tool")
    ids = []
    for k, wave in enumerate(waves):
        body = {"instrument": instrument, "title": f"W{k}", "opens": f"202{k}-01-01", "closes": f"202{k}-01-28"}
        opened = client.post("/survey-waves", json={**body, "unit": made[root]["id"]}, headers=h)
        assert opened.status_code == 201, opened.text
        wid = opened.json()["id"]
        lines = ["unit,sex,engagement.look_forward,engagement.recommend_work"]
        lines += [f"{codes[u]},{'' if s == 'not_given' else s},4,4" for u, sexes in wave.items() for s in sexes]
        if len(lines) > 1:
            done = client.post(
                f"/survey-waves/{wid}/responses",
                content="\n".join(lines) + "\n",
                headers={**tool, "Content-Type": "text/csv"},
            )
            assert done.status_code == 201, done.text
        assert client.post(f"/survey-waves/{wid}/close", headers=h).status_code == 200
        ids.append(wid)
    return {"units": made, "codes": codes, "waves": ids, "root": root}


def published(client, keys, org: dict[str, Any]) -> dict[tuple, Any]:
    """Every respondent count and change the results endpoints show, keyed (wave, unit, sex or None),
    ("change", wave, unit, sex): an int, or the reason it is withheld. Read as a reader would."""
    out: dict[tuple, Any] = {}
    h = headers(keys, READ, org=ORG)
    for k, wid in enumerate(org["waves"]):
        for unit in org["units"].values():
            for params in ({"unit": unit["id"]}, {"unit": unit["id"], "breakdown": "sex"}):
                response = client.get(f"/survey-waves/{wid}/results", params=params, headers=h)
                assert response.status_code == 200, response.text
                for cell in response.json()["cells"]:
                    who = next(n for n, u in org["units"].items() if u["id"] == cell["unit"]["id"])
                    key = (k, who, cell["category"])
                    for found, value in ((key, cell["responses"]), (("change", *key), cell["responses_change"])):
                        if value is None:
                            continue
                        shown = value if isinstance(value, int) else value["reason"]
                        assert out.setdefault(found, shown) == shown, "two answers disagree about one cell"
                        if isinstance(value, dict):
                            assert value == {"suppressed": True, "reason": value["reason"]}
                    # every figure of a withheld cell is withheld with it
                    # (a theme or question nobody answered has counts of its own, withheld for its own reason)
                    if not isinstance(cell["responses"], int):
                        for s in cell["engagement"] + cell["themes"]:
                            assert s["score"]["suppressed"] and s["n"] == s["score"]
                        for q in cell["questions"]:
                            assert q["percent_positive"]["suppressed"] and q["mean"] == q["percent_positive"]
    return out


# --- the attacker --------------------------------------------------------------------------------


def categories(waves: list[dict[str, list[str]]]) -> tuple[str, ...]:
    """The published categories of sex: those given by someone, and "not given"; none when nobody gave one."""
    given = {s for wave in waves for sexes in wave.values() for s in sexes} - {"not_given"}
    return tuple(sorted(given | {"not_given"})) if given else ()


def true_counts(tree: dict[str, str | None], waves: list[dict[str, list[str]]]) -> dict[tuple, int]:
    kids: dict[str, list[str]] = {n: [c for c, p in tree.items() if p == n] for n in tree}
    values: dict[tuple, int] = {}
    for k, wave in enumerate(waves):
        cats = categories([wave])  # each wave publishes the categories given in it

        def rolled(n: str, sex: str | None, wave: dict[str, list[str]] = wave) -> int:
            own = sum(1 for s in wave.get(n, []) if sex is None or s == sex)
            return own + sum(rolled(c, sex) for c in kids[n])

        for n in tree:
            for sex in (None, *cats):
                values[(k, n, sex)] = rolled(n, sex)
                if kids[n]:
                    values[("own", k, n, sex)] = sum(1 for s in wave.get(n, []) if sex is None or s == sex)
    return values


def equations(tree: dict[str, str | None], waves: list[dict[str, list[str]]]) -> list[dict[tuple, int]]:
    kids = {n: [c for c, p in tree.items() if p == n] for n in tree}
    eqs: list[dict[tuple, int]] = []
    for k in range(len(waves)):
        cats = categories([waves[k]])
        for n in tree:
            for sex in (None, *cats):
                if kids[n]:
                    eqs.append({(k, n, sex): 1, ("own", k, n, sex): -1} | {(k, c, sex): -1 for c in kids[n]})
            if cats:
                eqs.append({(k, n, None): 1} | {(k, n, s): -1 for s in cats})
            if kids[n] and cats:
                eqs.append({("own", k, n, None): 1} | {("own", k, n, s): -1 for s in cats})
            if k > 0:
                for sex in (None, *(c for c in cats if c in categories([waves[k - 1]]))):
                    eqs.append({(k, n, sex): 1, (k - 1, n, sex): -1, ("change", k, n, sex): -1})
    return eqs


def bounds(truth: dict[tuple, int], shown: dict[tuple, Any]) -> dict[tuple, tuple[float, float]]:
    """What a reader knows of each unknown: shown values; reasons; residuals at least 0 (0 known when 0)."""
    known: dict[tuple, tuple[float, float]] = {}
    for key, true in truth.items():
        if key[0] == "own":
            known[key] = (0, 0) if true == 0 else (0, math.inf)
            continue
        value = shown[key]
        if isinstance(value, int):
            known[key] = (value, value)
        elif value == f"fewer than {MINIMUM} responses":
            known[key] = (0, MINIMUM - 1)
        else:
            known[key] = (MINIMUM, math.inf)
    for key, value in shown.items():
        if key[0] == "change":
            known[key] = (value, value) if isinstance(value, int) else (-math.inf, math.inf)
    return known


def differencing(eqs: list[dict[tuple, int]], known: dict[tuple, tuple[float, float]]) -> dict[tuple, float]:
    solved = {k: lo for k, (lo, hi) in known.items() if lo == hi}
    changed = True
    while changed:
        changed = False
        for eq in eqs:
            unknown = [k for k in eq if k not in solved]
            if len(unknown) == 1:
                k = unknown[0]
                solved[k] = -sum(c * solved[j] for j, c in eq.items() if j != k) / eq[k]
                changed = True
    return solved


def ranges(
    eqs: list[dict[tuple, int]], known: dict[tuple, tuple[float, float]], targets: list[tuple]
) -> dict[tuple, tuple[float, float]]:
    keys = sorted({k for eq in eqs for k in eq} | set(known), key=repr)
    index = {k: i for i, k in enumerate(keys)}
    a = np.zeros((len(eqs), len(keys)))
    for r, eq in enumerate(eqs):
        for k, c in eq.items():
            a[r, index[k]] = c
    lo = np.array([known.get(k, (-math.inf, math.inf))[0] for k in keys], dtype=float)
    hi = np.array([known.get(k, (-math.inf, math.inf))[1] for k in keys], dtype=float)
    constraints = LinearConstraint(a, 0, 0)
    out = {}
    for t in targets:
        c = np.zeros(len(keys))
        c[index[t]] = 1
        found = []
        for sign in (1, -1):
            result = milp(sign * c, constraints=constraints, integrality=np.ones(len(keys)), bounds=Bounds(lo, hi))
            if (
                result.status == 4
            ):  # HiGHS: "unbounded or infeasible"; feasible (the truth is a solution) means unbounded
                feasible = milp(0 * c, constraints=constraints, integrality=np.ones(len(keys)), bounds=Bounds(lo, hi))
                assert feasible.status == 0, feasible.message
            assert result.status in (0, 3, 4), result.message  # 3: unbounded
            found.append(sign * result.fun if result.status == 0 else math.inf * -sign)
        out[t] = (found[0], found[1])
    return out


def attack(tree, waves, shown) -> dict[tuple, tuple[float, float]]:
    """The attacker's range of every count below the minimum (cells and residuals)."""
    truth = true_counts(tree, waves)
    known = bounds(truth, shown)
    eqs = equations(tree, waves)
    small = [k for k, v in truth.items() if v < MINIMUM and (k[0] != "own" or v > 0)]
    solved = differencing(eqs, known)
    found = ranges(eqs, known, small)
    for k in small:
        if k in solved and k[0] == "own":
            found[k] = (solved[k], solved[k])
    return {k: found[k] for k in small} | {
        ("determined by differencing", *k): (v, v)
        for k, v in solved.items()
        if k in small and k[0] != "own" and not isinstance(shown.get(k), int)
    }


# --- random organisations ------------------------------------------------------------------------


@st.composite
def organisations(draw) -> tuple[dict[str, str | None], list[dict[str, list[str]]]]:
    size = draw(st.integers(2, 6))
    tree: dict[str, str | None] = {"u0": None}
    for i in range(1, size):
        tree[f"u{i}"] = f"u{draw(st.integers(0, min(i - 1, 2)))}"  # at most 5 levels deep
    parents = {p for p in tree.values() if p is not None}
    seed_ = draw(st.integers(0, 10**6))
    rng = random.Random(seed_)
    waves = []
    for _ in range(2):
        wave = {}
        for n in tree:
            count = rng.choice([0, 0, 1, 2, 3]) if n in parents else rng.choice([0, 3, 5, 8, 9, 10, 12, 15, 20, 30])
            wave[n] = [rng.choices(SEXES, weights=(4, 1, 5))[0] for _ in range(count)]
        waves.append(wave)
    return tree, waves


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=organisations())
def test_no_endpoint_gives_a_small_group_away(client, keys, case):
    tree, waves = case
    org = build(client, keys, tree, waves)
    shown = published(client, keys, org)
    truth = true_counts(tree, waves)
    for key, value in shown.items():  # what is shown is true
        if isinstance(value, int) and key[0] != "change":
            assert value == truth[key] and value >= MINIMUM, key
    for key, (low, high) in attack(tree, waves, shown).items():
        assert key[0] != "determined by differencing", key
        assert high - low >= PROTECTION, f"{key} (true {truth[key]}) narrowed to [{low}, {high}]"


LEAK_TREE: dict[str, str | None] = {"dir": None, "a": "dir", "b": "dir", "c": "dir"}
LEAK_WAVES = [{"a": ["women"] * 20, "b": ["women"] * 5, "c": ["women"] * 30}]


def test_the_attack_finds_the_leak_when_complementary_suppression_is_off(client, leaky_client, keys):
    # off: the directorate's 55 minus the 20 and 30 shown gives B's 5 away
    leaky = build(leaky_client, keys, LEAK_TREE, LEAK_WAVES)
    shown = published(leaky_client, keys, leaky)
    assert shown[(0, "b", None)] == "fewer than 10 responses"
    found = attack(LEAK_TREE, LEAK_WAVES, shown)
    assert found[(0, "b", None)] == (5, 5)
    assert found[("determined by differencing", 0, "b", None)] == (5, 5)
    # on: the same organisation through the real service keeps it
    safe = build(client, keys, LEAK_TREE, LEAK_WAVES)
    shown = published(client, keys, safe)
    for key, (low, high) in attack(LEAK_TREE, LEAK_WAVES, shown).items():
        assert key[0] != "determined by differencing"
        assert high - low >= PROTECTION, key
