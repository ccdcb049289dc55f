"""The authorisation matrix of recruitment-api: every endpoint against every role.

One module-scoped state (a vacancy in scoring, three assessors, candidates with evidence and
equality records, submitted and draft score sheets, SJT scores, a decision) is built with the
builders, then every (endpoint, role) pair is one test that checks the status code the role must
get AND scans the whole response body for what that role must never see:

- a candidate's name, email, phone or external_ref, unless the caller has `recruitment:admin`
  in the vacancy's organisation;
- a candidate's equality monitoring values, unless the caller has `equality:read` in the
  vacancy's organisation (the subject-access export included: an admin without `equality:read`
  gets it with the equality answers withheld);
- any other assessor's score, notes, aggregate or ranking for a candidate before the caller
  submitted their own sheet for that candidate (for callers off the panel: for every candidate),
  recruitment admins who sit on the panel included.

The endpoint list is read from `app.routes`: an endpoint added without a row here fails
test_matrix_covers_every_endpoint.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from recruitment_support import Panel, admin_headers, create_vacancy, design, sheet_url

ORG, OTHER_ORG = "SEHSCT", "WHSCT"
LEAD, SECOND, THIRD = "assessor-lead-pending-c1", "assessor-second-submitted-c1", "assessor-third-scorer"

ROLES: dict[str, tuple[tuple[str, ...], str, str] | None] = {
    # role: (scopes, org, subject); None = no token at all
    "admin": (("recruitment:read", "recruitment:admin"), ORG, "admin-matrix"),
    "assessor_pending": (("recruitment:read", "recruitment:score"), ORG, LEAD),
    "assessor_submitted": (("recruitment:read", "recruitment:score"), ORG, SECOND),
    "assessor_outsider": (("recruitment:read", "recruitment:score"), ORG, "assessor-not-on-panel"),
    "equality_officer": (("recruitment:read", "equality:read"), ORG, "equality-officer"),
    "hr_read_only": (("recruitment:read",), ORG, "hr-system"),
    "candidate_channel": (("equality:write",), ORG, "candidate-portal"),
    "other_org_admin": (
        ("recruitment:read", "recruitment:admin", "recruitment:score", "equality:read", "equality:write"),
        OTHER_ORG,
        "admin-other-org",
    ),
    "anonymous": None,
    # Recruitment admins who also sit on the interview panel: the lead has not submitted for the
    # target candidate (C1), the second assessor has. Blind scoring binds them like any assessor.
    "admin_on_panel_pending": (("recruitment:read", "recruitment:score", "recruitment:admin"), ORG, LEAD),
    "admin_on_panel_submitted": (("recruitment:read", "recruitment:score", "recruitment:admin"), ORG, SECOND),
}
ROLE_NAMES = tuple(ROLES)

# Personal details of the three scored candidates: every one distinctive, so a text scan finds it.
PEOPLE = [
    {
        "name": "Orlaith Quinlan-Vasquez",
        "email": "orlaith.qv.matrix@example.org",
        "phone": "+44 28 9099 1701",
        "external_ref": "ATS-MATRIX-1701",
        "evidence": [{"title": "Working together", "text": "Joint huddle, ward 4."}],
    },
    {
        "name": "Padraig Ferris-Okafor",
        "email": "padraig.fo.matrix@example.org",
        "phone": "+44 28 9099 1702",
        "external_ref": "ATS-MATRIX-1702",
        "evidence": [{"title": "Working together", "text": "Shared rota, ED."}],
    },
    {
        "name": "Ruairi Mallon-Svensson",
        "email": "ruairi.ms.matrix@example.org",
        "phone": "+44 28 9099 1703",
        "external_ref": "ATS-MATRIX-1703",
        "evidence": [{"title": "Compassion", "text": "Sat with a family."}],
    },
]
PERSONAL_MARKERS = [p[k] for p in PEOPLE for k in ("name", "email", "phone", "external_ref")]

EQUALITY = [
    {
        "community_background": "roman_catholic",
        "age_band": "35-44",
        "racial_group": "eq-racial-zq1",
        "disability": "eq-disability-zq1",
    },
    {"community_background": "protestant", "age_band": "55-64", "religious_belief": "eq-belief-zq2"},
    {"community_background": "neither", "sex": "eq-sex-zq3", "political_opinion": "eq-political-zq3"},
]
EQUALITY_MARKERS = [
    "roman_catholic",
    "protestant",
    "35-44",
    "55-64",
    "eq-racial-zq1",
    "eq-disability-zq1",
    "eq-belief-zq2",
    "eq-sex-zq3",
    "eq-political-zq3",
]

# (assessor, candidate index, scores V1..V4, notes, submitted). Distinctive notes mark each sheet.
SHEETS = [
    (SECOND, 0, (1, 1, 2, 1), "note-second-on-c1-kx7", True),
    (THIRD, 0, (4, 4, 4, 4), "note-third-on-c1-kx7", True),
    (LEAD, 0, (3, 3, None, None), "note-lead-draft-on-c1-kx7", False),  # a draft: V3, V4 unanswered
    (LEAD, 1, (2, 3, 2, 3), "note-lead-on-c2-kx7", True),
    (THIRD, 1, (4, 1, 4, 1), "note-third-on-c2-kx7", True),
    (SECOND, 1, (2, None, None, None), "note-second-draft-on-c2-kx7", False),
    (LEAD, 2, (3, 3, 3, 3), "note-lead-on-c3-kx7", True),
    (SECOND, 2, (3, 3, 3, 4), "note-second-on-c3-kx7", True),
    (THIRD, 2, (3, 4, 3, 3), "note-third-on-c3-kx7", True),
]

# Documentation pages are the same whatever the data; their examples and enums legitimately hold
# some equality category codes ("roman_catholic", "35-44").
DOC_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@dataclass
class State:
    panel: Panel
    vacancy_id: str
    interview_id: str
    sjt_id: str
    candidates: list[dict]
    sheet_owner: dict[str, tuple[str, int]] = field(default_factory=dict)  # sheet id -> (assessor, candidate)

    @property
    def target(self) -> dict:
        return self.candidates[0]


def headers_for(keys, role: str) -> dict[str, str]:
    spec = ROLES[role]
    if spec is None:
        return {}
    scopes, org, subject = spec
    return keys.headers(*scopes, org=org, subject=subject)


def _assessor_headers(keys, subject: str) -> dict[str, str]:
    return keys.headers("recruitment:read", "recruitment:score", org=ORG, subject=subject)


@pytest.fixture(scope="module")
def state(client, keys) -> State:
    admin = admin_headers(keys, ORG)
    vacancy = create_vacancy(client, keys, ORG)
    stages = [
        {
            "name": "Interview",
            "kind": "interview",
            "min_weighted_mean": 2.0,
            "min_per_value": 2,
            "criteria": [{"criterion": c, "weight": 2 if c == "V1" else 1} for c in ("V1", "V2", "V3", "V4")],
        },
        {"name": "Situational judgement", "kind": "sjt", "pass_mark": 50},
    ]
    interview, sjt = design(client, keys, vacancy, ORG, stages=stages)["stages"]
    base = f"/vacancies/{vacancy['id']}"
    imported = client.post(f"{base}/candidates/import", json={"candidates": PEOPLE}, headers=admin)
    assert imported.status_code == 201, imported.text
    candidates = imported.json()["candidates"]
    members = [
        {"assessor": LEAD, "name": "Lead Assessor", "is_lead": True},
        {"assessor": SECOND, "name": "Second Assessor"},
        {"assessor": THIRD, "name": "Third Assessor"},
    ]
    panel_set = client.put(f"{base}/stages/{interview['id']}/panel", json={"members": members}, headers=admin)
    assert panel_set.status_code == 200, panel_set.text
    for status in ("open", "scoring"):
        moved = client.post(f"{base}/status", json={"status": status}, headers=admin)
        assert moved.status_code == 200, moved.text
    channel = keys.headers("equality:write", org=ORG, subject="candidate-portal")
    for candidate, answers in zip(candidates, EQUALITY, strict=True):
        recorded = client.put(f"{base}/candidates/{candidate['id']}/equality", json=answers, headers=channel)
        assert recorded.status_code == 204, recorded.text
    panel = Panel(
        vacancy, interview, candidates, admin, _assessor_headers(keys, LEAD), _assessor_headers(keys, SECOND), ORG
    )
    state = State(panel, vacancy["id"], interview["id"], sjt["id"], candidates)
    for assessor, index, scores, notes, submit in SHEETS:
        body = {
            "scores": [
                {"criterion": f"V{n + 1}", "score": s, "notes": f"{notes} V{n + 1}"}
                for n, s in enumerate(scores)
                if s is not None
            ]
        }
        url = sheet_url(panel, candidates[index])
        saved = client.put(url, json=body, headers=_assessor_headers(keys, assessor))
        assert saved.status_code == 200, saved.text
        state.sheet_owner[saved.json()["id"]] = (assessor, index)
        if submit:
            submitted = client.post(url + "/submit", headers=_assessor_headers(keys, assessor))
            assert submitted.status_code == 200, submitted.text
    sjt_scores = [{"candidate_id": c["id"], "score": 60 + i} for i, c in enumerate(candidates)]
    imported_sjt = client.post(f"{base}/stages/{sjt['id']}/sjt-scores", json={"scores": sjt_scores}, headers=admin)
    assert imported_sjt.status_code == 200, imported_sjt.text
    decided = client.post(
        f"{base}/stages/{interview['id']}/decisions",
        headers=admin,
        json={"candidate_id": candidates[2]["id"], "outcome": "progress", "reason": "Appointable."},
    )
    assert decided.status_code == 201, decided.text
    return state


# --- requests ---------------------------------------------------------------------------------


@dataclass
class Call:
    url: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _scratch_candidate(client, keys, state: State) -> str:
    """A fresh candidate (not one of the scanned people) for calls that change or erase one."""
    created = client.post(
        f"/vacancies/{state.vacancy_id}/candidates",
        headers=admin_headers(keys, ORG),
        json={"name": "Scratch Candidate", "evidence": []},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


def _scratch_vacancy(client, keys) -> tuple[str, str]:
    """A fresh draft vacancy with a design, and the design's ETag."""
    admin = admin_headers(keys, ORG)
    created = client.post(
        "/vacancies", headers=admin, json={"title": "Scratch", "criteria": [{"code": "K1", "statement": "Kindness"}]}
    )
    assert created.status_code == 201, created.text
    vacancy_id = created.json()["id"]
    etag = client.get(f"/vacancies/{vacancy_id}/design", headers=admin).headers["etag"]
    body = {"stages": [{"name": "Interview", "kind": "interview", "criteria": [{"criterion": "K1"}]}]}
    put = client.put(f"/vacancies/{vacancy_id}/design", json=body, headers={**admin, "If-Match": etag})
    assert put.status_code == 200, put.text
    return vacancy_id, put.headers["etag"]


def _fill(path: str, state: State, **ids: str) -> str:
    values = {"vacancy_id": state.vacancy_id, "stage_id": state.interview_id, "candidate_id": state.target["id"], **ids}
    return path.format(**values)


def default_call(path: str) -> Callable[..., Call]:
    return lambda client, keys, state: Call(_fill(path, state))


def _status_call(client, keys, state):
    vacancy_id, _ = _scratch_vacancy(client, keys)
    return Call(f"/vacancies/{vacancy_id}/status", json={"status": "open"})


def _patch_call(client, keys, state):
    url = _fill("/vacancies/{vacancy_id}", state)
    etag = client.get(url, headers=admin_headers(keys, ORG)).headers["etag"]
    return Call(url, json={"band": "Band 7"}, headers={"If-Match": etag})


def _design_call(client, keys, state):
    vacancy_id, etag = _scratch_vacancy(client, keys)
    body = {
        "stages": [
            {
                "name": "Interview",
                "kind": "interview",
                "min_weighted_mean": 2,
                "criteria": [{"criterion": "K1", "weight": 2}],
            }
        ]
    }
    return Call(f"/vacancies/{vacancy_id}/design", json=body, headers={"If-Match": etag})


def _scratch_candidate_call(suffix: str, body: Any = None):
    def build(client, keys, state):
        candidate = _scratch_candidate(client, keys, state)
        return Call(f"/vacancies/{state.vacancy_id}/candidates/{candidate}{suffix}", json=body)

    return build


def _second_sheet_on_target(state: State) -> str:
    return next(s for s, (a, i) in state.sheet_owner.items() if a == SECOND and i == 0)


S = "/vacancies/{vacancy_id}/stages/{stage_id}"
SHEET = S + "/candidates/{candidate_id}/sheet"
LEAD_DRAFT = {
    "scores": [
        {"criterion": "V1", "score": 3, "notes": "note-lead-draft-on-c1-kx7 V1"},
        {"criterion": "V2", "score": 3, "notes": "note-lead-draft-on-c1-kx7 V2"},
    ]
}

CALLS: dict[tuple[str, str], Callable[..., Call]] = {
    ("POST", "/vacancies"): lambda client, keys, state: Call(
        "/vacancies", json={"title": "Matrix probe", "criteria": [{"code": "K1", "statement": "Kindness"}]}
    ),
    ("PATCH", "/vacancies/{vacancy_id}"): _patch_call,
    ("POST", "/vacancies/{vacancy_id}/status"): _status_call,
    ("PUT", "/vacancies/{vacancy_id}/design"): _design_call,
    ("POST", "/vacancies/{vacancy_id}/candidates"): lambda client, keys, state: Call(
        _fill("/vacancies/{vacancy_id}/candidates", state), json={"name": "Probe Candidate"}
    ),
    ("POST", "/vacancies/{vacancy_id}/candidates/import"): lambda client, keys, state: Call(
        _fill("/vacancies/{vacancy_id}/candidates/import", state),
        json={"candidates": [{"name": "Probe Import One"}, {"name": "Probe Import Two"}]},
    ),
    ("POST", "/vacancies/{vacancy_id}/candidates/{candidate_id}/withdraw"): _scratch_candidate_call("/withdraw"),
    ("POST", S + "/sjt-scores"): lambda client, keys, state: Call(
        _fill(S + "/sjt-scores", state, stage_id=state.sjt_id),
        json={"scores": [{"candidate_id": state.target["id"], "score": 60}]},
    ),
    ("PUT", S + "/panel"): lambda client, keys, state: Call(
        _fill(S + "/panel", state),
        json={
            "members": [
                {"assessor": LEAD, "name": "Lead Assessor", "is_lead": True},
                {"assessor": SECOND, "name": "Second Assessor"},
                {"assessor": THIRD, "name": "Third Assessor"},
            ]
        },
    ),
    ("PUT", SHEET): lambda client, keys, state: Call(_fill(SHEET, state), json=LEAD_DRAFT),
    ("POST", S + "/amendments"): lambda client, keys, state: Call(
        _fill(S + "/amendments", state),
        json={
            "sheet_id": _second_sheet_on_target(state),
            "criterion": "V1",
            "score": 2,
            "reason": "Moderated at the panel wash-up.",
        },
    ),
    ("POST", S + "/decisions"): lambda client, keys, state: Call(
        _fill(S + "/decisions", state),
        json={"candidate_id": state.candidates[2]["id"], "outcome": "progress", "reason": "Still appointable."},
    ),
    ("GET", "/vacancies/{vacancy_id}/candidates/{candidate_id}/feedback"): lambda client, keys, state: Call(
        _fill("/vacancies/{vacancy_id}/candidates/{candidate_id}/feedback", state) + f"?stage={state.interview_id}"
    ),
    ("PUT", "/vacancies/{vacancy_id}/candidates/{candidate_id}/equality"): _scratch_candidate_call(
        "/equality", {"community_background": "not_stated"}
    ),
    ("POST", "/vacancies/{vacancy_id}/candidates/{candidate_id}/erasure"): _scratch_candidate_call("/erasure"),
}

# --- the matrix -------------------------------------------------------------------------------
# Expected status per role, in the order of ROLES:
#   admin  pending  submitted  outsider  equality  hr  channel  other-org  anonymous  admin-pending  admin-submitted
PUBLIC = "200 200 200 200 200 200 200 200 200 200 200"
READ = "200 200 200 200 200 200 403 404 401 200 200"
ADMIN_ONLY = "200 403 403 403 403 403 403 404 401 200 200"
# Stage-wide figures mixing every candidate: an admin on the panel must first submit for every candidate.
ADMIN_OFF_PANEL = "200 403 403 403 403 403 403 404 401 403 403"

MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/livez"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    # vacancies
    ("GET", "/vacancies"): "200 200 200 200 200 200 403 200 401 200 200",
    ("POST", "/vacancies"): "201 403 403 403 403 403 403 201 401 201 201",
    ("GET", "/vacancies/{vacancy_id}"): READ,
    ("PATCH", "/vacancies/{vacancy_id}"): ADMIN_ONLY,
    ("POST", "/vacancies/{vacancy_id}/status"): ADMIN_ONLY,
    ("GET", "/vacancies/{vacancy_id}/design"): READ,
    ("PUT", "/vacancies/{vacancy_id}/design"): ADMIN_ONLY,
    # candidates
    ("POST", "/vacancies/{vacancy_id}/candidates"): "201 403 403 403 403 403 403 404 401 201 201",
    ("POST", "/vacancies/{vacancy_id}/candidates/import"): "201 403 403 403 403 403 403 404 401 201 201",
    ("GET", "/vacancies/{vacancy_id}/candidates"): READ,
    ("GET", "/vacancies/{vacancy_id}/candidates/{candidate_id}"): READ,
    ("POST", "/vacancies/{vacancy_id}/candidates/{candidate_id}/withdraw"): ADMIN_ONLY,
    ("POST", S + "/sjt-scores"): ADMIN_ONLY,
    # scoring
    ("GET", "/panels/mine"): "403 200 200 200 403 403 403 200 401 200 200",
    ("GET", S + "/panel"): READ,
    ("PUT", S + "/panel"): ADMIN_ONLY,
    ("GET", S + "/my-sheets"): "403 200 200 403 403 403 403 404 401 200 200",
    ("GET", SHEET): "403 200 200 403 403 403 403 404 401 200 200",
    ("PUT", SHEET): "403 200 409 403 403 403 403 404 401 200 409",
    ("POST", SHEET + "/submit"): "403 422 409 403 403 403 403 404 401 422 409",  # the lead's draft is incomplete
    ("GET", S + "/candidates/{candidate_id}/scores"): "200 403 200 403 403 403 403 404 401 403 200",
    ("GET", S + "/moderation"): "200 200 403 403 403 403 403 404 401 200 200",  # only the lead moderates
    # The lead has not submitted for the target candidate: moderating it would show the panel's scores.
    ("POST", S + "/amendments"): "403 403 403 403 403 403 403 404 401 403 403",
    # results
    ("GET", S + "/results"): ADMIN_ONLY,
    ("GET", S + "/results.csv"): ADMIN_OFF_PANEL,
    ("GET", S + "/reliability"): ADMIN_OFF_PANEL,
    ("POST", S + "/decisions"): "201 403 403 403 403 403 403 404 401 201 201",
    ("GET", "/vacancies/{vacancy_id}/candidates/{candidate_id}/feedback"): ADMIN_OFF_PANEL,
    # fairness
    (
        "PUT",
        "/vacancies/{vacancy_id}/candidates/{candidate_id}/equality",
    ): "403 403 403 403 403 403 204 404 401 403 403",
    ("GET", S + "/adverse-impact"): "403 403 403 403 200 403 403 404 401 403 403",
    # data protection
    ("GET", "/vacancies/{vacancy_id}/candidates/{candidate_id}/subject-access"): ADMIN_ONLY,
    (
        "POST",
        "/vacancies/{vacancy_id}/candidates/{candidate_id}/erasure",
    ): "204 403 403 403 403 403 403 404 401 204 204",
}

# (method, path, role) -> why the cell fails today: each is a strict xfail until the service is fixed.
# Cells that fail because of a known, unfixed bug (strict xfail): none open.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def _cases():
    for (method, path), row in MATRIX.items():
        codes = row.split()
        assert len(codes) == len(ROLE_NAMES), (method, path)
        for role, code in zip(ROLE_NAMES, codes, strict=True):
            marks = []
            if (method, path, role) in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(method, path, role)]))
            yield pytest.param(method, path, role, int(code), id=f"{method} {path} as {role}", marks=marks)


def _operations(routes, prefix: str = "") -> set[tuple[str, str]]:
    """Every (method, path) the app answers, routers included (HEAD mirrors GET)."""
    found = set()
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI >= 0.16x keeps included routers as branches
            found |= _operations(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute) or hasattr(route, "methods"):
            found |= {(m, prefix + route.path) for m in (route.methods or ()) if m != "HEAD"}
    return found


def test_matrix_covers_every_endpoint(recruitment_app):
    operations = _operations(recruitment_app.routes)
    assert len(operations) >= 35
    missing = sorted(operations - set(MATRIX))
    stale = sorted(set(MATRIX) - operations)
    assert not missing, f"endpoints without an authorisation matrix row: {missing}"
    assert not stale, f"matrix rows for endpoints that no longer exist: {stale}"


# --- leak scanning ----------------------------------------------------------------------------


def _scopes_and_org(role: str) -> tuple[set[str], str | None]:
    spec = ROLES[role]
    return (set(spec[0]), spec[1]) if spec else (set(), None)


PANEL_MEMBERS = {LEAD, SECOND, THIRD}


def _subject(role: str) -> str | None:
    return ROLES[role][2] if ROLES[role] else None


def _own_submitted(role: str) -> set[int]:
    return {i for a, i, _, _, done in SHEETS if a == _subject(role) and done}


def _blind_to(role: str) -> set[int]:
    """Indexes of candidates whose panel scores the role must not see: for an admin off the panel
    none; for anyone else, admins on the panel included, those the others submitted but they have not."""
    scopes, org = _scopes_and_org(role)
    if org == ORG and "recruitment:admin" in scopes and _subject(role) not in PANEL_MEMBERS:
        return set()
    return {i for _, i, _, _, done in SHEETS if done} - _own_submitted(role)


def _walk(node, candidate=None):
    """Every dict in the body with the candidate it is about: its own `candidate_id` or
    `candidate_code`, a `candidate` record (subject access), or else its parent's candidate."""
    if isinstance(node, dict):
        candidate = node.get("candidate_id") or node.get("candidate_code") or candidate
        record = node.get("candidate")
        if isinstance(record, dict):
            candidate = record.get("id") or candidate
        yield node, candidate
        for value in node.values():
            yield from _walk(value, candidate)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, candidate)


AGGREGATE_KEYS = (
    "sheets",
    "weighted_mean",
    "weighted_total",
    "rank",
    "criteria",
    "value_means",
    "flags",
    "values",
    "scores",
)


def score_leaks(role: str, state: State, body: Any, text: str) -> list[str]:
    blind = _blind_to(role)
    subject = _subject(role)
    scopes, org = _scopes_and_org(role)
    admin = org == ORG and "recruitment:admin" in scopes
    # Another assessor's draft: never for an assessor; for an admin on the panel, not before their own submission.
    on_panel = subject in PANEL_MEMBERS
    draft_blind = set(range(len(state.candidates))) - _own_submitted(role) if on_panel else set()
    found = []
    for assessor, index, _, notes, submitted in SHEETS:
        others_draft = not submitted and assessor != subject and (not admin or index in draft_blind)
        if assessor != subject and (index in blind or others_draft) and notes in text:
            found.append(f"notes of {assessor}'s sheet on candidate {index + 1}")
    if not blind:
        return found
    by_id = {c["id"]: i for i, c in enumerate(state.candidates)}
    by_code = {c["code"]: i for i, c in enumerate(state.candidates)}
    if body is None:  # not JSON (CSV, HTML, metrics): any forbidden candidate's code is a row about it
        found += [f"text names candidate {i + 1}" for i in blind if state.candidates[i]["code"] in text]
        return found
    for node, about in _walk(body):
        index = by_id.get(about, by_code.get(about)) if isinstance(about, str) else None
        own_sheet = node.get("assessor") == subject and "scores" in node
        if index in blind and not own_sheet and any(node.get(k) not in (None, [], {}) for k in AGGREGATE_KEYS):
            found.append(f"scores or aggregates of candidate {index + 1}: {sorted(node)}")
        if index in blind and "previous_score" in node:
            found.append(f"an amendment on candidate {index + 1}: {node}")
        if index in blind and node.get("outcome") and "decided_by" in node:
            found.append(f"the panel's decision on candidate {index + 1}")
        owner, sheet_candidate = state.sheet_owner.get(str(node.get("sheet_id")), (None, -1))
        if "previous_score" in node and owner != subject and sheet_candidate in blind:
            found.append(f"an amendment showing {owner}'s score on candidate {sheet_candidate + 1}")
        if "assessor" in node and node.get("assessor") != subject and ({"mean", "z"} & set(node)):
            found.append(f"leniency of {node['assessor']} (computed over candidates not yet submitted)")
        if "coefficients" in node:
            found.append("reliability coefficients over candidates not yet submitted")
        if node.get("cohort_mean") is not None:
            found.append("cohort means over candidates not yet submitted")
    return found


def _mentions(text: str, marker: str) -> bool:
    """Whether the marker stands as a token of its own: '35-44' inside a UUID such as
    '1b35-442a' is no equality value."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(marker)}(?![0-9A-Za-z])", text) is not None


def leaks(role: str, method: str, path: str, state: State, response, doc_literals: set[str]) -> list[str]:
    text = response.text
    try:
        body = response.json() if text else None
    except (json.JSONDecodeError, ValueError):
        body = None
    scopes, org = _scopes_and_org(role)
    same_org = org == ORG
    found = []
    exempt = doc_literals if path in DOC_PATHS else set()
    if not (same_org and "recruitment:admin" in scopes):
        found += [f"personal detail {m!r}" for m in PERSONAL_MARKERS if m in text]
    if not (same_org and "equality:read" in scopes):
        found += [f"equality value {m!r}" for m in EQUALITY_MARKERS if _mentions(text, m) and m not in exempt]
    # The documentation is the same whatever the data: its property names are no leak.
    found += score_leaks(role, state, None if path in DOC_PATHS else body, text)
    return found


@pytest.fixture(scope="module")
def doc_literals(recruitment_app) -> set[str]:
    schema = json.dumps(recruitment_app.openapi())
    return {m for m in EQUALITY_MARKERS if m in schema}


def _send(client, method: str, call: Call, headers: dict[str, str]):
    return client.request(method, call.url, json=call.json, content=call.content, headers={**call.headers, **headers})


@pytest.mark.parametrize(("method", "path", "role", "expected"), list(_cases()))
def test_authorisation_matrix(client, keys, state, doc_literals, method, path, role, expected):
    build = CALLS.get((method, path), default_call(path))
    call = build(client, keys, state)
    response = _send(client, method, call, headers_for(keys, role))
    assert response.status_code == expected, f"{method} {call.url} as {role}: {response.status_code} {response.text}"
    if response.status_code >= 500:
        pytest.fail(f"server error: {response.text}")
    found = leaks(role, method, path, state, response, doc_literals)
    assert not found, f"{method} {call.url} as {role} leaks: {found}"


# --- checks that the matrix relies on, and the rest of the lead's path ------------------------


def test_the_state_is_what_the_matrix_assumes(client, keys, state):
    """Guards the leak scan against vacuous passes: the markers it looks for are really served."""
    admin = admin_headers(keys, ORG)
    listed = client.get(f"/vacancies/{state.vacancy_id}/candidates", headers=admin).text
    assert all(m in listed for m in PERSONAL_MARKERS)
    dpo = keys.headers("recruitment:read", "recruitment:admin", "equality:read", org=ORG, subject="dpo")
    held = "".join(
        client.get(f"/vacancies/{state.vacancy_id}/candidates/{c['id']}/subject-access", headers=dpo).text
        for c in state.candidates
    )
    assert all(m in held for m in EQUALITY_MARKERS)
    officer = headers_for(keys, "equality_officer")
    report = client.get(_fill(S + "/adverse-impact", state), headers=officer)
    assert report.status_code == 200 and report.json()["groups"], report.text
    view = client.get(_fill(S + "/candidates/{candidate_id}/scores", state), headers=admin)
    assert {"note-second-on-c1-kx7", "note-third-on-c1-kx7"} <= {
        s["notes"].split()[0] for sheet in view.json()["sheets"] for s in sheet["scores"]
    }
    assert "note-lead-draft-on-c1-kx7" not in view.text, "drafts are nobody's business but their author's"
    queue = client.get(_fill(S + "/moderation", state), headers=admin).json()
    assert {q["candidate_id"] for q in queue} >= {state.candidates[0]["id"], state.candidates[1]["id"]}


def test_the_lead_moderates_a_candidate_they_have_submitted_for(client, keys, state):
    lead = headers_for(keys, "assessor_pending")
    third_on_c2 = next(s for s, (a, i) in state.sheet_owner.items() if a == THIRD and i == 1)
    amended = client.post(
        _fill(S + "/amendments", state),
        headers=lead,
        json={"sheet_id": third_on_c2, "criterion": "V2", "score": 2, "reason": "Agreed at the wash-up."},
    )
    assert amended.status_code == 201, amended.text
    assert amended.json()["previous_score"] == 1
    view = client.get(
        _fill(S + "/candidates/{candidate_id}/scores", state, candidate_id=state.candidates[1]["id"]), headers=lead
    )
    assert view.status_code == 200 and len(view.json()["sheets"]) == 2


def test_admin_with_equality_read_gets_the_equality_data_in_subject_access(client, keys, state):
    both = keys.headers("recruitment:read", "recruitment:admin", "equality:read", org=ORG, subject="dpo")
    export = client.get(f"/vacancies/{state.vacancy_id}/candidates/{state.target['id']}/subject-access", headers=both)
    assert export.status_code == 200
    assert export.json()["equality_monitoring"][0]["community_background"] == "roman_catholic"
    assert "Orlaith Quinlan-Vasquez" in export.text


def test_subject_access_withholds_equality_data_without_equality_read(client, keys, state):
    """Equality data is 'readable only with equality:read' (issue 3), the subject-access export included."""
    admin = admin_headers(keys, ORG)
    export = client.get(f"/vacancies/{state.vacancy_id}/candidates/{state.target['id']}/subject-access", headers=admin)
    assert export.status_code == 200
    assert not [m for m in EQUALITY_MARKERS if m in export.text]
    assert export.json()["equality_monitoring_withheld"] is True
    assert "Orlaith Quinlan-Vasquez" in export.text


def test_every_role_is_refused_an_unknown_vacancy_alike(client, keys, state):
    """A vacancy that does not exist and one of another organisation answer the same."""
    other = headers_for(keys, "other_org_admin")
    missing = client.get(f"/vacancies/{uuid.uuid4()}", headers=other)
    foreign = client.get(f"/vacancies/{state.vacancy_id}", headers=other)
    assert missing.status_code == foreign.status_code == 404
    assert missing.json()["type"] == foreign.json()["type"]
    assert missing.json()["detail"] == foreign.json()["detail"]
