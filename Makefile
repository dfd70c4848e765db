# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The demo's admin token (local development only; set your own in production).
DEMO_TOKEN ?= iak_demo_local_development_token_0000
HOST ?= 127.0.0.1
PORT ?= 8000
SIMULATE ?= 1

.PHONY: run test install install-test schema bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# Serve the API on SQLite with a demo organization (and, unless SIMULATE=0, a simulated
# interviewer driving demo sessions so that live views have something to show).
run: install
	BOOTSTRAP_ADMIN_TOKEN=$${BOOTSTRAP_ADMIN_TOKEN:-$(DEMO_TOKEN)} \
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} \
	$(BIN)/interview-api serve --demo --host $(HOST) --port $(PORT) $(if $(filter 1,$(SIMULATE)),--simulate,)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

schema: install
	$(BIN)/interview-api export-schema --output schema.graphql

bench: install-test
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) data .pytest_cache
