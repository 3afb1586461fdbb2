# One target per habit. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test unit lint check clean trace dlq user token

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
	$(BIN)/mypy app.py chalicelib local_runtime devstack ops
	$(BIN)/cfn-lint infra/resources.yaml

## make check: what to run before a pull request.
check: lint test

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache

## make trace ID=<correlation id>: every log line of one request, in time order.
trace: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make trace ID=<correlation id>"; exit 2; }
	$(BIN)/python -m devstack.trace $(ID)

## make dlq: what waits in the retry and dead-letter queues of the running local stack.
## make dlq ARGS="redrive --all" re-drives every dead letter.
LOCAL_AWS_PORT ?= 4566
ARGS ?= list
dlq: $(STAMP)
	AWS_ENDPOINT_URL=http://127.0.0.1:$(LOCAL_AWS_PORT) AWS_DEFAULT_REGION=us-east-1 \
	AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	$(BIN)/python -m ops.dlq --stage local $(ARGS)

## make user NAME=alice: a user in the running local stack's pool; its id token is the last line.
## make token NAME=alice: a fresh id token of that user (last line).
user token: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make $@ NAME=<username>"; exit 2; }
	@AWS_ENDPOINT_URL=http://127.0.0.1:$(LOCAL_AWS_PORT) AWS_DEFAULT_REGION=us-east-1 \
	AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	$(BIN)/python -m devstack.user_pool $(if $(filter user,$@),create,token) "$(NAME)"
