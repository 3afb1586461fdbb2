"""SNS subscription filter policies: declared as ``FilterPolicy`` in the function's
``event_source`` block, set on the runtime's subscription, so SNS drops what it rejects
and the function is never invoked for it (as on AWS)."""

from __future__ import annotations

import json

import pytest

from local_runtime import LocalRuntime
from local_runtime.config import ConfigError, parse_async_settings
from tests.conformance.projects import unique, write_project

APP = """
import os
from chalice import Chalice

app = Chalice(app_name="conformance")


@app.on_sns_message(topic=os.environ["TOPIC"])
def filtered(event):
    return {"handled": event.message}
"""

POLICY = {"group": ["feed"], "event_type": ["yubl-posted"]}


def _attributes(**values: str) -> dict:
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items()}


@pytest.mark.emulator
def test_the_filter_policy_drops_what_it_should_and_delivers_the_rest(tmp_path, sns):
    name = unique("conf-filter")
    arn = sns.create_topic(Name=name)["TopicArn"]
    app_dir = write_project(
        tmp_path,
        APP,
        environment={"TOPIC": name},
        functions={"filtered": {"event_source": {"FilterPolicy": POLICY}}},
    )
    runtime = LocalRuntime.from_project(app_dir, poll_interval=0.05, receive_wait=0)
    with runtime:
        [subscription] = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
        attributes = sns.get_subscription_attributes(
            SubscriptionArn=subscription["SubscriptionArn"]
        )["Attributes"]
        assert json.loads(attributes["FilterPolicy"]) == POLICY
        sends = [
            ("kept", _attributes(group="feed", event_type="yubl-posted")),
            ("other group", _attributes(group="archive", event_type="yubl-posted")),
            ("other type", _attributes(group="feed", event_type="yubl-deleted")),
            ("one missing", _attributes(group="feed")),
            ("none", {}),
            ("kept too", _attributes(group="feed", event_type="yubl-posted", author_id="a")),
        ]
        for message, message_attributes in sends:
            sns.publish(TopicArn=arn, Message=message, MessageAttributes=message_attributes)
        runtime.wait_until_idle(30)
    handled = sorted(i.event["Records"][0]["Sns"]["Message"] for i in runtime.invocations)
    assert handled == ["kept", "kept too"]


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("{nope", "filtered: FilterPolicy is not JSON"),
        ([], "filtered: FilterPolicy must be a non-empty JSON object"),
        ({}, "filtered: FilterPolicy must be a non-empty JSON object"),
        ({"group": "feed"}, "filtered: FilterPolicy.group must be a list of values or an object"),
    ],
)
def test_a_filter_policy_sns_would_refuse_is_refused_at_start(policy, message):
    with pytest.raises(ConfigError) as caught:
        parse_async_settings("filtered", {"FilterPolicy": policy}, (1.0,))
    assert str(caught.value).startswith(message)


def test_a_filter_policy_given_as_text_or_object_is_the_same_policy():
    as_text = parse_async_settings("f", {"FilterPolicy": json.dumps(POLICY)}, (1.0,))
    as_object = parse_async_settings("f", {"FilterPolicy": POLICY}, (1.0,))
    assert (
        as_text.filter_policy
        == as_object.filter_policy
        == json.dumps(POLICY, separators=(",", ":"))
    )
    assert as_object.filter_policy_scope == "MessageAttributes"
