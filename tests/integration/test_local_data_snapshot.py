"""The local data snapshot against the emulator: the stack's tables found from the stack,
rows and objects taken and written back, and the secrets KMS no longer decrypts."""

from __future__ import annotations

import base64
import json
import os

import boto3
import pytest
from cfnlint.decode import decode_str

from chalicelib.config.crypto import KmsEnvelopeCipher
from devstack.infra import TEMPLATE_PATH, stack_name
from devstack.persistence import unreadable_secrets
from devstack.snapshot import StackData, restore, stack_data, take

pytestmark = pytest.mark.emulator


def _clients() -> dict:
    return {
        "dynamodb": boto3.client("dynamodb"),
        "dynamodb_resource": boto3.resource("dynamodb"),
        "s3": boto3.client("s3"),
    }


def test_the_tables_and_buckets_are_those_of_the_template(stack_outputs):
    template, _ = decode_str(TEMPLATE_PATH.read_text())
    resources = template["Resources"]
    tables = {k for k, v in resources.items() if v["Type"] == "AWS::DynamoDB::Table"}
    buckets = {k for k, v in resources.items() if v["Type"] == "AWS::S3::Bucket"}
    found = stack_data(boto3.client("cloudformation"), stack_name("local"))
    assert set(found.tables) == tables and len(tables) >= 7
    assert found.tables["FeedsTable"] == stack_outputs["FeedsTableName"]
    assert found.buckets == {
        "ArchiveBucket": stack_outputs["ArchiveBucketName"],
        "ExportsBucket": stack_outputs["ExportsBucketName"],
    }
    assert buckets == {"ArchiveBucket", "ExportsBucket"}


def test_rows_and_objects_deleted_after_a_snapshot_come_back_from_it(
    stack_outputs, unique, tmp_path
):
    # GIVEN a feed row, an API key row with a string set, and an archive object
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    feeds, keys = stack_outputs["FeedsTableName"], stack_outputs["ConfigApiKeysTableName"]
    bucket = stack_outputs["ArchiveBucketName"]
    feed_row = {"user_id": {"S": f"u-{unique}"}, "yubl_id": {"S": "y-1"}, "n": {"N": "3"}}
    key_row = {"key_id": {"S": f"k-{unique}"}, "scopes": {"SS": ["read", "write"]}}
    dynamodb.put_item(TableName=feeds, Item=feed_row)
    dynamodb.put_item(TableName=keys, Item=key_row)
    s3.put_object(Bucket=bucket, Key=f"{unique}/a.jsonl", Body=b'{"a": 1}\n', ContentType="x/y")
    resources = StackData(
        {"FeedsTable": feeds, "ConfigApiKeysTable": keys}, {"ArchiveBucket": bucket}
    )
    path = tmp_path / "snapshot.jsonl"
    counts = take(_clients(), resources, "yubl-fanout-local", path)
    assert counts["tables"]["FeedsTable"] >= 1 and counts["buckets"]["ArchiveBucket"] >= 1
    # WHEN they are deleted, then the snapshot is restored
    dynamodb.delete_item(TableName=feeds, Key={k: feed_row[k] for k in ("user_id", "yubl_id")})
    dynamodb.delete_item(TableName=keys, Key={"key_id": key_row["key_id"]})
    s3.delete_object(Bucket=bucket, Key=f"{unique}/a.jsonl")
    done = restore(_clients(), resources, path)
    # THEN each is back as it was
    assert done["tables"] == counts["tables"] and done["gone"] == []
    got = dynamodb.get_item(TableName=feeds, Key={k: feed_row[k] for k in ("user_id", "yubl_id")})
    assert got["Item"] == feed_row
    got = dynamodb.get_item(TableName=keys, Key={"key_id": key_row["key_id"]})
    assert got["Item"]["key_id"] == key_row["key_id"]
    assert sorted(got["Item"]["scopes"]["SS"]) == ["read", "write"]
    obj = s3.get_object(Bucket=bucket, Key=f"{unique}/a.jsonl")
    assert (obj["Body"].read(), obj["ContentType"]) == (b'{"a": 1}\n', "x/y")


def test_a_table_the_stack_no_longer_has_is_named_not_restored(stack_outputs, tmp_path):
    feeds = stack_outputs["FeedsTableName"]
    path = tmp_path / "snapshot.jsonl"
    take(_clients(), StackData({"OldTable": feeds}), "s", path)
    done = restore(_clients(), StackData({"FeedsTable": feeds}), path)
    assert (done["tables"], done["gone"]) == ({}, ["OldTable"])


def _head(key: str, value: str, **extra: dict) -> dict:
    item = {"key": {"S": key}, "version": {"N": "0"}, "secret": {"BOOL": True}}
    return {**item, "value": {"S": value}, **extra}


def test_only_live_secrets_kms_refuses_are_reported(stack_outputs, unique):
    # GIVEN secrets sealed under the stage's key, one whose data key came from another
    # KMS (as after a restart), a deleted one and an old version with the foreign data key
    table = stack_outputs["ConfigTableName"]
    kms = boto3.client("kms")
    cipher = KmsEnvelopeCipher(kms, stack_outputs["ConfigKeyAliasName"])
    good, foreign = f"{unique}.good", f"{unique}.foreign"
    envelope = json.loads(base64.b64decode(cipher.encrypt(foreign, b"s3cr3t")))
    envelope["key"] = base64.b64encode(os.urandom(180)).decode()
    stale = base64.b64encode(json.dumps(envelope).encode()).decode()
    dynamodb = boto3.client("dynamodb")
    for item in (
        _head(good, cipher.encrypt(good, b"fine")),
        _head(foreign, stale),
        _head(f"{unique}.deleted", stale, deleted={"BOOL": True}),
        {**_head(f"{unique}.old", stale), "version": {"N": "1"}},
        {**_head(f"{unique}.plain", "1"), "secret": {"BOOL": False}},
    ):
        dynamodb.put_item(TableName=table, Item=item)
    # WHEN the table is checked THEN only the live secret KMS refuses is named
    found = unreadable_secrets(dynamodb, kms, table)
    assert [key for key in found if key.startswith(unique)] == [foreign]
