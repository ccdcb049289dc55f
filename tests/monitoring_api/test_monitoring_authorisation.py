"""The authorisation matrix of monitoring-api: every operation against every combination of scopes,
regional included.

One module-scoped state in ORG (a directorate and a team, a local indicator with values, a plan item
with a check-in, chart choices) is built first; then every (operation, role) pair is one test that
checks the status the role must get, and that a caller of another organisation never reads ORG's
data (its unit and indicator codes, its plan item's words) in any response.

The operation list is read from `app.routes`: an operation added without a row here fails
test_matrix_covers_every_operation.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from monitoring_support import ADMIN, READ, REGIONAL, WRITE, csv_of, indicator_body

ORG, OTHER = "SEHSCT", "WHSCT"
DIRECTORATE, TEAM = "MATRIX-DIR-ZQ", "MATRIX-TEAM-ZQ"
INDICATOR = "MATRIX-IND-ZQ"
ITEM_WORDS = "matrix-plan-words-zq"
MARKERS = (DIRECTORATE, TEAM, INDICATOR, ITEM_WORDS)

ROLES: dict[str, tuple[tuple[str, ...], str] | None] = {
    "reader": ((READ,), ORG),
    "writer": ((READ, WRITE), ORG),
    "admin": ((READ, ADMIN), ORG),
    "all": ((READ, WRITE, ADMIN), ORG),
    "regional": ((READ, REGIONAL), "DOH"),
    "regional_all": ((READ, WRITE, ADMIN, REGIONAL), "DOH"),
    "other_org": ((READ, WRITE, ADMIN), OTHER),
    "no_scope": (("framework:read",), ORG),
    "anonymous": None,
}
ROLE_NAMES = tuple(ROLES)
OUTSIDERS = {"other_org", "no_scope", "anonymous"}
DOC_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
_unique = itertools.count(1)


def headers_for(keys, role: str) -> dict[str, str]:
    spec = ROLES[role]
    if spec is None:
        return {}
    scopes, org = spec
    return keys.headers(*scopes, org=org, subject=f"matrix-{role}")


def owner(keys) -> dict[str, str]:
    return keys.headers(READ, WRITE, ADMIN, org=ORG, subject="matrix-owner")


@dataclass
class State:
    team: dict
    directorate: dict
    indicator: dict
    item: dict
    period: str = "2024-01-01"


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def state(client, keys) -> State:
    h = owner(keys)
    directorate = _ok(
        client.post("/units", json={"code": DIRECTORATE, "name": "Matrix", "kind": "directorate"}, headers=h), 201
    )
    team = _ok(
        client.post(
            "/units", json={"code": TEAM, "name": "Matrix team", "kind": "team", "parent": DIRECTORATE}, headers=h
        ),
        201,
    )
    indicator = _ok(client.post("/indicators", json=indicator_body(INDICATOR), headers=h), 201)
    rows = [(INDICATOR, TEAM, f"2024-{m:02d}-01", 10 + m, 50) for m in range(1, 13)]
    _ok(client.post("/values/import", content=csv_of(rows), headers={**h, "Content-Type": "text/csv"}), 201)
    item = _ok(client.post("/plan/items", json={"title": ITEM_WORDS, "owner": ITEM_WORDS}, headers=h), 201)
    _ok(
        client.post(
            f"/plan/items/{item['id']}/check-ins",
            json={"status": "on_track", "confidence": 7, "what_happened": ITEM_WORDS},
            headers=h,
        ),
        201,
    )
    return State(team, directorate, indicator, item)


@dataclass
class Call:
    url: str
    json: Any = None
    content: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] | None = None


S = "/indicators/{indicator_id}/units/{unit_id}"


def _fill(path: str, state: State, **ids: str) -> str:
    values = {
        "unit_id": state.team["id"],
        "indicator_id": state.indicator["id"],
        "item_id": state.item["id"],
        "action_id": "af1a30c7-46c5-52e9-a477-3babbb2e464e",
        "period": state.period,
        **ids,
    }
    return path.format(**values)


def default_call(path: str) -> Callable[..., Call]:
    return lambda client, keys, state: Call(_fill(path, state))


def _code(prefix: str) -> str:
    return f"{prefix}{next(_unique)}"


def _etag(client, keys, url: str) -> dict[str, str]:
    return {"If-Match": client.get(url, headers=owner(keys)).headers["etag"]}


def _patch_unit(client, keys, state):
    url = _fill("/units/{unit_id}", state)
    return Call(url, json={"name": "Matrix team"}, headers=_etag(client, keys, url))


def _patch_item(client, keys, state):
    url = _fill("/plan/items/{item_id}", state)
    return Call(url, json={"owner": ITEM_WORDS}, headers=_etag(client, keys, url))


def _patch_indicator(client, keys, state):
    url = _fill("/indicators/{indicator_id}", state)
    return Call(url, json={"owner": "Matrix"}, headers=_etag(client, keys, url))


def _targets(client, keys, state):
    url = _fill("/indicators/{indicator_id}", state)
    return Call(
        url + "/targets", json={"targets": [{"value": 30, "from_date": "2024-01-01"}]}, headers=_etag(client, keys, url)
    )


def _acknowledge(client, keys, state):
    author = keys.headers(READ, WRITE, org=ORG, subject="matrix-author")
    entry = _ok(
        client.post(
            _fill("/plan/items/{item_id}/check-ins", state),
            json={"status": "on_track", "confidence": 6, "what_happened": ITEM_WORDS},
            headers=author,
        ),
        201,
    )
    return Call(_fill("/plan/items/{item_id}/check-ins/{check_in_id}/acknowledgement", state, check_in_id=entry["id"]))


def _choice(kind: str, body: Callable[[], dict]):
    def build(client, keys, state):
        made = _ok(client.post(_fill(S + f"/{kind}", state), json=body(), headers=owner(keys)), 201)
        return Call(_fill(S + f"/{kind}/{{choice_id}}", state, choice_id=made["id"]))

    return build


def _month() -> str:
    n = next(_unique)
    return f"{2030 + n // 12}-{n % 12 + 1:02d}-01"


_survey: dict[str, str] = {}
SURVEY_INGEST = "survey:ingest"


def _survey_wave(client, keys, state, closed: bool = True) -> str:
    """A wave of the seeded culture instrument: over DIRECTORATE, closed with 12 responses at TEAM (made
    once; a publication of its own, apart from the probes' waves over the whole of ORG), or a fresh open
    one over ORG."""
    if closed and "closed" in _survey:
        return _survey["closed"]
    h = owner(keys)
    instrument = _ok(client.get("/survey-instruments", headers=h))["items"][0]["id"]
    body = {"instrument": instrument, "title": "Matrix wave", "opens": "2025-01-01", "closes": "2025-01-31"}
    if not closed:
        return _ok(client.post("/survey-waves", json=body, headers=h), 201)["id"]
    wave = _ok(client.post("/survey-waves", json={**body, "unit": state.directorate["id"]}, headers=h), 201)["id"]
    rows = "unit,engagement.look_forward,engagement.recommend_work\n" + f"{TEAM},often,agree\n" * 12
    tool = keys.headers(SURVEY_INGEST, org=ORG, subject="matrix-survey-tool")
    _ok(client.post(f"/survey-waves/{wave}/responses", content=rows, headers={**tool, "Content-Type": "text/csv"}), 201)
    _ok(client.post(f"/survey-waves/{wave}/close", headers=h))
    _survey["closed"] = wave
    return wave


def _wave_call(suffix: str, closed: bool = True, **kwargs: Any) -> Callable[..., Call]:
    return lambda c, k, s: Call(f"/survey-waves/{_survey_wave(c, k, s, closed)}{suffix}", **kwargs)


def _instrument(c, k, s) -> Call:
    return Call(f"/survey-instruments/{_ok(c.get('/survey-instruments', headers=owner(k)))['items'][0]['id']}")


CALLS: dict[tuple[str, str], Callable[..., Call]] = {
    ("GET", "/survey-instruments/{instrument_id}"): _instrument,
    ("POST", "/survey-instruments/import"): lambda c, k, s: Call(
        "/survey-instruments/import",
        content="code,text,theme\nmatrix.q,Probe,vision\n",
        headers={"Content-Type": "text/csv"},
        params={"code": _code("MXS"), "title": "Probe"},
    ),
    ("POST", "/survey-waves"): lambda c, k, s: Call(
        "/survey-waves",
        json={
            "instrument": _ok(c.get("/survey-instruments", headers=owner(k)))["items"][0]["id"],
            "title": "Probe",
            "opens": "2025-01-01",
            "closes": "2025-01-31",
        },
    ),
    ("GET", "/survey-waves/{wave_id}"): _wave_call(""),
    ("POST", "/survey-waves/{wave_id}/close"): _wave_call("/close", closed=False),
    ("POST", "/survey-waves/{wave_id}/responses"): _wave_call(
        "/responses",
        closed=False,
        content=f"unit,engagement.look_forward\n{TEAM},often\n",
        headers={"Content-Type": "text/csv"},
    ),
    ("GET", "/survey-waves/{wave_id}/results"): _wave_call("/results"),
    ("GET", "/survey-waves/{wave_id}/results.csv"): _wave_call("/results.csv"),
    ("POST", "/survey-waves/{wave_id}/indicators"): _wave_call("/indicators", params={"level": 2}),
    ("POST", "/units"): lambda c, k, s: Call(
        "/units", json={"code": _code("MX"), "name": "Probe", "kind": "directorate"}
    ),
    ("POST", "/units/import"): lambda c, k, s: Call(
        "/units/import",
        content=f"code,name,kind\n{_code('MXI')},Probe,directorate\n",
        headers={"Content-Type": "text/csv"},
    ),
    ("PATCH", "/units/{unit_id}"): _patch_unit,
    ("POST", "/plan/items"): lambda c, k, s: Call("/plan/items", json={"title": "Probe"}),
    ("PATCH", "/plan/items/{item_id}"): _patch_item,
    ("POST", "/plan/items/{item_id}/check-ins"): lambda c, k, s: Call(
        _fill("/plan/items/{item_id}/check-ins", s),
        json={"status": "on_track", "confidence": 7, "what_happened": "Probe"},
    ),
    ("POST", "/plan/items/{item_id}/check-ins/{check_in_id}/acknowledgement"): _acknowledge,
    ("POST", "/indicators"): lambda c, k, s: Call("/indicators", json=indicator_body(_code("MXIND"))),
    ("PATCH", "/indicators/{indicator_id}"): _patch_indicator,
    ("PUT", "/indicators/{indicator_id}/targets"): _targets,
    ("POST", "/values/import"): lambda c, k, s: Call(
        "/values/import",
        content=csv_of([(INDICATOR, TEAM, "2024-01-01", 11, 50)]),
        headers={"Content-Type": "text/csv"},
    ),
    ("POST", S + "/rebases"): lambda c, k, s: Call(_fill(S + "/rebases", s), json={"on": _month(), "reason": "Probe"}),
    ("POST", S + "/ghosts"): lambda c, k, s: Call(
        _fill(S + "/ghosts", s), json={"period": _month(), "reason": "Probe"}
    ),
    ("POST", S + "/annotations"): lambda c, k, s: Call(
        _fill(S + "/annotations", s), json={"on": "2024-05-02", "text": "Probe"}
    ),
    ("DELETE", S + "/rebases/{rebase_id}"): _choice("rebases", lambda: {"on": _month(), "reason": "Probe"}),
    ("DELETE", S + "/ghosts/{ghost_id}"): _choice("ghosts", lambda: {"period": _month(), "reason": "Probe"}),
    ("DELETE", S + "/annotations/{annotation_id}"): _choice("annotations", lambda: {"on": "2024-05-02", "text": "x"}),
    ("POST", "/spc"): lambda c, k, s: Call("/spc", json={"points": [{"date": "2024-01-01", "value": 1}]}),
    ("GET", "/fhir/MeasureReport"): lambda c, k, s: Call(
        "/fhir/MeasureReport", params={"indicator": s.indicator["id"], "unit": s.team["id"]}
    ),
    ("GET", "/units"): lambda c, k, s: Call("/units", params={"limit": 500}),
}

# Expected status per role, in the order of ROLES:
#   reader  writer  admin  all  regional  regional_all  other_org  no_scope  anonymous
PUBLIC = "200 200 200 200 200 200 200 200 200"
READ_ANY = "200 200 200 200 200 200 200 403 401"
READ_OWN = "200 200 200 200 200 200 404 403 401"
ADMIN_CREATE = "403 403 201 201 403 201 201 403 401"
ADMIN_OWN = "403 403 200 200 403 404 404 403 401"
DEFINE_OWN = "403 403 200 200 403 403 404 403 401"  # a regional admin sees ORG's local indicator but does not own it
WRITE_CREATE_OWN = "403 201 403 201 403 404 404 403 401"
WRITE_OWN = "403 200 403 200 403 404 404 403 401"
WRITE_DELETE_OWN = "403 204 403 204 403 404 404 403 401"

MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/livez"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # structure
    ("GET", "/organisations"): READ_ANY,
    ("GET", "/units"): READ_ANY,
    ("GET", "/units.csv"): READ_ANY,
    ("POST", "/units"): ADMIN_CREATE,
    ("POST", "/units/import"): ADMIN_CREATE,
    ("GET", "/units/{unit_id}"): READ_OWN,
    ("PATCH", "/units/{unit_id}"): ADMIN_OWN,
    # plan
    ("GET", "/actions"): READ_ANY,
    ("GET", "/actions/{action_id}"): READ_ANY,
    ("GET", "/plan/items"): READ_ANY,
    ("POST", "/plan/items"): ADMIN_CREATE,
    ("GET", "/plan/items/{item_id}"): READ_OWN,
    ("PATCH", "/plan/items/{item_id}"): ADMIN_OWN,
    ("GET", "/plan/items/{item_id}/check-ins"): READ_OWN,
    ("POST", "/plan/items/{item_id}/check-ins"): WRITE_CREATE_OWN,
    ("POST", "/plan/items/{item_id}/check-ins/{check_in_id}/acknowledgement"): WRITE_OWN,
    ("GET", "/plan/rollup"): READ_ANY,
    # indicators
    ("GET", "/indicators"): READ_ANY,
    ("POST", "/indicators"): ADMIN_CREATE,
    ("GET", "/indicators/{indicator_id}"): READ_OWN,
    ("PATCH", "/indicators/{indicator_id}"): DEFINE_OWN,
    ("PUT", "/indicators/{indicator_id}/targets"): DEFINE_OWN,
    # Another organisation's writer names units and an indicator that are not its own: every row is refused.
    ("POST", "/values/import"): "403 201 403 201 403 422 422 403 401",
    ("GET", S + "/values"): READ_OWN,
    ("GET", S + "/values/{period}"): READ_OWN,
    ("GET", S + "/chart"): READ_OWN,
    ("POST", S + "/rebases"): WRITE_CREATE_OWN,
    ("DELETE", S + "/rebases/{rebase_id}"): WRITE_DELETE_OWN,
    ("POST", S + "/ghosts"): WRITE_CREATE_OWN,
    ("DELETE", S + "/ghosts/{ghost_id}"): WRITE_DELETE_OWN,
    ("POST", S + "/annotations"): WRITE_CREATE_OWN,
    ("DELETE", S + "/annotations/{annotation_id}"): WRITE_DELETE_OWN,
    ("POST", "/spc"): READ_ANY,
    ("GET", "/summary"): READ_ANY,
    ("GET", "/overview"): READ_ANY,  # always the token's own organisation
    # exchange
    ("GET", "/fhir/Measure"): READ_ANY,
    ("GET", "/fhir/Measure/{indicator_id}"): READ_OWN,
    ("GET", "/fhir/MeasureReport"): READ_OWN,
    ("GET", "/indicators.csv"): READ_ANY,
    ("GET", S + "/chart.csv"): READ_OWN,
    # surveys (a survey tool's own token, survey:ingest, is in test_survey_api.py: no role here holds it)
    ("GET", "/survey-instruments"): READ_ANY,
    ("GET", "/survey-instruments/{instrument_id}"): READ_ANY,  # the seeded regional instrument
    ("POST", "/survey-instruments/import"): ADMIN_CREATE,
    ("GET", "/survey-waves"): READ_ANY,
    ("POST", "/survey-waves"): ADMIN_CREATE,
    ("GET", "/survey-waves/{wave_id}"): READ_OWN,
    ("POST", "/survey-waves/{wave_id}/close"): ADMIN_OWN,
    ("POST", "/survey-waves/{wave_id}/responses"): "403 403 403 403 403 403 403 403 401",
    ("GET", "/survey-waves/{wave_id}/results"): READ_OWN,  # regional: organisation level only
    ("GET", "/survey-waves/{wave_id}/results.csv"): READ_OWN,
    ("POST", "/survey-waves/{wave_id}/indicators"): "403 403 201 201 403 404 404 403 401",
}


def _cases():
    for (method, path), row in MATRIX.items():
        codes = row.split()
        assert len(codes) == len(ROLE_NAMES), (method, path)
        for role, code in zip(ROLE_NAMES, codes, strict=True):
            yield pytest.param(method, path, role, int(code), id=f"{method} {path} as {role}")


def _operations(routes, prefix: str = "") -> set[tuple[str, str]]:
    found = set()
    for route in routes:
        if hasattr(route, "original_router"):
            found |= _operations(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute) or hasattr(route, "methods"):
            found |= {(m, prefix + route.path) for m in (route.methods or ()) if m != "HEAD"}
    return found


def test_matrix_covers_every_operation(monitoring_app):
    operations = _operations(monitoring_app.routes)
    assert len(operations) >= 40
    missing = sorted(operations - set(MATRIX))
    stale = sorted(set(MATRIX) - operations)
    assert not missing, f"operations without an authorisation matrix row: {missing}"
    assert not stale, f"matrix rows for operations that no longer exist: {stale}"


def _fill_ids(path: str, state: State) -> str:
    return _fill(path, state, check_in_id="00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize(("method", "path", "role", "expected"), list(_cases()))
def test_authorisation_matrix(client, keys, state, method, path, role, expected):
    build = CALLS.get((method, path)) or (lambda c, k, s: Call(_fill_ids(path, s)))
    call = build(client, keys, state)
    response = client.request(
        method,
        call.url,
        json=call.json,
        content=call.content,
        params=call.params,
        headers={**call.headers, **headers_for(keys, role)},
    )
    assert response.status_code == expected, f"{method} {call.url} as {role}: {response.status_code} {response.text}"
    if role in OUTSIDERS and path not in DOC_PATHS:
        # What the caller sent may be echoed back ("no unit X in your organisation"); nothing else may.
        sent = f"{call.content or ''}{json.dumps(call.json)}"
        leaked = [m for m in MARKERS if m in response.text and m not in sent]
        assert not leaked, f"{method} {call.url} as {role} shows {leaked}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        json.loads(response.text)


def test_the_state_is_what_the_matrix_assumes(client, keys, state):
    """The markers the leak scan looks for are really served to ORG's own readers."""
    reader = headers_for(keys, "reader")
    assert TEAM in client.get("/units", headers=reader, params={"limit": 500}).text
    assert INDICATOR in client.get("/indicators", headers=reader, params={"limit": 500}).text
    assert ITEM_WORDS in client.get("/plan/items", headers=reader).text
    assert (
        INDICATOR in client.get("/summary", headers=reader, params={"under": state.directorate["id"], "level": 3}).text
    )
