"""The client library: TTL cache, refresh off the caller's path, last known good."""

from __future__ import annotations

import pytest

from chalicelib.config.client import (
    ConfigClient,
    ConfigProvider,
    ConfigUnavailable,
    InProcessSource,
)

from .conftest import ADMIN

TTL = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Deferred:
    """Background tasks held until the test runs them: nothing happens behind its back."""

    def __init__(self) -> None:
        self.tasks: list = []

    def __call__(self, task) -> None:
        self.tasks.append(task)

    def run(self) -> None:
        tasks, self.tasks = self.tasks, []
        for task in tasks:
            task()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def background() -> Deferred:
    return Deferred()


@pytest.fixture
def client(service, cipher, clock, background) -> ConfigClient:
    provider = ConfigProvider(InProcessSource(service), cipher)
    return ConfigClient(provider, ttl=TTL, clock=clock, background=background)


def test_no_store_call_within_the_ttl(client, service, store, clock):
    service.put(ADMIN, "fanout.group_size", 250, False, None)
    calls = store.calls
    assert client.get("fanout.group_size") == 250
    assert store.calls == calls + 1
    for _ in range(10):
        clock.now += (TTL - 1) / 10
        assert client.get("fanout.group_size") == 250
    assert store.calls == calls + 1


def test_a_changed_value_is_seen_after_the_ttl_without_making_the_caller_wait(
    client, service, store, clock, background
):
    service.put(ADMIN, "fanout.group_size", 250, False, None)
    assert client.get("fanout.group_size") == 250
    service.put(ADMIN, "fanout.group_size", 40, False, None)
    clock.now += TTL
    calls = store.calls
    assert client.get("fanout.group_size") == 250  # stale, served at once
    assert client.get("fanout.group_size") == 250  # one refresh only is scheduled
    assert (store.calls, len(background.tasks)) == (calls, 1)
    background.run()
    assert store.calls == calls + 1
    assert client.get("fanout.group_size") == 40


def test_last_known_good_is_served_while_the_store_is_down(
    client, service, store, clock, background
):
    service.put(ADMIN, "streams.record_attempts", 5, False, None)
    assert client.get("streams.record_attempts") == 5
    store.down = True
    clock.now += TTL
    assert client.get("streams.record_attempts") == 5
    background.run()  # the refresh fails
    assert client.get("streams.record_attempts", force_refresh=True) == 5
    assert client.get("streams.record_attempts") == 5
    assert background.tasks == []  # a failed refresh waits a TTL before the next one
    clock.now += TTL
    store.down = False
    service.put(ADMIN, "streams.record_attempts", 6, False, None)
    assert client.get("streams.record_attempts") == 5
    background.run()
    assert client.get("streams.record_attempts") == 6


def test_a_key_never_read_while_the_store_is_down_gives_the_default_or_raises(
    client, service, store, clock, background
):
    store.down = True
    calls = store.calls
    assert client.get("fanout.group_size", 500) == 500
    with pytest.raises(ConfigUnavailable):
        client.get("fanout.group_size")
    assert client.get("fanout.group_size", 500) == 500
    assert store.calls == calls + 1  # callers do not wait on a failing store again within the TTL
    store.down = False
    service.put(ADMIN, "fanout.group_size", 20, False, None)
    clock.now += TTL
    assert client.get("fanout.group_size", 500) == 500
    background.run()
    assert client.get("fanout.group_size", 500) == 20


def test_force_refresh_fetches_now(client, service, store):
    service.put(ADMIN, "k", 1, False, None)
    assert client.get("k") == 1
    service.put(ADMIN, "k", 2, False, None)
    assert client.get("k", force_refresh=True) == 2


def test_a_missing_key_gives_the_default_and_is_cached_too(client, store):
    calls = store.calls
    assert client.get("nothing.here", 7) == 7
    assert client.get("nothing.here", 8) == 8
    assert store.calls == calls + 1
    with pytest.raises(KeyError):
        client.get("nothing.here")


def test_a_secret_comes_back_decrypted_through_kms(client, service, kms):
    service.put(ADMIN, "db.password", {"user": "app", "password": "hunter2"}, True, None)
    assert client.get("db.password") == {"user": "app", "password": "hunter2"}
    assert kms.decrypts == 1
