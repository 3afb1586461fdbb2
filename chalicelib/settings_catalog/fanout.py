"""The fan-out's settings (``chalicelib/settings.py``), set per stage in ``.chalice/``."""

from __future__ import annotations

from . import Section, Setting

_EVENTS = (
    "every event function (distribute_yubl, add_to_feed, fan_out_range, notify_mentioned, "
    "archive_events, retry_parked)"
)


def _table(name: str, holds: str, read_by: str) -> Setting:
    return Setting(name, f"DynamoDB table of {holds}", read_by, required=True)


RESOURCES = Section(
    "Resources",
    "The names of the stage's resources (`infra/resources.yaml` makes them; `make deploy` "
    "writes them into the stage). Required: a function stops at its first use without them.",
    (
        Setting("STAGE", "stage name, for logs", "every function", default="local"),
        Setting(
            "YUBL_POSTED_STREAM",
            "Kinesis stream the posts, deletes and follow changes go to; the dispatcher reads it",
            "the HTTP API, distribute_yubl",
            required=True,
        ),
        Setting(
            "GROUP_TOPICS",
            "subscriber group -> its SNS topic, name or ARN (a name is completed with the "
            'caller\'s account and region), e.g. `{"feed": "feed-dev", "notifications": '
            '"notifications-dev", "archive": "archive-dev", "accounts": "accounts-dev"}`',
            "distribute_yubl, fan_out_range, the group workers' event sources",
            required=True,
            kind="JSON object",
        ),
        _table(
            "RELATIONSHIPS_TABLE",
            "(user, follower)",
            "the HTTP API, distribute_yubl, fan_out_range",
        ),
        _table(
            "FEEDS_TABLE",
            "feed entries (follower, yubl), references only",
            "the HTTP API, distribute_yubl, add_to_feed",
        ),
        _table(
            "POSTS_TABLE",
            "posts (author, yubl id): the text every feed entry names",
            "the HTTP API, distribute_yubl, add_to_feed, notify_mentioned",
        ),
        _table(
            "MUTES_TABLE",
            "mutes (user, author), with the keys-only index `muted_by` (author, user)",
            "the HTTP API, add_to_feed",
        ),
        _table(
            "NOTIFICATIONS_TABLE", "notifications (user, yubl)", "the HTTP API, notify_mentioned"
        ),
        _table(
            "ACTIVITY_TABLE",
            "each user's last feed read, as an hour, and the mark of a cut feed",
            "the HTTP API, add_to_feed",
        ),
        _table(
            "AUTHORS_TABLE",
            "per-author follower counts and the `pulling` mark (hybrid fan-out)",
            "the HTTP API, distribute_yubl",
        ),
        _table(
            "FANOUT_PROGRESS_TABLE",
            "fan-out progress: the last follower published per yubl and group",
            "distribute_yubl, fan_out_range",
        ),
        Setting(
            "FANOUT_WORK_TOPIC",
            "SNS topic of follower ranges (`fanout-ranges-<stage>`): the dispatcher publishes "
            "one message per range of a large author's followers, `fan_out_range` takes each",
            "distribute_yubl, fan_out_range",
            required=True,
        ),
        Setting(
            "ARCHIVE_QUEUE",
            "SQS queue the archive topic feeds; `archive_events` reads it",
            "archive_events",
            required=True,
        ),
        Setting(
            "ARCHIVE_BUCKET",
            "S3 bucket of the archive's NDJSON objects",
            "archive_events",
            required=True,
        ),
        Setting(
            "RETRY_QUEUE",
            "SQS queue where `retry_then_park` parks records; `retry_parked` reads it",
            _EVENTS,
            required=True,
        ),
        Setting(
            "DEAD_LETTER_QUEUE", "SQS queue of records that failed for good", _EVENTS, required=True
        ),
    ),
)

ROUTING = Section(
    "Routing and fan-out",
    "Where each event goes and how a post is cut into messages. `FOLLOWER_GROUP_SIZE` and "
    "`RECORD_ATTEMPTS` are also the defaults of the config keys `fanout.group_size` and "
    "`streams.record_attempts`, which change them without a deploy "
    "([Config service](../config-service.md#how-a-function-reads-config)).",
    (
        Setting(
            "ROUTING",
            "event type -> the groups it is published to, in order; every group needs a topic "
            "in `GROUP_TOPICS`",
            "distribute_yubl, fan_out_range",
            default='{"yubl-posted": ["feed", "notifications", "archive"], '
            '"yubl-deleted": ["feed", "notifications", "archive"], '
            '"user-deleted": ["accounts"]}',
            kind="JSON object",
        ),
        Setting(
            "FOLLOWER_FANOUT_GROUPS",
            "the groups that get an event once per follower group; the others get it once",
            "distribute_yubl, fan_out_range",
            default="feed",
            kind="comma-separated list",
        ),
        Setting(
            "FOLLOWER_GROUP_SIZE",
            "followers per SNS message in the priority lane and a large post's head (every "
            "stage sets 100); the bulk lane uses `FANOUT_BULK_GROUP_SIZE`; a group too big for "
            "SNS's 256 KiB is split",
            "distribute_yubl",
            default="500",
            low=1,
            high=5000,
            kind="integer",
        ),
        Setting(
            "FOLLOWER_PAGE_SIZE",
            "followers read per DynamoDB Query page (every stage sets 10000: 10,000 relationship "
            "items are about 300 KB, well within a 1 MB page)",
            "distribute_yubl, fan_out_range",
            default="1000",
            low=1,
            high=10000,
            kind="integer",
        ),
        Setting(
            "FANOUT_RANGE_SIZE",
            "followers per range; an author with fewer is fanned out by the dispatcher itself "
            "([Follower ranges](../follower-ranges.md))",
            "distribute_yubl",
            default="10000",
            low=100,
            high=10_000_000,
            kind="integer",
        ),
        Setting(
            "FANOUT_PRIORITY_MAX_FOLLOWERS",
            "a post to at most this many followers goes all through the priority lane; a "
            "larger one sends this many from the dispatcher (the head) and the rest through "
            "the bulk lane ([Real-time fan-out](../realtime.md)); `make bench` reports these "
            "posts' post-to-feed times apart",
            "distribute_yubl, make bench",
            default="1000",
            low=1,
            high=10_000,
            kind="integer",
        ),
        Setting(
            "FANOUT_BULK_GROUP_SIZE",
            "followers per group message in the bulk lane (the range workers' groups)",
            "fan_out_range, distribute_yubl",
            default="1000",
            low=1,
            high=5_000,
            kind="integer",
        ),
        Setting(
            "PRIORITY_GROUP_TOPICS",
            "follower-shaped group -> the SNS topic of its priority lane, one for each group in "
            '`FOLLOWER_FANOUT_GROUPS`, e.g. `{"feed": "feed-priority-dev"}`',
            "distribute_yubl, add_to_feed_priority's event source",
            required=True,
            kind="JSON object",
        ),
        Setting(
            "FANOUT_CELEBRITY_THRESHOLD",
            "followers above which an author's posts skip the feed fan-out and are merged into "
            "feeds at read time ([Celebrity authors](../celebrities.md))",
            "distribute_yubl",
            default="10000",
            low=0,
            high=1_000_000_000,
            kind="integer",
        ),
        Setting(
            "FANOUT_PROGRESS_TTL_SECONDS",
            "how long a progress item lives (14 days, the queues' retention)",
            "distribute_yubl, fan_out_range",
            default="1209600",
            low=3600,
            high=31_536_000,
            kind="integer",
        ),
    ),
)

FEEDS = Section(
    "Feeds",
    "Caps, backfill, inactive followers and rebuilds ([Feeds](../feeds.md), "
    "[Inactive followers](../inactive-followers.md)).",
    (
        Setting(
            "FEED_MAX_ITEMS",
            "entries a feed keeps (newest first); with `FEED_READ_PAST_END=0` also the most a "
            "read shows",
            "add_to_feed, the HTTP API",
            default="800",
            low=1,
            high=100_000,
            kind="integer",
        ),
        Setting(
            "FEED_TRIM_EVERY",
            "one entry written in this many (a hash of user and yubl) trims its feed to "
            "`FEED_MAX_ITEMS`; 1 trims on every write",
            "add_to_feed",
            default="1000",
            low=1,
            high=1_000_000,
            kind="integer",
        ),
        Setting(
            "FEED_READ_PAST_END",
            "`1`: a read past the oldest entry of a feed cut to `FEED_MAX_ITEMS` goes on with "
            "the followed authors' older posts (one Query per followed author on those pages); "
            "`0`: reads stop at `FEED_MAX_ITEMS` entries",
            "the HTTP API",
            default="1",
            low=0,
            high=1,
            kind="integer",
        ),
        Setting(
            "FEED_BACKFILL_POSTS",
            "an author's newest live posts written into a new follower's feed on "
            "`user-followed`; 0 = no backfill",
            "distribute_yubl",
            default="20",
            low=0,
            high=200,
            kind="integer",
        ),
        Setting(
            "FANOUT_ACTIVE_DAYS",
            "followers with no feed read for this many days are skipped by `add_to_feed`; "
            "their next read rebuilds the feed; 0 skips nobody",
            "add_to_feed, the HTTP API",
            default="30",
            low=0,
            high=3650,
            kind="integer",
        ),
        Setting(
            "FEED_REBUILD_MAX_AUTHORS",
            "a rebuild reads the posts of at most this many followed authors (the first in id "
            "order)",
            "the HTTP API",
            default="100",
            low=1,
            high=5000,
            kind="integer",
        ),
        Setting(
            "FEED_REBUILD_POSTS_PER_AUTHOR",
            "the newest live posts read per author in a rebuild",
            "the HTTP API",
            default="20",
            low=1,
            high=1000,
            kind="integer",
        ),
        Setting(
            "FEED_REBUILD_MAX_ENTRIES",
            "of those, the newest this many are written to the feed",
            "the HTTP API",
            default="200",
            low=1,
            high=5000,
            kind="integer",
        ),
    ),
)

FAILURES = Section(
    "Retries and time budgets",
    "How records are retried before they are parked ([Failure policies](../failure-policies.md)).",
    (
        Setting(
            "RECORD_ATTEMPTS",
            "in-process attempts per record before it is parked",
            _EVENTS,
            default="3",
            low=1,
            high=20,
            kind="integer",
        ),
        Setting(
            "RECORD_RETRY_DELAY_MS",
            "pause after the first failed attempt; doubles per attempt, at most 2 s",
            _EVENTS,
            default="100",
            low=0,
            high=60_000,
            kind="integer",
        ),
        Setting(
            "FEED_WRITE_MAX_ATTEMPTS",
            "BatchWriteItem attempts per 25 entries while UnprocessedItems remain "
            "(exponential backoff, full jitter)",
            "add_to_feed, distribute_yubl",
            default="8",
            low=1,
            high=100,
            kind="integer",
        ),
        Setting(
            "FEED_WRITE_TIME_MARGIN_MS",
            "`add_to_feed` stops writing when less than this is left before its timeout and "
            "parks the rest",
            "add_to_feed",
            default="10000",
            low=0,
            high=900_000,
            kind="integer",
        ),
        Setting(
            "SDK_MAX_ATTEMPTS",
            "attempts per AWS call of the fan-out's clients (boto3 and PynamoDB), botocore's "
            "standard retry mode: throttling, 5xx and dropped connections are retried with "
            "backoff inside the call and counted in `SdkRetries`",
            "every function",
            default="10",
            low=1,
            high=50,
            kind="integer",
        ),
        Setting(
            "POSTED_AT_MAX_SKEW_MS",
            "how far in the future a record's `posted_at` may be (clock skew); later is "
            "invalid input",
            _EVENTS,
            default="60000",
            low=0,
            high=3_600_000,
            kind="integer",
        ),
    ),
)

SECTIONS = (RESOURCES, ROUTING, FEEDS, FAILURES)
