"""POST /spc: the stateless calculator answers exactly what the SPC module (checked against
NHSRplotthedots 0.2.2 in test_spc.py) computes, names every point type and icon as the package does,
and refuses every malformed request with a 422 naming the field."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from monitoring_support import READ, WRITE

from monitoring_api.indicators.spc import spc

# The package's own example (its README's ptd_spc on a 24-point series) and the deviations vignette.
VIGNETTE = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def _points(values, start=date(2024, 1, 1)):
    return [{"date": (start + timedelta(days=i)).isoformat(), "value": v} for i, v in enumerate(values)]


def _post(client, keys, body, *scopes):
    return client.post("/spc", json=body, headers=keys.headers(*(scopes or (READ,)), org="PHA"))


def _same(a, b):
    if a is None or b is None:
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=0, abs_tol=0) or a == b
    return a == b


def test_the_deviations_vignette_fixture(client, keys):
    screened = _post(client, keys, {"points": _points(VIGNETTE)}).json()
    unscreened = _post(client, keys, {"points": _points(VIGNETTE), "screen_outliers": False}).json()
    assert round(screened["points"][0]["mean"], 2) == 1.94
    assert round(screened["points"][0]["upl"], 1) == 4.6
    assert round(unscreened["points"][0]["upl"], 2) == 6.95
    assert screened["points"][4]["point_type"] == "special_cause_improvement"
    assert screened["points"][4]["special_cause_type"] == "Above UCL"
    assert screened["points"][4]["colour"] == "#00b0f0"
    assert screened["options"] == {
        "improvement_direction": "increase",
        "baseline_points": None,
        "screen_outliers": True,
        "trend_points": 7,
        "shift_points": 7,
        "two_sigma": False,
    }


def test_response_fields_and_icons(client, keys):
    values = [50.0] * 3 + [51, 49, 50, 52, 48, 50, 51, 49, 50, 51, 60, 61, 62, 63, 64, 65, 66]
    body = {
        "points": _points(values),
        "improvement_direction": "decrease",
        "target": 40,
        "baseline_points": 12,
        "rebase_dates": [],
        "screen_outliers": True,
    }
    response = _post(client, keys, body)
    assert response.status_code == 200, response.text
    result = response.json()
    point = result["points"][-1]
    for name in ("date", "value", "mean", "lpl", "upl", "near_lpl", "near_upl", "point_type"):
        assert name in point
    assert point["point_type"] == "special_cause_concern"
    assert result["variation"] == {"type": "special_cause_concern", "icon": "concern_high"}
    # Target below the lower limit with "decrease": the process will consistently fail it... no: pass.
    assert result["assurance"]["type"] in ("consistent_pass", "consistent_fail", "inconsistent")
    assert result["assurance"]["icon"] == {"consistent_pass": "pass", "consistent_fail": "fail"}.get(
        result["assurance"]["type"], "inconsistent"
    )
    assert [p["baseline"] for p in result["points"]] == [True] * 12 + [False] * 8
    neutral = _post(client, keys, {"points": _points(values), "improvement_direction": "neutral", "target": 40}).json()
    assert neutral["assurance"] == {"type": None, "icon": None}
    assert neutral["variation"]["icon"] == "neutral_high"
    no_target = _post(client, keys, {"points": _points(values)}).json()
    assert no_target["assurance"] == {"type": None, "icon": None}


def test_gaps_rebases_ghosts_and_warnings(client, keys):
    values = [10, 11, None, 12, 10, 11, 12, 10, 11, 12, 10, 11, 12, 30, 31, 30, 32, 31, 30]
    points = _points(values)
    body = {
        "points": points,
        "rebase_dates": [points[13]["date"], "2030-01-01"],
        "ghosted_dates": [points[5]["date"]],
    }
    result = _post(client, keys, body).json()
    assert result["points"][2]["value"] is None and result["points"][2]["point_type"] == "common_cause"
    assert result["points"][5]["ghosted"] is True and result["points"][5]["point_type"] is None
    assert [p["rebase_group"] for p in result["points"]] == [0] * 13 + [1] * 6
    assert len(result["segments"]) == 2 and result["provisional"] is True
    assert result["warnings"] == [
        "rebase date 2030-01-01 matches no point and is ignored, as NHSRplotthedots ignores it"
    ]


def _expected(body):
    return spc(
        [(date.fromisoformat(p["date"]), p["value"]) for p in body["points"]],
        improvement_direction=body.get("improvement_direction", "increase"),
        target=body.get("target"),
        fix_after_n_points=body.get("baseline_points"),
        rebase_dates=[date.fromisoformat(d) for d in body.get("rebase_dates", [])],
        screen_outliers=body.get("screen_outliers", True),
    )


FIELDS = ("value", "mean", "lpl", "upl", "near_lpl", "near_upl", "point_type", "special_cause_type", "target")


@settings(max_examples=40)
@given(
    values=st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=1, max_size=40),
    direction=st.sampled_from(["increase", "decrease", "neutral"]),
    target=st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
    baseline=st.one_of(st.none(), st.integers(12, 30)),
    screen=st.booleans(),
    rebase_at=st.lists(st.integers(0, 39), max_size=3, unique=True),
)
def test_answers_exactly_what_the_spc_module_computes(
    client, keys, values, direction, target, baseline, screen, rebase_at
):
    points = _points(values)
    body = {
        "points": points,
        "improvement_direction": direction,
        "target": target,
        "baseline_points": baseline,
        "rebase_dates": sorted({points[i]["date"] for i in rebase_at if i < len(points)}),
        "screen_outliers": screen,
    }
    response = _post(client, keys, body)
    assert response.status_code == 200, response.text
    got = response.json()
    expected = _expected(body)
    for out, exp in zip(got["points"], expected.points, strict=True):
        for name in FIELDS:
            assert _same(out[name], getattr(exp, name)), (name, out[name], getattr(exp, name))
    assert got["variation"]["type"] == expected.variation_type
    assert got["variation"]["icon"] == expected.variation_icon
    assert got["assurance"]["type"] == expected.assurance_type


def test_json_numbers_round_trip_exactly(client, keys):
    """Limits are plain doubles: the JSON answer parses back to the very bits the module computed."""
    values = [0.1 * i + (0.7 if i % 3 else 0) for i in range(25)]
    body = {"points": _points(values)}
    got = json.loads(_post(client, keys, body).text)
    exp = _expected(body)
    assert [p["upl"] for p in got["points"]] == [p.upl for p in exp.points]
    assert [p["near_lpl"] for p in got["points"]] == [p.near_lpl for p in exp.points]


# --- refusals: 422 naming the field -----------------------------------------------------------

GOOD = _points([1, 2, 3])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": []}, "body.points"),
        ({}, "body.points"),
        ({"points": [GOOD[0], GOOD[1], {**GOOD[2], "date": GOOD[0]["date"]}]}, "body.points.2.date"),
        ({"points": [{"date": "2024-1-1", "value": 1}]}, "body.points.0.date"),
        ({"points": [{"date": "2024-02-30", "value": 1}]}, "body.points.0.date"),
        ({"points": [{"date": "2024-01-01T00:00:00", "value": 1}]}, "body.points.0.date"),
        ({"points": [{"date": 1704067200, "value": 1}]}, "body.points.0.date"),
        ({"points": [{"date": "2024-01-01", "value": "52.1"}]}, "body.points.0.value"),
        ({"points": [{"date": "2024-01-01", "value": True}]}, "body.points.0.value"),
        ({"points": [{"date": "2024-01-01"}]}, "body.points.0.value"),
        ({"points": [{"date": "2024-01-01", "value": 1, "note": "x"}]}, "body.points.0.note"),
        ({"points": GOOD, "improvement_direction": "up"}, "body.improvement_direction"),
        ({"points": GOOD, "baseline_points": 11}, "body.baseline_points"),
        ({"points": GOOD, "baseline_points": 12.0}, "body.baseline_points"),
        ({"points": GOOD, "baseline_points": "12"}, "body.baseline_points"),
        ({"points": GOOD, "target": "50"}, "body.target"),
        ({"points": GOOD, "screen_outliers": "yes"}, "body.screen_outliers"),
        ({"points": GOOD, "rebase_dates": ["2024-13-01"]}, "body.rebase_dates.0"),
        ({"points": GOOD, "rebase_dates": [GOOD[1]["date"], GOOD[1]["date"]]}, "body.rebase_dates.1"),
        ({"points": GOOD, "ghosted_dates": ["2030-01-01"]}, "body.ghosted_dates.0"),
        ({"points": GOOD, "target": 1, "targets": [{"from_date": "2024-01-01", "value": 2}]}, "body.targets"),
        ({"points": GOOD, "trend_points": 2}, "body.trend_points"),
        ({"points": GOOD, "unknown": 1}, "body.unknown"),
    ],
)
def test_refusals_name_the_field(client, keys, body, field):
    response = _post(client, keys, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]], response.json()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_values_are_refused(client, keys, literal):
    content = '{"points": [{"date": "2024-01-01", "value": ' + literal + "}]}"
    response = client.post(
        "/spc", content=content, headers={**keys.headers(READ, org="PHA"), "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "body.points.0.value"


def test_a_target_must_be_finite_too(client, keys):
    content = '{"points": [{"date": "2024-01-01", "value": 1}], "target": NaN}'
    response = client.post(
        "/spc", content=content, headers={**keys.headers(READ, org="PHA"), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.target"


def test_spc_needs_monitoring_read(client, keys):
    assert client.post("/spc", json={"points": GOOD}).status_code == 401
    refused = _post(client, keys, {"points": GOOD}, WRITE)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/insufficient-scope")


def test_every_request_field_is_documented(monitoring_app):
    schema = monitoring_app.openapi()["components"]["schemas"]
    for name in ("SpcRequest", "SpcInputPoint", "SpcPointOut", "VariationOut", "AssuranceOut"):
        for field, spec in schema[name]["properties"].items():
            assert spec.get("description"), f"{name}.{field} is not documented"
