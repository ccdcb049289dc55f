"""Fairness, beside recruitment-api's: the adverse-impact report of a stage (holders of the equality
role only): selection rates by group, impact ratios, small cells suppressed by the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from collective_clients.recruitment import operations as recruitment
from web.labels import EQUALITY_CATEGORIES
from web.pages import render
from web.recruitment.deps import STAGE, Client, EqualityReader, StagePath
from web.recruitment.results import stage_context

router = APIRouter(prefix=STAGE, include_in_schema=False)
DEFAULT_CATEGORY = "community_background"


@router.get("/adverse-impact")
async def adverse_impact(
    request: Request,
    at: StagePath,
    identity: EqualityReader,
    client: Client,
    category: Annotated[str, Query(max_length=50)] = DEFAULT_CATEGORY,
) -> Response:
    category = category if category in EQUALITY_CATEGORIES else DEFAULT_CATEGORY
    vacancy, stage, (report,), notice = await stage_context(
        client, at, client.send(recruitment.adverse_impact(at.vacancy_id, at.stage_id, category=category))
    )
    return render(
        request,
        "recruitment/adverse_impact.html",
        {
            "page_title": f"Adverse impact: {stage.name}, {vacancy.title}" if stage and vacancy else "Adverse impact",
            "vacancy": vacancy,
            "stage": stage,
            "vacancy_id": at.vacancy_id,
            "stage_id": at.stage_id,
            "stage_url": at.stage_url,
            "category": category,
            "report": report,
            "notice": notice,
        },
        block="report",
        status_code=notice.status_code if notice and report is None else 200,
    )
