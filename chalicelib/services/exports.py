"""Exporting one's data: the request (HTTP), the file (a worker behind a queue), its URL.

The request is answered at once with an export id; a worker writes the file, so a large
account meets neither Lambda's 6 MB response limit nor an HTTP timeout. The download URL
is signed when the status is asked for, valid ``EXPORT_URL_SECONDS`` (an hour at most):
a URL signed with a Lambda role's temporary credentials stops working when they expire,
so none is kept. Exports live in a bucket of their own whose lifecycle rule deletes them
after 7 days; after that their id is unknown (404).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from ..domain.errors import NotFound
from ..domain.exports import (
    ExportRequest,
    check_export_id,
    export_line,
    export_request,
    export_request_message,
    parse_export_request,
    post_line,
)
from ..domain.feed import FeedEntry
from ..domain.paging import Page
from ..domain.posts import DEFAULT_MAX_CLOCK_SKEW, Yubl, iso_millis
from ..domain.validation import check_user_id
from .accounts import Profile, UserStore

__all__ = [
    "PENDING",
    "READY",
    "AccountReads",
    "ExportService",
    "ExportStatus",
    "ExportStore",
    "ExportWriter",
    "ExportWritten",
    "WorkQueue",
]

PENDING = "pending"
READY = "ready"
PAGE = 1000
T = TypeVar("T")
PageRead = Callable[[str, int, str | None], Page[T]]


class ExportStore(Protocol):
    """Each export: a request, then its file, under the user's own prefix."""

    def put_request(self, request: ExportRequest) -> None: ...

    def state(self, user_id: str, export_id: str) -> str | None:
        """``ready`` (its file is written), ``pending`` (requested), None (unknown)."""
        ...

    def write(self, user_id: str, export_id: str, lines: Iterable[str]) -> int:
        """Write the file from ``lines`` (streamed, never held whole); the lines written."""
        ...

    def url(self, user_id: str, export_id: str, seconds: int) -> str:
        """A URL that downloads the file for ``seconds``, signed now."""
        ...

    def delete_all(self, user_id: str) -> int:
        """Delete every export of the user, requests included; objects deleted."""
        ...


class WorkQueue(Protocol):
    """A queue a worker takes JSON messages from."""

    def send(
        self, message: Mapping[str, Any], delay_seconds: int = 0, same_hop: bool = False
    ) -> None: ...


@dataclass(frozen=True)
class ExportStatus:
    status: str
    url: str | None = None
    expires_at: str | None = None


class ExportService:
    def __init__(
        self,
        store: ExportStore,
        queue: WorkQueue,
        url_seconds: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._queue = queue
        self._url_seconds = url_seconds
        self._clock = clock

    def request(self, user_id: Any) -> ExportRequest:
        """Queue the export, then record its request (a request recorded is one queued)."""
        request = export_request(user_id, self._clock())
        self._queue.send(export_request_message(request))
        self._store.put_request(request)
        return request

    def status(self, user_id: Any, export_id: Any) -> ExportStatus:
        user = check_user_id("user_id", user_id)
        export = check_export_id("export_id", export_id)
        state = self._store.state(user, export)
        if state is None:
            raise NotFound("export_id", f"no export {export} of user {user}")
        if state == PENDING:
            return ExportStatus(PENDING)
        url = self._store.url(user, export, self._url_seconds)
        expires = self._clock() + timedelta(seconds=self._url_seconds)
        return ExportStatus(READY, url, iso_millis(expires))


@dataclass(frozen=True)
class AccountReads:
    """What the API shows of a user, read through the same services as its routes."""

    profile: Callable[[str], Profile]
    posts: PageRead[Yubl]
    following: PageRead[str]
    followers: PageRead[str]
    mutes: PageRead[str]
    notifications: PageRead[FeedEntry]


def _every(read: PageRead[T], user_id: str) -> Iterator[T]:
    cursor: str | None = None
    while True:
        page = read(user_id, PAGE, cursor)
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


@dataclass(frozen=True)
class ExportWritten:
    user_id: str
    export_id: str
    lines: int
    skipped: str | None = None  # why nothing was written, when nothing was


class ExportWriter:
    """The exports queue's worker: one request, one file."""

    def __init__(
        self,
        store: ExportStore,
        users: UserStore,
        reads: AccountReads,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    ) -> None:
        self._store = store
        self._users = users
        self._reads = reads
        self._clock = clock
        self._max_skew = max_skew

    def write(self, message: Any) -> ExportWritten:
        """Validate the request whole, then write the file. An account deleted before the
        file is written gets none; one deleted while it was written loses it again."""
        request = parse_export_request(message, now=self._clock(), max_skew=self._max_skew)
        user, export = request.user_id, request.export_id
        if not self._active(user):
            return ExportWritten(user, export, 0, skipped="the account is deleted")
        written = self._store.write(user, export, self.lines(user))
        if not self._active(user):  # deleted meanwhile: its erasure may have run already
            self._store.delete_all(user)
            return ExportWritten(user, export, 0, skipped="the account was deleted meanwhile")
        return ExportWritten(user, export, written)

    def _active(self, user_id: str) -> bool:
        account = self._users.get(user_id)
        return account is not None and account.active

    def lines(self, user_id: str) -> Iterator[str]:
        """The file's lines, in the order the module docstring gives."""
        reads = self._reads
        profile = reads.profile(user_id)
        yield export_line(
            "profile",
            user_id=profile.user_id,
            created_at=profile.created_at,
            followers=profile.followers,
        )
        for yubl in _every(reads.posts, user_id):
            yield post_line("post", yubl)
        for followed in _every(reads.following, user_id):
            yield export_line("following", user_id=followed)
        for follower in _every(reads.followers, user_id):
            yield export_line("follower", user_id=follower)
        for author in _every(reads.mutes, user_id):
            yield export_line("mute", author_id=author)
        for entry in _every(reads.notifications, user_id):
            yield post_line("notification", entry.yubl)
