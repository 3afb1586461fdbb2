"""Publishing an event (a yubl, a delete) to a stream of followers, in follower groups,
with resumable progress.

One loop for every fan-out path: the dispatcher's (a small fan-out, or the head of a
large one) and a range worker's (one range of a large one). Followers are streamed page
by page and batches published as they fill, so no path holds a range in memory. A
post's pages leave out the author's muters first (``leave_out``: one Query of the mutes
per page of followers, over the page's id range), so the group messages carry only the
followers to write to. After each batch the progress is saved under ``progress_key``; a
retry starts after the last follower of the last published batch, so work done before a
failure is not redone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from ..domain.fanout import follower_groups, pack_batches
from .ports import FanoutProgress, GroupPublisher

__all__ = [
    "Encode",
    "GroupPublishing",
    "LeaveOut",
    "Published",
    "publish_follower_groups",
    "publish_in_batches",
    "publish_pages",
]

Encode = Callable[[list[str]], list[tuple[str, list[str]]]]
"""A group of followers -> its messages, each with the followers it carries."""

Pages = Callable[[str | None], Iterable[list[str]]]
"""Pages of followers after the given id (None: from the first), ascending."""

LeaveOut = Callable[[list[str]], list[str]]
"""A page of followers -> those the event goes to (a post: those not muting its author)."""


@dataclass(frozen=True)
class GroupPublishing:
    """Where and how one event's follower groups go: its progress subject (a yubl id, a
    delete's event id) and key, its encoding, its group's topic and the group size."""

    subject: str
    encode: Encode
    group: str
    attributes: Mapping[str, str]
    publisher: GroupPublisher
    group_size: int
    progress: FanoutProgress | None
    progress_key: str
    leave_out: LeaveOut | None = None


@dataclass(frozen=True)
class Published:
    followers: int  # followers in its messages, or left out as muters (a resumed call skips some)
    messages: int
    batches: int
    resumed_after: str | None  # the last follower an earlier attempt had published
    muted: int = 0  # of those, left out by ``leave_out``


def publish_follower_groups(how: GroupPublishing, pages: Pages) -> Published:
    """Every follower ``pages`` yields after the saved progress, in groups."""
    progress = how.progress
    after = progress.last_published(how.subject, how.progress_key) if progress else None
    return publish_pages(how, pages(after), after)


def publish_pages(how: GroupPublishing, pages: Iterable[list[str]], after: str | None) -> Published:
    """The followers of ``pages`` (those after ``after``, the progress an earlier attempt
    saved, already read by the caller), in groups of ``how.group_size``."""
    followers = muted = 0

    def kept_pages() -> Iterator[list[str]]:
        nonlocal followers, muted
        for page in pages:
            followers += len(page)
            kept = page if how.leave_out is None or not page else how.leave_out(page)
            muted += len(page) - len(kept)
            yield kept

    def group_messages() -> Iterator[tuple[str, str]]:
        for chunk in follower_groups(kept_pages(), how.group_size):
            for message, carried in how.encode(chunk):
                yield message, carried[-1]

    progress = how.progress
    messages, batches = publish_in_batches(
        group_messages(),
        lambda batch: how.publisher.publish_batch(how.group, batch, how.attributes),
        None
        if progress is None
        else partial(progress.record_published, how.subject, how.progress_key),
    )
    return Published(followers, messages, batches, resumed_after=after, muted=muted)


def publish_in_batches(
    messages: Iterable[tuple[str, str]],
    send: Callable[[list[str]], None],
    saved: Callable[[str], None] | None,
) -> tuple[int, int]:
    """Each (message, position) sent in PublishBatch-sized batches, and after each batch
    the position of its last message ``saved``; (messages, batches) sent. The fan-out's
    loops (follower groups, a plan's ranges) resume from the last position saved."""
    positions: deque[str] = deque()  # per message yielded and not yet sent, its position

    def bodies() -> Iterator[str]:
        for body, position in messages:
            positions.append(position)
            yield body

    sent = batches = 0
    for batch in pack_batches(bodies()):
        send(batch)
        batches += 1
        sent += len(batch)
        for _ in batch:
            last = positions.popleft()
        if saved is not None:
            saved(last)
    return sent, batches
