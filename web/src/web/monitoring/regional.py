"""The regional view of the implementation plan (monitoring:regional, for the Department of Health
and SPPG): every organisation against every strategy action as a matrix of statuses in words, and
monitoring-api's roll-up: for each action, how many organisations are in each status, how many
check-ins are overdue, and which organisations are off track."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from collective_clients.monitoring import operations as monitoring
from collective_clients.monitoring.models import PlanItemPublic, PlanStatus, Rollup, UnitPublic
from web.monitoring.deps import Client, Regional
from web.monitoring.plan import plan_items
from web.notices import gather
from web.pages import render

router = APIRouter(prefix="/monitoring/regional", include_in_schema=False)


@dataclass(frozen=True)
class Row:
    """One organisation's line of the matrix: its item for each action (None: not adopted)."""

    code: str
    name: str
    cells: list[PlanItemPublic | None]

    @property
    def adopted(self) -> int:
        return sum(1 for cell in self.cells if cell is not None)


def matrix(organisations: list[UnitPublic], rollup: Rollup, items: list[PlanItemPublic]) -> list[Row]:
    """Organisations (in the roll-up's order) by the roll-up's actions."""
    names = {unit.code: unit.name for unit in organisations}
    found = {(item.org, item.action.code): item for item in items if item.action is not None}
    codes = [row.action.code for row in rollup.actions]
    return [Row(org, names.get(org, org), [found.get((org, code)) for code in codes]) for org in rollup.organisations]


@router.get("")
async def regional_view(request: Request, identity: Regional, client: Client) -> Response:
    (rollup, organisations, items), notice = await gather(
        client.send(monitoring.rollup()),
        client.send(monitoring.list_organisations()),
        plan_items(client, None),
    )
    rows = matrix(organisations.items, rollup, items) if rollup and organisations and items is not None else []
    names = {unit.code: unit.name for unit in organisations.items} if organisations else {}
    return render(
        request,
        "monitoring/regional.html",
        {
            "page_title": "The plan across HSC",
            "rollup": rollup,
            "rows": rows,
            "names": names,
            "statuses": list(PlanStatus),
            "notice": notice,
        },
        status_code=notice.status_code if notice and not rows else 200,
    )
