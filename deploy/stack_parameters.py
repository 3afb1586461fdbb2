"""Stage settings of ``.chalice/config.json`` that are parameters of ``infra/resources.yaml``.

Declared once per stage, next to the stage's other settings:

- ``table_deletion_protection``: ``true`` or ``false`` (default ``false``; prod ``true``);
- ``stream_consumer_name``: the name of an enhanced fan-out consumer that the stream's
  reader (the dispatcher) reads through; absent or ``""``: none.

``make deploy`` passes them to the resources stack (a ``PARAMS`` value may not contradict
them), ``make package`` writes them as the defaults of the stage's ``resources.yaml``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from local_runtime.config import ConfigError

__all__ = ["declared_parameters", "stack_parameters", "stage_template", "stream_consumer_name"]

_CONSUMER_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,128}")
# stage key -> template parameter
_KEYS = {
    "table_deletion_protection": "TableDeletionProtection",
    "stream_consumer_name": "StreamConsumerName",
}


def _stage(config: Mapping[str, Any], stage: str) -> Mapping[str, Any]:
    stages = config.get("stages", {})
    if stage not in stages:
        raise ConfigError(f".chalice/config.json has no stage {stage!r}")
    return stages[stage]


def stream_consumer_name(config: Mapping[str, Any], stage: str) -> str | None:
    """The stage's declared enhanced fan-out consumer, or None."""
    name = _stage(config, stage).get("stream_consumer_name") or None
    if name is not None and not (isinstance(name, str) and _CONSUMER_NAME.fullmatch(name)):
        raise ConfigError(
            f"stage {stage}: stream_consumer_name must be 1-128 letters, digits, '_', '.' "
            f"or '-', got {name!r}"
        )
    return name


def _deletion_protection(config: Mapping[str, Any], stage: str) -> bool:
    value = _stage(config, stage).get("table_deletion_protection", False)
    if not isinstance(value, bool):
        raise ConfigError(f"stage {stage}: table_deletion_protection must be true or false")
    return value


def declared_parameters(config: Mapping[str, Any], stage: str) -> dict[str, str]:
    """The template parameters the stage declares, as CloudFormation strings."""
    return {
        "TableDeletionProtection": "true" if _deletion_protection(config, stage) else "false",
        "StreamConsumerName": stream_consumer_name(config, stage) or "",
    }


def stack_parameters(
    config: Mapping[str, Any],
    stage: str,
    given: Mapping[str, str],
    previous: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``given`` (``make deploy PARAMS``) plus the declared ones; a contradiction is an error.

    ``previous``: the deployed stack's values, kept unless given again (CloudFormation
    would otherwise reset every parameter left out to its default: a re-run without
    ``PARAMS`` would drop the alarm e-mail and the sign-up trigger).
    """
    declared = declared_parameters(config, stage)
    key_of = {parameter: key for key, parameter in _KEYS.items()}
    for parameter, value in given.items():
        if parameter in declared and declared[parameter] != value:
            raise ConfigError(
                f"{parameter} is declared for stage {stage} as {key_of[parameter]} in "
                f".chalice/config.json ({declared[parameter]!r}); change it there, not in PARAMS"
            )
    kept = {k: v for k, v in (previous or {}).items() if k != "Stage"}
    return {**kept, **given, **declared}


def stage_template(
    template: Mapping[str, Any], stage: str, parameters: Mapping[str, str]
) -> dict[str, Any]:
    """``template`` with ``Stage`` and the declared parameters as its defaults."""
    out = dict(template)
    out["Parameters"] = {name: dict(spec) for name, spec in template["Parameters"].items()}
    for name, value in {"Stage": stage, **parameters}.items():
        out["Parameters"][name]["Default"] = value
    return out
