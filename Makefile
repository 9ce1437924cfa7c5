# Two commands matter on a fresh machine: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The newest Airflow 3.3.x is what we test on; the package itself accepts any Airflow >= 3.0.
AIRFLOW_SPEC ?= apache-airflow>=3.3,<3.4

.PHONY: install lint format typecheck pytest docs test demo bench drift clean generate

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
