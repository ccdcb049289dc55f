"""Results, issue 6: essentials are not values, totals over unscored criteria say so, and results from
per-criterion tallies (what the database aggregates) equal results from the assessors' scores."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recruitment_strategies import score_maps

from recruitment_api.results.calculation import (
    Criterion,
    EssentialResult,
    Thresholds,
    results_from_tallies,
    stage_results,
)
from recruitment_api.scoring.tallies import Tally, tally

INTERVIEW_ESSENTIAL_PASS = 2


@st.composite
def stages(draw):
    """Criteria (some essential, some of a value, some neither) and mostly complete score maps."""
    codes = draw(st.lists(st.sampled_from(["K1", "K2", "K3", "K4", "K5"]), min_size=1, max_size=5, unique=True))
    criteria = [
        Criterion(
            code=code,
            weight=draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])),
            essential=draw(st.booleans()),
            value=draw(st.sampled_from([None, "V1", "V2"])),
        )
        for code in codes
    ]
    candidates = draw(st.lists(st.sampled_from([f"cand-{i}" for i in range(8)]), max_size=8, unique=True))
    scores = {
        candidate: {c.code: draw(score_maps) for c in criteria if draw(st.integers(0, 9)) > 0}
        for candidate in candidates
    }
    return criteria, scores


thresholds = st.builds(
    Thresholds,
    min_weighted_mean=st.one_of(st.none(), st.sampled_from([1.0, 2.0, 2.5, 3.0])),
    min_per_value=st.one_of(st.none(), st.sampled_from([1.0, 2.0, 2.5, 3.0])),
    essentials_required=st.booleans(),
    essential_pass=st.sampled_from([1, 2, 2.5, 3]),
)


def test_an_essential_criterion_is_no_value():
    """Three sheets V1 3, V2 3, E1 2/2/3 with a minimum of 2.5 per value: appointable, E1 is an essential met."""
    criteria = [Criterion("V1", 1, value="V1"), Criterion("V2", 1, value="V2"), Criterion("E1", 1, essential=True)]
    scores = {"c": {"V1": dict.fromkeys("abc", 3), "V2": dict.fromkeys("abc", 3), "E1": {"a": 2, "b": 2, "c": 3}}}
    (result,) = stage_results(criteria, scores, Thresholds(min_per_value=2.5, essential_pass=INTERVIEW_ESSENTIAL_PASS))
    assert result.appointable, result.reasons
    assert result.value_means == {"V1": 3, "V2": 3}
    assert result.essentials == (EssentialResult("E1", pytest.approx(7 / 3), INTERVIEW_ESSENTIAL_PASS, True),)
    assert result.essentials_met is True


def test_an_essential_below_its_pass_mark_is_reported_and_refused():
    criteria = [Criterion("V1", 1, value="V1"), Criterion("E1", 1, essential=True)]
    scores = {"c": {"V1": {"a": 3, "b": 3}, "E1": {"a": 1, "b": 2}}}
    (refused,) = stage_results(criteria, scores, Thresholds(essential_pass=2))
    assert refused.essentials == (EssentialResult("E1", 1.5, 2, False),)
    assert refused.essentials_met is False
    assert refused.reasons == ("Essential criterion E1 has a mean of 1.5, below the pass mark of 2.",)
    # Not required at this stage: still reported, no longer a reason.
    (reported,) = stage_results(criteria, scores, Thresholds(essentials_required=False, essential_pass=2))
    assert reported.appointable and reported.essentials_met is False
    # An essential nobody could score is not met.
    (blank,) = stage_results(criteria, {"c": {"V1": {"a": 3}, "E1": {"a": None}}}, Thresholds(essential_pass=2))
    assert blank.essentials == (EssentialResult("E1", None, 2, False),)
    (none,) = stage_results([Criterion("V1", 1, value="V1")], {"c": {"V1": {"a": 3}}}, Thresholds())
    assert none.essentials == () and none.essentials_met is None


def test_a_total_over_criteria_nobody_scored_says_it_is_not_comparable():
    criteria = [Criterion("K1", 1), Criterion("K2", 2), Criterion("K3", 1)]
    scores = {
        "full": {"K1": {"a": 2, "b": 2}, "K2": {"a": 2, "b": 2}, "K3": {"a": 2, "b": 2}},
        "gap": {"K1": {"a": 3, "b": 3}, "K2": {"a": 3, "b": 3}, "K3": {"a": None, "b": None}},
    }
    results = {r.candidate: r for r in stage_results(criteria, scores, Thresholds())}
    assert results["full"].weighted_total == 8 and results["full"].weighted_total_complete
    assert results["full"].unscored_criteria == ()
    assert results["gap"].weighted_total == 9  # over K1 and K2 only: more than "full", yet not comparable
    assert results["gap"].weighted_total_complete is False
    assert results["gap"].unscored_criteria == ("K3",)


@settings(max_examples=100)
@given(stages(), thresholds)
def test_results_from_tallies_equal_results_from_scores(stage, limits):
    criteria, scores = stage
    tallies = {
        candidate: {code: tally(given) for code, given in sheets.items()} for candidate, sheets in scores.items()
    }
    assert results_from_tallies(criteria, tallies, limits) == stage_results(criteria, scores, limits)


@settings(max_examples=100)
@given(st.dictionaries(st.sampled_from("abcdef"), st.one_of(st.none(), st.integers(0, 4)), max_size=6))
def test_a_tally_summarises_the_scores(given_scores):
    numeric = [s for s in given_scores.values() if s is not None]
    summary = tally(given_scores)
    assert summary.n_scores == len(numeric)
    assert summary.n_not_evidenced == len(given_scores) - len(numeric)
    assert summary.total == sum(numeric) and summary.total_sq == sum(s * s for s in numeric)
    assert (summary.low, summary.high) == ((min(numeric), max(numeric)) if numeric else (None, None))
    if len(numeric) > 1:
        assert summary.sd == pytest.approx(statistics.stdev(numeric), abs=1e-12)
    else:
        assert summary.sd is None


def test_tally_refuses_what_is_not_a_score():
    with pytest.raises(ValueError, match="finite"):
        tally({"a": math.inf})
    with pytest.raises(ValueError, match="finite"):
        tally({"a": True})
    assert tally({"a": 2, "b": 4}) == Tally(n_scores=2, total=6, total_sq=20, low=2, high=4, n_not_evidenced=0)
    assert tally({"a": 2, "b": 4}).sd == pytest.approx(math.sqrt(2))
