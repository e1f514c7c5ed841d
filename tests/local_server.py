"""A scripted web server on 127.0.0.1 for tests of hostile servers (redirects, echoes, endless answers).

Each test gives a function that answers every request; the server records what it received,
so a test can check that a secret never reached a server it should not.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """Everything received, as one text to search for secrets."""
        head = "".join(f"{k}: {v}\n" for k, v in self.headers.items())
        return f"{self.method} {self.path}\n{head}\n{self.body.decode('utf-8', 'replace')}"


@dataclass
class Server:
    """The running server: its address and what it received."""

    url: str
    seen: list[Seen] = field(default_factory=list)

    @property
    def received(self) -> str:
        return "\n".join(s.text for s in self.seen)


Script = Callable[["Handler", Seen], None]


class Handler(BaseHTTPRequestHandler):
    """Records the request, then lets the test's script answer it."""

    server: _ScriptedServer

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        seen = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length) if length else b"")
        self.server.record.seen.append(seen)
        with suppress(BrokenPipeError, ConnectionResetError):  # the client stopped reading: expected
            self.server.script(self, seen)

    do_GET = do_POST = _handle

    def reply(self, status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None) -> None:
        """A whole answer with its length."""
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""


class _ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True
    script: Script
    record: Server


@contextmanager
def serve(script: Script) -> Iterator[Server]:
    """Run a server answering with ``script`` on 127.0.0.1 (a free port) for the ``with`` block."""
    httpd = _ScriptedServer(("127.0.0.1", 0), Handler)
    httpd.script = script
    httpd.record = Server(f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.record
    finally:
        httpd.shutdown()
        httpd.server_close()
