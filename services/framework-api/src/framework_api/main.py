from __future__ import annotations

from fastapi import FastAPI

from framework_api import db
from framework_api.config import Settings
from framework_api.exchange.routes import router as exchange_router
from framework_api.frameworks.routes import router as frameworks_router
from servicekit.app import create_service_app

DESCRIPTION = """
The canonical, versioned **HSC Collective Leadership Framework**: components, values and their
behaviours, capabilities for every level of staff, scales and level descriptors; aligned with
1EdTech CASE 1.1 for exchange.

Published versions never change: they are served with a strong `ETag` and immutable caching.
Reads need the `framework:read` scope, writes `framework:write`. Drafts are visible only to the
organisation that owns the framework. Errors are RFC 9457 problem documents.
"""

TAGS = [
    {"name": "frameworks", "description": "Frameworks and their versions: create, publish, deprecate."},
    {"name": "items", "description": "The items of a version, their links and level descriptors."},
    {"name": "exchange", "description": "CASE 1.1 packages, CSV export and import, version diffs."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        title="Collective framework-api",
        version="1.0.0",
        description=DESCRIPTION,
        settings=settings or Settings(),
        migrations=db.MIGRATIONS,
        routers=[frameworks_router, exchange_router],
        openapi_tags=TAGS,
        import_paths=[r"/versions/[^/]+/csv"],
    )
