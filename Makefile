# Collective: `make run` starts everything on its embedded defaults; `make test` proves it.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv comes from PATH, or is installed once into .tools/ from PyPI.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
NODE_MODULES := web/node_modules/.package-lock.json
export UV_LINK_MODE ?= copy

.PHONY: help setup run test lint fmt bench clients clean

help:
	@echo "make run    set up and start framework-api, recruitment-api, monitoring-api and web (http://localhost:8000)"
	@echo "make test   set up, then ruff, import-linter, mypy and pytest (TEST_DATABASE_URL for PostgreSQL)"
	@echo "make lint   ruff, import-linter and mypy only"
	@echo "make fmt    format the code"
	@echo "make bench  benchmarks (ratios measured in one run)"
	@echo "make clients  regenerate libs/clients from the services' OpenAPI (after changing a service's API)"

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

$(VENV)/.synced: pyproject.toml uv.lock */pyproject.toml services/*/pyproject.toml libs/*/pyproject.toml | $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --all-packages
	@touch $@

$(NODE_MODULES): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund --loglevel=error
	@touch $@

# Everything `run` and `test` need: locked Python environment, front-end packages, local keys.
setup: $(VENV)/.synced $(NODE_MODULES)
	@$(VENV)/bin/collective-keys init >/dev/null

run: setup
	@$(VENV)/bin/framework-api migrate
	@$(VENV)/bin/framework-api seed
	@$(VENV)/bin/recruitment-api migrate
	@$(VENV)/bin/recruitment-api seed-demo
	@$(VENV)/bin/monitoring-api migrate
	@$(VENV)/bin/monitoring-api seed
	@$(VENV)/bin/monitoring-api seed-demo
	@$(VENV)/bin/web migrate
	@$(VENV)/bin/web create-admin
	@$(VENV)/bin/web create-demo-users
	@echo ""
	@echo "  Collective is starting: open http://localhost:8000 and sign in as admin (as recruiter to try scoring, as manager for My organisation)."
	@echo "  API docs: framework-api http://localhost:8001/docs, recruitment-api http://localhost:8002/docs,"
	@echo "            monitoring-api http://localhost:8003/docs"
	@echo "  Ctrl-C stops everything."
	@echo ""
	@$(VENV)/bin/honcho start -f Procfile

# mypy: strict for libs/ and web/, every body checked in the services ([tool.mypy] in pyproject.toml).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# pytest runs in parallel (pytest-xdist), one worker per CPU: TEST_WORKERS=3 make test to choose,
# TEST_WORKERS=0 for one process. Each test file runs whole on one worker (--dist loadfile), so its
# module-scoped databases and servers are built once, and files are handed out in the order they
# are collected (--no-loadscope-reorder), so the slow browser tests start early.
TEST_WORKERS ?= auto

test: lint
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

fmt: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	$(VENV)/bin/python bench/run_all.py

# The typed clients (libs/clients) from each service's OpenAPI; tests/clients fails until they are regenerated.
clients: setup
	$(VENV)/bin/python libs/clients/generate.py

clean:
	rm -rf $(VENV) .tools web/node_modules
