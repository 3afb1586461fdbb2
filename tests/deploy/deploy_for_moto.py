"""``python -m deploy`` with one change, for the smoke deploy against moto only (a test
workaround, like ``chalice_for_moto.py``).

moto 5.x has no saved Logs Insights queries: PutQueryDefinition, DescribeQueryDefinitions
and DeleteQueryDefinition answer 500. This wrapper answers those three calls from a JSON
file (``QUERY_DEFINITIONS_FILE``) with CloudWatch Logs' documented shapes, and sends every
other call to moto; the test reads the file to see what ``deploy.monitoring`` saved.
The product runs unchanged.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3

from deploy.__main__ import main

STORE = Path(os.environ.get("QUERY_DEFINITIONS_FILE", "query-definitions.json"))
_OK = SimpleNamespace(status_code=200)


def _load() -> dict[str, dict[str, Any]]:
    return json.loads(STORE.read_text()) if STORE.exists() else {}


def _put(request: dict[str, Any]) -> dict[str, Any]:
    saved = _load()
    query_id = request.get("queryDefinitionId") or str(uuid.uuid4())
    saved[query_id] = {
        "queryDefinitionId": query_id,
        "name": request["name"],
        "queryString": request["queryString"],
        "logGroupNames": request.get("logGroupNames", []),
    }
    STORE.write_text(json.dumps(saved, indent=2))
    return {"queryDefinitionId": query_id}


def _describe(request: dict[str, Any]) -> dict[str, Any]:
    prefix = request.get("queryDefinitionNamePrefix", "")
    return {"queryDefinitions": [q for q in _load().values() if q["name"].startswith(prefix)]}


def _delete(request: dict[str, Any]) -> dict[str, Any]:
    saved = _load()
    found = saved.pop(request["queryDefinitionId"], None) is not None
    STORE.write_text(json.dumps(saved, indent=2))
    return {"success": found}


_ANSWERS = {
    "PutQueryDefinition": _put,
    "DescribeQueryDefinitions": _describe,
    "DeleteQueryDefinition": _delete,
}


def _answer(operation: str) -> Any:
    def before_call(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        return _OK, _ANSWERS[operation](json.loads(params["body"] or b"{}"))

    return before_call


_init = boto3.session.Session.__init__


def _session_init(self: boto3.session.Session, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    for operation in _ANSWERS:
        self.events.register(f"before-call.cloudwatch-logs.{operation}", _answer(operation))


boto3.session.Session.__init__ = _session_init  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
