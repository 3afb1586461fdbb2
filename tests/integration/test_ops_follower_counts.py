"""``python -m ops.follower_counts`` on the emulator: counts set from the relationships,
and a follow that lands mid-recount is not lost."""

from __future__ import annotations

import os

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters.celebrity_models import bind_author_model
from chalicelib.adapters.celebrity_stores import DynamoAuthorIndex
from ops.follower_counts import authors, main, recount

from .users_rows import register

pytestmark = pytest.mark.emulator


def _legacy_follow(author: str, fans: list[str]) -> None:
    """Relationships written before counts were kept: no count moves."""
    table = boto3.resource("dynamodb").Table(os.environ["RELATIONSHIPS_TABLE"])
    for fan in fans:
        table.put_item(Item={"user_id": author, "follower_id": fan})


def test_counts_are_set_from_the_relationships_and_a_second_run_changes_nothing(
    stage_environment, unique, capsys
):
    old, counted = f"{unique}-old", f"{unique}-counted"
    _legacy_follow(old, [f"{unique}-fan-{n}" for n in range(5)])
    wiring.following_service().follow(*register(counted, f"{unique}-fan-0"))
    index = DynamoAuthorIndex(bind_author_model(os.environ["AUTHORS_TABLE"]))
    assert (index.follower_count(old), index.follower_count(counted)) == (0, 1)
    assert main(["--author", old, "--author", counted]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{old}: 0 -> 5",
        "recounted 2 authors, 1 counts changed",
    ]
    assert (index.follower_count(old), index.follower_count(counted)) == (5, 1)
    main(["--author", old])
    assert capsys.readouterr().out.splitlines() == ["recounted 1 authors, 0 counts changed"]
    assert {old, counted} <= set(
        authors(boto3.client("dynamodb"), os.environ["RELATIONSHIPS_TABLE"])
    )


class _FollowBeforeFirstWrite:
    """The real client, but a follow (through the app's transaction) lands between the
    recount's Query and its first conditional write."""

    def __init__(self, client, follow) -> None:
        self._client = client
        self._follow = follow

    def update_item(self, **kwargs):
        if self._follow is not None:
            self._follow()
            self._follow = None
        return self._client.update_item(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_a_follow_during_the_recount_is_counted(stage_environment, unique):
    author = f"{unique}-busy"
    _legacy_follow(author, [f"{unique}-fan-{n}" for n in range(3)])
    client = _FollowBeforeFirstWrite(
        boto3.client("dynamodb"),
        lambda: wiring.following_service().follow(*register(author, f"{unique}-late")),
    )
    lines: list[str] = []
    summary = recount(
        client,
        os.environ["RELATIONSHIPS_TABLE"],
        os.environ["AUTHORS_TABLE"],
        [author],
        lines.append,
    )
    # the first write (0 -> 3) found the count moved to 1 by the follow; the retry
    # counted 4 relationships and wrote 1 -> 4
    assert lines == [f"{author}: 1 -> 4"]
    assert summary == {"authors": 1, "changed": 1}
    index = DynamoAuthorIndex(bind_author_model(os.environ["AUTHORS_TABLE"]))
    assert index.follower_count(author) == 4
