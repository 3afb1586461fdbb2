"""The feed group's other message: ``feed-remove`` (a deleted yubl, for a group of
followers), taken by the same add_to_feed workers as ``feed-fanout``, with the same
time budget: the followers not reached in time are handed back as a smaller message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..domain.delete_messages import FEED_REMOVE
from ..observability.logging import logger
from ..services.removals import RemovalService
from ..streams.invocation import Unfinished
from .feed_writer import time_budget

__all__ = ["by_feed_message_type", "feed_remover"]


def feed_remover(
    service: Callable[[], RemovalService], margin_ms: Callable[[], int]
) -> Callable[[Any], None]:
    out_of_time = time_budget(margin_ms)

    def remove_group(message: Any) -> None:
        removed = service().remove_group(message, out_of_time=out_of_time)
        logger.info(
            "feed entries removed",
            yubl_id=removed.yubl_id,
            followers=list(removed.users),
        )
        if removed.rest is not None:
            raise Unfinished(
                removed.rest,
                f"out of time: {len(removed.users)} feeds cleared, "
                f"{len(removed.rest['followers'])} handed back "
                f"(less than {margin_ms()} ms left)",
            )

    return remove_group


def by_feed_message_type(
    add: Callable[[Any], None], remove: Callable[[Any], None]
) -> Callable[[Any], None]:
    """One handler for the feed group: ``feed-remove`` messages to ``remove``, every other
    message to ``add`` (which validates it, and refuses what is not ``feed-fanout``)."""

    def handle(message: Any) -> None:
        if isinstance(message, dict) and message.get("type") == FEED_REMOVE:
            remove(message)
        else:
            add(message)

    return handle
