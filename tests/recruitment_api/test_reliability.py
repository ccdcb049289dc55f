"""Inter-rater reliability: ICCs against pingouin, Krippendorff's alpha against krippendorff, invariants."""

from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from recruitment_strategies import ASSESSORS, candidate_name, panels, ratings_from_matrix, sparse_reliability_data

from recruitment_api.scoring.reliability import (
    ALPHA_ORDINAL,
    FULLY_CROSSED,
    ICC_1_K,
    ICC_2_1,
    ICC_2_K,
    ONE_WAY,
    RAGGED,
    Coefficient,
    Rating,
    alpha_band,
    icc_band,
    icc_oneway_average,
    icc_twoway_average,
    icc_twoway_single,
    krippendorff_alpha_ordinal,
    leniency,
    reliability,
)

ICC_BANDS = ("poor", "moderate", "good", "excellent")
ALPHA_BANDS = ("unreliable", "tentative", "reliable")

# Shrout & Fleiss (1979), table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float
)

# Krippendorff's worked example (4 coders, 12 units, values 1-5), ordinal alpha 0.815.
KRIPPENDORFF_EXAMPLE = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)


def pingouin_iccs(matrix: np.ndarray) -> dict[str, float]:
    """ICC(1,k), ICC(2,1) and ICC(2,k) from pingouin, whichever naming its version uses."""
    frame = pd.DataFrame(
        [(i, j, matrix[i, j]) for i in range(matrix.shape[0]) for j in range(matrix.shape[1])],
        columns=["target", "rater", "score"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = pingouin.intraclass_corr(data=frame, targets="target", raters="rater", ratings="score")
    by_type = dict(zip(table["Type"], table["ICC"], strict=True))
    names = {ICC_1_K: ("ICC1k", "ICC(1,k)"), ICC_2_1: ("ICC2", "ICC(A,1)"), ICC_2_K: ("ICC2k", "ICC(A,k)")}
    return {ours: float(next(by_type[n] for n in theirs if n in by_type)) for ours, theirs in names.items()}


def undefined_in_pingouin(value: float) -> bool:
    """What pingouin gives where the report has no coefficient: NaN, infinity, rounding noise blown up,
    or an estimate outside -1 to 1 (the report's one rule)."""
    return not math.isfinite(value) or abs(value) > 1e6 or not -1 <= value <= 1


OURS = {ICC_1_K: icc_oneway_average, ICC_2_1: icc_twoway_single, ICC_2_K: icc_twoway_average}


# --- Oracles -------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(panels())
def test_iccs_match_pingouin(matrix):
    assume(np.ptp(matrix) > 0)
    expected = pingouin_iccs(matrix)
    for name, function in OURS.items():
        ours, theirs = function(matrix), expected[name]
        if math.isnan(ours):
            assert undefined_in_pingouin(theirs), (name, theirs)
            continue
        assume(math.isfinite(theirs))
        assert ours == pytest.approx(theirs, abs=1e-9), name


@settings(max_examples=40, deadline=None)
@given(panels(min_assessors=2, max_assessors=5), st.integers(0, 7))
def test_one_way_design_matches_pingouin_icc1k(matrix, offset):
    # Candidate i is rated by a rotating set of assessors, so no two neighbouring candidates share the same panel.
    who = [[ASSESSORS[(offset + i + j) % len(ASSESSORS)] for j in range(matrix.shape[1])] for i in range(len(matrix))]
    report = reliability(ratings_from_matrix(matrix, who))
    assert report.design == ONE_WAY
    assert [c.name for c in report.coefficients] == [ICC_1_K, ALPHA_ORDINAL]
    icc = report.coefficients[0]
    theirs = pingouin_iccs(matrix)[ICC_1_K]
    if icc.value is None:
        assert np.ptp(matrix) == 0 or undefined_in_pingouin(theirs)
    else:
        assert icc.value == pytest.approx(theirs, abs=1e-9)
        assert icc.band == icc_band(icc.value)


@settings(max_examples=80, deadline=None)
@given(sparse_reliability_data())
def test_alpha_matches_krippendorff(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # krippendorff divides 0 by 0 when the pairable values do not vary
        theirs = krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal")
    ours = krippendorff_alpha_ordinal(data)
    if math.isnan(theirs):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_shrout_fleiss_published_values():
    assert round(icc_twoway_single(SHROUT_FLEISS), 2) == 0.29
    assert round(icc_twoway_average(SHROUT_FLEISS), 2) == 0.62
    assert round(icc_oneway_average(SHROUT_FLEISS), 2) == 0.44


def test_krippendorff_published_ordinal_value():
    assert round(krippendorff_alpha_ordinal(KRIPPENDORFF_EXAMPLE), 3) == 0.815


# --- Invariants ----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(panels(), st.integers(-50, 50), st.sampled_from([0.5, 1.0, 2.0, 3.0, 10.0]))
def test_iccs_unchanged_by_shift_and_scale(matrix, shift, scale):
    moved = matrix * scale + shift
    for function in OURS.values():
        before, after = function(matrix), function(moved)
        if math.isnan(before):
            continue  # undefined stays undefined up to rounding noise, which the shift can change
        assert after == pytest.approx(before, rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(panels(), st.randoms(use_true_random=False))
def test_icc_invariant_to_order_of_candidates_and_assessors(matrix, rnd):
    rows = list(range(matrix.shape[0]))
    cols = list(range(matrix.shape[1]))
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    shuffled = matrix[rows][:, cols]
    for function in OURS.values():
        before, after = function(matrix), function(shuffled)
        assert (math.isnan(before) and math.isnan(after)) or after == pytest.approx(before, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(panels(), st.randoms(use_true_random=False))
def test_icc1k_invariant_to_order_within_each_candidate(matrix, rnd):
    """In the one-way design columns are not the same people, so their order within a row cannot matter."""
    shuffled = np.array([rnd.sample(list(row), len(row)) for row in matrix])
    before, after = icc_oneway_average(matrix), icc_oneway_average(shuffled)
    assert (math.isnan(before) and math.isnan(after)) or after == pytest.approx(before, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(panels())
def test_icc2k_is_spearman_brown_of_icc21(matrix):
    single, average = icc_twoway_single(matrix), icc_twoway_average(matrix)
    assume(not math.isnan(single) and not math.isnan(average))
    k = matrix.shape[1]
    assert average == pytest.approx(k * single / (1 + (k - 1) * single), abs=1e-9)
    assert single <= 1 + 1e-12
    # The average can pass 1 (past the Spearman-Brown pole); the report does not show it then.
    assert average <= 1 + 1e-12 or 1 + (k - 1) * single < 0


@settings(max_examples=60, deadline=None)
@given(panels(min_candidates=2))
def test_identical_assessors_give_perfect_icc(matrix):
    column = matrix[:, :1]
    assume(np.ptp(column) > 0)
    agreed = np.repeat(column, matrix.shape[1], axis=1)
    for function in OURS.values():
        assert function(agreed) == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=80, deadline=None)
@given(sparse_reliability_data(), st.sampled_from(["cube", "exp", "shift"]))
def test_alpha_ordinal_depends_only_on_order(data, transform):
    transformed = {"cube": lambda x: x**3, "exp": np.exp, "shift": lambda x: 10 * x - 7}[transform](data)
    before, after = krippendorff_alpha_ordinal(data), krippendorff_alpha_ordinal(transformed)
    assert (math.isnan(before) and math.isnan(after)) or after == pytest.approx(before, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 4), min_size=2, max_size=12).filter(lambda v: len(set(v)) > 1),
    st.integers(2, 5),
    st.data(),
)
def test_alpha_of_perfect_agreement_is_one(unit_values, raters, data):
    matrix = np.tile(np.array(unit_values, dtype=float), (raters, 1))
    # Randomly drop ratings, but leave each unit at least two, so every unit stays pairable.
    for u in range(len(unit_values)):
        drop = data.draw(st.sets(st.integers(0, raters - 1), max_size=raters - 2))
        for r in drop:
            matrix[r, u] = np.nan
    assert krippendorff_alpha_ordinal(matrix) == pytest.approx(1.0, abs=1e-12)


@given(st.floats(-2, 2, allow_nan=False), st.floats(-2, 2, allow_nan=False))
def test_bands_are_monotone(a, b):
    low, high = sorted((a, b))
    assert ICC_BANDS.index(icc_band(low)) <= ICC_BANDS.index(icc_band(high))
    assert ALPHA_BANDS.index(alpha_band(low)) <= ALPHA_BANDS.index(alpha_band(high))


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (-0.3, "poor"),
        (0.4999, "poor"),
        (0.5, "moderate"),
        (0.7499, "moderate"),
        (0.75, "good"),
        (0.8999, "good"),
        (0.9, "excellent"),
        (1.0, "excellent"),
    ],
)
def test_icc_band_boundaries(value, band):
    assert icc_band(value) == band


@pytest.mark.parametrize(
    ("value", "band"),
    [(0.6669, "unreliable"), (0.667, "tentative"), (0.7999, "tentative"), (0.8, "reliable"), (-1.0, "unreliable")],
)
def test_alpha_band_boundaries(value, band):
    assert alpha_band(value) == band


def test_bands_refuse_nan():
    with pytest.raises(ValueError):
        icc_band(math.nan)
    with pytest.raises(ValueError):
        alpha_band(math.nan)


# --- The report ---------------------------------------------------------------------------------


def check_coefficients(coefficients: tuple[Coefficient, ...]) -> None:
    for c in coefficients:
        assert (c.value is None) == (c.band is None)
        if c.value is not None:
            assert math.isfinite(c.value)
            assert c.band == (alpha_band(c.value) if c.name == ALPHA_ORDINAL else icc_band(c.value))


@settings(max_examples=60, deadline=None)
@given(panels(min_candidates=1, max_candidates=8, min_assessors=1, max_assessors=4))
@example(np.array([[2, 3], [3, 2], [4, 2], [2, 3], [2, 3], [3, 3], [2, 4], [4, 2]], dtype=float))  # ICC just below -1
def test_fully_crossed_panel_reports_icc2_and_alpha(matrix):
    report = reliability(ratings_from_matrix(matrix))
    assert report.design == FULLY_CROSSED
    assert [c.name for c in report.coefficients] == [ICC_2_1, ICC_2_K, ALPHA_ORDINAL]
    check_coefficients(report.coefficients)
    n, k = matrix.shape
    assert all((c.n_candidates, c.n_assessors) == (n, k) for c in report.coefficients)
    single, average, _ = report.coefficients
    if n < 2 or k < 2 or np.ptp(matrix) == 0:
        assert single.value is None
        assert average.value is None
    else:
        expected = icc_twoway_single(matrix)
        # The report's one rule: beyond -1 to 1 is no coefficient, except by rounding (1e-9), which
        # is reported as -1 or 1 (e.g. 8 x 2 panels whose ICC is -1.0000000000000002 here).
        outside = math.isnan(expected) or not -1 - 1e-9 <= expected <= 1 + 1e-9
        assert single.value == (None if outside else pytest.approx(min(1.0, max(-1.0, expected))))


@settings(max_examples=60, deadline=None)
@given(panels(min_candidates=2, max_candidates=8, min_assessors=3, max_assessors=5), st.data())
def test_a_missing_rating_makes_the_panel_ragged(matrix, data):
    i = data.draw(st.integers(0, matrix.shape[0] - 1))
    j = data.draw(st.integers(0, matrix.shape[1] - 1))
    holed = matrix.copy()
    holed[i, j] = np.nan
    report = reliability(ratings_from_matrix(holed))
    assert report.design == RAGGED
    assert [c.name for c in report.coefficients] == [ALPHA_ORDINAL]
    check_coefficients(report.coefficients)
    alpha = krippendorff_alpha_ordinal(holed.T)
    assert report.coefficients[0].value == (None if math.isnan(alpha) else pytest.approx(alpha))


@settings(max_examples=60, deadline=None)
@given(panels(min_candidates=1, max_candidates=6, min_assessors=1, max_assessors=4), st.integers(-3, 3))
def test_report_is_never_nan_and_shift_invariant(matrix, shift):
    first = reliability(ratings_from_matrix(matrix))
    second = reliability(ratings_from_matrix(matrix + shift))
    check_coefficients(first.coefficients)
    for a, b in zip(first.coefficients, second.coefficients, strict=True):
        if a.value is not None and b.value is not None:
            assert b.value == pytest.approx(a.value, abs=1e-9)


@pytest.mark.parametrize(
    "ratings",
    [
        [],
        [Rating("c1", "a1", 3), Rating("c1", "a2", 2)],  # one candidate
        [Rating("c1", "a1", 3), Rating("c2", "a1", 2)],  # one assessor
        [Rating(c, a, 2) for c in ("c1", "c2", "c3") for a in ("a1", "a2")],  # no variance at all
        [Rating("c1", "a1", 1), Rating("c2", "a2", 4)],  # one rating each: nothing is pairable
        [Rating("c1", "a1", 1), Rating("c1", "a2", 4), Rating("c2", "a1", 3)],  # one candidate is pairable
    ],
)
def test_degenerate_panels_give_none_not_errors(ratings):
    report = reliability(ratings)
    check_coefficients(report.coefficients)
    assert all(c.value is None for c in report.coefficients)


def test_fully_crossed_example():
    matrix = SHROUT_FLEISS
    report = reliability(ratings_from_matrix(matrix))
    values = {c.name: c for c in report.coefficients}
    assert values[ICC_2_1].value == pytest.approx(icc_twoway_single(matrix))
    assert values[ICC_2_1].band == "poor"
    assert values[ICC_2_K].band == "moderate"
    assert values[ALPHA_ORDINAL].value == pytest.approx(
        krippendorff.alpha(reliability_data=matrix.T, level_of_measurement="ordinal"), abs=1e-9
    )


def test_duplicate_or_non_finite_ratings_are_refused():
    with pytest.raises(ValueError, match="more than once"):
        reliability([Rating("c1", "a1", 3), Rating("c1", "a1", 2)])
    with pytest.raises(ValueError, match="finite"):
        reliability([Rating("c1", "a1", math.nan)])


def test_low_level_functions_refuse_bad_matrices():
    with pytest.raises(ValueError):
        icc_twoway_single(np.array([[1.0, 2.0]]))
    with pytest.raises(ValueError):
        icc_oneway_average(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValueError):
        krippendorff_alpha_ordinal(np.array([1.0, 2.0]))


# --- Leniency ------------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(panels(min_candidates=1, max_candidates=8, min_assessors=1, max_assessors=5), st.data())
def test_leniency_against_numpy(matrix, data):
    holed = matrix.copy()
    for i, j in data.draw(st.sets(st.tuples(st.integers(0, len(matrix) - 1), st.integers(0, matrix.shape[1] - 1)))):
        holed[i, j] = np.nan
    ratings = ratings_from_matrix(holed)
    result = leniency(ratings)
    assert [r.assessor for r in result] == sorted({r.assessor for r in ratings})
    if not ratings:
        assert result == ()
        return
    everything = np.array([r.score for r in ratings])
    sd = everything.std()
    for entry in result:
        own = np.array([r.score for r in ratings if r.assessor == entry.assessor])
        assert entry.n == len(own)
        assert entry.mean == pytest.approx(own.mean())
        if np.ptp(everything) == 0:
            assert entry.z is None
        else:
            assert entry.z == pytest.approx((own.mean() - everything.mean()) / sd)
    if np.ptp(everything) > 0:
        # Deviations weighted by the number of ratings balance out around the overall mean.
        assert sum(e.n * e.z for e in result) == pytest.approx(0, abs=1e-9)


def test_leniency_example():
    ratings = [Rating(candidate_name(i), "lenient", 4) for i in range(3)]
    ratings += [Rating(candidate_name(i), "severe", 2) for i in range(3)]
    lenient, severe = leniency(ratings)
    assert (lenient.assessor, lenient.mean, lenient.z, lenient.n) == ("lenient", 4.0, 1.0, 3)
    assert (severe.assessor, severe.mean, severe.z, severe.n) == ("severe", 2.0, -1.0, 3)
