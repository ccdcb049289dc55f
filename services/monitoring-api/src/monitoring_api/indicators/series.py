"""Periods, values from numerators and denominators, and series with their gaps. Pure: no I/O.

A value is numerator / denominator x factor, from sums: a unit's value rolls up the tree by adding
numerators and denominators, never by averaging rates. Every period from the first value to the
last is in a series; a period without a value is a gap (None), never a zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from monitoring_api.indicators.models import FACTORS, MONTHS_PER_PERIOD, Factor


@dataclass(frozen=True)
class Sums:
    """What a subtree recorded for one period."""

    period: date
    numerator: float
    denominator: float | None
    reporting_units: int


@dataclass(frozen=True)
class SeriesPoint:
    period: date
    value: float | None
    numerator: float | None
    denominator: float | None
    reporting_units: int


def add_months(day: date, months: int) -> date:
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, 1)


def value_of(numerator: float | None, denominator: float | None, factor: str) -> float | None:
    """The indicator's value; None when it has no value (a gap, or a zero denominator)."""
    if numerator is None:
        return None
    if factor == Factor.value:
        return numerator
    if denominator is None or denominator == 0:
        return None
    return numerator / denominator * FACTORS[factor]


def periods(first: date, last: date, frequency: str) -> list[date]:
    step = MONTHS_PER_PERIOD[frequency]
    out, day = [], first
    while day <= last:
        out.append(day)
        day = add_months(day, step)
    return out


def series(sums: Iterable[Sums], frequency: str, factor: str) -> list[SeriesPoint]:
    """Every period from the first to the last with a value, gaps included, in order."""
    by_period = {s.period: s for s in sums}
    if not by_period:
        return []
    out = []
    for day in periods(min(by_period), max(by_period), frequency):
        s = by_period.get(day)
        if s is None:
            out.append(SeriesPoint(day, None, None, None, 0))
        else:
            out.append(
                SeriesPoint(
                    day, value_of(s.numerator, s.denominator, factor), s.numerator, s.denominator, s.reporting_units
                )
            )
    return out


def add_up(rows: Iterable[tuple[date, float, float | None]]) -> list[Sums]:
    """Sums per period of (period, numerator, denominator) rows, e.g. every unit of a subtree."""
    totals: dict[date, list] = {}
    for period, numerator, denominator in rows:
        t = totals.get(period)
        if t is None:
            totals[period] = [numerator, denominator, 1]
        else:
            t[0] += numerator
            t[1] = denominator if t[1] is None else (t[1] if denominator is None else t[1] + denominator)
            t[2] += 1
    return [Sums(p, t[0], t[1], t[2]) for p, t in sorted(totals.items())]


def ancestors(path: str) -> Sequence[str]:
    """Every path from the organisation down to `path` itself: '/A/B/' -> ('/A/', '/A/B/')."""
    parts = path.strip("/").split("/")
    return tuple("/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts)))
