"""The benchmark's follower graph and posts: a few big authors, many small ones.

Deterministic for a seed, so two runs with the same settings fan out the same posts
to the same followers.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace

from chalicelib.settings_catalog import read_int, read_text

__all__ = ["BenchSettings", "FollowerGraph", "build_graph"]


def _int(name: str) -> int:
    return read_int(os.environ, name)


def _off(name: str) -> bool:
    """A flag that ``0``, ``false`` or ``no`` turns off."""
    return read_text(os.environ, name).lower() in ("0", "false", "no")


@dataclass(frozen=True)
class BenchSettings:
    """Sizes of a run; every one has a ``BENCH_*`` environment variable."""

    big_authors: int = 2  # BENCH_BIG_AUTHORS
    big_followers: int = 10_000  # BENCH_BIG_FOLLOWERS
    small_authors: int = 40  # BENCH_SMALL_AUTHORS
    small_max_followers: int = 500  # BENCH_SMALL_MAX_FOLLOWERS: each has 0..this many
    posts_per_author: int = 1  # BENCH_POSTS_PER_AUTHOR
    text_bytes: int = 140  # BENCH_TEXT_BYTES: the text of every post
    post_interval_ms: int = 0  # BENCH_POST_INTERVAL_MS: pause between posts; 0: a burst
    raw_items: int = 5_000  # BENCH_RAW_ITEMS: items per thread count in the raw measurement
    raw_threads: tuple[int, ...] = (1, 2, 4, 8)  # BENCH_RAW_THREADS, comma-separated
    naive: bool = True  # BENCH_NAIVE=0 skips the naive variant
    naive_max_entries: int = 3_000  # BENCH_NAIVE_MAX_ENTRIES: the naive variant's share
    seed: int = 14  # BENCH_SEED
    timeout_s: int = 900  # BENCH_TIMEOUT_S: per variant, from the first post
    inactive_percent: int = 60  # BENCH_INACTIVE_PERCENT: followers with no read for long
    one_post: int = 0  # BENCH_ONE_POST: the followers of a run's only post; 0: the mixed run

    def with_one_post(self, followers: int) -> BenchSettings:
        """One author with ``followers`` followers posting once, and nothing else: no
        small authors, no naive variant (``make bench`` leaves out the trade-off and the
        entry units too)."""
        return replace(
            self,
            one_post=followers,
            big_authors=1,
            big_followers=followers,
            small_authors=0,
            posts_per_author=1,
            naive=False,
        )

    @classmethod
    def from_environ(cls) -> BenchSettings:
        """The settings of ``BENCH_*``; with ``BENCH_ONE_POST``, the one-post run, where
        every follower is active unless ``BENCH_INACTIVE_PERCENT`` says otherwise."""
        threads = read_text(os.environ, "BENCH_RAW_THREADS")
        try:
            raw_threads = tuple(int(t) for t in threads.split(","))
        except ValueError:
            raise ValueError(f"BENCH_RAW_THREADS: {threads!r} is not a list of integers") from None
        if any(t < 1 for t in raw_threads):
            raise ValueError(f"BENCH_RAW_THREADS: {threads!r} has a count below 1")
        one_post = _int("BENCH_ONE_POST")
        # one post: everyone reads, unless BENCH_INACTIVE_PERCENT is set
        given = "BENCH_INACTIVE_PERCENT" in os.environ
        inactive = _int("BENCH_INACTIVE_PERCENT") if given or not one_post else 0
        settings = cls(
            big_authors=_int("BENCH_BIG_AUTHORS"),
            big_followers=_int("BENCH_BIG_FOLLOWERS"),
            small_authors=_int("BENCH_SMALL_AUTHORS"),
            small_max_followers=_int("BENCH_SMALL_MAX_FOLLOWERS"),
            posts_per_author=_int("BENCH_POSTS_PER_AUTHOR"),
            text_bytes=_int("BENCH_TEXT_BYTES"),
            post_interval_ms=_int("BENCH_POST_INTERVAL_MS"),
            raw_items=_int("BENCH_RAW_ITEMS"),
            raw_threads=raw_threads,
            naive=not _off("BENCH_NAIVE"),
            naive_max_entries=_int("BENCH_NAIVE_MAX_ENTRIES"),
            seed=_int("BENCH_SEED"),
            timeout_s=_int("BENCH_TIMEOUT_S"),
            inactive_percent=inactive,
        )
        return settings.with_one_post(one_post) if one_post else settings


@dataclass(frozen=True)
class FollowerGraph:
    followers: dict[str, list[str]]  # author -> follower ids, sorted (the table's order)
    posts: list[str]  # author of each post, in posting order

    @property
    def entries(self) -> int:
        return sum(len(self.followers[a]) for a in self.posts)

    def relationships(self) -> int:
        return sum(len(f) for f in self.followers.values())

    def first_posts(self, max_entries: int) -> FollowerGraph:
        """The posts, in order, that fit in ``max_entries`` (posts too big are passed over):
        the naive variant's share, one SNS message and one invocation per entry being
        about a hundred times slower on this machine."""
        chosen: list[str] = []
        total = 0
        for author in self.posts:
            n = len(self.followers[author])
            if total + n <= max_entries:
                chosen.append(author)
                total += n
        return FollowerGraph(followers=self.followers, posts=chosen)


def build_graph(settings: BenchSettings) -> FollowerGraph:
    rng = random.Random(settings.seed)
    pool = max(settings.big_followers, settings.small_max_followers, 1)
    users = [f"u{i:06d}" for i in range(pool)]
    followers: dict[str, list[str]] = {}
    for i in range(settings.big_authors):
        followers[f"big-{i:02d}"] = users[: settings.big_followers]
    for i in range(settings.small_authors):
        n = rng.randint(0, settings.small_max_followers)
        followers[f"small-{i:03d}"] = sorted(rng.sample(users, n))
    posts = [a for a in followers for _ in range(settings.posts_per_author)]
    rng.shuffle(posts)
    return FollowerGraph(followers=followers, posts=posts)
