"""Mentions: ``@user_id`` in a yubl's text, each one a notification for that user."""

from __future__ import annotations

import re

from .posts import Yubl

__all__ = ["MAX_MENTIONS", "mentioned"]

MAX_MENTIONS = 10
"""Mentions honoured per yubl; the rest of a long list notifies nobody."""

# a user id as validation accepts it, not preceded by an id character (so mail@host is no mention)
_MENTION = re.compile(r"(?<![A-Za-z0-9_-])@([A-Za-z0-9_-]{1,64})(?![A-Za-z0-9_-])")


def mentioned(yubl: Yubl, limit: int = MAX_MENTIONS) -> list[str]:
    """The distinct users the text mentions, in order, the author left out, at most ``limit``."""
    found = dict.fromkeys(m for m in _MENTION.findall(yubl.text) if m != yubl.author_id)
    return list(found)[:limit]
