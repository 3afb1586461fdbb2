"""The shortener's DynamoDB store on the emulator: racing posts, counter writes per block."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import boto3
import pytest

from chalicelib.shortener.codes import code_for
from chalicelib.shortener.service import CodeAllocator, ShortenerService
from chalicelib.shortener.store import DynamoLinkStore

pytestmark = pytest.mark.emulator

TABLE = "short-links-local"
KEY = b"integration-test-key-0123"


def _service(store: DynamoLinkStore, block: int = 10) -> ShortenerService:
    return ShortenerService(
        store, CodeAllocator(store, KEY, block), clock=lambda: datetime.now(UTC)
    )


def _links_to(url: str) -> list[dict]:
    table = boto3.resource("dynamodb").Table(TABLE)
    items, kwargs = [], {}
    while True:
        page = table.scan(ConsistentRead=True, **kwargs)
        items += [i for i in page["Items"] if i.get("url") == url]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class ClaimRace:
    """Holds every container's first claim write until all six have read "no claim yet",
    then lets the writes through one at a time; counts each claim's outcome.

    Why: moto's server checks a put's condition and stores the item in two steps, with no
    lock, while its threads serve requests in parallel; two claims can both pass
    ``attribute_not_exists`` under load and both "win" (the flaky failure). DynamoDB
    applies a conditional write to an item atomically, so the test serialises only the
    conditional writes, as DynamoDB does, and everything else (reads, link writes,
    deletes) still runs in parallel. The barrier makes the race certain rather than
    likely: every post misses the claim on its read, so every post must go through the
    claim and five must lose it. A post that never reaches its claim breaks the barrier
    (the test fails) instead of hanging.
    """

    def __init__(self, racers: int) -> None:
        self._all_read = threading.Barrier(racers)
        self._one_write = threading.Lock()
        self._waited = threading.local()
        self.outcomes: list[int] = []  # HTTP status of each claim write

    def watch(self, store: DynamoLinkStore) -> None:
        events = store._claims._get_connection().connection.client.meta.events
        events.register("before-parameter-build.dynamodb.PutItem", self._before)
        events.register("after-call.dynamodb.PutItem", self._after)
        events.register("after-call-error.dynamodb.PutItem", self._after_error)

    def _before(self, params, context, **kwargs):
        if not getattr(self._waited, "done", False):
            self._waited.done = True
            self._all_read.wait(timeout=60)
        assert self._one_write.acquire(timeout=60), "a claim write never finished"
        context["claim_race_locked"] = True

    def _after(self, http_response, context, **kwargs):
        self.outcomes.append(http_response.status_code)
        self._release(context)

    def _after_error(self, context, **kwargs):
        self._release(context)

    def _release(self, context) -> None:
        if context.pop("claim_race_locked", False):
            self._one_write.release()


def test_racing_posts_of_one_url_from_many_containers_get_one_code_and_leave_one_link(
    stage_environment, unique
):
    url = f"https://example.com/race-{unique}"
    stores = [DynamoLinkStore(TABLE) for _ in range(6)]
    race = ClaimRace(len(stores))
    for store in stores:
        race.watch(store)
    containers = [_service(store) for store in stores]
    codes: list[str] = []
    errors: list[BaseException] = []

    def post(service: ShortenerService) -> None:
        try:
            codes.append(service.shorten(url).code)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=post, args=(s,)) for s in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # every post raced for the claim: one won, five lost and took the winner's code
    assert sorted(race.outcomes) == [200, 400, 400, 400, 400, 400]
    assert len(codes) == 6 and len(set(codes)) == 1
    [item] = _links_to(url)
    assert item["pk"] == codes[0]


def test_counter_is_written_once_per_block_of_codes(stage_environment, unique):
    store = DynamoLinkStore(TABLE)
    counter_writes: list[dict] = []
    connection = store._counter._get_connection().connection

    def count(params, **kwargs):
        if params.get("Key", {}).get("pk", {}).get("S") == "#counter":
            counter_writes.append(params)

    connection.client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", count)
    service = _service(store, block=10)
    links = [service.shorten(f"https://example.com/{unique}/{n}") for n in range(25)]
    assert len({link.code for link in links}) == 25
    assert len(counter_writes) == 3  # ceil(25 / 10)


def test_codes_follow_the_counter_blocks(stage_environment, unique):
    store = DynamoLinkStore(TABLE)
    first = store.allocate_block(5)
    second = store.allocate_block(5)
    assert second == first + 5
    service = ShortenerService(store, CodeAllocator(store, KEY, 1), clock=lambda: datetime.now(UTC))
    link = service.shorten(f"https://example.com/{unique}/next")
    assert link.code == code_for(second + 5, KEY)
