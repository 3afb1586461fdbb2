"""The sign-in middleware and the ``@user_route`` mark it acts on.

A view marked ``@user_route(...)`` needs a signed-in user. The middleware (registered
once in app.py, so it runs the same under ``chalice local`` and on Lambda) verifies
the bearer token before any view code runs: none or a bad one is a 401 with
``WWW-Authenticate: Bearer`` and the JSON error body, a username outside the user id
format a 403, a key set that cannot be fetched a 503. The verified user is in force
for the view (``signed_in_user()``), and the mark's path parameters name whom the
user must be: any other caller gets a 403.
Routes without the mark are public and never look at the header.

Given ``admits`` (whether a user's account may act: ``services/account_gate.py``), a
valid token of a deleted account is a 401 too, except on a route marked
``deleted_account=True`` (repeating one's own deletion); a check that cannot be made
now is a 503.

Chalice's authorizers are not used: they answer with bodies of their own, without
``WWW-Authenticate``, and the built-in Cognito authorizer is not enforced locally.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from chalice.app import Request, Response

from ..observability.logging import logger
from .access import NotAllowed, SignedInUser, check_acting_for
from .settings import identity_settings
from .tokens import BadUsername, InvalidToken, KeysUnavailable, TokenVerifier

__all__ = ["authentication", "signed_in_user", "user_route"]

GetResponse = Callable[[Any], Any]
Middleware = Callable[[Any, GetResponse], Any]
_MARK = "__user_route__"
_DELETED_OK = "__deleted_account_may_call__"
_user: contextvars.ContextVar[SignedInUser] = contextvars.ContextVar("signed_in_user")


@cache
def _verifier() -> TokenVerifier:
    settings = identity_settings()
    return TokenVerifier(
        issuer=settings.issuer, client_id=settings.client_id, jwks_url=settings.jwks_url
    )


def signed_in_user() -> SignedInUser:
    """The user the middleware verified for this request (only inside a ``@user_route``)."""
    return _user.get()


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        body={"error": message},
        status_code=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def user_route(
    *acting_for: str, deleted_account: bool = False
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Mark a view as needing a signed-in user who is one of the ``acting_for`` path params.

    With no parameters any signed-in user may call it (the view applies its own rule,
    raising ``NotAllowed``). ``deleted_account``: a deleted account's token may call it
    too. Goes between ``@bp.route`` and the view.
    """

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            try:
                if acting_for:
                    check_acting_for(signed_in_user(), {p: kwargs[p] for p in acting_for})
                return view(*args, **kwargs)
            except NotAllowed as refused:
                return _error(403, str(refused))

        setattr(wrapper, _MARK, acting_for)
        setattr(wrapper, _DELETED_OK, deleted_account)
        return wrapper

    return decorate


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = (request.headers.get("authorization") or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authentication(
    routes: Mapping[str, Mapping[str, Any]], admits: Callable[[str], bool] | None = None
) -> Middleware:
    """The 'http' middleware for an app's ``routes`` (``app.routes``, read per request)."""

    def view(request: Request) -> Any:
        entry = routes.get(request.path, {}).get(request.method)
        return None if entry is None else entry.view_function

    def needs_user(request: Request) -> bool:
        return hasattr(view(request), _MARK)

    def refusal(request: Request, user: SignedInUser) -> Response | None:
        """A 401 for a deleted account (unless the route takes one), a 503 when unknown."""
        if admits is None or getattr(view(request), _DELETED_OK, False):
            return None
        try:
            if admits(user.user_id):
                return None
        except Exception as err:  # by design: any failure of the check is "cannot tell now"
            logger.error("account status not checked", reason=f"{type(err).__name__}: {err}")
            return _error(
                503, "Authorization: the account cannot be checked now", {"Retry-After": "5"}
            )
        return _error(
            401,
            f"Authorization: the account {user.user_id} is deleted",
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    def middleware(event: Request | None, get_response: GetResponse) -> Response:
        if event is None or not needs_user(event):
            response: Response = get_response(event)
            return response
        token = _bearer_token(event)
        if token is None:
            return _error(
                401, "Authorization: a bearer token is required", {"WWW-Authenticate": "Bearer"}
            )
        try:
            user = _verifier().verify(token)
        except InvalidToken as err:
            return _error(
                401,
                f"Authorization: {err}",
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        except BadUsername as err:
            return _error(403, f"Authorization: {err}")
        except KeysUnavailable as err:
            logger.error("token not checked", reason=str(err))
            return _error(503, "Authorization: tokens cannot be checked now", {"Retry-After": "5"})
        refused = refusal(event, user)
        if refused is not None:
            return refused
        bound = _user.set(user)
        try:
            response = get_response(event)
        finally:
            _user.reset(bound)
        return response

    return middleware
