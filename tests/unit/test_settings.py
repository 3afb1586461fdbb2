"""Settings: read from the environment, refused with the variable named."""

from __future__ import annotations

import pytest

from chalicelib.domain.routing import RoutingTable, Shape, SubscriberGroup
from chalicelib.settings import Settings, SettingsError

TOPICS = '{"feed": "t", "notifications": "n", "archive": "a", "accounts": "ac"}'
REQUIRED = {
    "YUBL_POSTED_STREAM": "s",
    "GROUP_TOPICS": TOPICS,
    "NOTIFICATIONS_TABLE": "nt",
    "ARCHIVE_QUEUE": "aq",
    "ARCHIVE_BUCKET": "ab",
    "RELATIONSHIPS_TABLE": "r",
    "FEEDS_TABLE": "f",
    "RETRY_QUEUE": "q",
    "DEAD_LETTER_QUEUE": "d",
    "FANOUT_PROGRESS_TABLE": "p",
    "POSTS_TABLE": "pt",
    "MUTES_TABLE": "mt",
    "ACTIVITY_TABLE": "at",
    "FANOUT_WORK_TOPIC": "w",
    "AUTHORS_TABLE": "at",
    "PRIORITY_GROUP_TOPICS": '{"feed": "tp"}',
    "USERS_TABLE": "u",
    "ARCHIVE_INDEX_TABLE": "ai",
    "ACCOUNTS_QUEUE": "acq",
    "EXPORTS_QUEUE": "eq",
    "EXPORTS_BUCKET": "eb",
}


def test_defaults_apply_when_only_names_are_set():
    settings = Settings.from_environ(REQUIRED)
    assert settings == Settings(
        stage="local",
        yubl_posted_stream="s",
        relationships_table="r",
        feeds_table="f",
        retry_queue="q",
        dead_letter_queue="d",
        fanout_progress_table="p",
        notifications_table="nt",
        archive_queue="aq",
        archive_bucket="ab",
        posts_table="pt",
        mutes_table="mt",
        authors_table="at",
        routing=RoutingTable.declare(
            {
                "yubl-posted": ["feed", "notifications", "archive"],
                "yubl-deleted": ["feed", "notifications", "archive"],
                "user-deleted": ["accounts"],
            },
            {"feed": "t", "notifications": "n", "archive": "a", "accounts": "ac"},
        ),
        follower_group_size=500,
        follower_page_size=1000,
        feed_write_max_attempts=8,
        record_attempts=3,
        record_retry_delay_ms=100,
        fanout_progress_ttl_seconds=1_209_600,
        posted_at_max_skew_ms=60_000,
        feed_write_time_margin_ms=10_000,
        feed_max_items=800,
        feed_trim_every=1000,
        activity_table="at",
        fanout_active_days=30,
        feed_rebuild_max_authors=100,
        feed_rebuild_posts_per_author=20,
        feed_rebuild_max_entries=200,
        fanout_work_topic="w",
        fanout_range_size=10_000,
        feed_backfill_posts=20,
        celebrity_threshold=10_000,
        feed_past_end=True,
        priority_topics={"feed": "tp"},
        fanout_priority_max_followers=1_000,
        fanout_bulk_group_size=1_000,
        users_table="u",
        archive_index_table="ai",
        accounts_queue="acq",
        exports_queue="eq",
        exports_bucket="eb",
        account_status_cache_seconds=30,
        account_erase_delay_seconds=120,
        export_url_seconds=3600,
    )


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_a_missing_name_is_refused(name):
    env = {k: v for k, v in REQUIRED.items() if k != name}
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ(env)
    assert str(caught.value) == f"environment variable {name} is not set"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("many", "FOLLOWER_GROUP_SIZE must be an integer, got 'many'"),
        ("0", "FOLLOWER_GROUP_SIZE must be between 1 and 5000, got 0"),
        ("5001", "FOLLOWER_GROUP_SIZE must be between 1 and 5000, got 5001"),
    ],
)
def test_a_bad_number_is_refused_naming_the_variable(value, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, "FOLLOWER_GROUP_SIZE": value})
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("FANOUT_ACTIVE_DAYS", "-1", "FANOUT_ACTIVE_DAYS must be between 0 and 3650, got -1"),
        (
            "FEED_REBUILD_MAX_AUTHORS",
            "0",
            "FEED_REBUILD_MAX_AUTHORS must be between 1 and 5000, got 0",
        ),
    ],
)
def test_inactive_follower_settings_are_checked(name, value, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, name: value})
    assert str(caught.value) == message


def test_fanout_active_days_zero_turns_skipping_off():
    assert Settings.from_environ({**REQUIRED, "FANOUT_ACTIVE_DAYS": "0"}).fanout_active_days == 0


def test_the_default_routing_sends_yubl_posted_to_feed_notifications_and_archive():
    settings = Settings.from_environ(REQUIRED)
    assert settings.routing.groups_for("yubl-posted") == (
        SubscriberGroup("feed", "t", Shape.FOLLOWERS),
        SubscriberGroup("notifications", "n", Shape.EVENT),
        SubscriberGroup("archive", "a", Shape.EVENT),
    )
    assert settings.group_topic("notifications") == "n"


def test_a_stage_overrides_the_routing_and_declares_a_new_group_as_data():
    env = {
        **REQUIRED,
        "GROUP_TOPICS": '{"feed": "t", "search": "search-dev"}',
        "ROUTING": '{"yubl-posted": ["search", "feed"], "yubl-deleted": ["search"]}',
    }
    routing = Settings.from_environ(env).routing
    assert routing.groups_for("yubl-posted") == (
        SubscriberGroup("search", "search-dev", Shape.EVENT),
        SubscriberGroup("feed", "t", Shape.FOLLOWERS),
    )
    assert [g.name for g in routing.groups_for("yubl-deleted")] == ["search"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"ROUTING": '{"yubl-posted": ["feed", "search"]}'},
            "routing: yubl-posted routes to search with no topic",
        ),
        ({"ROUTING": "[1]"}, "ROUTING must be a JSON object, got '[1]'"),
        ({"GROUP_TOPICS": "{nope"}, "GROUP_TOPICS must be a JSON object: Expecting property"),
        ({"GROUP_TOPICS": '{"Feed!": "t"}'}, "group topics: 'Feed!' is not a group name"),
        ({"GROUP_TOPICS": ""}, "environment variable GROUP_TOPICS is not set"),
        ({"ROUTING": '{"yubl-posted": []}'}, "routing: yubl-posted must route to a list"),
    ],
)
def test_a_bad_routing_declaration_is_refused_naming_the_setting(env, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, **env})
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("value", ["-1", "201", "many"])
def test_a_backfill_size_out_of_range_is_refused_naming_it(value):
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, "FEED_BACKFILL_POSTS": value})
    assert "FEED_BACKFILL_POSTS" in str(caught.value)


def test_the_backfill_size_is_read_from_the_environment():
    assert Settings.from_environ({**REQUIRED, "FEED_BACKFILL_POSTS": "0"}).feed_backfill_posts == 0


def test_the_celebrity_threshold_is_read_and_checked():
    assert (
        Settings.from_environ({**REQUIRED, "FANOUT_CELEBRITY_THRESHOLD": "250"}).celebrity_threshold
        == 250
    )
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, "FANOUT_CELEBRITY_THRESHOLD": "-1"})
    assert str(caught.value) == (
        "FANOUT_CELEBRITY_THRESHOLD must be between 0 and 1000000000, got -1"
    )


def test_reads_past_the_feeds_end_are_on_by_default_and_switched_off_with_0():
    assert Settings.from_environ(REQUIRED).feed_past_end is True
    assert Settings.from_environ({**REQUIRED, "FEED_READ_PAST_END": "0"}).feed_past_end is False
    assert Settings.from_environ({**REQUIRED, "FEED_READ_PAST_END": "1"}).feed_past_end is True
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, "FEED_READ_PAST_END": "yes"})
    assert str(caught.value) == "FEED_READ_PAST_END must be an integer, got 'yes'"


def test_the_lanes_are_read_from_the_environment():
    # GIVEN a stage's lane settings
    env = {
        **REQUIRED,
        "FANOUT_PRIORITY_MAX_FOLLOWERS": "250",
        "FANOUT_BULK_GROUP_SIZE": "800",
    }
    # THEN the feed group's priority topic, the lane bound and the bulk group size
    settings = Settings.from_environ(env)
    assert settings.priority_topic("feed") == "tp"
    assert (settings.fanout_priority_max_followers, settings.fanout_bulk_group_size) == (250, 800)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FANOUT_PRIORITY_MAX_FOLLOWERS": "0"},
            "FANOUT_PRIORITY_MAX_FOLLOWERS must be between 1 and 10000, got 0",
        ),
        (
            {"FANOUT_BULK_GROUP_SIZE": "5001"},
            "FANOUT_BULK_GROUP_SIZE must be between 1 and 5000, got 5001",
        ),
        (
            {"PRIORITY_GROUP_TOPICS": '{"notifications": "np"}'},
            "PRIORITY_GROUP_TOPICS must name a topic for each group in FOLLOWER_FANOUT_GROUPS "
            "(feed), got notifications",
        ),
        (
            {"PRIORITY_GROUP_TOPICS": '{"feed": ""}'},
            "PRIORITY_GROUP_TOPICS: group feed needs a topic name or ARN",
        ),
        ({"PRIORITY_GROUP_TOPICS": "[]"}, "PRIORITY_GROUP_TOPICS must be a JSON object, got '[]'"),
        ({"PRIORITY_GROUP_TOPICS": " "}, "environment variable PRIORITY_GROUP_TOPICS is not set"),
    ],
)
def test_bad_lane_settings_are_refused_naming_the_variable(env, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_environ({**REQUIRED, **env})
    assert str(caught.value) == message
