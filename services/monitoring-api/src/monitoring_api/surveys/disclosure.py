"""Disclosure control for survey results: primary and complementary cell suppression.

What is published
    For each wave and each organisation unit: the number of responses ``n`` rolled up the tree (the
    unit's own responses plus all its descendants'), the same per demographic group for every
    breakdown (staff group, band, Section 75 categories), and the change of each of these figures
    between two waves of the same unit. Every other figure of a cell (percent positive, means,
    engagement) is derived from the cell's respondents and is shown exactly when the cell is.

The additive structure an attacker can use (all of it, jointly)
    * the tree: ``n(parent) = own(parent) + sum of n(child)``, for the total and for every group;
      ``own(parent)``, the responses recorded at the parent itself, is never published (a residual);
    * the groups: ``n(unit) = sum of n(unit, category)`` over the categories of each breakdown; every
      breakdown carries a "not given" category so the sum is exact (the counts are checked);
    * the waves: ``change = n(after) - n(before)`` for the same unit and column.

Method (sdcTable's SIMPLEHEURISTIC with its attacker problems, with protection intervals)
    1. Primary: every published count below ``minimum`` (0 included) is suppressed ("fewer than N
       responses").
    2. Constraint heuristic, to a fixed point: a suppressed cell that the shown figures determine
       (one unknown left in an equation, also through chains of such equations) gets a partner
       suppressed in the equation that determined it; a suppressed cell whose range within a single
       equation is narrower than the protection requirement gets the partner that widens it enough,
       preferring a part over the total and then the smallest count ("suppress the smallest
       contributor").
    3. Exact check: for every protected cell an attacker's problem is solved as an integer linear
       programme (scipy's HiGHS) over the whole linked system: minimise and maximise the cell subject
       to every equation, the shown values and everything the published reasons say. A cell whose
       range is narrower than required gets one more suppression, chosen among the shown cells the
       dual values of its problems name as limiting it (smallest first; the first that makes it
       wide enough, else the one that widens it most), and steps 2-3 repeat.
    4. Changes between waves inherit: a change is shown only when both of its counts are shown.

What the attacker is assumed to know
    The structure (tree, breakdowns, waves), every shown figure, and the published reasons: a
    primary cell lies in ``[0, minimum - 1]``, a complementary one is at least ``minimum``. Residuals
    are at least 0, and a residual that is really 0 is assumed known to be 0 (a unit with no staff of
    its own is no secret). Counts are whole numbers.

Protection requirement
    Every protected cell (each primary suppressed count, and each residual of 1 to ``minimum - 1``
    responses) must keep an attacker's range of whole numbers at least ``protection`` wide:
    ``upper - lower >= protection``, default ``minimum // 2`` (5 for a minimum of 10). So a count is
    never determined, and it is never narrowed to fewer than ``protection + 1`` possible values. The
    range can never exceed ``[0, minimum - 1]`` (the reason says so), hence ``protection <=
    minimum - 2`` and ``minimum >= 3``.

Percentages and means
    A shown percentage and a shown mean give their cell's sums exactly (positives = percent x n, total
    score = mean x n), and those sums obey the same equations as the counts, over the same unknowns,
    because a cell's figures are withheld with its count. Whether equations alone determine a cell is
    a property of the coefficient matrix, not of the statistic: when a count cannot be worked out, no
    weighted difference (parent mean x n - sum of children's mean x n) yields its sum either. What
    suppression cannot prevent, and count-based methods never claim to, is what a shown figure says
    of everyone in it: 100% positive at a unit of 40 means each of its small groups answered
    positively too.

Plain functions on plain data; no I/O. scipy is imported only for the exact check.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Any, TypeVar

__all__ = [
    "COMPLEMENTARY_REASON",
    "DEFAULT_MINIMUM",
    "METHOD_VERSION",
    "Cell",
    "Change",
    "Decision",
    "Interval",
    "Protection",
    "ProtectionError",
    "Residual",
    "Status",
    "Tables",
    "UnitCounts",
    "WaveCounts",
    "Withheld",
    "attack",
    "default_protection",
    "primary_reason",
    "protect",
    "published_tables",
]

DEFAULT_MINIMUM = 10
# Closed waves keep the decisions this module made when they closed (surveys' stored publications):
# bump it with any change to which cells are suppressed, so every stored wave is decided again on its
# next read. tests/monitoring_api/test_survey_stored.py pins it to this file's code.
METHOD_VERSION = 1
COMPLEMENTARY_REASON = "withheld so a smaller group cannot be worked out"

V = TypeVar("V")


def primary_reason(minimum: int) -> str:
    return f"fewer than {minimum} responses"


def default_protection(minimum: int) -> int:
    """The default protection requirement: half the minimum, rounded down (5 for 10)."""
    return max(1, minimum // 2)


class Status(StrEnum):
    SHOWN = "shown"
    PRIMARY = "primary"
    COMPLEMENTARY = "complementary"


class ProtectionError(ValueError):
    """No suppression pattern can protect a cell (should not happen within the documented limits)."""


# --------------------------------------------------------------------------------------------- input


@dataclass(frozen=True)
class UnitCounts:
    """Responses of one unit in one wave: those recorded at the unit itself (not at its children).

    ``groups`` maps each breakdown to the unit's own responses per category; each breakdown must sum to
    ``responses`` (include a "not given" category). A unit with no own responses may omit them.
    """

    id: str
    parent: str | None
    responses: int
    groups: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class WaveCounts:
    """One wave: its units as frozen when it opened. ``categories`` may declare the categories of a
    breakdown (in display order), so that one nobody chose still has its cells."""

    id: str
    units: Sequence[UnitCounts]
    categories: Mapping[str, Sequence[str]] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ cell keys


@dataclass(frozen=True)
class Cell:
    """A published count: a unit's responses rolled up the tree, overall (breakdown None) or one group."""

    wave: str
    unit: str
    breakdown: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Residual:
    """Never published: the responses recorded at a unit with children, at the unit itself."""

    wave: str
    unit: str
    breakdown: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Change:
    """A published change between two waves of the same unit's cell: n(after) - n(before)."""

    before: str
    after: str
    unit: str
    breakdown: str | None = None
    category: str | None = None


Key = Cell | Residual | Change


# ------------------------------------------------------------------------------------ linear system


@dataclass(frozen=True)
class Tables:
    """Every published table of the waves as one linear system: cells with their true counts, and
    equations ``sum(coefficient x cell) = 0``. A total has coefficient +1, its parts -1."""

    keys: tuple[Key, ...]
    values: tuple[int, ...]
    equations: tuple[tuple[tuple[int, int], ...], ...]
    # Derived in __post_init__: a key's position, and the equations each cell is in.
    _index: dict[Key, int] = field(init=False, repr=False, compare=False)
    _by_cell: list[list[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {key: i for i, key in enumerate(self.keys)}
        if len(index) != len(self.keys):
            raise ValueError("duplicate cell keys")
        object.__setattr__(self, "_index", index)
        by_cell: list[list[int]] = [[] for _ in self.keys]
        for e, equation in enumerate(self.equations):
            for i, _ in equation:
                by_cell[i].append(e)
        object.__setattr__(self, "_by_cell", by_cell)

    def index(self, key: Key) -> int:
        return self._index[key]

    def equations_of(self, i: int) -> list[int]:
        return self._by_cell[i]

    def published(self, i: int) -> bool:
        return not isinstance(self.keys[i], Residual)

    def is_change(self, i: int) -> bool:
        return isinstance(self.keys[i], Change)


def _check_tree(wave: WaveCounts) -> tuple[list[str], dict[str, list[str]], dict[str, UnitCounts]]:
    units = {u.id: u for u in wave.units}
    if len(units) != len(wave.units):
        raise ValueError(f"wave {wave.id}: duplicate unit ids")
    children: dict[str, list[str]] = {u.id: [] for u in wave.units}
    for u in wave.units:
        if u.parent is not None:
            if u.parent not in units:
                raise ValueError(f"wave {wave.id}: unit {u.id} has an unknown parent {u.parent}")
            children[u.parent].append(u.id)
    order: list[str] = []  # parents before children
    queue = deque(u.id for u in wave.units if u.parent is None)
    while queue:
        uid = queue.popleft()
        order.append(uid)
        queue.extend(children[uid])
    if len(order) != len(units):
        raise ValueError(f"wave {wave.id}: the units' parents form a cycle")
    return order, children, units


def _columns(wave: WaveCounts, units: Mapping[str, UnitCounts]) -> list[tuple[str | None, str | None]]:
    categories: dict[str, list[str]] = {b: list(cs) for b, cs in wave.categories.items()}
    for u in wave.units:
        for b, counts in u.groups.items():
            seen = categories.setdefault(b, [])
            seen.extend(c for c in counts if c not in seen)
    for u in units.values():
        if u.responses < 0:
            raise ValueError(f"wave {wave.id}: unit {u.id} has a negative count")
        for b in categories:
            given = u.groups.get(b)
            if given is None:
                if u.responses:
                    raise ValueError(f"wave {wave.id}: unit {u.id} has no counts for breakdown {b}")
                continue
            if any(n < 0 for n in given.values()):
                raise ValueError(f"wave {wave.id}: unit {u.id} has a negative count in breakdown {b}")
            if sum(given.values()) != u.responses:
                raise ValueError(
                    f"wave {wave.id}: unit {u.id}, breakdown {b}: the categories sum to {sum(given.values())},"
                    f" not to the unit's {u.responses} responses (is a 'not given' category missing?)"
                )
    return [(None, None)] + [(b, c) for b, cs in categories.items() for c in cs]


def published_tables(waves: Sequence[WaveCounts], compare: Iterable[tuple[str, str]] | None = None) -> Tables:
    """The linear system of every published table: units, groups, and changes between the pairs of
    waves in ``compare`` (by default each wave against the one before it)."""
    keys: list[Key] = []
    values: list[int] = []
    index: dict[Key, int] = {}
    equations: list[tuple[tuple[int, int], ...]] = []

    def add(key: Key, value: int) -> int:
        index[key] = len(keys)
        keys.append(key)
        values.append(value)
        return index[key]

    by_id = {w.id: w for w in waves}
    if len(by_id) != len(waves):
        raise ValueError("duplicate wave ids")
    for wave in waves:
        order, children, units = _check_tree(wave)
        columns = _columns(wave, units)
        rolled: dict[tuple[str, str | None, str | None], int] = {}
        for uid in reversed(order):  # children before parents
            u = units[uid]
            for b, c in columns:
                own = u.responses if b is None or c is None else u.groups.get(b, {}).get(c, 0)
                rolled[uid, b, c] = own + sum(rolled[ch, b, c] for ch in children[uid])
        for uid in order:
            for b, c in columns:
                add(Cell(wave.id, uid, b, c), rolled[uid, b, c])
            if children[uid]:
                u = units[uid]
                for b, c in columns:
                    own = u.responses if b is None or c is None else u.groups.get(b, {}).get(c, 0)
                    add(Residual(wave.id, uid, b, c), own)
        breakdowns = list(dict.fromkeys(b for b, _ in columns if b is not None))
        for uid in order:
            kids = children[uid]
            for b, c in columns:
                if kids:
                    equations.append(
                        (
                            (index[Cell(wave.id, uid, b, c)], 1),
                            (index[Residual(wave.id, uid, b, c)], -1),
                            *((index[Cell(wave.id, ch, b, c)], -1) for ch in kids),
                        )
                    )
            for b in breakdowns:
                cats = [c for bb, c in columns if bb == b]
                equations.append(
                    ((index[Cell(wave.id, uid)], 1), *((index[Cell(wave.id, uid, b, c)], -1) for c in cats))
                )
                if kids:
                    equations.append(
                        ((index[Residual(wave.id, uid)], 1), *((index[Residual(wave.id, uid, b, c)], -1) for c in cats))
                    )
    pairs = list(compare) if compare is not None else [(a.id, b.id) for a, b in pairwise(waves)]
    for before, after in pairs:
        if before not in by_id or after not in by_id:
            raise ValueError(f"unknown wave in comparison {before} -> {after}")
        for key in list(keys):
            if isinstance(key, Cell) and key.wave == after:
                old = Cell(before, key.unit, key.breakdown, key.category)
                if old in index:
                    new = index[key]
                    j = add(
                        Change(before, after, key.unit, key.breakdown, key.category), values[new] - values[index[old]]
                    )
                    equations.append(((new, 1), (index[old], -1), (j, -1)))
    return Tables(tuple(keys), tuple(values), tuple(equations))


# ------------------------------------------------------------------------------------------- output


@dataclass(frozen=True)
class Decision:
    """What is published for a cell: its count, or that it is suppressed and why (never 0 or blank)."""

    status: Status
    n: int | None
    reason: str | None

    @property
    def shown(self) -> bool:
        return self.status is Status.SHOWN


@dataclass(frozen=True)
class Withheld:
    """Stands in for every figure of a suppressed cell."""

    status: Status
    reason: str


@dataclass(frozen=True)
class Interval:
    """An attacker's range of whole numbers for a cell (upper may be infinite). ``exact``: the best
    range; otherwise part of it, enough to prove the requirement met (whole tables consistent with
    everything published that give the cell these two values)."""

    lower: int
    upper: float
    exact: bool = True

    @property
    def width(self) -> float:
        return self.upper - self.lower


@dataclass(frozen=True)
class Protection:
    minimum: int
    protection: int
    complementary: bool
    decisions: Mapping[Key, Decision]
    intervals: Mapping[Key, Interval]
    """The attacker's range of every protected cell (suppressed primary counts, small residuals),
    from the exact check; empty when it was not run."""

    def __getitem__(self, key: Key) -> Decision:
        return self.decisions[key]

    def figure(self, key: Key, value: V) -> V | Withheld:
        """A figure derived from the cell (percent positive, mean, engagement, a significance test):
        the value when the cell is shown, otherwise the cell's suppression."""
        decision = self.decisions[key]
        if decision.shown:
            return value
        assert decision.reason is not None
        return Withheld(decision.status, decision.reason)

    def figures(self, key: Key, values: Mapping[str, V]) -> dict[str, V | Withheld]:
        return {name: self.figure(key, value) for name, value in values.items()}

    @property
    def suppressed(self) -> list[Key]:
        return [key for key, d in self.decisions.items() if not d.shown]


# ------------------------------------------------------------------------------------ the algorithm

_SHOWN, _PRIMARY, _COMPLEMENTARY, _HIDDEN = 0, 1, 2, 3
_INF = math.inf


class _State:
    """Statuses of the cells and the attacker's a-priori bounds that follow from them."""

    def __init__(self, tables: Tables, minimum: int, upper_bounds: Mapping[int, int]) -> None:
        self.t = tables
        self.m = minimum
        self.upper_bounds = upper_bounds
        # change figures are decided by inheritance at the end; until then they count as withheld,
        # which leaves their equations saying nothing (see _solve_intervals)
        self.status = [
            _HIDDEN
            if not tables.published(i)
            else _COMPLEMENTARY
            if tables.is_change(i)
            else (_PRIMARY if v < minimum else _SHOWN)
            for i, v in enumerate(tables.values)
        ]
        self.wave_equations = [
            e for e, eq in enumerate(tables.equations) if not any(tables.is_change(i) for i, _ in eq)
        ]
        self.seen_lo = [float(v) for v in tables.values]  # the range of each cell over the tables found
        self.seen_hi = [float(v) for v in tables.values]

    def bounds(self, i: int, status: int | None = None) -> tuple[float, float]:
        s = self.status[i] if status is None else status
        v = self.t.values[i]
        if s == _SHOWN:
            return v, v
        if self.t.is_change(i):
            return -_INF, _INF
        if s == _HIDDEN:
            lo, hi = (0.0, 0.0) if v == 0 else (0.0, _INF)
        elif s == _PRIMARY:
            lo, hi = 0.0, self.m - 1.0
        else:
            lo, hi = float(self.m), _INF
        ub = self.upper_bounds.get(i)
        return lo, (hi if ub is None else min(hi, ub))

    def sensitive(self, i: int) -> bool:
        s, v = self.status[i], self.t.values[i]
        if self.t.is_change(i):
            return False
        if s == _PRIMARY:
            return True
        return s == _HIDDEN and 0 < v < self.m

    def candidate(self, i: int) -> bool:
        """Can be suppressed to protect another cell."""
        return self.status[i] == _SHOWN and not self.t.is_change(i)

    def closure(self) -> tuple[list[bool], dict[int, int]]:
        """Cells fixed a priori or determined by repeatedly solving equations with one unknown left,
        and for each determined cell the equation that determined it."""
        fixed = [lo == hi for lo, hi in (self.bounds(i) for i in range(len(self.t.keys)))]
        known = list(fixed)
        via: dict[int, int] = {}
        remaining = {e: sum(1 for i, _ in self.t.equations[e] if not known[i]) for e in self.wave_equations}
        queue = deque(e for e, r in remaining.items() if r == 1)
        while queue:
            e = queue.popleft()
            if remaining[e] != 1:
                continue
            i = next(i for i, _ in self.t.equations[e] if not known[i])
            known[i] = True
            via[i] = e
            for e2 in self.t.equations_of(i):
                if e2 in remaining:
                    remaining[e2] -= 1
                    if remaining[e2] == 1:
                        queue.append(e2)
        return known, via

    def width_in(self, e: int, i: int, known: Sequence[bool], override: tuple[int, int] | None = None) -> float:
        """Width of cell i's whole-number range given equation e alone."""
        coef_i = 0
        low = high = 0.0  # range of -sum(a_l x_l) over the other cells
        for j, a in self.t.equations[e]:
            if j == i:
                coef_i = a
                continue
            if known[j] and (override is None or override[0] != j):
                lo = hi = float(self.t.values[j])
            else:
                lo, hi = self.bounds(j, override[1] if override is not None and override[0] == j else None)
            terms = (-a * lo, -a * hi)
            low += min(terms)
            high += max(terms)
        lo_i, hi_i = (low / coef_i, high / coef_i) if coef_i > 0 else (high / coef_i, low / coef_i)
        own_lo, own_hi = self.bounds(i)
        lo_i, hi_i = max(lo_i, own_lo), min(hi_i, own_hi)
        if math.isinf(hi_i):
            return _INF
        return math.floor(hi_i + 1e-9) - math.ceil(lo_i - 1e-9)

    def record(self, cells: Sequence[int], values: Any) -> None:
        """A whole table consistent with everything published: it stays so when more is suppressed
        (that only relaxes the attacker's problem), so the range seen for each cell only grows."""
        for i, v in zip(cells, values, strict=True):
            v = float(v)
            if v < self.seen_lo[i]:
                self.seen_lo[i] = v
            elif v > self.seen_hi[i]:
                self.seen_hi[i] = v

    def spread(self, i: int) -> float:
        return self.seen_hi[i] - self.seen_lo[i]

    def suppress(self, j: int) -> None:
        self.status[j] = _PRIMARY if self.t.values[j] < self.m else _COMPLEMENTARY

    def partner(self, e: int, i: int, known: Sequence[bool], need: int) -> int | None:
        """The shown cell of equation e to suppress for cell i: one that widens it enough if any, a
        part before the total, the smallest count first."""
        best = None
        for j, a in self.t.equations[e]:
            if j == i or not self.candidate(j):
                continue
            width = self.width_in(e, i, known, override=(j, _COMPLEMENTARY))
            rank = (width < need, a > 0, self.t.values[j], j)
            if best is None or rank < best[0]:
                best = (rank, j)
        return None if best is None else best[1]


def _heuristic(state: _State, need: int) -> None:
    t = state.t
    while True:
        known, via = state.closure()
        touched: set[int] = set()
        changed = False
        # determined protected cells: break the chain that determined them
        for i in via:
            if not state.sensitive(i) or i in touched:
                continue
            j = _break_chain(state, i, known, via, need, set())
            if j is not None and j not in touched:
                state.suppress(j)
                touched.update(c for eq in t.equations_of(j) for c, _ in t.equations[eq])
                changed = True
        if changed:
            continue
        # protected cells whose range within a single equation is too narrow
        for e in state.wave_equations:
            cells = [i for i, _ in t.equations[e]]
            if touched.intersection(cells):
                continue
            for i in cells:
                if known[i] or not state.sensitive(i):
                    continue
                if state.width_in(e, i, known) < need:
                    j = state.partner(e, i, known, need)
                    if j is not None:
                        state.suppress(j)
                        touched.update(cells)
                        changed = True
                        break
        if not changed:
            return


def _break_chain(
    state: _State, i: int, known: Sequence[bool], via: Mapping[int, int], need: int, seen: set[int]
) -> int | None:
    seen.add(i)
    e = via[i]
    j = state.partner(e, i, known, need)
    if j is not None:
        return j
    for k, _ in state.t.equations[e]:  # every other cell of e is known; undo one that was determined
        if k not in seen and k in via:
            j = _break_chain(state, k, known, via, need, seen)
            if j is not None:
                return j
    return None


class _Component:
    """One attacker's problem: the unknown cells linked by equations, over whole numbers."""

    def __init__(self, state: _State, cells: list[int], equations: list[int], bounds: Sequence[tuple[float, float]]):
        import numpy as np
        from scipy.sparse import csr_array

        t = state.t
        self.state = state
        self.cells = cells
        self.equations = equations
        self.col = {i: k for k, i in enumerate(cells)}
        rows: list[int] = []
        cols: list[int] = []
        data: list[float] = []
        rhs: list[float] = []
        for r, e in enumerate(equations):
            total = 0.0
            for i, a in t.equations[e]:
                if i in self.col:
                    rows.append(r)
                    cols.append(self.col[i])
                    data.append(float(a))
                else:
                    total -= a * bounds[i][0]
            rhs.append(total)
        # Any: SciPy's stubs take no sparse matrix for linprog's A_eq, which HiGHS reads as it is.
        self.a_eq: Any = csr_array((data, (rows, cols)), shape=(len(rhs), len(cells))) if rhs else None
        self.b_eq: Any = np.array(rhs) if rhs else None
        self.lo = np.array([bounds[i][0] for i in cells])
        self.hi = np.array([bounds[i][1] for i in cells])
        # a bound for the solves that only want some whole table, never for the ranges themselves
        self.big = 4.0 * sum(v for i, v in enumerate(t.values) if not t.is_change(i)) + 10.0 * state.m + 10.0
        self.marginals: Any = None

    def optimum(self, c: Any, clip: bool = False, record: bool = True) -> float:
        """min c.x over whole tables (-inf when unbounded). The linear relaxation first: when its
        optimal vertex is whole it is the answer, and when it is unbounded so is the whole problem.
        A table found is recorded as one the attacker cannot rule out (see _State.seen)."""
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, linprog, milp

        lo, hi = (np.maximum(self.lo, -self.big), np.minimum(self.hi, self.big)) if clip else (self.lo, self.hi)
        box: Any = np.column_stack([lo, hi])  # (n, 2): linprog takes it, though its stubs say a sequence
        # Any: SciPy's result (linprog's or milp's), whose x and fun are set whenever status is 0.
        res: Any = linprog(c, A_eq=self.a_eq, b_eq=self.b_eq, bounds=box, method="highs")
        if res.status == 3:
            return -_INF
        self.marginals = res.eqlin.marginals if res.status == 0 and self.a_eq is not None else None
        if not (res.status == 0 and np.all(np.abs(res.x - np.round(res.x)) < 1e-7)):
            constraints = [LinearConstraint(self.a_eq, self.b_eq, self.b_eq)] if self.a_eq is not None else []
            res = milp(
                c, integrality=np.ones(len(self.lo), dtype=np.uint8), bounds=Bounds(lo, hi), constraints=constraints
            )
            if res.status != 0:
                keys = [self.state.t.keys[i] for i in self.cells]
                raise ProtectionError(f"an attacker's problem over {keys} failed: {res.message}")
        if record:
            self.state.record(self.cells, np.round(res.x))
        return float(res.fun)

    def intervals(self, wanted: list[int], need: int | None, record: bool = True) -> dict[int, Interval]:
        """Each wanted cell's range. With ``need``, first a few tables that pull the wanted cells apart,
        many at once; a cell the tables found so far already spread ``need`` apart is proven protected
        without a problem of its own (its interval is then the part of its range found, ``exact=False``)."""
        import numpy as np

        state = self.state
        if need is not None and record:
            rng = np.random.default_rng(len(self.lo))
            left = [i for i in wanted if state.spread(i) < need]
            while len(left) > 2:
                signs = np.zeros(len(self.lo))
                signs[[self.col[i] for i in left]] = 1.0
                for c in (signs, -signs, *(signs * rng.choice([-1.0, 1.0], len(self.lo)) for _ in range(4))):
                    self.optimum(c, clip=True)
                before = len(left)
                left = [i for i in left if state.spread(i) < need]
                if len(left) > 0.8 * before:
                    break
        out = {}
        for i in wanted:
            if need is not None and record and state.spread(i) >= need:
                out[i] = Interval(round(state.seen_lo[i]), round(state.seen_hi[i]), exact=False)
                continue
            c = np.zeros(len(self.lo))
            c[self.col[i]] = 1.0
            lower = self.optimum(c, record=record)
            upper = -self.optimum(-c, record=record)
            out[i] = Interval(math.ceil(lower - 1e-6), upper if math.isinf(upper) else math.floor(upper + 1e-6))
        return out

    def limiting(self, i: int) -> list[int]:
        """Shown cells whose release could widen cell i's range, by the dual values of its two problems:
        releasing shown cell j lets it rise without limit, or fall to the minimum; that helps when the
        objective's derivative with respect to j's value points the way j can move."""
        import numpy as np

        t, state = self.state.t, self.state
        gradients: dict[int, list[float]] = {}
        c = np.zeros(len(self.lo))
        c[self.col[i]] = 1.0
        for sign in (1.0, -1.0):
            self.optimum(sign * c, record=False)
            if self.marginals is None:
                continue
            for r, e in enumerate(self.equations):
                y = float(self.marginals[r])
                if abs(y) < 1e-9:
                    continue
                for j, a in t.equations[e]:
                    if state.candidate(j):
                        g = gradients.setdefault(j, [0.0, 0.0])
                        g[sign < 0] -= y * a  # d(objective) / d(value of j)
        helpful = [
            j for j, gs in gradients.items() if any(g < -1e-9 or (g > 1e-9 and t.values[j] > state.m) for g in gs)
        ]
        return sorted(helpful, key=lambda j: (t.values[j], j))


def _components(state: _State, targets: Iterable[int]) -> list[tuple[list[int], list[int], list[int]]]:
    """The independent problems holding the targets: (cells, targets among them, equations). Cells
    the attacker knows are constants; an equation with a withheld change (unknown, unbounded, in no
    other equation) says nothing about the others and is left out."""
    t = state.t
    n = len(t.keys)
    bounds = [state.bounds(i) for i in range(n)]
    fixed = [lo == hi for lo, hi in bounds]

    def free(i: int) -> bool:
        return not fixed[i] and math.isinf(bounds[i][0]) and math.isinf(bounds[i][1]) and len(t.equations_of(i)) == 1

    live = {e for e, eq in enumerate(t.equations) if not any(free(i) for i, _ in eq)}
    parent = list(range(n))  # union-find over the unknown cells that share an equation

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in live:
        for a, b in pairwise([i for i, _ in t.equations[e] if not fixed[i]]):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb
    wanted: dict[int, list[int]] = {}
    for i in targets:
        if not fixed[i]:
            wanted.setdefault(find(i), []).append(i)
    members: dict[int, list[int]] = {}
    for i in range(n):
        if not fixed[i] and find(i) in wanted:
            members.setdefault(find(i), []).append(i)
    return [
        (members[root], targets_in, sorted({e for i in members[root] for e in t.equations_of(i) if e in live}))
        for root, targets_in in wanted.items()
    ]


def _solve_intervals(
    state: _State,
    targets: Iterable[int],
    need: int | None = None,
    component_of: dict[int, frozenset[int]] | None = None,
    record: bool = True,
) -> dict[int, Interval]:
    """The attacker's problems: for each target, min and max over whole numbers subject to every
    equation (waves and changes), the shown values and the bounds the published reasons give.
    With ``need``, a cell already shown to range at least that far is not solved exactly.
    ``component_of`` receives each target's component; ``record=False`` for trial patterns."""
    targets = list(targets)
    bounds = [state.bounds(i) for i in range(len(state.t.keys))]
    out = {i: Interval(state.t.values[i], state.t.values[i]) for i in targets if bounds[i][0] == bounds[i][1]}
    for cells, wanted, equations in _components(state, targets):
        if component_of is not None:
            component_of.update((i, frozenset(cells)) for i in wanted)
        out.update(_Component(state, cells, equations, bounds).intervals(wanted, need, record))
    return out


def _repair(state: _State, i: int, need: int, max_trials: int = 8) -> None:
    """Suppress one more shown cell for cell i: among those the dual values say limit it (the
    smallest first), the first that makes i wide enough, else the one that widens it most; when the
    duals name none, the nearest and smallest cells around it."""
    t = state.t
    bounds = [state.bounds(k) for k in range(len(t.keys))]
    problems = _components(state, [i])
    if not problems:  # known exactly from elsewhere (an upper bound of 0, say): nothing can hide it
        raise ProtectionError(f"{t.keys[i]} cannot be protected: it is known from elsewhere")
    ((cells, _, equations),) = problems
    limiting = _Component(state, cells, equations, bounds).limiting(i)
    near: set[int] = set()
    for k in cells:  # the shown cells in the equations of i's problem
        for e in t.equations_of(k):
            near.update(j for j, _ in t.equations[e] if state.candidate(j))
    direct = {j for e in t.equations_of(i) for j, _ in t.equations[e]}
    others = sorted(near.difference(limiting), key=lambda j: (j not in direct, t.values[j], j))
    candidates = limiting + others
    if not candidates:
        raise ProtectionError(f"{t.keys[i]} cannot be protected: every cell around it is already suppressed")
    best: tuple[float, int] | None = None
    for j in candidates[:max_trials]:
        state.status[j] = _COMPLEMENTARY if t.values[j] >= state.m else _PRIMARY
        width = _solve_intervals(state, [i], record=False)[i].width
        state.status[j] = _SHOWN
        if width >= need:
            state.suppress(j)
            return
        if best is None or width > best[0]:
            best = (width, j)
    assert best is not None
    state.suppress(best[1])


def attack(
    tables: Tables, decisions: Mapping[Key, Decision], minimum: int, cells: Iterable[Key] | None = None
) -> dict[Key, Interval]:
    """The exact check on its own: the attacker's whole-number range of each of ``cells`` (by default
    every protected cell) given the published decisions."""
    state = _State(tables, minimum, {})
    for i, key in enumerate(tables.keys):
        if key in decisions:
            state.status[i] = {Status.SHOWN: _SHOWN, Status.PRIMARY: _PRIMARY, Status.COMPLEMENTARY: _COMPLEMENTARY}[
                decisions[key].status
            ]
    targets = (
        [tables.index(k) for k in cells]
        if cells is not None
        else [i for i in range(len(tables.keys)) if state.sensitive(i)]
    )
    return {tables.keys[i]: interval for i, interval in _solve_intervals(state, targets).items()}


def protect(
    waves: Sequence[WaveCounts],
    *,
    minimum: int = DEFAULT_MINIMUM,
    protection: int | None = None,
    complementary: bool = True,
    compare: Iterable[tuple[str, str]] | None = None,
    forced: Iterable[Cell] = (),
    upper_bounds: Mapping[Cell, int] | None = None,
    verify: bool = True,
) -> Protection:
    """Decide, for every published count of the waves, whether it is shown or suppressed and why.

    ``protection``: the protection requirement (see the module docstring), default ``minimum // 2``.
    ``complementary=False`` applies primary suppression only (unsafe; for tests and demonstrations).
    ``compare``: pairs of wave ids (before, after) whose changes are published; default consecutive.
    ``forced``: cells that must be suppressed whatever their count (e.g. those suppressed for the
    respondents when protecting one question's answer counts); ``upper_bounds``: bounds an attacker
    knows from elsewhere (e.g. a question's answers in a cell cannot exceed its shown respondents).
    ``verify``: run the exact check (integer programmes) and repair until it passes; without it only
    the constraint heuristic runs.
    """
    if minimum < 3:
        raise ValueError("minimum must be at least 3")
    need = default_protection(minimum) if protection is None else protection
    if not 1 <= need <= minimum - 2:
        raise ValueError(f"protection must be between 1 and minimum - 2 ({minimum - 2})")
    tables = published_tables(waves, compare)
    bounds_by_index = {}
    for bounded, ub in (upper_bounds or {}).items():
        i = tables.index(bounded)
        if ub < tables.values[i]:
            raise ValueError(f"upper bound {ub} of {bounded} is below its count")
        bounds_by_index[i] = ub
    state = _State(tables, minimum, bounds_by_index)
    for cell in forced:
        state.suppress(tables.index(cell))
    intervals: dict[int, Interval] = {}
    if complementary:
        while True:
            _heuristic(state, need)
            if not verify:
                break
            targets = [i for i in range(len(tables.keys)) if state.sensitive(i)]
            component_of: dict[int, frozenset[int]] = {}
            intervals = _solve_intervals(state, targets, need, component_of)
            failing = [i for i in targets if intervals[i].width < need]
            if not failing:
                break
            repaired: set[frozenset[int]] = set()
            for i in failing:  # one repair per problem, then look again
                if component_of[i] not in repaired:
                    repaired.add(component_of[i])
                    _repair(state, i, need)
    elif verify:
        intervals = _solve_intervals(state, [i for i in range(len(tables.keys)) if state.sensitive(i)], need)

    # changes inherit the suppression of either count
    for eq in tables.equations:
        if any(tables.is_change(i) for i, _ in eq):
            (new, _), (old, _), (change, _) = eq
            worst = max(state.status[new], state.status[old], key=lambda s: (s != _SHOWN, s == _PRIMARY))
            state.status[change] = worst
    reasons = {_PRIMARY: primary_reason(minimum), _COMPLEMENTARY: COMPLEMENTARY_REASON}
    statuses = {_SHOWN: Status.SHOWN, _PRIMARY: Status.PRIMARY, _COMPLEMENTARY: Status.COMPLEMENTARY}
    decisions: dict[Key, Decision] = {}
    for i, key in enumerate(tables.keys):
        s = state.status[i]
        if s == _HIDDEN:
            continue
        decisions[key] = Decision(statuses[s], tables.values[i] if s == _SHOWN else None, reasons.get(s))
    return Protection(
        minimum=minimum,
        protection=need,
        complementary=complementary,
        decisions=decisions,
        intervals={tables.keys[i]: interval for i, interval in intervals.items()},
    )
