"""One frozen Settings object, read from the environment once per container.

Resource names reach the code only through environment variables that
``.chalice/config.json`` sets per stage. Endpoints are not settings: boto3 reads
``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` by itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .domain.feed_cap import DEFAULT_MAX_ITEMS, DEFAULT_TRIM_EVERY, FeedCap
from .domain.routing import DEFAULT_ROUTES, RoutingTable, Shape
from .settings_catalog import read_int, read_required, read_text

__all__ = ["Settings", "SettingsError", "current"]


class SettingsError(RuntimeError):
    """A required variable is missing or holds a value the code cannot use."""


def _required(env: Mapping[str, str], name: str) -> str:
    return read_required(env, name, SettingsError)


_DEFAULT_TOPICS = {
    "feed": "feed-local",
    "notifications": "notifications-local",
    "archive": "archive-local",
    "accounts": "accounts-local",
}
"""Only for Settings built in code (tests); a stage names its topics in GROUP_TOPICS."""

_DEFAULT_PRIORITY_TOPICS = {"feed": "feed-priority-local"}
"""Only for Settings built in code (tests); a stage names them in PRIORITY_GROUP_TOPICS."""


@dataclass(frozen=True)
class Settings:
    stage: str
    yubl_posted_stream: str
    relationships_table: str
    feeds_table: str
    retry_queue: str
    dead_letter_queue: str
    fanout_progress_table: str
    notifications_table: str
    archive_queue: str
    archive_bucket: str
    posts_table: str = "posts-local"
    authors_table: str = "authors-local"
    routing: RoutingTable = field(
        default_factory=lambda: RoutingTable.declare(DEFAULT_ROUTES, _DEFAULT_TOPICS)
    )
    follower_group_size: int = 500
    follower_page_size: int = 1000
    feed_write_max_attempts: int = 8
    record_attempts: int = 3
    record_retry_delay_ms: int = 100
    fanout_progress_ttl_seconds: int = 1_209_600  # the retry and dead-letter queues' retention
    posted_at_max_skew_ms: int = 60_000
    feed_write_time_margin_ms: int = 10_000
    sdk_max_attempts: int = 10  # per AWS call, standard retry mode (throttling, 5xx, resets)
    mutes_table: str = "mutes-local"
    feed_max_items: int = DEFAULT_MAX_ITEMS
    feed_trim_every: int = DEFAULT_TRIM_EVERY
    activity_table: str = "activity-local"
    fanout_active_days: int = 30  # 0: the fan-out skips nobody
    feed_rebuild_max_authors: int = 100
    feed_rebuild_posts_per_author: int = 20
    feed_rebuild_max_entries: int = 200
    # follower ranges: an author with this many followers or more is fanned out by range
    # workers, one range of this many followers each, through the work topic
    fanout_work_topic: str = "fanout-ranges-local"
    fanout_range_size: int = 10_000
    feed_backfill_posts: int = 20  # an author's newest posts a new follower's feed gets
    celebrity_threshold: int = 10_000  # followers above which posts are pulled, not fanned out
    feed_past_end: bool = True  # reads past a trimmed feed's end merge followed authors' posts
    # the lanes of a follower-shaped group (docs/realtime.md): a fan-out to at most
    # fanout_priority_max_followers goes to the group's priority topic in groups of
    # follower_group_size; a larger one to the group's own topic in groups of
    # fanout_bulk_group_size, its first fanout_priority_max_followers from the dispatcher
    priority_topics: Mapping[str, str] = field(default_factory=lambda: _DEFAULT_PRIORITY_TOPICS)
    fanout_priority_max_followers: int = 1_000
    fanout_bulk_group_size: int = 1_000
    # accounts (chalicelib/services/accounts.py, account_deletion.py, exports.py)
    users_table: str = "users-local"
    archive_index_table: str = "archive-index-local"
    accounts_queue: str = "yubl-accounts-local"
    exports_queue: str = "yubl-exports-local"
    exports_bucket: str = "yubl-exports-local"
    account_status_cache_seconds: int = 30
    account_erase_delay_seconds: int = 120
    export_url_seconds: int = 3600

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        routing = _routing(env)
        return cls(
            stage=read_text(env, "STAGE"),
            yubl_posted_stream=_required(env, "YUBL_POSTED_STREAM"),
            relationships_table=_required(env, "RELATIONSHIPS_TABLE"),
            feeds_table=_required(env, "FEEDS_TABLE"),
            retry_queue=_required(env, "RETRY_QUEUE"),
            dead_letter_queue=_required(env, "DEAD_LETTER_QUEUE"),
            fanout_progress_table=_required(env, "FANOUT_PROGRESS_TABLE"),
            notifications_table=_required(env, "NOTIFICATIONS_TABLE"),
            archive_queue=_required(env, "ARCHIVE_QUEUE"),
            archive_bucket=_required(env, "ARCHIVE_BUCKET"),
            posts_table=_required(env, "POSTS_TABLE"),
            authors_table=_required(env, "AUTHORS_TABLE"),
            routing=routing,
            follower_group_size=read_int(env, "FOLLOWER_GROUP_SIZE", SettingsError),
            follower_page_size=read_int(env, "FOLLOWER_PAGE_SIZE", SettingsError),
            feed_write_max_attempts=read_int(env, "FEED_WRITE_MAX_ATTEMPTS", SettingsError),
            record_attempts=read_int(env, "RECORD_ATTEMPTS", SettingsError),
            record_retry_delay_ms=read_int(env, "RECORD_RETRY_DELAY_MS", SettingsError),
            fanout_progress_ttl_seconds=read_int(env, "FANOUT_PROGRESS_TTL_SECONDS", SettingsError),
            posted_at_max_skew_ms=read_int(env, "POSTED_AT_MAX_SKEW_MS", SettingsError),
            feed_write_time_margin_ms=read_int(env, "FEED_WRITE_TIME_MARGIN_MS", SettingsError),
            sdk_max_attempts=read_int(env, "SDK_MAX_ATTEMPTS", SettingsError),
            mutes_table=_required(env, "MUTES_TABLE"),
            feed_max_items=read_int(env, "FEED_MAX_ITEMS", SettingsError),
            feed_trim_every=read_int(env, "FEED_TRIM_EVERY", SettingsError),
            **_activity(env),
            fanout_work_topic=_required(env, "FANOUT_WORK_TOPIC"),
            fanout_range_size=read_int(env, "FANOUT_RANGE_SIZE", SettingsError),
            feed_backfill_posts=read_int(env, "FEED_BACKFILL_POSTS", SettingsError),
            celebrity_threshold=read_int(env, "FANOUT_CELEBRITY_THRESHOLD", SettingsError),
            feed_past_end=read_int(env, "FEED_READ_PAST_END", SettingsError) == 1,
            **_lanes(env, routing),
            **_accounts(env),
        )

    @property
    def feed_cap(self) -> FeedCap:
        return FeedCap(self.feed_max_items, self.feed_trim_every)

    def group_topic(self, group: str) -> str:
        """The topic (name or ARN) of a subscriber group; a decorator argument of its worker."""
        return self.routing.groups[group].topic

    def priority_topic(self, group: str) -> str:
        """The priority lane's topic of a follower-shaped group; a decorator argument of
        its priority worker."""
        return self.priority_topics[group]


def _activity(env: Mapping[str, str]) -> dict[str, Any]:
    """Inactive followers (chalicelib/services/activity.py) and the rebuild's bounds."""
    return {
        "activity_table": _required(env, "ACTIVITY_TABLE"),
        "fanout_active_days": read_int(env, "FANOUT_ACTIVE_DAYS", SettingsError),
        "feed_rebuild_max_authors": read_int(env, "FEED_REBUILD_MAX_AUTHORS", SettingsError),
        "feed_rebuild_posts_per_author": read_int(
            env, "FEED_REBUILD_POSTS_PER_AUTHOR", SettingsError
        ),
        "feed_rebuild_max_entries": read_int(env, "FEED_REBUILD_MAX_ENTRIES", SettingsError),
    }


def _lanes(env: Mapping[str, str], routing: RoutingTable) -> dict[str, Any]:
    """PRIORITY_GROUP_TOPICS (follower-shaped group -> its priority lane's topic, every
    such group one, required), FANOUT_PRIORITY_MAX_FOLLOWERS, FANOUT_BULK_GROUP_SIZE."""
    read_required(env, "PRIORITY_GROUP_TOPICS", SettingsError)
    topics = _json_object(env, "PRIORITY_GROUP_TOPICS")
    followers = {n for n, g in routing.groups.items() if g.shape is Shape.FOLLOWERS}
    if set(topics) != followers:
        raise SettingsError(
            f"PRIORITY_GROUP_TOPICS must name a topic for each group in FOLLOWER_FANOUT_GROUPS "
            f"({', '.join(sorted(followers))}), got {', '.join(sorted(topics)) or 'none'}"
        )
    bad = [g for g, topic in topics.items() if not isinstance(topic, str) or not topic.strip()]
    if bad:
        raise SettingsError(f"PRIORITY_GROUP_TOPICS: group {bad[0]} needs a topic name or ARN")
    return {
        "priority_topics": dict(topics),
        "fanout_priority_max_followers": read_int(
            env, "FANOUT_PRIORITY_MAX_FOLLOWERS", SettingsError
        ),
        "fanout_bulk_group_size": read_int(env, "FANOUT_BULK_GROUP_SIZE", SettingsError),
    }


def _accounts(env: Mapping[str, str]) -> dict[str, Any]:
    """The users table, deletion and exports (chalicelib/settings_catalog/accounts.py)."""
    return {
        "users_table": _required(env, "USERS_TABLE"),
        "archive_index_table": _required(env, "ARCHIVE_INDEX_TABLE"),
        "accounts_queue": _required(env, "ACCOUNTS_QUEUE"),
        "exports_queue": _required(env, "EXPORTS_QUEUE"),
        "exports_bucket": _required(env, "EXPORTS_BUCKET"),
        "account_status_cache_seconds": read_int(
            env, "ACCOUNT_STATUS_CACHE_SECONDS", SettingsError
        ),
        "account_erase_delay_seconds": read_int(env, "ACCOUNT_ERASE_DELAY_SECONDS", SettingsError),
        "export_url_seconds": read_int(env, "EXPORT_URL_SECONDS", SettingsError),
    }


def _json_object(env: Mapping[str, str], name: str) -> Any:
    raw = read_text(env, name)
    try:
        value = json.loads(raw)
    except ValueError as err:
        raise SettingsError(f"{name} must be a JSON object: {err}") from None
    if not isinstance(value, dict):
        raise SettingsError(f"{name} must be a JSON object, got {raw[:60]!r}")
    return value


def _routing(env: Mapping[str, str]) -> RoutingTable:
    """ROUTING (event type -> groups; default: the code's), GROUP_TOPICS (group -> topic,
    per stage, required) and FOLLOWER_FANOUT_GROUPS (groups fed per follower group)."""
    _required(env, "GROUP_TOPICS")
    followers = frozenset(
        name.strip() for name in read_text(env, "FOLLOWER_FANOUT_GROUPS").split(",")
    )
    try:
        return RoutingTable.declare(
            _json_object(env, "ROUTING"),
            _json_object(env, "GROUP_TOPICS"),
            followers - {""},
        )
    except ValueError as err:
        raise SettingsError(str(err)) from None


@cache
def current() -> Settings:
    """The settings of this container, read on first use."""
    return Settings.from_environ()
