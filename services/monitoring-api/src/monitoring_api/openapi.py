"""The OpenAPI document's finishing touches: schemas that only a raw request body names, and an example
for every parameter and successful response, recorded from the demo data set
(`scripts/openapi_examples.py` writes openapi_examples.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

EXAMPLES_FILE = Path(__file__).with_name("openapi_examples.json")
JSON_TYPES = ("application/json", "application/fhir+json")
# Parameters every list or write shares, whatever the operation.
COMMON_PARAMETERS: dict[str, Any] = {
    "limit": 50,
    "cursor": "eyJwYXRoIjoiL0JTTy9IU0NMQy8ifQ.q1mYb2lVh0tYbXrLq3hT2w",
    "Idempotency-Key": "bso-hr-import-2026-12-01-001",
    "If-Match": '"5d41402abc4b2a76b9719d911017c592"',
    "kind": "team",
    "level": 3,
    "org": "BSO",
    "action": "A3",
    "component": "C1",
    "status": "on_track",
    "overdue": True,
    "filter": "all_concerns",
    "two_sigma": False,
}


def finish(app: Any, extra_models: list[type[BaseModel]]) -> None:
    """Wrap `app.openapi` (servicekit's, which documents the problems) to add the extras once."""
    build = app.openapi  # builds the document once, then answers the same one
    finished: list[bool] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if not finished:
            _add_models(schema, extra_models)
            _add_examples(schema, load_examples())
            finished.append(True)
        return schema

    app.openapi = openapi


def load_examples() -> dict[str, Any]:
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8")) if EXAMPLES_FILE.exists() else {}


def _add_models(schema: dict[str, Any], models: list[type[BaseModel]]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in models:
        found = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in found.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components.setdefault(model.__name__, found)


def _add_examples(schema: dict[str, Any], examples: dict[str, Any]) -> None:
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            recorded = examples.get(f"{method.upper()} {path}", {})
            if not isinstance(operation, dict):
                continue
            values = {**COMMON_PARAMETERS, **recorded.get("parameters", {})}
            for parameter in operation.get("parameters", []):
                if parameter["name"] in values and "example" not in parameter:
                    parameter["example"] = values[parameter["name"]]
            for status, body in recorded.get("responses", {}).items():
                content = operation.get("responses", {}).get(status, {}).get("content", {})
                for media_type in JSON_TYPES:
                    if media_type in content and "example" not in content[media_type]:
                        content[media_type]["example"] = body
