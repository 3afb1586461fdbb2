"""Liveness: answers without touching any AWS service."""

from __future__ import annotations

from chalice import Blueprint

__all__ = ["bp"]

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
def health() -> dict[str, str]:
    return {"status": "ok"}
