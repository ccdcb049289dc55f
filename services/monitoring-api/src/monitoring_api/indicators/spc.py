"""Statistical process control for outcome indicators: the Making Data Count XmR chart.

The numbers are those of NHSRplotthedots 0.2.2 (release commit 050b07d of
nhs-r-community/NHSRplotthedots), the NHS-R community's R package: same limits, same rules,
same precedence, same names for point types, icons and assurance. `services/monitoring-api/SPC.md`
explains every decision and the package line it follows. In short, for each rebase segment:

* mean over the first `fix_after_n_points` rows of the segment (all rows when unset), gaps left
  out; moving ranges between consecutive rows of that baseline (none across a gap); average
  moving range (AMR), then, when screening, the AMR again without the moving ranges that are
  not strictly below 3.267 x AMR;
* process limits mean +/- 2.66 x AMR, near limits mean +/- 2 x (2.66 / 3) x AMR;
* special causes in precedence order: outside the process limits; a trend (7 points, 6 rises or
  6 falls in a row; an equal value breaks it); 2 of 3 points on the same side of the mean
  strictly beyond a near limit yet not outside the process limits (a value on a process limit
  is in this band); a shift (7 points on the same side of
  the mean; a point on the mean breaks it). Every point of a qualifying run is flagged (for
  2 of 3, the points in the band). No run spans a gap or a rebase.

Beyond the package, and off or neutral by default: run lengths as parameters, targets that
change over time, ghosted points (shown, left out of the calculation entirely) and the 2023
Making Data Count reading of the 2-of-3 rule (`two_sigma`: every point beyond a near limit
counts, outside the process limits included).

Plain functions on plain data; no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby, pairwise
from typing import Literal, cast

__all__ = [
    "CONSISTENT_FAIL",
    "CONSISTENT_PASS",
    "INCONSISTENT",
    "Limits",
    "Point",
    "SpcPoint",
    "SpcResult",
    "SpcSegment",
    "TargetPeriod",
    "assurance_type",
    "beyond_near_limits",
    "close_to_limits",
    "outside_limits",
    "part_of_run",
    "point_type",
    "process_limits",
    "relative_to_mean",
    "shift_run_ends",
    "spc",
    "special_cause_types",
    "target_on",
    "trend_run_ends",
    "two_in_three",
    "variation_icon",
]

ImprovementDirection = Literal["increase", "decrease", "neutral"]

IMPROVEMENT_DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "neutral")

LIMIT = 2.66  # process limits: mean +/- LIMIT x AMR (3 sigma, with sigma = AMR / 1.128)
NEAR_LIMIT = 2 * (LIMIT / 3)  # the "close to the limits" band starts here (2 sigma); computed as the package does
OUTLIER_SCREEN = 3.267  # a moving range at or above this many AMRs is screened out
MIN_FIX_AFTER_N_POINTS = 12  # the package refuses a baseline shorter than this
PROVISIONAL_BELOW = 13  # a segment with fewer rows than this has trial ("provisional") limits
DEFAULT_TREND_POINTS = 7
DEFAULT_SHIFT_POINTS = 7

# Point types (the package's `point_type` column).
COMMON_CAUSE = "common_cause"
SPECIAL_CAUSE_IMPROVEMENT = "special_cause_improvement"
SPECIAL_CAUSE_CONCERN = "special_cause_concern"
SPECIAL_CAUSE_NEUTRAL_HIGH = "special_cause_neutral_high"
SPECIAL_CAUSE_NEUTRAL_LOW = "special_cause_neutral_low"

# Assurance types (the package's `assurance_type`; its icon files are pass.svg, fail.svg, inconsistent.svg).
CONSISTENT_PASS = "consistent_pass"  # noqa: S105 (a label, not a secret)
CONSISTENT_FAIL = "consistent_fail"
INCONSISTENT = "inconsistent"

# Special cause labels (the package's `special_cause_type` column), for the default run lengths.
COMMON_CAUSE_LABEL = "Common Cause"


@dataclass(frozen=True)
class Point:
    """One observation. `value` None is a gap (a period with no value)."""

    date: date
    value: float | None


@dataclass(frozen=True)
class TargetPeriod:
    """A target in force from `from_date` until the next period starts."""

    from_date: date
    value: float


@dataclass(frozen=True)
class Limits:
    """Mean and limits of one segment; None where the package gives NaN (nothing to average)."""

    mean: float | None
    amr: float | None  # average moving range, after screening when screening
    lpl: float | None
    upl: float | None
    near_lpl: float | None
    near_upl: float | None


@dataclass(frozen=True)
class SpcPoint:
    date: date
    value: float | None
    rebase_group: int  # the package's rebase_group: how many rebase dates are on or before this date
    ghosted: bool  # shown, but left out of every calculation
    baseline: bool  # one of the first fix_after_n_points rows of its segment (all rows when unset)
    provisional: bool  # its segment has fewer than 13 rows (the package's short_group_warning)
    mean: float | None  # the package's mean_col
    lpl: float | None
    upl: float | None
    near_lpl: float | None  # mean - 2 x (2.66 / 3) x AMR: the inner edge of the lower "close to limits" band
    near_upl: float | None  # mean + 2 x (2.66 / 3) x AMR
    target: float | None  # the target in force on this date
    relative_to_mean: int | None  # sign(value - mean): 1, 0 or -1; None for a gap or a ghosted point
    outside_limits: bool | None  # value strictly beyond a process limit
    close_to_limits: bool | None  # not outside, and strictly beyond a near limit
    part_of_trend: bool  # rule flags, each before precedence
    part_of_two_in_three: bool
    part_of_shift: bool
    special_cause_type: str | None  # "Above UCL", "7 Point Trend (Increasing)", ..., "Common Cause"
    special_cause_flag: bool
    point_type: str | None  # None only for a ghosted point


@dataclass(frozen=True)
class SpcSegment:
    """One rebase segment, as the package's summary() reports it."""

    rebase_group: int
    start: date
    end: date
    n: int  # rows in the calculation: gaps count (as in the package), ghosted points do not
    limits: Limits
    provisional: bool
    common_cause: int  # n minus the points with a special cause (the package's count)
    special_cause_improvement: int
    special_cause_concern: int
    special_cause_neutral: int
    variation_type: str | None  # point type of the segment's last row in the calculation


@dataclass(frozen=True)
class SpcResult:
    points: tuple[SpcPoint, ...]  # in date order
    segments: tuple[SpcSegment, ...]
    improvement_direction: str
    variation_type: str | None  # point type of the last point in the calculation
    variation_icon: str | None  # common_cause, improvement_high, concern_low, neutral_high, ...
    assurance_type: str | None  # consistent_pass, consistent_fail, inconsistent; None without target or if neutral
    provisional: bool  # the last point's segment has trial limits


# ---------------------------------------------------------------------------------------------
# Building blocks, each the pure form of one step of the package.


def _mean(values: Sequence[float]) -> float | None:
    """Correctly rounded mean (R sums in extended precision and corrects; this is exact), None if empty.

    Every double is an integer over a power of two: the sum is exact over the largest of those powers,
    and Python's int / int is correctly rounded, so this is the exact mean rounded once (as
    Fraction(sum) / n would give, several times faster)."""
    if not values:
        return None
    ratios = [v.as_integer_ratio() for v in values]
    scale = max(d for _, d in ratios)
    return sum(n * (scale // d) for n, d in ratios) / (scale * len(values))


def process_limits(
    values: Sequence[float | None], fix_after_n_points: int | None = None, screen_outliers: bool = True
) -> Limits:
    """Mean and limits of one segment's values in order (None for a gap)."""
    baseline = list(values if fix_after_n_points is None else values[:fix_after_n_points])
    mean = _mean([v for v in baseline if v is not None])
    moving_ranges = [abs(b - a) for a, b in pairwise(baseline) if a is not None and b is not None]
    amr = _mean(moving_ranges)
    if screen_outliers and amr is not None:
        cutoff = OUTLIER_SCREEN * amr
        amr = _mean([mr for mr in moving_ranges if mr < cutoff])
    if mean is None or amr is None:
        return Limits(mean=mean, amr=amr, lpl=None, upl=None, near_lpl=None, near_upl=None)
    return Limits(
        mean=mean,
        amr=amr,
        lpl=mean - LIMIT * amr,
        upl=mean + LIMIT * amr,
        near_lpl=mean - NEAR_LIMIT * amr,
        near_upl=mean + NEAR_LIMIT * amr,
    )


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def relative_to_mean(values: Sequence[float | None], limits: Limits) -> list[int | None]:
    mean = limits.mean
    return [None if v is None or mean is None else _sign(v - mean) for v in values]


def outside_limits(values: Sequence[float | None], limits: Limits) -> list[bool | None]:
    lpl, upl = limits.lpl, limits.upl
    if lpl is None or upl is None:
        return [None] * len(values)
    return [None if v is None else (v > upl or v < lpl) for v in values]


def beyond_near_limits(values: Sequence[float | None], limits: Limits) -> list[bool | None]:
    """Strictly beyond a near limit (2 sigma), outside the process limits included."""
    lo, hi = limits.near_lpl, limits.near_upl
    if lo is None or hi is None:
        return [None] * len(values)
    return [None if v is None else (v < lo or v > hi) for v in values]


def close_to_limits(values: Sequence[float | None], limits: Limits) -> list[bool | None]:
    """Strictly beyond a near limit but not outside the process limits (the package's band)."""
    return [
        None if out is None or beyond is None else (not out and beyond)
        for out, beyond in zip(outside_limits(values, limits), beyond_near_limits(values, limits), strict=True)
    ]


def trend_run_ends(values: Sequence[float | None], length: int = DEFAULT_TREND_POINTS) -> list[int]:
    """1 (or -1) where the `length` points ending here rise (fall) at every step, else 0.

    An equal value breaks a trend; a window with a gap never qualifies.
    """
    ends = [0] * len(values)
    for end in range(length - 1, len(values)):
        window = [v for v in values[end - length + 1 : end + 1] if v is not None]
        if len(window) < length:
            continue
        steps = {_sign(b - a) for a, b in pairwise(window)}
        if steps == {1}:
            ends[end] = 1
        elif steps == {-1}:
            ends[end] = -1
    return ends


def shift_run_ends(rtm: Sequence[int | None], length: int = DEFAULT_SHIFT_POINTS) -> list[bool]:
    """True where the `length` points ending here are all on the same side of the mean (none on it)."""
    ends = [False] * len(rtm)
    for end in range(length - 1, len(rtm)):
        window = rtm[end - length + 1 : end + 1]
        ends[end] = window[0] in (1, -1) and all(s == window[0] for s in window)
    return ends


def part_of_run(ends: Sequence[int | bool], length: int) -> list[bool]:
    """True for every point of a run of `length` points whose last point is marked in `ends`."""
    return [any(ends[i : i + length]) for i in range(len(ends))]


def two_in_three(flags: Sequence[bool | None], rtm: Sequence[int | None]) -> list[bool]:
    """True where a point sits in 3 consecutive points, all on one side of the mean, 2 or more of them flagged.

    Only whole windows count (none runs off either end); a window with a gap never qualifies.
    """
    n = len(flags)
    qualifies = []
    for start in range(n - 2):
        w_flags, w_rtm = flags[start : start + 3], rtm[start : start + 3]
        same_side = w_rtm[0] in (1, -1) and all(s == w_rtm[0] for s in w_rtm)
        qualifies.append(same_side and None not in w_flags and sum(bool(f) for f in w_flags) >= 2)
    return [any(qualifies[max(0, i - 2) : i + 1]) for i in range(n)]


def special_cause_types(
    values: Sequence[float | None],
    rtm: Sequence[int | None],
    outside: Sequence[bool | None],
    part_trend: Sequence[bool],
    part_two_in_three: Sequence[bool],
    part_shift: Sequence[bool],
    trend_points: int = DEFAULT_TREND_POINTS,
    shift_points: int = DEFAULT_SHIFT_POINTS,
) -> list[str]:
    """The package's special_cause_type labels, by precedence: outside, trend, 2 in 3, shift, common cause.

    A trend point's direction is taken from the step to the next point when that point is also part of a trend,
    and from the step from the previous point otherwise; a step that is not a rise is read as "Decreasing".
    This follows the package exactly, including where two trends meet (see SPC.md).
    """
    n = len(values)
    labels = []
    for i in range(n):
        side = "Above" if (rtm[i] or 0) > 0 else "Below"
        if outside[i]:
            labels.append("Above UCL" if rtm[i] == 1 else "Below LCL")
        elif part_trend[i]:
            step = _step(values, i, i + 1) if i + 1 < n and part_trend[i + 1] else _step(values, i - 1, i)
            labels.append(f"{trend_points} Point Trend ({'Increasing' if step == 1 else 'Decreasing'})")
        elif part_two_in_three[i]:
            labels.append(f"2 in 3 {side} CL")
        elif part_shift[i]:
            labels.append(f"{shift_points} Points {side} CL")
        else:
            labels.append(COMMON_CAUSE_LABEL)
    return labels


def _step(values: Sequence[float | None], before: int, after: int) -> int:
    """Sign of the step between two rows; 0 off the start (a trend point never has a gap next to it)."""
    a, b = (values[before], values[after]) if before >= 0 else (None, None)
    return 0 if a is None or b is None else _sign(b - a)


def point_type(special_cause_type: str, improvement_direction: str) -> str:
    """Map a special cause label to the package's point type for the indicator's direction."""
    _check_direction(improvement_direction)
    if "Above" in special_cause_type or "Increasing" in special_cause_type:
        high = 1
    elif "Below" in special_cause_type or "Decreasing" in special_cause_type:
        high = -1
    else:
        return COMMON_CAUSE
    if improvement_direction == "neutral":
        return SPECIAL_CAUSE_NEUTRAL_HIGH if high > 0 else SPECIAL_CAUSE_NEUTRAL_LOW
    better = high if improvement_direction == "increase" else -high
    return SPECIAL_CAUSE_IMPROVEMENT if better > 0 else SPECIAL_CAUSE_CONCERN


def variation_icon(point_type_: str | None, improvement_direction: str) -> str | None:
    """The package's variation icon name (its icon file without .svg) for the last point's type."""
    _check_direction(improvement_direction)
    increase = improvement_direction == "increase"
    return {
        COMMON_CAUSE: "common_cause",
        SPECIAL_CAUSE_NEUTRAL_HIGH: "neutral_high",
        SPECIAL_CAUSE_NEUTRAL_LOW: "neutral_low",
        SPECIAL_CAUSE_CONCERN: "concern_low" if increase else "concern_high",
        SPECIAL_CAUSE_IMPROVEMENT: "improvement_high" if increase else "improvement_low",
    }.get(point_type_ or "")


def assurance_type(
    target: float | None, lpl: float | None, upl: float | None, improvement_direction: str
) -> str | None:
    """Will the process meet the target? From the last point's limits, as the package decides it.

    None without a target or with a neutral direction; "inconsistent" when the limits are unknown.
    """
    _check_direction(improvement_direction)
    if target is None or improvement_direction == "neutral":
        return None
    increase = improvement_direction == "increase"
    if upl is not None and target > upl:
        return CONSISTENT_FAIL if increase else CONSISTENT_PASS
    if lpl is not None and target < lpl:
        return CONSISTENT_PASS if increase else CONSISTENT_FAIL
    return INCONSISTENT


def target_on(target: float | Sequence[TargetPeriod] | None, day: date) -> float | None:
    """The target in force on `day`: a single number always; else the latest period starting on or before it."""
    if target is None or isinstance(target, int | float):
        return None if target is None else float(target)
    in_force = [t for t in target if t.from_date <= day]
    return max(in_force, key=lambda t: t.from_date).value if in_force else None


# ---------------------------------------------------------------------------------------------
# The chart.


@dataclass(frozen=True)
class _Evaluated:
    limits: Limits
    rtm: list[int | None]
    outside: list[bool | None]
    close: list[bool | None]
    part_trend: list[bool]
    part_two_in_three: list[bool]
    part_shift: list[bool]
    labels: list[str]


def _evaluate(
    values: list[float | None],
    fix_after_n_points: int | None,
    screen_outliers: bool,
    trend_points: int,
    shift_points: int,
    two_sigma: bool,
) -> _Evaluated:
    """The package's calculation for the rows of one segment, in order."""
    limits = process_limits(values, fix_after_n_points, screen_outliers)
    rtm = relative_to_mean(values, limits)
    outside = outside_limits(values, limits)
    close = close_to_limits(values, limits)
    counted = beyond_near_limits(values, limits) if two_sigma else close
    qualifying = two_in_three(counted, rtm)
    part_trend = part_of_run(trend_run_ends(values, trend_points), trend_points)
    part_two = [q and c is True for q, c in zip(qualifying, counted, strict=True)]
    part_shift = part_of_run(shift_run_ends(rtm, shift_points), shift_points)
    labels = special_cause_types(values, rtm, outside, part_trend, part_two, part_shift, trend_points, shift_points)
    return _Evaluated(limits, rtm, outside, close, part_trend, part_two, part_shift, labels)


def spc(
    points: Iterable[Point | tuple[date, float | None]],
    *,
    improvement_direction: str = "increase",
    target: float | Sequence[TargetPeriod | tuple[date, float]] | None = None,
    fix_after_n_points: int | None = None,
    rebase_dates: Iterable[date] = (),
    screen_outliers: bool = True,
    ghosted_dates: Iterable[date] = (),
    trend_points: int = DEFAULT_TREND_POINTS,
    shift_points: int = DEFAULT_SHIFT_POINTS,
    two_sigma: bool = False,
) -> SpcResult:
    """An XmR chart of `points` as NHSRplotthedots 0.2.2 computes it (defaults are the package's).

    Points are ordered by date (dates must be unique). A value of None or NaN is a gap. A rebase date starts a new
    segment at the point with exactly that date; a rebase date with no point is ignored, as in the package. A
    ghosted date's point stays in the output with its segment's mean and limits but is removed before anything is
    calculated: its neighbours become adjacent for moving ranges and runs, and it counts neither towards
    `fix_after_n_points` nor towards the segment's size. `target` is one number, or periods (from_date, value).
    """
    _check_direction(improvement_direction)
    _check_options(fix_after_n_points, trend_points, shift_points)
    rows = _rows(points)
    targets = _targets(target)
    rebase = set(rebase_dates)
    ghosted = set(ghosted_dates)

    groups: list[int] = []
    group = 0
    for p in rows:
        group += p.date in rebase
        groups.append(group)

    out: list[SpcPoint] = []
    segments: list[SpcSegment] = []
    for rebase_group, members in groupby(zip(groups, rows, strict=True), key=lambda gr: gr[0]):
        seg_rows = [p for _, p in members]
        calc = [p for p in seg_rows if p.date not in ghosted]
        ev = _evaluate(
            [p.value for p in calc], fix_after_n_points, screen_outliers, trend_points, shift_points, two_sigma
        )
        lim = ev.limits
        provisional = len(calc) < PROVISIONAL_BELOW
        types = [point_type(label, improvement_direction) for label in ev.labels]
        k = 0  # index among the rows in the calculation
        for p in seg_rows:
            common = {
                "date": p.date,
                "value": p.value,
                "rebase_group": rebase_group,
                "provisional": provisional,
                "mean": lim.mean,
                "lpl": lim.lpl,
                "upl": lim.upl,
                "near_lpl": lim.near_lpl,
                "near_upl": lim.near_upl,
                "target": target_on(targets, p.date),
            }
            if p.date in ghosted:
                out.append(
                    SpcPoint(
                        **common,
                        ghosted=True,
                        baseline=False,
                        relative_to_mean=None,
                        outside_limits=None,
                        close_to_limits=None,
                        part_of_trend=False,
                        part_of_two_in_three=False,
                        part_of_shift=False,
                        special_cause_type=None,
                        special_cause_flag=False,
                        point_type=None,
                    )
                )
                continue
            out.append(
                SpcPoint(
                    **common,
                    ghosted=False,
                    baseline=fix_after_n_points is None or k < fix_after_n_points,
                    relative_to_mean=ev.rtm[k],
                    outside_limits=ev.outside[k],
                    close_to_limits=ev.close[k],
                    part_of_trend=ev.part_trend[k],
                    part_of_two_in_three=ev.part_two_in_three[k],
                    part_of_shift=ev.part_shift[k],
                    special_cause_type=ev.labels[k],
                    special_cause_flag=ev.labels[k] != COMMON_CAUSE_LABEL,
                    point_type=types[k],
                )
            )
            k += 1
        flagged = sum(label != COMMON_CAUSE_LABEL for label in ev.labels)
        segments.append(
            SpcSegment(
                rebase_group=rebase_group,
                start=seg_rows[0].date,
                end=seg_rows[-1].date,
                n=len(calc),
                limits=lim,
                provisional=provisional,
                common_cause=len(calc) - flagged,
                special_cause_improvement=types.count(SPECIAL_CAUSE_IMPROVEMENT),
                special_cause_concern=types.count(SPECIAL_CAUSE_CONCERN),
                special_cause_neutral=types.count(SPECIAL_CAUSE_NEUTRAL_HIGH) + types.count(SPECIAL_CAUSE_NEUTRAL_LOW),
                variation_type=types[-1] if types else None,
            )
        )

    last = next((p for p in reversed(out) if not p.ghosted), None)
    if last is None:
        return SpcResult(tuple(out), tuple(segments), improvement_direction, None, None, None, False)
    return SpcResult(
        points=tuple(out),
        segments=tuple(segments),
        improvement_direction=improvement_direction,
        variation_type=last.point_type,
        variation_icon=variation_icon(last.point_type, improvement_direction),
        assurance_type=assurance_type(last.target, last.lpl, last.upl, improvement_direction),
        provisional=last.provisional,
    )


# ---------------------------------------------------------------------------------------------
# Input checks.


def _check_direction(improvement_direction: str) -> None:
    if improvement_direction not in IMPROVEMENT_DIRECTIONS:
        raise ValueError("improvement_direction must be 'increase', 'decrease' or 'neutral'")


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_options(fix_after_n_points: int | None, trend_points: int, shift_points: int) -> None:
    if fix_after_n_points is not None and (
        not _is_int(fix_after_n_points) or fix_after_n_points < MIN_FIX_AFTER_N_POINTS
    ):
        raise ValueError(f"fix_after_n_points must be a whole number of at least {MIN_FIX_AFTER_N_POINTS}")
    for name, length in (("trend_points", trend_points), ("shift_points", shift_points)):
        if not _is_int(length) or length < 2:
            raise ValueError(f"{name} must be a whole number of at least 2")


def _finite(x: object, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or math.isinf(x):
        raise ValueError(f"{what} must be a finite number")
    return float(x)


def _rows(points: Iterable[Point | tuple[date, float | None]]) -> list[Point]:
    rows = []
    for p in points:
        day, value = (p.date, p.value) if isinstance(p, Point) else p
        if value is not None:
            value = _finite(value, "a value")
            if math.isnan(value):
                value = None
        rows.append(Point(day, value))
    rows.sort(key=lambda p: p.date)
    for a, b in pairwise(rows):
        if a.date == b.date:
            raise ValueError(f"more than one value for {a.date.isoformat()}")
    return rows


def _targets(
    target: float | Sequence[TargetPeriod | tuple[date, float]] | None,
) -> float | tuple[TargetPeriod, ...] | None:
    if target is None:
        return None
    if isinstance(target, int | float) and not isinstance(target, bool):
        value = _finite(target, "target")
        if math.isnan(value):
            raise ValueError("target must be a finite number")
        return value
    # A bool is no target: iterating it raises TypeError, as it always has.
    given = cast(Sequence[TargetPeriod | tuple[date, float]], target)
    periods = tuple(t if isinstance(t, TargetPeriod) else TargetPeriod(t[0], t[1]) for t in given)
    for t in periods:
        if math.isnan(_finite(t.value, "a target")):
            raise ValueError("a target must be a finite number")
    if len({t.from_date for t in periods}) != len(periods):
        raise ValueError("two targets start on the same date")
    return periods
