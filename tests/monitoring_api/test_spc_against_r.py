"""spc() against the real NHSRplotthedots 0.2.2, point by point.

`fixtures/r_ptd_spc_oracle.json.gz` holds what `ptd_spc()` of NHSRplotthedots 0.2.2 (release commit 050b07d),
run under R, returned for several hundred series: random normal series of every length from 1 to 80, shifts,
trends, outliers screened and not, ties and values on the mean or exactly on a limit, constant series, gaps,
rebases (inside the data, on the first date, on dates with no point), fix_after_n_points (12 to larger than
the segment), targets below, on, inside and above the limits, every improvement direction, and random mixtures
of all of these. `meta` names the package, R and dplyr versions. For each series it keeps the package's output
columns, its internal rule columns (`ptd_part_of_seven_trend`, `ptd_part_of_two_in_three` on each rebase group),
`summary()` and the icons `ptd_get_icons()` picks; or the error the package raised.

R is not needed to run these tests; the generator is not part of the repository (SPC.md says how the fixture
was made).
"""

from __future__ import annotations

import gzip
import json
import math
from datetime import date
from pathlib import Path

import pytest

from monitoring_api.indicators.spc import spc

FIXTURE = Path(__file__).with_name("fixtures") / "r_ptd_spc_oracle.json.gz"
ORACLE = json.loads(gzip.decompress(FIXTURE.read_bytes()))
CASES = ORACLE["cases"]
COMPUTED = [c for c in CASES if not c.get("error")]
FAILED = [c for c in CASES if c.get("error")]

ASSURANCE_ICON = {"consistent_pass": "pass", "consistent_fail": "fail", "inconsistent": "inconsistent"}
TOL = 1e-9


def run(case: dict):
    a = case["args"]
    return spc(
        list(zip((date.fromisoformat(x) for x in case["input"]["x"]), case["input"]["y"], strict=True)),
        improvement_direction=a["improvement_direction"],
        target=a["target"],
        fix_after_n_points=a["fix_after_n_points"],
        rebase_dates=[date.fromisoformat(d) for d in a["rebase"]],
        screen_outliers=a["screen_outliers"],
    )


def same_number(ours: float | None, theirs: float | None) -> bool:
    """R's NA and NaN are null in the fixture, None here."""
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return math.isclose(ours, theirs, rel_tol=TOL, abs_tol=TOL)


def rule(flag: float | None) -> bool:
    """A rule column as the package's case_when() reads it: NA is not TRUE."""
    return flag is not None and flag != 0


def mismatches(case: dict) -> list[str]:
    result = run(case)
    r = case["points"]
    n = len(r["x"])
    bad: list[str] = []
    if len(result.points) != n:
        return [f"{len(result.points)} points, R has {n}"]

    def check(field: str, ours: list, theirs: list, numeric: bool = False) -> None:
        for i, (o, t) in enumerate(zip(ours, theirs, strict=True)):
            if not (same_number(o, t) if numeric else o == t):
                bad.append(f"{r['x'][i]} {field}: ours {o!r}, R {t!r}")

    pts = result.points
    check("x", [p.date.isoformat() for p in pts], r["x"])
    check("y", [p.value for p in pts], r["y"], numeric=True)
    check("rebase_group", [p.rebase_group for p in pts], r["rebase_group"])
    check("short_group_warning", [p.provisional for p in pts], r["short_group_warning"])
    for ours_name, theirs_name in (("mean", "mean"), ("lpl", "lpl"), ("upl", "upl"), ("target", "target")):
        check(theirs_name, [getattr(p, ours_name) for p in pts], r[theirs_name], numeric=True)
    check("relative_to_mean", [p.relative_to_mean for p in pts], r["relative_to_mean"])
    check("outside_limits", [p.outside_limits for p in pts], r["outside_limits"])
    check("close_to_limits", [p.close_to_limits for p in pts], r["close_to_limits"])
    check("part_trend", [p.part_of_trend for p in pts], [rule(v) for v in r["part_trend"]])
    check("part_two_in_three", [p.part_of_two_in_three for p in pts], [rule(v) for v in r["part_two_in_three"]])
    check("part_shift", [p.part_of_shift for p in pts], [rule(v) for v in r["part_shift"]])
    check("special_cause_type", [p.special_cause_type for p in pts], r["special_cause_type"])
    check("special_cause_flag", [p.special_cause_flag for p in pts], r["special_cause_flag"])
    check("point_type", [p.point_type for p in pts], r["point_type"])

    s = case["summary"]
    segs = result.segments
    if len(segs) != len(s["rebase_group"]):
        bad.append(f"{len(segs)} segments, R's summary has {len(s['rebase_group'])}")
        return bad
    for k, seg in enumerate(segs):
        where = f"summary[{k}]"
        if seg.rebase_group != s["rebase_group"][k]:
            bad.append(f"{where} rebase_group: ours {seg.rebase_group}, R {s['rebase_group'][k]}")
        for name in ("mean", "lpl", "upl"):
            if not same_number(getattr(seg.limits, name), s[name][k]):
                bad.append(f"{where} {name}: ours {getattr(seg.limits, name)!r}, R {s[name][k]!r}")
        for name in ("n", "common_cause", "special_cause_improvement", "special_cause_concern", "variation_type"):
            if getattr(seg, name) != s[name][k]:
                bad.append(f"{where} {name}: ours {getattr(seg, name)!r}, R {s[name][k]!r}")
        # summary() gives the assurance on the last rebase group only
        ours_assurance = result.assurance_type if k == len(segs) - 1 else None
        if ours_assurance != s["assurance_type"][k]:
            bad.append(f"{where} assurance_type: ours {ours_assurance!r}, R {s['assurance_type'][k]!r}")

    icons = case["icons"]
    if result.variation_icon != icons.get("variation"):
        bad.append(f"variation icon: ours {result.variation_icon!r}, R {icons.get('variation')!r}")
    ours_icon = ASSURANCE_ICON.get(result.assurance_type or "")
    if ours_icon != icons.get("assurance"):
        bad.append(f"assurance icon: ours {ours_icon!r}, R {icons.get('assurance')!r}")
    if result.provisional != r["short_group_warning"][-1]:
        bad.append(f"provisional: ours {result.provisional}, R {r['short_group_warning'][-1]}")
    return bad


def test_fixture_is_from_the_release():
    meta = ORACLE["meta"]
    assert meta["package"] == "NHSRplotthedots" and meta["package_version"] == "0.2.2"
    assert meta["package_commit"].startswith("050b07d")
    assert meta["n_cases"] == len(CASES) > 500
    assert sum(len(c["input"]["x"]) for c in COMPUTED) > 10_000


@pytest.mark.parametrize("case", COMPUTED, ids=[c["id"] for c in COMPUTED])
def test_point_by_point(case):
    bad = mismatches(case)
    assert not bad, f"{case['id']}: {len(bad)} differences from R, first: " + "; ".join(bad[:8])


def test_mean_and_limits_agree_to_the_last_bit():
    """SPC.md's claim: the same double arithmetic in the same order, and a correctly rounded mean, give R's bits.

    This is what makes a value exactly on the mean (or a limit) classified as the package classifies it.
    """
    compared = 0
    for case in COMPUTED:
        result = run(case)
        for k, p in enumerate(result.points):
            for name in ("mean", "lpl", "upl"):
                theirs = case["points"][name][k]
                if theirs is not None:
                    assert getattr(p, name) == theirs, (case["id"], p.date, name)
                    compared += 1
    assert compared > 50_000


def test_the_package_stops_only_on_a_gap_inside_a_would_be_trend():
    """Where the package raises, every case is a series with a gap and the error is the trend rule's `if (NA)`.

    The package raises when a 7-point window holding a gap has all its other steps rising (or all falling).
    SPC.md: we answer those with no trend through the gap; every trend we flag lies in 7 rows with values.
    """
    assert FAILED, "the fixture should keep the cases where the package fails"
    for case in FAILED:
        assert None in case["input"]["y"], case["id"]
        assert "missing value where TRUE/FALSE needed" in case["error"], case["id"]
        assert "if (all(d == " in case["error"], case["id"]
        pts = run(case).points
        assert len(pts) == len(case["input"]["x"])
        for i, p in enumerate(pts):
            if p.part_of_trend:
                assert any(
                    all(q.value is not None and q.rebase_group == p.rebase_group for q in pts[s : s + 7])
                    for s in range(max(0, i - 6), min(i, len(pts) - 7) + 1)
                ), (case["id"], p.date)
