"""The HTTP session ``mapgen fetch`` gives the LimeSurvey client (citric): guarded for secrets.

Every JSON-RPC call carries a secret (the password, then the session key), so the session
sends requests only to the endpoint the person named, follows no redirect (requests would
post the password again to wherever a 307 points), bounds each answer in size and in total
time (:mod:`mapgen.remote.bounds`), and checks the JSON-RPC envelope before citric reads it, so that
a hostile answer is one clear line rather than an internal error. Imports ``requests``: only
imported once the ``limesurvey`` extra is known to be installed.
"""

from __future__ import annotations

import json
import time
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import requests

from mapgen.remote import bounds
from mapgen.remote.secrets import redact, same_origin

__all__ = ["GuardedSession", "Refused"]

#: Seconds to connect, and to wait for each part of an answer (the whole is bounds.TOTAL_TIME).
CONNECT_TIMEOUT: Final = 20.0
READ_TIMEOUT: Final = 60.0


class Refused(Exception):
    """The session stopped a request or refused an answer; the message says why and what to do."""


class GuardedSession(requests.Session):
    """A :class:`requests.Session` that keeps LimeSurvey's secrets where the person sent them."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = endpoint
        # After a deadline, a size or a redirect the server gets nothing more (not even the
        # release of the session key, which would wait as long again).
        self.broken: Refused | None = None

    # Every argument of requests' own request() is passed through unchanged, except the three set here.
    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Send one request under the guards; its answer is read whole, within the bounds.

        Raises
        ------
        Refused
            The address is not the endpoint's origin, the server redirected, took longer than
            the whole time allowed, answered more than the size bound or not as JSON-RPC does.
        """
        if self.broken is not None:
            raise self.broken
        if not same_origin(str(url), self.endpoint):  # a bug, not the server: never send it
            raise Refused(f"{self.endpoint}: mapgen refused to send the password to another address.")
        kwargs.update(allow_redirects=False, stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        deadline = time.monotonic() + bounds.TOTAL_TIME

        def exchange() -> requests.Response:
            response: requests.Response = super(GuardedSession, self).request(method, url, *args, **kwargs)
            try:
                chunks = response.iter_content(chunk_size=64 * 1024)
                body = bounds.read_bounded(chunks, limit=bounds.MAX_ANSWER, deadline=deadline)
            finally:
                response.close()
            response._content = body  # what requests itself does once it has read an answer
            return response

        try:
            response = bounds.within(max(0.0, deadline - time.monotonic()), exchange)
        except bounds.DeadlinePassed:
            raise self._break(
                f"{self.endpoint}: LimeSurvey did not answer within {bounds.TOTAL_TIME:.0f} s; "
                "try again later, or export the responses by hand (Responses > Export)."
            ) from None
        except bounds.AnswerTooLarge:
            raise self._break(
                f"{self.endpoint}: LimeSurvey's answer is larger than {bounds.MAX_ANSWER / 2**20:,.0f} MB; "
                "reading stopped. Export the responses by hand (Responses > Export)."
            ) from None
        if response.is_redirect:
            raise self._break(self._redirected(response))
        if response.content:
            _check_envelope(response.content, self.endpoint)
        return response

    def _break(self, message: str) -> Refused:
        self.broken = Refused(message)
        return self.broken

    def _redirected(self, response: requests.Response) -> str:
        target = urlsplit(urljoin(self.endpoint, response.headers.get("Location", "")))
        shown = redact(f"{target.scheme}://{target.netloc}{target.path}")[:120]
        return (
            f"{self.endpoint}: the server answered {response.status_code}, sending mapgen to {shown}; "
            "mapgen never sends the password after a redirect. If that is LimeSurvey's own address, "
            "give it with --limesurvey (https://, unless on this machine)."
        )


def _check_envelope(body: bytes, endpoint: str) -> None:
    """Refuse an answer citric would end in an internal error on: too deep, or not JSON-RPC.

    An answer that is not JSON at all is left to citric, which says the API is not enabled.
    """
    not_rpc = Refused(
        f"{endpoint}: the server did not answer as LimeSurvey's RemoteControl API does "
        "(no JSON-RPC id, result and error). Check the address; the API lives at "
        "<LimeSurvey>/index.php/admin/remotecontrol."
    )
    try:
        data = json.loads(body)
    except RecursionError:
        raise not_rpc from None
    except ValueError:  # UnicodeDecodeError included
        return
    if not isinstance(data, dict) or not {"id", "result", "error"} <= data.keys():
        raise not_rpc
