"""The celebrity threshold's trade-off, measured: what a post costs to push into every
follower's feed, against what pulling it costs each feed page read.

Runs the project's own services in this process against the emulator's tables (the
stage's names from the environment): the dispatcher and the feed worker for the write
side (SNS publishes go to the emulator's feed topic; the worker is fed the published
messages directly), the merged feed read for the read side. Calls are counted per
operation with ``counting.count_calls``; capacity units with ``capacity.CapacityMeter``
(DynamoDB's rules applied to the items on the wire). Seeding is not counted.

``make bench`` runs it inside its stack; ``make bench-tradeoff`` runs it alone on a
fresh emulator. Sizes: ``BENCH_TRADEOFF_FOLLOWERS`` (follower counts, comma-separated),
``BENCH_TRADEOFF_CELEBRITIES`` (celebrities a reader follows), ``BENCH_TRADEOFF_FOLLOWING``
(authors a reader follows in all), ``BENCH_TRADEOFF_PAGE`` (items per feed page).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import boto3

from chalicelib.adapters.celebrity_models import bind_author_model, bind_pulled_post_model
from chalicelib.adapters.celebrity_stores import (
    CountingFollowerStore,
    DynamoAuthorIndex,
    DynamoFeedSource,
    DynamoPulledPosts,
)
from chalicelib.adapters.cursors import decode_cursor, encode_cursor
from chalicelib.adapters.dynamodb_models import (
    bind_feed_model,
    bind_post_model,
    bind_relationship_model,
)
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore, DynamoPostStore
from chalicelib.adapters.sns_publisher import SnsMessagePublisher
from chalicelib.domain.feed import FeedEntry
from chalicelib.domain.posts import Yubl, new_yubl, yubl_posted_event
from chalicelib.domain.routing import RoutingTable
from chalicelib.services.celebrities import CelebrityPolicy, MergedFeedReader
from chalicelib.services.distribution import DistributionService
from chalicelib.services.feeds import FeedService, read_entries
from chalicelib.settings_catalog import read_int, read_text
from devstack.emulator import aws_environment, start_emulator
from devstack.infra import deploy_stack
from devstack.stack import PROJECT_DIR

from .capacity import CapacityMeter
from .counting import Tally, count_calls

__all__ = [
    "TradeoffSettings",
    "local_stage_environment",
    "main",
    "measure_tradeoff",
    "on_fresh_emulator",
]

Progress = Callable[[str], None]
TOPIC = "bench-tradeoff-feed"


def _ints(name: str) -> tuple[int, ...]:
    raw = read_text(os.environ, name)
    try:
        values = tuple(int(v) for v in raw.split(","))
    except ValueError:
        raise ValueError(f"{name}: {raw!r} is not a list of integers") from None
    if any(v < 0 for v in values):
        raise ValueError(f"{name}: {raw!r} has a negative count")
    return values


@dataclass(frozen=True)
class TradeoffSettings:
    follower_counts: tuple[int, ...] = (100, 1_000, 10_000)
    celebrities_followed: tuple[int, ...] = (0, 1, 5, 20)
    following: int = 200  # authors a reader follows, celebrities among them
    page: int = 20
    text_bytes: int = 140
    group_size: int = 500  # FOLLOWER_GROUP_SIZE's default
    enabled: bool = True  # BENCH_TRADEOFF=0: make bench leaves it out

    @classmethod
    def from_environ(cls) -> TradeoffSettings:
        env = os.environ
        return cls(
            follower_counts=_ints("BENCH_TRADEOFF_FOLLOWERS"),
            celebrities_followed=_ints("BENCH_TRADEOFF_CELEBRITIES"),
            following=read_int(env, "BENCH_TRADEOFF_FOLLOWING"),
            page=read_int(env, "BENCH_TRADEOFF_PAGE"),
            text_bytes=read_int(env, "BENCH_TEXT_BYTES"),
            enabled=read_text(env, "BENCH_TRADEOFF").lower() not in ("0", "false", "no"),
        )


class _Meter:
    """Calls and capacity units of the clients attached, measured around one action."""

    def __init__(self) -> None:
        self.tally = Tally()
        self.capacity = CapacityMeter()

    def attach(self, client: Any) -> None:
        count_calls(client, self.tally)
        self.capacity.attach(client)

    def measure(self, action: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
        calls_before = dict(self.tally.snapshot()["calls"])
        reads_before, writes_before = self.capacity.snapshot()
        result = action()
        calls = {
            op: n - calls_before.get(op, 0)
            for op, n in sorted(self.tally.snapshot()["calls"].items())
            if n - calls_before.get(op, 0)
        }
        reads, writes = self.capacity.snapshot()
        return result, {
            "calls": sum(calls.values()),
            "by_operation": calls,
            "read_units": reads - reads_before,
            "write_units": writes - writes_before,
        }


class _RecordingPublisher:
    """Publishes to the emulator's feed topic and keeps each message for the worker."""

    def __init__(self, publisher: SnsMessagePublisher) -> None:
        self._publisher = publisher
        self.messages: list[str] = []

    def publish_batch(
        self, group: str, messages: Sequence[str], attributes: Mapping[str, str]
    ) -> None:
        self._publisher.publish_batch(messages, attributes)
        self.messages.extend(messages)


class _Tables:
    """The project's stores on the stage's tables, every client counted by ``meter``."""

    def __init__(self, env: Mapping[str, str], meter: _Meter) -> None:
        relationships = bind_relationship_model(env["RELATIONSHIPS_TABLE"])
        feeds = bind_feed_model(env["FEEDS_TABLE"])
        posts = bind_post_model(env["POSTS_TABLE"])
        pulled = bind_pulled_post_model(env["POSTS_TABLE"])
        authors = bind_author_model(env["AUTHORS_TABLE"])
        for model in (relationships, feeds, posts, pulled, authors):
            meter.attach(model._get_connection().connection.client)
        self.followers = CountingFollowerStore(relationships, authors)
        self.feed = DynamoFeedStore(feeds)
        self.posts = DynamoPostStore(posts)
        self.authors = DynamoAuthorIndex(authors)
        self.pulled = DynamoPulledPosts(pulled)
        self.reader = MergedFeedReader(
            DynamoFeedSource(feeds),
            self.posts,
            self.followers,
            self.authors,
            self.pulled,
            encode_cursor=encode_cursor,
            decode_cursor=decode_cursor,
        )
        sns = boto3.client("sns")
        meter.attach(sns)
        # a topic of its own, without subscribers: the stack's feed workers stay out of it
        arn = sns.create_topic(Name=TOPIC)["TopicArn"]
        self.publisher = _RecordingPublisher(SnsMessagePublisher(sns, arn))
        self.env = env


def _seed_followers(env: Mapping[str, str], author: str, followers: Sequence[str]) -> None:
    dynamodb = boto3.resource("dynamodb")
    with dynamodb.Table(env["RELATIONSHIPS_TABLE"]).batch_writer() as writer:
        for follower in followers:
            writer.put_item(Item={"user_id": author, "follower_id": follower})
    dynamodb.Table(env["AUTHORS_TABLE"]).update_item(
        Key={"author_id": author},
        UpdateExpression="ADD followers :n",
        ExpressionAttributeValues={":n": len(followers)},
    )


class _Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC) - timedelta(days=1)

    def yubl(self, author: str, text: str) -> Yubl:
        self.now += timedelta(milliseconds=3)
        return new_yubl(author, text, now=self.now)


def _post_and_deliver(tables: _Tables, dispatcher: DistributionService, yubl: Yubl) -> int:
    """One post through the dispatcher, its feed messages through the feed worker; the
    feed entries written."""
    tables.publisher.messages.clear()
    dispatcher.distribute(yubl_posted_event(yubl))
    feed = FeedService(tables.feed, tables.posts)
    return sum(feed.add_group(json.loads(m)).entries for m in tables.publisher.messages)


def _write_side(
    tables: _Tables, meter: _Meter, settings: TradeoffSettings, run: str, progress: Progress
) -> list[dict[str, Any]]:
    routing = RoutingTable.declare({"yubl-posted": ["feed"]}, {"feed": TOPIC})
    clock = _Clock()
    rows = []
    for count in settings.follower_counts:
        author = f"{run}-author-{count}"
        progress(f"trade-off: seeding {count:,} followers of {author}")
        _seed_followers(tables.env, author, [f"{run}-fan-{n:07d}" for n in range(count)])
        figures = {}
        for mode, threshold in (("push", count), ("pull", count - 1)):
            dispatcher = DistributionService(
                tables.followers,
                tables.publisher,
                routing,
                group_size=settings.group_size,
                posts=tables.posts,
                celebrities=CelebrityPolicy(tables.authors, tables.pulled, threshold),
            )
            yubl = clock.yubl(author, "x" * settings.text_bytes)
            post = partial(_post_and_deliver, tables, dispatcher, yubl)
            entries, measured = meter.measure(post)
            if entries != (count if mode == "push" else 0):
                raise RuntimeError(f"{mode} of {author}'s post wrote {entries} feed entries")
            figures[mode] = {**measured, "feed_entries": entries}
        progress(
            f"trade-off: {count:,} followers: push {figures['push']['calls']} calls, "
            f"{figures['push']['write_units']:g} WU; pull {figures['pull']['calls']} calls, "
            f"{figures['pull']['write_units']:g} WU"
        )
        rows.append({"followers": count, **figures})
    return rows


def _read_side(
    tables: _Tables, meter: _Meter, settings: TradeoffSettings, run: str, progress: Progress
) -> list[dict[str, Any]]:
    clock = _Clock()
    text = "x" * settings.text_bytes
    most = max(settings.celebrities_followed, default=0)
    if most >= settings.following:
        raise ValueError(f"a reader follows {settings.following} authors: fewer than {most}")
    stars = [f"{run}-star-{n:03d}" for n in range(most)]
    progress(f"trade-off: {most} celebrities with {settings.page + 5} pulled posts each")
    for star in stars:
        tables.authors.mark_pulling(star)
        for _ in range(settings.page + 5):
            yubl = clock.yubl(star, text)
            tables.posts.put(yubl)
            tables.pulled.mark(star, yubl.yubl_id)
    rows = []
    for celebrities in settings.celebrities_followed:
        reader = f"{run}-reader-{celebrities}"
        ordinary = [f"{run}-joe-{n:04d}" for n in range(settings.following - celebrities)]
        for author in [*stars[:celebrities], *ordinary]:
            _seed_followers(tables.env, author, [reader])
        yubls = [clock.yubl(ordinary[n % len(ordinary)], text) for n in range(5 * settings.page)]
        for yubl in yubls:
            tables.posts.put(yubl)
        tables.feed.put_entries([FeedEntry(reader, yubl) for yubl in yubls])
        first, merged = meter.measure(partial(tables.reader.read, reader, settings.page, None))
        _, second = meter.measure(
            partial(tables.reader.read, reader, settings.page, first.next_cursor)
        )
        _, plain = meter.measure(
            partial(read_entries, tables.feed, tables.posts, reader, settings.page, None)
        )
        progress(
            f"trade-off: reader following {celebrities} celebrities: merged page "
            f"{merged['calls']} calls, {merged['read_units']:g} RCU; plain page "
            f"{plain['calls']} calls, {plain['read_units']:g} RCU"
        )
        rows.append(
            {
                "celebrities_followed": celebrities,
                "following": settings.following,
                "merged_first_page": merged,
                "merged_next_page": second,
                "plain_page": plain,
            }
        )
    return rows


def local_stage_environment() -> dict[str, str]:
    """The local stage's variables (table names) from .chalice/config.json."""
    config = json.loads((PROJECT_DIR / ".chalice" / "config.json").read_text())
    return dict(config["stages"]["local"]["environment_variables"])


def measure_tradeoff(
    settings: TradeoffSettings, progress: Progress, env: Mapping[str, str]
) -> dict[str, Any]:
    """Both sides, on the tables ``env`` names; the JSON-ready figures."""
    meter = _Meter()
    tables = _Tables(env, meter)
    run = f"tradeoff-{uuid.uuid4().hex[:6]}"
    return {
        "write_per_post": _write_side(tables, meter, settings, run, progress),
        "read_per_page": _read_side(tables, meter, settings, run, progress),
        "settings": asdict(settings),
        "capacity_rules": "loadtests/capacity.py",
    }


def _say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def on_fresh_emulator(measure: Callable[[], dict[str, Any]], progress: Progress) -> dict[str, Any]:
    """``measure()`` against a fresh emulator with the template deployed (stage local)."""
    emulator = start_emulator(request_log=False)
    try:
        os.environ.update(aws_environment(emulator.endpoint_url))
        progress("deploying infra/resources.yaml on a fresh emulator")
        deploy_stack(boto3.client("cloudformation"), "local")
        return measure()
    finally:
        emulator.stop()


def main() -> int:
    """``make bench-tradeoff``: a fresh emulator with the template, then the trade-off."""
    result = on_fresh_emulator(
        lambda: measure_tradeoff(TradeoffSettings.from_environ(), _say, local_stage_environment()),
        _say,
    )
    result["date"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
