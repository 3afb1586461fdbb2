"""Exporting one's data on the twins: the request, the worker's file, the status and URL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.posts import iso_millis

from .accounts_world import World


def _scene() -> tuple[World, dict[str, object]]:
    """ann: three posts (the second deleted), follows b and c, followed by d, e, f, mutes g,
    mentioned twice; what each part of her export must hold."""
    world = World()
    world.signed_up("ann", "b", "c", "d", "e", "f", "g")
    for author in ("c", "b"):
        world.following.follow(author, "ann")
    for follower in ("f", "d", "e"):
        world.following.follow("ann", follower)
    world.muting.mute("ann", "g")
    mine = [world.post("ann", f"mine {n}") for n in range(3)]
    mentions = [world.post("b", "hi @ann"), world.post("c", "@ann again")]
    world.dispatch()
    world.posting.delete("ann", mine[1].yubl_id)
    world.dispatch()
    world.deliver()
    expected = {
        "profile": [{"user_id": "ann", "created_at": "2026-01-01T00:00:00.000Z", "followers": 3}],
        "post": [y.to_wire() for y in (mine[2], mine[0])],  # newest first, the deleted left out
        "following": [{"user_id": "b"}, {"user_id": "c"}],
        "follower": [{"user_id": "d"}, {"user_id": "e"}, {"user_id": "f"}],
        "mute": [{"author_id": "g"}],
        "notification": [y.to_wire() for y in reversed(mentions)],
    }
    return world, expected


def _by_type(lines: list[str]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for line in lines:
        record = json.loads(line)
        found.setdefault(record.pop("type"), []).append(record)
    return found


def test_an_export_is_queued_then_written_whole_and_its_url_signed_at_each_get():
    world, expected = _scene()
    request = world.export.request("ann")
    assert world.export.status("ann", request.export_id).status == "pending"
    [(message, delay, _)] = world.export_queue.sent
    assert (message["type"], message["user_id"], delay) == ("export-requested", "ann", 0)
    written = world.export_writer.write(message)
    lines = world.exports.files[("ann", request.export_id)]
    assert written.lines == len(lines) == 1 + 2 + 2 + 3 + 1 + 2
    assert [json.loads(line)["type"] for line in lines[:2]] == ["profile", "post"]
    assert _by_type(lines) == expected
    ready = world.export.status("ann", request.export_id)
    assert ready.status == "ready" and ready.url is not None
    assert ready.expires_at == iso_millis(world.clock() + timedelta(seconds=3600))


def test_an_exports_content_equals_what_the_api_shows_for_that_user():
    world, _ = _scene()
    reads = world.reads()
    api = {
        "profile": [reads.profile("ann").__dict__],
        "post": [y.to_wire() for y in reads.posts("ann", 1000, None).items],
        "following": [{"user_id": u} for u in reads.following("ann", 1000, None).items],
        "follower": [{"user_id": u} for u in reads.followers("ann", 1000, None).items],
        "mute": [{"author_id": u} for u in reads.mutes("ann", 1000, None).items],
        "notification": [e.yubl.to_wire() for e in reads.notifications("ann", 1000, None).items],
    }
    assert _by_type(list(world.export_writer.lines("ann"))) == api


def test_a_deleted_accounts_export_request_writes_nothing():
    world, _ = _scene()
    world.export.request("ann")
    world.account.delete("ann")
    [(message, _, _)] = world.export_queue.sent
    written = world.export_writer.write(message)
    assert (written.lines, written.skipped) == (0, "the account is deleted")
    assert world.exports.files == {}


@pytest.mark.parametrize(
    ("user", "export_id", "error", "kind"),
    [
        ("ann", "not-an-id", "export_id: must be 32 lowercase hex digits", InvalidInput),
        ("a b", "0" * 32, "user_id: must be 1-64 characters", InvalidInput),
        ("ann", "0" * 32, f"export_id: no export {'0' * 32} of user ann", NotFound),
    ],
)
def test_a_bad_or_unknown_export_id_is_refused_naming_the_field(user, export_id, error, kind):
    world, _ = _scene()
    with pytest.raises(kind) as caught:
        world.export.status(user, export_id)
    assert str(caught.value).startswith(error)


def test_someone_elses_export_id_is_unknown_under_your_own_name():
    world, _ = _scene()
    theirs = world.export.request("b")
    with pytest.raises(NotFound):
        world.export.status("ann", theirs.export_id)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("text", "message: must be a JSON object"),
        ({"type": "export-done"}, "type: must be 'export-requested'"),
        (
            {"type": "export-requested", "user_id": "ann", "export_id": "x"},
            "export_id: must be 32 lowercase hex digits",
        ),
    ],
)
def test_a_bad_queue_message_is_invalid_input_before_anything_is_read(message, error):
    world, _ = _scene()
    with pytest.raises(InvalidInput) as caught:
        world.export_writer.write(message)
    assert str(caught.value).startswith(error)
    assert world.exports.files == {}
