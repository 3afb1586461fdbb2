"""Every PynamoDB model and boto3 client is built from one botocore session, so DynamoDB's
service model is loaded once per process, not once per model (chalicelib.adapters.sdk_session).

No call is made: building a client needs a region and credentials, not an endpoint."""

from __future__ import annotations

import threading

import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.adapters.sdk_session import client, share_session


class _Row(Model):
    key = UnicodeAttribute(hash_key=True)


def _bound(name: str) -> type[_Row]:
    meta = type("Meta", (), {"table_name": name, "region": "eu-west-1"})
    return type(f"Row{name}", (_Row,), {"Meta": meta})


def _description(model: type[Model]) -> object:
    """The service description PynamoDB's client was built from: one dict per load."""
    return model._get_connection().connection.client.meta.service_model._service_description


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


def test_without_it_each_model_loads_the_service_model_again():
    # the cost share_session removes: PynamoDB's own session per model class
    assert _description(_bound("plain-a")) is not _description(_bound("plain-b"))


def test_shared_models_and_boto3_clients_load_the_service_model_once():
    first, second = share_session(_bound("a")), share_session(_bound("b"))
    description = _description(first)
    assert _description(second) is description
    assert client("dynamodb").meta.service_model._service_description is description
    clients = [model._get_connection().connection.client for model in (first, second)]
    assert clients[0] is not clients[1]


def test_models_shared_from_many_threads_each_get_their_own_client():
    models = [_bound(f"threaded-{n}") for n in range(8)]
    start = threading.Barrier(len(models))

    def share(model: type[_Row]) -> None:
        start.wait()
        share_session(model)

    threads = [threading.Thread(target=share, args=(m,)) for m in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    clients = {id(m._get_connection().connection.client) for m in models}
    assert len(clients) == len(models)
    assert {id(_description(m)) for m in models} == {id(_description(models[0]))}


def test_another_thread_uses_the_client_built_for_it():
    model = share_session(_bound("other-thread"))
    built = model._get_connection().connection.client
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(model._get_connection().connection.client))
    thread.start()
    thread.join()
    assert seen == [built]


def test_the_model_keeps_its_own_region_and_table():
    model = share_session(_bound("regional"))
    connection = model._get_connection()
    assert connection.table_name == "regional"
    assert connection.connection.client.meta.region_name == "eu-west-1"
