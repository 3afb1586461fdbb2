"""The benchmark's settings (``BENCH_*``) and the one-post run they can ask for."""

from __future__ import annotations

import os

import pytest

from loadtests.graph import BenchSettings, build_graph


def test_bench_one_post_is_one_author_posting_once_to_every_active_follower(
    monkeypatch: pytest.MonkeyPatch,
):
    # GIVEN
    monkeypatch.setenv("BENCH_ONE_POST", "20000")
    # WHEN
    settings = BenchSettings.from_environ()
    graph = build_graph(settings)
    # THEN one post of big-00 to 20,000 followers, nobody skipped, no naive variant
    assert graph.posts == ["big-00"]
    assert graph.entries == 20_000
    assert (settings.one_post, settings.inactive_percent, settings.naive) == (20_000, 0, False)


def test_bench_one_post_keeps_an_inactive_share_that_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("BENCH_ONE_POST", "500")
    monkeypatch.setenv("BENCH_INACTIVE_PERCENT", "60")
    monkeypatch.setenv("BENCH_SMALL_AUTHORS", "40")  # the one post wins over the mix
    settings = BenchSettings.from_environ()
    assert (settings.inactive_percent, settings.small_authors, settings.big_followers) == (
        60,
        0,
        500,
    )


def test_without_bench_one_post_the_mixed_run_keeps_its_defaults(
    monkeypatch: pytest.MonkeyPatch,
):
    for name in [n for n in os.environ if n.startswith("BENCH_")]:
        monkeypatch.delenv(name)
    assert BenchSettings.from_environ() == BenchSettings()
