"""The first check of every stream and queue record: a JSON object of a type the parser
reads, its errors naming the field, the echoed type cut short (a record is anyone's input)."""

from __future__ import annotations

import pytest

from chalicelib.domain.deletes import parse_yubl_deleted
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.fanout import parse_group_message
from chalicelib.domain.posts import parse_yubl_posted
from chalicelib.domain.relationships_events import parse_relationship_event
from chalicelib.domain.validation import check_envelope


def refusal(check, payload) -> str:
    with pytest.raises(InvalidInput) as caught:
        check(payload)
    return str(caught.value)


def test_a_record_of_a_type_read_is_returned_as_it_is():
    record = {"type": "user-followed", "relationship": {}}
    assert check_envelope(record, ("user-followed", "user-unfollowed")) is record


@pytest.mark.parametrize("payload", [[], "yubl-posted", 7, None])
def test_a_record_that_is_no_object_is_refused_naming_the_record(payload):
    assert refusal(lambda p: check_envelope(p, ("a",)), payload) == "event: must be a JSON object"
    assert refusal(lambda p: check_envelope(p, ("a",), "message"), payload) == (
        "message: must be a JSON object"
    )


def test_another_type_is_refused_naming_every_type_read_and_80_characters_of_it():
    long_type = "x" * 200
    assert refusal(lambda p: check_envelope(p, ("a", "b")), {"type": long_type}) == (
        "type: must be 'a' or 'b', got '" + "x" * 79
    )


@pytest.mark.parametrize(
    ("parse", "expected"),
    [
        (lambda p: parse_yubl_posted(p), "type: must be 'yubl-posted', got 'x"),
        (lambda p: parse_yubl_deleted(p, now=None), "type: must be 'yubl-deleted', got 'x"),
        (lambda p: parse_group_message(p), "type: must be 'feed-fanout', got 'x"),
        (
            lambda p: parse_relationship_event(p, now=None),
            "type: must be 'user-followed' or 'user-unfollowed', got 'x",
        ),
    ],
)
def test_each_parser_refuses_another_type_through_the_envelope(parse, expected):
    message = refusal(parse, {"type": "x" * 200})
    assert message == expected + "x" * (80 - 2)
