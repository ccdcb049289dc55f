"""Per-candidate results for one assessment stage: criterion means, weighted mean, appointability, rank.

Pure computation on plain data. "Not evidenced" (None) is not a score: it is left out of every
mean, and a criterion that no assessor could score at all makes the candidate not appointable,
and leaves a weighted total that is not comparable with complete ones (`unscored_criteria`).
Values and essential criteria are different things: the per-value minimum covers the criteria of
a value only; an essential criterion is tested against the stage's essential pass mark.
Thresholds are met within a tolerance of 1e-9, so that a weighted mean that is exactly on the
minimum is not failed by floating-point rounding; ranks compare weighted means rounded to 6
decimals, so ties share a rank (standard competition ranking: 1, 2, 2, 4).

The calculation works on tallies (count, sum, sum of squares, lowest, highest, not evidenced per
criterion), which a database aggregates; `stage_results` takes the assessors' scores themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from recruitment_api.scoring.tallies import Tally, TallyTable, sample_sd, tally

# Scores are small integers and weights simple numbers: anything closer than this to a threshold is on it.
_TOLERANCE = 1e-9
# np.where's "None here" as the object array numpy makes of None (the stubs take no bare None).
_NONE = np.array(None, dtype=object)
_RANK_DECIMALS = 6


@dataclass(frozen=True)
class Criterion:
    code: str
    weight: float
    essential: bool = False
    value: str | None = None  # the value the criterion belongs to (e.g. "V1"); None for an essential criterion


@dataclass(frozen=True)
class Thresholds:
    min_weighted_mean: float | None = None
    min_per_value: float | None = None
    essentials_required: bool = True
    essential_pass: float = 1


class CriterionResult(NamedTuple):
    criterion: str
    mean: float | None  # None when no assessor gave a score
    minimum: float | None  # whole numbers on panel scales; imported SJT scores may be fractional
    maximum: float | None
    spread: float | None  # maximum - minimum
    sd: float | None  # sample standard deviation (n - 1); None with fewer than 2 scores
    n_scores: int  # assessors who found evidence and scored
    n_not_evidenced: int


class EssentialResult(NamedTuple):
    criterion: str
    mean: float | None
    pass_mark: float
    met: bool  # False when nobody could score it


# Mutable only so that ranking can fill in `rank` without copying thousands of results.
@dataclass(slots=True)
class CandidateResult:
    candidate: str
    criteria: tuple[CriterionResult, ...]  # in the order of the stage's criteria
    weighted_mean: float | None
    weighted_total: float | None  # over the scored criteria only: see weighted_total_complete
    value_means: Mapping[str, float | None]  # value code -> mean of its criterion means
    appointable: bool
    reasons: tuple[str, ...]  # every reason the candidate is not appointable; empty when appointable
    rank: int | None
    essentials: tuple[EssentialResult, ...] = ()
    essentials_met: bool | None = None  # None when the stage has no essential criteria
    unscored_criteria: tuple[str, ...] = ()  # criteria no assessor could score
    weighted_total_complete: bool = True  # False: the total leaves out unscored criteria, not comparable


def _fmt(value: float, against: float | None = None) -> str:
    """A number for a sentence: 2 decimals at most, more if needed to tell it from `against`."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    if against is not None and text == f"{against:.2f}".rstrip("0").rstrip("."):
        text = f"{value:.10g}"
    return text


def _meets(value: float, threshold: float) -> bool:
    return value >= threshold - _TOLERANCE


def _met(mean: float | None, threshold: float) -> bool:
    """An essential criterion's mean meets the bar (one nobody could score does not)."""
    return mean is not None and _meets(mean, threshold)


def _validate(criteria: Sequence[Criterion], scored: Mapping[str, Mapping[str, object]]) -> None:
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes):
        raise ValueError("criterion codes must be unique")
    for c in criteria:
        if not math.isfinite(c.weight) or c.weight < 0:
            raise ValueError(f"weight of {c.code!r} must be a finite number, 0 or more")
    known = set(codes)
    for candidate, by_criterion in scored.items():
        unknown = by_criterion.keys() - known
        if unknown:
            raise ValueError(f"scores for {candidate!r} on unknown criteria: {sorted(unknown)}")


class _Stage:
    """What every candidate's calculation shares, worked out once per stage."""

    def __init__(self, criteria: Sequence[Criterion], thresholds: Thresholds) -> None:
        self.criteria = criteria
        self.thresholds = thresholds
        self.codes = [c.code for c in criteria]
        self.weights = [c.weight for c in criteria]
        self.values = sorted({c.value for c in criteria if c.value is not None})
        # Position of each value's criteria, to average their means.
        self.members = [[j for j, c in enumerate(criteria) if c.value == v] for v in self.values]
        # The usual design, one criterion per value: its mean is the value's mean, no averaging needed.
        self.one_each = [m[0] for m in self.members] if all(len(m) == 1 for m in self.members) else None
        self.essential = [j for j, c in enumerate(criteria) if c.essential]


def _numbers(values: np.ndarray, present: np.ndarray) -> list[list[float | int | None]]:
    """Rows of plain Python numbers, None where not `present`; whole numbers (panel scores) as int."""
    if present.any() and np.array_equal(values[present], np.round(values[present])):
        values = np.where(present, values, 0).astype(np.int64)
    return np.where(present, values, _NONE).tolist()


def _candidate(
    candidate: str,
    stage: _Stage,
    cells: tuple[CriterionResult, ...],
    means: list[float | None],
    weighted: list[float],
    weights: list[float],
) -> CandidateResult:
    """`weighted` and `weights` hold weight x mean and the weight of each scored criterion (0 for the others)."""
    criteria, thresholds = stage.criteria, stage.thresholds
    reasons: list[str] = []
    if not criteria:
        reasons.append("The stage has no criteria to assess.")
    unscored = tuple(code for code, mean in zip(stage.codes, means, strict=True) if mean is None)
    for code in unscored:
        reasons.append(f"Criterion {code} was not evidenced by any assessor.")

    # fsum is exactly rounded, so the zeros of unscored criteria change nothing.
    weighted_total = math.fsum(weighted) if len(unscored) < len(means) else None
    weight_sum = math.fsum(weights)
    weighted_mean = weighted_total / weight_sum if weighted_total is not None and weight_sum > 0 else None

    minimum = thresholds.min_weighted_mean
    if minimum is not None:
        if weighted_mean is None:
            reasons.append(f"There is no weighted mean to compare with the minimum of {_fmt(minimum)}.")
        elif not _meets(weighted_mean, minimum):
            reasons.append(f"The weighted mean {_fmt(weighted_mean, minimum)} is below the minimum of {_fmt(minimum)}.")

    value_means: dict[str, float | None]
    if stage.one_each is not None:
        value_means = {v: means[j] for v, j in zip(stage.values, stage.one_each, strict=True)}
    else:
        value_means = {}
        for v, members in zip(stage.values, stage.members, strict=True):
            own = [mean for mean in (means[j] for j in members) if mean is not None]
            value_means[v] = math.fsum(own) / len(own) if own else None
    floor = thresholds.min_per_value
    if floor is not None:
        for v, mean in value_means.items():
            # A value with no mean has only criteria that were not evidenced, given as reasons above.
            if mean is not None and not _meets(mean, floor):
                reasons.append(f"The mean for value {v} is {_fmt(mean, floor)}, below the minimum of {_fmt(floor)}.")

    essentials: tuple[EssentialResult, ...] = ()
    if stage.essential:
        bar = thresholds.essential_pass
        essentials = tuple(
            EssentialResult(criteria[j].code, means[j], bar, _met(means[j], bar)) for j in stage.essential
        )
        if thresholds.essentials_required:
            for e in essentials:
                # An essential nobody could score is already a reason above.
                if e.mean is not None and not e.met:
                    reasons.append(
                        f"Essential criterion {e.criterion} has a mean of {_fmt(e.mean, bar)},"
                        f" below the pass mark of {_fmt(bar)}."
                    )

    return CandidateResult(
        candidate,
        cells,
        weighted_mean,
        weighted_total,
        value_means,
        not reasons,
        tuple(reasons),
        None,
        essentials,
        all(e.met for e in essentials) if essentials else None,
        unscored,
        not unscored,
    )


def _ranked(results: list[CandidateResult]) -> list[CandidateResult]:
    keys = {r.candidate: round(r.weighted_mean, _RANK_DECIMALS) for r in results if r.weighted_mean is not None}
    ordered = sorted(keys.values(), reverse=True)
    first_at: dict[float, int] = {}
    for position, key in enumerate(ordered, start=1):
        first_at.setdefault(key, position)
    for r in results:
        r.rank = first_at[keys[r.candidate]] if r.candidate in keys else None
    return sorted(results, key=lambda r: (r.rank is None, r.rank or 0, r.candidate))


def results_from_table(
    criteria: Sequence[Criterion], table: TallyTable, thresholds: Thresholds
) -> list[CandidateResult]:
    """Results for every candidate of `table` (its columns the stage's criteria, in order), sorted
    by rank; each result's `candidate` is the table's key as text.

    The criterion statistics are worked out on the whole table at once; the rules (weighted
    totals, thresholds, reasons) per candidate, on plain numbers. Raises ValueError for duplicate
    criterion codes, negative or non-finite weights, or columns that are not the criteria."""
    _validate(criteria, {})
    if table.codes != tuple(c.code for c in criteria):
        raise ValueError("the table's columns must be the stage's criteria, in order")
    stage = _Stage(criteria, thresholds)
    n = table.n_scores
    scored = n > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = table.total / n
    means = np.where(scored, mean, _NONE).tolist()
    lows, highs = _numbers(table.low, scored), _numbers(table.high, scored)
    spreads = _numbers(table.high - table.low, scored)
    sds = np.where(n > 1, sample_sd(n, table.total, table.total_sq), _NONE).tolist()
    counts, not_evidenced = n.tolist(), table.n_not_evidenced.tolist()
    weight = np.array(stage.weights, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        weighted = np.where(scored, mean * weight, 0.0).tolist()  # the same products as w * m in Python
    weights = np.where(scored, weight, 0.0).tolist()
    new_result = tuple.__new__  # a CriterionResult without NamedTuple's Python-level __new__: one per cell
    results = []
    for i, candidate in enumerate(table.candidates):
        cells = tuple(
            new_result(CriterionResult, cell)
            for cell in zip(
                stage.codes, means[i], lows[i], highs[i], spreads[i], sds[i], counts[i], not_evidenced[i], strict=True
            )
        )
        results.append(_candidate(str(candidate), stage, cells, means[i], weighted[i], weights[i]))
    return _ranked(results)


def results_from_tallies(
    criteria: Sequence[Criterion],
    tallies: Mapping[str, Mapping[str, Tally]],
    thresholds: Thresholds,
) -> list[CandidateResult]:
    """Results for every candidate in `tallies` (candidate -> criterion -> tally), sorted by rank.

    A criterion missing from a candidate's tallies is treated like one nobody could score. Raises
    ValueError for duplicate criterion codes, negative or non-finite weights, or tallies on a
    criterion the stage does not have.
    """
    _validate(criteria, tallies)
    table = TallyTable.from_tallies([c.code for c in criteria], tallies)
    # A candidate with no tally at all still has a result (every criterion unscored).
    present = set(table.candidates)
    table = table.with_rows([c for c in tallies if c not in present])
    return results_from_table(criteria, table, thresholds)


def stage_results(
    criteria: Sequence[Criterion],
    scores: Mapping[str, Mapping[str, Mapping[str, float | None]]],
    thresholds: Thresholds,
) -> list[CandidateResult]:
    """Results for every candidate in `scores` (candidate -> criterion -> assessor -> score), sorted by rank.

    As `results_from_tallies`; also raises ValueError for a score that is not a finite number.
    """
    _validate(criteria, scores)
    tallies = {
        candidate: {code: tally(given) for code, given in by_criterion.items()}
        for candidate, by_criterion in scores.items()
    }
    return results_from_tallies(criteria, tallies, thresholds)
