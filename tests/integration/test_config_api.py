"""The config service through its HTTP API (Chalice's test client), tables and KMS on
the emulator."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import boto3
import pytest
from chalice.test import Client

from chalicelib.config import wiring as config_wiring
from chalicelib.config.crypto import SecretUnreadable, encryption_context
from devstack.stack import PROJECT_DIR
from ops.api_keys import GatewayKeys
from tests.chalice_app import load_app

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def client(stage_environment) -> Iterator[Client]:
    app = load_app()
    with Client(app, stage_name="local", project_dir=str(PROJECT_DIR)) as test_client:
        yield test_client


def _key(scopes: str, prefix: str) -> str:
    return config_wiring.api_key_service().create(scopes, prefix)[1]


@pytest.fixture
def admin(stage_environment, unique) -> str:
    return _key("read,write", f"{unique}.")


def _call(client, method, path, key=None, body=None):
    headers = {} if key is None else {"x-api-key": key}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = body if isinstance(body, str) else json.dumps(body)
    response = getattr(client.http, method)(path, headers=headers, body=body)
    return response.status_code, json.loads(response.body) if response.body else None


def test_put_get_and_compare_and_set_conflict(client, admin, unique):
    key = f"{unique}.fanout.group_size"
    assert _call(client, "put", f"/config/{key}", admin, {"value": 100}) == (
        200,
        {"key": key, "version": 1},
    )
    assert _call(client, "put", f"/config/{key}", admin, {"value": 200, "expected_version": 1})[
        1
    ] == {"key": key, "version": 2}
    status, body = _call(
        client, "put", f"/config/{key}", admin, {"value": 300, "expected_version": 1}
    )
    assert (status, body) == (
        409,
        {"error": f"expected_version: {key} is at version 2, not 1", "current_version": 2},
    )
    status, got = _call(client, "get", f"/config/{key}", admin)
    assert (status, got["value"], got["version"], got["secret"]) == (200, 200, 2, False)
    assert _call(client, "get", f"/config/{key}?version=1", admin)[1]["value"] == 100


def test_create_only_put_and_delete_keeping_history(client, admin, unique):
    key = f"{unique}.feature"
    assert (
        _call(client, "put", f"/config/{key}", admin, {"value": "on", "expected_version": 0})[0]
        == 200
    )
    assert (
        _call(client, "put", f"/config/{key}", admin, {"value": "x", "expected_version": 0})[0]
        == 409
    )
    assert _call(client, "delete", f"/config/{key}", admin) == (
        200,
        {"key": key, "version": 2, "deleted": True},
    )
    assert _call(client, "get", f"/config/{key}", admin)[0] == 404
    assert _call(client, "put", f"/config/{key}", admin, {"value": "off", "expected_version": 0})[
        1
    ] == {"key": key, "version": 3}
    history = _call(client, "get", f"/config/{key}/history", admin)[1]
    assert [(v["version"], v["value"], v["deleted"]) for v in history["versions"]] == [
        (1, "on", False),
        (2, None, True),
        (3, "off", False),
    ]


def test_rollback_writes_an_old_version_forward(client, admin, unique):
    key = f"{unique}.limits"
    for value in ({"max": 1}, {"max": 2}, {"max": 3}):
        _call(client, "put", f"/config/{key}", admin, {"value": value})
    assert _call(client, "post", f"/config/{key}/rollback", admin, {"version": 1}) == (
        200,
        {"key": key, "version": 4, "rolled_back_to": 1},
    )
    got = _call(client, "get", f"/config/{key}", admin)[1]
    assert (got["value"], got["version"]) == ({"max": 1}, 4)
    assert _call(client, "post", f"/config/{key}/rollback", admin, {"version": 9})[0] == 404


def test_history_redacts_secret_values(client, admin, unique):
    key = f"{unique}.db.password"
    _call(client, "put", f"/config/{key}", admin, {"value": "plain-first"})
    _call(client, "put", f"/config/{key}", admin, {"value": f"pw-{unique}", "secret": True})
    status, history = _call(client, "get", f"/config/{key}/history", admin)
    assert status == 200
    assert [(v["version"], v["secret"], v["value"]) for v in history["versions"]] == [
        (1, False, "plain-first"),
        (2, True, None),
    ]
    assert f"pw-{unique}" not in json.dumps(history)


def test_a_secrets_table_item_holds_no_plaintext_and_decrypts_only_under_its_key(
    client, admin, unique, stage_environment
):
    key, plaintext = f"{unique}.db.password", f"pw-{unique}-s3cret"
    _call(client, "put", f"/config/{key}", admin, {"value": plaintext, "secret": True})
    table = stage_environment["CONFIG_TABLE"]
    dynamodb = boto3.client("dynamodb")
    items = dynamodb.query(
        TableName=table,
        KeyConditionExpression="#k = :k",
        ExpressionAttributeNames={"#k": "key"},
        ExpressionAttributeValues={":k": {"S": key}},
        ConsistentRead=True,
    )["Items"]
    assert [item["version"]["N"] for item in items] == ["0", "1"]  # the head and version 1
    assert all(plaintext not in json.dumps(item) for item in items)
    ciphertext = items[1]["value"]["S"]
    got = _call(client, "get", f"/config/{key}", admin)[1]
    assert (got["value"], got["secret"]) == (ciphertext, True)

    cipher = config_wiring.cipher()
    assert json.loads(cipher.decrypt(key, ciphertext)) == plaintext
    with pytest.raises(SecretUnreadable):
        cipher.decrypt(f"{unique}.other", ciphertext)
    # KMS itself refuses the data key under another config key's context
    envelope = json.loads(base64.b64decode(ciphertext))
    data_key = base64.b64decode(envelope["key"])
    kms = boto3.client("kms")
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=data_key, EncryptionContext=encryption_context("other"))
    assert (
        len(
            kms.decrypt(CiphertextBlob=data_key, EncryptionContext=encryption_context(key))[
                "Plaintext"
            ]
        )
        == 32
    )


def test_unauthorized_without_a_valid_key(client, admin, unique, stage_environment):
    key_id = admin.split(".")[0]
    revoked = _key("read,write", f"{unique}.")
    config_wiring.api_key_service().revoke(revoked.split(".")[0])
    path = f"/config/{unique}.x"
    for presented in (None, "", "nonsense", f"{key_id}.wrong-secret", revoked):
        for method, body in (("get", None), ("put", {"value": 1}), ("delete", None)):
            status, answer = _call(client, method, path, presented, body)
            assert status == 401, (presented, method)
            assert answer["error"].startswith("x-api-key: ")
    assert _call(client, "get", "/config", None)[0] == 401
    assert _call(client, "get", f"{path}/history", "nonsense")[0] == 401
    assert _call(client, "post", f"{path}/rollback", None, {"version": 1})[0] == 401


def test_forbidden_outside_scope_or_prefix(client, admin, unique):
    mine = f"{unique}.app.flag"
    _call(client, "put", f"/config/{mine}", admin, {"value": 1})
    reader = _key("read", f"{unique}.app.")
    writer = _key("write", f"{unique}.app.")
    elsewhere = _key("read,write", f"{unique}.other.")
    cases = [
        (reader, "put", f"/config/{mine}", {"value": 2}),
        (reader, "delete", f"/config/{mine}", None),
        (reader, "post", f"/config/{mine}/rollback", {"version": 1}),
        (writer, "get", f"/config/{mine}", None),
        (writer, "get", f"/config/{mine}/history", None),
        (writer, "get", "/config", None),
        (elsewhere, "get", f"/config/{mine}", None),
        (elsewhere, "put", f"/config/{mine}", {"value": 3}),
        (elsewhere, "delete", f"/config/{mine}", None),
        (elsewhere, "get", f"/config/{mine}/history", None),
        (elsewhere, "post", f"/config/{mine}/rollback", {"version": 1}),
    ]
    for presented, method, path, body in cases:
        assert _call(client, method, path, presented, body)[0] == 403, (method, path)
    got = _call(client, "get", f"/config/{mine}", admin)[1]
    assert (got["value"], got["version"]) == (1, 1)  # nothing changed


def test_listing_pages_through_the_keys_the_caller_may_read(client, admin, unique):
    for name in ("a", "b", "c", "d"):
        _call(client, "put", f"/config/{unique}.list.{name}", admin, {"value": name})
    _call(client, "delete", f"/config/{unique}.list.c", admin)
    _call(client, "put", f"/config/{unique}.hidden", admin, {"value": 0})
    reader = _key("read", f"{unique}.list.")
    seen, cursor = [], None
    for _ in range(5):
        query = f"/config?prefix={unique}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        status, page = _call(client, "get", query, reader)
        assert status == 200
        seen += [k["key"] for k in page["keys"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"{unique}.list.a", f"{unique}.list.b", f"{unique}.list.d"]


@pytest.mark.parametrize(
    ("method", "path", "body", "error"),
    [
        ("put", "/config/bad%2Fkey", {"value": 1}, "key: "),
        ("put", "/config/{u}.k", {"secret": True}, "value: is required"),
        ("put", "/config/{u}.k", {"value": 1, "secret": "yes"}, "secret: "),
        ("put", "/config/{u}.k", {"value": 1, "expected_version": "3"}, "expected_version: "),
        ("put", "/config/{u}.k", {"value": 1, "colour": "red"}, "colour: "),
        ("put", "/config/{u}.k", {"value": "x" * 70_000}, "value: "),
        ("put", "/config/{u}.k", "{not json", "body: "),
        ("put", "/config/{u}.k", "[1]", "body: "),
        ("get", "/config/{u}.k?version=zero", None, "version: "),
        ("get", "/config?limit=0", None, "limit: "),
        ("get", "/config?prefix=a/b", None, "prefix: "),
        ("get", "/config?cursor=nope", None, "cursor: "),
        ("post", "/config/{u}.k/rollback", {}, "version: is required"),
        ("post", "/config/{u}.k/rollback", {"version": -1}, "version: "),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    client, admin, unique, written, method, path, body, error
):
    before = written.snapshot()
    status, answer = _call(client, method, path.format(u=unique), admin, body)
    assert status == 400
    assert answer["error"].startswith(error)
    assert written.changed(before) == []


def test_make_api_key_adds_a_gateway_key_with_the_same_value_to_the_usage_plan(
    stage_environment, unique
):
    """What the emulator holds of API Gateway: the REST API, usage plan and API keys."""
    apigateway = boto3.client("apigateway")
    api = apigateway.create_rest_api(name=f"yubl-fanout-{unique}")
    root = apigateway.get_resources(restApiId=api["id"])["items"][0]["id"]
    apigateway.put_method(
        restApiId=api["id"], resourceId=root, httpMethod="GET", authorizationType="NONE"
    )
    apigateway.put_integration(restApiId=api["id"], resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api["id"], stageName="api")
    gateway = GatewayKeys(apigateway, unique, api["id"], "api")
    _, value = config_wiring.api_key_service().create("read", "")
    key_id = value.split(".")[0]

    gateway_id = gateway.add(key_id, value, rate=5, burst=10)

    [plan] = [p for p in apigateway.get_usage_plans()["items"] if p["name"] == gateway.plan_name]
    assert plan["apiStages"] == [{"apiId": api["id"], "stage": "api"}]
    assert plan["throttle"] == {"rateLimit": 5.0, "burstLimit": 10}
    [member] = apigateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert member["id"] == gateway_id
    assert apigateway.get_api_key(apiKey=gateway_id, includeValue=True)["value"] == value
    assert gateway.usage_plan(5, 10) == plan["id"]  # found again, not made twice
    assert gateway.remove(key_id) == 1
    assert apigateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"] == []
