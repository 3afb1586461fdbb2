"""The whole fan-out on in-memory twins, for the accounts tests: the API's services, the
dispatcher, each group's worker and the deletion worker, joined as the wiring joins them.
Messages stay on the twins' topics until ``deliver`` hands them to their workers, so a test
chooses what runs when (a range worker after the relationships are gone, say)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.accounts_memory import (
    CountingInMemoryFollowerStore,
    InMemoryArchiveIndex,
    InMemoryAuthoredPosts,
    InMemoryExportStore,
    InMemoryKeyDeletes,
    InMemoryRows,
    InMemorySignInPool,
    InMemoryUserStore,
    InMemoryWorkQueue,
)
from chalicelib.adapters.memory import (
    InMemoryActivityStore,
    InMemoryArchiveStore,
    InMemoryEventPublisher,
    InMemoryFanoutProgress,
    InMemoryFeedStore,
    InMemoryFollowerIndex,
    InMemoryGroupPublisher,
    InMemoryMessagePublisher,
    InMemoryMuteStore,
    InMemoryPostStore,
)
from chalicelib.domain.accounts import USER_DELETED
from chalicelib.domain.delete_messages import FEED_REMOVE
from chalicelib.domain.deletes import YUBL_DELETED, YublDeleted, yubl_deleted_event
from chalicelib.domain.posts import Yubl, new_yubl, yubl_posted_event
from chalicelib.domain.relationships_events import RELATIONSHIP_EVENTS
from chalicelib.domain.routing import DEFAULT_ROUTES, RoutingTable
from chalicelib.services.account_deletion import AccountDeletion, DeletionRun
from chalicelib.services.account_erasure import AccountStores
from chalicelib.services.account_events import LateEvents, UserDeletedRouting
from chalicelib.services.account_gate import AccountGate
from chalicelib.services.accounts import AccountService
from chalicelib.services.activity import FollowerActivity
from chalicelib.services.archive import ArchiveService
from chalicelib.services.archive_erasure import ArchiveEraser
from chalicelib.services.distribution import (
    DEFAULT_PRIORITY_MAX_FOLLOWERS,
    DistributionService,
    Lanes,
)
from chalicelib.services.exports import AccountReads, ExportService, ExportWriter
from chalicelib.services.feeds import FeedService
from chalicelib.services.following import FollowingService
from chalicelib.services.mutes import MuteService
from chalicelib.services.notifications import NotificationService
from chalicelib.services.posting import PostingService
from chalicelib.services.range_fanout import RangeFanout
from chalicelib.services.relationship_changes import RelationshipChangeService
from chalicelib.services.removals import RemovalService
from chalicelib.services.user_posts import UserPostsService

__all__ = ["TOPICS", "Clock", "World"]

TOPICS = {"feed": "f", "notifications": "n", "archive": "a", "accounts": "ac"}
START = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
DELAY = timedelta(seconds=120)


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class World:
    def __init__(
        self,
        range_size: int = 10_000,
        group_size: int = 25,
        active_days: int = 30,
        priority_max: int = DEFAULT_PRIORITY_MAX_FOLLOWERS,
    ):
        self.priority_max = priority_max
        self.clock = Clock()
        self.users = InMemoryUserStore()
        self.pool = InMemorySignInPool()
        self.stream = InMemoryEventPublisher()
        self.followers = CountingInMemoryFollowerStore()
        self.posts = InMemoryPostStore()
        self.feeds, self.notifications = InMemoryFeedStore(), InMemoryFeedStore()
        self.mutes = InMemoryMuteStore()
        self.activity = InMemoryActivityStore()
        self.progress = InMemoryFanoutProgress()
        self.groups, self.work = InMemoryGroupPublisher(), InMemoryMessagePublisher()
        self.archive, self.index = InMemoryArchiveStore(), InMemoryArchiveIndex()
        self.exports, self.export_queue = InMemoryExportStore(), InMemoryWorkQueue()
        self.accounts_queue = InMemoryWorkQueue()
        self.author_rows, self.activity_rows = InMemoryRows(), InMemoryRows()
        self.relationship_rows = InMemoryKeyDeletes(  # no count: theirs goes with them
            lambda user, fan: self.followers.followers.get(user, set()).discard(fan)
        )
        self.mute_rows = InMemoryKeyDeletes(self.mutes.remove)
        self.routing = RoutingTable.declare(DEFAULT_ROUTES, TOPICS)
        self.gate = AccountGate(self.users, cache_seconds=30, clock=self.clock)
        self._build_services(range_size, group_size, active_days)
        self.delivered: dict[str, int] = {}

    def _build_services(self, range_size: int, group_size: int, active_days: int) -> None:
        clock, skew = self.clock, timedelta(seconds=60)
        self.ranges = RangeFanout(
            InMemoryFollowerIndex(self.followers),
            self.work,
            self.groups,
            self.routing,
            range_size=range_size,
            page_size=50,
            group_size=group_size,
            progress=self.progress,
            clock=clock,
        )
        self.distribution = DistributionService(
            self.followers,
            self.groups,
            self.routing,
            group_size=group_size,
            progress=self.progress,
            clock=clock,
            posts=self.posts,
            ranges=self.ranges,
            mutes=self.mutes,  # the author's muters are left out where the post is planned
            lanes=Lanes(priority_max=self.priority_max),
        )
        active = FollowerActivity(self.activity, active_days, clock).active
        self.feed = FeedService(self.feeds, self.posts, clock, mutes=self.mutes, active=active)
        self.removal = RemovalService(self.feeds, clock)
        self.notes = NotificationService(self.notifications, self.posts, self.users, clock)
        self.note_removal = RemovalService(self.notifications, clock)
        self.archiver = ArchiveService(
            self.archive, clock, index=self.index, deleted_among=self._deleted_among
        )
        self.following = FollowingService(
            self.followers, self.stream, clock=clock, accounts=self.users
        )
        self.muting = MuteService(self.mutes, accounts=self.users)
        self.posting = PostingService(self.stream, self.posts, clock)
        self.changes = RelationshipChangeService(
            self.followers, self.feeds, self.posts, backfill_posts=20, clock=clock
        )
        self.account = AccountService(
            self.users,
            self.pool,
            self.stream,
            self.followers,
            clock=clock,
            on_deleted=self.gate.deleted,
        )
        self.export = ExportService(self.exports, self.export_queue, 3600, clock=clock)
        self.export_writer = ExportWriter(self.exports, self.users, self.reads(), clock, skew)
        self.deletion = AccountDeletion(
            self.users,
            InMemoryAuthoredPosts(self.posts),
            self._delete_post,
            AccountStores(
                followers=self.followers,
                authors=self.followers,
                feeds=self.feeds,
                notifications=self.notifications,
                mutes=self.mutes,
                relationship_rows=self.relationship_rows,
                mute_rows=self.mute_rows,
                activity=self.activity_rows,
                author_rows=self.author_rows,
                exports=self.exports,
                archive=ArchiveEraser(self.archive, self.index),
            ),
            self.progress,
            self.accounts_queue,
            delay=DELAY,
            sweep_from=self.priority_max + 1,  # more: the rest goes to range workers
            clock=clock,
        )
        self.late = LateEvents(self.users)
        self.user_deleted = UserDeletedRouting(self.groups, self.routing, clock)

    def reads(self) -> AccountReads:
        return AccountReads(
            profile=self.account.profile,
            posts=UserPostsService(self.posts).read,
            following=self.following.following,
            followers=self.following.followers,
            mutes=self.muting.muted,
            notifications=self.notes.read,
        )

    def _deleted_among(self, user_ids: Any) -> set[str]:
        return {u for u, a in self.users.accounts(user_ids).items() if not a.active}

    def _delete_post(self, deleted: YublDeleted) -> object:
        return self.distribution.distribute(yubl_deleted_event(deleted))

    # -- the flow ----------------------------------------------------------------------

    def signed_up(self, *users: str) -> None:
        for user in users:
            self.users.register(user, "2026-01-01T00:00:00.000Z")

    def post(self, author: str, text: str) -> Yubl:
        """A post, as the API publishes it; the dispatcher reads it at the next ``dispatch``."""
        self.clock.advance(0.001)
        yubl = new_yubl(author, text, now=self.clock())
        self.stream.publish(yubl_posted_event(yubl), author)
        return yubl

    def dispatch(self) -> list[str]:
        """Every stream event not read yet, through the dispatcher's handler; what it
        refused as about a deleted account."""
        refused = []
        events, self.stream.published = self.stream.published, []
        for _, event in events:
            reason = self.late.refusal(event)
            if reason is not None:
                refused.append(reason)
            elif event["type"] == USER_DELETED:
                self.user_deleted.route(event)
            elif event["type"] in RELATIONSHIP_EVENTS:
                self.changes.handle(event)
            else:
                self.distribution.distribute(event)
        return refused

    def _take(self, publisher: InMemoryMessagePublisher, name: str) -> list[dict[str, Any]]:
        messages = publisher.messages
        new = messages[self.delivered.get(name, 0) :]
        self.delivered[name] = len(messages)
        return new

    def deliver(self, ranges: bool = True, accounts: bool = True) -> list[DeletionRun]:
        """Every message published since, to its worker, until none is left; the deletion
        runs made. ``ranges``/``accounts`` False leave those topics' messages waiting."""
        runs: list[DeletionRun] = []
        while True:
            work = self._take(self.work, "work") if ranges else []
            feed = self._take(self.groups.group("feed"), "feed")
            notes = self._take(self.groups.group("notifications"), "notifications")
            archived = self._take(self.groups.group("archive"), "archive")
            deletions = self._take(self.groups.group("accounts"), "accounts") if accounts else []
            if not (work or feed or notes or archived or deletions):
                return runs
            for message in work:
                self.ranges.work(message)
            for message in feed:
                if message["type"] == FEED_REMOVE:
                    self.removal.remove_group(message)
                else:
                    self.feed.add_group(message)
            for message in notes:
                if message["type"] == YUBL_DELETED:
                    self.note_removal.remove_mentions(message)
                else:
                    self.notes.notify(message)
            self._archive(archived)
            runs += [self.deletion.run(message) for message in deletions]

    def _archive(self, messages: list[dict[str, Any]]) -> None:
        lines = [self.archiver.line_of(message) for message in messages]
        gone = self.archiver.deleted_authors(lines)
        lines = [line for line in lines if line.author_id not in gone]
        for event_type in dict.fromkeys(line.event_type for line in lines):
            self.archiver.write([ln for ln in lines if ln.event_type == event_type], event_type)

    def run_delayed(self, until_done: bool = True) -> list[DeletionRun]:
        """The messages the deletion sent itself, each once its delay has passed."""
        runs = []
        while self.accounts_queue.sent:
            message, delay, _ = self.accounts_queue.sent.pop(0)
            self.clock.advance(delay)
            runs.append(self.deletion.run(message))
            runs += self.deliver()
            if not until_done:
                break
        return runs

    # -- what is there -----------------------------------------------------------------

    def rows_of(self, user: str) -> dict[str, int]:
        """Every row that names ``user``, per table: the whole-table counts."""
        archived = [line for lines in self.archive.objects.values() for line in lines]
        return {
            "feed entries of their posts": sum(
                e.yubl.author_id == user for e in self.feeds.entries.values()
            ),
            "their feed": sum(u == user for u, _ in self.feeds.entries),
            "relationships": sum(
                len(fans) if author == user else int(user in fans)
                for author, fans in self.followers.followers.items()
            ),
            "mutes": sum(user in pair for pair in self.mutes.mutes),
            "notifications": sum(
                u == user or e.yubl.author_id == user
                for (u, _), e in self.notifications.entries.items()
            ),
            "archive lines": sum(
                json.loads(line).get("yubl", {}).get("author_id") == user for line in archived
            ),
            "archive index": sum(u == user for u, _ in self.index.entries),
            "exports": sum(u == user for u, _ in {*self.exports.files, *self.exports.requests}),
            "live posts": sum(a == user for a, _ in self.posts.posts),
        }

    def drain(self, step: Callable[[], Any]) -> None:
        """``step`` then every message it caused, delivered."""
        step()
        self.dispatch()
        self.deliver()
