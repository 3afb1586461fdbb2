"""Publish events to the Yubl stream: ``events`` (typed constructors, checked against
the contract), ``Publisher`` (PutRecords with retries, KPL aggregation per shard) and the
CLI (``python -m yubl_producer publish --stream NAME FILE.jsonl``)."""

from .events import (
    Event,
    EventInvalid,
    event_from_record,
    new_yubl_id,
    user_followed,
    user_unfollowed,
    yubl_deleted,
    yubl_posted,
)
from .publisher import Progress, Publisher, Result

__all__ = [
    "Event",
    "EventInvalid",
    "Progress",
    "Publisher",
    "Result",
    "event_from_record",
    "new_yubl_id",
    "user_followed",
    "user_unfollowed",
    "yubl_deleted",
    "yubl_posted",
]
