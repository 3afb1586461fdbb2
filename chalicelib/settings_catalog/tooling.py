"""Variables of the tools around the app, never deployed: the local stack (``devstack``),
the local event runtime, the benchmarks and load tests (``loadtests``), the tests, and the
standard AWS variables that the project's own code reads.

Declared here, with the app's, so that the settings page lists every variable the project
reads. ``local_runtime``, ``devstack``, ``deploy`` and ``ops`` never import ``chalicelib``
(tests/unit/test_architecture.py), so they read their own variables directly; the list
still declares them, and tests/unit/test_settings_catalog.py holds that it does.
"""

from __future__ import annotations

from . import Section, Setting

_STACK = "make run (devstack)"
_BENCH = "make bench (loadtests)"

LOCAL_STACK = Section(
    "The local stack",
    "`make run` ([Running locally](../running-locally.md)).",
    (
        Setting(
            "LOCAL_AWS_PORT",
            "port of the local AWS emulator",
            f"{_STACK}, make user, make token, make dlq, make api-key",
            default="4566",
            kind="port",
        ),
        Setting("API_PORT", "port of the local HTTP API", _STACK, default="8000", kind="port"),
        Setting(
            "LOCAL_LOG_DIR",
            "where the stack's logs go (`stack.log` and one file per process)",
            f"{_STACK}, make trace",
            default=".local",
            kind="path",
        ),
        Setting(
            "LOCAL_DATA_DIR",
            "where the stack keeps its snapshot of local data; unset: `data` in `LOCAL_LOG_DIR`",
            f"{_STACK}, make reset",
            kind="path",
        ),
        Setting(
            "LOCAL_SNAPSHOT_SECONDS",
            "a running stack saves its data this often; 0 = only at a clean stop",
            _STACK,
            default="300",
            kind="number",
        ),
        Setting(
            "LOCAL_KEEP_DATA",
            "`0` (or `false`, `no`): keep no data between runs",
            _STACK,
            default="1",
            kind="flag",
        ),
        Setting(
            "LOCAL_QUERY_INDEX",
            "`0` (or `false`, `no`): the emulator runs as stock moto: its DynamoDB Query reads "
            "every item of the table, and its routing, its items, its key comparisons, its SQS "
            "and Python's full garbage collections of its heap keep their own overheads "
            "([The local emulator](../local-emulator.md))",
            f"{_STACK}, the tests' emulators",
            default="1",
            kind="flag",
        ),
        Setting(
            "LOCAL_CPU_PINNING",
            "`0` (or `false`, `no`): the emulator and its callers run wherever the scheduler "
            "puts them; otherwise, with two or more cores, the emulator runs on a core of its "
            "own and the runtime, the API and the benchmark's raw loop on the others "
            "([Running locally](../running-locally.md#cores))",
            f"{_STACK}, {_BENCH}, make load",
            default="1",
            kind="flag",
        ),
        Setting(
            "MONITOR_PORT",
            "port of the local operations page ([Monitoring](../monitoring.md)); unset: the "
            "API's port + 1",
            _STACK,
            kind="port",
        ),
        Setting("DOCS_PORT", "port of `make docs`", "make docs", default="8002", kind="port"),
    ),
)

LOCAL_RUNTIME = Section(
    "The local event runtime",
    "`python -m local_runtime` ([The local event runtime](../local-runtime.md)).",
    (
        Setting(
            "LOCAL_RUNTIME_CHECKPOINT_TABLE",
            "DynamoDB table of the runtime's Kinesis checkpoints",
            "local_runtime, make bench",
            default="local-runtime-checkpoints",
        ),
        Setting(
            "LOCAL_RUNTIME_POLL_INTERVAL",
            "seconds between polls of an idle source",
            "local_runtime",
            default="0.2",
            kind="number",
        ),
        Setting(
            "LOCAL_RUNTIME_RECEIVE_WAIT_SECONDS",
            "WaitTimeSeconds of the runtime's ReceiveMessage calls (SQS long polling); "
            "0 polls every poll interval",
            "local_runtime",
            default="1",
            low=0,
            high=20,
            kind="integer",
        ),
        Setting(
            "LOCAL_RUNTIME_ASYNC_RETRY_DELAYS",
            "seconds before each of Lambda's asynchronous retries",
            "local_runtime",
            default="60,120",
            kind="comma-separated numbers",
        ),
        Setting(
            "LOCAL_RUNTIME_STREAM_RETRY_MIN_DELAY",
            "first pause before a failed stream batch is retried",
            "local_runtime",
            default="0.1",
            kind="number",
        ),
        Setting(
            "LOCAL_RUNTIME_STREAM_RETRY_MAX_DELAY",
            "longest pause before a failed stream batch is retried",
            "local_runtime",
            default="2.0",
            kind="number",
        ),
    ),
)


def _bench(name: str, meaning: str, default: str, low: int = 0, high: int = 10**9) -> Setting:
    return Setting(name, meaning, _BENCH, default=default, low=low, high=high, kind="integer")


BENCH = Section(
    "Benchmarks and load tests",
    "`make bench`, `make bench-tradeoff`, `make bench-entries`, `make cost`, `make scale`, "
    "`make load` ([Performance and cost](../performance.md)).",
    (
        _bench("BENCH_BIG_AUTHORS", "authors with `BENCH_BIG_FOLLOWERS` followers", "2"),
        _bench("BENCH_BIG_FOLLOWERS", "followers of each big author", "10000"),
        _bench(
            "BENCH_SMALL_AUTHORS", "authors with 0 to `BENCH_SMALL_MAX_FOLLOWERS` followers", "40"
        ),
        _bench("BENCH_SMALL_MAX_FOLLOWERS", "most followers of a small author", "500"),
        _bench("BENCH_POSTS_PER_AUTHOR", "posts by each author", "1", low=1),
        _bench("BENCH_TEXT_BYTES", "the text of every post", "140", low=1, high=100_000),
        _bench("BENCH_POST_INTERVAL_MS", "pause between posts; 0: a burst", "0"),
        _bench(
            "BENCH_RAW_ITEMS",
            "items per thread count in the emulator's raw write rate; 0 skips it",
            "5000",
        ),
        Setting(
            "BENCH_RAW_THREADS",
            "client thread counts of the raw write rate",
            _BENCH,
            default="1,2,4,8",
            kind="comma-separated integers",
        ),
        Setting(
            "BENCH_NAIVE",
            "`0` (or `false`, `no`) skips the naive variant",
            _BENCH,
            default="1",
            kind="flag",
        ),
        _bench(
            "BENCH_NAIVE_MAX_ENTRIES",
            "the naive variant runs the posts that fit in this many entries",
            "3000",
            low=1,
        ),
        _bench("BENCH_SEED", "seed of the follower graph", "14"),
        _bench("BENCH_TIMEOUT_S", "per variant, from the first post", "900", low=1),
        _bench(
            "BENCH_QUERY_SCALING_ROWS",
            "rows of other users `python -m loadtests.query_scaling` adds to each table",
            "150000",
        ),
        _bench(
            "BENCH_EMULATOR_COSTS_SCALE",
            "multiplies the calls of each operation `make bench-emulator` measures",
            "1",
            low=1,
            high=100,
        ),
        _bench(
            "BENCH_QUERY_SCALING_READS",
            "timed reads of each kind in `python -m loadtests.query_scaling`",
            "20",
            low=1,
        ),
        _bench(
            "BENCH_ONE_POST",
            "followers of the one-post run's only post (`make bench-post`); 0: the mixed run. "
            "Every follower is active in it unless `BENCH_INACTIVE_PERCENT` is set",
            "0",
        ),
        _bench(
            "BENCH_INACTIVE_PERCENT",
            "share of followers seeded with a last read older than `FANOUT_ACTIVE_DAYS`",
            "60",
            high=100,
        ),
        Setting(
            "BENCH_RESULTS_DIR", "where results go; unset: `loadtests/results`", _BENCH, kind="path"
        ),
        Setting(
            "BENCH_COUNT_TABLES",
            "`1`: name each DynamoDB call's table in the counts (`Query@relationships-local`)",
            _BENCH,
            kind="flag",
        ),
        Setting(
            "BENCH_COUNTS_DIR",
            "set by `make bench` in the stack's processes: where each writes its call counts",
            _BENCH,
            kind="path",
        ),
        Setting(
            "BOTOCORE_EXPERIMENTAL__PLUGINS",
            "botocore's client plugins; `make bench` loads its call counter into the stack's "
            "processes with it",
            _BENCH,
        ),
        Setting(
            "BENCH_TRADEOFF",
            "`0` (or `false`, `no`): `make bench` leaves the celebrity trade-off out",
            f"{_BENCH}, make bench-tradeoff",
            default="1",
            kind="flag",
        ),
        Setting(
            "BENCH_TRADEOFF_FOLLOWERS",
            "follower counts of the trade-off's authors",
            "make bench-tradeoff",
            default="100,1000,10000",
            kind="comma-separated integers",
        ),
        Setting(
            "BENCH_TRADEOFF_CELEBRITIES",
            "celebrities a reader follows, per measured read",
            "make bench-tradeoff",
            default="0,1,5,20",
            kind="comma-separated integers",
        ),
        Setting(
            "BENCH_TRADEOFF_FOLLOWING",
            "authors a reader follows, celebrities among them",
            "make bench-tradeoff",
            default="200",
            low=1,
            high=10**6,
            kind="integer",
        ),
        Setting(
            "BENCH_TRADEOFF_PAGE",
            "feed page size of the measured reads",
            "make bench-tradeoff",
            default="20",
            low=1,
            high=1000,
            kind="integer",
        ),
        Setting(
            "BENCH_ENTRY_UNITS_ENTRIES",
            "entries written per post length and shape",
            "make bench-entries",
            default="50",
            low=1,
            high=10_000,
            kind="integer",
        ),
        Setting(
            "BENCH_RESULT",
            "the benchmark result to price; unset: the latest",
            "make cost, make scale",
            kind="path",
        ),
        Setting(
            "SCALE_FOLLOWERS",
            "followers of the post `make scale` estimates",
            "make scale",
            default="1000000",
            kind="integer",
        ),
        Setting(
            "TARGET",
            "the API `make load` drives; unset: a fresh local stack",
            "make load",
            kind="URL",
        ),
        Setting("USERS", "Locust users", "make load", default="10", kind="integer"),
        Setting(
            "RATE",
            "requests per second, all users together",
            "make load",
            default="20",
            kind="number",
        ),
        Setting("DURATION", "how long Locust runs", "make load", default="60s", kind="duration"),
        Setting(
            "LOAD_USER_POOL",
            "ids the Locust users follow among",
            "make load (locustfile)",
            default="200",
            kind="integer",
        ),
        Setting(
            "LOAD_RATE_PER_USER",
            "requests per second per Locust user; `make load` sets it from `RATE`",
            "make load (locustfile)",
            default="1",
            kind="number",
        ),
        Setting(
            "LOAD_STAGE",
            "the stage whose user pool Locust signs in to",
            "make load (locustfile)",
            default="local",
        ),
        Setting(
            "NAIVE_TOPIC",
            "the naive variant's SNS topic",
            "make bench (loadtests/naive)",
            default="naive-fanout",
        ),
        Setting(
            "NAIVE_STREAM",
            "the naive variant's stream",
            "make bench (loadtests/naive)",
            default="naive-posted",
        ),
        Setting(
            "NAIVE_FEEDS_TABLE", "the naive variant's feeds table", "make bench (loadtests/naive)"
        ),
        Setting(
            "NAIVE_LOG_FILE",
            "the naive variant's log of written entries",
            "make bench (loadtests/naive)",
            kind="path",
        ),
    ),
)

TESTS = Section(
    "Tests",
    "`make test` and its long runs ([Running locally](../running-locally.md#tests)).",
    (
        Setting(
            "TEST_WORKERS",
            "pytest-xdist workers of `make test`; 0: one process",
            "make test",
            default="2",
            kind="integer",
        ),
        Setting(
            "TEST_AWS_ENDPOINT_URL",
            "run the emulator tests against this endpoint instead of a moto server of their own",
            "the tests",
            kind="URL",
        ),
        Setting(
            "FUZZ_EXAMPLES",
            "Schemathesis examples per operation and mode of `make test-fuzz`",
            "make test-fuzz",
            default="100",
            kind="integer",
        ),
        Setting(
            "CHROMIUM_PATH",
            "the Chromium binary of the shortener's browser test",
            "the tests",
            kind="path",
        ),
        Setting("PYTEST_XDIST_WORKER", "set by pytest-xdist in its workers", "the tests"),
        Setting(
            "QUERY_DEFINITIONS_FILE",
            "where the smoke deploy's stand-in for moto's missing saved-query API keeps them",
            "the tests",
            kind="path",
        ),
        Setting(
            "XDG_CACHE_HOME",
            "where the AWS CLI v1 test keeps the CLI's own virtual environment; unset: `~/.cache`",
            "the tests",
            kind="path",
        ),
        Setting(
            "PATH",
            "the system's; handed on to the CLIs the tests run (`yubl_producer`, "
            "`loadtests.stream_load`)",
            "the tests",
        ),
    ),
)

AWS = Section(
    "AWS SDK and Lambda",
    "Standard variables, read by boto3 itself everywhere; listed are the places where the "
    "project's own code reads them too.",
    (
        Setting(
            "AWS_ENDPOINT_URL",
            "the endpoint of every AWS client (the local stack sets the emulator's); `make "
            "dlq` checks a stack answers there",
            "boto3, make dlq",
            kind="URL",
        ),
        Setting("AWS_DEFAULT_REGION", "the region of every AWS client", "boto3, make package"),
        Setting("AWS_REGION", "the region, as Lambda sets it", "boto3, make package"),
        Setting("AWS_ACCESS_KEY_ID", "credentials", "boto3, the tests"),
        Setting("AWS_SECRET_ACCESS_KEY", "credentials", "boto3, the tests"),
        Setting(
            "AWS_LAMBDA_FUNCTION_NAME",
            "set by Lambda: the function's name, in every log line",
            "every function",
        ),
        Setting(
            "CHALICE",
            "the `chalice` command `make package` runs; unset: the one in `.venv`",
            "make package, make deploy",
            kind="path",
        ),
    ),
)

SECTIONS = (LOCAL_STACK, LOCAL_RUNTIME, BENCH, TESTS, AWS)
