"""Update a map already published on uMap, in place (``mapgen publish``).

- :mod:`~mapgen.publish.address`: the map's address (https only, except on loopback);
- :mod:`~mapgen.publish.client`: the uMap views the editor itself uses;
- :mod:`~mapgen.publish.plan`: the build compared with the map, layer by layer;
- :mod:`~mapgen.publish.apply`: backup, then each layer and the owned map settings;
- :mod:`~mapgen.publish.verify`: the map read back and compared with the build.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from mapgen.errors import PublishError
from mapgen.i18n import _
from mapgen.publish.address import MapAddress, parse_map_url
from mapgen.publish.apply import ApplyResult, apply_plan, save_backup
from mapgen.publish.client import KNOWN_VERSIONS, UmapClient
from mapgen.publish.plan import Plan, make_plan, plan_lines, read_built_layers
from mapgen.publish.verify import ReadBack, verify_published

__all__ = [
    "KNOWN_VERSIONS",
    "ApplyResult",
    "MapAddress",
    "Plan",
    "ReadBack",
    "UmapClient",
    "apply_plan",
    "connect",
    "credentials",
    "make_plan",
    "parse_map_url",
    "plan_lines",
    "read_built_layers",
    "read_session_file",
    "save_backup",
    "verify_published",
]


def read_session_file(path: Path) -> str:
    """The session cookie from a file holding ``abc123…`` or ``sessionid=abc123…``."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise PublishError(
            _("--session-file {path}: cannot read it ({reason}).",
              path=path, reason=exc.strerror or exc)
        ) from None
    value = text.split("=", 1)[1].strip() if text.startswith("sessionid=") else text
    if not value or any(c.isspace() or c == ";" for c in value):
        raise PublishError(
            _("--session-file {path}: expected only the value of the 'sessionid' cookie (one line, "
              "copied from the browser; see README, 'Publishing').", path=path)
        )
    return value


def credentials(
    session_file: Path | None, user: str | None, *, ask: Callable[[str], str]
) -> tuple[str | None, str | None]:
    """The (session cookie, password) pair for :func:`connect`; secrets are never printed.

    The cookie comes from ``session_file`` (:func:`read_session_file`), else from
    ``$MAPGEN_UMAP_SESSION``; the password, only with a local account ``user``, from
    ``$MAPGEN_UMAP_PASSWORD``, else from ``ask(prompt)`` (the CLI asks without echo).
    """
    session = read_session_file(session_file) if session_file else os.environ.get("MAPGEN_UMAP_SESSION")
    password = None
    if user:
        password = os.environ.get("MAPGEN_UMAP_PASSWORD") or ask(f"uMap password for {user}: ")
    return session, password


def connect(
    map_url: str,
    *,
    session: str | None = None,
    user: str | None = None,
    password: str | None = None,
) -> UmapClient:
    """A client for the map at ``map_url``, logged in with a session cookie or an account."""
    client = UmapClient(parse_map_url(map_url), session=session or None)
    if user:
        try:
            client.log_in(user, password or "")
        except BaseException:
            client.close()
            raise
    return client
