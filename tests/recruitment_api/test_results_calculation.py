"""Stage results: criterion statistics, weighted means, appointability with its reasons, and ranks."""

from __future__ import annotations

import dataclasses
import statistics

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recruitment_strategies import score_maps

from recruitment_api.results.calculation import CandidateResult, Criterion, CriterionResult, Thresholds, stage_results

CODES = ("K1", "K2", "K3", "K4", "K5")


@st.composite
def stage_criteria(draw) -> list[Criterion]:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=len(CODES), unique=True))
    return [
        Criterion(
            code=code,
            weight=draw(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0])),
            essential=draw(st.booleans()),
            value=draw(st.sampled_from([None, "V1", "V2"])),
        )
        for code in codes
    ]


@st.composite
def stages(draw):
    criteria = draw(stage_criteria())
    candidates = draw(st.lists(st.sampled_from([f"cand-{i}" for i in range(8)]), max_size=8, unique=True))
    # Mostly complete score sheets; sometimes a criterion is missing altogether.
    scores = {
        candidate: {
            c.code: draw(score_maps.filter(lambda m: any(v is not None for v in m.values())) | score_maps)
            for c in criteria
            if draw(st.integers(0, 9)) > 0
        }
        for candidate in candidates
    }
    return criteria, scores


thresholds = st.builds(
    Thresholds,
    min_weighted_mean=st.one_of(st.none(), st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0])),
    min_per_value=st.one_of(st.none(), st.sampled_from([1.0, 2.0, 2.5, 3.0])),
    essentials_required=st.booleans(),
    essential_pass=st.sampled_from([1, 2, 2.5, 3]),
)


def by_candidate(results: list[CandidateResult]) -> dict[str, CandidateResult]:
    return {r.candidate: r for r in results}


@settings(max_examples=100)
@given(stages(), thresholds)
def test_statistics_match_numpy(stage, limits):
    criteria, scores = stage
    results = stage_results(criteria, scores, limits)
    assert sorted(r.candidate for r in results) == sorted(scores)
    for result in results:
        assert [c.criterion for c in result.criteria] == [c.code for c in criteria]
        means = {}
        for criterion, got in zip(criteria, result.criteria, strict=True):
            given_scores = scores[result.candidate].get(criterion.code, {})
            numeric = [s for s in given_scores.values() if s is not None]
            assert got.n_scores == len(numeric)
            assert got.n_not_evidenced == len(given_scores) - len(numeric)
            if numeric:
                assert got.mean == pytest.approx(np.mean(numeric))
                low, high = min(numeric), max(numeric)
                assert (got.minimum, got.maximum, got.spread) == (low, high, high - low)
                assert got.sd == (pytest.approx(statistics.stdev(numeric)) if len(numeric) > 1 else None)
                means[criterion.code] = got.mean
            else:
                assert got == CriterionResult(criterion.code, None, None, None, None, None, 0, len(given_scores))
        scored = [c for c in criteria if c.code in means]
        weights = [c.weight for c in scored]
        if scored:
            total = sum(c.weight * means[c.code] for c in scored)
            assert result.weighted_total == pytest.approx(total)
        else:
            assert result.weighted_total is None
        if scored and sum(weights) > 0:
            assert result.weighted_mean == pytest.approx(np.average([means[c.code] for c in scored], weights=weights))
            assert min(means.values()) - 1e-12 <= result.weighted_mean <= max(means.values()) + 1e-12
        else:
            assert result.weighted_mean is None
        values = sorted({c.value for c in criteria if c.value is not None})
        assert list(result.value_means) == values
        for v in values:
            own = [means[c.code] for c in scored if c.value == v]
            assert result.value_means[v] == (pytest.approx(np.mean(own)) if own else None)


@settings(max_examples=100)
@given(stages(), thresholds)
def test_appointable_exactly_when_no_reason(stage, limits):
    criteria, scores = stage
    for result in stage_results(criteria, scores, limits):
        assert result.appointable == (not result.reasons)
        unevidenced = [c.criterion for c in result.criteria if c.mean is None]
        for code in unevidenced:
            assert f"Criterion {code} was not evidenced by any assessor." in result.reasons
        if result.appointable:
            assert not unevidenced
            if limits.min_weighted_mean is not None:
                assert result.weighted_mean >= limits.min_weighted_mean - 1e-9
            if limits.min_per_value is not None:
                assert all(m >= limits.min_per_value - 1e-9 for m in result.value_means.values())
            if limits.essentials_required:
                essential = {c.code for c in criteria if c.essential}
                assert all(r.mean >= limits.essential_pass - 1e-9 for r in result.criteria if r.criterion in essential)


@settings(max_examples=100)
@given(stages(), thresholds)
def test_standard_competition_ranking(stage, limits):
    criteria, scores = stage
    results = stage_results(criteria, scores, limits)
    ranked = [r for r in results if r.rank is not None]
    unranked = [r for r in results if r.rank is None]
    assert results == ranked + unranked  # candidates without a weighted mean come last
    assert all(r.weighted_mean is None for r in unranked)
    assert all(r.weighted_mean is not None for r in ranked)
    assert [r.candidate for r in unranked] == sorted(r.candidate for r in unranked)
    keys = [round(r.weighted_mean, 6) for r in ranked]
    for r, key in zip(ranked, keys, strict=True):
        assert r.rank == 1 + sum(other > key for other in keys)
    assert [(r.rank, r.candidate) for r in ranked] == sorted((r.rank, r.candidate) for r in ranked)
    assert keys == sorted(keys, reverse=True)


@settings(max_examples=80)
@given(stages(), thresholds, st.data())
def test_appointability_is_monotone_in_thresholds(stage, limits, data):
    criteria, scores = stage
    before = {r.candidate for r in stage_results(criteria, scores, limits) if r.appointable}
    stricter = dataclasses.replace(
        limits,
        min_weighted_mean=(limits.min_weighted_mean or 0) + data.draw(st.sampled_from([0, 0.5, 1])),
        min_per_value=(limits.min_per_value or 0) + data.draw(st.sampled_from([0, 0.5, 1])),
        essential_pass=limits.essential_pass + data.draw(st.sampled_from([0, 0.5, 1])),
        essentials_required=limits.essentials_required or data.draw(st.booleans()),
    )
    after = {r.candidate for r in stage_results(criteria, scores, stricter) if r.appointable}
    assert after <= before


@settings(max_examples=60)
@given(stages(), thresholds, st.sampled_from([0.5, 2.0, 4.0]))
def test_scaling_every_weight_changes_nothing_but_the_total(stage, limits, factor):
    criteria, scores = stage
    scaled = [dataclasses.replace(c, weight=c.weight * factor) for c in criteria]
    plain, heavier = stage_results(criteria, scores, limits), stage_results(scaled, scores, limits)
    for a, b in zip(plain, heavier, strict=True):
        assert dataclasses.replace(a, weighted_total=None) == dataclasses.replace(b, weighted_total=None)
        if a.weighted_total is not None:
            assert b.weighted_total == pytest.approx(a.weighted_total * factor)


def test_example_with_ties_and_reasons():
    criteria = [
        Criterion("K1", 2, essential=True, value="V1"),
        Criterion("K2", 1, value="V1"),
        Criterion("K3", 1, value="V2"),
    ]
    scores = {
        "ann": {"K1": {"a": 4, "b": 3}, "K2": {"a": 3, "b": 3}, "K3": {"a": 3, "b": 4}},  # (7 + 3 + 3.5) / 4
        "bob": {"K1": {"a": 3, "b": 3}, "K2": {"a": 4, "b": 4}, "K3": {"a": 3, "b": 3}},  # 13 / 4
        "cat": {"K1": {"a": 4, "b": 3}, "K2": {"a": 3, "b": 3}, "K3": {"a": 4, "b": 3}},  # ties with ann
        "dan": {"K1": {"a": 1, "b": 2}, "K2": {"a": 4, "b": 4}, "K3": {"a": None, "b": None}},
        "eve": {"K1": {"a": 1, "b": 1}, "K2": {"a": 1, "b": 2}, "K3": {"a": 1, "b": 1}},
    }
    results = stage_results(criteria, scores, Thresholds(min_weighted_mean=2, min_per_value=2, essential_pass=2))
    assert [(r.candidate, r.rank) for r in results] == [("ann", 1), ("cat", 1), ("bob", 3), ("dan", 4), ("eve", 5)]
    got = by_candidate(results)
    assert got["ann"].weighted_mean == pytest.approx(13.5 / 4)
    assert got["ann"].weighted_total == pytest.approx(13.5)
    assert got["ann"].value_means == {"V1": pytest.approx(3.25), "V2": pytest.approx(3.5)}
    assert got["ann"].appointable
    assert got["ann"].criteria[0] == CriterionResult("K1", 3.5, 3, 4, 1, pytest.approx(0.7071067811865476), 2, 0)
    assert got["dan"].weighted_mean == pytest.approx((3 + 4) / 3)
    assert got["dan"].value_means == {"V1": pytest.approx(2.75), "V2": None}
    assert got["dan"].reasons == (
        "Criterion K3 was not evidenced by any assessor.",
        "Essential criterion K1 has a mean of 1.5, below the pass mark of 2.",
    )
    assert got["dan"].criteria[2] == CriterionResult("K3", None, None, None, None, None, 0, 2)
    assert got["eve"].reasons == (
        "The weighted mean 1.12 is below the minimum of 2.",
        "The mean for value V1 is 1.25, below the minimum of 2.",
        "The mean for value V2 is 1, below the minimum of 2.",
        "Essential criterion K1 has a mean of 1, below the pass mark of 2.",
    )
    relaxed = stage_results(criteria, scores, Thresholds(essentials_required=False))
    assert {r.candidate for r in relaxed if r.appointable} == {"ann", "bob", "cat", "eve"}


def test_ranks_one_two_two_four():
    criteria = [Criterion("K1", 1)]
    scores = {name: {"K1": {"a": s}} for name, s in [("w", 4), ("x", 3), ("y", 3), ("z", 2)]}
    assert [(r.candidate, r.rank) for r in stage_results(criteria, scores, Thresholds())] == [
        ("w", 1),
        ("x", 2),
        ("y", 2),
        ("z", 4),
    ]


def test_ties_are_compared_at_six_decimals():
    criteria = [Criterion("K1", 1), Criterion("K2", 1e-9)]
    scores = {"a": {"K1": {"x": 3}, "K2": {"x": 3}}, "b": {"K1": {"x": 3}, "K2": {"x": 4}}}
    results = stage_results(criteria, scores, Thresholds())
    assert results[1].weighted_mean > results[0].weighted_mean
    assert [(r.candidate, r.rank) for r in results] == [("a", 1), ("b", 1)]


def test_a_weighted_mean_on_the_minimum_passes_despite_rounding():
    # (0.1 * 1 + 0.2 * 1 + 0.6 * 4) / 0.9 is exactly 3, but comes out as 2.9999999999999996 in floating point.
    criteria = [Criterion("K1", 0.1), Criterion("K2", 0.2), Criterion("K3", 0.6)]
    scores = {"a": {"K1": {"x": 1}, "K2": {"x": 1}, "K3": {"x": 4}}}
    (result,) = stage_results(criteria, scores, Thresholds(min_weighted_mean=3))
    assert result.weighted_mean < 3
    assert result.weighted_mean == pytest.approx(3)
    assert result.appointable


def test_shows_enough_digits_to_tell_a_near_miss_from_the_minimum():
    criteria = [Criterion("K1", 1)]
    scores = {"a": {"K1": {"x": 2, "y": 2, "z": 3}}}  # 2.333...
    (result,) = stage_results(criteria, scores, Thresholds(min_weighted_mean=2.334))
    assert result.reasons == ("The weighted mean 2.333333333 is below the minimum of 2.33.",)


def test_zero_weights_leave_no_weighted_mean():
    criteria = [Criterion("K1", 0)]
    scores = {"a": {"K1": {"x": 3}}}
    (result,) = stage_results(criteria, scores, Thresholds(min_weighted_mean=2))
    assert (result.weighted_mean, result.weighted_total, result.rank) == (None, 0.0, None)
    assert result.reasons == ("There is no weighted mean to compare with the minimum of 2.",)
    (relaxed,) = stage_results(criteria, scores, Thresholds())
    assert relaxed.appointable


def test_empty_stage_and_empty_sheet():
    assert stage_results([], {}, Thresholds()) == []
    (nothing,) = stage_results([], {"a": {}}, Thresholds())
    assert nothing.reasons == ("The stage has no criteria to assess.",)
    (blank,) = stage_results([Criterion("K1", 1)], {"a": {}}, Thresholds())
    assert blank.reasons == ("Criterion K1 was not evidenced by any assessor.",)
    assert blank.rank is None


@pytest.mark.parametrize(
    ("criteria", "scores", "message"),
    [
        ([Criterion("K1", 1), Criterion("K1", 2)], {}, "unique"),
        ([Criterion("K1", -1)], {}, "weight"),
        ([Criterion("K1", float("nan"))], {}, "weight"),
        ([Criterion("K1", 1)], {"a": {"K9": {"x": 1}}}, "unknown"),
        ([Criterion("K1", 1)], {"a": {"K1": {"x": float("inf")}}}, "finite"),
    ],
)
def test_refusals(criteria, scores, message):
    with pytest.raises(ValueError, match=message):
        stage_results(criteria, scores, Thresholds())
