"""Divergence between assessors worth taking to moderation.

Three kinds of flag per candidate and criterion: a range of `max_range` points or more between
the highest and lowest score ("range"); when a pass mark is given, assessors on both sides of it
("threshold"); and some assessors marking the criterion "not evidenced" while others scored it
("evidence"), since the mean then rests on fewer assessors than the panel. "Not evidenced" is
not a score: it takes part in the evidence flag only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from recruitment_api.scoring.tallies import Tally, tally

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


def tally_flags(summary: Tally, *, max_range: int = 2, pass_mark: float | None = None) -> list[tuple[str, str]]:
    """(kind, detail) for one candidate's criterion, in the order of KINDS. The caller checks max_range."""
    n, _, _, low, high, not_evidenced = summary
    if not n:
        return []
    found = []
    if not_evidenced:
        found.append(
            (
                EVIDENCE,
                f"{not_evidenced} of {n + not_evidenced} assessors found no evidence; "
                f"the mean rests on {_plural(n, 'score')}.",
            )
        )
    spread = high - low
    if spread >= max_range:
        points = "point" if spread == 1 else "points"
        found.append((RANGE, f"Scores range from {low:g} to {high:g} ({spread:g} {points})."))
    if pass_mark is not None and high >= pass_mark > low:
        found.append((THRESHOLD, f"Assessors are on both sides of the pass mark {pass_mark:g}."))
    return found


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
