"""Correlation ids: what every entry and exit has in common, whatever the source.

The ids are a flat dict of header-style lower-case keys (``x-correlation-id``, any
other ``x-correlation-*``, ``call-chain-length``, ``debug-log-enabled``). They ride
inside a Kinesis payload as ``__context__``, as SNS and SQS message attributes, and
as HTTP headers. Each event source's adapter (``chalicelib.streams.records``) finds
the pairs in its own record shape and hands them to ``capture``; the HTTP middleware
hands it the request headers. The debug-sampling decision is made once, where the
ids are born, and travels with them, so a sampled request logs at debug on its whole
path. Each hop adds one to ``call-chain-length``; ``check_call_chain`` refuses work
whose chain has grown past the limit, which stops a publish loop from running forever.

Capture caps what may travel: at most ``MAX_CORRELATION_IDS`` ids (SNS and SQS take
10 message attributes, and routing attributes need ``ROUTING_ATTRIBUTE_ROOM`` of
them), each value at most ``MAX_VALUE_LENGTH`` characters, each key at most
``MAX_KEY_LENGTH``: a 10 KB header is cut down at the door, not carried on every hop.

No SDK calls here: forward functions return the dicts an adapter hands to boto3 or
requests.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

from chalicelib.observability.context import (
    CALL_CHAIN_LENGTH,
    CORRELATION_ID,
    CORRELATION_PREFIX,
    DEBUG_LOG_ENABLED,
    CorrelationIds,
    bind,
    current_ids,
)
from chalicelib.observability.logging import logger
from chalicelib.observability.settings import ObservabilitySettings

__all__ = [
    "CALL_CHAIN_LENGTH",
    "CONTEXT_KEY",
    "CORRELATION_ID",
    "DEBUG_LOG_ENABLED",
    "MAX_CORRELATION_IDS",
    "MAX_KEY_LENGTH",
    "MAX_VALUE_LENGTH",
    "MESSAGE_ATTRIBUTE_LIMIT",
    "ROUTING_ATTRIBUTE_ROOM",
    "CallChainTooLong",
    "CorrelationIds",
    "MessageAttributeValue",
    "bind",
    "call_chain_length",
    "capture",
    "check_call_chain",
    "current_ids",
    "http_headers",
    "kinesis_payload",
    "new_ids",
    "sns_message_attributes",
    "sqs_message_attributes",
]

CONTEXT_KEY = "__context__"
"""Where the ids ride inside a Kinesis record's JSON payload."""

MESSAGE_ATTRIBUTE_LIMIT = 10
"""SNS and SQS take at most 10 message attributes per message."""

ROUTING_ATTRIBUTE_ROOM = 3
"""Message attributes kept free for routing (event type, subscriber group, ...)."""

MAX_CORRELATION_IDS = MESSAGE_ATTRIBUTE_LIMIT - ROUTING_ATTRIBUTE_ROOM
"""Ids kept at capture: the essential three plus four other ``x-correlation-*``."""

MAX_VALUE_LENGTH = 128
"""Characters kept of one id's value; a longer value is cut to this length."""

MAX_KEY_LENGTH = 64
"""Characters an id's name may have; a longer name is dropped, never cut (no clashes)."""

_FIRST = (CORRELATION_ID, CALL_CHAIN_LENGTH, DEBUG_LOG_ENABLED)

# header token characters that SNS and SQS also accept in an attribute name
_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")


class MessageAttributeValue(TypedDict):
    """One entry of boto3's ``MessageAttributes`` for SNS publish(_batch) and SQS send."""

    DataType: Literal["String"]
    StringValue: str


class CallChainTooLong(Exception):
    """Work has travelled, or would travel, more hops than the limit allows: a loop."""

    def __init__(self, length: int, limit: int, hops_ahead: int = 0) -> None:
        if hops_ahead:
            message = (
                f"call-chain-length {length} leaves no room for the {hops_ahead} hops "
                f"this request takes (limit {limit})"
            )
        else:
            message = f"call-chain-length {length} exceeds the limit of {limit}"
        super().__init__(message)
        self.length = length
        self.limit = limit
        self.hops_ahead = hops_ahead


# -- capture -----------------------------------------------------------------


def _is_correlation_key(key: str) -> bool:
    return key.startswith(CORRELATION_PREFIX) or key in (CALL_CHAIN_LENGTH, DEBUG_LOG_ENABLED)


def _complete(found: Mapping[str, str]) -> CorrelationIds:
    """Fill in what did not come in: an id, a chain length, a sampling decision."""
    ids: CorrelationIds = {}
    ids[CORRELATION_ID] = found.get(CORRELATION_ID) or str(uuid.uuid4())
    for key, value in found.items():
        if key not in _FIRST:
            ids[key] = value
    ids[CALL_CHAIN_LENGTH] = str(_parse_length(found.get(CALL_CHAIN_LENGTH)))
    decision = found.get(DEBUG_LOG_ENABLED)
    if decision is None:
        rate = ObservabilitySettings.from_environ().debug_log_sample_rate
        ids[DEBUG_LOG_ENABLED] = "true" if random.random() < rate else "false"
    else:
        ids[DEBUG_LOG_ENABLED] = "true" if decision.strip().lower() == "true" else "false"
    return ids


def _parse_length(raw: str | None) -> int:
    """A chain length as it came; absent or garbled counts as the first hop (0)."""
    if raw is None:
        return 0
    try:
        return max(int(raw.strip()[:MAX_VALUE_LENGTH]), 0)
    except ValueError:
        return 0


def _pick(pairs: Mapping[str, Any]) -> tuple[dict[str, str], list[str], list[str]]:
    """The correlation entries of ``pairs``, capped; also what was dropped and what cut.

    Keys are lower-cased. Empty values and values with control characters are dropped:
    SNS refuses the first, and the second could not be sent on as an HTTP header. So
    are names too long or with characters an attribute name cannot hold. Of the other
    ``x-correlation-*`` ids, the first in name order are kept up to the count limit.
    """
    found: dict[str, str] = {}
    dropped: list[str] = []
    for key, value in pairs.items():
        if not isinstance(key, str) or not isinstance(value, str | int):
            continue
        lowered, text = key.lower(), str(value)
        if not _is_correlation_key(lowered):
            continue
        if len(lowered) > MAX_KEY_LENGTH or not _KEY.match(lowered):
            dropped.append(lowered[:MAX_KEY_LENGTH])
        elif text and text.isprintable():
            found[lowered] = text
    shortened = sorted(key for key, text in found.items() if len(text) > MAX_VALUE_LENGTH)
    others = sorted(key for key in found if key not in _FIRST)
    room = MAX_CORRELATION_IDS - len(_FIRST)
    dropped += others[room:]
    kept = {
        key: text[:MAX_VALUE_LENGTH]
        for key, text in found.items()
        if key in _FIRST or key in others[:room]
    }
    return kept, dropped, [key for key in shortened if key in kept]


def capture(pairs: Mapping[str, Any]) -> CorrelationIds:
    """The ids among ``pairs`` (headers, attribute values, ``__context__``), completed.

    Keys are matched case-insensitively; what goes past the caps is logged once, in a
    warning line under the ids that were kept.
    """
    found, dropped, shortened = _pick(pairs)
    ids = _complete(found)
    if dropped or shortened:
        _log_under(
            ids,
            logger.warning,
            "correlation ids capped",
            dropped=dropped,
            shortened=shortened,
            max_ids=MAX_CORRELATION_IDS,
            max_value_length=MAX_VALUE_LENGTH,
        )
    return ids


def _log_under(ids: Mapping[str, str], log: Callable[..., None], message: str, **keys: Any) -> None:
    """One line with ``ids`` in force, so it shows in the trace of the work it is about."""
    with bind(ids):
        log(message, **keys)


def new_ids() -> CorrelationIds:
    """Fresh ids for work that starts here (a new id, chain 0, a sampling decision)."""
    return _complete({})


# -- forward -----------------------------------------------------------------


def _outgoing(hops: int = 1) -> CorrelationIds:
    """The ids in force (fresh ones when none are), ``hops`` further along."""
    ids = current_ids() or new_ids()
    ids[CALL_CHAIN_LENGTH] = str(_parse_length(ids.get(CALL_CHAIN_LENGTH)) + hops)
    return ids


def _ordered(ids: Mapping[str, str]) -> list[tuple[str, str]]:
    first = [(key, ids[key]) for key in _FIRST if ids.get(key)]
    rest = [(key, value) for key, value in ids.items() if key not in _FIRST and value]
    return first + rest


def kinesis_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``payload`` carrying the ids in force under ``__context__``."""
    return {**payload, CONTEXT_KEY: _outgoing()}


def _message_attributes(
    channel: str, limit: int, hops: int = 1
) -> dict[str, MessageAttributeValue]:
    pairs = _ordered(_outgoing(hops))
    kept, dropped = pairs[:limit], pairs[limit:]
    if dropped:
        logger.warning(
            f"{channel} message attributes: {limit} correlation ids kept, the rest dropped",
            dropped=[key for key, _ in dropped],
        )
    return {key: {"DataType": "String", "StringValue": value} for key, value in kept}


def sns_message_attributes(
    limit: int = MAX_CORRELATION_IDS,
) -> dict[str, MessageAttributeValue]:
    """``MessageAttributes`` for SNS publish / publish_batch entries.

    At most ``limit`` (by default ``MAX_CORRELATION_IDS``, which leaves
    ``ROUTING_ATTRIBUTE_ROOM`` of SNS's 10 free for routing attributes); the first
    three kept are always x-correlation-id, call-chain-length and debug-log-enabled.
    """
    return _message_attributes("SNS", limit)


def sqs_message_attributes(
    limit: int = MAX_CORRELATION_IDS, same_hop: bool = False
) -> dict[str, MessageAttributeValue]:
    """``MessageAttributes`` for SQS send_message / send_message_batch entries.

    ``same_hop`` keeps the chain length as it is: a record parked to be retried later
    is the same hop tried again, not a new one, so a retry never trips the loop guard
    that the first try passed.
    """
    return _message_attributes("SQS", limit, hops=0 if same_hop else 1)


def http_headers() -> dict[str, str]:
    """Headers for an outgoing HTTP call."""
    return dict(_ordered(_outgoing()))


# -- loop guard --------------------------------------------------------------


def call_chain_length(ids: Mapping[str, str]) -> int:
    return _parse_length(ids.get(CALL_CHAIN_LENGTH))


def check_call_chain(ids: Mapping[str, str], limit: int | None = None, hops_ahead: int = 0) -> int:
    """The chain length, or ``CallChainTooLong`` (after an error line) past ``limit``.

    ``limit`` defaults to the MAX_CALL_CHAIN_LENGTH setting (10). ``hops_ahead`` is how
    many more hops the work is known to take (an entry that starts a two-hop path
    refuses a chain that would only be refused two hops later). The error line is
    written with ``ids`` in force, so it shows up in the trace of the refused work.
    """
    if limit is None:
        limit = ObservabilitySettings.from_environ().max_call_chain_length
    length = call_chain_length(ids)
    if length + hops_ahead <= limit:
        return length
    _log_under(
        ids,
        logger.error,
        "call chain too long: record refused",
        call_chain_length=length,
        call_chain_limit=limit,
        hops_ahead=hops_ahead,
    )
    raise CallChainTooLong(length, limit, hops_ahead)
