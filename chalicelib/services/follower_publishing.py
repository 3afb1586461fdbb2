"""Publishing an event (a yubl, a delete) to a stream of followers, in follower groups,
with resumable progress.

One loop for both fan-out paths: the dispatcher's direct path (all of a small author's
followers) and a range worker's (one range of a large author's). Followers are streamed
page by page and batches published as they fill, so no path holds a range in memory.
After each batch the progress is saved under ``progress_key``; a retry starts after the
last follower of the last published batch, so work done before a failure is not redone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from ..domain.fanout import follower_groups, pack_batches
from .ports import FanoutProgress, GroupPublisher

__all__ = ["Encode", "Published", "publish_follower_groups", "publish_in_batches"]

Encode = Callable[[list[str]], list[tuple[str, list[str]]]]
"""A group of followers -> its messages, each with the followers it carries."""

Pages = Callable[[str | None], Iterable[list[str]]]
"""Pages of followers after the given id (None: from the first), ascending."""


@dataclass(frozen=True)
class Published:
    followers: int  # followers published by this call (a resumed call skips the rest)
    messages: int
    batches: int
    resumed_after: str | None  # the last follower an earlier attempt had published


def publish_follower_groups(
    subject: str,
    encode: Encode,
    group: str,
    attributes: Mapping[str, str],
    pages: Pages,
    *,
    publisher: GroupPublisher,
    group_size: int,
    progress: FanoutProgress | None,
    progress_key: str,
) -> Published:
    """``encode``'s messages for every follower ``pages`` yields, in groups of
    ``group_size``; progress kept under ``subject`` (a yubl id, a delete's event id)."""
    after = progress.last_published(subject, progress_key) if progress else None
    followers = 0

    def counted_pages() -> Iterator[list[str]]:
        nonlocal followers
        for page in pages(after):
            followers += len(page)
            yield page

    def group_messages() -> Iterator[tuple[str, str]]:
        for chunk in follower_groups(counted_pages(), group_size):
            for message, carried in encode(chunk):
                yield message, carried[-1]

    messages, batches = publish_in_batches(
        group_messages(),
        lambda batch: publisher.publish_batch(group, batch, attributes),
        None if progress is None else partial(progress.record_published, subject, progress_key),
    )
    return Published(followers, messages, batches, resumed_after=after)


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
