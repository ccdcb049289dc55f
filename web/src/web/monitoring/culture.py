"""The culture page: a manager's culture survey results for a unit of their organisation, from
monitoring-api's survey results (issue 9).

For the chosen unit and wave: staff engagement and its three sub-scores over the waves of the same
survey (an SVG chart drawn by web.monitoring.culture_chart, with the same figures as a table), the
six cultural characteristics of the strategy as a heat map across the unit and the units directly
under it (a table: the score written in each cell, colour only as an aid), and every question with
its percent positive and change from the previous wave, with the significance test monitoring-api
names.

Disclosure control is monitoring-api's: a figure it withholds arrives as `Suppressed` (with the reason,
"fewer than 10 responses" or "withheld so a smaller group cannot be worked out") and the page has no
number for it at all. Everything a template shows goes through `figure` and `change_of`, which keep
only the words of a withheld figure, so no suppressed figure can reach the page, a label or the
download (the CSV is monitoring-api's own export, which says "suppressed" in words). The page never
computes a figure of its own from shown ones (no differences between units, no "rest of").

The waves of a chart are the closed waves of the same instrument over the same unit, as monitoring-
api publishes and protects them together. A unit is one of the user's organisation (monitoring-api's
structure): another organisation's unit or wave is a 404."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from collective_clients.monitoring import operations as monitoring
from collective_clients.monitoring.models import (
    CellPublic,
    ChangePublic,
    CultureHeadline,
    InstrumentPublic,
    ResultsPublic,
    ScorePublic,
    Suppressed,
    UnitPublic,
    WavePublic,
    WaveStatus,
)
from web.accounts.auth import Identity
from web.clients.base import ServiceClient, ServiceError, ServiceNotFound, ServiceUnavailable
from web.monitoring import culture_chart as draw
from web.monitoring.deps import Client, Reader
from web.monitoring.indicators import own_organisation
from web.monitoring.plan import every_page
from web.notices import Notice, gather, notice_for
from web.pages import attachment, render

router = APIRouter(prefix="/monitoring/culture", include_in_schema=False)

CULTURE = "/monitoring/culture"
PAGE = 500
MAX_WAVES = 8  # waves on the chart: the chosen one and the ones before it
ENGAGEMENT = ("engagement", "motivation", "involvement", "advocacy")
# The strategy's six cultural characteristics, in its order (monitoring-api's themes).
CHARACTERISTICS = ("vision", "performance", "people_management", "learning", "team_working", "values")
SHORT_TITLES = {
    "vision": "Vision",
    "performance": "Performance and accountability",
    "people_management": "People management and engagement",
    "learning": "Learning and improvement",
    "team_working": "Team working",
    "values": "Values in behaviour",
}


# --- figures as the page shows them ---------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A figure as the page shows it: its words, or why it is not shown. A withheld figure keeps no
    value: nothing of it but the reason can reach a template."""

    text: str
    value: float | None = None
    withheld: str | None = None  # monitoring-api's reason, e.g. "fewer than 10 responses"

    @property
    def shown(self) -> bool:
        return self.withheld is None and self.value is not None

    @property
    def band(self) -> int | None:
        return draw.heat_band(self.value) if self.withheld is None else None


def figure(value: float | Suppressed | None, kind: str = "score") -> Figure:
    """`kind`: score (0 to 10), percent, or count."""
    if isinstance(value, Suppressed):
        return Figure(value.reason, None, value.reason)
    if value is None:
        return Figure("no answers" if kind != "score" else "no score")
    if kind == "percent":
        return Figure(draw.percent(value), float(value))
    if kind == "count":
        return Figure(f"{int(value):,}", float(value))
    return Figure(draw.score(value), float(value))


@dataclass(frozen=True)
class ChangeView:
    """The change from the previous wave, in words."""

    text: str
    significant: bool | None = None  # None: no test (withheld, or no previous figure)
    withheld: str | None = None
    p_value: str | None = None
    direction: str = ""  # up | down | same
    amount: str = ""  # e.g. "+5.2 points"
    verdict: str = ""  # "a significant change" or "not a significant change"


def change_of(change: ChangePublic | Suppressed | None, kind: str = "score") -> ChangeView:
    if isinstance(change, Suppressed):
        return ChangeView(change.reason, withheld=change.reason)
    if change is None:
        return ChangeView("no earlier figure to compare")
    unit = " points" if kind == "percent" else ""
    direction = "up" if change.change > 0 else ("down" if change.change < 0 else "same")
    amount = draw.signed(change.change, decimals=1) + unit
    verdict = "a significant change" if change.significant else "not a significant change"
    p = "p < 0.001" if change.p_value < 0.001 else f"p = {change.p_value:.3f}"
    return ChangeView(f"{amount}, {verdict}", change.significant, None, p, direction, amount, verdict)


def _score_of(scores: Sequence[ScorePublic], wanted: str) -> ScorePublic | None:
    return next((s for s in scores if s.id == wanted), None)


# --- the page's parts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreView:
    id: str
    title: str
    score: Figure
    n: Figure
    change: ChangeView


def score_view(found: ScorePublic | None, wanted: str, title: str) -> ScoreView:
    if found is None:
        return ScoreView(wanted, title, Figure("no score"), Figure("no answers"), change_of(None))
    return ScoreView(found.id, found.title, figure(found.score), figure(found.n, "count"), change_of(found.change))


@dataclass(frozen=True)
class WaveRow:
    """One wave of the engagement table (the chart's table alternative)."""

    wave: WavePublic
    surveyed: bool  # the unit was part of the wave
    responses: Figure
    scores: tuple[ScoreView, ...]


@dataclass(frozen=True)
class HeatRow:
    unit_id: uuid.UUID
    name: str
    own: bool  # the chosen unit itself (the first row), not one under it
    responses: Figure
    cells: tuple[Figure, ...]


@dataclass(frozen=True)
class QuestionRow:
    code: str
    text: str
    n: Figure
    percent_positive: Figure
    change: ChangeView


@dataclass
class ThemeGroup:
    id: str
    title: str
    questions: list[QuestionRow] = field(default_factory=list)


ENGAGEMENT_TITLES = {
    "engagement": "Staff engagement",
    "motivation": "Motivation",
    "involvement": "Involvement",
    "advocacy": "Advocacy",
}


def wave_rows(chain: Sequence[WavePublic], found: Sequence[ResultsPublic | None]) -> list[WaveRow]:
    rows = []
    for wave, results in zip(chain, found, strict=True):
        if results is None or not results.cells:
            rows.append(WaveRow(wave, False, Figure("not surveyed"), ()))
            continue
        cell = results.cells[0]
        scores = tuple(score_view(_score_of(cell.engagement, e), e, ENGAGEMENT_TITLES[e]) for e in ENGAGEMENT)
        rows.append(WaveRow(wave, True, figure(cell.responses, "count"), scores))
    return rows


def trend_series(rows: Sequence[WaveRow]) -> list[draw.Series]:
    series = []
    for index, wanted in enumerate(ENGAGEMENT):
        points = []
        for row in rows:
            if not row.surveyed:
                points.append(draw.TrendPoint(row.wave.title, None, "not part of this wave"))
                continue
            shown = row.scores[index].score
            points.append(draw.TrendPoint(row.wave.title, shown.value if shown.shown else None, shown.withheld))
        series.append(draw.Series(wanted, ENGAGEMENT_TITLES[wanted], tuple(points)))
    return series


def heat_rows(cells: Sequence[CellPublic], characteristics: Sequence[str]) -> list[HeatRow]:
    rows = []
    for index, cell in enumerate(cells):
        figures = tuple(
            figure(found.score) if (found := _score_of(cell.themes, theme)) is not None else Figure("not asked")
            for theme in characteristics
        )
        rows.append(HeatRow(cell.unit.id, cell.unit.name, index == 0, figure(cell.responses, "count"), figures))
    return rows


def question_groups(cell: CellPublic, instrument: InstrumentPublic | None) -> list[ThemeGroup]:
    texts = {q.code: q.text for q in instrument.questions} if instrument else {}
    titles = {s.id: s.title for s in [*cell.engagement, *cell.themes]}
    groups: dict[str, ThemeGroup] = {}
    for q in cell.questions:
        theme = q.theme.value
        group = groups.setdefault(theme, ThemeGroup(theme, titles.get(theme, theme.replace("_", " ").capitalize())))
        group.questions.append(
            QuestionRow(
                q.code,
                texts.get(q.code, q.code),
                figure(q.n, "count"),
                figure(q.percent_positive, "percent"),
                change_of(q.change, "percent"),
            )
        )
    return list(groups.values())


# --- reading monitoring-api -----------------------------------------------------------------------


async def closed_waves(client: ServiceClient, identity: Identity) -> list[WavePublic]:
    """The closed waves of the user's organisation, oldest first."""
    waves: list[WavePublic] = await every_page(
        client, monitoring.list_waves(limit=PAGE), lambda cursor: monitoring.list_waves(limit=PAGE, cursor=cursor)
    )
    closed = [w for w in waves if w.org == identity.user.org and w.status == WaveStatus.closed]
    closed.sort(key=lambda w: (w.opens, w.created_at))
    return closed


def chain_of(closed: Sequence[WavePublic], selected: WavePublic) -> list[WavePublic]:
    """The waves published with `selected` up to it: the same instrument over the same unit."""
    same = [
        w
        for w in closed
        if w.instrument.code == selected.instrument.code
        and w.root.path == selected.root.path
        and (w.opens, w.created_at) <= (selected.opens, selected.created_at)
    ]
    return same[-MAX_WAVES:]


async def _results_or_none(client: ServiceClient, wave_id: uuid.UUID, unit_id: uuid.UUID) -> ResultsPublic | None:
    """A wave's results at the unit; None when the unit was not part of that wave."""
    try:
        return await client.send(monitoring.read_results(wave_id, unit=unit_id))
    except ServiceNotFound:
        return None


def _in_subtree(unit: UnitPublic, root_path: str) -> bool:
    return unit.path.startswith(root_path)


def culture_url(wave_id: uuid.UUID | None = None, unit_id: uuid.UUID | None = None) -> str:
    query = "&".join(f"{name}={value}" for name, value in (("wave", wave_id), ("unit", unit_id)) if value is not None)
    return CULTURE + (f"?{query}" if query else "")


def _empty(request: Request, notice: Notice | None, **context: Any) -> Response:
    return render(
        request,
        "monitoring/culture.html",
        {"page_title": "Culture survey results", "results": None, "notice": notice, "waves": [], **context},
        status_code=notice.status_code if notice else 200,
    )


@router.get("")
async def culture_page(
    request: Request,
    identity: Reader,
    client: Client,
    wave: uuid.UUID | None = None,
    unit: uuid.UUID | None = None,
) -> Response:
    try:
        organisation = await own_organisation(client, identity)
    except (ServiceError, ServiceUnavailable) as exc:
        return _empty(request, notice_for(exc))
    (closed, units), notice = await gather(
        closed_waves(client, identity),
        every_page(
            client,
            monitoring.list_units(under=organisation.id, limit=PAGE),
            lambda cursor: monitoring.list_units(under=organisation.id, limit=PAGE, cursor=cursor),
        ),
    )
    if closed is None or units is None:
        return _empty(request, notice)
    own_units: list[UnitPublic] = [u for u in units if u.org == identity.user.org] if units else []
    if unit is not None and not any(u.id == unit for u in own_units):
        raise HTTPException(404)  # not a unit of the user's organisation
    if not closed:
        if wave is not None:
            raise HTTPException(404)
        return _empty(request, None, organisation=organisation)
    selected = closed[-1] if wave is None else next((w for w in closed if w.id == wave), None)
    if selected is None:
        raise HTTPException(404)  # no closed wave of the user's organisation by that id
    unit_id = unit or selected.root.id
    chain = chain_of(closed, selected)
    (instrument, *found), notice = await gather(
        client.send(monitoring.read_instrument(selected.instrument.id)),
        *(_results_or_none(client, w.id, unit_id) for w in chain),
    )
    results: ResultsPublic | None = found[-1] if found else None
    rows = wave_rows(chain, found)
    surveyed = [r for r in rows if r.surveyed]
    chosen_unit = next((u for u in own_units if u.id == unit_id), None)
    unit_name = results.unit.name if results else (chosen_unit.name if chosen_unit else selected.root.name)
    characteristics = [t for t in CHARACTERISTICS if results and any(s.id == t for s in results.cells[0].themes)]
    svg = None
    if results is not None and any(s.score.shown for r in surveyed for s in r.scores):
        svg = draw.trend(
            f"Staff engagement and its sub-scores, {unit_name}",
            [r.wave.title for r in rows],
            trend_series(rows),
        )
    parent = next((u.parent for u in own_units if u.id == unit_id), None)
    return render(
        request,
        "monitoring/culture.html",
        {
            "page_title": f"Culture survey results: {unit_name}",
            "organisation": organisation,
            "notice": notice,
            "waves": [w for w in closed],
            "selected": selected,
            "chain": chain,
            "unit_id": unit_id,
            "unit_name": unit_name,
            "units": [u for u in own_units if _in_subtree(u, selected.root.path)],
            "parent": parent if parent and any(u.id == parent.id for u in own_units) else None,
            "results": results,
            "rows": rows,
            "headline": rows[-1].scores[0] if rows and rows[-1].surveyed else None,
            "svg": svg,
            "characteristics": characteristics,
            "SHORT_TITLES": SHORT_TITLES,
            "heat": heat_rows(results.cells, characteristics) if results else [],
            "theme_titles": {s.id: s.title for s in results.cells[0].themes} if results else {},
            "groups": question_groups(results.cells[0], instrument) if results else [],
            "culture_url": culture_url,
            "minimum": results.minimum if results else None,
            "tests": results.tests if results else {},
            "alpha": results.alpha if results else None,
        },
        status_code=notice.status_code if notice and results is None else 200,
    )


@router.get("/results.csv")
async def results_csv(
    request: Request, identity: Reader, client: Client, wave: uuid.UUID, unit: uuid.UUID | None = None
) -> Response:
    """monitoring-api's own export of the results: a withheld figure is written as "suppressed" in
    words, never as a number."""
    try:
        download = await client.send(monitoring.read_results_csv(wave, unit=unit))
    except ServiceNotFound as exc:
        raise HTTPException(404) from exc
    except (ServiceError, ServiceUnavailable) as exc:
        # A download that failed is not a page that answers 200: the service's status, or 503.
        notice = notice_for(exc)
        return render(
            request,
            "monitoring/culture.html",
            {"page_title": "The results cannot be downloaded", "results": None, "notice": notice, "waves": []},
            status_code=exc.status if isinstance(exc, ServiceError) else 503,
        )
    return attachment(download.content, f"culture-results-{wave}.csv")


# --- My organisation's headline -------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The latest closed wave's engagement for the whole organisation, and its change."""

    wave: WavePublic | None  # None: no closed wave over the whole organisation yet
    engagement: ScoreView | None = None
    responses: Figure | None = None
    others: bool = False  # closed waves over a part of the organisation (on the culture page)


def headline_of(found: CultureHeadline) -> Headline:
    """My organisation's culture card from monitoring-api's overview (`GET /overview`): the latest
    closed wave over the whole organisation and that wave's top cell (the first cell of its results)."""
    if found.wave is None or found.cell is None:
        return Headline(None, others=found.others)
    cell = found.cell
    return Headline(
        found.wave,
        score_view(_score_of(cell.engagement, "engagement"), "engagement", "Staff engagement"),
        figure(cell.responses, "count"),
    )
