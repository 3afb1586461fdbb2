"""UserDirectory until sign-in exists: every valid user id is a user.

When the sign-in pool lands, an adapter asking it replaces this one in ``wiring``.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["AnyValidUser"]


class AnyValidUser:
    def existing(self, user_ids: Sequence[str]) -> set[str]:
        return set(user_ids)  # ids reaching here passed check_user_id already
