"""Adverse impact of a selection decision on groups (the four-fifths rule), with small-cell suppression.

Each group's selection rate is divided by the highest rate among the groups that can be shown
(the reference group); a ratio below `threshold` (0.8 by default) is flagged. Fisher's exact
test (two-sided) compares each group's 2x2 table of selected and not selected with the reference
group's, which matters when groups are small.

A group with fewer than `min_cell` selected or fewer than `min_cell` not selected is suppressed:
none of its counts, rate, ratio or p-value is returned, and it is never flagged, so no small
number can be read off the report. Whether a suppressed group can still be recovered by
subtracting shown groups from a total published elsewhere is the caller's concern; the report's
note says when anything was suppressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class GroupOutcome:
    group: str
    considered: int
    selected: int


@dataclass(frozen=True)
class GroupImpact:
    group: str
    considered: int | None  # None when suppressed
    selected: int | None
    selection_rate: float | None
    impact_ratio: float | None  # rate / reference rate; None when suppressed or no reference rate to divide by
    flagged: bool  # impact ratio below the threshold
    fisher_p: float | None  # two-sided, against the reference group; None for the reference itself
    suppressed: bool
    reference: bool  # the group with the highest rate among those shown


@dataclass(frozen=True)
class AdverseImpactReport:
    groups: tuple[GroupImpact, ...]  # in the order given
    reference_group: str | None
    threshold: float
    min_cell: int
    note: str | None


def _validate(outcomes: Sequence[GroupOutcome], threshold: float, min_cell: int) -> None:
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be above 0 and at most 1")
    if min_cell < 0:
        raise ValueError("min_cell must be 0 or more")
    names = [o.group for o in outcomes]
    if len(set(names)) != len(names):
        raise ValueError("group names must be unique")
    for o in outcomes:
        if o.considered < 0 or not 0 <= o.selected <= o.considered:
            raise ValueError(f"group {o.group!r} needs 0 <= selected <= considered")


def _suppressed(o: GroupOutcome, min_cell: int) -> bool:
    return o.selected < min_cell or o.considered - o.selected < min_cell


def _rate(o: GroupOutcome) -> Fraction | None:
    return Fraction(o.selected, o.considered) if o.considered else None


def adverse_impact(
    outcomes: Sequence[GroupOutcome], *, threshold: float = 0.8, min_cell: int = 5
) -> AdverseImpactReport:
    """Impact ratios, flags and Fisher's exact p for each group against the highest-rate group.

    Ties for the highest rate go to the first such group in the order given. Raises ValueError for
    impossible counts, duplicate group names, a threshold outside (0, 1] or a negative min_cell.
    """
    _validate(outcomes, threshold, min_cell)
    shown = [o for o in outcomes if not _suppressed(o, min_cell) and o.considered > 0]
    reference: GroupOutcome | None = None
    reference_rate: Fraction | None = None
    for o in shown:
        shown_rate = Fraction(o.selected, o.considered)  # every shown group has considered someone
        if reference_rate is None or shown_rate > reference_rate:
            reference, reference_rate = o, shown_rate
    # The threshold as the decimal it was written as, so a ratio of exactly 4/5 is not below "0.8".
    bar = Fraction(repr(float(threshold)))

    groups = []
    for o in outcomes:
        if _suppressed(o, min_cell):
            groups.append(GroupImpact(o.group, None, None, None, None, False, None, True, False))
            continue
        rate = _rate(o)
        is_reference = o is reference
        ratio = rate / reference_rate if rate is not None and reference_rate else None
        p = None
        if reference is not None and not is_reference and o.considered > 0:
            table = [
                [o.selected, o.considered - o.selected],
                [reference.selected, reference.considered - reference.selected],
            ]
            # scipy.stats is imported here, not at start-up: it costs about 70 MB of every worker's memory.
            import numpy as np
            from scipy.stats import fisher_exact

            p = float(fisher_exact(np.asarray(table), alternative="two-sided").pvalue)
        groups.append(
            GroupImpact(
                group=o.group,
                considered=o.considered,
                selected=o.selected,
                selection_rate=float(rate) if rate is not None else None,
                impact_ratio=float(ratio) if ratio is not None else None,
                flagged=ratio is not None and ratio < bar,
                fisher_p=p,
                suppressed=False,
                reference=is_reference,
            )
        )

    notes = []
    n_suppressed = sum(g.suppressed for g in groups)
    if n_suppressed:
        noun = "group is" if n_suppressed == 1 else "groups are"
        notes.append(
            f"{n_suppressed} {noun} not shown because fewer than {min_cell} people were selected or not selected."
        )
    if outcomes and reference is None:
        notes.append("No group is large enough to compare selection rates.")
    elif reference is not None and reference_rate == 0:
        notes.append("No one was selected in any group shown, so impact ratios cannot be calculated.")
    return AdverseImpactReport(
        groups=tuple(groups),
        reference_group=reference.group if reference is not None else None,
        threshold=threshold,
        min_cell=min_cell,
        note=" ".join(notes) or None,
    )
