# One target per habit. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pip itself is pinned, to a release chalice accepts (chalice 1.34 declares pip<26.3): an
# unpinned upgrade installs a newer pip and every install then warns of the conflict.
# tests/unit/test_install_pins.py checks the pin against chalice's declared requirement.
PIP_VERSION := 26.2.1

.PHONY: contract docs docs-build install run test test-fuzz test-reliability test-scale scale unit lint check clean trace dlq api-key package deploy destroy user token bench bench-emulator bench-post bench-query bench-tradeoff bench-entries cost load reset

# The AsyncAPI 3.0 JSON Schema that tests/unit/test_contract.py checks contract/asyncapi.yaml
# against: the AsyncAPI initiative's own package from the npm registry (PyPI has none that
# ships it), kept as its tarball; the test reads it with no network.
ASYNCAPI_SPECS_VERSION := 6.11.1
ASYNCAPI_SPECS := $(VENV)/asyncapi-specs-$(ASYNCAPI_SPECS_VERSION).tgz

install: $(STAMP)

$(ASYNCAPI_SPECS):
	@command -v npm >/dev/null || { echo "make install needs npm (Node.js) to fetch @asyncapi/specs"; exit 2; }
	mkdir -p $(VENV)
	npm pack --silent --pack-destination $(VENV) @asyncapi/specs@$(ASYNCAPI_SPECS_VERSION) >/dev/null

# The producer package (producer/, its own pyproject.toml) is installed editable, so the
# tests, the docs and loadtests use the code in the working tree.
$(STAMP): requirements.txt requirements-dev.txt requirements-docs.txt producer/pyproject.toml $(ASYNCAPI_SPECS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e ./producer
	touch $(STAMP)

## make contract: write the copies of contract/ (schemas, validator, AsyncAPI document) into
## chalicelib/contract/, the producer package and docs/contract/; tests fail while one differs.
## .venv/bin/python -m contract release freezes the schemas' current versions.
contract: $(STAMP)
	$(BIN)/python -m contract

## make run: the whole local stack (emulator, infrastructure, event runtime, HTTP API).
run: $(STAMP)
	$(BIN)/python -m devstack

## make reset: the next make run starts empty (deletes the snapshot of local data in
## LOCAL_DATA_DIR, default .local/data; run it while the stack is stopped).
reset: $(STAMP)
	@$(BIN)/python -m devstack.snapshot reset

## make test: every test; starts its own emulator on free ports. The full-size
## reliability runs (marked "full") are left to make test-reliability. TEST_WORKERS
## (default 2) pytest-xdist workers, each with its own emulator on free ports, the shared
## local stack's tests on one of them (tests/conftest.py); TEST_WORKERS=0: one process.
## Measured on 2 cores: 5 min 0-19 s with two workers, 9 min 18 s in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder)

## make test-reliability: tests/reliability at full size (200 posts x 1,000 followers under
## kill -9 of the runtime, a 10 s outage, 10% injected faults) and the short cases; prints figures.
test-reliability: $(STAMP)
	$(BIN)/python -m pytest tests/reliability -s -m "not fuzz"

## make test-fuzz: the long Schemathesis run over openapi.yaml (FUZZ_EXAMPLES per operation
## and generation mode, default 100: about 4,000 cases); make test runs a short one.
test-fuzz: $(STAMP)
	$(BIN)/python -m pytest -m fuzz -s tests/reliability/test_bad_input.py

## make test-scale: the 100,000-follower post through the range workers on the emulator
## (marked "full"); prints its cost in counted calls and write units. About 10 minutes.
test-scale: $(STAMP)
	$(BIN)/python -m pytest tests/integration/test_range_fanout.py -s -m full

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py chalicelib local_runtime devstack ops deploy loadtests contract producer/src
	$(BIN)/cfn-lint infra/resources.yaml
	@for stage in dev prod; do \
	  $(BIN)/python -m deploy package --stage $$stage --out build/lint/$$stage >/dev/null || exit 1; \
	done
	$(BIN)/cfn-lint build/lint/dev/sam.json build/lint/dev/resources.yaml \
	  build/lint/prod/sam.json build/lint/prod/resources.yaml
	$(MAKE) --no-print-directory docs-build

## make docs: the docs site on 127.0.0.1:$(DOCS_PORT), rebuilt as you edit (DOCS_PORT overrides).
## make docs-build: the site into build/site, --strict: a broken link or anchor fails.
## NO_MKDOCS_2_WARNING: Material's banner about its successor, printed on every build.
DOCS_PORT ?= 8002
MKDOCS = NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs
docs: $(STAMP)
	$(MKDOCS) serve --dev-addr 127.0.0.1:$(DOCS_PORT)

docs-build: $(STAMP)
	$(MKDOCS) build --strict

## make check: what to run before a pull request.
check: lint test

clean:
	rm -rf $(VENV) .local .pytest_cache .mypy_cache .ruff_cache

## make trace ID=<correlation id>: every log line of one request, in time order, from
## stack.log in LOCAL_LOG_DIR (default .local), the current run of make run; with
## STAGE=<stage>, from the stage's logs on AWS (Logs Insights, the last HOURS=24 hours).
HOURS ?= 24
trace: STAGE ?= local
trace: $(STAMP)
	@test -n "$(ID)" || { echo "usage: make trace ID=<correlation id> [STAGE=<stage>]"; exit 2; }
	@$(if $(filter local,$(STAGE)),$(BIN)/python -m devstack.trace "$(ID)",$(BIN)/python -m ops.trace --stage $(STAGE) --hours $(HOURS) "$(ID)")

## make dlq: what waits in the retry and dead-letter queues of the running local stack,
## or of STAGE=<stage> on AWS. make dlq ARGS="redrive --all" re-drives every dead letter.
LOCAL_AWS_PORT ?= 4566
ARGS ?= list
dlq: STAGE ?= local
dlq: $(STAMP)
	@$(if $(filter local,$(STAGE)),$(LOCAL_AWS_ENV)) $(BIN)/python -m ops.dlq --stage $(STAGE) $(ARGS)

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

## make user NAME=alice: a user in the running local stack's pool, and its users row (AdminCreateUser
## runs no trigger: ops.accounts writes the row as the trigger would); its id token is the last line.
## make token NAME=alice: a fresh id token of that user (last line).
user token: $(STAMP)
	@test -n "$(NAME)" || { echo "usage: make $@ NAME=<username>"; exit 2; }
	@$(if $(filter user,$@),$(LOCAL_AWS_ENV) $(BIN)/python -m devstack.user_pool create --no-token "$(NAME)" && \
	$(LOCAL_AWS_ENV) $(BIN)/python -m ops.accounts --stage local register "$(NAME)" &&) \
	$(LOCAL_AWS_ENV) $(BIN)/python -m devstack.user_pool token "$(NAME)"

## make bench: the fan-out benchmark on a fresh local stack; last line one JSON object.
## Sizes from BENCH_* variables (loadtests/graph.py), e.g. BENCH_BIG_FOLLOWERS=2000.
bench: $(STAMP)
	$(BIN)/python -m loadtests.bench

## make bench-post FOLLOWERS=20000: make bench's phases on one post to FOLLOWERS followers,
## every one active: first entry, entries/s between first and last entry against the raw
## rate, calls per 1,000 entries against the floor. No naive variant, trade-off or entry units.
FOLLOWERS ?= 20000
bench-post: $(STAMP)
	BENCH_ONE_POST=$(FOLLOWERS) $(BIN)/python -m loadtests.bench

## make bench-tradeoff: only the celebrity threshold's trade-off (push vs pull cost), on a
## fresh emulator; BENCH_TRADEOFF_* variables (loadtests/tradeoff.py). Also part of bench.
bench-tradeoff: $(STAMP)
	$(BIN)/python -m loadtests.tradeoff

## make bench-entries: only the write units per feed entry, text in the entry against a
## reference, for 100- and 2,000-character posts, on a fresh emulator. Also part of bench.
bench-entries: $(STAMP)
	$(BIN)/python -m loadtests.entry_units

## make bench-query: the local emulator's Query cost: a feed read and a GSI read before and
## after BENCH_QUERY_SCALING_ROWS (150,000) rows of other users, stock moto against the
## indexed emulator, side by side on two fresh stacks (docs/local-emulator.md).
bench-query: $(STAMP)
	$(BIN)/python -m loadtests.query_scaling

## make bench-emulator: the emulator's CPU per call of each operation the fan-out makes,
## stock moto against make run's emulator, side by side (docs/local-emulator.md).
bench-emulator: $(STAMP)
	$(BIN)/python -m loadtests.emulator_costs

## make cost: $ per million posts from the latest benchmark and loadtests/pricing.json.
cost: $(STAMP)
	$(BIN)/python -m loadtests.cost

## make scale: minutes and $ for one post to SCALE_FOLLOWERS (1,000,000) followers on AWS
## through the follower ranges: loadtests/aws_limits.json, pricing.json, the latest benchmark.
scale: $(STAMP)
	$(BIN)/python -m loadtests.scale

## make load TARGET=<url> USERS=10 RATE=20 DURATION=60s: Locust, headless (no TARGET:
## a fresh local stack); reports in loadtests/results/load-<time>/.
load: $(STAMP)
	TARGET="$(TARGET)" USERS="$(USERS)" RATE="$(RATE)" DURATION="$(DURATION)" \
	$(BIN)/python -m loadtests.load
