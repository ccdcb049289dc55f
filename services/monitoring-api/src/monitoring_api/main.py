from __future__ import annotations

from fastapi import FastAPI

from monitoring_api import db
from monitoring_api.config import Settings
from monitoring_api.exchange.routes import router as exchange_router
from monitoring_api.indicators.models import ValuesWrite
from monitoring_api.indicators.routes import router as indicators_router
from monitoring_api.indicators.summary import SeriesCache
from monitoring_api.openapi import finish
from monitoring_api.overview.routes import router as overview_router
from monitoring_api.plan.routes import router as plan_router
from monitoring_api.structure.routes import router as structure_router
from monitoring_api.surveys.models import ResponsesWrite
from monitoring_api.surveys.results import PublicationCache
from monitoring_api.surveys.routes import router as surveys_router
from servicekit.app import create_service_app

DESCRIPTION = """
**Outcome monitoring** for the HSC Collective Leadership Strategy: the organisation structure, the
implementation plan with its check-ins, outcome indicators with statistical process control (SPC),
and exchange as FHIR R4 and CSV.

- **Structure**: the HSC organisations (seeded) and, under each, directorates and teams. A token sees
  its own organisation's subtree; `monitoring:regional` (Department of Health, SPPG) sees every
  organisation side by side. Anything outside is 404. Writes stay in the token's own organisation.
- **Plan**: the strategy's nine actions, adopted by each organisation with owner, milestones and links;
  status changes only through a check-in; check-ins are never overwritten.
- **Indicators**: numerator over denominator with a factor, per unit and period; values roll up the tree
  by summing numerators and denominators; a missing period is a gap, never a zero; a corrected value
  is a new revision.
- **Surveys**: culture survey instruments (versioned; the nine NHS staff survey engagement questions built
  in), waves over a frozen copy of the structure, anonymous responses in bulk (`survey:ingest`), results
  per unit, group and wave with the change and its significance test named, under disclosure control: no
  figure from fewer than 10 responses, and none that can be worked out by subtraction.
- **SPC** exactly as NHSRplotthedots 0.2.2 computes it (`POST /spc` for any series), with rebasing,
  ghosted points, annotations and, as an option, Making Data Count's 2023 two-sigma reading.

Scopes: `monitoring:read`, `monitoring:write` (values, check-ins, chart choices), `monitoring:admin`
(definitions, structure, plan items), `monitoring:regional`, `survey:ingest` (survey tools). Errors are
RFC 9457 problem documents.
"""

TAGS = [
    {"name": "structure", "description": "Organisations, directorates and teams; CSV import."},
    {"name": "plan", "description": "The strategy's actions, plan items, check-ins and the regional roll-up."},
    {"name": "indicators", "description": "Definitions, targets, values, charts with SPC, the summary table."},
    {"name": "spc", "description": "The stateless SPC calculator."},
    {"name": "exchange", "description": "FHIR R4 Measure and MeasureReport; CSV exports."},
    {
        "name": "surveys",
        "description": "Culture survey instruments, waves, anonymous responses, results under disclosure control.",
    },
    {"name": "overview", "description": "Your organisation in one read: what a manager's home page shows."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        title="Collective monitoring-api",
        version="1.0.0",
        description=DESCRIPTION,
        settings=settings,
        migrations=db.MIGRATIONS,
        routers=[structure_router, plan_router, indicators_router, exchange_router, surveys_router, overview_router],
        openapi_tags=TAGS,
        import_paths=[
            r"/values/import",
            r"/units/import",
            r"/survey-waves/[^/]+/responses",
            r"/survey-instruments/import",
        ],
    )
    app.state.summary_cache = SeriesCache(settings.summary_cache_series)
    app.state.survey_cache = PublicationCache(settings.survey_cache_publications)
    # The JSON form of the bulk ingest is named only in its raw request body; examples from the demo data.
    finish(app, extra_models=[ValuesWrite, ResponsesWrite])
    return app
