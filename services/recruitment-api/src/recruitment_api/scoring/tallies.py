"""What a panel's scores on one criterion for one candidate come to, without the scores themselves.

Pure computation. A tally holds the count, sum, sum of squares, lowest and highest of the scores
and how many assessors found no evidence: everything the results and divergence flags need, and
what a database can aggregate in one GROUP BY, so thousands of candidates never travel to Python
score by score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple


class Tally(NamedTuple):
    n_scores: int  # assessors who found evidence and scored
    total: float  # sum of the scores
    total_sq: float  # sum of their squares
    low: float | None  # None when nobody scored
    high: float | None
    n_not_evidenced: int  # assessors who marked the criterion not evidenced

    @property
    def mean(self) -> float | None:
        return self.total / self.n_scores if self.n_scores else None

    @property
    def sd(self) -> float | None:
        """Sample standard deviation (n - 1); None with fewer than 2 scores."""
        return sample_sd(self.n_scores, self.total, self.total_sq) if self.n_scores > 1 else None


def sample_sd(n: int, total: float, total_sq: float) -> float:
    """Sample standard deviation (n - 1) of n >= 2 scores from their sum and sum of squares."""
    # n * sum(x^2) - sum(x)^2 is exact for whole-number scores, so no cancellation error creeps in.
    return math.sqrt(max(0.0, (n * total_sq - total * total) / (n * (n - 1))))


EMPTY = Tally(0, 0, 0, None, None, 0)


def _check(score: float) -> float:
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise ValueError(f"score {score!r} is not a finite number")
    return score


def tally(scores: Mapping[str, float | None] | Iterable[float | None]) -> Tally:
    """The tally of assessor -> score (or of plain scores), None being "not evidenced".

    Raises ValueError for a score that is not a finite number.
    """
    given = list(scores.values()) if isinstance(scores, Mapping) else list(scores)
    numeric = [_check(s) for s in given if s is not None]
    if not numeric:
        return Tally(0, 0, 0, None, None, len(given))
    return Tally(
        len(numeric),
        math.fsum(numeric),
        math.fsum(s * s for s in numeric),
        min(numeric),
        max(numeric),
        len(given) - len(numeric),
    )
