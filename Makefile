# Two commands matter on a fresh machine: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The newest Airflow 3.3.x is what `make test` runs on; `make compat` runs every other line pyproject.toml accepts.
AIRFLOW_SPEC ?= apache-airflow>=3.3,<3.4

.PHONY: install lint format typecheck pytest docs test demo bench drift clean generate compat

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(AIRFLOW_SPEC)" -e ".[dev]"
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

pytest: install
	$(BIN)/python -m pytest

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

demo: install
	$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python benchmarks/run.py

# Maintainers: the catalogue vs LaunchDarkly's OpenAPI document and the extracted official client (also run
# by `make test` through tests/test_drift.py). For an installed client: $(BIN)/python tools/drift.py --installed
SHARED_LD ?= ../shared/launchdarkly
drift: install
	$(BIN)/python tools/drift.py --openapi $(SHARED_LD)/usage-openapi.json
	$(BIN)/python tools/drift.py --client $(SHARED_LD)/usage-client-v25.json

clean:
	rm -rf $(VENV) .demo .bench docs/_build
