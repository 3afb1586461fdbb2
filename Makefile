# One target per habit. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-reliability unit lint check clean trace dlq api-key package deploy destroy

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

## make run: the whole local stack (emulator, infrastructure, event runtime, HTTP API).
run: $(STAMP)
	$(BIN)/python -m devstack

## make test: every test; starts its own emulator on free ports. The full-size
## reliability runs (marked "full") are left to make test-reliability.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not full"

## make test-reliability: tests/reliability at full size (200 posts x 1,000 followers under
## kill -9 of the runtime, a 10 s outage, 10% injected faults) and the short cases; prints figures.
test-reliability: $(STAMP)
	$(BIN)/python -m pytest tests/reliability -s

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py chalicelib local_runtime devstack ops deploy
	$(BIN)/cfn-lint infra/resources.yaml
	@for stage in dev prod; do \
	  $(BIN)/python -m deploy package --stage $$stage --out build/lint/$$stage >/dev/null || exit 1; \
	done
	$(BIN)/cfn-lint build/lint/dev/sam.json build/lint/prod/sam.json

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

## make api-key SCOPES=read,write PREFIX=fanout. : a config service API key, printed as the
## last line, for the running local stack (LOCAL_AWS_PORT) or STAGE=<stage> on AWS (also an
## API Gateway key in the stage's usage plan). ARGS="list" lists, ARGS="revoke <id>" revokes.
api-key: STAGE ?= local
SCOPES ?= read
PREFIX ?=
LOCAL_AWS_ENV = AWS_ENDPOINT_URL=http://127.0.0.1:$(LOCAL_AWS_PORT) AWS_DEFAULT_REGION=us-east-1 \
	AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
api-key: $(STAMP)
	@$(if $(filter local,$(STAGE)),$(LOCAL_AWS_ENV)) $(BIN)/python -m ops.api_keys --stage $(STAGE) \
	$(if $(filter command line,$(origin ARGS)),$(ARGS),create --scopes "$(SCOPES)" --prefix "$(PREFIX)")
## make package STAGE=s: build/s/ = Chalice's SAM template with the declared event-source
## settings, alarms and log groups merged in, plus infra/resources.yaml. No AWS account needed.
package deploy destroy: STAGE ?= dev
package: $(STAMP)
	$(BIN)/python -m deploy package --stage $(STAGE)

## make deploy STAGE=s [PARAMS="AlarmEmail=ops@example.com StreamShardCount=2"]: the
## resources stack, chalice deploy, then the declared settings. Safe to re-run.
PARAMS ?=
deploy: $(STAMP)
	$(BIN)/python -m deploy deploy --stage $(STAGE) $(foreach p,$(PARAMS),--parameter $(p))

## make destroy STAGE=s: deletes the app; CONFIRM=yes also deletes the tables, stream, queues.
CONFIRM ?= no
destroy: $(STAMP)
	$(BIN)/python -m deploy destroy --stage $(STAGE) $(if $(filter yes,$(CONFIRM)),--confirm)
