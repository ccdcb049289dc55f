"""Inter-rater reliability of a panel's scores, and each assessor's leniency or severity.

Pure computation on plain data (no I/O). Which coefficient fits depends on the design:

- fully crossed (every assessor rated every candidate): ICC(2,1), the reliability of one
  assessor's score, and ICC(2,k), the reliability of the panel mean that is used; both
  two-way random effects, absolute agreement (Shrout & Fleiss 1979; McGraw & Wong 1996
  ICC(A,1) and ICC(A,k));
- one way (every candidate rated by the same number k of assessors, not the same people):
  ICC(1,k), one-way random effects, the reliability of the mean of k assessors;
- ragged or missing ratings: Krippendorff's alpha at ordinal level only.

Krippendorff's alpha (ordinal) is reported for every design. Interpretation follows Koo & Li
(2016) for ICCs and Krippendorff (2004) for alpha.

The low-level functions take matrices and return the textbook estimate, as pingouin does, or
``math.nan`` when it is undefined (no variance to share out, or a zero denominator). The report
applies one rule: a coefficient is a number from -1 to 1, so an estimate outside that range
(which happens when assessors disagree more than the candidates differ, usually with few
candidates) is not reported. Every coefficient that is not reported has ``value=None``,
``band=None`` and a ``reason``. Each ICC comes with its 95% confidence interval from the F
distribution (McGraw & Wong 1996; the intervals pingouin.intraclass_corr gives), its bounds
clipped to -1 to 1 (past the Spearman-Brown pole of an average-measures interval, the lower bound
is -1, where pingouin's arithmetic wraps round to a number above the upper bound); a missing
interval also has a reason. Alpha has no analytic interval (it needs bootstrapping).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ICC_2_1 = "ICC(2,1)"
ICC_2_K = "ICC(2,k)"
ICC_1_K = "ICC(1,k)"
ALPHA_ORDINAL = "alpha (ordinal)"

FULLY_CROSSED = "fully_crossed"
ONE_WAY = "one_way"
RAGGED = "ragged"

# A mean square this small, relative to the overall variance of the scores, is rounding noise:
# the coefficient is treated as undefined rather than as a huge number from dividing by it.
_RELATIVE_TOLERANCE = 1e-12
# An estimate this close beyond -1 or 1 is rounding, reported as -1 or 1.
_RANGE_TOLERANCE = 1e-9
_CONFIDENCE = 0.95

NO_INTERVAL_WITHOUT_VALUE = "No interval: the coefficient itself is not reported (see reason)."
NO_INTERVAL_FOR_ALPHA = "Krippendorff's alpha has no analytic confidence interval (it needs bootstrapping)."


@dataclass(frozen=True)
class Rating:
    """One assessor's score for one candidate (aggregated over criteria by the caller, or one criterion)."""

    candidate: str
    assessor: str
    score: float


@dataclass(frozen=True)
class Coefficient:
    name: str  # ICC_2_1, ICC_2_K, ICC_1_K or ALPHA_ORDINAL
    value: float | None  # from -1 to 1; None when undefined or its estimate falls outside -1 to 1
    band: str | None  # None exactly when value is None
    n_candidates: int
    n_assessors: int  # distinct assessors whose ratings went into the coefficient
    reason: str | None = None  # why value is None; None exactly when there is a value
    ci95: tuple[float, float] | None = None  # 95% confidence interval of an ICC
    ci95_reason: str | None = None  # why ci95 is None; None exactly when there is an interval


@dataclass(frozen=True)
class ReliabilityReport:
    design: str  # FULLY_CROSSED, ONE_WAY or RAGGED
    coefficients: tuple[Coefficient, ...]


@dataclass(frozen=True)
class Leniency:
    assessor: str
    mean: float
    z: float | None  # (assessor mean - overall mean) / overall population sd; None when every score is equal
    n: int
    z_reason: str | None = None  # why z is None


NO_SPREAD = "Every rating is the same score: there is no spread to measure leniency against."


# --- Intraclass correlation -------------------------------------------------------------------


@dataclass(frozen=True)
class _MeanSquares:
    n: int  # targets (candidates)
    k: int  # ratings per target
    msr: float  # between targets
    msc: float  # between raters (columns)
    mse: float  # residual (two-way)
    msw: float  # within targets (one-way)
    scale: float  # overall variance of the scores, to judge what counts as zero


def _as_matrix(matrix: np.ndarray) -> np.ndarray:
    m = np.asarray(matrix, dtype=float)
    if m.ndim != 2:
        raise ValueError("an ICC needs a 2-D matrix of targets x raters")
    if m.shape[0] < 2 or m.shape[1] < 2:
        raise ValueError("an ICC needs at least 2 targets and 2 ratings per target")
    if not np.isfinite(m).all():
        raise ValueError("an ICC needs a complete matrix of finite scores (no NaN)")
    return m


def _mean_squares(matrix: np.ndarray) -> _MeanSquares:
    m = _as_matrix(matrix)
    n, k = m.shape
    grand = m.mean()
    centred = m - grand
    row_dev = centred.mean(axis=1)
    col_dev = centred.mean(axis=0)
    ss_total = float(np.sum(centred**2))
    ss_rows = k * float(np.sum(row_dev**2))
    ss_cols = n * float(np.sum(col_dev**2))
    residual = centred - row_dev[:, np.newaxis] - col_dev[np.newaxis, :]
    ss_error = float(np.sum(residual**2))
    ss_within = float(np.sum((centred - row_dev[:, np.newaxis]) ** 2))
    return _MeanSquares(
        n=n,
        k=k,
        msr=ss_rows / (n - 1),
        msc=ss_cols / (k - 1),
        mse=ss_error / ((n - 1) * (k - 1)),
        msw=ss_within / (n * (k - 1)),
        scale=ss_total / (n * k - 1),
    )


def _negligible(value: float, scale: float) -> bool:
    return abs(value) <= _RELATIVE_TOLERANCE * scale


def _ratio(numerator: float, denominator: float, scale: float) -> float:
    """numerator / denominator, or NaN when the scores have no variance or the denominator is zero."""
    if scale <= 0 or _negligible(denominator, scale):
        return math.nan
    return numerator / denominator


def _oneway_denominator(ms: _MeanSquares) -> float:
    return ms.msr


def _twoway_single_denominator(ms: _MeanSquares) -> float:
    return ms.msr + (ms.k - 1) * ms.mse + ms.k * (ms.msc - ms.mse) / ms.n


def _twoway_average_denominator(ms: _MeanSquares) -> float:
    return ms.msr + (ms.msc - ms.mse) / ms.n


def icc_oneway_average(matrix: np.ndarray) -> float:
    """ICC(1,k): one-way random effects, reliability of the mean of k ratings per target.

    `matrix` is n targets x k ratings; the columns need not be the same raters. NaN when the
    targets' means do not differ at all (the coefficient is undefined).
    """
    ms = _mean_squares(matrix)
    return _ratio(ms.msr - ms.msw, _oneway_denominator(ms), ms.scale)


def icc_twoway_single(matrix: np.ndarray) -> float:
    """ICC(2,1): two-way random effects, absolute agreement, a single rater (McGraw & Wong ICC(A,1))."""
    ms = _mean_squares(matrix)
    return _ratio(ms.msr - ms.mse, _twoway_single_denominator(ms), ms.scale)


def icc_twoway_average(matrix: np.ndarray) -> float:
    """ICC(2,k): two-way random effects, absolute agreement, mean of k raters (McGraw & Wong ICC(A,k)).

    The textbook ratio, as pingouin gives it: when the residual outweighs everything else the
    denominator MSR + (MSC - MSE) / n turns negative and the ratio comes out above 1; the report
    does not show such an estimate (see the module docstring).
    """
    ms = _mean_squares(matrix)
    return _ratio(ms.msr - ms.mse, _twoway_average_denominator(ms), ms.scale)


def _f_quantile(dfn: float, dfd: float) -> float:
    """The upper 97.5% point of the F distribution (scipy.stats.f.ppf's own routine)."""
    # Imported here: scipy.special adds 30 MB to a process that may never report reliability
    # (scipy.stats would add 80 MB).
    from scipy.special import fdtri

    return float(fdtri(dfn, dfd, 1 - (1 - _CONFIDENCE) / 2))


def _interval(low: float, high: float) -> tuple[float, float] | None:
    """The bounds within -1 to 1, the range of the coefficient: a lower bound of -1 says the data
    cannot rule out that the assessors agree no better than chance. None when a bound is NaN."""
    if math.isnan(low) or math.isnan(high):
        return None
    return (min(1.0, max(-1.0, float(low))), min(1.0, max(-1.0, float(high))))


def _stepped_up(bound: float, k: int) -> float:
    """Spearman-Brown from one rater to k: k b / (1 + (k - 1) b). At b = -1/(k - 1) it has a pole;
    a bound at or below it stands for no lower limit at all (-inf), not the number past the pole."""
    denominator = 1 + (k - 1) * bound
    return k * bound / denominator if denominator > 0 else -math.inf


def icc_oneway_average_ci95(matrix: np.ndarray) -> tuple[float, float] | None:
    """The 95% interval of ICC(1,k) from F = MSR / MSW (Shrout & Fleiss 1979); None when undefined."""
    ms = _mean_squares(matrix)
    n, k = ms.n, ms.k
    with np.errstate(divide="ignore", invalid="ignore"):
        f_observed = np.float64(ms.msr) / np.float64(ms.msw)
        f_low = f_observed / _f_quantile(n - 1, n * (k - 1))
        f_high = f_observed * _f_quantile(n * (k - 1), n - 1)
        return _interval(1 - 1 / f_low, 1 - 1 / f_high)


def _twoway_single_ci95(ms: _MeanSquares) -> tuple[float, float] | None:
    bounds = _twoway_single_bounds(ms)
    return None if bounds is None else _interval(*bounds)


def _twoway_single_bounds(ms: _MeanSquares) -> tuple[float, float] | None:
    """McGraw & Wong (1996) interval of ICC(A,1), with Satterthwaite's degrees of freedom, unclipped."""
    n, k = ms.n, ms.k
    with np.errstate(divide="ignore", invalid="ignore"):
        msr, msc, mse = np.float64(ms.msr), np.float64(ms.msc), np.float64(ms.mse)
        icc = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        fj = msc / mse
        vn = (n - 1) * (k - 1) * (k * icc * fj + n * (1 + (k - 1) * icc) - k * icc) ** 2
        vd = (n - 1) * k**2 * icc**2 * fj**2 + (n * (1 + (k - 1) * icc) - k * icc) ** 2
        v = vn / vd
        if not math.isfinite(v):
            return None
        f_upper, f_lower = _f_quantile(n - 1, v), _f_quantile(v, n - 1)
        low = n * (msr - f_upper * mse) / (f_upper * (k * msc + (k * n - k - n) * mse) + n * msr)
        high = n * (f_lower * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_lower * msr)
        return None if math.isnan(low) or math.isnan(high) else (float(low), float(high))


def icc_twoway_single_ci95(matrix: np.ndarray) -> tuple[float, float] | None:
    """The 95% interval of ICC(2,1); None when undefined (for example no residual variance)."""
    return _twoway_single_ci95(_mean_squares(matrix))


def icc_twoway_average_ci95(matrix: np.ndarray) -> tuple[float, float] | None:
    """The 95% interval of ICC(2,k): the ICC(2,1) bounds stepped up by Spearman-Brown."""
    ms = _mean_squares(matrix)
    # Unclipped ICC(2,1) bounds: a bound of -1 after clipping would step up to the wrong place.
    single = _twoway_single_bounds(ms)
    if single is None:
        return None
    return _interval(*(_stepped_up(b, ms.k) for b in single))


# --- Krippendorff's alpha -----------------------------------------------------------------------


def krippendorff_alpha_ordinal(reliability_data: np.ndarray) -> float:
    """Krippendorff's alpha with the ordinal metric, via the coincidence matrix.

    `reliability_data` is raters x units with ``np.nan`` for a missing rating. Units with fewer
    than two ratings are not pairable and are left out. NaN when no unit is pairable or the
    pairable values show no variation (expected disagreement is zero).
    """
    data = np.asarray(reliability_data, dtype=float)
    if data.ndim != 2:
        raise ValueError("reliability data must be a 2-D matrix of raters x units")
    if np.isinf(data).any():
        raise ValueError("reliability data must be finite or NaN for missing")
    present = ~np.isnan(data)
    pairable = present.sum(axis=0) >= 2
    if not pairable.any():
        return math.nan
    data = data[:, pairable]
    present = present[:, pairable]
    values = np.unique(data[present])
    if values.size < 2:
        return math.nan
    # counts[u, v]: how many raters gave value v to unit u.
    counts = np.stack([(data == v).sum(axis=0) for v in values], axis=1).astype(float)
    m_u = counts.sum(axis=1)
    # Coincidences: o[c, k] = sum over units of n_uc * (n_uk - [c == k]) / (m_u - 1).
    weighted = counts / (m_u - 1)[:, np.newaxis]
    coincidence = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n_v = coincidence.sum(axis=0)
    total = n_v.sum()
    # Ordinal distance: (sum of n_g for g from c to k, minus (n_c + n_k) / 2) squared.
    cumulative = np.concatenate(([0.0], np.cumsum(n_v)))
    lo = np.minimum.outer(np.arange(values.size), np.arange(values.size))
    hi = np.maximum.outer(np.arange(values.size), np.arange(values.size))
    between = cumulative[hi + 1] - cumulative[lo]
    delta = (between - (n_v[lo] + n_v[hi]) / 2) ** 2
    observed = float(np.sum(coincidence * delta))
    expected = float(np.sum(np.outer(n_v, n_v) * delta)) / (total - 1)
    if expected <= 0:
        return math.nan
    return 1.0 - observed / expected


# --- Interpretation -----------------------------------------------------------------------------


def _check_number(value: float) -> float:
    number = float(value)
    if math.isnan(number):
        raise ValueError("a band needs a number, not NaN")
    return number


def icc_band(value: float) -> str:
    """Koo & Li (2016): below 0.5 poor, 0.5 to below 0.75 moderate, 0.75 to below 0.9 good, 0.9 and above excellent."""
    number = _check_number(value)
    if number < 0.5:
        return "poor"
    if number < 0.75:
        return "moderate"
    if number < 0.9:
        return "good"
    return "excellent"


def alpha_band(value: float) -> str:
    """Krippendorff (2004): 0.8 and above reliable, 0.667 and above tentative, otherwise unreliable."""
    number = _check_number(value)
    if number >= 0.8:
        return "reliable"
    if number >= 0.667:
        return "tentative"
    return "unreliable"


# --- Panel reports ------------------------------------------------------------------------------


def _index(ratings: Sequence[Rating]) -> dict[str, dict[str, float]]:
    """candidate -> assessor -> score, refusing duplicates and non-finite scores."""
    by_candidate: dict[str, dict[str, float]] = defaultdict(dict)
    for r in ratings:
        score = float(r.score)
        if not math.isfinite(score):
            raise ValueError(f"score of {r.assessor!r} for {r.candidate!r} is not a finite number")
        if r.assessor in by_candidate[r.candidate]:
            raise ValueError(f"{r.assessor!r} rated {r.candidate!r} more than once")
        by_candidate[r.candidate][r.assessor] = score
    return dict(by_candidate)


def _coefficient(
    name: str,
    estimate: float,
    n_candidates: int,
    n_assessors: int,
    undefined: str | None = None,
    ci95: tuple[float, float] | None = None,
) -> Coefficient:
    """The one rule: a finite estimate from -1 to 1 is reported with its band, anything else is None
    with the reason (`undefined` says why an estimate is NaN)."""
    if not math.isfinite(estimate):
        reason = undefined or "The coefficient is undefined for these ratings."
        return Coefficient(name, None, None, n_candidates, n_assessors, reason, None, NO_INTERVAL_WITHOUT_VALUE)
    if not -1 - _RANGE_TOLERANCE <= estimate <= 1 + _RANGE_TOLERANCE:
        reason = (
            f"The estimate {estimate:.3g} is outside -1 to 1, so it is no reliability coefficient: the assessors "
            "disagree more than the candidates differ (usual with few candidates). No reliability can be claimed."
        )
        return Coefficient(name, None, None, n_candidates, n_assessors, reason, None, NO_INTERVAL_WITHOUT_VALUE)
    value = min(1.0, max(-1.0, float(estimate)))
    band = alpha_band(value) if name == ALPHA_ORDINAL else icc_band(value)
    if name == ALPHA_ORDINAL:
        return Coefficient(name, value, band, n_candidates, n_assessors, None, None, NO_INTERVAL_FOR_ALPHA)
    if ci95 is None:
        why = "The interval is undefined for these ratings (the F distribution it comes from degenerates)."
        return Coefficient(name, value, band, n_candidates, n_assessors, None, None, why)
    return Coefficient(name, value, band, n_candidates, n_assessors, None, ci95, None)


def _icc_undefined(ms: _MeanSquares, denominator: float) -> str | None:
    """Why an ICC of these mean squares is NaN, or None when it is not."""
    if ms.scale <= 0:
        return "Every rating is the same: there is no variance between candidates or assessors to compare."
    if _negligible(denominator, ms.scale):
        if _negligible(ms.msr, ms.scale):
            return "The candidates' mean ratings are all equal: there are no differences for the assessors to agree on."
        return "Undefined: the assessors' disagreement exactly offsets the differences between candidates."
    return None


def _too_few(n_candidates: int, per_candidate: int) -> str | None:
    if n_candidates < 2:
        return f"Needs ratings of at least 2 candidates; there {'is' if n_candidates == 1 else 'are'} {n_candidates}."
    if per_candidate < 2:
        return "Needs at least 2 assessors per candidate."
    return None


def _icc(
    name: str,
    matrix: np.ndarray,
    denominator,
    estimate,
    interval,
    n_candidates: int,
    n_assessors: int,
    per_candidate: int,
) -> Coefficient:
    too_few = _too_few(n_candidates, per_candidate)
    if too_few:
        return _coefficient(name, math.nan, n_candidates, n_assessors, too_few)
    ms = _mean_squares(matrix)
    value = estimate(matrix)
    return _coefficient(name, value, n_candidates, n_assessors, _icc_undefined(ms, denominator(ms)), interval(matrix))


def reliability(ratings: Sequence[Rating]) -> ReliabilityReport:
    """Reliability coefficients that fit the panel's design (see the module docstring).

    A coefficient that cannot be computed (fewer than 2 candidates, fewer than 2 ratings per
    candidate, no variance; for alpha, fewer than 2 candidates with 2 or more ratings) has value
    None and band None. Duplicate (candidate, assessor) pairs or non-finite scores raise ValueError.
    """
    by_candidate = _index(ratings)
    candidates = sorted(by_candidate)
    assessors = sorted({r.assessor for r in ratings})
    n_c, n_a = len(candidates), len(assessors)
    per_candidate = {len(by_candidate[c]) for c in candidates}

    data = np.full((n_a, n_c), np.nan)
    column = {c: j for j, c in enumerate(candidates)}
    row = {a: i for i, a in enumerate(assessors)}
    for c, scores in by_candidate.items():
        for a, s in scores.items():
            data[row[a], column[c]] = s
    # With a single pairable candidate alpha is 0 whatever the scores (observed and expected
    # disagreement coincide), so the report asks for two, as the ICCs do.
    pairable = sum(len(scores) >= 2 for scores in by_candidate.values())
    alpha_value = krippendorff_alpha_ordinal(data) if pairable >= 2 else math.nan
    alpha_undefined = (
        "Needs at least 2 candidates each rated by 2 or more assessors."
        if pairable < 2
        else "The ratings do not vary: there is no disagreement to compare with."
    )
    alpha = _coefficient(ALPHA_ORDINAL, alpha_value, n_c, n_a, alpha_undefined)

    if per_candidate <= {n_a}:  # every candidate rated by every assessor (or no candidates)
        matrix = data.T
        return ReliabilityReport(
            FULLY_CROSSED,
            (
                _icc(
                    ICC_2_1, matrix, _twoway_single_denominator, icc_twoway_single, icc_twoway_single_ci95,
                    n_c, n_a, n_a,
                ),
                _icc(
                    ICC_2_K, matrix, _twoway_average_denominator, icc_twoway_average, icc_twoway_average_ci95,
                    n_c, n_a, n_a,
                ),
                alpha,
            ),
        )  # fmt: skip
    if len(per_candidate) == 1:  # the same number of assessors each, not the same people
        (k,) = per_candidate
        matrix = np.array([[by_candidate[c][a] for a in sorted(by_candidate[c])] for c in candidates])
        icc = _icc(ICC_1_K, matrix, _oneway_denominator, icc_oneway_average, icc_oneway_average_ci95, n_c, n_a, k)
        return ReliabilityReport(ONE_WAY, (icc, alpha))
    return ReliabilityReport(RAGGED, (alpha,))


def leniency(ratings: Sequence[Rating]) -> tuple[Leniency, ...]:
    """Each assessor's mean score and its z against all ratings, sorted by assessor.

    z = (assessor mean - overall mean) / overall sd, the population sd of every rating; None
    when every rating is the same score.
    """
    scores = [float(r.score) for r in ratings]
    if not scores:
        return ()
    if not all(math.isfinite(s) for s in scores):
        raise ValueError("scores must be finite numbers")
    overall = math.fsum(scores) / len(scores)
    spread = max(scores) != min(scores)
    sd = math.sqrt(math.fsum((s - overall) ** 2 for s in scores) / len(scores)) if spread else 0.0
    by_assessor: dict[str, list[float]] = defaultdict(list)
    for r in ratings:
        by_assessor[r.assessor].append(float(r.score))
    result = []
    for assessor in sorted(by_assessor):
        own = by_assessor[assessor]
        mean = math.fsum(own) / len(own)
        z = (mean - overall) / sd if sd > 0 else None
        result.append(Leniency(assessor=assessor, mean=mean, z=z, n=len(own), z_reason=None if sd > 0 else NO_SPREAD))
    return tuple(result)
