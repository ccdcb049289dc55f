"""Adverse impact: four-fifths rule, Fisher's exact test against a brute-force sum, small-cell suppression."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recruitment_strategies import group_outcomes

from recruitment_api.fairness.adverse_impact import AdverseImpactReport, GroupImpact, GroupOutcome, adverse_impact

min_cells = st.integers(0, 8)
thresholds = st.sampled_from([0.5, 0.75, 0.8, 0.9, 1.0])


def fisher_two_sided(table: list[list[int]]) -> float:
    """Sum of the hypergeometric probabilities of every table with the same margins that is no more likely.

    Exact rational arithmetic; as R's fisher.test does, a probability within a relative 1e-7 of the
    observed table's counts as equally likely.
    """
    (a, b), (c, d) = table
    row1, row2, col1 = a + b, c + d, a + c
    total = comb(row1 + row2, col1)

    def probability(x: int) -> Fraction:
        return Fraction(comb(row1, x) * comb(row2, col1 - x), total)

    observed = probability(a)
    support = range(max(0, col1 - row2), min(row1, col1) + 1)
    return float(sum(p for p in map(probability, support) if p <= observed * Fraction(10**7 + 1, 10**7)))


def check_no_leak(report: AdverseImpactReport, outcomes: list[GroupOutcome], min_cell: int) -> None:
    given_counts = {o.group: o for o in outcomes}
    for g in report.groups:
        o = given_counts[g.group]
        if g.suppressed:
            assert g == GroupImpact(g.group, None, None, None, None, False, None, True, False)
            assert o.selected < min_cell or o.considered - o.selected < min_cell
        else:
            assert (g.considered, g.selected) == (o.considered, o.selected)
            assert g.selected >= min_cell
            assert g.considered - g.selected >= min_cell


@settings(max_examples=100)
@given(group_outcomes(), min_cells, thresholds)
def test_suppression_never_leaks_a_small_count(outcomes, min_cell, threshold):
    report = adverse_impact(outcomes, threshold=threshold, min_cell=min_cell)
    assert [g.group for g in report.groups] == [o.group for o in outcomes]
    check_no_leak(report, outcomes, min_cell)
    if any(g.suppressed for g in report.groups):
        assert report.note is not None
        assert "not shown" in report.note


@settings(max_examples=100)
@given(group_outcomes(), min_cells, thresholds)
def test_reference_ratios_and_flags(outcomes, min_cell, threshold):
    report = adverse_impact(outcomes, threshold=threshold, min_cell=min_cell)
    shown = [g for g in report.groups if not g.suppressed and g.considered]
    references = [g for g in report.groups if g.reference]
    if not shown:
        assert report.reference_group is None
        assert not references
        assert all(not g.flagged and g.impact_ratio is None and g.fisher_p is None for g in report.groups)
        return
    (reference,) = references
    assert report.reference_group == reference.group
    assert reference.selection_rate == max(g.selection_rate for g in shown)
    assert reference.fisher_p is None
    assert not reference.flagged
    for g in shown:
        assert g.selection_rate == pytest.approx(g.selected / g.considered)
        if reference.selected == 0:
            assert g.impact_ratio is None
            assert not g.flagged
            assert "cannot be calculated" in report.note
            continue
        exact = Fraction(g.selected * reference.considered, g.considered * reference.selected)
        assert g.impact_ratio == pytest.approx(float(exact))
        assert 0 <= g.impact_ratio <= 1
        assert g.flagged == (exact < Fraction(str(threshold)))
    assert reference.selected == 0 or reference.impact_ratio == 1.0


@settings(max_examples=100)
@given(group_outcomes(), min_cells)
def test_fisher_p_matches_brute_force_hypergeometric_sum(outcomes, min_cell):
    report = adverse_impact(outcomes, min_cell=min_cell)
    reference = next((g for g in report.groups if g.reference), None)
    for g in report.groups:
        if g.suppressed or g.reference or reference is None or not g.considered:
            assert g.fisher_p is None
            continue
        table = [
            [g.selected, g.considered - g.selected],
            [reference.selected, reference.considered - reference.selected],
        ]
        assert g.fisher_p == pytest.approx(fisher_two_sided(table), abs=1e-9)
        assert 0 <= g.fisher_p <= 1 + 1e-12


@settings(max_examples=100)
@given(group_outcomes(), min_cells, st.integers(0, 4))
def test_a_larger_minimum_cell_suppresses_no_less(outcomes, min_cell, more):
    lenient = adverse_impact(outcomes, min_cell=min_cell)
    strict = adverse_impact(outcomes, min_cell=min_cell + more)
    assert {g.group for g in lenient.groups if g.suppressed} <= {g.group for g in strict.groups if g.suppressed}


def test_four_fifths_boundary_is_not_flagged():
    outcomes = [
        GroupOutcome("Protestant", 100, 50),
        GroupOutcome("Roman Catholic", 100, 40),  # 0.4 / 0.5 is exactly four fifths
        GroupOutcome("Neither", 100, 39),
    ]
    report = adverse_impact(outcomes)
    protestant, catholic, neither = report.groups
    assert report.reference_group == "Protestant"
    assert protestant == GroupImpact("Protestant", 100, 50, 0.5, 1.0, False, None, False, True)
    assert catholic.impact_ratio == pytest.approx(0.8)
    assert not catholic.flagged
    assert neither.flagged
    assert neither.impact_ratio == pytest.approx(0.78)
    assert catholic.fisher_p == pytest.approx(fisher_two_sided([[40, 60], [50, 50]]), abs=1e-12)
    assert report.note is None
    assert (report.threshold, report.min_cell) == (0.8, 5)


def test_small_groups_are_suppressed_and_the_reference_comes_from_the_rest():
    outcomes = [
        GroupOutcome("men", 40, 10),
        GroupOutcome("women", 60, 30),
        GroupOutcome("other", 6, 4),  # 2 not selected: suppressed, although its rate is the highest
    ]
    report = adverse_impact(outcomes)
    men, women, other = report.groups
    assert other == GroupImpact("other", None, None, None, None, False, None, True, False)
    assert report.reference_group == "women"
    assert men.flagged
    assert men.impact_ratio == pytest.approx(0.5)
    assert report.note == "1 group is not shown because fewer than 5 people were selected or not selected."


def test_ties_for_the_highest_rate_go_to_the_first_group():
    report = adverse_impact([GroupOutcome("a", 20, 10), GroupOutcome("b", 40, 20)])
    assert report.reference_group == "a"
    assert report.groups[1].impact_ratio == 1.0
    assert report.groups[1].fisher_p == pytest.approx(1.0)


def test_nobody_selected():
    report = adverse_impact([GroupOutcome("a", 10, 0), GroupOutcome("b", 12, 0)], min_cell=0)
    assert report.reference_group == "a"
    assert all(g.impact_ratio is None and not g.flagged for g in report.groups)
    assert report.note == "No one was selected in any group shown, so impact ratios cannot be calculated."


def test_everything_suppressed_or_empty():
    report = adverse_impact([GroupOutcome("a", 3, 1), GroupOutcome("b", 4, 4)])
    assert report.reference_group is None
    assert all(g.suppressed for g in report.groups)
    assert report.note == (
        "2 groups are not shown because fewer than 5 people were selected or not selected."
        " No group is large enough to compare selection rates."
    )
    empty = adverse_impact([])
    assert (empty.groups, empty.reference_group, empty.note) == ((), None, None)


@pytest.mark.parametrize(
    ("outcomes", "kwargs"),
    [
        ([GroupOutcome("a", 5, 6)], {}),
        ([GroupOutcome("a", -1, 0)], {}),
        ([GroupOutcome("a", 5, 1), GroupOutcome("a", 6, 1)], {}),
        ([], {"threshold": 0}),
        ([], {"threshold": 1.5}),
        ([], {"min_cell": -1}),
    ],
)
def test_refusals(outcomes, kwargs):
    with pytest.raises(ValueError):
        adverse_impact(outcomes, **kwargs)
