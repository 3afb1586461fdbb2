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


def test_racing_posts_of_one_url_from_many_containers_get_one_code_and_leave_one_link(
    stage_environment, unique
):
    url = f"https://example.com/race-{unique}"
    containers = [_service(DynamoLinkStore(TABLE)) for _ in range(6)]
    start = threading.Barrier(len(containers))
    codes: list[str] = []

    def post(service: ShortenerService) -> None:
        start.wait()
        codes.append(service.shorten(url).code)

    threads = [threading.Thread(target=post, args=(s,)) for s in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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
