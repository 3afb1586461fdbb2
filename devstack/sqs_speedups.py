"""Two costs of moto 5.2.5's SQS that grow with the number of messages in a queue, removed
in the emulator process.

Why: measured on the emulator (one client thread, a queue holding 500 messages), a
PublishBatch of 10 messages to a topic with one SQS subscriber took 84 ms of the
emulator's CPU and a ReceiveMessage of 10 messages 339 ms, against 6 ms for a
BatchWriteItem of 25 items. Every feed message the fan-out publishes goes through such a
queue (the local runtime's SNS transport, ``local_runtime/sns.py``), and the bulk lane's
queue holds hundreds while a large post fans out. cProfile of both calls:

- ``SQSBackend.send_message`` reads ``queue.attributes`` (for ``ContentBasedDeduplication``),
  which counts the visible, in-flight and delayed messages of the queue: three passes over
  every message, each message asking ``unix_time_millis()`` (a ``datetime`` subtraction)
  in ``Message.visible`` or ``Message.delayed``;
- ``receive_message`` checks each message it hands out against the queue's retention
  period through ``get_queue_attributes(queue, ["MessageRetentionPeriod"])``, which builds
  ``queue.attributes`` three times (``name in``, then ``.get`` twice): nine passes over
  the queue per message received.

What changes, and why it answers the same:

- ``Message.visible`` and ``Message.delayed`` compare with ``time.time()`` in
  milliseconds: the clock ``unix_time_millis()`` reads (``datetime.now`` is
  ``time.time()`` as a date; moto subtracts the epoch again), without building two
  ``datetime`` objects per message. Only the comparison's result leaves the property.
- ``is_message_valid_based_on_retention_period`` reads the queue's
  ``message_retention_period``, the value ``get_queue_attributes`` returns for
  ``MessageRetentionPeriod`` (an ``int``, set by ``_set_attributes``), and keeps moto's
  rule: a message sent more than that many seconds ago is no longer valid.

Checked: ``tests/unit/test_sqs_speedups.py`` runs the same sends, receives,
visibility changes, delays and attribute reads through moto with and without these, and
requires the same answers. Written by hand: no library speeds moto's server up.
"""

from __future__ import annotations

import time
from typing import Any

from .patches import Patches
from .query_index import check_moto_version

__all__ = ["install", "installed", "uninstall"]

_patches = Patches()


def _visible(message: Any) -> bool:
    return time.time() * 1000.0 > message.visible_at


def _delayed(message: Any) -> bool:
    return time.time() * 1000.0 < message.delayed_until


def _within_retention(backend: Any, queue_name: str, message: Any) -> bool:
    retention_period = backend.get_queue(queue_name).message_retention_period
    return bool(retention_period + message.sent_timestamp / 1000 > time.time())


def install() -> None:
    """Apply both changes; refused unless the moto they were written for is installed."""
    if installed():
        return
    check_moto_version()
    from moto.sqs.models import Message, SQSBackend

    _patches.replace(Message, "visible", property(_visible))
    _patches.replace(Message, "delayed", property(_delayed))
    _patches.replace(SQSBackend, "is_message_valid_based_on_retention_period", _within_retention)


def installed() -> bool:
    return bool(_patches)


def uninstall() -> None:
    """Put moto's own back (for tests that compare both in one process)."""
    _patches.restore()
