"""Divergence flags: a range of points between assessors, assessors on both sides of the minimum per value,
or some assessors finding no evidence where others scored."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recruitment_strategies import score_maps

from recruitment_api.scoring.divergence import (
    EVIDENCE,
    RANGE,
    THRESHOLD,
    CriterionScores,
    DivergenceFlag,
    divergence_flags,
    table_flags,
)
from recruitment_api.scoring.tallies import TallyTable, tally

score_sets = st.lists(
    st.builds(CriterionScores, st.sampled_from(["c1", "c2", "c3"]), st.sampled_from(["V1", "V2", "V3"]), score_maps),
    max_size=9,
    unique_by=lambda s: (s.candidate, s.criterion),
)
pass_marks = st.one_of(st.none(), st.sampled_from([1, 1.5, 2, 2.5, 3, 3.5, 4]))


def expected_kinds(item: CriterionScores, max_range: int, pass_mark: float | None) -> set[str]:
    """The definition stated pairwise: some two assessors far apart, or some two either side of the mark."""
    numeric = [s for s in item.scores.values() if s is not None]
    pairs = list(itertools.permutations(numeric, 2))
    kinds = set()
    if any(a - b >= max_range for a, b in pairs):
        kinds.add(RANGE)
    if pass_mark is not None and any(a >= pass_mark > b for a, b in pairs):
        kinds.add(THRESHOLD)
    if numeric and None in item.scores.values():
        kinds.add(EVIDENCE)
    return kinds


@settings(max_examples=100)
@given(score_sets, st.integers(1, 3), pass_marks)
def test_flags_follow_the_pairwise_definition(items, max_range, pass_mark):
    flags = divergence_flags(items, max_range=max_range, pass_mark=pass_mark)
    got = {(f.candidate, f.criterion, f.kind) for f in flags}
    wanted = {(i.candidate, i.criterion, k) for i in items for k in expected_kinds(i, max_range, pass_mark)}
    assert got == wanted
    assert len(flags) == len(got)
    assert flags == sorted(flags, key=lambda f: (f.candidate, f.criterion, f.kind))


@settings(max_examples=100)
@given(score_sets, pass_marks, st.data())
def test_not_evidenced_takes_no_part_in_range_or_threshold(items, pass_mark, data):
    padded = [
        CriterionScores(i.candidate, i.criterion, {**i.scores, "extra-assessor": None})
        for i in data.draw(st.permutations(items))
    ]

    def numeric_flags(found):
        return [f for f in found if f.kind != EVIDENCE]

    assert numeric_flags(divergence_flags(padded, pass_mark=pass_mark)) == numeric_flags(
        divergence_flags(items, pass_mark=pass_mark)
    )


@settings(max_examples=100)
@given(score_sets, st.integers(1, 3), pass_marks)
def test_a_wider_allowed_range_flags_no_more(items, max_range, pass_mark):
    narrow = set(divergence_flags(items, max_range=max_range, pass_mark=pass_mark))
    wide = set(divergence_flags(items, max_range=max_range + 1, pass_mark=pass_mark))
    assert wide <= narrow
    assert {f for f in narrow if f.kind == THRESHOLD} <= wide


def test_examples_and_wording():
    items = [
        CriterionScores("c2", "V1", {"a": 1, "b": 3, "c": None}),
        CriterionScores("c1", "V2", {"a": 2, "b": 1}),
        CriterionScores("c1", "V1", {"a": 4, "b": 4}),
        CriterionScores("c3", "V1", {"a": None, "b": None}),
    ]
    assert divergence_flags(items, pass_mark=2) == [
        DivergenceFlag("c1", "V2", THRESHOLD, "Assessors are on both sides of the minimum per value, 2."),
        DivergenceFlag("c2", "V1", EVIDENCE, "1 of 3 assessors found no evidence; the mean rests on 2 scores."),
        DivergenceFlag("c2", "V1", RANGE, "Scores range from 1 to 3 (2 points)."),
        DivergenceFlag("c2", "V1", THRESHOLD, "Assessors are on both sides of the minimum per value, 2."),
    ]
    assert divergence_flags(items[1:2], max_range=1, pass_mark=2.5) == [
        DivergenceFlag("c1", "V2", RANGE, "Scores range from 1 to 2 (1 point)."),
    ]
    assert divergence_flags(items) == [
        DivergenceFlag("c2", "V1", EVIDENCE, "1 of 3 assessors found no evidence; the mean rests on 2 scores."),
        DivergenceFlag("c2", "V1", RANGE, "Scores range from 1 to 3 (2 points)."),
    ]


def test_one_assessor_without_evidence_and_another_with_a_score_is_divergence():
    """Issue 6: the mean silently used the one score; the panel must see that they disagree."""
    flags = divergence_flags([CriterionScores("c1", "V2", {"a": 3, "b": None})], pass_mark=2)
    assert flags == [
        DivergenceFlag("c1", "V2", EVIDENCE, "1 of 2 assessors found no evidence; the mean rests on 1 score.")
    ]
    # Agreeing that there is no evidence is no divergence.
    assert divergence_flags([CriterionScores("c1", "V2", {"a": None, "b": None})], pass_mark=2) == []


def test_refusals():
    with pytest.raises(ValueError, match="max_range"):
        divergence_flags([], max_range=0)
    twice = [CriterionScores("c1", "V1", {"a": 1}), CriterionScores("c1", "V1", {"b": 2})]
    with pytest.raises(ValueError, match="twice"):
        divergence_flags(twice)


@settings(max_examples=100)
@given(score_sets, st.integers(1, 3), pass_marks)
def test_flags_for_a_whole_table_are_the_flags_of_each_criterion(items, max_range, pass_mark):
    """What results, the panel view and moderation use (a stage's tallies as arrays) flags exactly
    what the definition flags criterion by criterion."""
    codes = ["V1", "V2", "V3"]
    table = TallyTable.from_cells(codes, [(i.candidate, i.criterion, *tally(i.scores)) for i in items])
    got = [f for found in table_flags(table, max_range=max_range, pass_mark=pass_mark).values() for f in found]
    assert sorted(got) == divergence_flags(items, max_range=max_range, pass_mark=pass_mark)
    assert table.as_tallies() == {
        i.candidate: {j.criterion: tally(j.scores) for j in items if j.candidate == i.candidate and j.scores}
        for i in items
    }
