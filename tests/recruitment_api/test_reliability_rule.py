"""Reliability, issue 6: one rule for estimates outside -1 to 1, a reason beside every null, and the
95% confidence interval of each ICC checked against pingouin's F-distribution intervals."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recruitment_strategies import ASSESSORS, panels, ratings_from_matrix

from recruitment_api.scoring.reliability import (
    ALPHA_ORDINAL,
    ICC_1_K,
    ICC_2_1,
    ICC_2_K,
    Rating,
    icc_oneway_average,
    icc_twoway_average,
    icc_twoway_single,
    leniency,
    reliability,
)

PINGOUIN_NAMES = {ICC_1_K: ("ICC1k", "ICC(1,k)"), ICC_2_1: ("ICC2", "ICC(A,1)"), ICC_2_K: ("ICC2k", "ICC(A,k)")}

# Two assessors who disagree more than the four candidates differ: pingouin gives ICC(A,k) 5.33,
# ICC(A,1) -1.6 and ICC(1,k) -12, none of them a correlation.
DISAGREEING = np.array([[2, 4], [4, 2], [3, 2], [2, 4]], dtype=float)


def pingouin_table(matrix: np.ndarray) -> dict[str, tuple[float, tuple[float, float]]]:
    """name -> (ICC, CI95) from pingouin at full precision (it rounds the interval to 2 decimals by default)."""
    frame = pd.DataFrame(
        [(i, j, matrix[i, j]) for i in range(matrix.shape[0]) for j in range(matrix.shape[1])],
        columns=["target", "rater", "score"],
    )
    saved = pingouin.options.get("round.column.CI95")
    pingouin.options["round.column.CI95"] = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = pingouin.intraclass_corr(data=frame, targets="target", raters="rater", ratings="score")
    finally:
        pingouin.options["round.column.CI95"] = saved
    ci_column = "CI95" if "CI95" in table else "CI95%"
    rows = {
        t: (float(v), (float(ci[0]), float(ci[1])))
        for t, v, ci in zip(table["Type"], table["ICC"], table[ci_column], strict=True)
    }
    return {ours: next(rows[n] for n in theirs if n in rows) for ours, theirs in PINGOUIN_NAMES.items()}


def clipped(bounds: tuple[float, float]) -> tuple[float, float]:
    return tuple(min(1.0, max(-1.0, b)) for b in bounds)


def stepped_up(bound: float, k: int) -> float:
    """Spearman-Brown from one assessor to k, -1 at and past its pole (where pingouin wraps round)."""
    denominator = 1 + (k - 1) * bound
    return min(1.0, max(-1.0, k * bound / denominator)) if denominator > 0 else -1.0


def check_reasons(coefficients) -> None:
    for c in coefficients:
        assert (c.value is None) == (c.reason is not None), c
        assert (c.value is None) == (c.band is None), c
        assert (c.ci95 is None) == (c.ci95_reason is not None), c
        if c.value is not None:
            assert -1 <= c.value <= 1
        if c.ci95 is not None:
            assert c.value is not None and all(math.isfinite(b) for b in c.ci95) and c.ci95[0] <= c.ci95[1]


def one_way_ratings(matrix: np.ndarray, offset: int = 0) -> list[Rating]:
    who = [[ASSESSORS[(offset + i + j) % len(ASSESSORS)] for j in range(matrix.shape[1])] for i in range(len(matrix))]
    return ratings_from_matrix(matrix, who)


def test_an_estimate_outside_minus_one_to_one_is_null_with_its_reason_whichever_side():
    raw = pingouin_table(DISAGREEING)
    assert raw[ICC_2_K][0] > 1 and raw[ICC_2_1][0] < -1 and raw[ICC_1_K][0] < -1
    # The low-level estimators give what pingouin gives; the report applies the rule.
    assert icc_twoway_average(DISAGREEING) == pytest.approx(raw[ICC_2_K][0], abs=1e-9)
    assert icc_twoway_single(DISAGREEING) == pytest.approx(raw[ICC_2_1][0], abs=1e-9)
    assert icc_oneway_average(DISAGREEING) == pytest.approx(raw[ICC_1_K][0], abs=1e-9)
    crossed = {c.name: c for c in reliability(ratings_from_matrix(DISAGREEING)).coefficients}
    one_way = {c.name: c for c in reliability(one_way_ratings(DISAGREEING)).coefficients}
    for coefficient in (crossed[ICC_2_1], crossed[ICC_2_K], one_way[ICC_1_K]):
        assert coefficient.value is None and coefficient.band is None
        assert "outside -1 to 1" in coefficient.reason, coefficient.reason
        assert coefficient.ci95 is None and coefficient.ci95_reason
    assert "5.33" in crossed[ICC_2_K].reason and "-1.6" in crossed[ICC_2_1].reason
    check_reasons(crossed.values())


@settings(max_examples=60, deadline=None)
@given(panels(min_candidates=3))
def test_fully_crossed_intervals_match_pingouin(matrix):
    theirs = pingouin_table(matrix)
    report = {c.name: c for c in reliability(ratings_from_matrix(matrix)).coefficients}
    check_reasons(report.values())
    k = matrix.shape[1]
    single_bounds = theirs[ICC_2_1][1]
    for name in (ICC_2_1, ICC_2_K):
        ours, (estimate, (low, high)) = report[name], theirs[name]
        if ours.value is None:
            assert not -1 <= estimate <= 1 or not math.isfinite(estimate) or np.ptp(matrix) == 0, (name, estimate)
            continue
        assert ours.value == pytest.approx(estimate, abs=1e-9)
        if ours.ci95 is None:
            assert not (math.isfinite(low) and math.isfinite(high)), (name, low, high)
            continue
        if name == ICC_2_K:
            for single, average in zip(single_bounds, (low, high), strict=True):
                if 1 + (k - 1) * single > 0:  # pingouin's own ICC(A,k) bounds, away from the pole
                    assert stepped_up(single, k) == pytest.approx(min(1.0, max(-1.0, average)), abs=1e-9)
            expected = tuple(stepped_up(b, k) for b in single_bounds)
        else:
            expected = clipped((low, high))
        assert ours.ci95 == (pytest.approx(expected[0], abs=1e-9), pytest.approx(expected[1], abs=1e-9)), name


@settings(max_examples=40, deadline=None)
@given(panels(min_candidates=3, min_assessors=2, max_assessors=5), st.integers(0, 7))
def test_one_way_interval_matches_pingouin(matrix, offset):
    estimate, (low, high) = pingouin_table(matrix)[ICC_1_K]
    icc = next(c for c in reliability(one_way_ratings(matrix, offset)).coefficients if c.name == ICC_1_K)
    check_reasons([icc])
    if icc.value is None:
        assert not -1 <= estimate <= 1 or not math.isfinite(estimate) or np.ptp(matrix) == 0
        return
    assert icc.value == pytest.approx(estimate, abs=1e-9)
    if icc.ci95 is not None:
        expected = clipped((low, high))
        assert icc.ci95 == (pytest.approx(expected[0], abs=1e-9), pytest.approx(expected[1], abs=1e-9))
    else:
        assert not (math.isfinite(low) and math.isfinite(high))


def test_shrout_fleiss_intervals():
    """Shrout & Fleiss (1979) table 2 data, at pingouin's default rounding of intervals (2 decimals)."""
    matrix = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    report = {c.name: c for c in reliability(ratings_from_matrix(matrix)).coefficients}
    assert [round(b, 2) for b in report[ICC_2_1].ci95] == [0.02, 0.76]
    assert [round(b, 2) for b in report[ICC_2_K].ci95] == [0.07, 0.93]
    one_way = {c.name: c for c in reliability(one_way_ratings(matrix)).coefficients}
    assert [round(b, 2) for b in one_way[ICC_1_K].ci95] == [-0.88, 0.91]


@settings(max_examples=80, deadline=None)
@given(panels(min_candidates=1, max_candidates=8, min_assessors=1, max_assessors=4), st.data())
def test_every_null_has_a_reason(matrix, data):
    holed = matrix.copy()
    if data.draw(st.booleans()):
        holed[0, 0] = np.nan
    check_reasons(reliability(ratings_from_matrix(holed)).coefficients)
    for entry in leniency(ratings_from_matrix(holed)):
        assert (entry.z is None) == (entry.z_reason is not None)


@pytest.mark.parametrize(
    ("ratings", "words"),
    [
        ([], "at least 2 candidates"),
        ([Rating("c1", "a1", 3), Rating("c1", "a2", 2)], "at least 2 candidates"),
        ([Rating("c1", "a1", 3), Rating("c2", "a1", 2)], "at least 2 assessors"),
        ([Rating(c, a, 2) for c in ("c1", "c2", "c3") for a in ("a1", "a2")], "same"),
    ],
)
def test_degenerate_panels_say_why(ratings, words):
    report = reliability(ratings)
    check_reasons(report.coefficients)
    icc = [c for c in report.coefficients if c.name != ALPHA_ORDINAL]
    assert icc and all(words in c.reason for c in icc), [c.reason for c in icc]


def test_alpha_has_no_analytic_interval_and_says_so():
    ragged = [Rating("c1", "a1", 1), Rating("c1", "a2", 2), Rating("c2", "a1", 3), Rating("c2", "a2", 4)]
    ragged += [Rating("c3", "a1", 2), Rating("c3", "a2", 2), Rating("c3", "a3", 4)]
    (alpha,) = reliability(ragged).coefficients
    assert alpha.value is not None and alpha.ci95 is None and "bootstrap" in alpha.ci95_reason


def test_leniency_without_spread_says_why():
    (only,) = leniency([Rating("c1", "a1", 3), Rating("c2", "a1", 3)])
    assert only.z is None and "same" in only.z_reason


def test_the_service_starts_without_scipy():
    """The F quantiles come from scipy, imported when an interval is first computed: scipy.stats
    at start-up added 80 MB to every recruitment-api process (the import benchmark's budget is 300)."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, recruitment_api.main; print(any(m.startswith('scipy') for m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"
