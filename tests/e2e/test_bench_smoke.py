"""Smoke test of ``make bench`` and ``make cost`` at tiny sizes: the JSON's structure,
and calls counted inside the stack's processes equal to what the posts must cost,
worked out here by hand. Timed figures are checked against the run's own samples (the
log lines' times, ``samples.json``) and raw rate, worked out here. No timing is asserted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from loadtests.bench import run
from loadtests.cost import costs, load_pricing
from loadtests.floor import floor_formula
from loadtests.graph import BenchSettings, build_graph
from loadtests.inactive import choose_inactive
from loadtests.tradeoff import TradeoffSettings

pytestmark = [pytest.mark.e2e, pytest.mark.emulator]

SETTINGS = BenchSettings(
    big_authors=1,
    big_followers=60,
    small_authors=2,
    small_max_followers=30,
    raw_items=50,
    raw_threads=(1, 2),
    naive=True,
    naive_max_entries=1_000,
    timeout_s=240,
)
TRADEOFF = TradeoffSettings(
    follower_counts=(30,), celebrities_followed=(0, 2), following=4, page=3, group_size=20
)


# posts to at most this many followers are small: the 60-follower post is large, the
# small authors' posts (0-30 followers) are small
SMALL_MAX = 40


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FANOUT_PRIORITY_MAX_FOLLOWERS", str(SMALL_MAX))
        return run(
            SETTINGS, tmp_path_factory.mktemp("bench"), lambda _: None, tradeoff_settings=TRADEOFF
        )


@pytest.fixture(scope="module")
def samples(result: dict) -> dict:
    """The optimised run's posts (yubl id -> accepted at) and entries' write times (yubl
    id -> times), as the workers' log lines gave them."""
    found = json.loads((Path(result["run_dir"]) / "samples.json").read_text())["optimised"]
    times: dict[str, list[float]] = {y: [] for y in found["posted_at"]}
    for yubl_id, _, at in found["written"]:
        times[yubl_id].append(at)
    return {"posted_at": found["posted_at"], "times": {y: sorted(t) for y, t in times.items()}}


def _nearest_rank(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {f"p{p}": round(ordered[math.ceil(p / 100 * len(ordered)) - 1], 1) for p in (50, 95, 99)}


def _active_sizes() -> list[int]:
    """Per post, its followers that the optimised variant writes to: the inactive share
    (BENCH_INACTIVE_PERCENT, 60 %) is skipped."""
    graph = build_graph(SETTINGS)
    quiet = choose_inactive(graph, SETTINGS.inactive_percent, SETTINGS.seed)
    return [sum(1 for f in graph.followers[a] if f not in quiet) for a in graph.posts]


def test_every_feed_entry_is_written_once_in_both_variants(result):
    graph = build_graph(SETTINGS)
    everyone = sum(len(graph.followers[a]) for a in graph.posts)
    # the optimised variant skips inactive followers; the naive one writes to all
    expected = {"optimised": sum(_active_sizes()), "naive": everyone}
    assert 0 < expected["optimised"] < everyone
    for name, figures in (("optimised", result), ("naive", result["naive"])):
        assert figures["complete"] is True
        assert figures["feed_entries"] == figures["expected_entries"] == expected[name]
        assert figures["duplicate_writes"] == 0
        assert set(figures["post_to_feed_ms"]) == {"p50", "p95", "p99"}


def test_the_inactive_followers_savings_are_the_skipped_entries(result):
    graph = build_graph(SETTINGS)
    everyone = sum(len(graph.followers[a]) for a in graph.posts)
    saved = everyone - sum(_active_sizes())
    inactive = result["inactive"]
    assert (inactive["entries_skipped"], inactive["write_units_saved"]) == (saved, saved)
    assert inactive["entries_written"] == everyone - saved
    calls = inactive["batch_write_calls"]
    assert (
        calls["measured"] == calls["with_skip"] == sum(math.ceil(n / 25) for n in _active_sizes())
    )
    lookups = inactive["activity_lookups"]
    reached = sum(1 for a in graph.posts if graph.followers[a])
    assert lookups["batch_get_calls_measured"] == lookups["batch_get_calls"] == reached


def _post_counts() -> tuple[int, int, int, int]:
    """Posts, posts that reach a follower, posts that write an entry, BatchWriteItem calls
    of active followers."""
    graph = build_graph(SETTINGS)
    sizes = [len(graph.followers[a]) for a in graph.posts]
    written = sum(1 for n in _active_sizes() if n)  # posts with an entry to write
    writes = sum(math.ceil(n / 25) for n in _active_sizes())
    return len(sizes), sum(1 for n in sizes if n), written, writes


def _archived(result: dict) -> int:
    """The archive's objects (S3 PutObject): as many as the queue handed out batches."""
    archived = result["aws_requests"]["other"]["PutObject"]
    posts = _post_counts()[0]
    assert 1 <= archived <= 2 * posts
    return archived


def _expected_write_path(result: dict) -> dict[str, int]:
    # every post has at most FANOUT_PRIORITY_MAX_FOLLOWERS (1,000) followers: the
    # dispatcher reads them in one Query and, for a post with followers, the author's
    # muters in one more (the muted_by index over their id range); every group fits one
    # message (at most 100 followers), one PublishBatch on the priority lane per post with
    # followers, and one per post to each of the notifications and archive groups. The
    # dispatcher stores each post once (a conditional PutItem on the posts table) and
    # writes its progress after the feed's PublishBatch (PutItem); on a post's first
    # attempt it reads no progress, and a read of at most 1,000 followers needs no
    # follower count (hybrid fan-out's threshold is 10,000). Each feed message's worker
    # looks its followers up (one BatchGetItem), writes 25 active followers' entries per
    # BatchWriteItem, then reads the post's tombstone once (a consistent GetItem), if it
    # wrote any. A capped feed's trims, drawn by a hash of the random yubl ids, are
    # counted apart (Feeds.Query; their share is pinned in tests/unit/test_feed_cap.py).
    # Accounts: the dispatcher reads each post's author's status once (one BatchGetItem
    # of the users table), and the archive worker, per object it writes (S3 PutObject),
    # reads its authors' statuses and indexes them (one BatchWriteItem of the index)
    posts, reached, written, writes = _post_counts()
    archived = _archived(result)
    return {
        "PutRecord": posts,
        "Query": posts + reached,
        "PublishBatch": reached + 2 * posts,
        "BatchGetItem": reached,
        "BatchWriteItem": writes,
        "GetItem": written,
        "Accounts.BatchGetItem": posts + archived,
        "Accounts.BatchWriteItem": archived,
        "PutItem": reached + posts,  # progress items, and each post stored once
    }


def _expected_floor() -> dict[str, int]:
    # the same, less the bookkeeping (progress, storing the post): one message per post
    # at SNS's limits, so one tombstone read per post that wrote entries
    posts, reached, written, writes = _post_counts()
    return {
        "PutRecord": posts,
        "Query": posts + reached,
        "PublishBatch": reached + 2 * posts,
        "BatchGetItem": reached,
        "BatchWriteItem": writes,
        "GetItem": written,
    }


def test_the_optimised_write_path_makes_exactly_the_calls_its_posts_need(result):
    write_path = dict(result["aws_requests"]["write_path"])
    write_path.pop("Feeds.Query", None)
    assert write_path == _expected_write_path(result)
    assert result["floor"] == _expected_floor()
    posts, reached, written, writes = _post_counts()
    floor_calls = posts + (posts + reached) + (reached + 2 * posts) + reached + writes + written
    assert result["floor_per_1000_entries"] == round(floor_calls * 1000 / sum(_active_sizes()), 1)
    assert {"GetRecords", "ReceiveMessage"} <= set(result["aws_requests"]["polling"])


def test_write_path_calls_per_1000_entries_are_reported_against_the_floor_and_its_formula(result):
    # the calls pinned above, plus the capped feeds' trims as counted (random yubl ids)
    trims = result["aws_requests"]["write_path"].get("Feeds.Query", 0)
    calls = sum(_expected_write_path(result).values()) + trims
    floor = sum(_expected_floor().values())
    entries = sum(_active_sizes())
    assert result["requests_per_1000_entries"] == round(calls * 1000 / entries, 1)
    # every entry written: calls over floor calls, per the same entries
    assert result["requests_to_floor"] == pytest.approx(calls / floor, abs=6e-4)
    assert result["floor_formula"] == floor_formula()


def test_the_naive_variant_publishes_and_writes_once_per_entry(result):
    naive = result["naive"]
    write_path = naive["aws_requests"]["write_path"]
    assert write_path["Publish"] == write_path["PutItem"] == naive["feed_entries"]
    assert write_path["PutRecord"] == write_path["Query"] == naive["posts"]


def test_raw_rate_and_ratios_are_reported(result, samples):
    raw = result["raw_batch_write"]
    assert set(raw["by_threads"]) == {1, 2}
    best = max(raw["by_threads"].values())
    assert raw["entries_per_s"] == best > 0
    # worked out from the run's samples: every entry, from the first 202 to the last entry
    times = [t for ts in samples["times"].values() for t in ts]
    rate = len(times) / (max(times) - min(samples["posted_at"].values()))
    assert result["ratio_to_raw"] == pytest.approx(rate / best, abs=6e-4)


def _large_yubl(result: dict) -> str:
    """The one large post's yubl id: the run's only post to more than SMALL_MAX followers."""
    (large,) = result["large_posts"]
    return large["yubl_id"]


def test_the_large_post_reports_its_first_entry_and_both_rates_against_raw(result, samples):
    graph = build_graph(SETTINGS)
    (author,) = [a for a in graph.posts if len(graph.followers[a]) > SMALL_MAX]
    quiet = choose_inactive(graph, SETTINGS.inactive_percent, SETTINGS.seed)
    active = sum(1 for f in graph.followers[author] if f not in quiet)
    (large,) = result["large_posts"]
    assert (large["author_id"], large["followers"], large["entries"]) == (author, 60, active)
    assert result["small_post_max_followers"] == SMALL_MAX
    # worked out from its log lines' times and the best raw rate
    times, posted = samples["times"][large["yubl_id"]], samples["posted_at"][large["yubl_id"]]
    best = max(result["raw_batch_write"]["by_threads"].values())
    assert large["first_entry_ms"] == round((times[0] - posted) * 1000, 1)
    assert large["last_entry_ms"] == round((times[-1] - posted) * 1000, 1)
    assert large["ratio_to_raw"] == pytest.approx(active / (times[-1] - posted) / best, abs=6e-4)
    # between its first and last write lines: the entries logged after the first line
    after_first = [t for t in times if t > times[0]]
    between = large["first_to_last"]
    assert between["entries"] == len(after_first)
    if after_first:  # the workers may log all 60 in one line
        expected = len(after_first) / (times[-1] - times[0]) / best
        assert between["ratio_to_raw"] == pytest.approx(expected, abs=6e-4)
    else:
        assert between["ratio_to_raw"] is None


def test_post_to_feed_and_first_entry_percentiles_for_all_and_small_posts(result, samples):
    large = _large_yubl(result)
    posted, times = samples["posted_at"], samples["times"]
    per_entry = {y: [(t - posted[y]) * 1000 for t in ts] for y, ts in times.items()}
    small = [y for y in times if y != large]
    assert result["post_to_feed_ms"] == _nearest_rank([v for vs in per_entry.values() for v in vs])
    assert result["post_to_feed_ms_small_posts"] == _nearest_rank(
        [v for y in small for v in per_entry[y]]
    )
    last = {y: vs[-1] for y, vs in per_entry.items() if vs}
    assert result["post_to_last_entry_ms"] == _nearest_rank(list(last.values()))
    assert result["post_to_last_entry_ms_small_posts"] == _nearest_rank(
        [last[y] for y in small if y in last]
    )
    first = [vs[0] for vs in per_entry.values() if vs]
    assert result["first_entry_ms"] == {**_nearest_rank(first), "max": round(max(first), 1)}


def test_the_share_of_query_and_the_cpu_seconds_of_each_process_are_reported(result):
    # every counted Query: the write path's, pinned above, and the feeds' trims
    trims = result["aws_requests"]["write_path"].get("Feeds.Query", 0)
    query = result["query"]
    assert query["calls"] == _expected_write_path(result)["Query"] + trims
    assert query["share_of_run"] > 0
    assert 0 < query["share_of_write_path_call_seconds"] < 1
    cpu = result["cpu_seconds"]
    assert set(cpu["by_process"]) == {"emulator", "runtime", "api"}
    assert all(s is not None and s >= 0 for s in cpu["by_process"].values())
    assert cpu["by_process"]["emulator"] > 0  # it answered every call of the run
    assert set(result["naive"]["cpu_seconds"]["by_process"]) == {"emulator", "runtime"}


def test_cost_has_every_line_item_for_both_variants(result):
    found = costs(result, load_pricing())
    items = {
        "lambda_requests",
        "lambda_gb_seconds",
        "kinesis_shard_hours",
        "kinesis_put_units",
        "sns_publishes",
        "sns_deliveries",
        "sqs_requests",
        "dynamodb_writes",
        "dynamodb_reads",
        "total",
    }
    assert set(found["optimised"]) == set(found["naive"]) == items
    # the naive variant publishes once per entry: more SNS requests than batches of 10
    assert found["naive"]["sns_publishes"] > found["optimised"]["sns_publishes"]


def test_the_tradeoff_counts_what_a_pushed_and_a_pulled_post_and_a_merged_page_need(result):
    (write,) = result["celebrity_tradeoff"]["write_per_post"]
    # pushed to 30 followers: the post stored, one Query of the followers (30, within the
    # threshold: no count to read), two follower groups of 20 in one PublishBatch, 25
    # entries per BatchWriteItem, each group's worker reading the post's tombstone after
    # its writes (one consistent GetItem each)
    assert write["push"]["by_operation"] == {
        "PutItem": 1,
        "GetItem": 2,
        "Query": 1,
        "PublishBatch": 1,
        "BatchWriteItem": 2,
    }
    assert write["push"]["write_units"] == 1 + 30
    # pulled: the post stored, the followers read (30, over the threshold of 29), the
    # count read, the author and the post marked
    assert write["pull"]["by_operation"] == {
        "PutItem": 1,
        "Query": 1,
        "GetItem": 1,
        "UpdateItem": 2,
    }
    assert write["pull"]["write_units"] == 3
    pages = {
        row["celebrities_followed"]: row for row in result["celebrity_tradeoff"]["read_per_page"]
    }
    # the plain page: its Query and one BatchGetItem; merged: plus the pulling index, the
    # follow list, and one Query per celebrity followed
    # (exact: FEEDS_TABLE is never set in this process, where counting.py would name the
    # feed Queries Feeds.Query; tests/conftest.py fails a fixture that leaves it set)
    assert pages[0]["plain_page"]["by_operation"] == {"Query": 1, "BatchGetItem": 1}
    assert pages[0]["merged_first_page"]["by_operation"] == {"Query": 3, "BatchGetItem": 1}
    assert pages[2]["merged_first_page"]["by_operation"]["Query"] == 5


def _kb_units(*attributes: tuple[str, str]) -> int:
    """DynamoDB's write rule: one unit per started KB of attribute names + UTF-8 values."""
    return math.ceil(sum(len(n) + len(v.encode()) for n, v in attributes) / 1024)


def test_a_reference_entry_costs_one_write_unit_and_the_text_in_it_cost_more(result):
    # the bench's ids: author "entry-units-" + 6 hex digits, readers author + "-r0000",
    # yubl ids of 13 + 1 + 12 characters, posted_at like 2026-01-01T00:00:00.000Z
    author, reader = "entry-units-abcdef", "entry-units-abcdef-r0000"
    yubl_id, posted_at = "1767225600000-0123456789ab", "2026-01-01T00:00:00.000Z"
    ids = [("user_id", reader), ("yubl_id", yubl_id), ("author_id", author)]
    found = result["entry_write_units"]
    assert found["entries_per_shape"] == 50
    expected = {}
    for length in (100, 2_000):
        for name, text in ((str(length), "x" * length), (f"{length}_multibyte", "é" * length)):
            expected[name] = {
                "text_in_entry": _kb_units(*ids, ("text", text), ("posted_at", posted_at)),
                "reference": _kb_units(*ids, ("posted_at", posted_at)),
                "post_once": _kb_units(*ids[1:], ("text", text), ("posted_at", posted_at)),
            }
            assert found[name] == expected[name]
    # 124-byte references; the old entries of 2,000 characters: 2,128 bytes, 4,128 in é
    assert {n: (e["text_in_entry"], e["reference"]) for n, e in expected.items()} == {
        "100": (1, 1),
        "2000": (3, 1),
        "100_multibyte": (1, 1),
        "2000_multibyte": (5, 1),
    }
