# Two commands matter on a fresh machine: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# `make demo` alone installs only what the demo needs (the `demo` extra); `make test` completes it.
DEMO_STAMP := $(VENV)/.demo-stamp
# The newest Airflow 3.3.x is what `make test` runs on; `make compat` runs every other line pyproject.toml accepts.
AIRFLOW_SPEC ?= apache-airflow>=3.3,<3.4

.PHONY: install lint format typecheck pytest docs test demo bench drift clean generate compat import-graph deploy-test

# uv resolves and installs Airflow in seconds where pip takes minutes; it is itself installed with pip.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python "$(AIRFLOW_SPEC)" -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy

# One worker per core, at most four; a test file's tests stay on one worker (tests/conftest.py schedules).
pytest: install
	$(BIN)/python -m pytest -n auto --maxprocesses 4

docs: install
	$(BIN)/sphinx-build -W --keep-going -n -b html docs docs/_build/html

# The docs are built with -W inside pytest (tests/docs), so `make test` fails on any docs warning too.
test: lint typecheck pytest

# Rewrites the files generated from the catalogue (hooks/_generated.py, operators/usage.py);
# tests/test_generated.py fails when they are stale.
generate: install
	$(BIN)/python tools/generate.py
	$(BIN)/ruff format airflow_provider_ldusage/hooks/_generated.py airflow_provider_ldusage/operators/usage.py

# The compatibility run: a fresh venv per supported Airflow release (oldest and newest patch of each minor line,
# see scripts/compat_run.py), then the version-sensitive part of the suite in it. `.ci/run` runs it after `make test`.
# COMPAT_VERSIONS="3.1.8 3.3.2" limits it to those releases.
COMPAT_VERSIONS ?=
compat: install
	$(BIN)/python scripts/compat_run.py $(COMPAT_VERSIONS)

# CI and maintainers: the example daily ingest on a real distributed Airflow (CeleryExecutor, two workers without
# a shared disk, PostgreSQL, Redis, moto's S3, the emulator sized to 2,000 flags), all on loopback, then checked
# (docs/deployment.rst). `.ci/run` runs it after `make compat`. DEPLOY_TEST_ARGS="--keep" keeps every log.
DEPLOY_TEST_ARGS ?=
deploy-test: install
	$(BIN)/python scripts/deploy_test.py $(DEPLOY_TEST_ARGS)

# After `make install` (or `make test`) the full install already holds the demo's packages: nothing to do.
# Otherwise uv installs Airflow and the `demo` extra; `make test` later adds the rest into the same .venv.
$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	if [ $(STAMP) -nt pyproject.toml ]; then :; else \
		$(BIN)/python -m pip install --quiet uv && \
		$(BIN)/uv pip install --quiet --python $(BIN)/python "$(AIRFLOW_SPEC)" -e ".[demo]"; fi
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python benchmarks/run.py

# The catalogue vs LaunchDarkly's published API (also run by `make test` through tests/test_drift.py): the
# documents in ../shared/launchdarkly when they are beside the checkout (maintainers), else the installed
# official client (launchdarkly-api, in the test extra); `make drift OPENAPI=file` or `CLIENT=file` names a
# document instead. It says which source it compared with, and exits 2 naming the ways when there is none.
OPENAPI ?=
CLIENT ?=
drift: install
	$(BIN)/python tools/drift.py $(if $(OPENAPI),--openapi "$(OPENAPI)") $(if $(CLIENT),--client "$(CLIENT)")

# The package's import graph, one line per module; fails on a cycle (tests/test_import_graph.py runs it too).
import-graph:
	$(PYTHON) tools/import_graph.py

clean:
	rm -rf $(VENV) .demo .bench docs/_build
