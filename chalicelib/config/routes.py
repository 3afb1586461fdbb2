"""The /config routes: authenticate the x-api-key, call one use case, shape the JSON.

On AWS, per stage, the routes can also sit behind API Gateway API keys (a usage plan
throttles each key; ``make api-key STAGE=s`` gives the gateway key the same value) and
the write routes behind IAM (SigV4) auth: see ``CONFIG_GATEWAY_API_KEYS`` and
``CONFIG_IAM_AUTH_ON_WRITES``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from chalice import Blueprint, IAMAuthorizer, Response

from ..api.responses import json_object_body, json_response, query_param
from ..domain.errors import InvalidInput
from ..domain.validation import check_limit
from . import wiring
from .rules import ApiKey, ConfigNotFound, Entry, Forbidden, Unauthorized, VersionConflict
from .settings import route_guards

__all__ = ["bp"]

bp = Blueprint(__name__)

_GATEWAY_KEYS, _IAM_WRITES = route_guards()
_READ: dict[str, Any] = {"api_key_required": _GATEWAY_KEYS}
_WRITE: dict[str, Any] = {**_READ, **({"authorizer": IAMAuthorizer()} if _IAM_WRITES else {})}
_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (InvalidInput, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (ConfigNotFound, 404),
    (VersionConflict, 409),
)


def config_view(view: Callable[..., Response]) -> Callable[..., Response]:
    """The caller's API key as the view's first argument; the service's errors as statuses."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            presented = bp.current_request.headers.get("x-api-key")
            caller = wiring.api_key_service().authenticate(presented)
            return view(caller, *args, **kwargs)
        except tuple(error for error, _ in _STATUS) as err:
            status = next(code for error, code in _STATUS if isinstance(err, error))
            body: dict[str, Any] = {"error": str(err)}
            if isinstance(err, VersionConflict):
                body["current_version"] = err.current
            return json_response(body, status)

    return wrapper


def _shown(entry: Entry) -> dict[str, Any]:
    """A secret's value is its ciphertext; the plaintext never leaves the client library."""
    value = entry.value if entry.secret or entry.value is None else json.loads(entry.value)
    return {
        "key": entry.key,
        "value": value,
        "version": entry.version,
        "secret": entry.secret,
        "updated_at": entry.updated_at,
        "updated_by": entry.updated_by,
    }


def _about(entry: Entry) -> dict[str, Any]:
    shown = _shown(entry)
    del shown["value"]
    return shown


@bp.route("/config/{key}", methods=["PUT"], **_WRITE)
@config_view
def put_config(caller: ApiKey, key: str) -> Response:
    body = json_object_body(bp.current_request, frozenset({"value", "secret", "expected_version"}))
    if "value" not in body:
        raise InvalidInput("value", "is required")
    entry = wiring.config_service().put(
        caller, key, body["value"], body.get("secret", False), body.get("expected_version")
    )
    return json_response({"key": entry.key, "version": entry.version})


@bp.route("/config/{key}", methods=["GET"], **_READ)
@config_view
def get_config(caller: ApiKey, key: str) -> Response:
    version = query_param(bp.current_request, "version")
    return json_response(_shown(wiring.config_service().get(caller, key, version)))


@bp.route("/config", methods=["GET"], **_READ)
@config_view
def list_config(caller: ApiKey) -> Response:
    request = bp.current_request
    entries, cursor = wiring.config_service().list_keys(
        caller,
        query_param(request, "prefix") or "",
        check_limit(query_param(request, "limit"), default=100, maximum=1000),
        query_param(request, "cursor"),
    )
    return json_response({"keys": [_about(e) for e in entries], "next_cursor": cursor})


@bp.route("/config/{key}/history", methods=["GET"], **_READ)
@config_view
def config_history(caller: ApiKey, key: str) -> Response:
    versions = []
    for entry in wiring.config_service().history(caller, key):
        shown = _shown(entry)
        del shown["key"]
        if entry.secret:
            shown["value"] = None  # redacted: history never shows a secret, not even encrypted
        versions.append({**shown, "deleted": entry.deleted})
    return json_response({"key": key, "versions": versions})


@bp.route("/config/{key}/rollback", methods=["POST"], **_WRITE)
@config_view
def rollback_config(caller: ApiKey, key: str) -> Response:
    body = json_object_body(bp.current_request, frozenset({"version"}))
    if "version" not in body:
        raise InvalidInput("version", "is required")
    entry = wiring.config_service().rollback(caller, key, body["version"])
    return json_response({"key": key, "version": entry.version, "rolled_back_to": body["version"]})


@bp.route("/config/{key}", methods=["DELETE"], **_WRITE)
@config_view
def delete_config(caller: ApiKey, key: str) -> Response:
    entry = wiring.config_service().delete(caller, key)
    return json_response({"key": key, "version": entry.version, "deleted": True})
