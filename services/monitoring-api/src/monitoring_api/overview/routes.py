"""HTTP route of the overview: My organisation in one read."""

from __future__ import annotations

from fastapi import APIRouter, Request

from monitoring_api.db import SessionDep
from monitoring_api.deps import Reader
from monitoring_api.overview import models as m
from monitoring_api.overview import service
from servicekit.problems import problem_responses

router = APIRouter(tags=["overview"])


@router.get(
    "/overview",
    summary="Your organisation in one read: its plan items, its summary rows and the culture survey's headline",
    response_model=m.OverviewPublic,
    responses=problem_responses(404),
)
def read_overview(request: Request, session: SessionDep, principal: Reader) -> m.OverviewPublic:
    state = request.app.state
    found = service.overview(
        session,
        principal,
        series_cache=state.summary_cache,
        survey_cache=state.survey_cache,
        survey_minimum=state.settings.survey_minimum,
        survey_complementary=state.settings.survey_complementary_suppression,
    )
    session.commit()  # what a first read of a wave's results stored, as GET /survey-waves/{id}/results does
    return found
