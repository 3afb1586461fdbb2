"""GET /users/{user_id}/notifications on the emulator's notifications table: the feed's
paging contract and errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import wiring
from chalicelib.domain.posts import new_yubl, yubl_posted_event
from chalicelib.domain.routing import event_id

from .test_http_api import _json, client  # noqa: F401  (the module's Chalice test client)

pytestmark = pytest.mark.emulator


def test_notifications_are_paged_newest_first_and_a_replay_adds_none(client, unique):  # noqa: F811
    user = f"{unique}-bob"
    now = datetime.now(UTC)
    yubls = [
        new_yubl(f"{unique}-a{i}", f"hey @{user} #{i}", now=now - timedelta(seconds=3 - i))
        for i in range(3)
    ]
    service = wiring.notification_service()
    for yubl in [*yubls, yubls[0]]:  # the first delivered twice
        service.notify({**yubl_posted_event(yubl), "event_id": event_id("yubl-posted", yubl)})
    first = client.http.get(f"/users/{user}/notifications?limit=2")
    assert first.status_code == 200
    body = _json(first)
    assert body["items"] == [yubls[2].to_wire(), yubls[1].to_wire()]
    second = _json(client.http.get(f"/users/{user}/notifications?cursor={body['next_cursor']}"))
    assert second == {"items": [yubls[0].to_wire()], "next_cursor": None}


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/users/{u}/notifications?limit=0", "limit: must be an integer from 1 to 1000"),
        ("/users/{u}/notifications?cursor=nope", "cursor: is not a cursor this API returned"),
        (
            "/users/bad%20id/notifications",
            "user_id: must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'",
        ),
    ],
)
def test_bad_requests_are_400(client, unique, path, error):  # noqa: F811
    response = client.http.get(path.format(u=unique))
    assert (response.status_code, json.loads(response.body)) == (400, {"error": error})


def test_a_user_with_no_notifications_gets_an_empty_page(client, unique):  # noqa: F811
    response = client.http.get(f"/users/{unique}-nobody/notifications")
    assert (response.status_code, _json(response)) == (200, {"items": [], "next_cursor": None})
