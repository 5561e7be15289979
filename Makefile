# beredning: make help lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DLLAVA_BUILD=OFF -DMTMD_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export ANONYMIZED_TELEMETRY := False

DEMO_PORTFOLIO := demo/portfolio/sundsvall-utvecklingsportfolj-utdrag.csv

.DEFAULT_GOAL := help
.PHONY: help install install-run run migrate demo prefect-ui test test-unit test-calendar bench-e2e bench-load fuzz-api lint format docs messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-17s %s\n", $$1, $$2}'

# What the service needs, and no more: `make run` does not wait for the test tools.
$(RUN_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25"
	# torch is pinned to the CPU build (any other spec pulls GB of CUDA packages).
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

# The service, the test and lint tools, and the benchmarks and generated test data (bench/, a
# distribution of its own that adds `beredning bench`, `mail bench` and `redact --evaluate`).
$(STAMP): $(RUN_STAMP) bench/pyproject.toml
	# llama-cpp-python (the test LLM server) builds from source, about 10 minutes the first time;
	# -march=native enabled AMX kernels that die with "Illegal instruction" on a virtual CPU, so the
	# build targets plain AVX2 and skips the tools and multimodal parts we do not use.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m pip install --quiet -e ./bench
	touch $(STAMP)

install-run: $(RUN_STAMP) ## Create .venv and install the service only (what make run needs)

install: $(STAMP) ## Create .venv and install the service, the test and lint tools and the benchmarks (bench/)

migrate: install-run ## Create or upgrade the database schema in $BEREDNING_DATA_DIR (default ./data)
	$(BIN)/beredning db upgrade

demo: migrate ## Load the Sundsvall portfolio excerpt and the demo submissions (triaged, on the agendas)
	$(BIN)/beredning portfolio import $(DEMO_PORTFOLIO)
	$(BIN)/beredning demo load demo/submissions.yaml

run: demo ## Install, migrate, load the demo portfolio and serve on http://127.0.0.1:8000
	$(BIN)/beredning serve

prefect-ui: install-run ## Prefect's UI on http://127.0.0.1:4200 over the flow runs of `make run` (data/prefect)
	mkdir -p $${BEREDNING_DATA_DIR:-data}/prefect
	PREFECT_HOME=$${BEREDNING_DATA_DIR:-data}/prefect PREFECT_SERVER_ANALYTICS_ENABLED=false \
	  $(BIN)/prefect server start --host 127.0.0.1 --port 4200

# Two workers: most of the suite waits on servers, models and subprocesses, not on the CPU.
# Tests of one module stay on one worker, so the servers a module starts are started once.
PYTEST_WORKERS ?= 2

test: install ## Run the whole test suite (unit and integration); prints the 20 slowest tests
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadscope --durations=20

test-calendar: install ## The date-dependent tests with the clock moved: today, a year ahead, a leap day, New Year's Eve
	$(BIN)/python scripts/calendar_check.py -- -n $(PYTEST_WORKERS) --dist loadscope

bench-e2e: install ## The big end-to-end runs: 50 items through two workers, 200 through a model outage, 500 mails
	BEREDNING_E2E_ITEMS=50 BEREDNING_E2E_OUTAGE_ITEMS=200 BEREDNING_E2E_MAILS=500 $(BIN)/pytest -s -p no:xdist \
	  tests/integration/test_triage_e2e.py tests/integration/test_mail_imap.py -k "workers or outage or hostile"

bench-load: install ## 20 clients for 60 s on the form, the JSON intake and similar-items with a hanging model: p50/p95 per route
	BEREDNING_LOAD_CLIENTS=20 BEREDNING_LOAD_SECONDS=60 $(BIN)/pytest -s -p no:xdist tests/integration/test_load.py

fuzz-api: install ## Schemathesis, all checks, 200 examples per operation, with a key and without, SQLite and PostgreSQL
	BEREDNING_FUZZ_EXAMPLES=200 $(BIN)/pytest -s -p no:xdist tests/integration/test_schemathesis.py

test-unit: install ## Run the unit tests only
	$(BIN)/pytest -m "not integration"

lint: install ## ruff (lint and format check), mypy --strict and the import contracts (lint-imports)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy tests/fakes.py tests/factories.py tests/pg.py tests/server.py tests/llm.py tests/smtp_sink.py  # test doubles satisfy the protocols
	$(BIN)/lint-imports --no-logo  # the layers of STYLE.md: [tool.importlinter] in pyproject.toml

format: install ## Format the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: install ## Regenerate the settings table in docs/configuration.md from intake/settings.py
	$(BIN)/python scripts/settings_table.py docs/configuration.md

messages: install-run ## Extract the texts (babel.cfg) into intake/locale/beredning.pot and update the sv and en catalogues
	$(BIN)/python -m intake.locale.catalogues

clean: ## Remove the virtualenv, caches and the local data directory
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache data test-artifacts
