"""The feed store writes each entry as its PynamoDB model serializes it, without building
the model (chalicelib.adapters.dynamodb_stores.DynamoFeedStore._item).

No AWS call: a bound model serializes in this process. Random references (ASCII,
non-ASCII, empty strings) must give the same item, attribute for attribute and in the
same order, as ``FeedEntryModel(...).serialize()``; a value that is not a string must
fail as the model fails. Checked to fail: an attribute written as ``N``, the stored
names swapped, or a None written instead of raising each broke a test.
"""

from __future__ import annotations

import random

import pytest
from pynamodb.exceptions import AttributeNullError

from chalicelib.adapters.dynamodb_models import bind_feed_model
from chalicelib.adapters.dynamodb_stores import DynamoFeedStore
from chalicelib.domain.feed import FeedRef


def _text(draw: random.Random) -> str:
    return "".join(draw.choice("ab-_:.0é€😀") for _ in range(draw.randrange(0, 12)))


def test_an_entry_is_written_as_the_model_serializes_it():
    store = DynamoFeedStore(bind_feed_model("feeds-unit"))
    draw = random.Random(22)
    for _ in range(200):
        ref = FeedRef(_text(draw) or "u", _text(draw) or "y", _text(draw), _text(draw))
        direct = store._item(ref)
        by_model = store._to_model(ref).serialize()
        assert direct == by_model
        assert list(direct) == list(by_model) == ["author_id", "posted_at", "user_id", "yubl_id"]
    assert store._item(FeedRef("bob", "1795-ab", "alice", "2026-12-08T01:00:00.000Z")) == {
        "author_id": {"S": "alice"},
        "posted_at": {"S": "2026-12-08T01:00:00.000Z"},
        "user_id": {"S": "bob"},
        "yubl_id": {"S": "1795-ab"},
    }


def test_a_value_that_is_not_a_string_fails_as_the_model_fails():
    store = DynamoFeedStore(bind_feed_model("feeds-unit"))
    with pytest.raises(AttributeNullError, match="posted_at"):
        store._item(FeedRef("bob", "1795-ab", "alice", None))  # type: ignore[arg-type]
