"""The summary table: for many indicators across many organisation units, the latest value, the
target, variation and assurance, provisional or not; filtered ("all concerns", "consistently
failing") and in cursor pages.

Series are taken in (indicator code, unit path) order, a page's worth at a time. Each series' SPC
result is kept in a bounded in-process cache keyed by what it was computed from: the series' latest
revision (its newest value id and its number of values, from one grouped query), the indicator's last
change, its rebases and ghosted points. The values of the series the cache does not hold are read in
one query, summed up the tree in memory, and computed; a series that did not change is not read again.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from monitoring_api.indicators import models as m
from monitoring_api.indicators import service, spc
from monitoring_api.indicators.series import Sums, ancestors, series
from monitoring_api.structure import service as structure
from monitoring_api.structure.models import OrgUnit, upper_bound
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import unprocessable
from servicekit.pagination import cursor_value

MAX_SERIES = 20_000  # series one request may span (before paging)
MAX_PAGE = 1000


@dataclass(frozen=True)
class _Computed:
    points: int
    latest_period: date | None
    latest_value: float | None
    target: float | None
    variation: tuple[str | None, str | None]
    assurance: tuple[str | None, str | None]
    provisional: bool
    mean: float | None
    lpl: float | None
    upl: float | None


class SeriesCache:
    """A bounded LRU of computed series, safe across the worker's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple, _Computed] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def has(self, key: tuple) -> bool:
        with self._lock:
            return key in self._items

    def get_or_compute(self, key: tuple, compute: Callable[[], _Computed]) -> _Computed:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
        value = compute()
        with self._lock:
            self.misses += 1
            if self.size:
                self._items[key] = value
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value


def _passes(row: _Computed, wanted: m.SummaryFilter | None) -> bool:
    variation, assurance = row.variation[0], row.assurance[0]
    return (
        wanted is None
        or (wanted == m.SummaryFilter.all_concerns and variation == "special_cause_concern")
        or (wanted == m.SummaryFilter.improvements and variation == "special_cause_improvement")
        or (wanted == m.SummaryFilter.special_causes and bool(variation) and variation != "common_cause")
        or (wanted == m.SummaryFilter.common_cause and variation == "common_cause")
        or (wanted == m.SummaryFilter.consistently_failing and assurance == "consistent_fail")
        or (wanted == m.SummaryFilter.consistently_passing and assurance == "consistent_pass")
        or (wanted == m.SummaryFilter.hit_or_miss and assurance == "inconsistent")
        or (wanted == m.SummaryFilter.provisional and row.provisional and row.points > 0)
        or (wanted == m.SummaryFilter.no_data and row.points == 0)
    )


def _units(
    session: Session, principal: Principal, unit_ids: list[uuid.UUID], under: OrgUnit | None, level: int | None
) -> list[OrgUnit]:
    if unit_ids:
        return [structure.get_unit(session, principal, uid) for uid in dict.fromkeys(unit_ids)]
    query = select(OrgUnit).where(structure.visible(principal, OrgUnit.org))
    if under is not None:
        query = query.where(structure.in_subtree(OrgUnit.path, under.path))
        query = query.where(OrgUnit.level == (level or under.level))
    else:
        query = query.where(OrgUnit.level == (level or 1))
    return list(session.exec(query.order_by(OrgUnit.path).limit(MAX_SERIES + 1)))


def _indicators(session: Session, principal: Principal, indicator_ids: list[uuid.UUID]) -> list[m.Indicator]:
    if indicator_ids:
        return [service.get_indicator(session, principal, uid) for uid in dict.fromkeys(indicator_ids)]
    query = select(m.Indicator).where(service.visible_indicators(principal))
    return list(session.exec(query.order_by(col(m.Indicator.code))))


def _subtrees(chunk: list[tuple[m.Indicator, OrgUnit]]):
    """The indicator ids, and a condition on a unit's path covering every unit of the chunk's subtrees."""
    indicator_ids = sorted({key_of(i) for i, _ in chunk})
    unit_paths = sorted({u.path for _, u in chunk})
    # Ranges of the requested subtrees; many units are covered by their organisations' ranges.
    roots = unit_paths if len(unit_paths) <= 50 else sorted({"/" + p.split("/")[1] + "/" for p in unit_paths})
    roots = [p for n, p in enumerate(roots) if not any(p.startswith(q) for q in roots[:n])]
    path = col(OrgUnit.path)
    return indicator_ids, or_(*[(path >= p) & (path < upper_bound(p)) for p in roots])


def _lineage(cache: dict[str, tuple[str, ...]], path: str) -> tuple[str, ...]:
    chain = cache.get(path)
    if chain is None:
        chain = cache[path] = tuple(ancestors(path))
    return chain


def _stamps(session: Session, chunk: list[tuple[m.Indicator, OrgUnit]]) -> dict[tuple[int, str], tuple[int, int]]:
    """Each series' newest value id and number of values: what its SPC result is keyed by. One grouped
    query per unit that holds values, added up the tree here."""
    indicator_ids, within = _subtrees(chunk)
    v = m.IndicatorValue
    rows = session.exec(
        select(col(v.indicator_id), col(OrgUnit.path), func.max(v.id), func.count())
        .join(OrgUnit, col(OrgUnit.id) == v.unit_id)
        .where(col(v.is_current).is_(True), col(v.indicator_id).in_(indicator_ids), within)
        .group_by(col(v.indicator_id), col(OrgUnit.path))
    )
    wanted = {(key_of(i), u.path) for i, u in chunk}
    stamps: dict[tuple[int, str], list[int]] = {key: [0, 0] for key in wanted}
    lineage: dict[str, tuple[str, ...]] = {}
    for indicator_id, path, newest, count in rows:
        assert newest is not None  # a group holds at least one value
        for prefix in _lineage(lineage, path):
            stamp = stamps.get((indicator_id, prefix))
            if stamp is not None:
                stamp[0] = max(stamp[0], newest)
                stamp[1] += count
    return {key: (a, b) for key, (a, b) in stamps.items()}


def _read(session: Session, chunk: list[tuple[m.Indicator, OrgUnit]]) -> dict[tuple[int, str], list[Sums]]:
    """One query for the current values of every series of the chunk, summed per series and period."""
    indicator_ids, within = _subtrees(chunk)
    v = m.IndicatorValue
    rows = session.execute(  # five columns: more than sqlmodel's select types
        sa_select(col(v.indicator_id), col(OrgUnit.path), col(v.period), col(v.numerator), col(v.denominator))
        .join(OrgUnit, col(OrgUnit.id) == v.unit_id)
        .where(col(v.is_current).is_(True), col(v.indicator_id).in_(indicator_ids), within)
    )
    wanted = {(key_of(i), un.path) for i, un in chunk}
    totals: dict[tuple[int, str], dict[date, list]] = defaultdict(dict)
    lineage: dict[str, tuple[str, ...]] = {}
    for indicator_id, path, period, numerator, denominator in rows:
        for prefix in _lineage(lineage, path):
            key = (indicator_id, prefix)
            if key not in wanted:
                continue
            per = totals[key]
            t = per.get(period)
            if t is None:
                per[period] = [numerator, denominator, 1]
            else:
                t[0] += numerator
                t[1] = t[1] if denominator is None else (denominator if t[1] is None else t[1] + denominator)
                t[2] += 1
    return {key: [Sums(p, t[0], t[1], t[2]) for p, t in sorted(totals.get(key, {}).items())] for key in wanted}


def _choices(session: Session, chunk: list[tuple[m.Indicator, OrgUnit]]):
    indicator_ids = sorted({key_of(i) for i, _ in chunk})
    unit_ids = sorted({key_of(u) for _, u in chunk})
    rebases: dict[tuple[int, int], list[date]] = defaultdict(list)
    ghosts: dict[tuple[int, int], list[date]] = defaultdict(list)
    for r in session.exec(
        select(m.Rebase).where(col(m.Rebase.indicator_id).in_(indicator_ids), col(m.Rebase.unit_id).in_(unit_ids))
    ):
        rebases[(r.indicator_id, r.unit_id)].append(r.on_date)
    for g in session.exec(
        select(m.Ghost).where(col(m.Ghost.indicator_id).in_(indicator_ids), col(m.Ghost.unit_id).in_(unit_ids))
    ):
        ghosts[(g.indicator_id, g.unit_id)].append(g.period)
    return rebases, ghosts


def _compute(
    indicator: m.Indicator, sums: list[Sums], targets: list[m.Target], rebase: list[date], ghost: list[date]
) -> _Computed:
    points = series(sums, indicator.frequency, indicator.factor)
    result = service.chart_spc(indicator, points, targets, rebase, ghost)
    last = next((p for p in reversed(result.points) if p.value is not None and not p.ghosted), None)
    final = result.points[-1] if result.points else None
    assurance = service.assurance_out(result)
    return _Computed(
        points=len(points),
        latest_period=last.date if last else None,
        latest_value=last.value if last else None,
        target=final.target if final else spc.target_on(service.target_periods(targets) or None, date.max),
        variation=(result.variation_type, result.variation_icon),
        assurance=(assurance.type, assurance.icon),
        provisional=result.provisional,
        mean=final.mean if final else None,
        lpl=final.lpl if final else None,
        upl=final.upl if final else None,
    )


def summary(
    session: Session,
    principal: Principal,
    cache: SeriesCache,
    *,
    indicator_ids: list[uuid.UUID],
    unit_ids: list[uuid.UUID],
    under: OrgUnit | None,
    level: int | None,
    wanted: m.SummaryFilter | None,
    limit: int,
    after: dict | None,
) -> tuple[list[m.SummaryRow], dict | None]:
    indicators = _indicators(session, principal, indicator_ids)
    units = _units(session, principal, unit_ids, under, level)
    pairs = [(i, u) for i in indicators for u in units if service.usable_by(i, u.org)]
    if len(pairs) > MAX_SERIES:
        raise unprocessable(
            f"The request spans {len(pairs)} series; at most {MAX_SERIES} (narrow indicator, unit, under or level).",
            [{"field": "query", "message": f"more than {MAX_SERIES} series"}],
        )
    pairs.sort(key=lambda pair: (pair[0].code, pair[1].path))
    if after:
        start = (cursor_value(after, "indicator", str), cursor_value(after, "unit", str))
        pairs = [p for p in pairs if (p[0].code, p[1].path) > start]
    targets = service.targets_of(session, [key_of(i) for i in indicators])
    page: list[m.SummaryRow] = []
    more = False
    chunk_size = max(limit + 1, 100)
    for offset in range(0, len(pairs), chunk_size):
        chunk = pairs[offset : offset + chunk_size]
        stamps = _stamps(session, chunk)
        rebases, ghosts = _choices(session, chunk)
        keys: dict[tuple[int, str], tuple[Any, ...]] = {}
        for indicator, unit in chunk:
            indicator_key = key_of(indicator)
            rebase = tuple(sorted(rebases.get((indicator_key, key_of(unit)), [])))
            ghost = tuple(sorted(ghosts.get((indicator_key, key_of(unit)), [])))
            stamp = stamps[(indicator_key, unit.path)]
            keys[(indicator_key, unit.path)] = (
                indicator_key,
                unit.path,
                indicator.updated_at.isoformat(),
                stamp,
                rebase,
                ghost,
            )
        missing = [(i, u) for i, u in chunk if not cache.has(keys[(key_of(i), u.path)])]
        # Only the series the cache does not hold (changed, or never computed) are read and computed.
        values = _read(session, missing) if missing else {}
        for indicator, unit in chunk:
            key = keys[(key_of(indicator), unit.path)]

            def compute(
                i: m.Indicator = indicator, k: tuple[Any, ...] = key, v: dict[tuple[int, str], list[Sums]] = values
            ) -> _Computed:
                return _compute(i, v[(key_of(i), k[1])], targets[key_of(i)], list(k[4]), list(k[5]))

            computed = cache.get_or_compute(key, compute)
            if not _passes(computed, wanted):
                continue
            if len(page) == limit:
                more = True
                break
            page.append(_row(indicator, unit, computed))
        if more:
            break
    position = None
    if more and page:
        last = page[-1]
        position = {"indicator": last.indicator.code, "unit": last.unit.path}
    return page, position


def _row(indicator: m.Indicator, unit: OrgUnit, c: _Computed) -> m.SummaryRow:
    return m.SummaryRow(
        indicator=m.SummaryIndicator(
            id=indicator.uid,
            code=indicator.code,
            title=indicator.title,
            direction=m.Direction(indicator.direction),
            unit_of_measure=indicator.unit_of_measure,
        ),
        unit=structure.unit_ref(unit),
        points=c.points,
        latest_period=c.latest_period,
        latest_value=c.latest_value,
        target=c.target,
        variation=m.VariationOut(type=c.variation[0], icon=c.variation[1]),
        assurance=m.AssuranceOut(type=c.assurance[0], icon=c.assurance[1]),
        provisional=c.provisional,
        mean=c.mean,
        lpl=c.lpl,
        upl=c.upl,
    )


def distinct(values: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(values))
