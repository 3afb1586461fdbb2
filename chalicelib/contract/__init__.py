"""The stream's event contract as the dispatcher holds it: a copy of the repository's
``contract/`` schemas (``schemas/``) and their validator (``validating.py``), both
written by ``python -m contract``; the version rule (``versions``); and the check a
record passes before it is handled (``events``)."""

from .events import SCHEMAS, check_event, domain_check
from .versions import SUPPORTED_MAJOR, VERSION_FIELD, check_version

__all__ = [
    "SCHEMAS",
    "SUPPORTED_MAJOR",
    "VERSION_FIELD",
    "check_event",
    "check_version",
    "domain_check",
]
