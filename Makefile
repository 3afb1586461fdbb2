# One target per habit. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test unit lint check clean trace dlq bench cost load

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
	$(BIN)/mypy app.py chalicelib local_runtime devstack ops loadtests
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

## make bench: the fan-out benchmark on a fresh local stack; last line one JSON object.
## Sizes from BENCH_* variables (loadtests/graph.py), e.g. BENCH_BIG_FOLLOWERS=2000.
bench: $(STAMP)
	$(BIN)/python -m loadtests.bench

## make cost: $ per million posts from the latest benchmark and loadtests/pricing.json.
cost: $(STAMP)
	$(BIN)/python -m loadtests.cost

## make load TARGET=<url> USERS=10 RATE=20 DURATION=60s: Locust, headless (no TARGET:
## a fresh local stack); reports in loadtests/results/load-<time>/.
load: $(STAMP)
	TARGET="$(TARGET)" USERS="$(USERS)" RATE="$(RATE)" DURATION="$(DURATION)" \
	$(BIN)/python -m loadtests.load
