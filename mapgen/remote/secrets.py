"""Where a secret may go, and the redaction of secrets from what servers answer.

Shared by :mod:`mapgen.readers.remote_control` (``mapgen fetch``) and :mod:`mapgen.publish`:
a secret (a password, a session cookie, the ``csrftoken``, LimeSurvey's session key) is sent
only to the origin the person named (scheme, host and port), and never over plain ``http://``
off loopback. Every text that came from a server passes through :func:`redact` before it is
shown, put in an error message or written to a log, because a server may echo the request.

The secrets in use are remembered for the life of the process (:func:`remember`): an error is
printed, or its traceback logged, after the client that raised it is closed. This module
imports no other mapgen module, so that :mod:`mapgen.errors` can use it.
"""

from __future__ import annotations

import html
import ipaddress
import json
import re
import threading
from typing import Final
from urllib.parse import quote, quote_plus, urlsplit

__all__ = [
    "HIDDEN",
    "forget_all",
    "is_loopback",
    "origin",
    "plain_http_off_loopback",
    "redact",
    "remember",
    "same_origin",
]

#: What a secret is replaced with in every text shown or logged.
HIDDEN: Final = "***"

# Cookies mapgen's servers use for sessions and CSRF: their values are hidden even when mapgen
# never saw them (a server echoing a Cookie header of another session).
_SECRET_COOKIES: Final = re.compile(
    r"(?i)\b(sessionid|csrftoken|csrfmiddlewaretoken|PHPSESSID|YII_CSRF_TOKEN)(\s*[=:]\s*)[^\s;,&\"'<>]+"
)

_lock = threading.Lock()
_secrets: set[str] = set()


def remember(*values: str | None) -> None:
    """Hide these values from every text :func:`redact` sees from now on (empty ones are ignored)."""
    with _lock:
        _secrets.update(v for v in values if v)


def forget_all() -> None:
    """Forget every remembered secret (for tests, which run many sessions in one process)."""
    with _lock:
        _secrets.clear()


def _spellings(secret: str) -> set[str]:
    """The ways a server may echo a secret: as sent, URL-encoded, JSON-escaped, HTML-escaped."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), html.escape(secret)}
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return {form for form in forms if form}


def redact(text: str) -> str:
    """``text`` with every remembered secret, and every session or CSRF cookie value, hidden.

    Examples
    --------
    >>> remember("s3cret!")
    >>> redact('{"error": "bad password s3cret%21", "cookie": "sessionid=abc; x=1"}')
    '{"error": "bad password ***", "cookie": "sessionid=***; x=1"}'
    >>> forget_all()
    """
    with _lock:
        secrets = sorted({form for s in _secrets for form in _spellings(s)}, key=len, reverse=True)
    # Longest first, so that a secret holding another one is hidden whole.
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return _SECRET_COOKIES.sub(lambda m: f"{m[1]}{m[2]}{HIDDEN}", text)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin(url: str) -> tuple[str, str, int]:
    """The origin of an address: scheme, host and port (the default port filled in)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no origin anything could match
        port = -1
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme, 0)


def same_origin(url: str, named: str) -> bool:
    """Whether ``url`` is on the origin of ``named``, the address the person gave."""
    return origin(url) == origin(named)


def plain_http_off_loopback(url: str) -> bool:
    """Whether a secret sent to ``url`` would travel unencrypted beyond this machine."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() != "https" and not is_loopback(parts.hostname or "")
