"""The settings of accounts (``chalicelib/settings.py``): who exists, deleting, exporting."""

from __future__ import annotations

from . import Section, Setting

ACCOUNTS = Section(
    "Accounts",
    "The users table, account deletion and data export ([Accounts](../accounts.md)). The "
    "resource names are required like the fan-out's.",
    (
        Setting(
            "USERS_TABLE",
            "DynamoDB table of accounts (user id, created_at, status active or deleted)",
            "the HTTP API, distribute_yubl, notify_mentioned, archive_events, delete_account, "
            "export_account, pre_sign_up, post_confirmation",
            required=True,
        ),
        Setting(
            "ARCHIVE_INDEX_TABLE",
            "DynamoDB table of which archive objects hold each user's events (user, key)",
            "archive_events, delete_account",
            required=True,
        ),
        Setting(
            "ACCOUNTS_QUEUE",
            "SQS queue the accounts topic feeds with `user-deleted`; `delete_account` reads it "
            "and sends itself the message again, delayed, to wait",
            "delete_account",
            required=True,
        ),
        Setting(
            "EXPORTS_QUEUE",
            "SQS queue of export requests; `export_account` reads it",
            "the HTTP API, export_account",
            required=True,
        ),
        Setting(
            "EXPORTS_BUCKET",
            "S3 bucket of data exports; its lifecycle rule deletes them after 7 days",
            "the HTTP API, export_account, delete_account",
            required=True,
        ),
        Setting(
            "ACCOUNT_STATUS_CACHE_SECONDS",
            "how long a container keeps a signed-in user's account status: the API refuses a "
            "deleted account's tokens within this many seconds (0: read on every request)",
            "the HTTP API",
            default="30",
            low=0,
            high=300,
            kind="integer",
        ),
        Setting(
            "ACCOUNT_ERASE_DELAY_SECONDS",
            "seconds between a deletion's posts and the rest of it (relationships, mutes, own "
            "data, archive): more than `ACCOUNT_STATUS_CACHE_SECONDS` plus the longest request "
            "or feed write under way when the account was deleted (the API's and add_to_feed's "
            "60 s timeouts)",
            "delete_account",
            default="120",
            low=0,
            high=86_400,
            kind="integer",
        ),
        Setting(
            "EXPORT_URL_SECONDS",
            "how long an export's download URL works, from the GET that signed it",
            "the HTTP API",
            default="3600",
            low=60,
            high=3600,
            kind="integer",
        ),
    ),
)

SECTIONS = (ACCOUNTS,)
