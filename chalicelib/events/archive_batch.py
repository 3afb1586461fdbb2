"""The archive worker's body, apart from its decorator so it can be built on any
ArchiveService (the tests give it in-memory twins).

Each record is validated through the one processor (policy ``skip``: an invalid record
is dead-lettered with its reason at once, the rest go on); the valid ones are written
together, one object per date. A failed write fails the invocation, so SQS shows the
whole batch again and its redrive policy dead-letters it in the end; a repeated line
keeps its event id, which is how readers drop it. An event whose author has deleted their
account (one that was under way when they did) is not written, and logged with why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any

from ..observability.context import bind, current_ids
from ..observability.logging import logger
from ..services.archive import ArchiveLine, ArchiveService
from ..streams.parking import FailureSink
from ..streams.policies import skip
from ..streams.processor import StreamProcessor

__all__ = ["ArchiveBatch"]

_Collected = list[tuple[ArchiveLine, dict[str, str]]]


class ArchiveBatch:
    def __init__(
        self, name: str, service: Callable[[], ArchiveService], sink: Callable[[], FailureSink]
    ) -> None:
        self._service = service
        self._batch: ContextVar[_Collected | None] = ContextVar(f"{name}_batch", default=None)
        self.processor = StreamProcessor(name, self._collect, policy=skip(), sink=sink)

    def handle(self, event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
        collected: _Collected = []
        token = self._batch.set(collected)
        try:
            response = self.processor.process(event, context)
        finally:
            self._batch.reset(token)
        if collected:
            self._write(collected)
        return response

    def _collect(self, message: Any) -> None:
        """One record into the invocation's batch (alone, when re-run from a queue)."""
        line = self._service().line_of(message)
        batch = self._batch.get()
        if batch is None:
            self._write([(line, current_ids())])
        else:
            batch.append((line, current_ids()))

    def _write(self, collected: _Collected) -> None:
        service = self._service()
        gone = service.deleted_authors([line for line, _ in collected])
        for line, ids in collected:
            if line.author_id in gone:
                with bind(ids):
                    logger.info(
                        "event not archived: its author deleted their account",
                        event_id=line.event_id,
                        author_id=line.author_id,
                        reason="account deleted",
                    )
        collected = [(line, ids) for line, ids in collected if line.author_id not in gone]
        written: dict[str, list[str]] = {}
        for event_type in dict.fromkeys(line.event_type for line, _ in collected):
            lines = [line for line, _ in collected if line.event_type == event_type]
            written.update(service.write(lines, event_type))
        key_of = {event_id: key for key, ids in written.items() for event_id in ids}
        for line, ids in collected:
            with bind(ids):
                logger.info("event archived", event_id=line.event_id, key=key_of[line.event_id])
