"""The organisation's implementation plan: its items by strategy component and action (overdue
check-ins first), an item with its milestones, links, check-in form and timeline, acknowledging a
check-in, adopting the strategy's actions or adding a local one, and changing an item (its framework
items chosen from the latest published framework version read from framework-api).

monitoring-api decides everything: an item's status changes only through a check-in, check-ins are
never overwritten, a done item takes no more, a reviewer (never the author) acknowledges one once,
and only an organisation's monitoring admins add to its plan. Its refusals land beside the form."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from collective_clients.framework import operations as framework
from collective_clients.framework.models import ItemNode, VersionTree
from collective_clients.monitoring import operations as monitoring
from collective_clients.monitoring.models import (
    AcknowledgeBody,
    ActionPublic,
    CheckInCreate,
    CheckInPublic,
    IndicatorPublic,
    MilestoneWrite,
    PlanItemCreate,
    PlanItemPublic,
    PlanItemUpdate,
    PlanStatus,
)
from collective_clients.runtime import Call, Tagged, tagged_as
from servicekit.db import in_session
from web.accounts.auth import CurrentIdentity, Identity
from web.accounts.directory import people_with_scope
from web.clients.answers import member
from web.clients.base import ServiceClient, ServiceError, ServiceUnavailable, cursor_of, unvalidated
from web.clients.dependency import service_client
from web.clients.limits import bounds, max_items
from web.labels import ITEM_TYPE_GROUPS, label
from web.monitoring.deps import Admin, Client, Http, Reader, Writer
from web.notices import Notice, attempt, form_status, gather, problem_messages, sentence
from web.pages import render, see_other

router = APIRouter(prefix="/monitoring/plan", include_in_schema=False)

T = TypeVar("T")

PLAN = "/monitoring/plan"
# The strategy's four components, as its actions name them (framework-api's codes).
COMPONENTS: dict[str, str] = {
    "C1": "Leadership is the responsibility of all",
    "C2": "Shared leadership in and across teams",
    "C3": "Interdependent and collaborative system leadership",
    "C4": "Compassionate leadership",
}
LOCAL = "local"
# monitoring-api's limits, from its models.
CONFIDENCE = bounds(CheckInCreate, "confidence")
MAX_EVIDENCE = max_items(CheckInCreate, "evidence")
CADENCE = bounds(PlanItemCreate, "check_in_cadence_days")
PAGE = 500  # the service's largest page
MAX_PAGES = 20  # an organisation's plan is a few dozen items; a region's a few hundred
CHANGES = {
    "checked_in": "Your check-in is recorded.",
    "acknowledged": "The check-in is acknowledged.",
    "adopted": "The action is in your plan. Record its first check-in when there is news.",
    "added": "The local action is in your plan.",
    "changed": "The changes are saved.",
}
MAX_MILESTONES = max_items(PlanItemUpdate, "milestones")
MAX_FRAMEWORK_ITEMS = max_items(PlanItemUpdate, "framework_items")
BLANK_MILESTONES = 2  # empty rows the form offers for new milestones


async def every_page(client: ServiceClient, first: Call[Any], more: Callable[[str], Call[Any]]) -> list[Any]:
    """Every item of a cursor-paged list: `first` is the first page's call, `more(cursor)` the next's."""
    found: list[Any] = []
    page = await client.send(first)
    for _ in range(MAX_PAGES):
        found.extend(page.items)
        cursor = cursor_of(page.next)
        if not cursor:
            break
        page = await client.send(more(cursor))
    return found


async def plan_items(client: ServiceClient, org: str | None) -> list[PlanItemPublic]:
    """The plan items of `org` (every visible organisation's when None)."""
    items: list[PlanItemPublic] = await every_page(
        client,
        monitoring.list_items(org=org, limit=PAGE),
        lambda cursor: monitoring.list_items(org=org, limit=PAGE, cursor=cursor),
    )
    return items


async def check_ins(client: ServiceClient, item_id: uuid.UUID) -> list[CheckInPublic]:
    """Every check-in of the item, newest first."""
    found: list[CheckInPublic] = await every_page(
        client,
        monitoring.list_check_ins(item_id, limit=PAGE),
        lambda cursor: monitoring.list_check_ins(item_id, limit=PAGE, cursor=cursor),
    )
    return found


async def framework_client(request: Request, identity: CurrentIdentity, http: Http) -> ServiceClient:
    """framework-api, to name the framework items a plan item links to."""
    return service_client("framework", request, http, identity.service_principal)


Frameworks = Annotated[ServiceClient, Depends(framework_client)]


# --- the framework items a form offers ------------------------------------------------------


@dataclass(frozen=True)
class FrameworkChoice:
    identifier: str
    code: str
    statement: str


@dataclass
class FrameworkGroup:
    """The items of one type (values, behaviours, capabilities...) of a framework version."""

    title: str
    items: list[FrameworkChoice] = field(default_factory=list)


@dataclass
class FrameworkChoices:
    """The items a plan item may link to: the latest published version of each framework, by type.
    `listed` is False when framework-api could not be read (`notice` says why): the form then
    shows the item's links as they are and its save leaves them unchanged."""

    versions: list[tuple[str, list[FrameworkGroup]]] = field(default_factory=list)
    notice: Notice | None = None

    @property
    def listed(self) -> bool:
        return self.notice is None

    @cached_property
    def identifiers(self) -> set[str]:
        return {item.identifier for _, groups in self.versions for group in groups for item in group.items}


def _every_node(nodes: Iterable[ItemNode]) -> Iterator[ItemNode]:
    for node in nodes:
        yield node
        yield from _every_node(node.children)


def framework_groups(tree: VersionTree) -> list[FrameworkGroup]:
    """The version's items by type, in the order of ITEM_TYPE_GROUPS (others after, in words);
    within a type, in the framework's own order."""
    by_type: dict[str, FrameworkGroup] = {}
    for node in _every_node(tree.items):
        group = by_type.setdefault(node.type, FrameworkGroup(label(ITEM_TYPE_GROUPS, node.type)))
        group.items.append(FrameworkChoice(str(node.identifier), node.code, node.statement))
    rank = {kind: n for n, kind in enumerate(ITEM_TYPE_GROUPS)}
    return [by_type[kind] for kind in sorted(by_type, key=lambda kind: rank.get(kind, len(rank)))]


async def framework_choices(frameworks: ServiceClient) -> FrameworkChoices:
    """The latest published version of each framework, its items by type; or the notice of why
    framework-api could not be read."""
    (listing,), notice = await gather(frameworks.send(framework.list_frameworks(limit=100)))
    if listing is None:
        return FrameworkChoices(notice=notice)
    latest = [found.latest_published.id for found in listing.items if found.latest_published is not None]
    trees, notice = await gather(*(frameworks.send(framework.read_tree(version_id)) for version_id in latest))
    if notice is not None:
        return FrameworkChoices(notice=notice)
    return FrameworkChoices(
        [(f"{tree.framework.title}, version {tree.version.version}", framework_groups(tree)) for tree in trees]
    )


def framework_kept(choices: FrameworkChoices, *linked: list[str]) -> list[str]:
    """The linked (or ticked) identifiers that no latest version lists: the form keeps them, ticked
    while they are chosen, so a save never drops them unseen."""
    return [
        identifier
        for identifier in dict.fromkeys(i for ids in linked for i in ids)
        if identifier not in choices.identifiers
    ]


def link_framework_items(fields: dict[str, Any], errors: dict[str, str], chosen: list[str]) -> None:
    """The body's framework items as sent (monitoring-api judges the identifiers; its 422 lands beside
    the field), refused here only when there are more than it takes."""
    fields["framework_items"] = chosen
    if len(chosen) > MAX_FRAMEWORK_ITEMS:
        errors["framework_items"] = f"Link at most {MAX_FRAMEWORK_ITEMS} framework items"


# --- the plan -------------------------------------------------------------------------------


@dataclass
class Group:
    """The items of one strategy component (or the local actions), overdue check-ins first."""

    code: str
    title: str
    items: list[PlanItemPublic] = field(default_factory=list)


def by_component(items: Iterable[PlanItemPublic], actions: Iterable[ActionPublic]) -> list[Group]:
    """Items under each component their action serves (an action serving several is under each),
    local actions last; within a group, items whose check-in is overdue first, then by action."""
    components = {action.code: action.components for action in actions}
    groups = {code: Group(code, title) for code, title in COMPONENTS.items()}
    groups[LOCAL] = Group(LOCAL, "Local actions")
    for item in items:
        codes = components.get(item.action.code, []) if item.action else []
        for code in [c for c in codes if c in groups] or [LOCAL]:
            groups[code].items.append(item)
    for group in groups.values():
        group.items.sort(key=item_order)
    return [group for group in groups.values() if group.items]


def item_order(item: PlanItemPublic) -> tuple[bool, str, str]:
    return (not item.check_in_overdue, item.action.code if item.action else "~", item.title)


@router.get("")
async def show_plan(request: Request, identity: Reader, client: Client) -> Response:
    (items, listing), notice = await gather(
        plan_items(client, identity.user.org), client.send(monitoring.list_actions())
    )
    actions = listing.items if listing else []
    adopted = {item.action.code for item in items or [] if item.action}
    overdue = sorted((item for item in items or [] if item.check_in_overdue), key=item_order)
    return render(
        request,
        "monitoring/plan.html",
        {
            "page_title": "Implementation plan",
            "items": items,
            "groups": by_component(items or [], actions),
            "overdue": overdue,
            "to_adopt": [action for action in actions if action.code not in adopted] if listing else [],
            "can_add": identity.has("monitoring:admin"),
            "changed": CHANGES.get(request.query_params.get("changed", "")),
            "notice": notice,
        },
        status_code=notice.status_code if notice and items is None else 200,
    )


# --- adopting an action, adding a local one -------------------------------------------------


@dataclass
class ItemForm:
    action: str = ""
    title: str = ""
    description: str = ""
    owner: str = ""
    reviewer: str = ""
    due: str = ""
    cadence: str = "30"
    idempotency_key: str = ""
    framework_items: list[str] = field(default_factory=list)


ITEM_FIELDS = {
    "body.action": "action",
    "body.title": "title",
    "body.description": "description",
    "body.owner": "owner",
    "body.reviewer": "reviewer",
    "body.reviewer_name": "reviewer",
    "body.due": "due",
    "body.check_in_cadence_days": "cadence",
    "body.framework_items": "framework_items",
}


async def _reviewers(request: Request, identity: Identity) -> dict[str, str]:
    """Who may acknowledge check-ins: the organisation's people who can write to monitoring."""
    found: dict[str, str] = await in_session(request.app, people_with_scope, identity.user.org, "monitoring:write")
    return found


async def _new_item_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    frameworks: ServiceClient,
    *,
    form: ItemForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    form = form or ItemForm(idempotency_key=str(uuid.uuid4()))
    (listing, items, choices), notice = await gather(
        client.send(monitoring.list_actions()), plan_items(client, identity.user.org), framework_choices(frameworks)
    )
    adopted = {item.action.code for item in items or [] if item.action}
    return render(
        request,
        "monitoring/plan_new.html",
        {
            "page_title": "Add to the plan",
            "actions": [action for action in (listing.items if listing else []) if action.code not in adopted],
            "reviewers": await _reviewers(request, identity),
            "form": form,
            "frameworks": choices,
            "framework_kept": framework_kept(choices, form.framework_items),
            "item": None,
            "errors": errors or {},
            "notice": notice,
            "cadence": CADENCE,
        },
        status_code=status_code,
    )


@router.get("/new")
async def new_item(request: Request, identity: Admin, client: Client, frameworks: Frameworks) -> Response:
    chosen = request.query_params.get("action", "")[:20]
    form = ItemForm(action=chosen, idempotency_key=str(uuid.uuid4()))
    return await _new_item_page(request, identity, client, frameworks, form=form)


def item_body(form: ItemForm, reviewers: dict[str, str]) -> tuple[PlanItemCreate, dict[str, str]]:
    """The body of POST /plan/items from the form, or the errors by field."""
    errors: dict[str, str] = {}
    local = form.action == LOCAL
    if not form.action:
        errors["action"] = "Choose the strategy action to adopt, or a local action"
    elif local and not form.title:
        errors["title"] = "Enter the title of the local action"
    due = None
    if form.due:
        try:
            due = date.fromisoformat(form.due)
        except ValueError:
            errors["due"] = "Enter the due date as a real date, for example 2027-03-31"
    cadence = 30
    try:
        cadence = int(form.cadence)
        if not CADENCE.check(cadence):
            raise ValueError
    except ValueError:
        errors["cadence"] = f"Enter the days between check-ins, a whole number from {CADENCE.low:g} to {CADENCE.high:g}"
    if form.reviewer and form.reviewer not in reviewers:
        errors["reviewer"] = "Choose the reviewer from the list"
    fields: dict[str, Any] = {
        "description": form.description or None,
        "owner": form.owner or None,
        "due": due,
        "check_in_cadence_days": cadence,
    }
    if form.reviewer in reviewers:
        fields.update(reviewer=form.reviewer, reviewer_name=reviewers[form.reviewer])
    if local:
        fields["title"] = form.title
    else:
        fields["action"] = form.action
    if form.framework_items:
        link_framework_items(fields, errors, form.framework_items)
    return unvalidated(PlanItemCreate, **fields), errors


@router.post("")
async def add_item(
    request: Request,
    identity: Admin,
    client: Client,
    frameworks: Frameworks,
    framework_items: Annotated[list[str], Form(default_factory=list)],
    action: Annotated[str, Form(max_length=20)] = "",
    title: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
    owner: Annotated[str, Form(max_length=200)] = "",
    reviewer: Annotated[str, Form(max_length=200)] = "",
    due: Annotated[str, Form(max_length=20)] = "",
    cadence: Annotated[str, Form(max_length=10)] = "30",
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = ItemForm(
        action.strip(),
        title.strip(),
        description.strip(),
        owner.strip(),
        reviewer.strip(),
        due.strip(),
        cadence.strip(),
        idempotency_key or str(uuid.uuid4()),
        list(dict.fromkeys(value[:100] for value in framework_items[:500])),
    )
    reviewers = await _reviewers(request, identity)
    body, errors = item_body(form, reviewers)
    if errors:
        return await _new_item_page(request, identity, client, frameworks, form=form, errors=errors, status_code=422)
    outcome = await attempt(client.send(monitoring.create_item(body, idempotency_key=form.idempotency_key)))
    if outcome.value is not None:
        changed = "added" if form.action == LOCAL else "adopted"
        return see_other(f"{PLAN}/{outcome.value.id}?changed={changed}")
    if outcome.notice:
        errors = {"action": f"Nothing was added. {outcome.notice.text}"}
        return await _new_item_page(request, identity, client, frameworks, form=form, errors=errors)
    assert outcome.problem is not None
    errors = problem_messages(outcome.problem, ITEM_FIELDS, general="action")
    return await _new_item_page(
        request, identity, client, frameworks, form=form, errors=errors, status_code=form_status(outcome.problem)
    )


# --- an item --------------------------------------------------------------------------------


@dataclass
class CheckInForm:
    status: str = ""
    confidence: str = ""
    what_happened: str = ""
    whats_next: str = ""
    evidence: str = ""
    idempotency_key: str = ""


CHECK_IN_FIELDS = {
    "body.status": "status",
    "body.confidence": "confidence",
    "body.what_happened": "what_happened",
    "body.whats_next": "whats_next",
    "body.evidence": "evidence",
}


@dataclass(frozen=True)
class FrameworkLink:
    identifier: uuid.UUID
    text: str
    href: str | None


async def _found(call: Awaitable[T]) -> T | None:
    """The answer, or None when the service has no such thing (or cannot say just now)."""
    try:
        return await call
    except (ServiceError, ServiceUnavailable):
        return None


async def framework_links(
    frameworks: ServiceClient | None, identifiers: list[uuid.UUID]
) -> tuple[list[FrameworkLink], bool]:
    """The framework items an item links to, named and linked in the latest published version that
    has them; (their identifiers alone, False) when framework-api cannot be read."""
    plain = [FrameworkLink(identifier, str(identifier), None) for identifier in identifiers]
    if not identifiers or frameworks is None:
        return plain, True
    try:
        listing = await frameworks.send(framework.list_frameworks(limit=100))
    except (ServiceError, ServiceUnavailable):
        return plain, False
    versions = [found.latest_published.id for found in listing.items if found.latest_published is not None]
    links = []
    for identifier in identifiers:
        link = FrameworkLink(identifier, str(identifier), None)
        for version_id in versions:
            item = await _found(frameworks.send(framework.read_item(version_id, identifier)))
            if item is not None:
                href = f"/versions/{version_id}/items/{identifier}"
                link = FrameworkLink(identifier, f"{item.code}: {item.statement}", href)
                break
        links.append(link)
    return links, True


def may_acknowledge(identity: Identity, item: PlanItemPublic, entry: CheckInPublic) -> bool:
    """Whether to offer the acknowledgement: monitoring-api lets the item's reviewer (anyone with
    monitoring:write when it has none), never the author, acknowledge a check-in once."""
    me = str(identity.user.uid)
    return (
        identity.has("monitoring:write")
        and not entry.acknowledged
        and entry.author != me
        and (not item.reviewer or item.reviewer == me)
        and item.org == identity.user.org
    )


def check_in_statuses(item: PlanItemPublic) -> list[PlanStatus]:
    """The statuses a check-in may give: an item that has started cannot go back to not started."""
    return [s for s in PlanStatus if s != PlanStatus.not_started or item.status == PlanStatus.not_started]


async def _item_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    frameworks: ServiceClient,
    item_id: uuid.UUID,
    *,
    form: CheckInForm | None = None,
    errors: dict[str, str] | None = None,
    acknowledgement: tuple[uuid.UUID, str] | None = None,
    status_code: int = 200,
) -> Response:
    (item, history), notice = await gather(client.send(monitoring.read_item(item_id)), check_ins(client, item_id))
    links, framework_ok = await framework_links(
        frameworks if identity.has("framework:read") else None, item.framework_items if item else []
    )
    writable = item is not None and item.org == identity.user.org and identity.has("monitoring:write")
    return render(
        request,
        "monitoring/plan_item.html",
        {
            "page_title": item.title if item else "Plan item",
            "item": item,
            "item_url": f"{PLAN}/{item_id}",
            "history": history,
            "framework_links": links,
            "framework_notice": not framework_ok,
            "can_check_in": writable and item is not None and item.status != PlanStatus.done,
            "can_change": item is not None and item.org == identity.user.org and identity.has("monitoring:admin"),
            "statuses": check_in_statuses(item) if item else [],
            "acknowledgeable": {entry.id for entry in history or [] if item and may_acknowledge(identity, item, entry)},
            "acknowledgement": acknowledgement,
            "form": form or CheckInForm(idempotency_key=str(uuid.uuid4())),
            "errors": errors or {},
            "confidence": CONFIDENCE,
            "max_evidence": MAX_EVIDENCE,
            "changed": CHANGES.get(request.query_params.get("changed", "")),
            "notice": notice,
        },
        status_code=notice.status_code if notice and item is None else status_code,
    )


@router.get("/{item_id}")
async def show_item(
    request: Request, item_id: uuid.UUID, identity: Reader, client: Client, frameworks: Frameworks
) -> Response:
    return await _item_page(request, identity, client, frameworks, item_id)


def evidence_links(text: str) -> tuple[list[str], str | None]:
    """The evidence links, one a line, or why not."""
    links = [line.strip() for line in text.splitlines() if line.strip()]
    if len(links) > MAX_EVIDENCE:
        return links, f"Give at most {MAX_EVIDENCE} evidence links"
    for number, link in enumerate(links, start=1):
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in link:
            return links, f"Evidence link {number} is not a web address: start it with https://"
    return links, None


def check_in_body(form: CheckInForm, allowed: list[PlanStatus]) -> tuple[CheckInCreate, dict[str, str]]:
    """The body of POST .../check-ins from the form, or the errors by field."""
    errors: dict[str, str] = {}
    status = member(PlanStatus, form.status)
    if status is None or status not in allowed:
        errors["status"] = "Choose the status of the action now"
    confidence = None
    try:
        confidence = int(form.confidence)
        if not CONFIDENCE.check(confidence):
            raise ValueError
    except ValueError:
        errors["confidence"] = (
            f"Choose how confident you are that it will be done, from {CONFIDENCE.low:g} to {CONFIDENCE.high:g}"
        )
    if not form.what_happened:
        errors["what_happened"] = "Say what happened since the last check-in"
    links, problem = evidence_links(form.evidence)
    if problem:
        errors["evidence"] = problem
    body = unvalidated(
        CheckInCreate,
        status=status,
        confidence=confidence,
        what_happened=form.what_happened,
        whats_next=form.whats_next or None,
        evidence=links,
    )
    return body, errors


@router.post("/{item_id}/check-ins")
async def check_in(
    request: Request,
    item_id: uuid.UUID,
    identity: Writer,
    client: Client,
    frameworks: Frameworks,
    status: Annotated[str, Form(max_length=20)] = "",
    confidence: Annotated[str, Form(max_length=10)] = "",
    what_happened: Annotated[str, Form(max_length=5000)] = "",
    whats_next: Annotated[str, Form(max_length=5000)] = "",
    evidence: Annotated[str, Form(max_length=50_000)] = "",
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    form = CheckInForm(
        status.strip(),
        confidence.strip(),
        what_happened.strip(),
        whats_next.strip(),
        evidence.strip(),
        idempotency_key or str(uuid.uuid4()),
    )
    body, errors = check_in_body(form, list(PlanStatus))
    if errors:
        return await _item_page(
            request, identity, client, frameworks, item_id, form=form, errors=errors, status_code=422
        )
    call = monitoring.create_check_in(item_id, body, idempotency_key=form.idempotency_key)
    outcome = await attempt(client.send(call))
    if outcome.ok:
        return see_other(f"{PLAN}/{item_id}?changed=checked_in#timeline")
    if outcome.notice:
        errors = {"status": f"The check-in was not recorded. {outcome.notice.text}"}
        return await _item_page(request, identity, client, frameworks, item_id, form=form, errors=errors)
    assert outcome.problem is not None
    errors = problem_messages(outcome.problem, CHECK_IN_FIELDS, general="status")
    return await _item_page(
        request,
        identity,
        client,
        frameworks,
        item_id,
        form=form,
        errors=errors,
        status_code=form_status(outcome.problem),
    )


@router.post("/{item_id}/check-ins/{check_in_id}/acknowledge")
async def acknowledge(
    request: Request,
    item_id: uuid.UUID,
    check_in_id: uuid.UUID,
    identity: Writer,
    client: Client,
    frameworks: Frameworks,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    body = unvalidated(AcknowledgeBody, comment=comment.strip() or None)
    outcome = await attempt(client.send(monitoring.acknowledge(item_id, check_in_id, body=body)))
    if outcome.ok:
        return see_other(f"{PLAN}/{item_id}?changed=acknowledged#check-in-{check_in_id}")
    if outcome.notice:
        message = f"The check-in was not acknowledged. {outcome.notice.text}"
        return await _item_page(request, identity, client, frameworks, item_id, acknowledgement=(check_in_id, message))
    assert outcome.problem is not None
    message = sentence(outcome.problem.detail or "The check-in was not acknowledged")
    return await _item_page(
        request,
        identity,
        client,
        frameworks,
        item_id,
        acknowledgement=(check_in_id, message),
        status_code=form_status(outcome.problem),
    )


# --- changing an item -----------------------------------------------------------------------


def read_item(item_id: uuid.UUID) -> Call[Tagged[PlanItemPublic]]:
    """The item with its ETag, for the If-Match of a change. monitoring-api sends the ETag but its
    OpenAPI document does not declare it, so the generated call reads the body only: this is the
    same request, reading the header too."""
    call = monitoring.read_item(item_id)
    return Call(call.method, call.path, tagged_as(PlanItemPublic), params=call.params, accept=call.accept)


@dataclass
class MilestoneForm:
    title: str = ""
    due: str = ""
    done_on: str = ""

    @property
    def blank(self) -> bool:
        return not (self.title or self.due or self.done_on)


@dataclass
class EditForm:
    title: str = ""
    description: str = ""
    owner: str = ""
    reviewer: str = ""
    due: str = ""
    cadence: str = ""
    indicators: list[str] = field(default_factory=list)
    milestones: list[MilestoneForm] = field(default_factory=list)
    etag: str = ""
    framework_items: list[str] = field(default_factory=list)
    # Whether the form that was sent listed the framework items: a form shown while framework-api
    # could not be read leaves the item's links as they are.
    framework_listed: bool = True


def edit_form_of(item: PlanItemPublic, etag: str) -> EditForm:
    milestones = [
        MilestoneForm(m.title, m.due.isoformat(), m.done_on.isoformat() if m.done_on else "") for m in item.milestones
    ]
    free = max(0, min(BLANK_MILESTONES, MAX_MILESTONES - len(milestones)))
    return EditForm(
        title=item.title,
        description=item.description or "",
        owner=item.owner or "",
        reviewer=item.reviewer or "",
        due=item.due.isoformat() if item.due else "",
        cadence=str(item.check_in_cadence_days),
        indicators=[str(link.id) for link in item.indicators],
        milestones=milestones + [MilestoneForm() for _ in range(free)],
        etag=etag,
        framework_items=[str(identifier) for identifier in item.framework_items],
    )


def edit_form_from(
    values: Mapping[str, str], indicators: list[str], framework_items: list[str] | None = None
) -> EditForm:
    try:
        count = min(int(values.get("milestone_count", "0")), MAX_MILESTONES + BLANK_MILESTONES)
    except ValueError:
        count = 0
    return EditForm(
        title=values.get("title", "").strip(),
        description=values.get("description", "").strip(),
        owner=values.get("owner", "").strip(),
        reviewer=values.get("reviewer", "").strip(),
        due=values.get("due", "").strip(),
        cadence=values.get("cadence", "").strip(),
        indicators=list(dict.fromkeys(indicators)),
        milestones=[
            MilestoneForm(
                values.get(f"milestone-{i}-title", "").strip(),
                values.get(f"milestone-{i}-due", "").strip(),
                values.get(f"milestone-{i}-done_on", "").strip(),
            )
            for i in range(max(count, 0))
        ],
        etag=values.get("etag", ""),
        framework_items=list(dict.fromkeys(framework_items or [])),
        framework_listed=values.get("framework_items_listed") == "1",
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def edit_body(
    form: EditForm, item: PlanItemPublic, reviewers: Mapping[str, str], known: set[str]
) -> tuple[PlanItemUpdate, dict[str, str]]:
    """The body of PATCH /plan/items/{id} (everything the form shows), or the errors by field."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        "description": form.description or None,
        "owner": form.owner or None,
        "reviewer": form.reviewer or None,
        "reviewer_name": reviewers.get(form.reviewer) if form.reviewer else None,
        "indicators": [i for i in form.indicators if i in known],
    }
    if item.local:
        if not form.title:
            errors["title"] = "Enter the title of the local action"
        fields["title"] = form.title
    if form.reviewer and form.reviewer not in reviewers and form.reviewer != item.reviewer:
        errors["reviewer"] = "Choose the reviewer from the list"
    elif form.reviewer and form.reviewer not in reviewers:
        fields["reviewer_name"] = item.reviewer_name  # kept as it was
    fields["due"] = _day(form.due) if form.due else None
    if form.due and fields["due"] is None:
        errors["due"] = "Enter the due date as a real date, for example 2027-03-31"
    try:
        cadence = int(form.cadence)
        if not CADENCE.check(cadence):
            raise ValueError
        fields["check_in_cadence_days"] = cadence
    except ValueError:
        errors["cadence"] = f"Enter the days between check-ins, a whole number from {CADENCE.low:g} to {CADENCE.high:g}"
    milestones = []
    for i, row in enumerate(form.milestones):
        if row.blank:
            continue
        due = _day(row.due)
        done = _day(row.done_on) if row.done_on else None
        if not row.title:
            errors[f"milestone-{i}-title"] = f"Enter what milestone {i + 1} is"
        if due is None:
            errors[f"milestone-{i}-due"] = f"Enter the due date of milestone {i + 1}, for example 2027-01-31"
        if row.done_on and done is None:
            errors[f"milestone-{i}-done_on"] = (
                f"Enter when milestone {i + 1} was done as a real date, or leave it empty"
            )
        milestones.append(unvalidated(MilestoneWrite, title=row.title, due=due, done_on=done))
    if len(milestones) > MAX_MILESTONES:
        errors["milestone-0-title"] = f"An action has at most {MAX_MILESTONES} milestones"
    fields["milestones"] = milestones
    if form.framework_listed:  # a form shown without the list leaves the links as they are
        link_framework_items(fields, errors, form.framework_items)
    return unvalidated(PlanItemUpdate, **fields), errors


async def _indicators(client: ServiceClient) -> list[IndicatorPublic]:
    found: list[IndicatorPublic] = await every_page(
        client,
        monitoring.list_indicators(limit=PAGE),
        lambda cursor: monitoring.list_indicators(limit=PAGE, cursor=cursor),
    )
    return found


async def _edit_page(
    request: Request,
    identity: Identity,
    client: ServiceClient,
    frameworks: ServiceClient,
    item_id: uuid.UUID,
    *,
    form: EditForm | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    (read, indicators, choices), notice = await gather(
        client.send(read_item(item_id)), _indicators(client), framework_choices(frameworks)
    )
    item = read.value if read else None
    if item is not None and item.org != identity.user.org:
        raise HTTPException(404)  # another organisation's item is changed only by its own
    if item is not None and form is None:
        form = edit_form_of(item, (read.etag if read else None) or "")
    return render(
        request,
        "monitoring/plan_edit.html",
        {
            "page_title": f"Change: {item.title}" if item else "Change a plan item",
            "item": item,
            "item_url": f"{PLAN}/{item_id}",
            "form": form or EditForm(),
            "indicators": indicators or [],
            "frameworks": choices,
            "framework_kept": framework_kept(
                choices, form.framework_items if form else [], [str(i) for i in (item.framework_items if item else [])]
            ),
            "reviewers": await _reviewers(request, identity),
            "errors": errors or {},
            "cadence": CADENCE,
            "notice": notice,
        },
        status_code=notice.status_code if notice and item is None else status_code,
    )


@router.get("/{item_id}/edit")
async def edit_item(
    request: Request, item_id: uuid.UUID, identity: Admin, client: Client, frameworks: Frameworks
) -> Response:
    return await _edit_page(request, identity, client, frameworks, item_id)


@router.post("/{item_id}/edit")
async def change_item(
    request: Request, item_id: uuid.UUID, identity: Admin, client: Client, frameworks: Frameworks
) -> Response:
    submitted = await request.form()
    values = {name: value[:10_000] for name, value in submitted.items() if isinstance(value, str)}
    chosen = [str(value)[:50] for value in submitted.getlist("indicators")][:100]
    linked = [str(value)[:100] for value in submitted.getlist("framework_items")][:500]
    form = edit_form_from(values, chosen, linked)
    (read, indicators), notice = await gather(client.send(read_item(item_id)), _indicators(client))
    if read is None or indicators is None:
        errors = {"problem": f"Nothing was changed. {notice.text if notice else ''}".strip()}
        return await _edit_page(request, identity, client, frameworks, item_id, form=form, errors=errors)
    item = read.value
    if item.org != identity.user.org:
        raise HTTPException(404)
    reviewers = await _reviewers(request, identity)
    body, errors = edit_body(form, item, reviewers, {str(i.id) for i in indicators})
    if errors:
        return await _edit_page(
            request, identity, client, frameworks, item_id, form=form, errors=errors, status_code=422
        )
    outcome = await attempt(client.send(monitoring.update_item(item_id, body, if_match=form.etag or read.etag)))
    if outcome.ok:
        return see_other(f"{PLAN}/{item_id}?changed=changed")
    if outcome.notice:
        errors = {"problem": f"Nothing was changed. {outcome.notice.text}"}
        return await _edit_page(request, identity, client, frameworks, item_id, form=form, errors=errors)
    assert outcome.problem is not None
    if outcome.problem.status == 412:
        errors = {
            "problem": "Someone changed this action while you were editing it. Nothing of yours was saved: "
            "the form now shows their version; make your change again."
        }
        return await _edit_page(request, identity, client, frameworks, item_id, errors=errors, status_code=409)
    # The service numbers the milestones it was sent; the form's rows include blank ones.
    slots = [i for i, row in enumerate(form.milestones) if not row.blank]
    fields = {
        **{k: v for k, v in ITEM_FIELDS.items() if k != "body.action"},
        "body.indicators": "indicators",
        **{f"body.milestones.{n}": f"milestone-{slot}-title" for n, slot in enumerate(slots)},
    }
    errors = problem_messages(outcome.problem, fields, general="problem")
    return await _edit_page(
        request,
        identity,
        client,
        frameworks,
        item_id,
        form=form,
        errors=errors,
        status_code=form_status(outcome.problem),
    )
