"""A stand-in Lambda context for tests of the time budget."""

from __future__ import annotations

__all__ = ["ShrinkingContext"]


class ShrinkingContext:
    """A Lambda context whose remaining time drops by ``step_ms`` at every question."""

    def __init__(self, start_ms: int, step_ms: int) -> None:
        self.left = start_ms
        self.step = step_ms
        self.asked = 0

    def get_remaining_time_in_millis(self) -> int:
        self.asked += 1
        left, self.left = self.left, self.left - self.step
        return left
