"""The check every stream record passes before it is handled: its version, then the
JSON Schema of its type, with the format checker on (``validating``).

The schema decides; the domain's validators word the reason. They agree on what they
accept and refuse (``tests/unit/test_contract.py`` holds that with generated records),
so a record the schema refuses is explained by the domain parser of its type, in the
words the dispatcher has always used, naming the field
(``yubl.posted_at: is not a valid date and time: ...``). Two rules only the domain can
hold, as JSON Schema cannot state them, are left to it: a time at most the allowed
clock skew in the future, and a user who does not follow themselves.

A type with no schema passes through: the routing table refuses it, naming the routed
types (every routed type has a schema: the test holds that too).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..domain.accounts import USER_DELETED, parse_user_deleted
from ..domain.deletes import YUBL_DELETED, parse_yubl_deleted
from ..domain.errors import InvalidInput
from ..domain.posts import YUBL_POSTED, parse_yubl_posted
from ..domain.relationships_events import (
    USER_FOLLOWED,
    USER_UNFOLLOWED,
    parse_relationship_event,
)
from .validating import first_error, location, validator_for
from .versions import check_version

__all__ = ["DOMAIN_PARSERS", "SCHEMAS", "check_event", "domain_check"]

CONTEXT_KEY = "__context__"
SCHEMAS: dict[str, dict[str, Any]] = {
    path.stem: json.loads(path.read_text())
    for path in sorted((Path(__file__).parent / "schemas").glob("*.json"))
}
"""Each event type's schema, from the deployed copy."""

DOMAIN_PARSERS: dict[str, Callable[[Any, datetime], Any]] = {
    YUBL_POSTED: lambda record, now: parse_yubl_posted(record, now=now),
    YUBL_DELETED: lambda record, now: parse_yubl_deleted(record, now=now),
    USER_FOLLOWED: lambda record, now: parse_relationship_event(record, now=now),
    USER_UNFOLLOWED: lambda record, now: parse_relationship_event(record, now=now),
    USER_DELETED: lambda record, now: parse_user_deleted(record, now=now),
}
"""The domain's validator of each event type with a schema."""

_VALIDATORS = {event_type: validator_for(schema) for event_type, schema in SCHEMAS.items()}


def domain_check(record: Any, now: datetime) -> None:
    """The domain's rules for a record of a type with a schema: raises ``InvalidInput``."""
    if not isinstance(record, dict):
        raise InvalidInput("event", "must be a JSON object")
    check_version(record)
    if CONTEXT_KEY in record and not isinstance(record[CONTEXT_KEY], dict):
        raise InvalidInput(CONTEXT_KEY, "must be an object")
    DOMAIN_PARSERS[record["type"]](record, now)


def check_event(record: Any, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Any:
    """``record`` itself when it keeps the contract; ``InvalidInput`` naming the field
    when it does not (a major version this dispatcher does not read included)."""
    if not isinstance(record, dict):
        raise InvalidInput("event", "must be a JSON object")
    check_version(record)  # first: a newer major is reported as such, not as a bad field
    event_type = record.get("type")
    validator = _VALIDATORS.get(event_type) if isinstance(event_type, str) else None
    if validator is None:
        return record
    error = first_error(validator, record)
    if error is not None:
        domain_check(record, now())
        raise InvalidInput(location(error), error.message)  # the domain saw nothing wrong
    return record
