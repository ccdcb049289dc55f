"""The deployment files hang together: no Docker engine or cluster is needed to check them.

The compose file and every Kubernetes manifest parse; what a Dockerfile copies exists in the
build context; the services share one Dockerfile, told by build arguments which service it is, and
each image installs only its own workspace member; every deployable
(framework-api, recruitment-api, monitoring-api, web) has its port, its own database, its one-shot migration and
its env example; every Deployment has probes and runs as a non-root user; no secret value is
committed in the manifests.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"
ENV_EXAMPLES = ROOT / "deploy" / "env"


def workspace_members() -> dict[str, str]:
    """Every workspace member: package name -> folder, from the root and member pyproject files."""
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = {}
    for folder in root["tool"]["uv"]["workspace"]["members"]:
        member = ROOT / folder / "pyproject.toml"
        if member.is_file():
            members[tomllib.loads(member.read_text())["project"]["name"]] = folder
    return members


SHARED_CONTEXT = ("pyproject.toml", "uv.lock", "libs/servicekit")
# Each deployable (its compose service, image package and Kubernetes Deployment share the name) and its port.
APP_SERVICES = {"framework-api": 8001, "recruitment-api": 8002, "monitoring-api": 8003, "web": 8000}
# The one Dockerfile of the services: the build arguments SERVICE and PORT say which service it builds.
SERVICES_DOCKERFILE = "services/Dockerfile"


@dataclass(frozen=True)
class Image:
    dockerfile: str  # relative to the repository root
    args: tuple[tuple[str, str], ...]  # build arguments
    folder: str  # the workspace member it is built from


def images() -> dict[str, Image]:
    """Each image, by its package: the Dockerfile of its own member (the web), or the services'
    Dockerfile with the service and its port as build arguments."""
    found = {}
    for package, folder in workspace_members().items():
        if (ROOT / folder / "Dockerfile").is_file():
            found[package] = Image(f"{folder}/Dockerfile", (), folder)
        elif folder == f"services/{package}" and package in APP_SERVICES:
            found[package] = Image(
                SERVICES_DOCKERFILE, (("PORT", str(APP_SERVICES[package])), ("SERVICE", package)), folder
            )
    return found


IMAGES = images()
# The database each deployable owns in PostgreSQL (deploy/postgres/init.sql and the compose URLs).
DATABASES = {
    "framework-api": "framework",
    "recruitment-api": "recruitment",
    "monitoring-api": "monitoring",
    "web": "web",
}
# The settings prefix of each deployable.
ENV_PREFIXES = {
    "framework-api": "FRAMEWORK_API_",
    "recruitment-api": "RECRUITMENT_API_",
    "monitoring-api": "MONITORING_API_",
    "web": "WEB_",
}


# --- Dockerfile parsing ---------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    arguments: str
    stage: int


@dataclass
class Dockerfile:
    path: Path
    instructions: list[Instruction] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)  # FROM image of each stage

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    @property
    def final_stage(self) -> int:
        return len(self.stages) - 1


def _substitute(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
        text = re.sub(r"\$" + name + r"\b", value, text)
    return text


def parse_dockerfile(path: Path, build_args: dict[str, str] | None = None) -> Dockerfile:
    """Instructions with continuation lines joined and comments dropped (enough for these files).

    Variables are substituted as the build and then the container's shell would: a stage's ARGs
    (the build arguments given, else their defaults) and ENVs in the instructions after them."""
    build_args = build_args or {}
    parsed = Dockerfile(path)
    logical: list[str] = []
    current = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not current):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        logical.append(current.strip())
        current = ""
    if current.strip():
        logical.append(current.strip())
    global_args: dict[str, str] = {}
    scope: dict[str, str] = {}  # what the current stage's instructions see
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parsed.stages.append(_substitute(arguments.split()[0], global_args))
            scope = {}
        arguments = _substitute(arguments.strip(), scope)
        if keyword == "ARG":
            name, _, default = arguments.partition("=")
            value = build_args.get(name, default)
            if parsed.stages:
                scope[name] = value
            else:
                global_args[name] = value
        if keyword == "ENV":
            for assignment in shlex.split(arguments):
                name, _, value = assignment.partition("=")
                scope[name] = value
        parsed.instructions.append(Instruction(keyword, arguments, len(parsed.stages) - 1))
    return parsed


def command_words(arguments: str) -> list[str]:
    """A CMD as words (exec form, or shell form as the shell splits it)."""
    return [str(word) for word in (json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments))]


def copy_parts(arguments: str) -> tuple[dict[str, str], list[str], str]:
    """Flags, sources and destination of a COPY/ADD (shell or JSON form)."""
    flags: dict[str, str] = {}
    rest = arguments.strip()
    while match := re.match(r"--([\w-]+)(?:=(\S*))?\s+", rest):
        flags[match.group(1)] = match.group(2) or ""
        rest = rest[match.end() :]
    words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    return flags, words[:-1], words[-1]


def context_copies(dockerfile: Dockerfile) -> list[str]:
    """Sources copied from the build context (not from another stage)."""
    sources: list[str] = []
    for instruction in dockerfile.of("COPY") + dockerfile.of("ADD"):
        flags, from_context, _ = copy_parts(instruction.arguments)
        if "from" not in flags:
            sources.extend(from_context)
    return sources


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored_by_dockerignore(relative: str, patterns: list[str]) -> bool:
    """Docker's matching, near enough: a path is out of the context if it or a parent matches."""
    parts = relative.strip("/").split("/")
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        for depth in range(1, len(parts) + 1):
            candidate = "/".join(parts[:depth])
            bare = pattern.removeprefix("**/")
            if fnmatch.fnmatch(candidate, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatch(parts[depth - 1], bare)
            ):
                ignored = not negate
                break
    return ignored


@pytest.fixture(scope="module", params=sorted(IMAGES))
def image(request) -> tuple[Dockerfile, str, str]:
    package = request.param
    built = IMAGES[package]
    return parse_dockerfile(ROOT / built.dockerfile, dict(built.args)), package, built.folder


# --- compose ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict) and isinstance(document.get("services"), dict)
    return document


def test_compose_parses_and_has_the_deployables(compose):
    services = compose["services"]
    for name in ("postgres", "keys", *APP_SERVICES, *(f"{app}-migrate" for app in APP_SERVICES)):
        assert name in services, f"docker-compose.yml has no {name} service"
    assert services["postgres"]["image"].startswith("postgres:16")


def test_every_compose_build_names_an_existing_dockerfile(compose):
    built = 0
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is None:
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = (ROOT / build.get("context", ".")).resolve()
        assert context == ROOT, f"{name}: the build context must be the repository root"
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        args = tuple(sorted((key, str(value)) for key, value in (build.get("args") or {}).items()))
        package = service["image"].split("/")[-1].split(":")[0]
        expected = IMAGES.get(package)
        assert expected is not None, f"{name}: builds an unexpected image {service['image']}"
        assert (str(dockerfile.relative_to(ROOT)), args) == (expected.dockerfile, expected.args), (
            f"{name}: builds {package} from {dockerfile} with {args}"
        )
        built += 1
    assert built >= len(APP_SERVICES)


def test_compose_files_it_mounts_and_reads_exist(compose):
    for name, service in compose["services"].items():
        env_files = service.get("env_file", [])
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            env_path = env_file if isinstance(env_file, str) else env_file["path"]
            assert (ROOT / env_path).is_file(), f"{name}: env file {env_path} does not exist"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind-mounted {source} does not exist"
            else:
                assert source in (compose.get("volumes") or {}), f"{name}: volume {source} is not declared"


def test_postgres_init_creates_one_database_per_service():
    sql = (ROOT / "deploy" / "postgres" / "init.sql").read_text()
    active = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    for database in DATABASES.values():
        assert re.search(rf"CREATE DATABASE {database}\b", active), database


def _database_of(service: dict, prefix: str) -> str:
    """The database name at the end of the service's DATABASE_URL in compose."""
    url = (service.get("environment") or {}).get(f"{prefix}DATABASE_URL", "")
    assert url.startswith("postgresql://") and "@postgres:5432/" in url, url
    return url.rsplit("/", 1)[-1]


@pytest.mark.parametrize("app", sorted(APP_SERVICES))
def test_each_app_has_a_one_shot_migration_on_its_own_database(compose, app):
    services = compose["services"]
    migrate = services[f"{app}-migrate"]
    prefix = ENV_PREFIXES[app]
    assert f"{app} migrate" in " ".join(_command(migrate)), f"{app}-migrate does not run `{app} migrate`"
    assert str(migrate.get("restart")) == "no", f"{app}-migrate must run once, not restart"
    assert migrate["build"] == services[app]["build"], f"{app}-migrate uses another image"
    env_example = f"deploy/env/{app}.env.example"
    for name in (app, f"{app}-migrate"):
        assert env_example in services[name].get("env_file", []), f"{name} does not read {env_example}"
        assert _database_of(services[name], prefix) == DATABASES[app], f"{name} uses another database"
    assert services[app]["depends_on"][f"{app}-migrate"]["condition"] == "service_completed_successfully"


def test_apps_start_after_their_migrations_and_have_healthchecks(compose):
    services = compose["services"]
    for app, port in APP_SERVICES.items():
        service = services[app]
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{app}: depends_on needs conditions"
        migrations = [
            dep
            for dep, spec in depends.items()
            if spec.get("condition") == "service_completed_successfully"
            and "migrate" in " ".join(_command(services[dep]))
        ]
        assert migrations, f"{app} does not wait for a completed migration step"
        healthcheck = " ".join(service.get("healthcheck", {}).get("test", []))
        assert f"127.0.0.1:{port}/readyz" in healthcheck, f"{app} has no healthcheck on its own port"
        assert f"127.0.0.1:{port}:{port}" in [str(mapping) for mapping in service.get("ports", [])], app
    keys_command = " ".join(_command(services["keys"]))
    assert "collective-keys init" in keys_command


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


# --- Dockerfiles ------------------------------------------------------------------------------


def test_every_path_a_dockerfile_copies_exists(image):
    dockerfile, _, _ = image
    patterns = dockerignore_patterns()
    sources = context_copies(dockerfile)
    assert sources, f"{dockerfile.path} copies nothing"
    for source in sources:
        assert (ROOT / source).exists(), f"{dockerfile.path}: COPY {source}: no such path in the repo"
        assert not ignored_by_dockerignore(source, patterns), f"{source} is excluded by .dockerignore"


def test_the_deployables_have_images():
    assert workspace_members()["servicekit"] == "libs/servicekit"
    assert {built.dockerfile for built in IMAGES.values()} == {SERVICES_DOCKERFILE, "web/Dockerfile"}
    assert set(IMAGES) == set(APP_SERVICES)
    # One Dockerfile for every service: none of its own beside it.
    assert not list((ROOT / "services").glob("*/Dockerfile"))


def test_each_image_serves_and_checks_its_own_port(image):
    dockerfile, package, _ = image
    port = APP_SERVICES[package]
    final = dockerfile.final_stage
    assert [i.arguments for i in dockerfile.of("EXPOSE") if i.stage == final] == [str(port)], dockerfile.path
    command = command_words([i.arguments for i in dockerfile.of("CMD") if i.stage == final][-1])
    assert command[command.index("--port") + 1] == str(port), f"{dockerfile.path}: CMD does not serve on {port}"
    served = command[1] if command[0] == "exec" else command[0]
    assert served == package, f"{dockerfile.path}: CMD serves {served}, not {package}"
    healthcheck = [i.arguments for i in dockerfile.of("HEALTHCHECK") if i.stage == final][-1]
    assert f"127.0.0.1:{port}/livez" in healthcheck, f"{dockerfile.path}: HEALTHCHECK not on {port}"


def test_dockerfile_copies_only_the_shared_files_and_its_own_member(image):
    dockerfile, _, folder = image
    allowed = (*SHARED_CONTEXT, folder)
    for source in context_copies(dockerfile):
        source = source.rstrip("/")
        assert any(source == a or source.startswith(a + "/") for a in allowed), (
            f"{dockerfile.path} copies {source}, outside {allowed}"
        )


def test_dockerfile_installs_only_its_own_member(image):
    dockerfile, package, _ = image
    syncs = [i.arguments for i in dockerfile.of("RUN") if "uv sync" in i.arguments]
    assert syncs, f"{dockerfile.path} never runs uv sync"
    for command in syncs:
        words = shlex.split(command)
        assert "--frozen" in words and "--no-dev" in words, command
        named = [words[n + 1] for n, word in enumerate(words) if word == "--package"]
        assert named == [package], f"{dockerfile.path}: {command}"
        assert "--all-packages" not in words, command
    assert any("pip install" in i.arguments and "uv" in i.arguments for i in dockerfile.of("RUN"))


def test_dockerfile_runtime_is_slim_python_non_root_with_healthcheck(image):
    dockerfile, _, _ = image
    final = dockerfile.final_stage
    assert dockerfile.stages[final] == "python:3.11-slim"
    users = [i.arguments.split(":")[0] for i in dockerfile.of("USER") if i.stage == final]
    assert users and users[-1] not in ("root", "0"), f"{dockerfile.path} runs as root"
    healthchecks = [i.arguments for i in dockerfile.of("HEALTHCHECK") if i.stage == final]
    assert healthchecks and "/livez" in healthchecks[-1] and "python" in healthchecks[-1]
    commands = [i.arguments for i in dockerfile.of("CMD") if i.stage == final]
    # A container listens on all its interfaces; the port mapping decides who reaches it.
    assert commands and "0.0.0.0" in commands[-1] and "serve" in commands[-1]  # noqa: S104


def test_web_image_installs_its_npm_packages_from_the_lock():
    dockerfile = parse_dockerfile(ROOT / "web" / "Dockerfile")
    assert any(stage.startswith("node:20-slim") for stage in dockerfile.stages)
    assert any("npm ci" in i.arguments and "--omit=dev" in i.arguments for i in dockerfile.of("RUN"))
    copied = [copy_parts(i.arguments) for i in dockerfile.of("COPY") if i.stage == dockerfile.final_stage]
    assert any("from" in flags and any("node_modules" in s for s in sources) for flags, sources, _ in copied)


def test_dockerignore_keeps_local_state_out_of_the_context():
    patterns = dockerignore_patterns()
    for path in (
        "var/keys/jwt-signing.pem",
        ".venv/bin/python",
        "web/node_modules/htmx.org",
        ".git/HEAD",
    ):
        assert ignored_by_dockerignore(path, patterns), f"{path} would be sent to the Docker daemon"


# --- Kubernetes -------------------------------------------------------------------------------


def k8s_documents() -> list[tuple[Path, dict]]:
    documents = []
    for path in sorted(K8S.rglob("*.y*ml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                documents.append((path, document))
    return documents


def test_every_k8s_yaml_document_parses_with_api_version_and_kind():
    documents = k8s_documents()
    assert documents
    for path, document in documents:
        assert isinstance(document, dict), path
        assert document.get("apiVersion") and document.get("kind"), f"{path}: no apiVersion/kind"


def test_every_kustomization_names_files_that_exist():
    kustomizations = sorted(K8S.rglob("kustomization.yaml"))
    assert {p.parent.relative_to(K8S).as_posix() for p in kustomizations} >= {
        "base",
        "overlays/production",
    }
    for path in kustomizations:
        document = yaml.safe_load(path.read_text())
        assert document["kind"] == "Kustomization"
        referenced = list(document.get("resources", []))
        for patch in document.get("patches", []):
            if isinstance(patch, dict) and "path" in patch:
                referenced.append(patch["path"])
        for generator in document.get("configMapGenerator", []) + document.get("secretGenerator", []):
            referenced += generator.get("envs", []) + [f.split("=")[-1] for f in generator.get("files", [])]
        assert referenced, path
        for name in referenced:
            target = (path.parent / name).resolve()
            assert target.exists(), f"{path}: {name} does not exist"
            if target.is_dir():
                assert (target / "kustomization.yaml").is_file(), f"{path}: {name} is not a kustomization"


def _pod_specs() -> list[tuple[Path, str, str, dict]]:
    specs = []
    for path, document in k8s_documents():
        if document["kind"] in ("Deployment", "Job"):
            specs.append(
                (
                    path,
                    document["kind"],
                    document["metadata"]["name"],
                    document["spec"]["template"]["spec"],
                )
            )
    return specs


def test_deployments_have_probes_resources_and_run_as_non_root():
    deployments = {name for _, kind, name, _ in _pod_specs() if kind == "Deployment"}
    assert deployments >= set(APP_SERVICES)
    for path, kind, name, spec in _pod_specs():
        assert spec.get("securityContext", {}).get("runAsNonRoot") is True, f"{path}: {name}"
        for container in spec["containers"]:
            where = f"{path}: {name}/{container['name']}"
            if kind == "Deployment":
                assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", where
                assert container["livenessProbe"]["httpGet"]["path"] == "/livez", where
            resources = container.get("resources", {})
            assert resources.get("requests") and resources.get("limits"), where
            security = container.get("securityContext", {})
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("readOnlyRootFilesystem") is True, where


def test_each_deployment_and_service_use_the_deployables_port():
    documents = k8s_documents()
    for app, port in APP_SERVICES.items():
        services = [d for _, d in documents if d["kind"] == "Service" and d["metadata"]["name"] == app]
        assert services, f"no Service {app}"
        assert [p["port"] for p in services[0]["spec"]["ports"]] == [port], app
        deployments = [d for _, d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == app]
        assert deployments, f"no Deployment {app}"
        [container] = deployments[0]["spec"]["template"]["spec"]["containers"]
        assert [p["containerPort"] for p in container["ports"]] == [port], app
        assert str(port) in container.get("args", []), f"{app} does not serve on {port}"
        secret_keys = [
            v["valueFrom"]["secretKeyRef"]["key"]
            for v in container.get("env", [])
            if v["name"] == f"{ENV_PREFIXES[app]}DATABASE_URL"
        ]
        assert secret_keys == [f"{app}-database-url"], f"{app} reads its database URL from elsewhere"


def test_each_service_has_a_migration_job():
    commands = [
        " ".join(c.get("command", []) + c.get("args", []))
        for _, kind, _, spec in _pod_specs()
        if kind == "Job"
        for c in spec["containers"]
    ]
    for deployable in APP_SERVICES:
        assert any(f"{deployable} migrate" in command for command in commands), deployable


SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|PRIVATE|DATABASE_URL|CREDENTIAL)", re.I)
CREDENTIAL_URL = re.compile(r"://[^/\s:@]+:[^@\s]+@")
# Settings that hold a secret (a token's lifetime or a token URL is not one).
EXAMPLE_SECRET = re.compile(r"(PASSWORD|SECRET|CREDENTIAL|DATABASE_URL)", re.I)


def test_no_secret_values_are_committed_in_the_manifests():
    for path, document in k8s_documents():
        assert document["kind"] != "Secret", f"{path}: a Secret is committed; reference one instead"
        for generator in document.get("secretGenerator", []) if document["kind"] == "Kustomization" else []:
            assert not generator.get("literals"), f"{path}: secret literals committed"
    for path, _kind, name, spec in _pod_specs():
        for container in spec["containers"]:
            for variable in container.get("env", []):
                if SECRET_NAME.search(variable["name"]):
                    assert "valueFrom" in variable and "value" not in variable, (
                        f"{path}: {name} sets {variable['name']} in plain text"
                    )
    for path in sorted(K8S.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_text()
        assert "-----BEGIN" not in text, f"{path} holds a key"
        assert not CREDENTIAL_URL.search(text), f"{path} holds a URL with a password"
        if path.suffix == ".env":
            for line in text.splitlines():
                name = line.split("=", 1)[0].strip()
                assert not (name and SECRET_NAME.search(name)), f"{path}: {name} belongs in a Secret"


def test_production_overlay_verifies_with_jwks_in_production_mode():
    config = _env_file(K8S / "overlays" / "production" / "config.env")
    for prefix in ENV_PREFIXES.values():
        assert config[f"{prefix}ENVIRONMENT"] == "production", prefix
    for prefix in ("FRAMEWORK_API_", "RECRUITMENT_API_", "MONITORING_API_"):
        assert config[f"{prefix}JWKS_URL"].startswith("https://"), prefix
        # The web's own user tokens stay trusted beside the provider's.
        assert config[f"{prefix}JWT_LOCAL_ISSUER"] == "collective-local", prefix


def test_env_examples_exist_and_hold_no_keys():
    for app in APP_SERVICES:
        path = ENV_EXAMPLES / f"{app}.env.example"
        assert path.is_file(), path
        assert "-----BEGIN" not in path.read_text()
        values = _env_file(path)
        prefix = ENV_PREFIXES[app]
        assert all(name.startswith(prefix) for name in values), f"{path}: a setting without {prefix}"
        # Migrations run as the one-shot step, never at start-up of an app container.
        assert values[f"{prefix}MIGRATE_ON_STARTUP"] == "false", path
        assert values[f"{prefix}ENVIRONMENT"] == "production", path
        for name, value in values.items():
            if EXAMPLE_SECRET.search(name):
                assert not value, f"{path}: {name} has a value; secrets do not belong in an example file"


def test_env_examples_agree_on_the_tokens_the_web_signs():
    """The services must accept the web's tokens: the same issuer and audience everywhere."""
    web = _env_file(ENV_EXAMPLES / "web.env.example")
    for app in ("framework-api", "recruitment-api", "monitoring-api"):
        values = _env_file(ENV_EXAMPLES / f"{app}.env.example")
        prefix = ENV_PREFIXES[app]
        assert values[f"{prefix}JWT_ISSUER"] == web["WEB_JWT_ISSUER"], app
        assert values[f"{prefix}JWT_AUDIENCE"] == web["WEB_JWT_AUDIENCE"], app
        assert values[f"{prefix}JWT_PUBLIC_KEY_PATH"] == f"{web['WEB_KEYS_DIR']}/jwt-signing.pub.pem", app


def test_recruitment_api_env_example_reaches_framework_api_and_signs_with_the_shared_key():
    values = _env_file(ENV_EXAMPLES / "recruitment-api.env.example")
    assert values["RECRUITMENT_API_FRAMEWORK_API_URL"] == f"http://framework-api:{APP_SERVICES['framework-api']}"
    web = _env_file(ENV_EXAMPLES / "web.env.example")
    assert values["RECRUITMENT_API_SERVICE_SIGNING_KEY_PATH"] == f"{web['WEB_KEYS_DIR']}/jwt-signing.pem"
    assert "RECRUITMENT_API_SERVICE_CLIENT_SECRET" not in values  # commented out: it belongs in a secret store


# The services that sign pagination cursors: production refuses them without their own secret.
CURSOR_SIGNERS = ("framework-api", "recruitment-api", "monitoring-api")


def test_every_service_container_gets_its_cursor_secret_from_outside_the_repository(compose):
    services = compose["services"]
    for app in CURSOR_SIGNERS:
        name = f"{ENV_PREFIXES[app]}CURSOR_SECRET"
        # The migration step builds the same settings, so it needs the secret too.
        for service in (app, f"{app}-migrate"):
            value = str((services[service].get("environment") or {}).get(name, ""))
            assert value.startswith("${CURSOR_SECRET:-"), f"{service}: {name} is not taken from CURSOR_SECRET"
        assert name not in _env_file(ENV_EXAMPLES / f"{app}.env.example"), f"{app}: a secret in the example"
        assert f"# {name}=" in (ENV_EXAMPLES / f"{app}.env.example").read_text(), f"{app}: {name} undocumented"
    pods = [(p, d) for p, d in k8s_documents() if d["kind"] in ("Deployment", "Job", "CronJob")]
    for path, document in pods:
        spec = document["spec"]
        template = spec["jobTemplate"]["spec"]["template"] if document["kind"] == "CronJob" else spec["template"]
        for container in template["spec"]["containers"]:
            # Every pod running a service's image reads its settings, so needs the secret.
            app = container["image"].split("/")[-1].split(":")[0]
            if app not in CURSOR_SIGNERS:
                continue
            name = f"{ENV_PREFIXES[app]}CURSOR_SECRET"
            [variable] = [v for v in container.get("env", []) if v["name"] == name] or [None]
            assert variable is not None, f"{path}: {container['name']} has no {name}"
            reference = variable["valueFrom"]["secretKeyRef"]
            assert (reference["name"], reference["key"]) == ("collective-cursor-secrets", f"{app}-cursor-secret")


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("target", ["base", "overlays/production"])
def test_kustomize_builds(target):
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S / target)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    kinds = {d["kind"] for d in yaml.safe_load_all(result.stdout) if d}
    assert {"Namespace", "ConfigMap", "Deployment", "Service", "Job"} <= kinds


# --- retention CronJobs ---------------------------------------------------------------------

# The nightly commands each deployable's data needs (issue 6 §8): expired sessions and old
# sign-in records of the web, old Idempotency-Key records of each service, and candidates past
# their retention period in recruitment-api.
RETENTION_COMMANDS = {
    "web": {"purge"},
    "framework-api": {"purge-idempotency"},
    "recruitment-api": {"purge", "purge-idempotency"},
    "monitoring-api": {"purge-idempotency"},
}


def _cron_jobs() -> list[tuple[Path, str, dict]]:
    return [
        (path, document["metadata"]["name"], document["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        for path, document in k8s_documents()
        if document["kind"] == "CronJob"
    ]


def _cli_commands(deployable: str) -> set[str]:
    import importlib

    import typer

    module = importlib.import_module(f"{deployable.replace('-', '_')}.cli")
    return set(typer.main.get_command(module.app).commands)


def test_each_deployable_has_its_retention_cron_jobs_running_commands_its_cli_has():
    found: dict[str, set[str]] = {}
    for path, name, spec in _cron_jobs():
        [container] = spec["containers"]
        deployable, *command = container["command"]
        assert container["image"] == f"collective/{deployable}", f"{path}: {name}"
        assert len(command) == 1 and command[0] in _cli_commands(deployable), f"{path}: {name} runs {command}"
        found.setdefault(deployable, set()).add(command[0])
        urls = [v for v in container.get("env", []) if v["name"].endswith("DATABASE_URL")]
        assert [v["valueFrom"]["secretKeyRef"]["key"] for v in urls] == [f"{deployable}-database-url"], path
    assert found == RETENTION_COMMANDS


def test_retention_cron_jobs_run_as_non_root_with_limits_and_never_overlap():
    jobs = _cron_jobs()
    assert jobs
    for path, name, spec in jobs:
        document = yaml.safe_load(path.read_text())
        assert document["spec"]["concurrencyPolicy"] == "Forbid", f"{path}: {name}"
        assert spec["restartPolicy"] == "Never" and spec["automountServiceAccountToken"] is False, path
        assert spec["securityContext"]["runAsNonRoot"] is True, path
        for container in spec["containers"]:
            assert container["resources"].get("requests") and container["resources"].get("limits"), path
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, path
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, path


# --- monitoring-api ---------------------------------------------------------------------------


def test_monitoring_api_is_deployed_like_the_other_services(compose):
    """Its own database and migration step (which also seeds the organisations and actions), the web
    told where to find it, and the production overlay's image and disruption budget."""
    services = compose["services"]
    assert "monitoring-api seed" in " ".join(_command(services["monitoring-api-migrate"]))
    assert services["web"]["environment"]["WEB_MONITORING_API_URL"] == "http://monitoring-api:8003"
    assert services["web"]["depends_on"]["monitoring-api"]["condition"] == "service_started"
    base = _env_file(K8S / "base" / "config.env")
    assert base["WEB_MONITORING_API_URL"] == "http://monitoring-api:8003"
    assert base["MONITORING_API_MIGRATE_ON_STARTUP"] == "false"
    jobs = [d for _, d in k8s_documents() if d["kind"] == "Job" and d["metadata"]["name"] == "monitoring-api-migrate"]
    [container] = jobs[0]["spec"]["template"]["spec"]["containers"]
    assert "monitoring-api seed" in " ".join(container["command"])
    overlay = yaml.safe_load((K8S / "overlays" / "production" / "kustomization.yaml").read_text())
    assert "collective/monitoring-api" in {image["name"] for image in overlay["images"]}
    budgets = yaml.safe_load_all((K8S / "overlays" / "production" / "pod-disruption-budgets.yaml").read_text())
    assert "monitoring-api" in {b["metadata"]["name"] for b in budgets if b}
    values = _env_file(ENV_EXAMPLES / "monitoring-api.env.example")
    assert int(values["MONITORING_API_MAX_IMPORT_BYTES"]) >= 100_000_000  # a million values as CSV
