"""Events of the stream, built by typed constructors and checked against the contract.

An ``Event`` is the JSON object that goes on the stream, its partition key (the field
the contract's ``x-partition-key`` names: what is ordered after what) and its identity
(the fields of ``x-identity``: what makes two records the same event, so a retry of a
put is a repeat, never a second post). ``event_from_record`` checks a record written by
hand (a line of a JSONL file) the same way.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any, TypedDict, Unpack

from .validating import first_error, location, validator_for

__all__ = [
    "CONTEXT_KEY",
    "SCHEMA_VERSION",
    "Correlation",
    "Event",
    "EventInvalid",
    "event_from_record",
    "new_yubl_id",
    "schema",
    "user_followed",
    "user_unfollowed",
    "yubl_deleted",
    "yubl_posted",
]

CONTEXT_KEY = "__context__"
SCHEMA_VERSION = "1.0"
"""The contract version these constructors write (``schema_version``)."""


When = datetime | str | None
"""A time given to a constructor: an aware ``datetime``, an RFC 3339 string, or None (now)."""


class Correlation(TypedDict, total=False):
    """The correlation ids every constructor takes, written into ``__context__``:
    ``correlation_id`` (a new one when absent) and other ``context`` ids (lower-case
    header names, ``x-correlation-*``)."""

    correlation_id: str | None
    context: Mapping[str, str] | None


class EventInvalid(ValueError):
    """A record that breaks the contract; ``field`` names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@cache
def schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of an event type, from the package's copy of the contract."""
    folder = resources.files(__package__).joinpath("schemas")
    path = folder.joinpath(f"{event_type}.json")
    if not path.is_file():
        known = ", ".join(sorted(p.name[:-5] for p in folder.iterdir()))
        raise EventInvalid("type", f"{event_type!r:.60} is no event type of the contract ({known})")
    return dict(json.loads(path.read_text(encoding="utf-8")))


@cache
def _validator(event_type: str) -> Any:
    return validator_for(schema(event_type))


def _at(record: Mapping[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value[part]
    return value


@dataclass(frozen=True)
class Event:
    record: dict[str, Any]
    partition_key: str = field(init=False)
    identity: str = field(init=False)

    def __post_init__(self) -> None:
        contract = schema(self.record["type"])
        key = _at(self.record, contract["x-partition-key"]["field"])
        names = contract["x-identity"]["fields"]
        identity = "|".join(str(_at(self.record, name)) for name in names)
        object.__setattr__(self, "partition_key", str(key))
        object.__setattr__(self, "identity", f"{self.record['type']}:{identity}")

    @property
    def type(self) -> str:
        return str(self.record["type"])

    def data(self) -> bytes:
        """The record as the stream carries it: compact UTF-8 JSON."""
        return json.dumps(self.record, separators=(",", ":"), ensure_ascii=False).encode()


def event_from_record(record: Any) -> Event:
    """An ``Event`` of a record written by hand; ``EventInvalid`` naming the field."""
    if not isinstance(record, dict):
        raise EventInvalid("event", "must be a JSON object")
    event_type = record.get("type")
    if not isinstance(event_type, str):
        raise EventInvalid("type", "must be a string naming the event type")
    version = record.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, str) and version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise EventInvalid("schema_version", f"{version!r:.20} is not a 1.x version")
    error = first_error(_validator(event_type), record)
    if error is not None:
        raise EventInvalid(location(error), error.message)
    relationship = record.get("relationship")
    if isinstance(relationship, dict) and relationship["user_id"] == relationship["follower_id"]:
        raise EventInvalid("relationship.follower_id", "a user cannot follow themselves")
    return Event(record)


def _time(moment: When) -> str:
    if moment is None:
        moment = datetime.now(UTC)
    if isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        raise EventInvalid("time", "a datetime needs a time zone (datetime.now(UTC))")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _context(ids: Correlation) -> dict[str, str]:
    context = {str(k).lower(): str(v) for k, v in (ids.get("context") or {}).items()}
    given = ids.get("correlation_id") or context.get("x-correlation-id")
    context["x-correlation-id"] = given or str(uuid.uuid4())
    return context


def _event(event_type: str, body_key: str, body: dict[str, Any], ids: Correlation) -> Event:
    record = {
        "type": event_type,
        "schema_version": SCHEMA_VERSION,
        body_key: body,
        CONTEXT_KEY: _context(ids),
    }
    return event_from_record(record)


def new_yubl_id(at: datetime | None = None) -> str:
    """A yubl id as the posts API makes it: milliseconds since the epoch, 12 hex digits."""
    millis = int((at or datetime.now(UTC)).timestamp() * 1000)
    return f"{millis:013d}-{secrets.token_hex(6)}"


def yubl_posted(
    author_id: str,
    text: str,
    *,
    yubl_id: str | None = None,
    posted_at: When = None,
    **ids: Unpack[Correlation],
) -> Event:
    """A post. Give ``yubl_id`` to re-publish the same post: the id is its identity."""
    moment = posted_at if posted_at is not None else datetime.now(UTC)
    stamp = moment if isinstance(moment, datetime) else None
    body = {
        "yubl_id": yubl_id or new_yubl_id(stamp),
        "author_id": author_id,
        "text": text,
        "posted_at": _time(moment),
    }
    return _event("yubl-posted", "yubl", body, ids)


def yubl_deleted(
    author_id: str, yubl_id: str, *, deleted_at: When = None, **ids: Unpack[Correlation]
) -> Event:
    """The author deleted the post ``yubl_id``."""
    body = {"yubl_id": yubl_id, "author_id": author_id, "deleted_at": _time(deleted_at)}
    return _event("yubl-deleted", "yubl", body, ids)


def _relationship(
    event_type: str, user_id: str, follower_id: str, changed_at: When, ids: Correlation
) -> Event:
    body = {"user_id": user_id, "follower_id": follower_id, "changed_at": _time(changed_at)}
    return _event(event_type, "relationship", body, ids)


def user_followed(
    user_id: str, follower_id: str, *, changed_at: When = None, **ids: Unpack[Correlation]
) -> Event:
    """``follower_id`` started following ``user_id``."""
    return _relationship("user-followed", user_id, follower_id, changed_at, ids)


def user_unfollowed(
    user_id: str, follower_id: str, *, changed_at: When = None, **ids: Unpack[Correlation]
) -> Event:
    """``follower_id`` stopped following ``user_id``."""
    return _relationship("user-unfollowed", user_id, follower_id, changed_at, ids)
