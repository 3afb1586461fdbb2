"""Attributes of moto's classes and modules replaced in the emulator process, and moto's
own put back.

One record for the emulator's changes (``query_index``, ``emulator_speedups``,
``item_speedups``, ``request_speedups``, ``result_speedups``, ``value_speedups``,
``sqs_speedups``, ``batch_get_speedups``, ``query_speedups``, ``sns_speedups``): each
replaces what it changes through ``replace``, which remembers moto's value, so that
``restore`` can put every one back (the tests compare moto's own code with the changed
one in one process) without each module listing its attributes twice.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Patches"]


class Patches:
    def __init__(self) -> None:
        self._stock: list[tuple[Any, str, Any]] = []

    def __bool__(self) -> bool:
        """Whether anything is replaced."""
        return bool(self._stock)

    def replace(self, owner: Any, attribute: str, value: Any) -> None:
        """``owner.attribute`` becomes ``value``; moto's is kept for ``restore``."""
        self._stock.append((owner, attribute, getattr(owner, attribute)))
        setattr(owner, attribute, value)

    def restore(self) -> None:
        """moto's values back, the last replaced first."""
        while self._stock:
            owner, attribute, stock = self._stock.pop()
            setattr(owner, attribute, stock)
