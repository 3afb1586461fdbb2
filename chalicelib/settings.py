"""One frozen Settings object, read from the environment once per container.

Resource names reach the code only through environment variables that
``.chalice/config.json`` sets per stage. Endpoints are not settings: boto3 reads
``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` by itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from .envvars import env_int, env_required

__all__ = ["Settings", "SettingsError", "current"]


class SettingsError(RuntimeError):
    """A required variable is missing or holds a value the code cannot use."""


def _required(env: Mapping[str, str], name: str) -> str:
    return env_required(env, name, SettingsError)


@dataclass(frozen=True)
class Settings:
    stage: str
    yubl_posted_stream: str
    feed_fanout_topic: str  # name or ARN
    relationships_table: str
    feeds_table: str
    retry_queue: str
    dead_letter_queue: str
    follower_group_size: int = 500
    follower_page_size: int = 1000
    feed_write_max_attempts: int = 8
    record_attempts: int = 3
    record_retry_delay_ms: int = 100

    @classmethod
    def from_environ(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            stage=env.get("STAGE", "local"),
            yubl_posted_stream=_required(env, "YUBL_POSTED_STREAM"),
            feed_fanout_topic=_required(env, "FEED_FANOUT_TOPIC"),
            relationships_table=_required(env, "RELATIONSHIPS_TABLE"),
            feeds_table=_required(env, "FEEDS_TABLE"),
            retry_queue=_required(env, "RETRY_QUEUE"),
            dead_letter_queue=_required(env, "DEAD_LETTER_QUEUE"),
            follower_group_size=env_int(env, "FOLLOWER_GROUP_SIZE", 500, 1, 5000, SettingsError),
            follower_page_size=env_int(env, "FOLLOWER_PAGE_SIZE", 1000, 1, 10000, SettingsError),
            feed_write_max_attempts=env_int(
                env, "FEED_WRITE_MAX_ATTEMPTS", 8, 1, 100, SettingsError
            ),
            record_attempts=env_int(env, "RECORD_ATTEMPTS", 3, 1, 20, SettingsError),
            record_retry_delay_ms=env_int(
                env, "RECORD_RETRY_DELAY_MS", 100, 0, 60_000, SettingsError
            ),
        )


@cache
def current() -> Settings:
    """The settings of this container, read on first use."""
    return Settings.from_environ()
