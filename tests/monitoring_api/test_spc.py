"""SPC against NHSRplotthedots 0.2.2 (commit 050b07d): its documented example, the numbers in its testthat files
and snapshots, every edge case its code decides, and properties that must hold for any data.

Expected values marked "snapshot" are those the package's tests/testthat/_snaps files print (7 significant
digits); "vignette" values are printed there to 2 decimals; values derived by hand are exact.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from monitoring_api.indicators import spc as m
from monitoring_api.indicators.spc import (
    CONSISTENT_FAIL,
    CONSISTENT_PASS,
    INCONSISTENT,
    LIMIT,
    NEAR_LIMIT,
    Limits,
    Point,
    TargetPeriod,
    assurance_type,
    part_of_run,
    point_type,
    process_limits,
    shift_run_ends,
    spc,
    special_cause_types,
    trend_run_ends,
    two_in_three,
    variation_icon,
)

FIXTURES = Path(__file__).with_name("fixtures")
RNORM = json.loads((FIXTURES / "r_rnorm.json").read_text())
START = date(2020, 1, 2)  # the package's tests use as.Date("2020-01-01") + 1:n


def day(i: int) -> date:
    return START + timedelta(days=i)


def series(values, start: date = START) -> list[Point]:
    return [Point(start + timedelta(days=i), v) for i, v in enumerate(values)]


def types(result) -> list[str | None]:
    return [p.point_type for p in result.points]


def labels(result) -> list[str | None]:
    return [p.special_cause_type for p in result.points]


def close(a: float | None, b: float, rel: float = 5e-7) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=rel)


# A baseline of 12 points with mean exactly 0 and every moving range exactly 1 (so AMR 1, and limits
# exactly +/- 2.66 and +/- NEAR_LIMIT as doubles). Points after it are judged against those limits.
FLAT = [0.5, -0.5] * 6


def after_flat(*values: float | None, **kw):
    return spc(series(FLAT + list(values)), fix_after_n_points=12, **kw)


def after_wide(*values: float | None, **kw):
    """After a baseline with mean 0 and AMR 40: limits +/- 106.4, so nothing small is outside or close."""
    return spc(series([20.0, -20.0] * 6 + list(values)), fix_after_n_points=12, **kw)


# ---------------------------------------------------------------------------------------------
# The package's documented example (vignettes/deviations.Rmd)

DEVIATIONS = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def test_deviations_example_screened_by_default():
    r = spc(series(DEVIATIONS, date(2021, 3, 22)))
    p = r.points[0]
    # vignette caption: UPL 4.6, mean 1.94, LPL -0.72
    assert (round(p.upl, 2), round(p.mean, 2), round(p.lpl, 2)) == (4.6, 1.94, -0.72)
    # by hand: mean 35/18; moving ranges 1,1,1,8,9 and twelve 1s, AMR 32/17; 8 and 9 are >= 3.267 x 32/17 and go
    assert p.mean == float(Fraction(35, 18))
    assert r.segments[0].limits.amr == 1.0
    assert p.upl == pytest.approx(35 / 18 + 2.66, abs=1e-12)
    assert p.lpl == pytest.approx(35 / 18 - 2.66, abs=1e-12)
    # vignette caption: four grey points, one blue (improvement) point, twelve more grey
    assert types(r) == ["common_cause"] * 4 + ["special_cause_improvement"] + ["common_cause"] * 13
    assert r.points[4].special_cause_type == "Above UCL"


def test_deviations_example_unscreened_is_the_excel_tool():
    r = spc(series(DEVIATIONS, date(2021, 3, 22)), screen_outliers=False)
    p = r.points[0]
    # vignette caption: UPL 6.95, mean 1.94, LPL -3.06
    assert (round(p.upl, 2), round(p.mean, 2), round(p.lpl, 2)) == (6.95, 1.94, -3.06)
    assert r.segments[0].limits.amr == float(Fraction(32, 17))
    assert p.upl == pytest.approx(35 / 18 + 2.66 * 32 / 17, abs=1e-12)
    assert p.lpl == pytest.approx(35 / 18 - 2.66 * 32 / 17, abs=1e-12)
    assert types(r) == ["common_cause"] * 4 + ["special_cause_improvement"] + ["common_cause"] * 13


# ---------------------------------------------------------------------------------------------
# tests/testthat/test-ptd_spc_standard.R and its snapshot (set.seed(123); rnorm(20))

Y20 = RNORM["rnorm_20"]


def test_fixture_is_what_r_prints():
    # the first values the snapshot prints for y
    assert [round(v, 8) for v in Y20[:4]] == [-0.56047565, -0.23017749, 1.55870831, 0.07050839]


def test_spc_standard_snapshot_r1():
    r = spc(series(Y20))
    assert {p.mean for p in r.points} == {r.points[0].mean}
    p = r.points[0]
    assert close(p.mean, 0.1416238)
    assert close(p.lpl, -3.01138)
    assert close(p.upl, 3.294627)
    assert [q.relative_to_mean for q in r.points[:15]] == [-1, -1, 1, -1, -1, 1, 1, -1, -1, -1, 1, 1, 1, -1, -1]
    assert [q.outside_limits for q in r.points[:8]] == [False] * 8
    assert [q.close_to_limits for q in r.points[:8]] == [False] * 8
    assert [q.rebase_group for q in r.points] == [0] * 20


def test_spc_standard_snapshot_r2_r3_screening():
    y = list(Y20)
    y[14] = 10  # data$y[15] <- 10
    r1, r2, r3 = spc(series(Y20)), spc(series(y)), spc(series(y), screen_outliers=False)
    a, b, c = r1.points[0], r2.points[0], r3.points[0]
    assert close(b.mean, 0.6694159) and close(c.mean, 0.6694159)
    assert close(b.lpl, -2.383666) and close(b.upl, 3.722497)
    assert close(c.lpl, -4.596625) and close(c.upl, 5.935457)
    assert [q.relative_to_mean for q in r2.points[:14]] == [-1, -1, 1, -1, -1, 1, -1, -1, -1, -1, 1, -1, -1, -1]
    assert len({a.lpl, b.lpl, c.lpl}) == 3 and len({a.upl, b.upl, c.upl}) == 3
    assert c.upl - c.lpl > b.upl - b.lpl


def test_spc_standard_fix_after_n_points_changes_limits():
    s0 = spc(series(Y20)).points[0]
    s1 = spc(series(Y20), fix_after_n_points=12).points[0]
    assert s1.lpl != s0.lpl and s1.upl != s0.upl
    assert s1.mean == m._mean(Y20[:12])


def test_spc_standard_rebase_group():
    r = spc(series(Y20), rebase_dates=[day(10)])
    assert [p.rebase_group for p in r.points] == [0] * 10 + [1] * 10


def test_two_of_three_close_to_limits_on_opposite_sides_is_common_cause():
    data = [1.0, -1.0] * 8
    data[14], data[15] = 5.5, -5.5
    r = spc(series(data))
    assert r.points[14].close_to_limits and r.points[15].close_to_limits
    assert types(r)[-2:] == ["common_cause", "common_cause"]


# ---------------------------------------------------------------------------------------------
# tests/testthat/test-ptd_spc.R summary() snapshots


def test_summary_snapshot_whole_series():
    r = spc(series(Y20), target=0.5)
    (seg,) = r.segments
    assert round(seg.limits.mean, 3) == 0.142 and round(seg.limits.lpl, 2) == -3.01 and round(seg.limits.upl, 2) == 3.29
    assert (seg.n, seg.common_cause, seg.special_cause_improvement, seg.special_cause_concern) == (20, 20, 0, 0)
    assert seg.variation_type == "common_cause" == r.variation_type
    assert r.assurance_type == INCONSISTENT


def test_summary_snapshot_rebase_on_a_date_before_the_data_is_ignored():
    # rebase = as.Date("2020-01-01"): the data start on 2020-01-02, so there is one group, numbered 0
    r = spc(series(Y20), rebase_dates=[date(2020, 1, 1)])
    assert [s.rebase_group for s in r.segments] == [0]
    assert r.points[0].upl == spc(series(Y20)).points[0].upl


def test_summary_snapshot_facets():
    # facet 0 is the first 10 values, facet 1 the last 10; our API charts one series at a time
    f0, f1 = spc(series(Y20[:10])).segments[0], spc(series(Y20[10:])).segments[0]
    assert (round(f0.limits.mean, 4), round(f0.limits.lpl, 2), round(f0.limits.upl, 2)) == (0.0746, -2.60, 2.75)
    assert (round(f1.limits.mean, 3), round(f1.limits.lpl, 2), round(f1.limits.upl, 2)) == (0.209, -3.28, 3.70)
    assert f0.n == f1.n == 10 and f0.provisional and f1.provisional


# ---------------------------------------------------------------------------------------------
# tests/testthat/test-geom_ptd_icon.R (set.seed(123); rnorm(24), then rnorm(12, 5), then rnorm(12, -5))

Y24 = RNORM["rnorm_24"]
Y24_HIGH = Y24[:12] + RNORM["then_rnorm_12_mean_5"]
Y24_LOW = Y24[:12] + RNORM["then_rnorm_12_mean_minus_5"]


@pytest.mark.parametrize(
    ("values", "kw", "icons"),
    [
        (Y24, {}, ("common_cause", None)),  # s1
        (Y24, {"target": 0.5}, ("common_cause", INCONSISTENT)),  # s2
        (Y24[:12], {}, ("common_cause", None)),  # s3, facet 0
        (Y24[12:], {"target": 0.5}, ("common_cause", INCONSISTENT)),  # s4, facet 1
        (Y24_HIGH, {"target": -3}, ("improvement_high", CONSISTENT_PASS)),  # s5
        (Y24_HIGH, {"target": -3, "improvement_direction": "decrease"}, ("concern_high", CONSISTENT_FAIL)),  # s6
        (Y24_LOW, {"target": 3}, ("concern_low", CONSISTENT_FAIL)),  # s7
        (Y24_LOW, {"target": 3, "improvement_direction": "decrease"}, ("improvement_low", CONSISTENT_PASS)),  # s8
        (Y24_LOW, {"target": 3, "improvement_direction": "neutral"}, ("neutral_low", None)),  # s9
    ],
)
def test_icons(values, kw, icons):
    r = spc(series(values), **kw)
    assert (r.variation_icon, r.assurance_type) == icons


# ---------------------------------------------------------------------------------------------
# tests/testthat/test-ptd_calculate_point_type.R: the rule building blocks


def test_seven_points_one_side_of_the_mean():
    assert shift_run_ends([]) == []
    assert shift_run_ends([1] * 6) == [False] * 6
    assert shift_run_ends([1] * 6 + [-1]) == [False] * 7
    assert shift_run_ends([1] * 8 + [-1]) == [False] * 6 + [True, True, False]
    assert shift_run_ends([-1] * 8 + [1]) == [False] * 6 + [True, True, False]


def test_part_of_a_seven_point_run():
    assert part_of_run([], 7) == []
    assert part_of_run([0] * 6, 7) == [False] * 6
    assert part_of_run([0] * 6 + [1, 0], 7) == [True] * 7 + [False]
    assert part_of_run([0] * 7 + [1, 0], 7) == [False] + [True] * 7 + [False]
    assert part_of_run([0] * 6 + [-1, 0], 7) == [True] * 7 + [False]
    assert part_of_run([0] * 7 + [-1, 0], 7) == [False] + [True] * 7 + [False]


def test_seven_point_trend():
    assert trend_run_ends([]) == []
    assert trend_run_ends([1, 2, 3, 4, 5, 6]) == [0] * 6
    assert trend_run_ends([1, 2, 3, 3, 4, 5, 6]) == [0] * 7  # an equal value breaks it
    assert trend_run_ends([1, 2, 3, 4, 5, 6, 7]) == [0] * 6 + [1]
    assert trend_run_ends([2, 1, 2, 3, 4, 5, 6, 7, 3]) == [0] * 7 + [1, 0]
    assert trend_run_ends([7, 6, 5, 4, 3, 2, 1]) == [0] * 6 + [-1]
    assert trend_run_ends([2, 7, 6, 5, 4, 3, 2, 1, 3]) == [0] * 7 + [-1, 0]


def test_two_in_three():
    assert two_in_three([], []) == []
    assert two_in_three([False] * 3, [0] * 3) == [False] * 3
    for flags in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        assert two_in_three([bool(f) for f in flags], [1, 1, 1]) == [True] * 3
    assert two_in_three([bool(f) for f in [0, 0, 1, 0, 1, 0, 0]], [1] * 7) == [0, 0, 1, 1, 1, 0, 0]
    assert two_in_three([bool(f) for f in [0, 0, 1, 1, 0, 0, 0]], [1] * 7) == [0, 1, 1, 1, 1, 0, 0]


def test_two_in_three_needs_all_three_on_one_side_of_the_mean():
    for flags in ([1, 0, 1], [0, 1, 1], [1, 1, 0]):
        assert two_in_three([bool(f) for f in flags], [1, -1, 1]) == [False] * 3
    assert two_in_three([bool(f) for f in [0, 0, 1, 0, 1, 0, 0]], [1, -1, 1, -1, 1, -1, 1]) == [False] * 7
    assert two_in_three([bool(f) for f in [0, 0, 1, 1, 0, 0, 0]], [-1, 1, -1, 1, -1, 1, -1]) == [False] * 7


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([1, 0, 1], [1, 0, 1]),
        ([0, 1, 1], [0, 1, 1]),
        ([1, 1, 0], [1, 1, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0]),
        ([1, 0, 0, 1], [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [0, 0, 0, 1, 1]),
    ],
)
def test_part_of_two_in_three_is_only_the_points_in_the_band(flags, expected):
    # the package's ptd_part_of_two_in_three: a qualifying window flags its points in the band, not the third
    fl = [bool(f) for f in flags]
    part = [q and f for q, f in zip(two_in_three(fl, [1] * len(fl)), fl, strict=True)]
    assert part == [bool(e) for e in expected]


def test_special_cause_type_precedence_as_the_package_mocks_it():
    got = special_cause_types(
        values=list(range(1, 9)),
        rtm=[1] * 4 + [-1] * 4,
        outside=[False] * 5 + [True, True, False],
        part_trend=[True, True] + [False] * 6,
        part_two_in_three=[False] * 4 + [True] + [False] * 3,
        part_shift=[False, False, True, True] + [False] * 4,
    )
    assert got == [
        "7 Point Trend (Increasing)",
        "7 Point Trend (Increasing)",
        "7 Points Above CL",
        "7 Points Above CL",
        "2 in 3 Below CL",
        "Below LCL",
        "Below LCL",
        "Common Cause",
    ]


IMP, CON = "special_cause_improvement", "special_cause_concern"
HIGH, LOW = "special_cause_neutral_high", "special_cause_neutral_low"


@pytest.mark.parametrize(
    ("label", "increase", "decrease", "neutral"),
    [
        ("Above UCL", IMP, CON, HIGH),
        ("Below LCL", CON, IMP, LOW),
        ("7 Point Trend (Increasing)", IMP, CON, HIGH),
        ("7 Point Trend (Decreasing)", CON, IMP, LOW),
        ("2 in 3 Above CL", IMP, CON, HIGH),
        ("2 in 3 Below CL", CON, IMP, LOW),
        ("7 Points Above CL", IMP, CON, HIGH),
        ("7 Points Below CL", CON, IMP, LOW),
        ("Common Cause", "common_cause", "common_cause", "common_cause"),
    ],
)
def test_point_type_by_direction(label, increase, decrease, neutral):
    assert point_type(label, "increase") == increase
    assert point_type(label, "decrease") == decrease
    assert point_type(label, "neutral") == neutral


@pytest.mark.parametrize(
    ("ptype", "direction", "icon"),
    [
        ("common_cause", "increase", "common_cause"),
        ("special_cause_improvement", "increase", "improvement_high"),
        ("special_cause_improvement", "decrease", "improvement_low"),
        ("special_cause_concern", "increase", "concern_low"),
        ("special_cause_concern", "decrease", "concern_high"),
        ("special_cause_neutral_high", "neutral", "neutral_high"),
        ("special_cause_neutral_low", "neutral", "neutral_low"),
        (None, "increase", None),
    ],
)
def test_variation_icon_names_are_the_package_icon_files(ptype, direction, icon):
    assert variation_icon(ptype, direction) == icon


# ---------------------------------------------------------------------------------------------
# tests/testthat/test-ptd_calculate_assurance_type.R


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("increase", [CONSISTENT_FAIL, CONSISTENT_PASS, INCONSISTENT]),
        ("decrease", [CONSISTENT_PASS, CONSISTENT_FAIL, INCONSISTENT]),
        ("neutral", [None, None, None]),
    ],
)
def test_assurance(direction, expected):
    limits = [(1, 3), (5, 7), (1, 5)]  # target 4 is above, below, within
    assert [assurance_type(4, lpl, upl, direction) for lpl, upl in limits] == expected


def test_no_target_no_assurance():
    assert assurance_type(None, 1, 3, "increase") is None
    assert spc(series(Y20)).assurance_type is None


def test_assurance_on_a_limit_is_inconsistent():
    # comparisons are strict: a target equal to a limit is within
    assert assurance_type(3, 1, 3, "increase") == INCONSISTENT
    assert assurance_type(1, 1, 3, "increase") == INCONSISTENT


def test_assurance_uses_the_last_segment_after_a_rebase():
    # issue #172: after a rebase the icon must come from the new limits
    before = [50.0, 60.0, 55.0, 65.0, 52.0, 58.0, 61.0, 57.0, 54.0, 63.0, 56.0, 59.0, 62.0, 53.0]
    after = [91.0, 97.0, 88.0, 95.0, 90.0, 99.0, 86.0, 93.0, 96.0, 89.0, 94.0, 92.0, 98.0, 87.0]
    alone = spc(series(before), target=90)
    assert alone.assurance_type == CONSISTENT_FAIL
    r = spc(series(before + after), target=90, rebase_dates=[day(len(before))])
    assert r.assurance_type == INCONSISTENT
    assert r.points[-1].upl == spc(series(after), target=90).points[0].upl


def test_assurance_without_limits_is_inconsistent():
    # the package compares the target with NA limits, no case matches, and it falls through to "inconsistent"
    assert assurance_type(5, None, None, "increase") == INCONSISTENT
    assert spc(series([3.0]), target=5).assurance_type == INCONSISTENT


# ---------------------------------------------------------------------------------------------
# tests/testthat/test-ptd_add_short_group_warnings.R and test-ptd_add_rebase_column.R, test-ptd_add_target_column.R


def test_provisional_below_13_rows():
    # ptd_add_short_group_warnings: short_group_warning = n() < 13 (its default threshold)
    assert spc(series(range(12))).provisional is True
    assert all(p.provisional for p in spc(series(range(12))).points)
    assert spc(series(range(13))).provisional is False


def test_provisional_per_segment():
    values = [float(i % 5) for i in range(80)]
    dates = [day(35), day(40), day(60)]
    r = spc(series(values), rebase_dates=dates)
    assert [p.provisional for p in r.points] == [False] * 35 + [True] * 5 + [False] * 40
    assert [s.n for s in r.segments] == [35, 5, 20, 20]
    assert [s.provisional for s in r.segments] == [False, True, False, False]


def test_rebase_flags_the_dates_given():
    r = spc(series(range(10)), rebase_dates=[date(2020, 1, 3), date(2020, 1, 8)])
    assert [p.rebase_group for p in r.points] == [0, 1, 1, 1, 1, 1, 2, 2, 2, 2]


def test_a_single_target_applies_to_every_point():
    r = spc(series(Y20), target=0.9)
    assert [p.target for p in r.points] == [0.9] * 20


# ---------------------------------------------------------------------------------------------
# Ties and boundaries


def test_limits_of_the_flat_baseline_are_exact():
    p = after_flat().points[0]
    assert (p.mean, p.lpl, p.upl) == (0.0, -LIMIT, LIMIT)
    assert (p.near_lpl, p.near_upl) == (-NEAR_LIMIT, NEAR_LIMIT)
    assert NEAR_LIMIT == 2 * (2.66 / 3)


def test_a_point_on_the_process_limit_is_close_not_outside():
    r = after_flat(LIMIT, -LIMIT)
    assert [(p.outside_limits, p.close_to_limits) for p in r.points[12:]] == [(False, True), (False, True)]


def test_a_point_on_the_near_limit_is_not_close():
    r = after_flat(NEAR_LIMIT, -NEAR_LIMIT)
    assert [(p.outside_limits, p.close_to_limits) for p in r.points[12:]] == [(False, False), (False, False)]


def test_just_beyond_the_process_limit_is_outside():
    r = after_flat(math.nextafter(LIMIT, math.inf), math.nextafter(-LIMIT, -math.inf))
    assert labels(r)[12:] == ["Above UCL", "Below LCL"]


def test_a_point_on_the_mean_breaks_a_shift():
    on_side = after_flat(*[1.0] * 7)
    assert labels(on_side)[12:] == ["7 Points Above CL"] * 7
    broken = after_flat(*[1.0] * 3, 0.0, *[1.0] * 3)
    assert broken.points[15].relative_to_mean == 0
    assert labels(broken)[12:] == ["Common Cause"] * 7


def test_an_equal_value_breaks_a_trend():
    # the package's ptd_seven_point_trend test c(1:3, 3:6), within limits here
    rising = after_flat(-1.5, -1.0, -0.5, 0.1, 0.5, 1.0, 1.5)
    assert labels(rising)[12:] == ["7 Point Trend (Increasing)"] * 7
    tied = after_flat(-1.5, -1.0, -0.5, -0.5, 0.5, 1.0, 1.5)
    assert labels(tied)[12:] == ["Common Cause"] * 7


def test_a_moving_range_at_exactly_the_screening_cutoff_is_screened():
    # k moving ranges of 1 and one of size big; find big with 3.267 x AMR == big exactly in doubles
    for k in range(2, 40):
        guess = 3.267 * k / (k - 2.267)
        for big in (guess, math.nextafter(guess, 0), math.nextafter(guess, math.inf)):
            values = [float(i % 2) for i in range(k + 1)]
            values.append(values[-1] + big)
            mrs = [1.0] * k + [abs(values[-1] - values[-2])]
            if 3.267 * m._mean(mrs) == mrs[-1]:
                assert process_limits(values).amr == 1.0  # strict <: the tie is screened out
                assert process_limits(values, screen_outliers=False).amr == m._mean(mrs)
                return
    pytest.fail("no exact tie found")


def test_the_screening_cutoff_is_relative_to_the_unscreened_amr_once():
    # one pass only: the AMR is recomputed once after screening, not iterated
    values = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 6, 0, 30, 0]
    mrs = [1] * 10 + [6, 6, 30, 30]
    amr0 = sum(mrs) / len(mrs)
    kept = [x for x in mrs if x < 3.267 * amr0]
    assert process_limits(values).amr == pytest.approx(sum(kept) / len(kept), abs=1e-15)
    assert 6 in kept  # would go in a second pass, stays in the package's one pass


# ---------------------------------------------------------------------------------------------
# Gaps (value None): the package keeps the row with NA (issue #156 is its open bug on gaps)


def test_a_gap_is_left_out_of_the_mean_and_breaks_the_moving_ranges():
    lim = process_limits([1.0, None, 5.0, 6.0])
    assert lim.mean == 4.0
    assert lim.amr == 1.0  # only |6 - 5|; no moving range across the gap
    assert process_limits([1.0, 5.0, 6.0]).amr == 2.5


def test_a_gap_point():
    r = spc(series([1.0, 2.0, None, 1.0, 2.0]))
    gap = r.points[2]
    assert gap.value is None and gap.mean == r.points[0].mean and gap.upl == r.points[0].upl
    assert (gap.relative_to_mean, gap.outside_limits, gap.close_to_limits) == (None, None, None)
    assert (gap.special_cause_type, gap.point_type, gap.special_cause_flag) == ("Common Cause", "common_cause", False)


def test_nan_is_a_gap():
    assert spc(series([1.0, math.nan, 3.0])).points[1].value is None


def test_a_gap_counts_as_a_row_of_the_baseline_and_of_the_segment():
    # fix_y <- ifelse(row_number() <= fix_after_n_points, y, NA): rows, gaps included
    values = [None] + [float(i % 3) for i in range(12)] + [100.0]
    r = spc(series(values), fix_after_n_points=12)
    assert r.points[0].mean == m._mean([float(i % 3) for i in range(11)])
    assert [p.baseline for p in r.points] == [True] * 12 + [False] * 2
    # n() counts the gap: 12 rows, one a gap, is still provisional; 13 rows are not
    assert spc(series([None] + [1.0, 2.0] * 6)).provisional is False
    assert spc(series([None] + [1.0, 2.0] * 5 + [1.0])).provisional is True


def test_a_gap_breaks_a_shift_and_a_trend():
    shift = after_flat(1.0, 1.0, 1.0, None, 1.0, 1.0, 1.0, 1.0)
    assert labels(shift)[12:] == ["Common Cause"] * 8
    shift_after_gap = after_flat(None, *[1.0] * 7)
    assert labels(shift_after_gap)[13:] == ["7 Points Above CL"] * 7
    # the package errors ("missing value where TRUE/FALSE needed") on a trend window with a gap whose other
    # steps all rise; here such a window simply does not qualify
    trend = after_flat(-1.5, -1.0, -0.5, None, 0.5, 1.0, 1.5, 2.0)
    assert labels(trend)[12:] == ["Common Cause"] * 8


def test_a_gap_breaks_two_in_three():
    r = after_flat(2.0, None, 2.0)
    assert labels(r)[12:] == ["Common Cause"] * 3
    assert labels(after_flat(2.0, 1.0, 2.0))[12:] == ["2 in 3 Above CL", "Common Cause", "2 in 3 Above CL"]


def test_a_trailing_gap_gives_common_cause_as_the_package_does():
    r = after_flat(*[1.0] * 7, None)
    assert r.points[-2].point_type == "special_cause_improvement"
    assert r.variation_type == "common_cause" and r.variation_icon == "common_cause"


def test_a_segment_of_gaps():
    r = spc(series([None, None, None]), target=1)
    assert {(p.mean, p.upl) for p in r.points} == {(None, None)}
    assert types(r) == ["common_cause"] * 3
    assert r.assurance_type == INCONSISTENT


# ---------------------------------------------------------------------------------------------
# Short and degenerate segments


def test_empty():
    r = spc([])
    assert r.points == () and r.segments == ()
    assert (r.variation_type, r.variation_icon, r.assurance_type) == (None, None, None)


def test_one_point_has_a_mean_but_no_limits():
    (p,) = spc(series([4.0])).points
    assert (p.mean, p.lpl, p.upl, p.near_lpl, p.near_upl) == (4.0, None, None, None, None)
    assert (p.relative_to_mean, p.outside_limits, p.close_to_limits, p.point_type) == (0, None, None, "common_cause")


def test_two_points():
    r = spc(series([1.0, 3.0]))
    assert r.points[0].mean == 2.0 and r.segments[0].limits.amr == 2.0  # 2 < 3.267 x 2: kept
    assert r.points[0].upl == 2.0 + 2.66 * 2.0


def test_constant_values_screened_have_no_limits():
    # every moving range is 0, and 0 < 3.267 x 0 is false: all are screened and the AMR is NaN in the package
    r = spc(series([5.0] * 15))
    assert r.points[0].mean == 5.0 and r.points[0].upl is None and r.segments[0].limits.amr is None
    assert set(types(r)) == {"common_cause"}
    assert [p.relative_to_mean for p in r.points] == [0] * 15


def test_constant_values_unscreened_have_limits_on_the_mean():
    r = spc(series([5.0] * 15), screen_outliers=False)
    p = r.points[0]
    assert (p.lpl, p.mean, p.upl) == (5.0, 5.0, 5.0)
    assert set(types(r)) == {"common_cause"}


def test_fix_after_n_points_larger_than_the_segment_is_all_points():
    assert spc(series(Y20), fix_after_n_points=50) == spc(series(Y20))


def test_fix_after_n_points_judges_later_points_against_the_baseline():
    r = after_flat(5.0, 0.1)
    assert r.points[0].upl == LIMIT
    assert labels(r)[12:] == ["Above UCL", "Common Cause"]
    assert [p.baseline for p in r.points] == [True] * 12 + [False] * 2


@pytest.mark.parametrize("n", [11, 0, -1, 12.0, True])
def test_fix_after_n_points_must_be_a_whole_number_of_at_least_12(n):
    with pytest.raises(ValueError, match="fix_after_n_points"):
        spc(series(Y20), fix_after_n_points=n)


def test_fix_after_n_points_applies_to_each_segment():
    values = Y20 + [v + 10 for v in Y20]
    r = spc(series(values), fix_after_n_points=12, rebase_dates=[day(20)])
    assert r.points[0].mean == m._mean(Y20[:12])
    assert r.points[-1].mean == m._mean([v + 10 for v in Y20][:12])


# ---------------------------------------------------------------------------------------------
# Rebasing


def test_rebase_on_a_date_not_in_the_data_is_ignored():
    # ptd_add_rebase_column: rebase <- x %in% rebase dates; a date with no row marks nothing
    r = spc(series(Y20), rebase_dates=[date(2019, 6, 1)])
    assert len(r.segments) == 1
    between = spc(series(Y20[:5]) + series(Y20[5:], day(6)), rebase_dates=[day(5)])  # day 5 has no point
    assert len(between.segments) == 1


def test_rebase_on_the_first_date_numbers_the_only_group_1():
    r = spc(series(Y20), rebase_dates=[day(0)])
    assert {p.rebase_group for p in r.points} == {1} and r.points[0].upl == spc(series(Y20)).points[0].upl


def test_rebase_restarts_everything():
    values = [1.0] * 4 + [2.0] * 6
    r = spc(series(values), rebase_dates=[day(4)])
    assert [p.mean for p in r.points] == [1.0] * 4 + [2.0] * 6
    assert set(types(r)) == {"common_cause"}
    # no run spans a rebase: seven points above the mean, split 4 + 3 by a rebase, are no shift
    assert labels(after_flat(*[1.0] * 7))[12:] == ["7 Points Above CL"] * 7
    split = after_flat(*[1.0] * 7, rebase_dates=[day(16)])
    assert set(labels(split)) == {"Common Cause"}


# ---------------------------------------------------------------------------------------------
# Rules, precedence and directions


def test_every_point_of_a_trend_is_flagged_and_a_trend_crossing_the_mean_is_one_colour():
    # issue #171: a trend crossing the mean; issue #167: falling trends are flagged too
    up = after_flat(-1.5, -1.0, -0.5, 0.1, 0.5, 1.0, 1.5)
    assert types(up)[12:] == ["special_cause_improvement"] * 7
    down = after_flat(1.5, 1.0, 0.5, -0.1, -0.5, -1.0, -1.5)
    assert types(down)[12:] == ["special_cause_concern"] * 7


def test_outside_the_limits_outranks_a_trend():
    r = after_flat(-1.5, -1.0, -0.5, 0.1, 0.5, 1.0, 3.0)
    assert labels(r)[12:] == ["7 Point Trend (Increasing)"] * 6 + ["Above UCL"]
    assert r.points[-1].part_of_trend and r.points[-1].outside_limits


def test_a_trend_outranks_two_in_three_which_outranks_a_shift():
    r = after_flat(0.2, 0.3, 0.4, 0.5, 0.6, 1.9, 2.0)
    assert labels(r)[12:] == ["7 Point Trend (Increasing)"] * 7
    assert r.points[-1].part_of_two_in_three and r.points[-1].part_of_shift
    s = after_flat(0.5, 0.6, 0.5, 0.6, 0.5, 2.0, 2.0)
    assert labels(s)[12:] == ["7 Points Above CL"] * 5 + ["2 in 3 Above CL"] * 2


def test_two_in_three_flags_only_the_points_in_the_band():
    r = after_flat(0.0, 2.0, 0.5, 2.0, 0.0)
    assert labels(r)[12:] == ["Common Cause", "2 in 3 Above CL", "Common Cause", "2 in 3 Above CL", "Common Cause"]


def test_two_in_three_does_not_count_a_point_outside_the_limits():
    # issue #153: beyond 3 sigma, beyond 3 sigma, within 2-3 sigma: the last is common cause in the package
    r = after_flat(3.0, 3.0, 2.0)
    assert labels(r)[12:] == ["Above UCL", "Above UCL", "Common Cause"]
    r = after_flat(3.0, 2.0, 2.0)
    assert labels(r)[12:] == ["Above UCL", "2 in 3 Above CL", "2 in 3 Above CL"]


def test_two_sigma_counts_every_point_beyond_two_sigma():
    # Making Data Count's 2023 reading: points beyond 3 sigma count towards 2 of 3 too
    r = after_flat(3.0, 3.0, 2.0, two_sigma=True)
    assert labels(r)[12:] == ["Above UCL", "Above UCL", "2 in 3 Above CL"]
    assert [p.part_of_two_in_three for p in r.points[12:]] == [True, True, True]
    r = after_flat(3.0, 0.5, 2.0, two_sigma=True)
    assert labels(r)[12:] == ["Above UCL", "Common Cause", "2 in 3 Above CL"]
    # still all three on one side of the mean
    assert labels(after_flat(3.0, -0.5, 2.0, two_sigma=True))[12:] == ["Above UCL", "Common Cause", "Common Cause"]
    # close_to_limits keeps the package's meaning
    assert [p.close_to_limits for p in r.points[12:]] == [False, False, True]


def test_neutral_direction_is_high_or_low():
    r = after_flat(3.0, -3.0, improvement_direction="neutral")
    assert types(r)[12:] == ["special_cause_neutral_high", "special_cause_neutral_low"]
    assert r.variation_icon == "neutral_low"
    r = after_flat(*[-1.0] * 7, improvement_direction="neutral")
    assert types(r)[12:] == ["special_cause_neutral_low"] * 7


def test_decrease_direction():
    r = after_flat(3.0, -3.0, improvement_direction="decrease")
    assert types(r)[12:] == ["special_cause_concern", "special_cause_improvement"]
    assert r.variation_icon == "improvement_low"


def test_trend_direction_where_two_trends_meet_follows_the_package():
    # The package reads a trend point's direction from the step to the next point when that point is part of a
    # trend too. Where a rising trend ends and another starts at an equal value, that step is 0 and the point
    # is labelled "Decreasing" (a concern for "increase"), although both trends rise. Kept for fidelity.
    r = after_wide(1.0, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13)
    assert all(p.part_of_trend for p in r.points[11:])  # -20 -> 1 is a rise too
    assert labels(r)[18] == "7 Point Trend (Decreasing)"
    assert types(r)[18] == "special_cause_concern"
    assert set(labels(r)[11:18] + labels(r)[19:]) == {"7 Point Trend (Increasing)"}
    # a peak shared by a rise and a fall is read with the fall
    peak = after_wide(1.0, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1)
    assert labels(peak)[11:] == ["7 Point Trend (Increasing)"] * 7 + ["7 Point Trend (Decreasing)"] * 7


def test_run_lengths_are_parameters():
    six_up = after_flat(-1.0, -0.5, 0.1, 0.5, 1.0, 1.5)
    assert labels(six_up)[12:] == ["Common Cause"] * 6
    assert (
        labels(spc(series([*FLAT, -1.0, -0.5, 0.1, 0.5, 1.0, 1.5]), fix_after_n_points=12, trend_points=6))[12:]
        == ["6 Point Trend (Increasing)"] * 6
    )
    six_above = after_flat(*[1.0] * 6)
    assert labels(six_above)[12:] == ["Common Cause"] * 6
    r = spc(series(FLAT + [1.0] * 6), fix_after_n_points=12, shift_points=6)
    assert labels(r)[12:] == ["6 Points Above CL"] * 6
    with pytest.raises(ValueError, match="trend_points"):
        spc(series(Y20), trend_points=1)


# ---------------------------------------------------------------------------------------------
# Targets that change over time


def test_varying_target_uses_the_one_in_force_at_the_last_point():
    targets = [TargetPeriod(day(0), 5.0), (day(15), -5.0)]
    r = spc(series(Y20), target=targets)
    assert [p.target for p in r.points] == [5.0] * 15 + [-5.0] * 5
    assert r.assurance_type == CONSISTENT_PASS  # -5 is below the lower limit
    later = spc(series(Y20), target=[(day(0), 5.0), (day(30), -5.0)])
    assert later.assurance_type == CONSISTENT_FAIL
    before_any = spc(series(Y20), target=[(day(30), 5.0)])
    assert before_any.points[-1].target is None and before_any.assurance_type is None


def test_targets_must_not_share_a_start():
    with pytest.raises(ValueError, match="same date"):
        spc(series(Y20), target=[(day(0), 1.0), (day(0), 2.0)])


# ---------------------------------------------------------------------------------------------
# Ghosted points (beyond the package)


def test_a_ghosted_point_is_shown_with_its_segment_limits_and_left_out_of_everything():
    values = [1.0, 2.0, 1.0, 2.0, 30.0, 1.0, 2.0, 1.0, 2.0]
    r = spc(series(values), ghosted_dates=[day(4)], target=1.5)
    without = spc(series(values[:4] + values[5:]), target=1.5)
    g = r.points[4]
    assert g.ghosted and g.value == 30.0 and g.point_type is None and g.special_cause_type is None
    assert (g.relative_to_mean, g.outside_limits, g.close_to_limits, g.baseline) == (None, None, None, False)
    assert not (g.part_of_trend or g.part_of_two_in_three or g.part_of_shift or g.special_cause_flag)
    assert (g.mean, g.lpl, g.upl) == (without.points[0].mean, without.points[0].lpl, without.points[0].upl)
    kept = [replace(p, date=q.date) for p, q in zip(r.points[:4] + r.points[5:], without.points, strict=True)]
    assert kept == list(without.points)
    assert r.segments[0].n == 8


def test_a_ghosted_point_neither_breaks_nor_joins_a_run():
    r = after_flat(1.0, 1.0, 1.0, -2.0, 1.0, 1.0, 1.0, 1.0, ghosted_dates=[day(15)])
    shift = "7 Points Above CL"
    assert [p.special_cause_type for p in r.points[12:]] == [shift] * 3 + [None] + [shift] * 4


def test_ghosted_points_do_not_count_towards_the_baseline_or_the_segment_size():
    r = spc(series([100.0, *FLAT, 5.0]), fix_after_n_points=12, ghosted_dates=[day(0)])
    assert r.points[1].mean == 0.0 and r.points[1].upl == LIMIT
    assert r.points[-1].special_cause_type == "Above UCL"
    assert spc(series([1.0, 2.0] * 6 + [1.0]), ghosted_dates=[day(0)]).provisional is True


def test_the_icons_come_from_the_last_point_not_ghosted():
    r = after_flat(*[1.0] * 7, -9.0, ghosted_dates=[day(19)], target=-5.0)
    assert r.variation_type == "special_cause_improvement" and r.variation_icon == "improvement_high"
    assert r.assurance_type == CONSISTENT_PASS
    everything = spc(series([1.0, 2.0]), ghosted_dates=[day(0), day(1)])
    assert (everything.variation_icon, everything.assurance_type) == (None, None)
    assert everything.segments[0].limits.mean is None


def test_ghosting_a_gap_joins_its_neighbours():
    assert spc(series([1.0, None, 4.0]), ghosted_dates=[day(1)]).segments[0].limits.amr == 3.0


def test_a_rebase_on_a_ghosted_date_still_starts_a_segment():
    r = spc(series([1.0, 2.0, 9.0, 10.0, 9.0]), rebase_dates=[day(2)], ghosted_dates=[day(2)])
    assert [p.rebase_group for p in r.points] == [0, 0, 1, 1, 1]
    assert r.points[2].mean == 9.5


# ---------------------------------------------------------------------------------------------
# Input


def test_points_are_put_in_date_order_and_tuples_are_accepted():
    forward = spc(series(Y20))
    backward = spc([(p.date, p.value) for p in reversed(series(Y20))])
    assert forward == backward


def test_duplicate_dates_are_refused():
    with pytest.raises(ValueError, match="more than one value"):
        spc([(day(0), 1.0), (day(0), 2.0)])


@pytest.mark.parametrize("bad", [math.inf, -math.inf, "1", True])
def test_values_must_be_finite_numbers(bad):
    with pytest.raises(ValueError, match="finite"):
        spc([(day(0), bad)])


def test_direction_must_be_known():
    with pytest.raises(ValueError, match="improvement_direction"):
        spc(series(Y20), improvement_direction="up")


# ---------------------------------------------------------------------------------------------
# Properties

ints = st.integers(min_value=-30, max_value=30)
int_series = st.lists(ints, min_size=0, max_size=40)
gappy_series = st.lists(st.one_of(ints.map(float), st.none()), min_size=0, max_size=40)
float_series = st.lists(
    st.one_of(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.none()), min_size=0, max_size=40
)
directions = st.sampled_from(["increase", "decrease", "neutral"])


def borderline(values, result, eps=1e-9) -> bool:
    """True when a value sits within eps of a limit, or a moving range within eps of the screening cutoff."""
    for seg in result.segments:
        lim = seg.limits
        if lim.amr is None:
            continue
        edges = [lim.lpl, lim.upl, lim.near_lpl, lim.near_upl, lim.mean]
        for p in result.points:
            if p.rebase_group != seg.rebase_group or p.value is None:
                continue
            if any(abs(p.value - e) < eps * max(1.0, abs(e)) for e in edges if e is not None):
                return True
    vals = [v for v in values if v is not None]
    mrs = [abs(b - a) for a, b in itertools.pairwise(vals)]
    if mrs:
        cutoff = 3.267 * sum(mrs) / len(mrs)
        if any(abs(x - cutoff) < eps * max(1.0, cutoff) for x in mrs):
            return True
    return False


@given(float_series)
def test_limits_are_symmetric_about_the_mean(values):
    r = spc(series(values))
    for p in r.points:
        if p.upl is not None:
            assert math.isclose(p.upl - p.mean, p.mean - p.lpl, rel_tol=1e-9, abs_tol=1e-6)
            assert p.lpl <= p.near_lpl <= p.mean <= p.near_upl <= p.upl


@given(float_series, st.booleans())
def test_limits_agree_with_pandas(values, screen):
    r = spc(series(values), screen_outliers=screen)
    s = pd.Series([math.nan if v is None else v for v in values], dtype=float)
    mean = s.mean()
    mr = s.diff().abs()
    amr = mr.mean()
    if screen and not math.isnan(amr):
        cutoff = 3.267 * amr
        assume(not any(abs(x - cutoff) <= 1e-9 * max(1.0, cutoff) for x in mr.dropna()))
        amr = mr[mr < cutoff].mean()
    lim = r.segments[0].limits if r.segments else Limits(None, None, None, None, None, None)
    if math.isnan(mean):
        assert lim.mean is None
    else:
        assert lim.mean == pytest.approx(mean, rel=1e-12, abs=1e-6)
    if math.isnan(mean) or math.isnan(amr):
        assert lim.upl is None and lim.lpl is None
    else:
        assert lim.amr == pytest.approx(amr, rel=1e-12, abs=1e-6)
        assert lim.upl == pytest.approx(mean + 2.66 * amr, rel=1e-9, abs=1e-6)


def brute_force_parts(values, rtm, band, trend_points=7, shift_points=7):
    """Every qualifying window enumerated, its points collected: an independent reading of the rules."""
    n = len(values)
    trend, two, shift = set(), set(), set()
    for s in range(n):
        w = list(range(s, s + trend_points))
        if w[-1] < n and all(values[i] is not None for i in w):
            steps = [values[b] - values[a] for a, b in itertools.pairwise(w)]
            if all(d > 0 for d in steps) or all(d < 0 for d in steps):
                trend.update(w)
        w = list(range(s, s + shift_points))
        if w[-1] < n and all(rtm[i] is not None for i in w) and len({rtm[i] for i in w}) == 1 and rtm[s] != 0:
            shift.update(w)
        w = [s, s + 1, s + 2]
        one_side = w[-1] < n and all(rtm[i] in (1, -1) for i in w) and len({rtm[i] for i in w}) == 1
        if one_side and all(band[i] is not None for i in w) and sum(band[i] for i in w) >= 2:
            two.update(i for i in w if band[i])
    return trend, two, shift


@given(gappy_series, st.booleans(), st.integers(min_value=2, max_value=8), st.integers(min_value=2, max_value=8))
def test_rules_flag_exactly_the_points_of_qualifying_runs(values, two_sigma, trend_points, shift_points):
    r = spc(series(values), two_sigma=two_sigma, trend_points=trend_points, shift_points=shift_points)
    rtm = [p.relative_to_mean for p in r.points]
    if two_sigma:
        band = [None if p.close_to_limits is None else p.close_to_limits or p.outside_limits for p in r.points]
    else:
        band = [p.close_to_limits for p in r.points]
    trend, two, shift = brute_force_parts(values, rtm, band, trend_points, shift_points)
    assert {i for i, p in enumerate(r.points) if p.part_of_trend} == trend
    assert {i for i, p in enumerate(r.points) if p.part_of_two_in_three} == two
    assert {i for i, p in enumerate(r.points) if p.part_of_shift} == shift


@given(gappy_series, directions, st.booleans())
def test_precedence(values, direction, two_sigma):
    r = spc(series(values), improvement_direction=direction, two_sigma=two_sigma)
    for p in r.points:
        label = p.special_cause_type
        if p.outside_limits:
            assert label in ("Above UCL", "Below LCL")
        elif p.part_of_trend:
            assert "Point Trend" in label
        elif p.part_of_two_in_three:
            assert label.startswith("2 in 3")
        elif p.part_of_shift:
            assert "Points" in label and "Trend" not in label
        else:
            assert label == "Common Cause"
        assert p.special_cause_flag == (label != "Common Cause")
        assert (p.point_type == "common_cause") == (label == "Common Cause")
        if p.value is None:
            assert p.point_type == "common_cause"
        if label in ("Above UCL",) or label.startswith(("2 in 3 Above", "7 Points Above")):
            assert p.relative_to_mean == 1


@given(int_series, st.integers(min_value=-1000, max_value=1000))
def test_shifting_all_values_shifts_mean_and_limits_and_keeps_point_types(values, c):
    a = spc(series([float(v) for v in values]))
    b = spc(series([float(v + c) for v in values]))
    assume(not borderline(values, a))
    for p, q in zip(a.points, b.points, strict=True):
        if p.upl is not None:
            assert q.mean == pytest.approx(p.mean + c, abs=1e-9)
            assert q.upl == pytest.approx(p.upl + c, abs=1e-9)
            assert q.lpl == pytest.approx(p.lpl + c, abs=1e-9)
    assert types(a) == types(b)


@given(gappy_series, st.integers(min_value=-20, max_value=20))
def test_scaling_by_a_power_of_two_is_exact(values, j):
    k = 2.0**j
    a = spc(series(values))
    b = spc(series([None if v is None else v * k for v in values]))
    for p, q in zip(a.points, b.points, strict=True):
        for f in ("mean", "lpl", "upl", "near_lpl", "near_upl"):
            x, y = getattr(p, f), getattr(q, f)
            assert (x is None and y is None) or y == x * k
    assert labels(a) == labels(b)


@given(float_series, st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_by_a_positive_number_scales_the_limits(values, k):
    a = spc(series(values))
    assume(not borderline(values, a))
    b = spc(series([None if v is None else v * k for v in values]))
    for p, q in zip(a.points, b.points, strict=True):
        if p.upl is not None:
            assert q.upl == pytest.approx(p.upl * k, rel=1e-9, abs=1e-6)
            assert q.lpl == pytest.approx(p.lpl * k, rel=1e-9, abs=1e-6)


SWAP = {
    "special_cause_improvement": "special_cause_concern",
    "special_cause_concern": "special_cause_improvement",
    "common_cause": "common_cause",
}


@given(gappy_series)
def test_reversing_the_direction_swaps_improvement_and_concern(values):
    up = spc(series(values), improvement_direction="increase")
    down = spc(series(values), improvement_direction="decrease")
    neutral = spc(series(values), improvement_direction="neutral")
    assert labels(up) == labels(down) == labels(neutral)
    assert [SWAP[t] for t in types(up)] == types(down)
    for t, n in zip(types(up), types(neutral), strict=True):
        expected = {
            "special_cause_improvement": "special_cause_neutral_high",
            "special_cause_concern": "special_cause_neutral_low",
        }.get(t, t)
        assert n == expected


def mirror(label: str) -> str:
    swapped = {"Above UCL": "Below LCL", "Below LCL": "Above UCL"}
    if label in swapped:
        return swapped[label]
    for a, b in (("Above", "Below"), ("Increasing", "Decreasing")):
        if a in label:
            return label.replace(a, b)
        if b in label:
            return label.replace(b, a)
    return label


@given(gappy_series)
def test_negating_the_values_mirrors_everything(values):
    present = [v for v in values if v is not None]
    assume(all(a != b for a, b in itertools.pairwise(present)))  # see the trend-direction test
    a = spc(series(values))
    b = spc(series([None if v is None else -v for v in values]))
    for p, q in zip(a.points, b.points, strict=True):
        assert (p.mean is None and q.mean is None) or q.mean == -p.mean
        assert (p.upl is None and q.lpl is None) or q.lpl == -p.upl
        assert q.special_cause_type == mirror(p.special_cause_type)
    assert [SWAP[t] for t in types(a)] == types(b)


@given(gappy_series, gappy_series, st.booleans())
def test_a_rebase_is_two_independent_charts(first, second, screen):
    assume(first and second)
    whole = spc(series(first + second), rebase_dates=[day(len(first))], screen_outliers=screen)
    one, two = spc(series(first), screen_outliers=screen), spc(series(second, day(len(first))), screen_outliers=screen)
    assert [replace(p, rebase_group=0) for p in whole.points[: len(first)]] == list(one.points)
    assert [replace(p, rebase_group=0) for p in whole.points[len(first) :]] == list(two.points)
    assert (whole.variation_icon, whole.assurance_type) == (two.variation_icon, two.assurance_type)


@given(gappy_series, st.data())
def test_ghosting_is_removing_the_point_from_the_calculation(values, data):
    assume(values)
    i = data.draw(st.integers(min_value=0, max_value=len(values) - 1))
    pts = series(values)
    ghosted = spc(pts, ghosted_dates=[pts[i].date])
    removed = spc(pts[:i] + pts[i + 1 :])
    assert list(ghosted.points[:i] + ghosted.points[i + 1 :]) == list(removed.points)
    assert ghosted.variation_icon == removed.variation_icon


@given(gappy_series.filter(lambda v: len(v) >= 1), st.integers(min_value=12, max_value=60))
def test_fix_after_n_points_is_the_first_n_rows(values, n):
    fixed = spc(series(values), fix_after_n_points=n)
    lim = process_limits(values[:n])
    assert fixed.points[0].mean == lim.mean and fixed.points[0].upl == lim.upl
    if n >= len(values):
        assert fixed == spc(series(values))


@given(int_series, directions, st.one_of(st.none(), ints.map(float)))
def test_icons_follow_the_last_point(values, direction, target):
    assume(values)
    r = spc(series([float(v) for v in values]), improvement_direction=direction, target=target)
    last = r.points[-1]
    assert r.variation_type == last.point_type
    assert r.variation_icon == variation_icon(last.point_type, direction)
    assert r.assurance_type == assurance_type(target, last.lpl, last.upl, direction)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300), min_size=1))
def test_the_mean_is_the_exact_mean_rounded_once(values):
    assert m._mean(values) == float(sum((Fraction(v) for v in values), Fraction(0)) / len(values))
