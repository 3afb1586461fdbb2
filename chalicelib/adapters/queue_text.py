"""The JSON text of a queue message, for every writer of one (the failure sink, the
operators' re-drive and listing).

A record's JSON may hold a lone surrogate (``"\\ud800"`` decodes to one), which UTF-8,
and so a queue message or a terminal, cannot carry. Non-ASCII text stays as it is (an
escape costs up to six bytes a character, and message sizes are counted in bytes);
only lone surrogates are escaped, which reads back as the same value.
"""

from __future__ import annotations

import json
import re

__all__ = ["queue_json"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def queue_json(value: object) -> str:
    body = json.dumps(value, ensure_ascii=False)
    return _SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", body)
