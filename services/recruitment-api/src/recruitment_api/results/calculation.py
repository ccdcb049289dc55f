"""Per-candidate results for one assessment stage: criterion means, weighted mean, appointability, rank.

Pure computation on plain data. "Not evidenced" (None) is not a score: it is left out of every
mean, and a criterion that no assessor could score at all makes the candidate not appointable.
Thresholds are met within a tolerance of 1e-9, so that a weighted mean that is exactly on the
minimum is not failed by floating-point rounding; ranks compare weighted means rounded to 6
decimals, so ties share a rank (standard competition ranking: 1, 2, 2, 4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

# Scores are small integers and weights simple numbers: anything closer than this to a threshold is on it.
_TOLERANCE = 1e-9
_RANK_DECIMALS = 6


@dataclass(frozen=True)
class Criterion:
    code: str
    weight: float
    essential: bool = False
    value: str | None = None  # the value the criterion belongs to (e.g. "V1"), for the per-value minimum


@dataclass(frozen=True)
class Thresholds:
    min_weighted_mean: float | None = None
    min_per_value: float | None = None
    essentials_required: bool = True
    essential_pass: float = 1


@dataclass(frozen=True)
class CriterionResult:
    criterion: str
    mean: float | None  # None when no assessor gave a score
    minimum: float | None  # whole numbers on panel scales; imported SJT scores may be fractional
    maximum: float | None
    spread: float | None  # maximum - minimum
    sd: float | None  # sample standard deviation (n - 1); None with fewer than 2 scores
    n_scores: int
    n_not_evidenced: int


@dataclass(frozen=True)
class CandidateResult:
    candidate: str
    criteria: tuple[CriterionResult, ...]  # in the order of the stage's criteria
    weighted_mean: float | None
    weighted_total: float | None
    value_means: Mapping[str, float | None]  # value code -> mean of its criterion means
    appointable: bool
    reasons: tuple[str, ...]  # every reason the candidate is not appointable; empty when appointable
    rank: int | None


def _fmt(value: float, against: float | None = None) -> str:
    """A number for a sentence: 2 decimals at most, more if needed to tell it from `against`."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    if against is not None and text == f"{against:.2f}".rstrip("0").rstrip("."):
        text = f"{value:.10g}"
    return text


def _meets(value: float, threshold: float) -> bool:
    return value >= threshold - _TOLERANCE


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _criterion_result(code: str, given: Mapping[str, int | None]) -> CriterionResult:
    numeric = [s for s in given.values() if s is not None]
    for s in numeric:
        if isinstance(s, bool) or not math.isfinite(s):
            raise ValueError(f"score {s!r} on {code!r} is not a finite number")
    n_missing = len(given) - len(numeric)
    if not numeric:
        return CriterionResult(code, None, None, None, None, None, 0, n_missing)
    mean = math.fsum(numeric) / len(numeric)
    sd = math.sqrt(math.fsum((s - mean) ** 2 for s in numeric) / (len(numeric) - 1)) if len(numeric) > 1 else None
    low, high = min(numeric), max(numeric)
    return CriterionResult(code, mean, low, high, high - low, sd, len(numeric), n_missing)


def _validate(criteria: Sequence[Criterion], scores: Mapping[str, Mapping[str, Mapping[str, int | None]]]) -> None:
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes):
        raise ValueError("criterion codes must be unique")
    for c in criteria:
        if not math.isfinite(c.weight) or c.weight < 0:
            raise ValueError(f"weight of {c.code!r} must be a finite number, 0 or more")
    known = set(codes)
    for candidate, by_criterion in scores.items():
        unknown = set(by_criterion) - known
        if unknown:
            raise ValueError(f"scores for {candidate!r} on unknown criteria: {sorted(unknown)}")


def _candidate(
    candidate: str,
    criteria: Sequence[Criterion],
    given: Mapping[str, Mapping[str, int | None]],
    thresholds: Thresholds,
) -> CandidateResult:
    results = tuple(_criterion_result(c.code, given.get(c.code, {})) for c in criteria)
    reasons: list[str] = []
    if not criteria:
        reasons.append("The stage has no criteria to assess.")
    for r in results:
        if r.mean is None:
            reasons.append(f"Criterion {r.criterion} was not evidenced by any assessor.")

    scored = [(c, r.mean) for c, r in zip(criteria, results, strict=True) if r.mean is not None]
    weight_sum = math.fsum(c.weight for c, _ in scored)
    weighted_total = math.fsum(c.weight * m for c, m in scored) if scored else None
    weighted_mean = weighted_total / weight_sum if weighted_total is not None and weight_sum > 0 else None

    minimum = thresholds.min_weighted_mean
    if minimum is not None:
        if weighted_mean is None:
            reasons.append(f"There is no weighted mean to compare with the minimum of {_fmt(minimum)}.")
        elif not _meets(weighted_mean, minimum):
            reasons.append(f"The weighted mean {_fmt(weighted_mean, minimum)} is below the minimum of {_fmt(minimum)}.")

    value_codes = sorted({c.value for c in criteria if c.value is not None})
    value_means = {v: _mean([m for c, m in scored if c.value == v]) for v in value_codes}
    if thresholds.min_per_value is not None:
        floor = thresholds.min_per_value
        for v in value_codes:
            mean = value_means[v]
            # A value with no mean has only criteria that were not evidenced, given as reasons above.
            if mean is not None and not _meets(mean, floor):
                reasons.append(f"The mean for value {v} is {_fmt(mean, floor)}, below the minimum of {_fmt(floor)}.")

    if thresholds.essentials_required:
        bar = thresholds.essential_pass
        for c, r in zip(criteria, results, strict=True):
            if c.essential and r.mean is not None and not _meets(r.mean, bar):
                reasons.append(
                    f"Essential criterion {c.code} has a mean of {_fmt(r.mean, bar)},"
                    f" below the pass mark of {_fmt(bar)}."
                )

    return CandidateResult(
        candidate=candidate,
        criteria=results,
        weighted_mean=weighted_mean,
        weighted_total=weighted_total,
        value_means=value_means,
        appointable=not reasons,
        reasons=tuple(reasons),
        rank=None,
    )


def _ranked(results: list[CandidateResult]) -> list[CandidateResult]:
    keys = {r.candidate: round(r.weighted_mean, _RANK_DECIMALS) for r in results if r.weighted_mean is not None}
    ordered = sorted(keys.values(), reverse=True)
    first_at: dict[float, int] = {}
    for position, key in enumerate(ordered, start=1):
        first_at.setdefault(key, position)
    ranked = [replace(r, rank=first_at[keys[r.candidate]] if r.candidate in keys else None) for r in results]
    return sorted(ranked, key=lambda r: (r.rank is None, r.rank or 0, r.candidate))


def stage_results(
    criteria: Sequence[Criterion],
    scores: Mapping[str, Mapping[str, Mapping[str, int | None]]],
    thresholds: Thresholds,
) -> list[CandidateResult]:
    """Results for every candidate in `scores` (candidate -> criterion -> assessor -> score), sorted by rank.

    A criterion missing from a candidate's scores is treated like one nobody could score. Raises
    ValueError for duplicate criterion codes, negative or non-finite weights, non-finite scores, or
    scores on a criterion the stage does not have.
    """
    _validate(criteria, scores)
    results = [_candidate(candidate, criteria, scores[candidate], thresholds) for candidate in scores]
    return _ranked(results)
