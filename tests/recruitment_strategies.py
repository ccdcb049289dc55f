"""Hypothesis strategies for the pure scoring, results and fairness modules of recruitment-api.

Panels are small integer score matrices (candidates x assessors) on the 1-4 scale used for
values-based interviews; score maps are assessor -> score with None for "not evidenced".
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from recruitment_api.fairness.adverse_impact import GroupOutcome
from recruitment_api.scoring.reliability import Rating

ASSESSORS = tuple(f"assessor-{i}" for i in range(1, 9))


def candidate_name(i: int) -> str:
    return f"candidate-{i:02d}"


@st.composite
def panels(
    draw,
    min_candidates: int = 3,
    max_candidates: int = 12,
    min_assessors: int = 2,
    max_assessors: int = 5,
    low: int = 1,
    high: int = 4,
) -> np.ndarray:
    """A fully crossed panel: candidates x assessors of integer scores, as floats."""
    n = draw(st.integers(min_candidates, max_candidates))
    k = draw(st.integers(min_assessors, max_assessors))
    cells = draw(st.lists(st.integers(low, high), min_size=n * k, max_size=n * k))
    return np.array(cells, dtype=float).reshape(n, k)


def ratings_from_matrix(matrix: np.ndarray, assessors: list[list[str]] | None = None) -> list[Rating]:
    """Ratings for a candidates x ratings matrix; NaN cells are left out.

    Column j is assessor ASSESSORS[j] unless `assessors[i][j]` names the assessor of cell (i, j).
    """
    ratings = []
    for i, row in enumerate(matrix):
        for j, score in enumerate(row):
            if np.isnan(score):
                continue
            who = assessors[i][j] if assessors is not None else ASSESSORS[j]
            ratings.append(Rating(candidate=candidate_name(i), assessor=who, score=float(score)))
    return ratings


@st.composite
def sparse_reliability_data(draw, max_raters: int = 5, max_units: int = 12, high: int = 4) -> np.ndarray:
    """Raters x units of scores 1..high with randomly missing cells.

    At least one unit has two or more values and the values are not all the same.
    """
    raters = draw(st.integers(2, max_raters))
    units = draw(st.integers(2, max_units))
    cells = draw(st.lists(st.one_of(st.none(), st.integers(1, high)), min_size=raters * units, max_size=raters * units))
    data = np.array([np.nan if c is None else float(c) for c in cells]).reshape(raters, units)
    # Make sure the data can be paired: the first unit gets two different ratings if it has fewer than two.
    if (~np.isnan(data[:, 0])).sum() < 2:
        data[0, 0], data[1, 0] = 1.0, float(high)
    present = data[~np.isnan(data)]
    if np.unique(present).size < 2:
        data[0, 0], data[1, 0] = 1.0, float(high)
    return data


score_maps = st.dictionaries(
    st.sampled_from(ASSESSORS[:5]), st.one_of(st.none(), st.integers(1, 4)), min_size=0, max_size=5
)


@st.composite
def group_outcomes(draw, max_groups: int = 5, max_considered: int = 60) -> list[GroupOutcome]:
    names = draw(st.lists(st.sampled_from("ABCDEFGH"), min_size=1, max_size=max_groups, unique=True))
    outcomes = []
    for name in names:
        considered = draw(st.integers(0, max_considered))
        selected = draw(st.integers(0, considered))
        outcomes.append(GroupOutcome(group=f"group {name}", considered=considered, selected=selected))
    return outcomes
