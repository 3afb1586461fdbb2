"""The HTML the shortener serves: the index page with its form, and the 404/410 pages.

Plain HTML that works without JavaScript: the form posts, the answer is a new page
with the short URL in a read-only field. A small script only adds the copy button.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

__all__ = ["CONTENT_SECURITY_POLICY", "error_page", "index_page"]

_SCRIPT = """
const field = document.getElementById("short-url");
const button = document.getElementById("copy");
if (field && button) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(field.value); }
    catch (err) { field.select(); document.execCommand("copy"); }
    button.textContent = "Copied";
  });
}
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; form-action 'self'; base-uri 'none'"
)

_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { width: 100%; padding: .5rem; font: inherit; box-sizing: border-box; }
button { margin-top: 1rem; padding: .5rem 1.2rem; font: inherit; }
.error { color: #a00; } .result { margin-top: 2rem; padding: 1rem; background: #f3f6f3; }
"""


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}<script>{_SCRIPT}</script></body></html>"
    )


def index_page(
    values: dict[str, str] | None = None,
    error: str | None = None,
    short_url: str | None = None,
    qr_url: str | None = None,
) -> str:
    """The form, filled with ``values``; with the error, or the new short URL, when given."""
    values = values or {}

    def field(name: str, label: str, kind: str, extra: str = "") -> str:
        value = escape(values.get(name, ""), quote=True)
        return (
            f'<label for="{name}">{label}</label>'
            f'<input id="{name}" name="{name}" type="{kind}" value="{value}"{extra}>'
        )

    parts = ["<h1>Shorten a link</h1>"]
    if error:
        parts.append(f'<p class="error" id="error" role="alert">{escape(error)}</p>')
    parts.append(
        '<form method="post" action="">'
        + field("url", "Long URL", "url", ' required maxlength="2048" placeholder="https://"')
        + field(
            "slug",
            "Custom slug (optional, 3-64 of A-Z a-z 0-9 _ -)",
            "text",
            ' pattern="[A-Za-z0-9_\\-]{3,64}"',
        )
        + field("expires_at", "Expires at (optional, UTC)", "datetime-local")
        + '<button type="submit" id="shorten">Shorten</button></form>'
    )
    if short_url:
        link = escape(short_url, quote=True)
        parts.append(
            '<section class="result"><label for="short-url">Your short URL</label>'
            f'<input id="short-url" type="text" readonly value="{link}">'
            '<button type="button" id="copy" hidden>Copy</button>'
            f'<p><a id="short-link" href="{link}">{escape(short_url)}</a></p>'
            + (
                f'<img id="qr" src="{escape(qr_url, quote=True)}" alt="QR code" width="160">'
                if qr_url
                else ""
            )
            + "</section>"
        )
    return _document("Shorten a link", "".join(parts))


def error_page(status: int, message: str) -> str:
    titles = {404: "Link not found", 410: "Link expired"}
    title = titles.get(status, "Error")
    return _document(
        title, f'<h1>{title}</h1><p>{escape(message)}</p><p><a href="/">Shorten a link</a></p>'
    )
