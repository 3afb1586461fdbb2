"""Checking a record against one of the contract's schemas (JSON Schema draft 2020-12).

Its one source is ``contract/validating.py``; ``python -m contract`` copies it, byte for
byte, to ``chalicelib/contract/`` (the dispatcher) and to the producer package, so both
sides judge a record alike. Two things the plain ``jsonschema`` validator would get
wrong are set here:

- ``format`` only annotates in draft 2020-12 unless a format checker is on, and
  jsonschema's checker skips ``date-time`` silently when ``rfc3339-validator`` is not
  installed: importing this module fails instead.
- ``pattern`` is an ECMA 262 regular expression, whose ``$`` matches only at the end;
  Python's ``$`` also matches before a final newline (``"alice\\n"`` would pass
  ``^[A-Za-z0-9_-]{1,64}$``). Patterns are run with ``$`` read as ECMA reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

__all__ = ["FORMAT_CHECKER", "ecma_regex", "first_error", "location", "validator_for"]

FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
if "date-time" not in FORMAT_CHECKER.checkers:
    raise ImportError("rfc3339-validator is not installed: date-time formats would go unchecked")


@lru_cache(maxsize=256)
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled for Python with each ``$`` outside a class as ECMA's ``$``."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
    return re.compile("".join(out))


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r:.80} does not match {pattern!r}")


EventValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def validator_for(schema: Mapping[str, Any]) -> Any:
    """A validator of ``schema`` (checked against the 2020-12 meta-schema first) with the
    format checker on."""
    EventValidator.check_schema(schema)
    return EventValidator(schema, format_checker=FORMAT_CHECKER)


def first_error(validator: Any, record: Any) -> ValidationError | None:
    """The most relevant reason ``record`` breaks the schema, or None when it does not."""
    return best_match(validator.iter_errors(record))


def location(error: ValidationError) -> str:
    """The field an error is about, dotted (``yubl.posted_at``); a missing property's
    own name for ``required``; ``event`` for the record itself."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [n for n in error.validator_value if n not in error.instance]
        path += missing[:1]
    return ".".join(path) or "event"
