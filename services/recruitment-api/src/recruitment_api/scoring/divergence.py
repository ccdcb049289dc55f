"""Divergence between assessors worth taking to moderation.

Two kinds of flag per candidate and criterion: a range of `max_range` points or more between
the highest and lowest score ("range"), and, when a pass mark is given, assessors on both sides
of it ("threshold"). "Not evidenced" (None) is not a score and takes part in neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

RANGE = "range"
THRESHOLD = "threshold"


@dataclass(frozen=True)
class CriterionScores:
    candidate: str
    criterion: str
    scores: Mapping[str, int | None]  # assessor -> score; None = "not evidenced"


@dataclass(frozen=True)
class DivergenceFlag:
    candidate: str
    criterion: str
    kind: str  # RANGE or THRESHOLD
    detail: str  # plain English for the moderation screen


def _number(value: float) -> str:
    return f"{value:g}"


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
        numeric = [s for s in item.scores.values() if s is not None]
        if not numeric:
            continue
        low, high = min(numeric), max(numeric)
        spread = high - low
        if spread >= max_range:
            points = "point" if spread == 1 else "points"
            detail = f"Scores range from {_number(low)} to {_number(high)} ({_number(spread)} {points})."
            flags.append(DivergenceFlag(item.candidate, item.criterion, RANGE, detail))
        if pass_mark is not None and high >= pass_mark > low:
            detail = f"Assessors are on both sides of the pass mark {_number(pass_mark)}."
            flags.append(DivergenceFlag(item.candidate, item.criterion, THRESHOLD, detail))
    return sorted(flags, key=lambda f: (f.candidate, f.criterion, f.kind))
