"""The implementation plan: adopting the strategy's actions, local actions, check-ins and the roll-up.

Plain functions on a Session. An item's status changes only through a check-in; a check-in is never
changed afterwards, but for its one acknowledgement by a reviewer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from monitoring_api.indicators.models import Indicator
from monitoring_api.plan import models as m
from monitoring_api.structure import service as structure
from monitoring_api.structure.models import OrgUnit
from servicekit import audit
from servicekit.audit import utcnow
from servicekit.auth import Principal
from servicekit.db import key_of
from servicekit.errors import ProblemError, conflict, not_found, unprocessable
from servicekit.etags import strong_etag
from servicekit.pagination import cursor_value, paginate


def today() -> date:
    return utcnow().date()


# --- actions --------------------------------------------------------------------------------


def list_actions(session: Session) -> list[m.Action]:
    return list(session.exec(select(m.Action).order_by(col(m.Action.sequence), col(m.Action.code))))


def action_public(action: m.Action) -> m.ActionPublic:
    return m.ActionPublic(
        id=action.uid,
        code=action.code,
        phase=action.phase,
        title=action.title,
        due=action.due,
        due_label=action.due_label,
        components=action.components,
        framework_items=[uuid.UUID(i) for i in action.framework_items],
    )


def get_action(session: Session, uid: uuid.UUID) -> m.Action:
    action = session.exec(select(m.Action).where(m.Action.uid == uid)).first()
    if action is None:
        raise not_found("action")
    return action


# --- plan items -----------------------------------------------------------------------------


def get_item(session: Session, principal: Principal, uid: uuid.UUID, *, writing: bool = False) -> m.PlanItem:
    """An item the caller can see; to write, one of the caller's own organisation (404 otherwise)."""
    item = session.exec(select(m.PlanItem).where(m.PlanItem.uid == uid)).first()
    if item is None or not structure.can_see_org(principal, item.org) or (writing and item.org != principal.org):
        raise not_found("plan item")
    return item


def overdue_condition(day: date):
    return (col(m.PlanItem.next_check_in_due) < day) & (m.PlanItem.status != m.PlanStatus.done.value)


def list_items(
    session: Session,
    principal: Principal,
    *,
    org: str | None,
    status: str | None,
    action: str | None,
    overdue: bool | None,
    limit: int,
    after: dict | None,
) -> tuple[list[m.PlanItem], dict | None]:
    query = select(m.PlanItem).where(structure.visible(principal, m.PlanItem.org))
    if org:
        query = query.where(m.PlanItem.org == org)
    if status:
        query = query.where(m.PlanItem.status == status)
    if action:
        query = query.join(m.Action, col(m.Action.id) == m.PlanItem.action_id).where(m.Action.code == action)
    if overdue is not None:
        condition = overdue_condition(today())
        query = query.where(condition if overdue else ~condition)
    if after:
        query = query.where(m.PlanItem.id > cursor_value(after, "after", int))
    rows = list(session.exec(query.order_by(col(m.PlanItem.id)).limit(limit + 1)))
    return paginate(rows, limit, lambda i: {"after": i.id})


def item_etag(item: m.PlanItem) -> str:
    stamp = item.last_check_in_at.isoformat() if item.last_check_in_at else "-"
    return strong_etag(f"{item.uid}:{item.updated_at.isoformat()}:{item.status}:{stamp}")


def _indicator_ids(session: Session, principal: Principal, given: list[uuid.UUID], field: str) -> list[str]:
    """The identifiers of indicators the caller's organisation can see; 422 naming any other."""
    if not given:
        return []
    found = {
        i.uid: i
        for i in session.exec(select(Indicator).where(col(Indicator.uid).in_(given)))
        if i.org is None or i.org == principal.org
    }
    errors = [
        {"field": f"{field}.{n}", "message": "no indicator with that identifier"}
        for n, uid in enumerate(given)
        if uid not in found
    ]
    if errors:
        raise unprocessable("Some linked indicators do not exist.", errors)
    return [str(uid) for uid in given]


def _own_unit(session: Session, principal: Principal, uid: uuid.UUID | None) -> OrgUnit:
    if uid is None:
        return structure.organisation_root(session, principal.org)
    unit = session.exec(select(OrgUnit).where(OrgUnit.uid == uid, OrgUnit.org == principal.org)).first()
    if unit is None:
        raise unprocessable(
            "The unit is not one of your organisation's.",
            [{"field": "body.unit", "message": "no unit of your organisation with that identifier"}],
        )
    return unit


def _replace_milestones(session: Session, item: m.PlanItem, milestones: list[m.MilestoneWrite]) -> None:
    for old in session.exec(select(m.Milestone).where(m.Milestone.plan_item_id == item.id)):
        session.delete(old)
    session.flush()
    for sequence, given in enumerate(milestones):
        session.add(
            m.Milestone(
                plan_item_id=key_of(item), title=given.title, due=given.due, done_on=given.done_on, sequence=sequence
            )
        )


def create_item(
    session: Session, principal: Principal, data: m.PlanItemCreate, *, demo: bool = False, on: date | None = None
) -> m.PlanItem:
    if (data.action is None) == (data.title is None):
        raise unprocessable(
            "Adopt a strategy action (action) or add a local one (title), one or the other.",
            [{"field": "body.action", "message": "give action or title, not both and not neither"}],
        )
    action = None
    if data.action is not None:
        action = session.exec(select(m.Action).where(m.Action.code == data.action)).first()
        if action is None:
            raise unprocessable(
                f"The strategy has no action {data.action}.",
                [{"field": "body.action", "message": "no such action (A1 to A9)"}],
            )
        adopted = session.exec(
            select(m.PlanItem).where(m.PlanItem.org == principal.org, m.PlanItem.action_id == action.id)
        ).first()
        if adopted is not None:
            raise conflict(
                "already-adopted",
                f"Action {action.code} is already in your organisation's plan.",
                plan_item_id=str(adopted.uid),
            )
    unit = _own_unit(session, principal, data.unit)
    start = on or today()
    item = m.PlanItem(
        org=principal.org,
        unit_id=key_of(unit),
        action_id=action.id if action else None,
        title=action.title if action else (data.title or ""),
        description=data.description,
        owner=data.owner,
        reviewer=data.reviewer,
        reviewer_name=data.reviewer_name,
        due=data.due if data.due is not None else (action.due if action else None),
        check_in_cadence_days=data.check_in_cadence_days,
        next_check_in_due=start + timedelta(days=data.check_in_cadence_days),
        indicators=_indicator_ids(session, principal, data.indicators, "body.indicators"),
        framework_items=[str(i) for i in data.framework_items],
        demo=demo,
        created_by=principal.subject,
    )
    session.add(item)
    session.flush()
    _replace_milestones(session, item, data.milestones)
    session.flush()
    audit.record(session, principal, "plan_item.create", "plan_item", item.uid, after=data.model_dump(mode="json"))
    return item


def update_item(session: Session, principal: Principal, item: m.PlanItem, data: m.PlanItemUpdate) -> m.PlanItem:
    changes = data.model_dump(exclude_unset=True)
    if "title" in changes and item.action_id is not None:
        raise unprocessable(
            "An adopted strategy action keeps the strategy's title.",
            [{"field": "body.title", "message": "only a local action's title can change"}],
        )
    nulls = [
        k
        for k in ("title", "check_in_cadence_days", "milestones", "indicators", "framework_items")
        if k in changes and changes[k] is None
    ]
    if nulls:
        raise unprocessable(
            f"{', '.join(nulls)} cannot be null.", [{"field": f"body.{k}", "message": "cannot be null"} for k in nulls]
        )
    before = plan_item_public(session, [item])[0].model_dump(mode="json")
    for name in ("title", "description", "owner", "reviewer", "reviewer_name", "due"):
        if name in changes:
            setattr(item, name, changes[name])
    if data.check_in_cadence_days is not None and data.check_in_cadence_days != item.check_in_cadence_days:
        item.check_in_cadence_days = data.check_in_cadence_days
        since = item.last_check_in_at.date() if item.last_check_in_at else item.created_at.date()
        item.next_check_in_due = since + timedelta(days=data.check_in_cadence_days)
    if data.indicators is not None:
        item.indicators = _indicator_ids(session, principal, data.indicators, "body.indicators")
    if data.framework_items is not None:
        item.framework_items = [str(i) for i in data.framework_items]
    if data.milestones is not None:
        _replace_milestones(session, item, data.milestones)
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    audit.record(
        session,
        principal,
        "plan_item.update",
        "plan_item",
        item.uid,
        before=before,
        after=data.model_dump(mode="json", exclude_unset=True),
    )
    return item


# --- check-ins ------------------------------------------------------------------------------


def check_in(session: Session, principal: Principal, item: m.PlanItem, data: m.CheckInCreate, *, at=None) -> m.CheckIn:
    if item.status == m.PlanStatus.done:
        raise conflict("plan-item-done", "This item is done; a done item takes no more check-ins.")
    if data.status == m.PlanStatus.not_started and item.status != m.PlanStatus.not_started:
        raise conflict(
            "invalid-status-change",
            f"An item that is {item.status} cannot go back to not started.",
            current_status=item.status,
        )
    when = at or utcnow()
    entry = m.CheckIn(
        plan_item_id=key_of(item),
        status=data.status.value,
        confidence=data.confidence,
        what_happened=data.what_happened,
        whats_next=data.whats_next,
        evidence=[str(url) for url in data.evidence],
        author=principal.subject,
        author_name=principal.name,
        at=when,
    )
    session.add(entry)
    before = {"status": item.status, "confidence": item.confidence}
    item.status = data.status.value
    item.confidence = data.confidence
    item.last_check_in_at = when
    item.next_check_in_due = when.date() + timedelta(days=item.check_in_cadence_days)
    item.updated_at = when
    session.add(item)
    session.flush()
    audit.record(
        session,
        principal,
        "plan_item.check_in",
        "plan_item",
        item.uid,
        before=before,
        after={"check_in": str(entry.uid), **data.model_dump(mode="json")},
    )
    return entry


def check_ins_of(session: Session, item: m.PlanItem, limit: int, after: dict | None):
    query = select(m.CheckIn).where(m.CheckIn.plan_item_id == item.id)
    if after:
        query = query.where(m.CheckIn.id < cursor_value(after, "before", int))
    rows = list(session.exec(query.order_by(col(m.CheckIn.id).desc()).limit(limit + 1)))
    return paginate(rows, limit, lambda c: {"before": c.id})


def get_check_in(session: Session, item: m.PlanItem, uid: uuid.UUID) -> m.CheckIn:
    entry = session.exec(select(m.CheckIn).where(m.CheckIn.uid == uid, m.CheckIn.plan_item_id == item.id)).first()
    if entry is None:
        raise not_found("check-in of this plan item")
    return entry


def acknowledge(
    session: Session, principal: Principal, item: m.PlanItem, entry: m.CheckIn, data: m.AcknowledgeBody
) -> m.CheckIn:
    if entry.author == principal.subject:
        raise ProblemError(
            403, "own-check-in", "A check-in is acknowledged by someone other than its author.", title="Forbidden"
        )
    if item.reviewer and item.reviewer != principal.subject:
        raise ProblemError(
            403,
            "not-the-reviewer",
            f"Only this item's reviewer ({item.reviewer_name or item.reviewer}) acknowledges its check-ins.",
            title="Forbidden",
        )
    if entry.acknowledged_at is not None:
        raise conflict(
            "already-acknowledged",
            f"This check-in was acknowledged by {entry.acknowledged_by_name or entry.acknowledged_by}.",
        )
    entry.acknowledged_by = principal.subject
    entry.acknowledged_by_name = principal.name
    entry.acknowledged_at = utcnow()
    entry.acknowledgement = data.comment
    session.add(entry)
    session.flush()
    audit.record(
        session,
        principal,
        "check_in.acknowledge",
        "check_in",
        entry.uid,
        before={"acknowledged": False},
        after={"acknowledged": True, "comment": data.comment},
    )
    return entry


def check_in_public(entry: m.CheckIn, item_uid: uuid.UUID) -> m.CheckInPublic:
    return m.CheckInPublic(
        id=entry.uid,
        plan_item_id=item_uid,
        status=m.PlanStatus(entry.status),
        rag=m.RAG[entry.status],
        confidence=entry.confidence,
        what_happened=entry.what_happened,
        whats_next=entry.whats_next,
        evidence=entry.evidence,
        author=entry.author,
        author_name=entry.author_name,
        at=entry.at,
        acknowledged=entry.acknowledged_at is not None,
        acknowledged_by=entry.acknowledged_by,
        acknowledged_by_name=entry.acknowledged_by_name,
        acknowledged_at=entry.acknowledged_at,
        acknowledgement=entry.acknowledgement,
    )


# --- representations ------------------------------------------------------------------------


def plan_item_public(session: Session, items: list[m.PlanItem]) -> list[m.PlanItemPublic]:
    """Public forms of a page of items, with a fixed number of queries whatever the page size."""
    if not items:
        return []
    ids = [key_of(i) for i in items]
    units = structure.units_by_id(session, (i.unit_id for i in items))
    action_ids = {i.action_id for i in items if i.action_id}
    actions = (
        {a.id: a for a in session.exec(select(m.Action).where(col(m.Action.id).in_(action_ids)))} if action_ids else {}
    )
    milestones: dict[int, list[m.Milestone]] = defaultdict(list)
    for ms in session.exec(
        select(m.Milestone).where(col(m.Milestone.plan_item_id).in_(ids)).order_by(col(m.Milestone.sequence))
    ):
        milestones[ms.plan_item_id].append(ms)
    wanted = {uuid.UUID(u) for i in items for u in i.indicators}
    indicators = (
        {str(x.uid): x for x in session.exec(select(Indicator).where(col(Indicator.uid).in_(wanted)))} if wanted else {}
    )
    latest_ids = session.exec(
        select(func.max(m.CheckIn.id)).where(col(m.CheckIn.plan_item_id).in_(ids)).group_by(col(m.CheckIn.plan_item_id))
    ).all()
    latest = (
        {c.plan_item_id: c for c in session.exec(select(m.CheckIn).where(col(m.CheckIn.id).in_(latest_ids)))}
        if latest_ids
        else {}
    )
    day = today()
    out = []
    for item in items:
        action = actions.get(item.action_id)
        entry = latest.get(key_of(item))
        out.append(
            m.PlanItemPublic(
                id=item.uid,
                org=item.org,
                unit=structure.unit_ref(units[item.unit_id]),
                action=m.ActionRef(id=action.uid, code=action.code, title=action.title) if action else None,
                local=action is None,
                title=item.title,
                description=item.description,
                owner=item.owner,
                reviewer=item.reviewer,
                reviewer_name=item.reviewer_name,
                due=item.due,
                status=m.PlanStatus(item.status),
                rag=m.RAG[item.status],
                confidence=item.confidence,
                check_in_cadence_days=item.check_in_cadence_days,
                last_check_in_at=item.last_check_in_at,
                next_check_in_due=item.next_check_in_due,
                check_in_overdue=item.status != m.PlanStatus.done and item.next_check_in_due < day,
                milestones=[
                    m.MilestonePublic(
                        id=ms.uid,
                        title=ms.title,
                        due=ms.due,
                        done_on=ms.done_on,
                        overdue=ms.done_on is None and ms.due < day,
                    )
                    for ms in milestones[key_of(item)]
                ],
                indicators=[
                    m.IndicatorLink(id=indicators[u].uid, code=indicators[u].code, title=indicators[u].title)
                    for u in item.indicators
                    if u in indicators
                ],
                framework_items=[uuid.UUID(u) for u in item.framework_items],
                latest_check_in=check_in_public(entry, item.uid) if entry else None,
                demo=item.demo,
                created_at=item.created_at,
                updated_at=item.updated_at,
            )
        )
    return out


# --- roll-up --------------------------------------------------------------------------------


def rollup(session: Session, principal: Principal) -> m.Rollup:
    """For each strategy action: how many of the visible organisations are in each status, and which are off track."""
    orgs = [u.code for u in structure.organisations(session, principal)]
    rows = session.exec(
        select(
            col(m.PlanItem.action_id), col(m.PlanItem.org), col(m.PlanItem.status), col(m.PlanItem.next_check_in_due)
        ).where(col(m.PlanItem.action_id).is_not(None), structure.visible(principal, m.PlanItem.org))
    ).all()
    by_action: dict[int, list[tuple[str, str, date]]] = defaultdict(list)
    for action_id, org, status, due in rows:
        if action_id is not None:  # the query asks for items of an action only
            by_action[action_id].append((org, status, due))
    day = today()
    result = []
    for action in list_actions(session):
        entries = by_action.get(key_of(action), [])
        statuses = {s.value: 0 for s in m.PlanStatus}
        for _, status, _ in entries:
            statuses[status] += 1
        adopted = {org for org, _, _ in entries}
        result.append(
            m.RollupRow(
                action=m.ActionRef(id=action.uid, code=action.code, title=action.title),
                due=action.due,
                adopted=len(adopted),
                statuses=statuses,
                overdue_check_ins=sum(1 for _, s, due in entries if s != m.PlanStatus.done and due < day),
                off_track=sorted(org for org, s, _ in entries if s == m.PlanStatus.off_track),
                not_adopted=[org for org in orgs if org not in adopted],
            )
        )
    return m.Rollup(organisations=orgs, actions=result)
