"""My organisation: a manager's home. The implementation plan by action with its RAG status, the
indicator summary with Making Data Count's icons, the culture survey's headline (the latest closed
wave's engagement for the organisation, web.monitoring.culture), and (for users who read
recruitment) a recruitment headline.

The page asks the services at once, each within the configured timeout: monitoring-api once, for
its three panels (`GET /overview`), and recruitment-api. A service that is down, slow or refusing
shows a notice in each of its panels and the rest of the page renders (200). A manager lands here
after signing in (web.accounts.routes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response

from collective_clients.monitoring import operations as monitoring
from collective_clients.monitoring.models import PlanItemPublic, PlanStatus, SummaryRow
from collective_clients.recruitment import operations as recruitment
from collective_clients.recruitment.models import VacancyPublic, VacancyStatus
from web.accounts.auth import Identity
from web.clients.base import ServiceClient, ServiceError, ServiceUnavailable
from web.monitoring import chart as spc
from web.monitoring import culture
from web.monitoring.deps import Client, Reader, Recruitment
from web.monitoring.indicators import ASSURANCE_WORDS, VARIATION_WORDS, chart_url
from web.notices import Notice, notice_for
from web.pages import render

router = APIRouter(prefix="/monitoring", include_in_schema=False)

T = TypeVar("T")

HOME = "/monitoring"
PLAN = "/monitoring/plan"
MAX_RELIABILITY_VACANCIES = 5  # vacancies in scoring whose reliability the headline reads
WATCHED = (PlanStatus.off_track, PlanStatus.at_risk)
STATUS_ORDER = (
    PlanStatus.off_track,
    PlanStatus.at_risk,
    PlanStatus.on_track,
    PlanStatus.not_started,
    PlanStatus.done,
)
# Coefficient bands that say the panel's scores do not agree well enough to rely on.
WEAK_BANDS = frozenset({"poor", "unreliable"})
CONCERNS = frozenset({"concern_high", "concern_low"})


async def within(seconds: float, service: str, call: Awaitable[T]) -> T:
    """The panel's answer within `seconds` (the services' timeout), or the service is unavailable."""
    try:
        return await asyncio.wait_for(call, seconds)
    except TimeoutError as exc:
        raise ServiceUnavailable(service, "timed out") from exc


# --- the plan -------------------------------------------------------------------------------


@dataclass
class ActionGroup:
    code: str | None  # None: the organisation's own (local) actions
    title: str
    items: list[PlanItemPublic] = field(default_factory=list)

    @property
    def counts(self) -> list[tuple[str, int]]:
        return [(s.value, n) for s in STATUS_ORDER if (n := sum(1 for i in self.items if i.status == s))]


@dataclass
class PlanPanel:
    groups: list[ActionGroup]
    counts: list[tuple[str, int]]
    watch: list[PlanItemPublic]  # off track, at risk or overdue: the items to look at first
    total: int


def plan_panel(items: Sequence[PlanItemPublic]) -> PlanPanel:
    groups: dict[str | None, ActionGroup] = {}
    for item in items:
        code = item.action.code if item.action else None
        title = item.action.title if item.action else "Your organisation's own actions"
        groups.setdefault(code, ActionGroup(code, title)).items.append(item)
    ordered = sorted(groups.values(), key=lambda g: (g.code is None, _action_number(g.code)))
    counts = [(s.value, n) for s in STATUS_ORDER if (n := sum(1 for i in items if i.status == s))]
    watch = [i for i in items if i.status in WATCHED or i.check_in_overdue]
    watch.sort(key=lambda i: (STATUS_ORDER.index(i.status), not i.check_in_overdue, i.next_check_in_due, i.title))
    return PlanPanel(ordered, counts, watch, len(items))


def _action_number(code: str | None) -> tuple[int, str]:
    digits = "".join(ch for ch in code or "" if ch.isdigit())
    return (int(digits) if digits else 0, code or "")


# --- indicators -----------------------------------------------------------------------------


@dataclass
class IndicatorPanel:
    rows: list[SummaryRow]

    @property
    def concerns(self) -> int:
        return sum(1 for r in self.rows if r.variation.icon in CONCERNS)

    @property
    def failing(self) -> int:
        return sum(1 for r in self.rows if r.assurance.icon == "fail")


def indicator_panel(rows: Sequence[SummaryRow], org: str) -> IndicatorPanel:
    """The summary at the organisation: concerns first, then failing, then by title."""
    mine = [r for r in rows if r.unit.code == org]
    mine.sort(key=lambda r: (r.variation.icon not in CONCERNS, r.assurance.icon != "fail", r.indicator.title))
    return IndicatorPanel(mine)


# --- monitoring-api in one read -------------------------------------------------------------


@dataclass
class MonitoringPanels:
    plan: PlanPanel
    indicators: IndicatorPanel
    survey: culture.Headline


async def read_monitoring(client: ServiceClient, identity: Identity) -> MonitoringPanels:
    """The plan, the indicators and the culture card from monitoring-api's overview: one request
    (the four reads they were queued one after another on its worker, each paying for its own
    authentication and serialisation)."""
    found = await client.send(monitoring.read_overview())
    return MonitoringPanels(
        plan_panel(found.plan_items),
        indicator_panel(found.summary, identity.user.org),
        culture.headline_of(found.culture),
    )


# --- recruitment ----------------------------------------------------------------------------


@dataclass
class Flag:
    vacancy: VacancyPublic
    stage_id: str
    stage_name: str
    flagged_candidates: int
    weak: list[str]  # coefficients whose band is poor or unreliable


@dataclass
class RecruitmentPanel:
    open: int
    scoring: int
    drafts: int
    vacancies: list[VacancyPublic]
    flags: list[Flag]
    reliability_read: bool  # the user may read reliability (recruitment admins)


async def _flags_of(client: ServiceClient, vacancy: VacancyPublic) -> list[Flag]:
    design = (await client.send(recruitment.read_design(vacancy.id))).value
    reports = await asyncio.gather(
        *(client.send(recruitment.reliability(vacancy.id, stage.id)) for stage in design.stages),
        return_exceptions=True,
    )
    flags = []
    for stage, report in zip(design.stages, reports, strict=True):
        if isinstance(report, ServiceError):
            continue  # e.g. a stage nobody has scored yet, or the user sits on its panel (blind)
        if isinstance(report, BaseException):
            raise report
        weak = [c.name for c in report.coefficients if c.band in WEAK_BANDS]
        if report.flagged_candidates or weak:
            flags.append(Flag(vacancy, str(stage.id), stage.name, report.flagged_candidates, weak))
    return flags


async def read_recruitment(client: ServiceClient, identity: Identity) -> RecruitmentPanel:
    page = await client.send(recruitment.list_vacancies(limit=500))
    vacancies = page.items
    scoring = [v for v in vacancies if v.status == VacancyStatus.scoring]
    flags: list[Flag] = []
    may_read_reliability = identity.has("recruitment:admin")
    if may_read_reliability and scoring:
        found = await asyncio.gather(*(_flags_of(client, v) for v in scoring[:MAX_RELIABILITY_VACANCIES]))
        flags = [flag for group in found for flag in group]
    return RecruitmentPanel(
        open=sum(1 for v in vacancies if v.status == VacancyStatus.open),
        scoring=len(scoring),
        drafts=sum(1 for v in vacancies if v.status == VacancyStatus.draft),
        vacancies=[v for v in vacancies if v.status in (VacancyStatus.open, VacancyStatus.scoring)],
        flags=flags,
        reliability_read=may_read_reliability,
    )


# --- the page -------------------------------------------------------------------------------


async def _panel(call: Awaitable[T]) -> tuple[T | None, Notice | None]:
    try:
        return await call, None
    except (ServiceError, ServiceUnavailable) as exc:
        return None, notice_for(exc)


@router.get("")
async def my_organisation(
    request: Request, identity: Reader, client: Client, recruitment_client: Recruitment
) -> Response:
    seconds = request.app.state.settings.service_timeout_seconds
    calls: list[Awaitable[tuple[Any, Notice | None]]] = [
        _panel(within(seconds, "monitoring", read_monitoring(client, identity))),
    ]
    shows_recruitment = identity.has("recruitment:read")
    if shows_recruitment:
        calls.append(_panel(within(seconds, "recruitment", read_recruitment(recruitment_client, identity))))
    answers = await asyncio.gather(*calls)
    panels, monitoring_notice = answers[0]
    # monitoring-api answers the three panels at once: when it does not, each says so in its place.
    plan, indicators, survey = (panels.plan, panels.indicators, panels.survey) if panels else (None, None, None)
    plan_notice = indicator_notice = survey_notice = monitoring_notice
    recruitment_panel, recruitment_notice = answers[1] if shows_recruitment else (None, None)
    return render(
        request,
        "monitoring/home.html",
        {
            "page_title": "My organisation",
            "plan": plan,
            "plan_notice": plan_notice,
            "indicators": indicators,
            "indicator_notice": indicator_notice,
            "survey": survey,
            "survey_notice": survey_notice,
            "CULTURE": culture.CULTURE,
            "shows_recruitment": shows_recruitment,
            "recruitment": recruitment_panel,
            "recruitment_notice": recruitment_notice,
            "chart_url": chart_url,
            "number": spc.number,
            "month": spc.month,
            "VARIATION_WORDS": VARIATION_WORDS,
            "ASSURANCE_WORDS": ASSURANCE_WORDS,
            "PLAN": PLAN,
        },
    )
