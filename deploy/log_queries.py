"""Saved Logs Insights queries over every function's log group, and central log shipping.

Every line our functions write is one JSON object (Powertools' log lines and EMF metric
lines alike), so Logs Insights finds each field by its name. ``make trace ID=...
STAGE=<stage>`` runs the first query with the id filled in (``ops.trace``).
"""

from __future__ import annotations

from dataclasses import dataclass

from deploy.observed import Observed

__all__ = [
    "CORRELATION_PLACEHOLDER",
    "SavedQuery",
    "correlation_query",
    "log_group",
    "query_name",
    "saved_queries",
    "subscription_filter_name",
]

CORRELATION_PLACEHOLDER = "REPLACE-WITH-A-CORRELATION-ID"


@dataclass(frozen=True)
class SavedQuery:
    key: str  # the last part of its name: <app>-<stage>/<key>
    text: str


def correlation_query(correlation_id: str) -> str:
    """Every line that mentions ``correlation_id``, oldest first (the caller keeps the
    lines where an ``x-correlation-*`` field holds it exactly)."""
    quoted = correlation_id.replace("\\", "\\\\").replace('"', '\\"')
    return (
        "fields @timestamp, @message, @log\n"
        f'| filter @message like "{quoted}"\n'
        "| sort @timestamp asc\n"
        "| limit 10000"
    )


def saved_queries() -> list[SavedQuery]:
    return [
        SavedQuery("correlation-id", correlation_query(CORRELATION_PLACEHOLDER)),
        SavedQuery(
            "failures-by-policy",
            "fields function_name, policy, outcome, error_type\n"
            '| filter ispresent(policy) and ispresent(outcome) and outcome != "retrying"\n'
            "| filter not ispresent(_aws)\n"
            "| stats count(*) as failures by function_name, policy, outcome, error_type\n"
            "| sort failures desc",
        ),
        SavedQuery(
            "slowest-fanouts",
            "fields `x-correlation-id`, PostToFeedLatency\n"
            "| filter ispresent(PostToFeedLatency)\n"
            "| stats max(PostToFeedLatency) as slowest_ms, avg(PostToFeedLatency) as mean_ms,\n"
            "        count(*) as group_messages by `x-correlation-id`\n"
            "| sort slowest_ms desc\n"
            "| limit 25",
        ),
    ]


def query_name(watched: Observed, query: SavedQuery) -> str:
    return f"{watched.prefix}/{query.key}"


def log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def subscription_filter_name(watched: Observed) -> str:
    return f"{watched.prefix}-central-logs"
