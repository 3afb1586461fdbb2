"""What the shortener accepts: long URLs, custom slugs, expiries; and the link it keeps.

Pure rules, no SDK: every check raises ``InvalidLink`` naming the field, before
anything is written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "MAX_URL_LENGTH",
    "RESERVED_PATHS",
    "InvalidLink",
    "Link",
    "LinkExpired",
    "LinkNotFound",
    "ShortenerError",
    "SlugTaken",
    "check_slug",
    "format_time",
    "is_blocked",
    "is_code",
    "normalize_url",
    "parse_expiry",
    "url_key",
]

MAX_URL_LENGTH = 2048
_SLUG = re.compile(r"[A-Za-z0-9_-]{3,64}")
_HOST = re.compile(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# First path segments of the app's literal routes, and a few kept for later: a slug
# may never shadow one (compared case-insensitively, so /Health cannot look official).
RESERVED_PATHS = frozenset(
    {
        "yubls",
        "users",
        "config",
        "health",
        "links",
        "apple-app-site-association",
        "well-known",
        "api",
        "admin",
        "login",
        "logout",
        "auth",
        "static",
        "assets",
        "docs",
        "openapi",
        "status",
    }
)


class ShortenerError(Exception):
    """Base of every error a caller of the shortener can cause."""


class InvalidLink(ShortenerError):
    """Input that breaks a rule: 400; ``field`` names the offending field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


class SlugTaken(ShortenerError):
    """The custom slug is already a code: 409."""


class LinkNotFound(ShortenerError):
    """No link has this code: 404."""


class LinkExpired(ShortenerError):
    """The link existed and has expired: 410."""


def format_time(moment: datetime) -> str:
    """UTC, second precision, fixed width: such strings sort in time order."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Link:
    code: str
    url: str
    created_at: str
    expires_at: str | None = None
    visits: int = 0

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= format_time(now)

    def seconds_left(self, now: datetime) -> int | None:
        if self.expires_at is None:
            return None
        until = datetime.strptime(self.expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return max(0, int((until - now).total_seconds()))


def normalize_url(raw: object) -> str:
    """The URL as stored and compared: scheme and host lower case, default port dropped.

    Path, query and fragment are kept as given: servers may treat them case-sensitively.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidLink("url", "is required")
    text = raw.strip()
    if len(text) > MAX_URL_LENGTH:
        raise InvalidLink("url", f"must be at most {MAX_URL_LENGTH} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise InvalidLink("url", "must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise InvalidLink("url", "is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidLink("url", "must be an http or https URL")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidLink("url", "must name a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidLink("url", "must not contain a user name or password")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise InvalidLink("url", "has an invalid host name") from None
    if not _HOST.fullmatch(host):
        raise InvalidLink("url", "has an invalid host name")
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, parts.fragment))


def host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return (parts.hostname or "", parts.port or _DEFAULT_PORTS.get(parts.scheme, 0))


def is_blocked(
    url: str, own_origins: frozenset[tuple[str, int]], blocked_hosts: frozenset[str]
) -> str | None:
    """Why ``url`` (normalized) may not be shortened, or None.

    ``own_origins``: (host, port) pairs that reach this service, so a short URL can never
    point at another short URL (a redirect loop). ``blocked_hosts``: domains refused
    with every subdomain.
    """
    host, port = host_and_port(url)
    if (host, port) in own_origins:
        return "must not point at this service"
    if any(host == d or host.endswith("." + d) for d in blocked_hosts):
        return f"host {host} is blocked"
    return None


def is_code(text: str) -> bool:
    """Whether ``text`` could be a code or slug at all (anything else is never looked up)."""
    return bool(_SLUG.fullmatch(text))


def check_slug(raw: object) -> str | None:
    """The custom slug, or None when none was given."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not _SLUG.fullmatch(raw):
        raise InvalidLink("slug", "must be 3-64 characters of A-Z a-z 0-9 _ -")
    if raw.lower() in RESERVED_PATHS:
        raise InvalidLink("slug", f"{raw} is a reserved path")
    return raw


def parse_expiry(raw: object, now: datetime) -> str | None:
    """An ISO-8601 time in the future (UTC when it names no zone), formatted; or None."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidLink("expires_at", "must be an ISO-8601 date and time")
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidLink("expires_at", "must be an ISO-8601 date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment <= now:
        raise InvalidLink("expires_at", "must be in the future")
    return format_time(moment)


def url_key(url: str, expires_at: str | None) -> str:
    """The dedupe key: the same normalized URL with the same expiry gets the same code."""
    return hashlib.sha256(f"{url}\n{expires_at or ''}".encode()).hexdigest()
