"""Correlation ids (capture and forward, per record), JSON logs and EMF metrics.

Pure Python plus Powertools: no SDK calls. ``capture`` completes and caps the ids
that each event source's adapter (``chalicelib.streams.records``) and the HTTP
middleware find; forward functions return the dicts that adapters hand to boto3 or
requests. ``middleware`` holds the Chalice middleware for app.py; it is
not imported here so that code without Chalice can use the rest.
"""

from __future__ import annotations

from chalicelib.observability import metrics
from chalicelib.observability.context import CorrelationIds, bind, current_ids
from chalicelib.observability.correlation import (
    CallChainTooLong,
    capture,
    check_call_chain,
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
    "capture",
    "check_call_chain",
    "current_ids",
    "http_headers",
    "kinesis_payload",
    "logger",
    "metrics",
    "new_ids",
    "sns_message_attributes",
    "sqs_message_attributes",
]
