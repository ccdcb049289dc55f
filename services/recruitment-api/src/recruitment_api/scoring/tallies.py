"""What a panel's scores on one criterion for one candidate come to, without the scores themselves.

Pure computation. A tally holds the count, sum, sum of squares, lowest and highest of the scores
and how many assessors found no evidence: everything the results and divergence flags need, and
what a database can aggregate in one GROUP BY, so thousands of candidates never travel to Python
score by score. A `TallyTable` holds a whole stage's tallies as arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np


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
        return float(sample_sd(self.n_scores, self.total, self.total_sq)) if self.n_scores > 1 else None


def sample_sd(n, total, total_sq):
    """Sample standard deviation (n - 1) of n >= 2 scores from their sum and sum of squares; numbers
    or numpy arrays alike (where n < 2 an array gets NaN or inf: mask it)."""
    # n * sum(x^2) - sum(x)^2 is exact for whole-number scores, so no cancellation error creeps in.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(np.maximum(0.0, (n * total_sq - total * total) / (n * (n - 1))))


EMPTY = Tally(0, 0, 0, None, None, 0)
K = TypeVar("K", bound=Hashable)  # a candidate's key


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


@dataclass(frozen=True)
class TallyTable:
    """The tallies of many candidates on one stage's criteria, as (candidates x criteria) arrays:
    what the database's GROUP BY returns, ready for arithmetic on every cell at once. A cell nobody
    answered holds the empty tally (n 0, not evidenced 0)."""

    candidates: tuple[Hashable, ...]  # row keys
    codes: tuple[str, ...]  # column keys, in the stage's order
    n_scores: np.ndarray  # int
    total: np.ndarray  # float
    total_sq: np.ndarray  # float
    low: np.ndarray  # float, NaN where n_scores is 0
    high: np.ndarray  # float, NaN where n_scores is 0
    n_not_evidenced: np.ndarray  # int

    @classmethod
    def from_arrays(
        cls, codes: Sequence[str], candidates: np.ndarray, columns: np.ndarray, values: np.ndarray
    ) -> TallyTable:
        """From one answered cell per row: `candidates` (row keys), `columns` (index into `codes`)
        and `values`, a (cells x 6) float array of n_scores, total, total_sq, low, high and
        n_not_evidenced, NaN for low and high where nobody scored. Rows come out in key order."""
        keys, rows = np.unique(candidates, return_inverse=True)
        shape = (len(keys), len(codes))
        n_scores, not_evidenced = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
        total, total_sq = np.zeros(shape), np.zeros(shape)
        low, high = np.full(shape, np.nan), np.full(shape, np.nan)
        n_scores[rows, columns] = values[:, 0]
        total[rows, columns], total_sq[rows, columns] = values[:, 1], values[:, 2]
        low[rows, columns], high[rows, columns] = values[:, 3], values[:, 4]
        not_evidenced[rows, columns] = values[:, 5]
        return cls(tuple(keys.tolist()), tuple(codes), n_scores, total, total_sq, low, high, not_evidenced)

    @classmethod
    def from_cells(
        cls,
        codes: Sequence[str],
        cells: Iterable[tuple[Hashable, str, int, float, float, float | None, float | None, int]],
    ) -> TallyTable:
        """From (candidate, code, n_scores, total, total_sq, low, high, n_not_evidenced) per answered
        cell, in any order. Cells on a code not in `codes` raise ValueError."""
        rows = list(cells)
        column = {code: j for j, code in enumerate(codes)}
        unknown = {r[1] for r in rows} - column.keys()
        if unknown:
            raise ValueError(f"tallies on unknown criteria: {sorted(unknown)}")
        candidates = np.empty(len(rows), dtype=object)
        candidates[:] = [r[0] for r in rows]
        columns = np.fromiter((column[r[1]] for r in rows), dtype=np.intp, count=len(rows))
        values = np.array([r[2:] for r in rows], dtype=np.float64).reshape(len(rows), 6)  # None becomes NaN
        return cls.from_arrays(codes, candidates, columns, values)

    @classmethod
    def from_tallies(cls, codes: Sequence[str], tallies: Mapping[K, Mapping[str, Tally]]) -> TallyTable:
        return cls.from_cells(
            codes,
            ((candidate, code, *t) for candidate, by_code in tallies.items() for code, t in by_code.items()),
        )

    def tally(self, i: int, j: int) -> Tally:
        n = int(self.n_scores[i, j])
        low, high = (self.low[i, j].item(), self.high[i, j].item()) if n else (None, None)
        return Tally(n, self.total[i, j].item(), self.total_sq[i, j].item(), low, high, int(self.n_not_evidenced[i, j]))

    def rows_where(self, keep: Callable[[Hashable], bool]) -> TallyTable:
        """The table of the candidates `keep` accepts, in the same order."""
        index = [i for i, c in enumerate(self.candidates) if keep(c)]
        return TallyTable(
            tuple(self.candidates[i] for i in index),
            self.codes,
            *(a[index] for a in (self.n_scores, self.total, self.total_sq, self.low, self.high, self.n_not_evidenced)),
        )

    def replace_rows(self, tallies: Mapping[K, Mapping[str, Tally]]) -> TallyTable:
        """These candidates' rows replaced (or added) by the given tallies, for example recomputed from sheets."""
        if not tallies:
            return self
        kept = self.rows_where(lambda c: c not in tallies)
        redone = TallyTable.from_tallies(self.codes, tallies)
        return TallyTable(
            kept.candidates + redone.candidates,
            self.codes,
            *(
                np.concatenate((a, b))
                for a, b in zip(
                    (kept.n_scores, kept.total, kept.total_sq, kept.low, kept.high, kept.n_not_evidenced),
                    (redone.n_scores, redone.total, redone.total_sq, redone.low, redone.high, redone.n_not_evidenced),
                    strict=True,
                )
            ),
        )

    def with_rows(self, candidates: Sequence[Hashable]) -> TallyTable:
        """These candidates added, with the empty tally on every criterion."""
        if not candidates:
            return self
        shape = (len(candidates), len(self.codes))
        return TallyTable(
            self.candidates + tuple(candidates),
            self.codes,
            np.concatenate((self.n_scores, np.zeros(shape, dtype=np.int64))),
            np.concatenate((self.total, np.zeros(shape))),
            np.concatenate((self.total_sq, np.zeros(shape))),
            np.concatenate((self.low, np.full(shape, np.nan))),
            np.concatenate((self.high, np.full(shape, np.nan))),
            np.concatenate((self.n_not_evidenced, np.zeros(shape, dtype=np.int64))),
        )

    def as_tallies(self) -> dict[Hashable, dict[str, Tally]]:
        """candidate -> code -> tally of every answered cell (one tally object each: for a few candidates)."""
        return {
            c: {
                code: self.tally(i, j)
                for j, code in enumerate(self.codes)
                if self.n_scores[i, j] or self.n_not_evidenced[i, j]
            }
            for i, c in enumerate(self.candidates)
        }
