"""What the documentation promises integrators and operators, checked against the code and the
deployment files, so a changed default or a fixed gap cannot leave the docs behind."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from framework_api.config import Settings as FrameworkSettings
from framework_api.main import create_app as create_framework_app
from recruitment_api.config import Settings as RecruitmentSettings
from recruitment_api.main import create_app as create_recruitment_app
from servicekit.limits import BodySizeLimitMiddleware

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEPLOYMENT_FILES = [ROOT / "docker-compose.yml", *(p for p in (ROOT / "deploy").rglob("*") if p.is_file())]


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The cells of each row of the first table under `heading`."""
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return rows[2:]  # without the header and its rule


def body_limits(app) -> BodySizeLimitMiddleware:
    """The app's body-size middleware, as configured (its limit_for gives a path's limit)."""
    [middleware] = [m for m in app.user_middleware if m.cls is BodySizeLimitMiddleware]
    return BodySizeLimitMiddleware(None, *middleware.args, **middleware.kwargs)


@pytest.fixture(scope="module")
def apps(tmp_path_factory, keys):
    folder = tmp_path_factory.mktemp("documented")
    common = {"jwt_public_key_path": keys.public_path, "migrate_on_startup": False, "log_level": "ERROR"}
    framework = create_framework_app(FrameworkSettings(database_url=f"sqlite:///{folder / 'f.db'}", **common))
    recruitment = create_recruitment_app(RecruitmentSettings(database_url=f"sqlite:///{folder / 'r.db'}", **common))
    yield {"framework-api": framework, "recruitment-api": recruitment}
    framework.state.engine.dispose()
    recruitment.state.engine.dispose()


def test_the_api_guide_gives_each_services_real_body_limits(apps):
    rows = table_rows((ROOT / "docs" / "api-guide.md").read_text(), "### Limits")
    settings = {"framework-api": FrameworkSettings, "recruitment-api": RecruitmentSettings}
    seen = set()
    for service, operation, limit, setting in rows:
        name = setting.strip("`")
        prefix = settings[service].model_config["env_prefix"]
        field = name.removeprefix(prefix).lower()
        default = settings[service].model_fields[field].default
        assert f"({default:,} bytes)" in limit, (service, operation, limit)
        middleware = body_limits(apps[service])
        if match := re.match(r"`POST (\S+)`", operation):
            path = match.group(1).replace("{id}", str(uuid.uuid4()))
            assert middleware.limit_for(path) == default, (service, operation)
        else:  # "every other request"
            assert middleware.max_bytes == default
        seen.add((service, field))
    assert seen == {
        ("framework-api", "max_body_bytes"),
        ("framework-api", "max_import_bytes"),
        ("recruitment-api", "max_body_bytes"),
        ("recruitment-api", "max_import_bytes"),
    }
    errors = (ROOT / "docs" / "api-guide.md").read_text()
    [too_large] = [line for line in errors.splitlines() if line.startswith("| 413 | `content-too-large`")]
    assert "MiB" not in too_large  # one service's numbers there read as everyone's


@pytest.mark.parametrize(
    "heading, settings",
    [
        ("### framework-api (`FRAMEWORK_API_`)", FrameworkSettings),
        ("### recruitment-api (`RECRUITMENT_API_`)", RecruitmentSettings),
    ],
)
def test_operations_gives_each_numeric_default_as_the_settings_have_it(heading, settings):
    rows = table_rows((ROOT / "docs" / "operations.md").read_text(), heading)
    checked = 0
    for variable, default, *_ in rows:
        for name in variable.replace("`", "").split(" / "):
            field = settings.model_fields.get(name.lower())
            if field is not None and type(field.default) in (int, float):
                assert default.strip("`") == str(field.default), name
                checked += 1
    assert checked >= 2


CLAIM = re.compile(r"`([\w./-]+)` does not set `(\w+)`")


def test_docs_say_no_deployment_file_lacks_a_setting_it_has():
    claims = []
    for doc in DOCS:
        text = " ".join(doc.read_text().split())  # a claim may run over a line break
        claims.extend((doc.name, *claim) for claim in CLAIM.findall(text))
    for doc, named, variable in claims:
        files = [f for f in DEPLOYMENT_FILES if str(f).endswith("/" + named)]
        assert files, f"{doc} names {named}, which is not in the repository"
        for file in files:
            assert not re.search(rf"^\s*{variable}\s*[=:]", file.read_text(), re.MULTILINE), (
                f"{doc} says {named} does not set {variable}, but it does"
            )


def _operations_needing_if_match(app) -> set[tuple[str, str]]:
    """(method, path) of every operation whose OpenAPI documents 428 precondition-required."""
    found = set()
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if "428" in operation.get("responses", {}):
                found.add((method.upper(), re.sub(r"\{[^}]+\}", "{}", path)))
    return found


def test_the_if_match_table_lists_exactly_the_operations_that_need_it(apps):
    rows = table_rows((ROOT / "docs" / "api-guide.md").read_text(), "### If-Match: edits without lost updates")
    documented = {service: set() for service in apps}
    for service, operations, needed, _ in rows:
        if needed == "required":
            for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`", operations):
                documented[service].add((method, re.sub(r"\{[^}]+\}", "{}", path)))
    for service, app in apps.items():
        assert documented[service] == _operations_needing_if_match(app), service


def test_the_readme_names_where_the_web_finds_each_service():
    from web.config import Settings as WebSettings

    rows = table_rows((ROOT / "README.md").read_text(), "## Configuration")
    documented = {name.strip("`"): default.strip("`") for name, default, _ in rows}
    services = [field for field in WebSettings.model_fields if field.endswith("_api_url")]
    assert services
    for field in services:
        name = f"WEB_{field.upper()}"
        assert documented.get(name) == WebSettings.model_fields[field].default, name
