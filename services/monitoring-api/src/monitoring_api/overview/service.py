"""My organisation in one read, for the manager's home (the web's `/monitoring`).

The page needs the organisation's plan items, its row of the summary table and the culture survey's
headline; asked as four requests they queue one after another on one worker, each paying for its own
authentication, session and serialisation, and the culture headline computed every unit's figures of
the wave to show the organisation's. Here they are read in one session, with the domains' own
functions, so each part is exactly what its own endpoint answers: the plan items as `GET /plan/items`,
the rows as `GET /summary`, the culture cell as the first cell of `GET /survey-waves/{id}/results`
(the same disclosure control and the same kept publications), only without the units under it."""

from __future__ import annotations

from sqlmodel import Session, col, select

from monitoring_api.indicators import summary as indicator_summary
from monitoring_api.indicators.summary import SeriesCache
from monitoring_api.overview import models as m
from monitoring_api.plan import service as plan
from monitoring_api.structure import service as structure
from monitoring_api.surveys import models as sm
from monitoring_api.surveys import results as survey_results
from monitoring_api.surveys import service as surveys
from servicekit.auth import Principal

MAX_PLAN_ITEMS = 1000
MAX_SUMMARY_ROWS = indicator_summary.MAX_PAGE


def overview(
    session: Session,
    principal: Principal,
    *,
    series_cache: SeriesCache,
    survey_cache: survey_results.PublicationCache | None,
    survey_minimum: int,
    survey_complementary: bool,
) -> m.OverviewPublic:
    """The token's own organisation (whatever its other scopes); 404 when the structure does not hold it."""
    root = structure.organisation_root(session, principal.org)
    items, more_items = plan.list_items(
        session, principal, org=principal.org, status=None, action=None, overdue=None, limit=MAX_PLAN_ITEMS, after=None
    )
    rows, more_rows = indicator_summary.summary(
        session,
        principal,
        series_cache,
        indicator_ids=[],
        unit_ids=[root.uid],
        under=None,
        level=None,
        wanted=None,
        limit=MAX_SUMMARY_ROWS,
        after=None,
    )
    return m.OverviewPublic(
        unit=structure.unit_ref(root),
        plan_items=plan.plan_item_public(session, items),
        plan_complete=more_items is None,
        summary=rows,
        summary_complete=more_rows is None,
        culture=culture_headline(
            session, principal, root.path, survey_cache, minimum=survey_minimum, complementary=survey_complementary
        ),
    )


def culture_headline(
    session: Session,
    principal: Principal,
    root_path: str,
    cache: survey_results.PublicationCache | None,
    *,
    minimum: int,
    complementary: bool,
) -> m.CultureHeadline:
    """The latest closed wave over the whole organisation (by opening day, then creation) and its top cell."""
    closed = list(
        session.exec(
            select(sm.SurveyWave)
            .where(sm.SurveyWave.org == principal.org, sm.SurveyWave.status == sm.WaveStatus.closed.value)
            .order_by(col(sm.SurveyWave.opens), col(sm.SurveyWave.created_at), col(sm.SurveyWave.id))
        )
    )
    whole = [w for w in closed if w.root_path == root_path]
    if not whole:
        return m.CultureHeadline(wave=None, cell=None, others=bool(closed))
    latest = whole[-1]
    pub, index = surveys.publication_of(session, latest, minimum=minimum, complementary=complementary, cache=cache)
    top = pub.waves[index].units[0]
    return m.CultureHeadline(
        wave=surveys.wave_public(session, principal, latest),
        cell=survey_results.cell_public(pub, index, top, None, None),
        others=True,
    )
