"""The request parameters every service shares (paging, Idempotency-Key, If-Match) and its scopes
are declared once, in servicekit and in each service's Scope: every operation of every service
documents them alike, and no route names a scope the service's Scope does not have."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from framework_api.config import Settings as FrameworkSettings
from framework_api.main import create_app as create_framework_app
from framework_api.scopes import Scope as FrameworkScope
from monitoring_api.config import Settings as MonitoringSettings
from monitoring_api.main import create_app as create_monitoring_app
from monitoring_api.scopes import Scope as MonitoringScope
from recruitment_api.config import Settings as RecruitmentSettings
from recruitment_api.main import create_app as create_recruitment_app
from recruitment_api.scopes import Scope as RecruitmentScope
from servicekit.params import Cursor, IdempotencyKey, IfMatch, Limit, RequireScopes

# Whether a header is required is the operation's; examples come from each service's own data.
IGNORED = {"required", "example", "examples"}
SHARED = {("query", "limit"), ("query", "cursor"), ("header", "Idempotency-Key"), ("header", "If-Match")}


def reference_parameters() -> dict[tuple[str, str], dict[str, Any]]:
    """How servicekit's declarations look in an OpenAPI document, from an app with nothing else."""
    app = FastAPI()

    @app.get("/")
    def probe(
        limit: Limit = 50, cursor: Cursor = None, idempotency_key: IdempotencyKey = None, if_match: IfMatch = None
    ) -> None:
        return None

    parameters = app.openapi()["paths"]["/"]["get"]["parameters"]
    return {(p["in"], p["name"]): p for p in parameters}


@pytest.fixture(scope="module")
def apps(tmp_path_factory, keys):
    folder = tmp_path_factory.mktemp("shared")
    common = {"jwt_public_key_path": keys.public_path, "migrate_on_startup": False, "log_level": "ERROR"}
    built = {
        "framework-api": (
            create_framework_app(FrameworkSettings(database_url=f"sqlite:///{folder}/f.db", **common)),
            FrameworkScope,
        ),
        "recruitment-api": (
            create_recruitment_app(RecruitmentSettings(database_url=f"sqlite:///{folder}/r.db", **common)),
            RecruitmentScope,
        ),
        "monitoring-api": (
            create_monitoring_app(MonitoringSettings(database_url=f"sqlite:///{folder}/m.db", **common)),
            MonitoringScope,
        ),
    }
    yield built
    for app, _ in built.values():
        app.state.engine.dispose()


@pytest.mark.parametrize("service", ["framework-api", "recruitment-api", "monitoring-api"])
def test_every_operation_documents_the_shared_parameters_as_servicekit_declares_them(apps, service):
    app, _ = apps[service]
    reference = reference_parameters()
    seen = set()
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                key = (parameter["in"], parameter["name"])
                if key not in SHARED:
                    continue
                seen.add(key)
                if key == ("query", "limit") and parameter.get("description") != "Page size.":
                    continue  # a page of another size, declared with its own meaning (results, summary)
                documented = {k: v for k, v in parameter.items() if k not in IGNORED}
                expected = {k: v for k, v in reference[key].items() if k not in IGNORED}
                assert documented == expected, f"{method.upper()} {path}: {key}"
    assert seen == SHARED, f"{service} uses every shared parameter somewhere"


@pytest.mark.parametrize("service", ["framework-api", "recruitment-api", "monitoring-api"])
def test_every_scope_a_route_requires_is_one_of_the_services_scopes(apps, service):
    app, scope = apps[service]
    required = set()

    def walk(dependant) -> None:
        if isinstance(dependant.call, RequireScopes):
            required.update(dependant.call.scopes)
        for sub in dependant.dependencies:
            walk(sub)

    def routes(router) -> list:
        # FastAPI keeps an included router whole (as `original_router`) rather than copying its routes.
        found = []
        for route in router.routes:
            inner = getattr(route, "original_router", None)
            found.extend(routes(inner) if inner is not None else [route])
        return found

    for route in routes(app.router):
        if hasattr(route, "dependant"):
            walk(route.dependant)
    assert required, f"{service} requires scopes"
    assert all(isinstance(s, scope) for s in required), sorted(required)
    assert required <= set(scope)
