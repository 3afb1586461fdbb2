"""The local stack makes the template's SNS subscriptions itself: only those whose
condition holds for the stack's parameters, as CloudFormation would."""

from __future__ import annotations

from devstack.stack import PROJECT_DIR
from devstack.subscriptions import template_subscriptions

TEMPLATE = PROJECT_DIR / "infra" / "resources.yaml"


def test_without_an_alarm_email_the_alarm_subscription_is_not_made():
    subscriptions = template_subscriptions(TEMPLATE, {"Stage": "local"})
    assert "AlarmEmailSubscription" not in subscriptions
    assert "ArchiveSubscription" in subscriptions


def test_with_an_alarm_email_the_alarm_topic_gets_that_subscriber():
    subscriptions = template_subscriptions(
        TEMPLATE, {"Stage": "local", "AlarmEmail": "ops@example.com"}
    )
    assert subscriptions["AlarmEmailSubscription"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert subscriptions["AlarmEmailSubscription"]["Protocol"] == "email"


def test_an_existing_alarm_topic_takes_no_email_subscription():
    subscriptions = template_subscriptions(
        TEMPLATE,
        {"AlarmEmail": "ops@example.com", "ExistingAlarmTopicArn": "arn:aws:sns:x:1:mine"},
    )
    assert "AlarmEmailSubscription" not in subscriptions
