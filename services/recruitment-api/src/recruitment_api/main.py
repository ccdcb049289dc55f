from __future__ import annotations

from fastapi import FastAPI

from recruitment_api import db
from recruitment_api.candidates.routes import router as candidates_router
from recruitment_api.config import Settings
from recruitment_api.fairness.routes import router as fairness_router
from recruitment_api.privacy.routes import router as privacy_router
from recruitment_api.results.routes import router as results_router
from recruitment_api.scopes import FRAMEWORK_READ
from recruitment_api.scoring.routes import router as scoring_router
from recruitment_api.vacancies.framework_client import FrameworkClient
from recruitment_api.vacancies.routes import router as vacancies_router
from servicekit.app import create_service_app
from servicekit.service_tokens import ServiceTokenProvider

DESCRIPTION = """
**Values-based recruitment** for HSC organisations: vacancies scored against the HSC values,
blind and independent panel scoring, moderation, results, reliability and fairness reports.

- Criteria are a snapshot of a published framework version taken when the vacancy is created
  (or given inline), so scoring never depends on framework-api and results trace to the exact wording.
- Assessors see candidates only by pseudonymous code, and no other assessor's scores until they have
  submitted their own. Personal details need `recruitment:admin`; equality data `equality:read`.
- Every request is confined to the `org` of its token. Errors are RFC 9457 problem documents.

Scopes: `recruitment:read`, `recruitment:score`, `recruitment:admin`, `equality:read`, `equality:write`.
"""

TAGS = [
    {"name": "vacancies", "description": "Vacancies, their criteria snapshot and assessment design."},
    {"name": "candidates", "description": "Candidates, bulk import, blind views."},
    {"name": "scoring", "description": "Panels, score sheets, the panel's view, moderation."},
    {"name": "results", "description": "Results, ranking, reliability, decisions, feedback."},
    {"name": "fairness", "description": "Equality monitoring and adverse impact."},
    {"name": "data protection", "description": "Subject access and erasure."},
]


def create_app(settings: Settings | None = None, framework_client: FrameworkClient | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        title="Collective recruitment-api",
        version="1.0.0",
        description=DESCRIPTION,
        settings=settings,
        migrations=db.MIGRATIONS,
        routers=[vacancies_router, candidates_router, scoring_router, results_router, fairness_router, privacy_router],
        openapi_tags=TAGS,
        import_paths=[r"/vacancies/[^/]+/candidates/import"],
    )
    app.state.framework_client = framework_client or FrameworkClient(
        settings.framework_api_url,
        ServiceTokenProvider(
            subject="recruitment-api",
            scopes=[FRAMEWORK_READ],
            private_key_path=None if settings.service_token_url else settings.service_signing_key_path,
            token_url=settings.service_token_url,
            client_id=settings.service_client_id,
            client_secret=settings.service_client_secret,
            # Signed locally, the token names the local issuer that other services trust beside an OIDC provider.
            issuer=settings.jwt_local_issuer or settings.jwt_issuer,
            audience=settings.jwt_audience,
        ),
        timeout=settings.framework_api_timeout_seconds,
    )
    return app
