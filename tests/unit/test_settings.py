"""Settings: read from the environment, refused with the variable named."""

from __future__ import annotations

import pytest

from chalicelib.settings import Settings, SettingsError

REQUIRED = {
    "YUBL_POSTED_STREAM": "s",
    "FEED_FANOUT_TOPIC": "t",
    "RELATIONSHIPS_TABLE": "r",
    "FEEDS_TABLE": "f",
    "RETRY_QUEUE": "q",
    "DEAD_LETTER_QUEUE": "d",
    "FANOUT_PROGRESS_TABLE": "p",
}


def test_defaults_apply_when_only_names_are_set():
    settings = Settings.from_environ(REQUIRED)
    assert settings == Settings(
        stage="local",
        yubl_posted_stream="s",
        feed_fanout_topic="t",
        relationships_table="r",
        feeds_table="f",
        retry_queue="q",
        dead_letter_queue="d",
        fanout_progress_table="p",
        follower_group_size=500,
        follower_page_size=1000,
        feed_write_max_attempts=8,
        record_attempts=3,
        record_retry_delay_ms=100,
        fanout_progress_ttl_seconds=1_209_600,
        posted_at_max_skew_ms=60_000,
        feed_write_time_margin_ms=10_000,
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
