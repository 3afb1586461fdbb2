# One target per habit. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test unit lint check clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## make run: the whole local stack (emulator, infrastructure, event runtime, HTTP API).
run: $(STAMP)
	$(BIN)/python -m devstack

## make test: every test; starts its own emulator on free ports.
test: $(STAMP)
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py chalicelib local_runtime devstack
	$(BIN)/cfn-lint infra/resources.yaml

## make check: what to run before a pull request.
check: lint test

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache
