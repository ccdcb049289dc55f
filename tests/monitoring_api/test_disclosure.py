"""Disclosure control of survey results: hand-worked examples, and an attack on every published table.

The attacker below is written independently of the module: it builds the equations of the published
tables from the raw counts (tree: parent = own + children; groups: total = sum of categories; waves:
change = after - before), takes from the published output only what a reader sees (shown counts, the
reasons of suppressed ones), and then
* differences: solves every equation with one unknown left, again and again, and
* solves the linear system: for every protected cell, the smallest and largest whole number it can be
  given everything published (scipy's HiGHS: the linear relaxation, checked to be whole, else MILP).
No protected cell may be determined, nor narrowed below the protection requirement. Switched off,
complementary suppression leaves leaks, and the same attack finds them.

The exhaustive variants run by hand:
    SURVEY_DISCLOSURE_EXHAUSTIVE=1 .venv/bin/pytest tests/monitoring_api/test_disclosure.py -p no:xdist
"""

from __future__ import annotations

import itertools
import math
import os
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from monitoring_api.surveys.disclosure import (
    COMPLEMENTARY_REASON,
    Cell,
    Change,
    Decision,
    Protection,
    ProtectionError,
    Residual,
    Status,
    UnitCounts,
    WaveCounts,
    Withheld,
    attack,
    default_protection,
    primary_reason,
    protect,
    published_tables,
)

EXHAUSTIVE = os.environ.get("SURVEY_DISCLOSURE_EXHAUSTIVE") == "1"
by_hand = pytest.mark.skipif(not EXHAUSTIVE, reason="slow; run by hand with SURVEY_DISCLOSURE_EXHAUSTIVE=1")

PRIMARY = primary_reason(10)


def unit(uid: str, parent: str | None, n: int, **groups: dict[str, int]) -> UnitCounts:
    return UnitCounts(uid, parent, n, groups)


# ------------------------------------------------------------------------------- the attacker (oracle)


def equations_of(waves: list[WaveCounts], compare: list[tuple[str, str]] | None = None):
    """True counts of every cell (published and residual) and the equations an attacker knows."""
    values: dict[object, int] = {}
    equations: list[dict[object, int]] = []
    for w in waves:
        units = {u.id: u for u in w.units}
        kids: dict[str, list[str]] = {u: [] for u in units}
        for u in w.units:
            if u.parent is not None:
                kids[u.parent].append(u.id)
        categories: dict[str, list[str]] = {b: list(cs) for b, cs in w.categories.items()}
        for u in w.units:
            for b, counts in u.groups.items():
                categories.setdefault(b, []).extend(c for c in counts if c not in categories[b])
        columns = [(None, None)] + [(b, c) for b, cs in categories.items() for c in cs]

        def own(uid, b, c, units=units):
            return units[uid].responses if b is None else units[uid].groups.get(b, {}).get(c, 0)

        def rolled(uid, b, c, kids=kids, own=own):
            return own(uid, b, c) + sum(rolled(k, b, c) for k in kids[uid])

        for uid in units:
            for b, c in columns:
                values[Cell(w.id, uid, b, c)] = rolled(uid, b, c)
                if kids[uid]:
                    values[Residual(w.id, uid, b, c)] = own(uid, b, c)
                    equations.append(
                        {Cell(w.id, uid, b, c): 1, Residual(w.id, uid, b, c): -1}
                        | {Cell(w.id, k, b, c): -1 for k in kids[uid]}
                    )
            for b, cs in categories.items():
                equations.append({Cell(w.id, uid): 1} | {Cell(w.id, uid, b, c): -1 for c in cs})
                if kids[uid]:
                    equations.append({Residual(w.id, uid): 1} | {Residual(w.id, uid, b, c): -1 for c in cs})
    pairs = compare if compare is not None else [(a.id, b.id) for a, b in itertools.pairwise(waves)]
    for before, after in pairs:
        for key in [k for k in values if isinstance(k, Cell) and k.wave == after]:
            old = Cell(before, key.unit, key.breakdown, key.category)
            if old in values:
                change = Change(before, after, key.unit, key.breakdown, key.category)
                values[change] = values[key] - values[old]
                equations.append({key: 1, old: -1, change: -1})
    return values, equations


def what_a_reader_knows(values, result: Protection, minimum: int):
    """Bounds per cell from the published output alone (and residuals: >= 0, a zero one known)."""
    low, high = {}, {}
    for key, true in values.items():
        if isinstance(key, Residual):
            low[key], high[key] = (0, 0) if true == 0 else (0, math.inf)
            continue
        d = result.decisions[key]
        if d.shown:
            low[key] = high[key] = d.n
        elif isinstance(key, Change):
            low[key], high[key] = -math.inf, math.inf
        elif d.reason == primary_reason(minimum):
            low[key], high[key] = 0, minimum - 1
        else:
            assert d.reason == COMPLEMENTARY_REASON
            low[key], high[key] = minimum, math.inf
    return low, high


def protected_cells(values, result: Protection, minimum: int) -> list[object]:
    """Every suppressed count that is small, and every residual of 1 to minimum - 1 responses."""
    out = []
    for key, true in values.items():
        if isinstance(key, Residual):
            if 0 < true < minimum:
                out.append(key)
        elif isinstance(key, Cell) and result.decisions[key].reason == primary_reason(minimum):
            out.append(key)
    return out


def differencing(equations, low, high) -> dict[object, float]:
    known = {k: low[k] for k in low if low[k] == high[k]}
    progress = True
    while progress:
        progress = False
        for eq in equations:
            unknown = [k for k in eq if k not in known]
            if len(unknown) == 1:
                (k,) = unknown
                known[k] = -sum(a * known[j] for j, a in eq.items() if j != k) / eq[k]
                progress = True
    return known


def solve_ranges(values, equations, low, high, cells) -> dict[object, tuple[int, float]]:
    free = [k for k in values if low[k] != high[k]]
    col = {k: i for i, k in enumerate(free)}
    rows, rhs = [], []
    for eq in equations:
        row, b = np.zeros(len(free)), 0.0
        for k, a in eq.items():
            if k in col:
                row[col[k]] = a
            else:
                b -= a * low[k]
        if row.any():
            rows.append(row)
            rhs.append(b)
        else:
            assert abs(b) < 1e-9, "the published figures contradict each other"
    bounds = np.array([[low[k], high[k]] for k in free], dtype=float).reshape(len(free), 2)
    out = {}
    for key in cells:
        if key not in col:
            out[key] = (low[key], high[key])
            continue
        ends = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(free))
            c[col[key]] = sign
            res = linprog(c, A_eq=np.array(rows) if rows else None, b_eq=rhs or None, bounds=bounds)
            if res.status == 3:  # the relaxation is unbounded, so is the whole-number problem
                ends.append(math.inf)
                continue
            if not (res.status == 0 and np.allclose(res.x, np.round(res.x), atol=1e-7)):
                constraints = [LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
                res = milp(
                    c,
                    integrality=np.ones(len(free)),
                    bounds=Bounds(bounds[:, 0], bounds[:, 1]),
                    constraints=constraints,
                )
            assert res.status == 0, res.message
            ends.append(sign * res.fun)
        out[key] = (math.ceil(ends[0] - 1e-6), ends[1] if math.isinf(ends[1]) else math.floor(ends[1] + 1e-6))
    return out


def attack_publication(waves, result: Protection, minimum: int, compare=None):
    """(cells worked out by differencing, cells whose range is narrower than the requirement, ranges)."""
    values, equations = equations_of(waves, compare)
    for key, d in result.decisions.items():  # what is shown is true, what is withheld shows nothing
        if d.shown:
            assert d.n == values[key] and d.reason is None
        else:
            assert d.n is None and d.reason in (primary_reason(minimum), COMPLEMENTARY_REASON)
    low, high = what_a_reader_knows(values, result, minimum)
    targets = protected_cells(values, result, minimum)
    worked_out = differencing(equations, low, high)
    determined = [k for k in targets if k in worked_out]
    for k in determined:
        assert worked_out[k] == values[k]
    ranges = solve_ranges(values, equations, low, high, targets)
    for k, (lo, hi) in ranges.items():
        assert lo <= values[k] <= hi
    narrow = {k: r for k, r in ranges.items() if r[1] - r[0] < result.protection}
    return determined, narrow, ranges


def assert_rules(waves, result: Protection, minimum: int, compare=None) -> None:
    values, _ = equations_of(waves, compare)
    published = {k for k in values if not isinstance(k, Residual)}
    assert set(result.decisions) == published
    for key, d in result.decisions.items():
        if isinstance(key, Cell):
            assert (d.status is Status.PRIMARY) == (values[key] < minimum), (key, d)
            assert d.reason == {Status.SHOWN: None, Status.PRIMARY: primary_reason(minimum)}.get(
                d.status, COMPLEMENTARY_REASON
            )
        else:  # a change is shown only when both of its counts are, and withheld like the worse of them
            a = result.decisions[Cell(key.before, key.unit, key.breakdown, key.category)]
            b = result.decisions[Cell(key.after, key.unit, key.breakdown, key.category)]
            assert d.shown == (a.shown and b.shown)
            if not d.shown:
                worst = Status.PRIMARY if Status.PRIMARY in (a.status, b.status) else Status.COMPLEMENTARY
                assert d.status is worst


# ------------------------------------------------------------------------------------- random input


def counts(minimum: int):
    """Counts around the minimum, where suppression decisions are made."""
    return st.one_of(st.just(0), st.integers(1, minimum - 1), st.integers(minimum, 4 * minimum))


@st.composite
def split(draw, n: int, categories: list[str]) -> dict[str, int]:
    cuts = sorted(draw(st.integers(0, n)) for _ in categories[1:])
    return {c: b - a for c, a, b in zip(categories, [0, *cuts], [*cuts, n], strict=True)}


@st.composite
def organisations(draw, minimum: int = 10, max_units: int = 6, max_waves: int = 2, max_breakdowns: int = 2):
    """A random organisation tree (or forest), 0-2 breakdowns, 1-2 waves; a leaf may be gone from a
    later wave (restructured)."""
    n = draw(st.integers(1, max_units))
    parents = [None] + [draw(st.integers(0, k - 1)) for k in range(1, n)]
    if n > 2 and draw(st.booleans()):
        parents[n - 1] = None  # a second root
    breakdowns = {
        f"b{i}": [f"c{j}" for j in range(draw(st.integers(1, 2)))] + ["not_given"]
        for i in range(draw(st.integers(0, max_breakdowns)))
    }
    leaves = [u for u in range(n) if u not in parents]
    waves = []
    for w in range(draw(st.integers(1, max_waves))):
        present = list(range(n))
        if w and n > 1 and draw(st.booleans()):
            present.remove(draw(st.sampled_from(leaves)))
        units = []
        for u in present:
            own = draw(counts(minimum))
            groups = {b: draw(split(own, cats)) for b, cats in breakdowns.items()}
            units.append(UnitCounts(f"u{u}", None if parents[u] is None else f"u{parents[u]}", own, groups))
        waves.append(WaveCounts(f"w{w}", units))
    return waves


@st.composite
def leaky_organisations(draw, minimum: int = 10):
    """A random organisation plus a unit whose children are all shown but one small one: primary
    suppression alone leaves that child to subtraction."""
    waves = draw(organisations(minimum, max_units=4, max_waves=1))
    big = draw(st.lists(st.integers(minimum, 4 * minimum), min_size=1, max_size=3))
    small = draw(st.integers(1, minimum - 1))
    extra = [UnitCounts("leaky", None, 0)] + [UnitCounts(f"leaky{i}", "leaky", n) for i, n in enumerate([*big, small])]
    if waves[0].units and waves[0].units[0].groups:  # keep every unit on the same breakdowns
        extra = [replace(u, groups={b: {"not_given": u.responses} for b in waves[0].units[0].groups}) for u in extra]
    return [replace(waves[0], units=[*waves[0].units, *extra])], Cell(waves[0].id, f"leaky{len(big)}")


# ------------------------------------------------------------------------------------ hand-worked


def test_a_small_sibling_gets_a_partner_and_cannot_be_worked_out():
    # the trust shows 55; without a partner, 55 - 20 - 30 = 5 would give the small team away
    waves = [
        WaveCounts(
            "2025", [unit("trust", None, 0), unit("a", "trust", 20), unit("b", "trust", 5), unit("c", "trust", 30)]
        )
    ]
    result = protect(waves)
    assert result[Cell("2025", "trust")] == Decision(Status.SHOWN, 55, None)
    assert result[Cell("2025", "b")] == Decision(Status.PRIMARY, None, "fewer than 10 responses")
    # the smallest partner that leaves b a range of at least 5: a (b + a = 25, a >= 10, so b in 0..9)
    assert result[Cell("2025", "a")] == Decision(
        Status.COMPLEMENTARY, None, "withheld so a smaller group cannot be worked out"
    )
    assert result[Cell("2025", "c")].n == 30
    assert result.intervals[Cell("2025", "b")].lower == 0 and result.intervals[Cell("2025", "b")].upper == 9
    assert attack_publication(waves, result, 10)[:2] == ([], {})

    naive = protect(waves, complementary=False)
    determined, narrow, ranges = attack_publication(waves, naive, 10)
    assert determined == [Cell("2025", "b")] and ranges[Cell("2025", "b")] == (5, 5)


def test_small_groups_protect_each_other_when_their_range_is_wide_enough():
    # 30 = 24 women + 4 men + 2 not given: men + not given = 6, so each lies anywhere in 0..6
    waves = [WaveCounts("2025", [unit("ward", None, 30, sex={"women": 24, "men": 4, "not_given": 2})])]
    result = protect(waves)
    assert result[Cell("2025", "ward", "sex", "women")].n == 24
    assert [k.category for k in result.suppressed] == ["men", "not_given"]
    assert all(result[k].status is Status.PRIMARY for k in result.suppressed)
    assert result.intervals[Cell("2025", "ward", "sex", "men")].width == 6


def test_a_range_narrower_than_the_requirement_gets_a_partner():
    # 30 = 26 + 3 + 1: men + not given = 4, a range of 0..4 is narrower than the 5 required
    waves = [WaveCounts("2025", [unit("ward", None, 30, sex={"women": 26, "men": 3, "not_given": 1})])]
    with_width_4 = protect(waves, protection=4)
    assert with_width_4[Cell("2025", "ward", "sex", "women")].shown
    result = protect(waves)
    assert result.protection == 5 == default_protection(10)
    assert result[Cell("2025", "ward", "sex", "women")].status is Status.COMPLEMENTARY
    assert result[Cell("2025", "ward")].n == 30  # the ward itself stays shown
    assert result.intervals[Cell("2025", "ward", "sex", "men")].width >= 5
    assert attack_publication(waves, result, 10)[:2] == ([], {})


def test_a_few_responses_at_the_parent_itself_are_protected_like_a_small_group():
    # the directorate shows 48, its teams 20 and 25: 48 - 45 = 3 answered at the directorate itself
    waves = [WaveCounts("2025", [unit("dir", None, 3), unit("a", "dir", 20), unit("b", "dir", 25)])]
    naive = protect(waves, complementary=False)
    assert all(d.shown for d in naive.decisions.values())
    assert attack_publication(waves, naive, 10)[0] == [Residual("2025", "dir")]
    result = protect(waves)
    assert result[Cell("2025", "a")].status is Status.COMPLEMENTARY and result[Cell("2025", "dir")].shown
    assert result.intervals[Residual("2025", "dir")].width >= 5
    assert attack_publication(waves, result, 10)[:2] == ([], {})


def test_an_empty_group_is_suppressed_and_protected_too():
    waves = [WaveCounts("2025", [unit("ward", None, 25, band={"5": 25, "6": 0, "not_given": 0})])]
    result = protect(waves)
    assert result[Cell("2025", "ward", "band", "6")] == Decision(Status.PRIMARY, None, PRIMARY)
    assert attack_publication(waves, result, 10)[:2] == ([], {})


def test_changes_between_waves_inherit_suppression():
    tree = [unit("trust", None, 0), unit("a", "trust", 15), unit("b", "trust", 40)]
    waves = [
        WaveCounts("2025", tree),
        WaveCounts("2026", [tree[0], replace(tree[1], responses=7), replace(tree[2], responses=45)]),
    ]
    result = protect(waves)
    assert result[Change("2025", "2026", "trust")] == Decision(Status.SHOWN, -3, None)
    assert result[Change("2025", "2026", "a")] == Decision(Status.PRIMARY, None, PRIMARY)
    assert result[Change("2025", "2026", "b")] == Decision(Status.COMPLEMENTARY, None, COMPLEMENTARY_REASON)
    assert_rules(waves, result, 10)
    assert attack_publication(waves, result, 10)[:2] == ([], {})
    # the attack reaches across waves: show a's change, and 15 + (7 - 15) gives a's 2026 count
    leaky = replace(
        result, decisions={**result.decisions, Change("2025", "2026", "a"): Decision(Status.SHOWN, -8, None)}
    )
    determined, _, ranges = attack_publication(waves, leaky, 10)
    assert Cell("2026", "a") in determined and ranges[Cell("2026", "a")] == (7, 7)


def test_every_derived_figure_inherits_its_cells_suppression():
    waves = [
        WaveCounts(
            "2025", [unit("trust", None, 0), unit("a", "trust", 20), unit("b", "trust", 5), unit("c", "trust", 30)]
        )
    ]
    result = protect(waves)
    figures = {"percent_positive": 80.0, "mean": 7.1, "engagement": 6.9}
    assert result.figures(Cell("2025", "c"), figures) == figures
    for key, reason in ((Cell("2025", "b"), PRIMARY), (Cell("2025", "a"), COMPLEMENTARY_REASON)):
        shown = result.figures(key, figures)
        assert all(isinstance(v, Withheld) and v.reason == reason for v in shown.values())
    # never a zero or a blank in place of a suppressed figure
    assert result.figure(Cell("2025", "b"), 0.0) == Withheld(Status.PRIMARY, PRIMARY)


def test_weighted_differencing_of_percentages_needs_the_counts():
    """Positives = percent x n obey the same equations as the counts; with the counts protected the
    small team's positives stay out of reach, though the parent's and c's percentages are shown."""
    waves = [
        WaveCounts(
            "2025", [unit("trust", None, 0), unit("a", "trust", 20), unit("b", "trust", 5), unit("c", "trust", 30)]
        )
    ]
    positives = {"a": 12, "b": 1, "c": 21}
    percent = {k: Fraction(100 * v, n) for (k, v), n in zip(positives.items(), (20, 5, 30), strict=True)}
    percent["trust"] = Fraction(100 * sum(positives.values()), 55)
    naive = protect(waves, complementary=False)
    shown = [u for u in ("a", "c") if naive[Cell("2025", u)].shown]
    worked_out = percent["trust"] * 55 / 100 - sum(percent[u] * naive[Cell("2025", u)].n / 100 for u in shown)
    assert worked_out == positives["b"]  # the small team's one positive answer, recovered
    result = protect(waves)
    values, equations = equations_of(waves)
    tree = next(eq for eq in equations if Cell("2025", "trust") in eq)
    unknown = [k for k in tree if not isinstance(k, Residual) and not result[k].shown]
    assert unknown == [Cell("2025", "a"), Cell("2025", "b")]  # two unknowns in the only equation: no answer


def test_no_equation_alone_determines_a_protected_cell_whatever_the_statistic():
    """For every protected cell of random organisations, the unit vector of that cell is outside the row
    space of the equations restricted to the unknown cells: no combination of equations isolates it,
    so neither its count nor any additive statistic (positives, sums of scores) can be solved for."""
    for seed in range(15):
        waves = _seeded_organisation(seed)
        result = protect(waves)
        values, equations = equations_of(waves)
        low, high = what_a_reader_knows(values, result, 10)
        unknown = [k for k in values if low[k] != high[k] and not (math.isinf(low[k]) and math.isinf(high[k]))]
        col = {k: i for i, k in enumerate(unknown)}
        rows = [
            [eq.get(k, 0) for k in unknown]
            for eq in equations
            if not any(math.isinf(low[k]) and math.isinf(high[k]) for k in eq)  # a withheld change: no equation
        ]
        matrix = np.array(rows, dtype=float).reshape(len(rows), len(unknown))
        rank = np.linalg.matrix_rank(matrix) if rows else 0
        for key in protected_cells(values, result, 10):
            e = np.zeros((1, len(unknown)))
            e[0, col[key]] = 1.0
            assert np.linalg.matrix_rank(np.vstack([matrix, e])) == rank + 1, key


def _seeded_organisation(seed: int, counts_seed: int | None = None, wave: str = "2025") -> list[WaveCounts]:
    """A random tree from ``seed``, its counts (split by sex) from ``counts_seed`` (default: the same)."""
    tree, rng = np.random.default_rng(seed), np.random.default_rng(seed if counts_seed is None else counts_seed)
    n = int(tree.integers(2, 7))
    parents = [None] + [f"u{int(tree.integers(0, u))}" for u in range(1, n)]
    units = []
    for u in range(n):
        own = int(rng.choice([0, int(rng.integers(1, 10)), int(rng.integers(10, 40))]))
        men = int(rng.integers(0, own + 1))
        not_given = (own - men) // 5
        units.append(
            unit(f"u{u}", parents[u], own, sex={"men": men, "women": own - men - not_given, "not_given": not_given})
        )
    return [WaveCounts(wave, units)]


def test_forced_cells_and_bounds_known_from_elsewhere():
    # one question's answer counts: the cells withheld for the respondents are withheld here too, and
    # a reader knows a question's answers in a cell cannot exceed the cell's shown respondents
    waves = [
        WaveCounts(
            "2025", [unit("trust", None, 0), unit("a", "trust", 20), unit("b", "trust", 18), unit("c", "trust", 30)]
        )
    ]
    result = protect(waves, forced=[Cell("2025", "b")], upper_bounds={Cell("2025", "c"): 31})
    assert result[Cell("2025", "b")].status is Status.COMPLEMENTARY
    assert attack_publication(waves, result, 10)[:2] == ([], {})
    with pytest.raises(ValueError, match="below its count"):
        protect(waves, upper_bounds={Cell("2025", "c"): 29})


def test_the_modules_own_attack_agrees_with_the_independent_one():
    for seed in range(5):
        waves = _seeded_organisation(seed) + _seeded_organisation(seed, counts_seed=100 + seed, wave="2026")
        result = protect(waves)
        ours = attack(published_tables(waves), result.decisions, 10)
        _, _, theirs = attack_publication(waves, result, 10)
        assert {k: (v.lower, v.upper) for k, v in ours.items()} == theirs
        assert all(v.exact for v in ours.values())


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ([unit("a", None, 5, sex={"men": 2, "women": 2})], "not given"),
        ([unit("a", "b", 5), unit("b", "a", 5)], "cycle"),
        ([unit("a", "zz", 5)], "unknown parent"),
        ([unit("a", None, -1)], "negative"),
        ([unit("a", None, 5, sex={"men": 5}), unit("b", "a", 3)], "no counts for breakdown sex"),
    ],
)
def test_inconsistent_counts_are_refused(units, message):
    with pytest.raises(ValueError, match=message):
        protect([WaveCounts("2025", units)])


def test_settings_outside_what_can_be_protected_are_refused():
    waves = [WaveCounts("2025", [unit("a", None, 5)])]
    with pytest.raises(ValueError, match="minimum"):
        protect(waves, minimum=2)
    with pytest.raises(ValueError, match="protection"):
        protect(waves, minimum=10, protection=9)
    assert issubclass(ProtectionError, ValueError)


# ------------------------------------------------------------------------------------- the attack


@settings(max_examples=60)
@given(organisations())
def test_no_published_table_gives_a_small_group_away(waves):
    result = protect(waves)
    assert_rules(waves, result, 10)
    determined, narrow, _ = attack_publication(waves, result, 10)
    assert determined == [] and narrow == {}


@settings(max_examples=15)
@given(st.sampled_from([3, 5, 11]).flatmap(lambda m: st.tuples(st.just(m), organisations(minimum=m, max_units=5))))
def test_other_minimums_and_protection_requirements(case):
    minimum, waves = case
    for requirement in sorted({1, default_protection(minimum), minimum - 2}):
        result = protect(waves, minimum=minimum, protection=requirement)
        assert_rules(waves, result, minimum)
        determined, narrow, _ = attack_publication(waves, result, minimum)
        assert determined == [] and narrow == {}


@settings(max_examples=15)
@given(leaky_organisations())
def test_the_attack_finds_the_leak_when_complementary_suppression_is_off(case):
    waves, small = case
    naive = protect(waves, complementary=False)
    determined, narrow, ranges = attack_publication(waves, naive, 10)
    values, _ = equations_of(waves)
    assert small in determined and ranges[small] == (values[small], values[small])
    assert narrow  # so the requirement check fails too
    safe = protect(waves)
    assert attack_publication(waves, safe, 10)[:2] == ([], {})


# ------------------------------------------------------------------------------ by hand, exhaustive


@by_hand
@settings(max_examples=2000)
@given(organisations(max_units=9, max_waves=3, max_breakdowns=3))
def test_exhaustive_random_organisations(waves):
    result = protect(waves)
    assert_rules(waves, result, 10)
    determined, narrow, _ = attack_publication(waves, result, 10)
    assert determined == [] and narrow == {}


@by_hand
def test_exhaustive_every_count_of_a_small_directorate():
    """Every combination of counts near the minimum for a directorate (own responses 0 or 3) of three
    teams, each split into two groups, over two waves that share the first team's counts."""
    levels = [0, 1, 4, 9, 10, 11, 14, 30]
    for own, a, b, c in itertools.product([0, 3], levels, levels, levels):
        teams = [(a, a // 3), (b, b - b // 2), (c, 0)]
        units = [unit("dir", None, own, sex={"men": own, "not_given": 0})] + [
            unit(f"t{i}", "dir", n, sex={"men": m, "not_given": n - m}) for i, (n, m) in enumerate(teams)
        ]
        waves = [
            WaveCounts("w1", units),
            WaveCounts("w2", [*units[:2], unit("t1", "dir", 12, sex={"men": 12, "not_given": 0}), units[3]]),
        ]
        result = protect(waves)
        assert_rules(waves, result, 10)
        determined, narrow, _ = attack_publication(waves, result, 10)
        assert determined == [] and narrow == {}, (own, a, b, c)
