"""A loopback reverse proxy in front of the test uMap with a request body limit.

Public uMap instances sit behind nginx, whose ``client_max_body_size`` (1 MB by default)
answers 413 to a bigger upload before uMap sees it (uMap issue #2779). This proxy does
the same in front of the real test uMap, so the publisher's handling of that answer is
tested against uMap itself, not against a mock.
"""

from __future__ import annotations

import http.client
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def _handler(target: str, limit: int) -> type[http.server.BaseHTTPRequestHandler]:
    upstream = urlsplit(target)

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > limit:
                body = b"<html><head><title>413 Request Entity Too Large</title></head></html>"
                self.send_response(413)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True
                return
            data = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection = http.client.HTTPConnection(upstream.hostname or "", upstream.port, timeout=60)
            try:
                connection.request(self.command, self.path, body=data, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
            finally:
                connection.close()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in _HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _forward

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Proxy


@contextmanager
def body_limited_proxy(target: str, *, limit: int) -> Iterator[str]:
    """Serve ``target`` on a free loopback port, refusing bodies over ``limit`` bytes (413)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(target, limit))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
