"""The typed clients in libs/clients are the services' OpenAPI as it is now: a change to a service
that its clients have not caught up with fails here, with the command that catches them up."""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = ".venv/bin/python libs/clients/generate.py"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_clients", ROOT / "libs" / "clients" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


generate = _generator()


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    """Each service's OpenAPI document, from its app created in process."""
    return generate.openapi_documents()


def test_the_committed_clients_are_generated_from_the_services_as_they_are(tmp_path, documents):
    generate.generate(tmp_path, documents)
    changed = generate.differences(tmp_path)
    assert changed == [], f"the clients are out of date ({', '.join(changed)}): run {REGENERATE}"


def test_a_service_changed_without_regenerating_its_client_fails_the_drift_test(tmp_path, documents):
    """The test of the test: recruitment-api's VacancyPublic gains a field and framework-api an
    operation, as if their code had changed, and the committed clients were not regenerated."""
    changed = copy.deepcopy(documents)
    vacancy = changed["recruitment"]["components"]["schemas"]["VacancyPublic"]
    vacancy["properties"]["hiring_manager"] = {"type": "string", "title": "Hiring Manager"}
    vacancy["required"].append("hiring_manager")
    changed["framework"]["paths"]["/versions/{version_id}/summary"] = {
        "get": {**changed["framework"]["paths"]["/versions/{version_id}"]["get"], "operationId": "read_summary"}
    }
    generate.generate(tmp_path, changed)
    assert generate.differences(tmp_path) == ["framework/operations.py", "recruitment/models.py"]
    assert "hiring_manager: str" in (tmp_path / "recruitment" / "models.py").read_text()
    assert "def read_summary(version_id: UUID)" in (tmp_path / "framework" / "operations.py").read_text()
