"""Composition root: builds adapters and services lazily, once per container.

Nothing here runs at import time: the first handler call that needs a service
builds it (and the SDK clients behind it) and later calls reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from botocore.config import Config
from pynamodb.models import Model

from .adapters.account_tables import (
    DynamoArchiveIndex,
    DynamoAuthoredPosts,
    DynamoKeyDeletes,
    DynamoRows,
    bind_archive_index_model,
)
from .adapters.activity_store import (
    ActivityModel,
    DynamoActivityStore,
    DynamoTrimMarks,
    bind_activity_model,
)
from .adapters.celebrity_models import (
    AuthorModel,
    PulledPostModel,
    bind_author_model,
    bind_pulled_post_model,
)
from .adapters.celebrity_stores import (
    CountingFollowerStore,
    DynamoAuthorIndex,
    DynamoAuthorPosts,
    DynamoFeedSource,
    DynamoPulledPosts,
)
from .adapters.cursors import decode_cursor, encode_cursor
from .adapters.dynamodb_models import (
    FeedEntryModel,
    RelationshipModel,
    bind_fanout_progress_model,
    bind_feed_model,
    bind_post_model,
    bind_relationship_model,
)
from .adapters.dynamodb_mutes import DynamoMuteStore, MuteModel, bind_mute_model
from .adapters.dynamodb_stores import DynamoFeedStore, DynamoFollowerStore, DynamoPostStore
from .adapters.fanout_progress import DynamoFanoutProgress
from .adapters.feed_trim import DynamoFeedTrimStore
from .adapters.follower_index import DynamoFollowerIndex
from .adapters.kinesis_publisher import KinesisEventPublisher
from .adapters.s3_archive import S3ArchiveStore
from .adapters.s3_exports import S3ExportStore
from .adapters.sdk_session import client as shared_client
from .adapters.sdk_session import share_session
from .adapters.sns_publisher import SnsGroupPublisher, SnsMessagePublisher, topic_arn
from .adapters.sqs_failure_sink import SqsFailureSink
from .adapters.sqs_work import SqsWorkQueue
from .adapters.users import CognitoSignInPool
from .adapters.users_table import DynamoUserStore, bind_user_model
from .config import wiring as config_wiring
from .domain.deletes import YublDeleted, yubl_deleted_event
from .domain.feed import FeedRef
from .domain.paging import Page
from .identity.settings import identity_settings
from .observability.logging import logger
from .observability.sdk_retries import count_sdk_retries
from .services.account_deletion import AccountDeletion
from .services.account_erasure import AccountStores
from .services.account_events import LateEvents, UserDeletedRouting
from .services.account_gate import AccountGate
from .services.accounts import AccountService
from .services.activity import FollowerActivity, ReadActivity, TrackedFeedReads
from .services.archive import ArchiveService
from .services.archive_erasure import ArchiveEraser
from .services.celebrities import CelebrityPolicy, MergedFeedReader, PastEnd
from .services.distribution import DistributionService, Lanes
from .services.exports import AccountReads, ExportService, ExportWriter
from .services.feed_cap import FeedTrimmer
from .services.feed_rebuild import FeedRebuilder, RebuildLimits
from .services.feeds import FeedService
from .services.following import FollowingService
from .services.mutes import MuteService, unmuted
from .services.notifications import NotificationService
from .services.posting import PostingService
from .services.range_fanout import RangeFanout
from .services.relationship_changes import RelationshipChangeService
from .services.removals import RemovalService
from .services.user_posts import UserPostsService
from .settings import current
from .streams.policies import FailurePolicy, retry_then_park

__all__ = [
    "account_deletion",
    "account_gate",
    "account_service",
    "archive_service",
    "distribution_service",
    "export_service",
    "export_writer",
    "failure_sink",
    "feed_reads",
    "feed_removal_service",
    "feed_service",
    "feed_trimmer",
    "following_service",
    "late_events",
    "mute_service",
    "notification_removal_service",
    "notification_service",
    "posting_service",
    "range_fanout_service",
    "record_attempts",
    "record_policy",
    "relationship_change_service",
    "user_deleted_routing",
    "user_posts_service",
]

# Settings read through the config service's client library: a change made with
# PUT /config/<key> reaches every function within the client's TTL, no redeploy.
GROUP_SIZE_KEY = "fanout.group_size"
RECORD_ATTEMPTS_KEY = "streams.record_attempts"


M = TypeVar("M", bound=type[Model])


def _utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def _client(service: str) -> Any:
    """Standard retry mode: throttling, 5xx and dropped connections are retried with
    backoff inside the call, ``SDK_MAX_ATTEMPTS`` attempts in all, and counted."""
    retries: Any = {"mode": "standard", "max_attempts": current().sdk_max_attempts}
    return count_sdk_retries(shared_client(service, Config(retries=retries)))


def _with_sdk_retries(model: M) -> M:
    """The same retry policy and count for a PynamoDB model, its client built from the
    shared session (``adapters/sdk_session.py``)."""
    model.Meta.max_retry_attempts = current().sdk_max_attempts - 1
    count_sdk_retries(share_session(model)._get_connection().connection.client)
    return model


def _region() -> str:
    return str(_client("sns").meta.region_name)


@cache
def _relationship_model() -> type[RelationshipModel]:
    return _with_sdk_retries(bind_relationship_model(current().relationships_table))


@cache
def _follower_store() -> DynamoFollowerStore:
    return CountingFollowerStore(_relationship_model(), _author_model())


@cache
def _author_model() -> type[AuthorModel]:
    return _with_sdk_retries(bind_author_model(current().authors_table))


# One bound model per table, shared by the stores that use it: each model builds its own
# SDK client, and a client is start-up time and a connection pool
@cache
def _feed_model() -> type[FeedEntryModel]:
    return _with_sdk_retries(bind_feed_model(current().feeds_table))


@cache
def _pulled_post_model() -> type[PulledPostModel]:
    return _with_sdk_retries(bind_pulled_post_model(current().posts_table))


@cache
def _activity_model() -> type[ActivityModel]:
    return _with_sdk_retries(bind_activity_model(current().activity_table))


@cache
def _pulled_posts() -> DynamoPulledPosts:
    return DynamoPulledPosts(_pulled_post_model())


def _celebrity_policy() -> CelebrityPolicy:
    return CelebrityPolicy(
        DynamoAuthorIndex(_author_model()), _pulled_posts(), current().celebrity_threshold
    )


@cache
def _merged_feed() -> MergedFeedReader:
    return MergedFeedReader(
        DynamoFeedSource(_feed_model()),
        _post_store(),
        _follower_store(),
        DynamoAuthorIndex(_author_model()),
        _pulled_posts(),
        encode_cursor=encode_cursor,
        decode_cursor=decode_cursor,
        past_end=_past_end() if current().feed_past_end else None,
        visible=_unmuted_refs,
    )


def _past_end() -> PastEnd:
    return PastEnd(DynamoAuthorPosts(_pulled_post_model()), _trim_marks())


@cache
def _trim_marks() -> DynamoTrimMarks:
    return DynamoTrimMarks(_activity_model())


def _unmuted_refs(user_id: str, refs: Sequence[FeedRef]) -> list[FeedRef]:
    """The merged read's mute filter: the same one lookup per page as the plain read."""
    return unmuted(_mute_store(), user_id, Page(items=list(refs), next_cursor=None)).items


@cache
def _feed_store() -> DynamoFeedStore:
    settings = current()
    return DynamoFeedStore(_feed_model(), max_attempts=settings.feed_write_max_attempts)


@cache
def _post_store() -> DynamoPostStore:
    return DynamoPostStore(share_session(bind_post_model(current().posts_table)))


@cache
def user_posts_service() -> UserPostsService:
    return UserPostsService(_post_store())


@cache
def _event_publisher() -> KinesisEventPublisher:
    return KinesisEventPublisher(_client("kinesis"), current().yubl_posted_stream)


@cache
def posting_service() -> PostingService:
    return PostingService(_event_publisher(), _post_store(), clock=_utc_now)


@cache
def following_service() -> FollowingService:
    return FollowingService(
        _follower_store(), _event_publisher(), clock=_utc_now, accounts=_user_store()
    )


def _max_skew() -> timedelta:
    return timedelta(milliseconds=current().posted_at_max_skew_ms)


@cache
def feed_service() -> FeedService:
    active = FollowerActivity(_activity_store(), current().fanout_active_days, _utc_now)
    return FeedService(
        _feed_store(),
        _post_store(),
        clock=_utc_now,
        max_skew=_max_skew(),
        mutes=_mute_store(),
        cap=None if current().feed_past_end else current().feed_cap,
        active=active.active,
        reader=_merged_feed().read,
    )


@cache
def _mute_model() -> type[MuteModel]:
    return _with_sdk_retries(bind_mute_model(current().mutes_table))


@cache
def _mute_store() -> DynamoMuteStore:
    return DynamoMuteStore(_mute_model())


@cache
def mute_service() -> MuteService:
    return MuteService(_mute_store(), accounts=_user_store())


@cache
def feed_trimmer() -> FeedTrimmer:
    settings = current()
    store = DynamoFeedTrimStore(_feed_model(), max_attempts=settings.feed_write_max_attempts)
    return FeedTrimmer(store, settings.feed_cap, _trim_marks())


@cache
def _activity_store() -> DynamoActivityStore:
    return DynamoActivityStore(_activity_model())


@cache
def feed_reads() -> TrackedFeedReads:
    """GET /users/{id}/feed: a read that records the reader's activity (services/activity.py)."""
    settings = current()
    limits = RebuildLimits(
        authors=settings.feed_rebuild_max_authors,
        posts_per_author=settings.feed_rebuild_posts_per_author,
        entries=settings.feed_rebuild_max_entries,
    )
    rebuilder = FeedRebuilder(_follower_store(), _post_store(), _feed_store(), limits)
    activity = ReadActivity(_activity_store(), rebuilder, settings.fanout_active_days, _utc_now)
    return TrackedFeedReads(activity, feed_service().read)


@cache
def feed_removal_service() -> RemovalService:
    return RemovalService(_feed_store(), clock=_utc_now, max_skew=_max_skew())


@cache
def relationship_change_service() -> RelationshipChangeService:
    return RelationshipChangeService(
        _follower_store(),
        _feed_store(),
        _post_store(),
        backfill_posts=current().feed_backfill_posts,
        clock=_utc_now,
        max_skew=_max_skew(),
    )


def _config_int(key: str, default: int, low: int, high: int) -> int:
    """An integer from the config service; the stage's setting while it has none or a bad one."""
    value = config_wiring.client().get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        logger.warning(f"config {key} must be an integer from {low} to {high}; using {default}")
        return default
    return value


@cache
def _topic_publisher(topic: str) -> SnsMessagePublisher:
    """One publisher per topic (name or ARN), its ARN resolved once per container."""
    return SnsMessagePublisher(_client("sns"), topic_arn(topic, _client("sts"), _region()))


@cache
def _groups_publisher() -> SnsGroupPublisher:
    """Each subscriber group's topic."""
    return SnsGroupPublisher(lambda group: _topic_publisher(current().group_topic(group)))


@cache
def _priority_groups_publisher() -> SnsGroupPublisher:
    """Each follower-shaped group's priority lane (PRIORITY_GROUP_TOPICS)."""
    return SnsGroupPublisher(lambda group: _topic_publisher(current().priority_topic(group)))


def distribution_service() -> DistributionService:
    """Built per call (a cheap object over cached clients): the group size may change."""
    settings = current()
    lanes = Lanes(
        priority_max=settings.fanout_priority_max_followers,
        priority=_priority_groups_publisher(),
        bulk_group_size=settings.fanout_bulk_group_size,
    )
    return DistributionService(
        _follower_store(),
        _groups_publisher(),
        settings.routing,
        group_size=_config_int(GROUP_SIZE_KEY, settings.follower_group_size, 1, 5000),
        page_size=settings.follower_page_size,
        progress=_fanout_progress(),
        clock=_utc_now,
        max_skew=_max_skew(),
        posts=_post_store(),
        ranges=range_fanout_service(),
        celebrities=_celebrity_policy(),
        mutes=_mute_store(),
        lanes=lanes,
    )


@cache
def _follower_index() -> DynamoFollowerIndex:
    return DynamoFollowerIndex(_relationship_model())


def _work_publisher() -> SnsMessagePublisher:
    """The work topic of follower plans and ranges."""
    return _topic_publisher(current().fanout_work_topic)


def range_fanout_service() -> RangeFanout:
    """Built per call, like the distribution service. Range workers publish large
    fan-outs only: the bulk lane, its group size."""
    settings = current()
    return RangeFanout(
        _follower_index(),
        _work_publisher(),
        _groups_publisher(),
        settings.routing,
        range_size=settings.fanout_range_size,
        page_size=settings.follower_page_size,
        group_size=settings.fanout_bulk_group_size,
        progress=_fanout_progress(),
        clock=_utc_now,
        max_skew=_max_skew(),
        mutes=_mute_store(),
    )


@cache
def _notification_store() -> DynamoFeedStore:
    settings = current()
    return DynamoFeedStore(
        share_session(bind_feed_model(settings.notifications_table)),
        max_attempts=settings.feed_write_max_attempts,
    )


@cache
def notification_service() -> NotificationService:
    return NotificationService(
        _notification_store(), _post_store(), _user_store(), clock=_utc_now, max_skew=_max_skew()
    )


@cache
def notification_removal_service() -> RemovalService:
    return RemovalService(_notification_store(), clock=_utc_now, max_skew=_max_skew())


@cache
def _archive_store() -> S3ArchiveStore:
    return S3ArchiveStore(_client("s3"), current().archive_bucket)


@cache
def _archive_index() -> DynamoArchiveIndex:
    model = _with_sdk_retries(bind_archive_index_model(current().archive_index_table))
    return DynamoArchiveIndex(model, max_attempts=current().feed_write_max_attempts)


def _deleted_among(user_ids: Sequence[str]) -> set[str]:
    found = _user_store().accounts(user_ids)
    return {user for user, account in found.items() if not account.active}


@cache
def archive_service() -> ArchiveService:
    return ArchiveService(
        _archive_store(),
        clock=_utc_now,
        max_skew=_max_skew(),
        index=_archive_index(),
        deleted_among=_deleted_among,
    )


@cache
def _fanout_progress() -> DynamoFanoutProgress:
    settings = current()
    return DynamoFanoutProgress(
        _with_sdk_retries(bind_fanout_progress_model(settings.fanout_progress_table)),
        ttl=timedelta(seconds=settings.fanout_progress_ttl_seconds),
        clock=_utc_now,
    )


@cache
def failure_sink() -> SqsFailureSink:
    settings = current()
    return SqsFailureSink(_client("sqs"), settings.retry_queue, settings.dead_letter_queue)


def record_attempts() -> int:
    """In-process attempts per record, read through the config client on every record."""
    return _config_int(RECORD_ATTEMPTS_KEY, current().record_attempts, 1, 20)


def record_policy() -> FailurePolicy:
    """retry_then_park with the stage's in-process attempts and first delay."""
    settings = current()
    return retry_then_park(
        attempts=settings.record_attempts, base_delay=settings.record_retry_delay_ms / 1000
    )


# -- accounts ------------------------------------------------------------------------


@cache
def _user_store() -> DynamoUserStore:
    return DynamoUserStore(_with_sdk_retries(bind_user_model(current().users_table)))


@cache
def account_gate() -> AccountGate:
    """The sign-in middleware's check of the account's status, cached per container."""
    return AccountGate(_user_store(), current().account_status_cache_seconds)


@cache
def account_service() -> AccountService:
    pool = CognitoSignInPool(_client("cognito-idp"), identity_settings().user_pool_id)
    return AccountService(
        _user_store(),
        pool,
        _event_publisher(),
        DynamoAuthorIndex(_author_model()),
        clock=_utc_now,
        on_deleted=account_gate().deleted,
    )


def user_store() -> DynamoUserStore:
    """The users table, for the sign-up triggers (they write and read rows, nothing else)."""
    return _user_store()


@cache
def late_events() -> LateEvents:
    return LateEvents(_user_store())


def user_deleted_routing() -> UserDeletedRouting:
    return UserDeletedRouting(
        _groups_publisher(), current().routing, clock=_utc_now, max_skew=_max_skew()
    )


@cache
def _exports_store() -> S3ExportStore:
    return S3ExportStore(_client("s3"), current().exports_bucket)


@cache
def export_service() -> ExportService:
    queue = SqsWorkQueue(_client("sqs"), current().exports_queue)
    return ExportService(_exports_store(), queue, current().export_url_seconds, clock=_utc_now)


@cache
def export_writer() -> ExportWriter:
    reads = AccountReads(
        profile=account_service().profile,
        posts=user_posts_service().read,
        following=following_service().following,
        followers=following_service().followers,
        mutes=mute_service().muted,
        notifications=notification_service().read,
    )
    return ExportWriter(
        _exports_store(), _user_store(), reads, clock=_utc_now, max_skew=_max_skew()
    )


def _delete_post(deleted: YublDeleted) -> object:
    """A post of a deleted account through the delete fan-out, as its own DELETE's event."""
    return distribution_service().distribute(yubl_deleted_event(deleted))


@cache
def account_deletion() -> AccountDeletion:
    settings = current()
    stores = AccountStores(
        followers=_follower_store(),
        authors=DynamoAuthorIndex(_author_model()),
        feeds=_feed_store(),
        notifications=_notification_store(),
        mutes=_mute_store(),
        relationship_rows=DynamoKeyDeletes(
            _relationship_model(), "user_id", "follower_id", settings.feed_write_max_attempts
        ),
        mute_rows=DynamoKeyDeletes(
            _mute_model(), "user_id", "author_id", settings.feed_write_max_attempts
        ),
        activity=DynamoRows(_activity_model()),
        author_rows=DynamoRows(_author_model()),
        exports=_exports_store(),
        archive=ArchiveEraser(_archive_store(), _archive_index()),
    )
    return AccountDeletion(
        _user_store(),
        DynamoAuthoredPosts(_pulled_post_model()),
        _delete_post,
        stores,
        _fanout_progress(),
        SqsWorkQueue(_client("sqs"), settings.accounts_queue),
        delay=timedelta(seconds=settings.account_erase_delay_seconds),
        sweep_from=settings.fanout_priority_max_followers + 1,  # more: range workers run
        clock=_utc_now,
        max_skew=_max_skew(),
    )
