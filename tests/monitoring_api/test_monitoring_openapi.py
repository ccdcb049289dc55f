"""The OpenAPI document: an example on every operation (each parameter, the request body, the successful
answer), every example answer valid for its documented response, and no reference to a missing schema."""

from __future__ import annotations

import json

from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from monitoring_api.openapi import load_examples

UNDOCUMENTED = {"/livez", "/readyz", "/metrics"}


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if path not in UNDOCUMENTED:
                yield path, method, operation


def test_every_operation_has_examples(monitoring_app):
    schema = monitoring_app.openapi()
    components = schema["components"]["schemas"]
    missing = []
    for path, method, operation in _operations(schema):
        label = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", []):
            if "example" not in parameter and "examples" not in parameter:
                missing.append(f"{label}: parameter {parameter['name']}")
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            body = content.get("schema", {})
            refs = [body.get("$ref", "")] + [option.get("$ref", "") for option in body.get("anyOf", [])]
            named = [components.get(ref.rsplit("/", 1)[-1], {}) for ref in refs if ref]
            if not ({"example", "examples"} & set(content) or any("examples" in n for n in named)):
                missing.append(f"{label}: request body {media_type}")
        success = [s for s in operation["responses"] if s.startswith("2") and s != "204"]
        for status in success:
            content = operation["responses"][status].get("content", {})
            if not any("example" in c or "examples" in c for c in content.values()):
                missing.append(f"{label}: response {status}")
    assert not missing, "\n".join(missing)


def test_recorded_examples_cover_exactly_the_operations(monitoring_app):
    schema = monitoring_app.openapi()
    operations = {f"{method.upper()} {path}" for path, method, _ in _operations(schema)}
    operations -= {"GET /openapi.json", "GET /docs", "GET /docs/oauth2-redirect", "GET /redoc"}
    assert set(load_examples()) == operations, "run services/monitoring-api/scripts/openapi_examples.py"


def test_example_answers_are_valid_for_their_documented_response(monitoring_app):
    routes = {(method, route.path): route for route in _api_routes(monitoring_app.routes) for method in route.methods}
    checked = 0
    for label, recorded in load_examples().items():
        method, path = label.split(" ", 1)
        route = routes[(method, path)]
        for body in recorded.get("responses", {}).values():
            if route.response_model is not None:
                TypeAdapter(route.response_model).validate_python(body)
                checked += 1
    assert checked >= 30


def _api_routes(routes):
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI >= 0.16x keeps included routers as branches
            yield from _api_routes(route.original_router.routes)
        elif isinstance(route, APIRoute):
            yield route


def test_no_reference_points_at_a_missing_schema(monitoring_app):
    schema = monitoring_app.openapi()
    text = json.dumps(schema)
    names = set(schema["components"]["schemas"])
    refs = {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= names, refs - names
