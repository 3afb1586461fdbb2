"""The benchmark's figures (``loadtests/figures.py``) from hand-made logs and counts:
every expected value below is worked out by hand in the comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.feedlog import FeedLog, PostTiming
from loadtests.figures import figures, first_entry_ms, post_figures, query_time
from loadtests.floor import floor_formula
from loadtests.report import report_lines
from loadtests.variant import Observed


def _post(posted_at: float, *times: float, followers: int = 2000) -> PostTiming:
    return PostTiming("y1", "big-00", followers, posted_at, tuple(times))


def test_a_posts_rates_over_the_whole_post_and_between_its_first_and_last_entry():
    # GIVEN a post accepted at 100.0 whose first line logs 2 entries at 100.5, then one
    # entry at 101.5 and one at 102.5; raw BatchWriteItem rate 10 entries/s
    post = _post(100.0, 100.5, 100.5, 101.5, 102.5)
    # WHEN
    found = post_figures(post, raw_entries_per_s=10.0)
    # THEN first entry 0.5 s after the 202, last 2.5 s; whole post 4 / 2.5 = 1.6/s = 0.16
    # x raw; the first line's 2 entries were written before it: 2 entries in 2.0 s
    # between first and last, 1.0/s = 0.1 x raw
    assert found == {
        "author_id": "big-00",
        "yubl_id": "y1",
        "followers": 2000,
        "entries": 4,
        "first_entry_ms": 500.0,
        "last_entry_ms": 2500.0,
        "entries_per_s": 1.6,
        "ratio_to_raw": 0.16,
        "first_to_last": {"entries": 2, "seconds": 2.0, "entries_per_s": 1.0, "ratio_to_raw": 0.1},
    }


def test_a_post_written_in_one_line_has_no_rate_between_first_and_last():
    found = post_figures(_post(100.0, 100.5, 100.5), raw_entries_per_s=10.0)
    assert found["first_to_last"] == {
        "entries": 0,
        "seconds": 0.0,
        "entries_per_s": None,
        "ratio_to_raw": None,
    }
    # and without a raw rate there is no ratio, only the rate: 2 / 0.5 s
    assert post_figures(_post(100.0, 100.5, 100.5), None)["ratio_to_raw"] is None
    assert post_figures(_post(100.0, 100.5, 100.5), None)["entries_per_s"] == 4.0


def test_first_entry_percentiles_and_max_over_posts_that_wrote():
    # GIVEN first entries 0.2 s, 0.5 s and 3.0 s after their 202s, and a post with none
    posts = [_post(0.0, 0.2), _post(0.0, 0.5, 0.9), _post(0.0, 3.0), _post(0.0)]
    # THEN nearest rank over [200, 500, 3000]: p50 rank 2, p95 and p99 rank 3
    assert first_entry_ms(posts) == {"p50": 500.0, "p95": 3000.0, "p99": 3000.0, "max": 3000.0}
    assert first_entry_ms([_post(0.0)]) == {}


def test_query_time_sums_every_named_query_against_the_run_and_the_write_paths_calls():
    # GIVEN 10 Queries (4.0 s) and 2 feed trims (1.0 s), 40 BatchWriteItem (5.0 s) and
    # 100 GetRecords (90 s: polling, not the write path), in a run of 4.0 s
    calls = {"Query": 10, "Feeds.Query": 2, "BatchWriteItem": 40, "GetRecords": 100}
    seconds = {"Query": 4.0, "Feeds.Query": 1.0, "BatchWriteItem": 5.0, "GetRecords": 90.0}
    # WHEN
    found = query_time(calls, seconds, run_seconds=4.0)
    # THEN 12 calls, 5.0 s: 416.7 ms each, 5.0 / 4.0 = 1.25 of the run (they overlap),
    # 5.0 / (4.0 + 1.0 + 5.0) = 0.5 of the write path's call seconds
    assert found == {
        "calls": 12,
        "by_name": {"Feeds.Query": 2, "Query": 10},
        "seconds": 5.0,
        "mean_ms": 416.7,
        "share_of_run": 1.25,
        "share_of_write_path_call_seconds": 0.5,
    }


def test_query_time_of_a_run_without_queries():
    found = query_time({"BatchWriteItem": 1}, {"BatchWriteItem": 0.5}, run_seconds=0.0)
    assert (found["calls"], found["mean_ms"], found["share_of_run"]) == (0, None, None)
    assert found["share_of_write_path_call_seconds"] == 0.0


@pytest.fixture
def observed(tmp_path: Path) -> Observed:
    """Two posts accepted at 10.0: "small" (3 followers; entries 0.2, 0.2, 0.4 s after)
    and "large" (2,000 followers; entries 1, 1, 2 and 3 s after)."""
    log = FeedLog(tmp_path / "stack.log", posted_at={"small": 10.0, "large": 10.0})
    log.followers_of.update(small=3, large=2000)
    log.author_of.update(small="small-000", large="big-00")
    for i, at in enumerate((10.2, 10.2, 10.4)):
        log.written[("small", f"s{i}")] = at
    for i, at in enumerate((11.0, 11.0, 12.0, 13.0)):
        log.written[("large", f"l{i}")] = at
    calls = {"PutRecord": 2, "Query": 2, "PublishBatch": 2, "BatchWriteItem": 2, "GetRecords": 50}
    return Observed(
        "optimised",
        expected_entries=7,
        log=log,
        calls=calls,
        seconds_by_op={"Query": 0.6, "BatchWriteItem": 0.3},
        complete=True,
        cpu_seconds={"emulator": 2.5, "runtime": 1.25, "api": None},
        cpu_window_s=3.5,
    )


def test_figures_of_a_run_with_a_small_and_a_large_post(observed: Observed):
    # GIVEN a floor of 7 calls (2 PutRecord, 2 Query, 1 PublishBatch, 2 BatchWriteItem)
    floor = {"PutRecord": 2, "Query": 2, "PublishBatch": 1, "BatchWriteItem": 2}
    # WHEN small posts have at most 1,000 followers, and the raw rate is 7 entries/s
    found = figures(observed, floor, 7.0, {"record_bytes": 300}, small_max_followers=1000)
    # THEN 7 entries from the first 202 (10.0) to the last entry (13.0): 3.0 s, 2.3/s
    # (7 / 3 = 2.333), 2.333 / 7 = 0.333 x raw
    assert (found["feed_entries"], found["seconds"], found["entries_per_s"]) == (7, 3.0, 2.3)
    assert found["ratio_to_raw"] == 0.333
    # AND 8 write-path calls per 7 entries: 1,142.9 per 1,000; the floor 7 per 7: 1,000.0;
    # 8 / 7 = 1.143 x the floor (GetRecords is polling, not the write path)
    assert found["requests_per_1000_entries"] == 1142.9
    assert found["floor_per_1000_entries"] == 1000.0
    assert found["requests_to_floor"] == 1.143
    # AND per entry, all: [200, 200, 400, 1000, 1000, 2000, 3000] ms, nearest rank 4, 7, 7;
    # small posts: [200, 200, 400], ranks 2, 3, 3
    assert found["post_to_feed_ms"] == {"p50": 1000.0, "p95": 3000.0, "p99": 3000.0}
    assert found["post_to_feed_ms_small_posts"] == {"p50": 200.0, "p95": 400.0, "p99": 400.0}
    # AND per post, to its last entry: [400, 3000]; small: [400]
    assert found["post_to_last_entry_ms"] == {"p50": 400.0, "p95": 3000.0, "p99": 3000.0}
    assert found["post_to_last_entry_ms_small_posts"] == {"p50": 400.0, "p95": 400.0, "p99": 400.0}
    # AND first entries 200 and 1,000 ms after their 202s
    assert found["first_entry_ms"] == {"p50": 200.0, "p95": 1000.0, "p99": 1000.0, "max": 1000.0}
    # AND only the large post has its own figures: 4 entries in 3.0 s (1.3/s, 1.333 / 7 =
    # 0.19 x raw); after its first line, 2 entries in 2.0 s (1.0/s, 0.143 x raw)
    (large,) = found["large_posts"]
    assert (large["author_id"], large["entries"], large["first_entry_ms"]) == ("big-00", 4, 1000.0)
    assert (large["entries_per_s"], large["ratio_to_raw"]) == (1.3, 0.19)
    assert large["first_to_last"] == {
        "entries": 2,
        "seconds": 2.0,
        "entries_per_s": 1.0,
        "ratio_to_raw": 0.143,
    }
    # AND the Query seconds against the 3.0 s run (0.2) and the write path's 0.9 s (0.667)
    assert (found["query"]["share_of_run"], found["query"]["share_of_write_path_call_seconds"]) == (
        0.2,
        0.667,
    )
    # AND the CPU seconds of the window, as sampled
    assert found["cpu_seconds"]["by_process"] == {"emulator": 2.5, "runtime": 1.25, "api": None}
    assert found["cpu_seconds"]["window_s"] == 3.5


def test_the_small_post_threshold_decides_which_posts_are_small(observed: Observed):
    # GIVEN small posts of at most 2,000 followers: both posts are small, none is large
    found = figures(observed, {}, None, {}, small_max_followers=2000)
    assert found["post_to_feed_ms_small_posts"] == found["post_to_feed_ms"]
    assert found["large_posts"] == []
    assert found["small_post_max_followers"] == 2000
    # AND without a raw rate there are no ratios to it
    assert found["ratio_to_raw"] is None


def test_a_run_of_one_post_reports_it_as_large_whatever_its_followers(tmp_path: Path):
    log = FeedLog(tmp_path / "stack.log", posted_at={"only": 10.0}, followers_of={"only": 5})
    log.written[("only", "f0")] = 10.5
    observed = Observed("optimised", 1, log, {}, {}, True)
    (only,) = figures(observed, {}, None, {}, small_max_followers=1000)["large_posts"]
    assert (only["yubl_id"], only["followers"], only["first_entry_ms"]) == ("only", 5, 500.0)


def test_the_printed_report_gives_each_figure_its_line(observed: Observed):
    floor = {"PutRecord": 2, "Query": 2, "PublishBatch": 1, "BatchWriteItem": 2}
    result = figures(observed, floor, 7.0, {}, small_max_followers=1000)
    result.update(floor=floor, raw_batch_write_entries_per_s=7.0, naive=None)
    lines = report_lines(result)
    assert lines[0] == (
        "optimised: 2 posts, 7 of 7 entries, 3.0 s from the first 202 to the last entry"
    )
    assert lines[1:2] + lines[3:] == [
        "  write-path calls per 1,000 entries: 1,142.9 against a floor of 1,000.0 (1.143 x)",
        "  floor of this run: PutRecord 2 + Query 2 + PublishBatch 1 + BatchWriteItem 2"
        " = 7 calls for 7 entries",
        "  entries/s: 2 = 0.333 x the raw BatchWriteItem rate (7/s)",
        "  first entry after the 202, over posts (ms): p50 200 p95 1,000 p99 1,000 max 1,000",
        "  post of big-00 (2,000 followers, 4 entries): first entry 1,000 ms after its 202;"
        " whole post 1/s = 0.19 x raw; first to last entry 1/s = 0.143 x raw"
        " (2 entries in 2.00 s)",
        "  post to feed, over entries (ms): all p50 1,000 p95 3,000 p99 3,000;"
        " small posts (<= 1,000 followers) p50 200 p95 400 p99 400",
        "  post to last entry, over posts (ms): all p50 400 p95 3,000 p99 3,000;"
        " small posts p50 400 p95 400 p99 400",
        "  Query: 2 calls, 0.6 s = 0.2 x the run, 0.667 x the write path's call seconds",
        "  CPU seconds in the 3.5 s window (psutil): emulator 2.5, runtime 1.2, api n/a",
    ]
    assert lines[2] == f"  floor {floor_formula()}"


def test_the_naive_variants_block_follows_without_the_optimised_runs_floor(observed: Observed):
    floor = {"PutRecord": 2, "Query": 2, "PublishBatch": 1, "BatchWriteItem": 2}
    result = figures(observed, floor, 7.0, {}, small_max_followers=1000)
    naive = figures(observed, floor, 7.0, {}, small_max_followers=1000)
    result.update(floor=floor, raw_batch_write_entries_per_s=7.0, naive=naive)
    lines = report_lines(result)
    starts = [i for i, line in enumerate(lines) if not line.startswith(" ")]
    assert [lines[i].split(":")[0] for i in starts] == ["optimised", "naive"]
    naive_lines = lines[starts[1] :]
    assert naive_lines[1].startswith("  write-path calls per 1,000 entries: 1,142.9")
    assert not [line for line in naive_lines if line.startswith("  floor")]
    assert naive_lines[2] == "  entries/s: 2 = 0.333 x the raw BatchWriteItem rate (7/s)"
