"""Correlation ids (capture and forward, per record), JSON logs and EMF metrics.

Pure Python plus Powertools and requests: no SDK calls. Capture functions read the
event shapes Lambda delivers; forward functions return the dicts that adapters hand
to boto3 or requests. ``middleware`` holds the Chalice middleware for app.py; it is
not imported here so that code without Chalice can use the rest.
"""

from __future__ import annotations

from chalicelib.observability import metrics
from chalicelib.observability.context import CorrelationIds, bind, current
from chalicelib.observability.correlation import (
    CallChainTooLong,
    check_call_chain,
    correlated_session,
    from_http_headers,
    from_kinesis_payload,
    from_kinesis_record,
    from_sns_record,
    from_sqs_record,
    http_headers,
    kinesis_payload,
    new_ids,
    sns_message_attributes,
    sqs_message_attributes,
)
from chalicelib.observability.logging import logger
from chalicelib.observability.settings import ObservabilitySettings

__all__ = [
    "CallChainTooLong",
    "CorrelationIds",
    "ObservabilitySettings",
    "bind",
    "check_call_chain",
    "correlated_session",
    "current",
    "from_http_headers",
    "from_kinesis_payload",
    "from_kinesis_record",
    "from_sns_record",
    "from_sqs_record",
    "http_headers",
    "kinesis_payload",
    "logger",
    "metrics",
    "new_ids",
    "sns_message_attributes",
    "sqs_message_attributes",
]
