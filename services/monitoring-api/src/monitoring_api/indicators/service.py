"""Indicators: definitions and targets, series rolled up the tree, charts with SPC, and the chart's
choices per indicator and unit (rebases, ghosted points, annotations). Plain functions on a Session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, col, select

from monitoring_api.indicators import models as m
from monitoring_api.indicators import spc as spc_module
from monitoring_api.indicators.series import SeriesPoint, Sums, series, value_of
from monitoring_api.plan.models import Action
from monitoring_api.structure import service as structure
from monitoring_api.structure.models import OrgUnit
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import ProblemError, conflict, not_found, unprocessable
from servicekit.etags import strong_etag
from servicekit.pagination import cursor_value, paginate

# --- definitions ----------------------------------------------------------------------------


def get_indicator(session: Session, principal: Principal, uid: uuid.UUID) -> m.Indicator:
    """A regional indicator, or a local one of an organisation the caller sees; otherwise 404."""
    indicator = session.exec(select(m.Indicator).where(m.Indicator.uid == uid)).first()
    if indicator is None or not structure.can_see_org(principal, indicator.org):
        raise not_found("indicator")
    return indicator


def visible_indicators(principal: Principal):
    """Condition: regional indicators, and local ones of the organisations the caller sees."""
    if structure.is_regional(principal):
        return True
    return col(m.Indicator.org).is_(None) | (m.Indicator.org == principal.org)


def usable_by(indicator: m.Indicator, org: str) -> bool:
    """Can units of `org` hold values of this indicator?"""
    return indicator.org is None or indicator.org == org


def list_indicators(
    session: Session,
    principal: Principal,
    *,
    component: str | None,
    action: str | None,
    limit: int,
    after: dict | None,
) -> tuple[list[m.Indicator], dict | None]:
    query = select(m.Indicator).where(visible_indicators(principal))
    rows_all = None
    if component or action:
        # Links are JSON lists: filtered here, over the (small) set of definitions.
        rows_all = [
            i
            for i in session.exec(query.order_by(m.Indicator.code))
            if (not component or component in i.components) and (not action or action in i.actions)
        ]
        if after:
            start = cursor_value(after, "code", str)
            rows_all = [i for i in rows_all if i.code > start]
        return paginate(rows_all[: limit + 1], limit, lambda i: {"code": i.code})
    if after:
        query = query.where(m.Indicator.code > cursor_value(after, "code", str))
    rows = list(session.exec(query.order_by(m.Indicator.code).limit(limit + 1)))
    return paginate(rows, limit, lambda i: {"code": i.code})


def targets_of(session: Session, indicator_ids: Sequence[int]) -> dict[int, list[m.Target]]:
    out: dict[int, list[m.Target]] = {i: [] for i in indicator_ids}
    if not indicator_ids:
        return out
    query = select(m.Target).where(col(m.Target.indicator_id).in_(indicator_ids)).order_by(col(m.Target.from_date))
    for target in session.exec(query):
        out[target.indicator_id].append(target)
    return out


def targets_public(targets: list[m.Target]) -> list[m.TargetPublic]:
    ordered = sorted(targets, key=lambda t: t.from_date)
    return [
        m.TargetPublic(
            value=t.value,
            from_date=t.from_date,
            note=t.note,
            until=ordered[n + 1].from_date - timedelta(days=1) if n + 1 < len(ordered) else None,
        )
        for n, t in enumerate(ordered)
    ]


def indicator_public(indicator: m.Indicator, targets: list[m.Target]) -> m.IndicatorPublic:
    return m.IndicatorPublic(
        id=indicator.uid,
        code=indicator.code,
        org=indicator.org,
        regional=indicator.org is None,
        title=indicator.title,
        description=indicator.description,
        unit_of_measure=indicator.unit_of_measure,
        numerator=indicator.numerator,
        denominator=indicator.denominator,
        factor=m.Factor(indicator.factor),
        direction=m.Direction(indicator.direction),
        frequency=m.Frequency(indicator.frequency),
        source=indicator.source,
        owner=indicator.owner,
        components=indicator.components,
        actions=indicator.actions,
        framework_items=[uuid.UUID(i) for i in indicator.framework_items],
        spc=spc_settings(indicator),
        targets=targets_public(targets),
        demo=indicator.demo,
        created_at=indicator.created_at,
        updated_at=indicator.updated_at,
    )


def spc_settings(indicator: m.Indicator) -> m.SpcSettings:
    return m.SpcSettings(
        screen_outliers=indicator.screen_outliers,
        baseline_points=indicator.baseline_points,
        trend_points=indicator.trend_points,
        shift_points=indicator.shift_points,
        two_sigma=indicator.two_sigma,
    )


def indicators_public(session: Session, indicators: list[m.Indicator]) -> list[m.IndicatorPublic]:
    targets = targets_of(session, [key_of(i) for i in indicators])
    return [indicator_public(i, targets[key_of(i)]) for i in indicators]


def indicator_etag(session: Session, indicator: m.Indicator) -> str:
    return strong_etag(indicators_public(session, [indicator])[0].model_dump(mode="json"))


def _check_actions(session: Session, codes: list[str], field: str) -> None:
    if not codes:
        return
    known = set(session.exec(select(Action.code).where(col(Action.code).in_(codes))))
    errors = [
        {"field": f"{field}.{n}", "message": f"the strategy has no action {code} (A1 to A9)"}
        for n, code in enumerate(codes)
        if code not in known
    ]
    if errors:
        raise unprocessable("Some actions do not exist.", errors)


def _apply_spc(indicator: m.Indicator, settings: m.SpcSettings) -> None:
    indicator.screen_outliers = settings.screen_outliers
    indicator.baseline_points = settings.baseline_points
    indicator.trend_points = settings.trend_points
    indicator.shift_points = settings.shift_points
    indicator.two_sigma = settings.two_sigma


def create_indicator(
    session: Session, principal: Principal, data: m.IndicatorCreate, *, demo: bool = False
) -> m.Indicator:
    if data.regional and not structure.is_regional(principal):
        raise ProblemError(
            403,
            "regional-scope-needed",
            "A regional indicator is defined with monitoring:regional; leave `regional` false for a local one.",
            title="Forbidden",
        )
    if session.exec(select(m.Indicator).where(m.Indicator.code == data.code)).first() is not None:
        raise conflict("indicator-exists", f"An indicator with the code {data.code} exists already.")
    _check_actions(session, data.actions, "body.actions")
    indicator = m.Indicator(
        code=data.code,
        org=None if data.regional else principal.org,
        title=data.title,
        description=data.description,
        unit_of_measure=data.unit_of_measure,
        numerator=data.numerator,
        denominator=data.denominator,
        factor=data.factor.value,
        direction=data.direction.value,
        frequency=data.frequency.value,
        source=data.source,
        owner=data.owner,
        components=data.components,
        actions=data.actions,
        framework_items=[str(i) for i in data.framework_items],
        demo=demo,
        created_by=principal.subject,
    )
    _apply_spc(indicator, data.spc)
    session.add(indicator)
    session.flush()
    audit.record(session, principal, "indicator.create", "indicator", indicator.uid, after=data.model_dump(mode="json"))
    return indicator


def check_can_define(principal: Principal, indicator: m.Indicator) -> None:
    """A regional definition changes with monitoring:regional; a local one only by its organisation."""
    if indicator.org is None and not structure.is_regional(principal):
        raise ProblemError(
            403, "regional-scope-needed", "A regional indicator is changed with monitoring:regional.", title="Forbidden"
        )
    if indicator.org is not None and indicator.org != principal.org:
        raise ProblemError(
            403,
            "not-indicator-owner",
            f"This indicator belongs to {indicator.org}; only its own organisation changes it.",
            title="Forbidden",
        )


def update_indicator(
    session: Session, principal: Principal, indicator: m.Indicator, data: m.IndicatorUpdate
) -> m.Indicator:
    check_can_define(principal, indicator)
    changes = data.model_dump(exclude_unset=True)
    nulls = [
        k
        for k in ("title", "unit_of_measure", "direction", "components", "actions", "framework_items", "spc")
        if k in changes and changes[k] is None
    ]
    if nulls:
        raise unprocessable(
            f"{', '.join(nulls)} cannot be null.", [{"field": f"body.{k}", "message": "cannot be null"} for k in nulls]
        )
    before = indicators_public(session, [indicator])[0].model_dump(mode="json")
    for name in ("title", "description", "unit_of_measure", "source", "owner", "components"):
        if name in changes:
            setattr(indicator, name, changes[name])
    if data.direction is not None:
        indicator.direction = data.direction.value
    if data.actions is not None:
        _check_actions(session, data.actions, "body.actions")
        indicator.actions = data.actions
    if data.framework_items is not None:
        indicator.framework_items = [str(i) for i in data.framework_items]
    if data.spc is not None:
        _apply_spc(indicator, data.spc)
    indicator.updated_at = utcnow()
    session.add(indicator)
    session.flush()
    audit.record(
        session,
        principal,
        "indicator.update",
        "indicator",
        indicator.uid,
        before=before,
        after=data.model_dump(mode="json", exclude_unset=True),
    )
    return indicator


def put_targets(session: Session, principal: Principal, indicator: m.Indicator, data: m.TargetsWrite) -> None:
    check_can_define(principal, indicator)
    before = [
        t.model_dump(mode="json") for t in targets_public(targets_of(session, [key_of(indicator)])[key_of(indicator)])
    ]
    for old in session.exec(select(m.Target).where(m.Target.indicator_id == indicator.id)):
        session.delete(old)
    session.flush()
    for given in data.targets:
        session.add(
            m.Target(indicator_id=key_of(indicator), value=given.value, from_date=given.from_date, note=given.note)
        )
    indicator.updated_at = utcnow()
    session.add(indicator)
    session.flush()
    audit.record(
        session,
        principal,
        "indicator.targets",
        "indicator",
        indicator.uid,
        before={"targets": before},
        after=data.model_dump(mode="json"),
    )


# --- series ---------------------------------------------------------------------------------


def subtree_sums(session: Session, indicator: m.Indicator, unit: OrgUnit) -> list[Sums]:
    """Sums of the current values of every unit at or under `unit`, per period: one indexed query."""
    query = (
        select(
            col(m.IndicatorValue.period),
            func.sum(m.IndicatorValue.numerator),
            func.sum(m.IndicatorValue.denominator),
            func.count(),
        )
        .join(OrgUnit, col(OrgUnit.id) == m.IndicatorValue.unit_id)
        .where(
            m.IndicatorValue.indicator_id == indicator.id,
            col(m.IndicatorValue.is_current).is_(True),
            structure.in_subtree(OrgUnit.path, unit.path),
        )
        .group_by(col(m.IndicatorValue.period))
        .order_by(col(m.IndicatorValue.period))
    )
    return [Sums(p, float(n), None if d is None else float(d), int(c)) for p, n, d, c in session.exec(query)]


def unit_series(session: Session, indicator: m.Indicator, unit: OrgUnit) -> list[SeriesPoint]:
    return series(subtree_sums(session, indicator, unit), indicator.frequency, indicator.factor)


def series_public(indicator: m.Indicator, unit: OrgUnit, points: list[SeriesPoint]) -> m.Series:
    return m.Series(
        indicator=indicator.code,
        unit=structure.unit_ref(unit),
        frequency=m.Frequency(indicator.frequency),
        values=[
            m.SeriesValue(
                period=p.period,
                value=p.value,
                numerator=p.numerator,
                denominator=p.denominator,
                reporting_units=p.reporting_units,
            )
            for p in points
        ],
    )


def history(session: Session, indicator: m.Indicator, unit: OrgUnit, period: date) -> m.ValueHistory:
    rows = list(
        session.exec(
            select(m.IndicatorValue)
            .where(
                m.IndicatorValue.indicator_id == indicator.id,
                m.IndicatorValue.unit_id == unit.id,
                m.IndicatorValue.period == period,
            )
            .order_by(col(m.IndicatorValue.revision).desc())
        )
    )
    if not rows:
        raise not_found(f"value recorded for {unit.code} in the period starting {period}")
    return m.ValueHistory(
        indicator=indicator.code,
        unit=structure.unit_ref(unit),
        period=period,
        revisions=[
            m.Revision(
                revision=r.revision,
                current=r.is_current,
                numerator=r.numerator,
                denominator=r.denominator,
                value=value_of(r.numerator, r.denominator, indicator.factor),
                recorded_at=r.recorded_at,
                recorded_by=r.recorded_by,
            )
            for r in rows
        ],
    )


# --- chart choices: rebases, ghosted points, annotations ---------------------------------------


def _own_series(principal: Principal, indicator: m.Indicator, unit: OrgUnit) -> None:
    """Charts' choices are made by the unit's own organisation (another one: 404, as for any write)."""
    if unit.org != principal.org:
        raise not_found("organisation unit")
    if not usable_by(indicator, unit.org):
        raise not_found("indicator")


def rebases_of(session: Session, indicator: m.Indicator, unit: OrgUnit) -> list[m.Rebase]:
    query = select(m.Rebase).where(m.Rebase.indicator_id == indicator.id, m.Rebase.unit_id == unit.id)
    return list(session.exec(query.order_by(col(m.Rebase.on_date))))


def ghosts_of(session: Session, indicator: m.Indicator, unit: OrgUnit) -> list[m.Ghost]:
    query = select(m.Ghost).where(m.Ghost.indicator_id == indicator.id, m.Ghost.unit_id == unit.id)
    return list(session.exec(query.order_by(col(m.Ghost.period))))


def annotations_of(session: Session, indicator: m.Indicator, unit: OrgUnit) -> list[m.Annotation]:
    query = select(m.Annotation).where(m.Annotation.indicator_id == indicator.id, m.Annotation.unit_id == unit.id)
    return list(session.exec(query.order_by(col(m.Annotation.on_date), col(m.Annotation.id))))


def add_rebase(
    session: Session, principal: Principal, indicator: m.Indicator, unit: OrgUnit, data: m.RebaseWrite
) -> m.Rebase:
    _own_series(principal, indicator, unit)
    if any(r.on_date == data.on for r in rebases_of(session, indicator, unit)):
        raise conflict("rebase-exists", f"The chart already rebases on {data.on}.")
    _check_period(indicator, data.on, "Rebase on", "body.on")
    rebase = m.Rebase(
        indicator_id=key_of(indicator),
        unit_id=key_of(unit),
        on_date=data.on,
        reason=data.reason,
        recorded_by=principal.subject,
    )
    return _store_choice(session, principal, indicator, unit, rebase, "chart.rebase", "rebase", data)


def add_ghost(
    session: Session, principal: Principal, indicator: m.Indicator, unit: OrgUnit, data: m.GhostWrite
) -> m.Ghost:
    _own_series(principal, indicator, unit)
    if any(g.period == data.period for g in ghosts_of(session, indicator, unit)):
        raise conflict("ghost-exists", f"The point of {data.period} is ghosted already.")
    _check_period(indicator, data.period, "Ghost", "body.period")
    ghost = m.Ghost(
        indicator_id=key_of(indicator),
        unit_id=key_of(unit),
        period=data.period,
        reason=data.reason,
        recorded_by=principal.subject,
    )
    return _store_choice(session, principal, indicator, unit, ghost, "chart.ghost", "ghost", data)


def add_annotation(
    session: Session, principal: Principal, indicator: m.Indicator, unit: OrgUnit, data: m.AnnotationWrite
) -> m.Annotation:
    _own_series(principal, indicator, unit)
    note = m.Annotation(
        indicator_id=key_of(indicator),
        unit_id=key_of(unit),
        on_date=data.on,
        text=data.text,
        recorded_by=principal.subject,
    )
    return _store_choice(session, principal, indicator, unit, note, "chart.annotate", "annotation", data)


def _check_period(indicator: m.Indicator, when: date, verb: str, field: str) -> None:
    """422 unless `when` is a period of the indicator (a rebase or a ghost falls on one)."""
    problem = m.period_problem(indicator.frequency, when)
    if problem:
        raise unprocessable(f"{verb} a period of the indicator: {problem}.", [{"field": field, "message": problem}])


Choice = TypeVar("Choice", m.Rebase, m.Ghost, m.Annotation)


def _store_choice(
    session: Session,
    principal: Principal,
    indicator: m.Indicator,
    unit: OrgUnit,
    choice: Choice,
    action: str,
    kind: str,
    data: m.RebaseWrite | m.GhostWrite | m.AnnotationWrite,
) -> Choice:
    """Add a rebase, ghost or annotation of the chart, with its audit record."""
    session.add(choice)
    session.flush()
    audit.record(session, principal, action, kind, choice.uid, after=_target(indicator, unit, data))
    return choice


def remove_choice(session: Session, principal: Principal, indicator: m.Indicator, unit: OrgUnit, table, uid: uuid.UUID):
    """Remove a rebase, ghost or annotation of this chart (the audit record keeps what it was)."""
    _own_series(principal, indicator, unit)
    row = session.exec(
        select(table).where(table.uid == uid, table.indicator_id == indicator.id, table.unit_id == unit.id)
    ).first()
    if row is None:
        raise not_found(f"{table.__tablename__} of this chart")
    before = {k: v for k, v in row.model_dump(mode="json").items() if k not in ("id", "indicator_id", "unit_id")}
    session.delete(row)
    session.flush()
    audit.record(session, principal, f"chart.remove_{table.__tablename__}", table.__tablename__, uid, before=before)


def _target(indicator: m.Indicator, unit: OrgUnit, data) -> dict:
    return {"indicator": indicator.code, "unit": unit.path, **data.model_dump(mode="json")}


def rebase_public(r: m.Rebase) -> m.RebasePublic:
    return m.RebasePublic(id=r.uid, on=r.on_date, reason=r.reason, recorded_by=r.recorded_by, recorded_at=r.recorded_at)


def ghost_public(g: m.Ghost) -> m.GhostPublic:
    return m.GhostPublic(
        id=g.uid, period=g.period, reason=g.reason, recorded_by=g.recorded_by, recorded_at=g.recorded_at
    )


def annotation_public(a: m.Annotation) -> m.AnnotationPublic:
    return m.AnnotationPublic(id=a.uid, on=a.on_date, text=a.text, recorded_by=a.recorded_by, recorded_at=a.recorded_at)


# --- SPC ------------------------------------------------------------------------------------


def target_periods(targets: list[m.Target]) -> list[spc_module.TargetPeriod]:
    return [spc_module.TargetPeriod(t.from_date, t.value) for t in targets]


def chart_spc(
    indicator: m.Indicator,
    points: list[SeriesPoint],
    targets: list[m.Target],
    rebase_dates: list[date],
    ghosted_dates: list[date],
    two_sigma: bool | None = None,
) -> spc_module.SpcResult:
    return spc_module.spc(
        [(p.period, p.value) for p in points],
        improvement_direction=indicator.direction,
        target=target_periods(targets) or None,
        fix_after_n_points=indicator.baseline_points,
        rebase_dates=rebase_dates,
        screen_outliers=indicator.screen_outliers,
        ghosted_dates=ghosted_dates,
        trend_points=indicator.trend_points,
        shift_points=indicator.shift_points,
        two_sigma=indicator.two_sigma if two_sigma is None else two_sigma,
    )


def point_out(p: spc_module.SpcPoint) -> dict:
    return {
        "date": p.date,
        "value": p.value,
        "mean": p.mean,
        "lpl": p.lpl,
        "upl": p.upl,
        "near_lpl": p.near_lpl,
        "near_upl": p.near_upl,
        "point_type": p.point_type,
        "special_cause_type": p.special_cause_type,
        "special_cause_flag": p.special_cause_flag,
        "relative_to_mean": p.relative_to_mean,
        "outside_limits": p.outside_limits,
        "close_to_limits": p.close_to_limits,
        "part_of_trend": p.part_of_trend,
        "part_of_two_in_three": p.part_of_two_in_three,
        "part_of_shift": p.part_of_shift,
        "rebase_group": p.rebase_group,
        "baseline": p.baseline,
        "provisional": p.provisional,
        "target": p.target,
        "ghosted": p.ghosted,
        "colour": m.POINT_COLOURS.get(p.point_type or ""),
    }


def segment_out(s: spc_module.SpcSegment) -> m.SpcSegmentOut:
    lim = s.limits
    return m.SpcSegmentOut(
        rebase_group=s.rebase_group,
        start=s.start,
        end=s.end,
        n=s.n,
        mean=lim.mean,
        amr=lim.amr,
        lpl=lim.lpl,
        upl=lim.upl,
        near_lpl=lim.near_lpl,
        near_upl=lim.near_upl,
        provisional=s.provisional,
        common_cause=s.common_cause,
        special_cause_improvement=s.special_cause_improvement,
        special_cause_concern=s.special_cause_concern,
        special_cause_neutral=s.special_cause_neutral,
        variation_type=s.variation_type,
    )


def variation_out(result: spc_module.SpcResult) -> m.VariationOut:
    return m.VariationOut(type=result.variation_type, icon=result.variation_icon)


def assurance_out(result: spc_module.SpcResult) -> m.AssuranceOut:
    kind = result.assurance_type
    return m.AssuranceOut(type=kind, icon=m.ASSURANCE_ICONS.get(kind) if kind else None)


def options_out(
    direction: str, baseline_points: int | None, screen: bool, trend: int, shift: int, two_sigma: bool
) -> m.SpcOptionsOut:
    return m.SpcOptionsOut(
        improvement_direction=m.Direction(direction),
        baseline_points=baseline_points,
        screen_outliers=screen,
        trend_points=trend,
        shift_points=shift,
        two_sigma=two_sigma,
    )


def spc_request_problems(data: m.SpcRequest) -> list[dict]:
    """What ties the fields of an SPC request together, each problem naming its field."""
    errors: list[dict] = []
    first: dict[date, int] = {}
    for i, point in enumerate(data.points):
        if point.date in first:
            errors.append(
                {
                    "field": f"body.points.{i}.date",
                    "message": f"{point.date} is also the date of points.{first[point.date]}",
                }
            )
        else:
            first[point.date] = i
    for name in ("rebase_dates", "ghosted_dates"):
        seen: set[date] = set()
        for i, day in enumerate(getattr(data, name)):
            if day in seen:
                errors.append({"field": f"body.{name}.{i}", "message": f"{day} is given twice"})
            seen.add(day)
            if name == "ghosted_dates" and day not in first:
                errors.append({"field": f"body.{name}.{i}", "message": f"no point has the date {day}"})
    if data.target is not None and data.targets is not None:
        errors.append({"field": "body.targets", "message": "give `target` or `targets`, not both"})
    starts: set[date] = set()
    for i, period in enumerate(data.targets or []):
        if period.from_date in starts:
            errors.append({"field": f"body.targets.{i}.from_date", "message": "two targets start on this date"})
        starts.add(period.from_date)
    return errors


def stateless_spc(data: m.SpcRequest) -> m.SpcResponse:
    """POST /spc: any series, no storage. 422 for what ties fields together (see spc_request_problems)."""
    problems = spc_request_problems(data)
    if problems:
        named = ", ".join(dict.fromkeys(e["field"] for e in problems[:5]))
        raise unprocessable(f"Check these fields: {named} (see errors).", problems[:1000])
    targets = [spc_module.TargetPeriod(t.from_date, t.value) for t in data.targets] if data.targets else None
    result = spc_module.spc(
        [(p.date, p.value) for p in data.points],
        improvement_direction=data.improvement_direction.value,
        target=data.target if targets is None else targets,
        fix_after_n_points=data.baseline_points,
        rebase_dates=data.rebase_dates,
        screen_outliers=data.screen_outliers,
        ghosted_dates=data.ghosted_dates,
        trend_points=data.trend_points,
        shift_points=data.shift_points,
        two_sigma=data.two_sigma,
    )
    dates = {p.date for p in data.points}
    warnings = [
        f"rebase date {day} matches no point and is ignored, as NHSRplotthedots ignores it"
        for day in sorted(set(data.rebase_dates) - dates)
    ]
    return m.SpcResponse(
        points=[m.SpcPointOut(**point_out(p)) for p in result.points],
        variation=variation_out(result),
        assurance=assurance_out(result),
        provisional=result.provisional,
        segments=[segment_out(s) for s in result.segments],
        options=options_out(
            data.improvement_direction.value,
            data.baseline_points,
            data.screen_outliers,
            data.trend_points,
            data.shift_points,
            data.two_sigma,
        ),
        warnings=warnings,
    )


def chart(session: Session, indicator: m.Indicator, unit: OrgUnit, two_sigma: bool | None = None) -> m.Chart:
    points = unit_series(session, indicator, unit)
    targets = targets_of(session, [key_of(indicator)])[key_of(indicator)]
    rebases = rebases_of(session, indicator, unit)
    ghosts = ghosts_of(session, indicator, unit)
    result = chart_spc(indicator, points, targets, [r.on_date for r in rebases], [g.period for g in ghosts], two_sigma)
    reasons = {g.period: g.reason for g in ghosts}
    chart_points = [
        m.ChartPoint(
            **point_out(p),
            numerator=s.numerator,
            denominator=s.denominator,
            reporting_units=s.reporting_units,
            ghost_reason=reasons.get(p.date) if p.ghosted else None,
        )
        for p, s in zip(result.points, points, strict=True)
    ]
    return m.Chart(
        indicator=m.IndicatorRef(id=indicator.uid, code=indicator.code, title=indicator.title),
        unit=structure.unit_ref(unit),
        frequency=m.Frequency(indicator.frequency),
        direction=m.Direction(indicator.direction),
        unit_of_measure=indicator.unit_of_measure,
        points=chart_points,
        variation=variation_out(result),
        assurance=assurance_out(result),
        provisional=result.provisional,
        segments=[segment_out(s) for s in result.segments],
        options=options_out(
            indicator.direction,
            indicator.baseline_points,
            indicator.screen_outliers,
            indicator.trend_points,
            indicator.shift_points,
            indicator.two_sigma if two_sigma is None else two_sigma,
        ),
        rebases=[rebase_public(r) for r in rebases],
        ghosts=[ghost_public(g) for g in ghosts],
        annotations=[annotation_public(a) for a in annotations_of(session, indicator, unit)],
        targets=targets_public(targets),
    )


def series_unit(session: Session, principal: Principal, indicator: m.Indicator, unit_id: uuid.UUID) -> OrgUnit:
    """The unit of a series: one the caller sees, whose organisation can use the indicator (404 otherwise)."""
    unit = structure.get_unit(session, principal, unit_id)
    if not usable_by(indicator, unit.org):
        raise not_found("series of this indicator at that unit")
    return unit
