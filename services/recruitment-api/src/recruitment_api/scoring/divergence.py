"""Divergence between assessors worth taking to moderation.

Three kinds of flag per candidate and criterion: a range of `max_range` points or more between
the highest and lowest score ("range"); when a minimum per value is given, assessors on both sides of it
("threshold"); and some assessors marking the criterion "not evidenced" while others scored it
("evidence"), since the mean then rests on fewer assessors than the panel. "Not evidenced" is
not a score: it takes part in the evidence flag only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from recruitment_api.scoring.tallies import Tally, TallyTable, tally

EVIDENCE = "evidence"
RANGE = "range"
THRESHOLD = "threshold"
KINDS = (EVIDENCE, RANGE, THRESHOLD)  # the order flags come in for one criterion


@dataclass(frozen=True)
class CriterionScores:
    candidate: str
    criterion: str
    scores: Mapping[str, int | None]  # assessor -> score; None = "not evidenced"


class DivergenceFlag(NamedTuple):  # a tuple: results make tens of thousands of them
    candidate: str
    criterion: str
    kind: str  # EVIDENCE, RANGE or THRESHOLD
    detail: str  # plain English for the moderation screen


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _rules(n, low, high, not_evidenced, max_range: int, pass_mark: float | None):
    """Whether each kind of flag applies, in the order of KINDS: the one definition, on one
    criterion's numbers or on numpy arrays of a whole stage's (where low and high are NaN
    without a score, so that nothing is flagged there)."""
    scored = n > 0
    evidence = scored & (not_evidenced > 0)
    wide = scored & (high - low >= max_range)
    across = scored & (high >= pass_mark) & (low < pass_mark) if pass_mark is not None else scored & False
    return evidence, wide, across


def _detail(kind: str, n: int, low: float, high: float, not_evidenced: int, pass_mark: float | None) -> str:
    if kind == EVIDENCE:
        return (
            f"{not_evidenced} of {n + not_evidenced} assessors found no evidence; "
            f"the mean rests on {_plural(n, 'score')}."
        )
    if kind == RANGE:
        spread = high - low
        return f"Scores range from {low:g} to {high:g} ({spread:g} {'point' if spread == 1 else 'points'})."
    return f"Assessors are on both sides of the minimum per value, {pass_mark:g}."


def tally_flags(summary: Tally, *, max_range: int = 2, pass_mark: float | None = None) -> list[tuple[str, str]]:
    """(kind, detail) for one candidate's criterion, in the order of KINDS. The caller checks max_range."""
    n, _, _, low, high, not_evidenced = summary
    if not n:
        return []
    assert low is not None and high is not None  # someone scored, so the tally has both
    applies = _rules(n, low, high, not_evidenced, max_range, pass_mark)
    return [
        (kind, _detail(kind, n, low, high, not_evidenced, pass_mark))
        for kind, hit in zip(KINDS, applies, strict=True)
        if hit
    ]


def divergence_flags(
    scores: Iterable[CriterionScores], *, max_range: int = 2, pass_mark: float | None = None
) -> list[DivergenceFlag]:
    """Flags sorted by candidate, criterion and kind.

    Raises ValueError when max_range is below 1 (every single score would be flagged) or the same
    candidate and criterion appear twice.
    """
    if max_range < 1:
        raise ValueError("max_range must be at least 1")
    seen: set[tuple[str, str]] = set()
    flags: list[DivergenceFlag] = []
    for item in scores:
        key = (item.candidate, item.criterion)
        if key in seen:
            raise ValueError(f"scores for candidate {item.candidate!r} on {item.criterion!r} given twice")
        seen.add(key)
        for kind, detail in tally_flags(tally(item.scores), max_range=max_range, pass_mark=pass_mark):
            flags.append(DivergenceFlag(item.candidate, item.criterion, kind, detail))
    return sorted(flags, key=lambda f: (f.candidate, f.criterion, f.kind))


def table_flags(
    table: TallyTable, *, max_range: int = 2, pass_mark: float | None = None
) -> dict[Hashable, list[DivergenceFlag]]:
    """candidate -> its flags (sorted by criterion and kind), for a whole stage's tallies at once:
    the rules on every cell together, and a sentence only once for each set of numbers flagged (a
    stage of thousands of candidates has tens of thousands of flags, but only a few dozen sentences)."""
    if max_range < 1:
        raise ValueError("max_range must be at least 1")
    # The columns in the order of their codes, and the kinds after them: numpy's row-major order
    # of the hits is then candidate, criterion code and kind, the order flags come in.
    by_code = sorted(range(len(table.codes)), key=table.codes.__getitem__)
    n, not_evidenced = table.n_scores[:, by_code], table.n_not_evidenced[:, by_code]
    low, high = table.low[:, by_code], table.high[:, by_code]
    hits = np.stack(_rules(n, low, high, not_evidenced, max_range, pass_mark), axis=-1)
    rows, columns, kinds = np.nonzero(hits)
    cells = zip(
        rows.tolist(),
        columns.tolist(),
        kinds.tolist(),
        n[rows, columns].tolist(),
        low[rows, columns].tolist(),
        high[rows, columns].tolist(),
        not_evidenced[rows, columns].tolist(),
        strict=True,
    )
    codes = [table.codes[j] for j in by_code]
    names = [str(c) for c in table.candidates]
    new_flag = tuple.__new__  # a DivergenceFlag without NamedTuple's Python-level __new__: thousands of them
    details: dict[tuple[int, int, float, float, int], str] = {}
    flags: dict[Hashable, list[DivergenceFlag]] = {}
    for i, j, k, count, lowest, highest, unevidenced in cells:
        key = (k, count, lowest, highest, unevidenced)
        detail = details.get(key)
        if detail is None:
            detail = details[key] = _detail(KINDS[k], count, lowest, highest, unevidenced, pass_mark)
        flag = new_flag(DivergenceFlag, (names[i], codes[j], KINDS[k], detail))
        flags.setdefault(table.candidates[i], []).append(flag)
    return flags
