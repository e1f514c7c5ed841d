"""A small client for the views uMap's own editor uses (uMap has no API; see docs/publish.md).

Verified against uMap 3.8.1 (``umap/urls.py``, ``views.py``, ``decorators.py``,
``static/umap/js/modules/data/layer.js``): the map's settings and layer list
(``map/<id>/geojson/``), one layer's data with its version (``datalayer/<map>/<uuid>/``,
header ``X-Datalayer-Version``), the ``.umap`` backup (``map/<id>/download/``), and the
editor's writes: ``map/<id>/datalayer/create|update/<uuid>/`` (multipart ``name``,
``display_on_load``, ``rank``, ``settings``, ``parent``, ``geojson``) and
``map/<id>/update/settings/``. Every answer is checked before use: uMap answers
"log in first" with status 200 and ``{"login_required": …}`` (``decorators.py``).

The session cookie, the ``csrftoken`` and the password are secrets: they live only in the
HTTP client and are never put in a message, a log line or a file (what the server answers
passes through :func:`mapgen.remote.secrets.redact`). They are sent only to the map's own origin:
redirects are followed by hand, on that origin only, and a redirect elsewhere stops
publishing (:mod:`mapgen.remote.secrets`). Every answer is bounded in size and in total time
(:mod:`mapgen.remote.bounds`).
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urljoin, urlsplit

from mapgen.errors import PublishConflictError, PublishError, PublishPermissionError
from mapgen.i18n import _
from mapgen.publish.address import MapAddress
from mapgen.remote import bounds
from mapgen.remote.secrets import redact, remember, same_origin

if TYPE_CHECKING:
    import httpx

__all__ = ["KNOWN_VERSIONS", "LayerData", "RemoteLayer", "RemoteMap", "UmapClient"]

log = logging.getLogger(__name__)

#: uMap versions whose editor views this client was checked against.
KNOWN_VERSIONS: Final = ("3.8.1",)
_TIMEOUT: Final = 60.0
_GUIDE: Final = "docs/aggiornare-la-mappa.md"
#: Redirects followed on the map's own origin (uMap's ``/m/<id>/``, language prefix, slash).
_MAX_REDIRECTS: Final = 5
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
#: Cookies whose values are secrets: hidden from every text shown or logged.
_SECRET_COOKIES: Final = ("sessionid", "csrftoken")
#: Deepest nesting accepted in an uMap answer (GeoJSON needs about 6 levels).
_MAX_DEPTH: Final = 100


@dataclass(frozen=True, slots=True)
class RemoteLayer:
    """A layer of the published map: uMap id (a UUID), rank and settings (its options)."""

    uuid: str
    rank: int
    settings: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.settings.get("name") or "")


@dataclass(frozen=True, slots=True)
class RemoteMap:
    """What the map's ``geojson`` view says: its settings, layers, version and who may edit."""

    address: MapAddress
    name: str
    properties: Mapping[str, Any]
    layers: tuple[RemoteLayer, ...]
    umap_version: str
    can_edit: bool
    logged_in: bool


@dataclass(frozen=True, slots=True)
class LayerData:
    """One layer's features as stored, and the version uMap gave them."""

    features: tuple[Mapping[str, Any], ...]
    version: str


@dataclass(frozen=True, slots=True)
class _Answer:
    """A server's answer, read whole within the size and time bounds."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    url: str
    method: str = "GET"

    @property
    def location(self) -> str:
        """Where a redirect points, as an absolute address ("" when it is not a redirect)."""
        target = self.headers.get("location", "")
        return urljoin(self.url, target) if self.status_code in _REDIRECTS and target else ""


@dataclass
class UmapClient:
    """Reads and writes one uMap map with the editor's session (``sessionid`` cookie)."""

    address: MapAddress
    session: str | None = field(default=None, repr=False)
    transport: Any = field(default=None, repr=False)  # httpx transport, for tests only
    _http: httpx.Client | None = field(default=None, init=False, repr=False)

    # --- plumbing -------------------------------------------------------------------------

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            try:
                import httpx
            except ImportError:
                raise PublishError(
                    _("mapgen publish needs the httpx package, part of mapgen's install: install "
                      "mapgen again (make demo, or pip install mapgen).")
                ) from None

            if self.session:
                _check_session(self.session)
                remember(self.session)
            self._http = httpx.Client(
                timeout=_TIMEOUT,
                follow_redirects=False,  # followed by hand, on the map's origin only (_request)
                transport=self.transport,
                headers={"User-Agent": "mapgen-publish"},
            )
            if self.session:
                host = httpx.URL(self.address.server).host
                self._http.cookies.set("sessionid", self.session, domain=host)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> UmapClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(self, method: str, url: str, what: str, **kwargs: Any) -> _Answer:
        """Send one request, following redirects on the map's origin; every failure is one line.

        A ``POST`` is never sent again after a redirect: its body may hold the password.

        Raises
        ------
        PublishError
            The server cannot be reached, took longer than its whole time, answered more than
            the size limit, or sent mapgen to another origin (a redirect).
        """
        deadline = time.monotonic() + bounds.TOTAL_TIME
        for _attempt in range(_MAX_REDIRECTS + 1):
            answer = self._send(method, url, what, deadline, **kwargs)
            if not answer.location:
                return answer
            if not same_origin(answer.location, self.address.server):
                raise self._redirected(answer.location, what)
            if method != "GET":
                return answer
            url = answer.location
        raise PublishError(
            _("{what}: {server} redirected mapgen more than {max_redirects} times; check the map "
              "address (copy it from the browser once the map is shown).",
              what=what, server=self.address.server, max_redirects=_MAX_REDIRECTS)
        )

    def _send(self, method: str, url: str, what: str, deadline: float, **kwargs: Any) -> _Answer:
        """One request, no redirect followed, its answer read within the bounds."""
        import httpx

        if not same_origin(url, self.address.server):  # a bug, not the server: never send it
            raise PublishError(_("{what}: mapgen refused to send the session outside {server}.",
                                 what=what, server=self.address.server))
        http = self.http

        def exchange() -> _Answer:
            response = http.send(http.build_request(method, url, **kwargs), stream=True)
            try:
                body = bounds.read_bounded(response.iter_bytes(), limit=bounds.MAX_ANSWER, deadline=deadline)
            finally:
                response.close()
            return _Answer(response.status_code, response.headers, body, str(response.url), method)

        try:
            answer = bounds.within(max(0.0, deadline - time.monotonic()), exchange)
        except (httpx.TimeoutException, bounds.DeadlinePassed):
            raise PublishError(
                _("{what}: {server} did not answer within {total_time:.0f} s (or stopped for "
                  "{timeout:.0f} s); try again later or check the address.",
                  what=what, server=self.address.server, total_time=bounds.TOTAL_TIME, timeout=_TIMEOUT)
            ) from None
        except bounds.AnswerTooLarge:
            raise PublishError(
                _("{what}: the server's answer is larger than {value:,.0f} MB, far more than an uMap "
                  "map; reading stopped. {fallback}",
                  what=what, value=bounds.MAX_ANSWER / 2 ** 20, fallback=self._fallback())
            ) from None
        except httpx.CookieConflict:
            raise self._not_umap(what) from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, UnicodeError) as exc:
            # UnicodeError: a header mapgen sends back (a version, a cookie) is not ASCII.
            raise PublishError(
                _("cannot reach {server} ({type}); check the network connection and the map address.",
                  server=self.address.server, type=type(exc).__name__)
            ) from None
        self._remember_cookies()
        return answer

    def _remember_cookies(self) -> None:
        """Hide the session and CSRF cookies the server set from every text shown or logged."""
        remember(*(c.value for c in self.http.cookies.jar if c.name in _SECRET_COOKIES and c.value))

    def _cookie(self, name: str) -> str | None:
        """The value of one cookie of the session; two different ones are a clear error.

        Raises
        ------
        PublishError
            The server set two different cookies of that name (httpx's ``CookieConflict``),
            or one no HTTP header can carry back (not printable ASCII).
        """
        values = {c.value for c in self.http.cookies.jar if c.name == name and c.value}
        if len(values) > 1:
            raise PublishError(
                _("{server} set two different {name} cookies; mapgen cannot tell which one is the "
                  "session's. {fallback}", server=self.address.server, name=repr(name), fallback=self._fallback())
            )
        value = values.pop() if values else None
        if value is not None and not _cookie_safe(value):
            raise self._not_umap(_("reading the {name} cookie", name=repr(name)))
        return value

    def _redirected(self, target: str, what: str) -> PublishError:
        parts = urlsplit(target)
        shown = redact(f"{parts.scheme}://{parts.netloc}")[:100]
        return PublishError(
            _("{what}: {server} redirected mapgen to another address ({shown}); mapgen sends the "
              "session and the password only to the server of the map's address, and never over plain "
              "http. Give the address the browser shows once the map is open, or update the map by "
              "hand ({guide}).", what=what, server=self.address.server, shown=shown, guide=_GUIDE)
        )

    def _json(self, response: _Answer, what: str) -> dict[str, Any]:
        """The JSON object of an answer, after checking the status; else a clear error."""
        self._check_status(response, what)
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError, RecursionError):
            data = None
        if not isinstance(data, dict) or not _shallow(data, _MAX_DEPTH):
            raise self._not_umap(what)
        if "login_required" in data:
            raise PublishPermissionError(
                _("{what}: uMap asks to log in (session missing or expired). Copy a fresh session "
                  "cookie from the browser (see README, 'Publishing').", what=what)
            )
        return data

    def _check_status(self, response: _Answer, what: str) -> None:
        status = response.status_code
        if status == 404:
            raise PublishError(
                _("{what}: map {map_id} not found on {server} (404); check the address, or whether the "
                  "map was deleted.", what=what, map_id=self.address.map_id, server=self.address.server)
            )
        if status in (401, 403):
            raise PublishPermissionError(
                _("{what}: uMap refused access ({status}): the session's user may not {right} map "
                  "{map_id}. Ask the map's owner to add you as an editor.",
                  what=what, status=status, right=_("view") if response.method == "GET" else _("edit"),
                  map_id=self.address.map_id)
            )
        if status == 413:
            raise PublishError(
                _("{what}: the server refused the upload as too large (413). mapgen splits layers at "
                  "900 KB, under the usual 1 MB limit of uMap servers; ask the server's administrator "
                  "for the limit, or publish by hand in smaller layers.", what=what)
            )
        if status >= 400:
            raise PublishError(_("{what}: the server answered {status}; {fallback}",
                                 what=what, status=status, fallback=self._fallback()))

    def _not_umap(self, what: str) -> PublishError:
        return PublishError(_("{what}: the server did not answer as uMap does; {fallback}",
                              what=what, fallback=self._fallback()))

    def _fallback(self) -> str:
        return _("mapgen publish is known to work with uMap {versions}; update the map by hand instead "
                 "({guide}).", versions=", ".join(KNOWN_VERSIONS), guide=_GUIDE)

    # --- reading --------------------------------------------------------------------------

    def read_map(self) -> RemoteMap:
        """The map's settings and layer list (``map/<id>/geojson/``)."""
        what = _("reading map {map_id}", map_id=self.address.map_id)
        url = self.address.i18n(f"map/{self.address.map_id}/geojson/")
        data = self._json(self._request("GET", url, what), what)
        properties = data.get("properties")
        if not isinstance(properties, dict) or not isinstance(properties.get("datalayers"), list):
            raise self._not_umap(what)
        user = properties.get("user")
        return RemoteMap(
            address=self.address,
            name=str(properties.get("name") or ""),
            properties=properties,
            layers=tuple(_remote_layers(properties["datalayers"])),
            umap_version=str(properties.get("umap_version") or "unknown"),
            can_edit=properties.get("editMode") in ("advanced", "simple"),
            logged_in=isinstance(user, dict) and "id" in user,
        )

    def read_layer(self, uuid: str) -> LayerData:
        """One layer's stored features and its ``X-Datalayer-Version``."""
        what = _("reading layer {uuid}", uuid=uuid)
        url = self.address.i18n(f"datalayer/{self.address.map_id}/{uuid}/")
        response = self._request("GET", url, what)
        data = self._json(response, what)
        features = data.get("features")
        if not isinstance(features, list):
            raise self._not_umap(what)
        version = response.headers.get("X-Datalayer-Version", "")
        if not _cookie_safe(version) and version:  # sent back as X-Datalayer-Reference: a header
            raise self._not_umap(what)
        return LayerData(tuple(f for f in features if isinstance(f, dict)), version)

    def download_backup(self) -> bytes:
        """The full ``.umap`` backup, as uMap's "Download" menu gives it."""
        what = _("downloading the backup of map {map_id}", map_id=self.address.map_id)
        response = self._request("GET", self.address.plain(f"map/{self.address.map_id}/download/"), what)
        self._json(response, what)  # checks it is an uMap document
        return response.content

    # --- writing --------------------------------------------------------------------------

    def _csrf_headers(self) -> dict[str, str]:
        """Django's CSRF pair: the ``csrftoken`` cookie (set by the map page) and its header."""
        what = _("getting the editor's CSRF token")
        token = self._cookie("csrftoken")
        if not token:
            self._request("GET", self.address.url, what)
            token = self._cookie("csrftoken")
        if not token:
            raise self._not_umap(what)
        return {"X-CSRFToken": token, "Referer": self.address.url}

    def save_layer(
        self,
        uuid: str,
        *,
        create: bool,
        name: str,
        rank: int,
        settings: Mapping[str, Any],
        features: list[Mapping[str, Any]],
        reference: str | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> str:
        """Create or update one layer as the editor's Save does; return its new version.

        Raises
        ------
        PublishConflictError
            uMap refused the update (412) or merged it with a colleague's save.
        """
        action = "create" if create else "update"
        body = json.dumps(
            {"type": "FeatureCollection", "features": features, "_umap_options": dict(settings)},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        what = _("saving layer {name} ({size:,.0f} KB)", name=repr(name), size=len(body) / 1024)
        form = {
            "name": name,
            "display_on_load": "true" if settings.get("displayOnLoad", True) else "false",
            "rank": str(rank),
            "settings": json.dumps(dict(settings), ensure_ascii=False),
            "parent": "",
        }
        headers = self._csrf_headers()
        if reference and not create:
            headers["X-Datalayer-Reference"] = reference
        url = self.address.i18n(f"map/{self.address.map_id}/datalayer/{action}/{uuid}/")
        upload = _CountingReader(body, progress)
        response = self._request(
            "POST", url, what, data=form, files={"geojson": ("geojson", upload, "application/json")},
            headers=headers,
        )
        if response.status_code == 412:
            raise PublishConflictError(
                _("layer {name} was saved by someone else after mapgen read it, and uMap refused to "
                  "overwrite it (412).", name=repr(name))
            )
        data = self._json(response, what)
        if "geojson" in data:
            raise PublishConflictError(
                _("layer {name} was saved by someone else after mapgen read it; uMap merged both "
                  "saves, so the layer now mixes their change with mapgen's.", name=repr(name))
            )
        if "id" not in data:
            raise PublishError(_("{what}: uMap did not confirm the save ({short}); {fallback}",
                                 what=what, short=_short(data), fallback=self._fallback()))
        return str(response.headers.get("X-Datalayer-Version", ""))

    def save_map_settings(
        self,
        *,
        name: str,
        center: Mapping[str, Any],
        settings: Mapping[str, Any],
        tags: list[str],
        is_template: bool,
    ) -> None:
        """Save the map's settings as the editor does (``map/<id>/update/settings/``)."""
        what = _("saving the settings of map {map_id}", map_id=self.address.map_id)
        form = {
            "name": name,
            "center": json.dumps(dict(center)),
            "settings": json.dumps(dict(settings), ensure_ascii=False),
            "tags": ",".join(tags),
            "is_template": "true" if is_template else "false",
        }
        url = self.address.i18n(f"map/{self.address.map_id}/update/settings/")
        data = self._json(self._request("POST", url, what, data=form, headers=self._csrf_headers()), what)
        if "id" not in data:
            raise PublishError(_("{what}: uMap did not confirm the save ({short}); {fallback}",
                                 what=what, short=_short(data), fallback=self._fallback()))

    def log_in(self, username: str, password: str) -> None:
        """Log in with a local account (instances with ``ENABLE_ACCOUNT_LOGIN``)."""
        login = self.address.i18n("login/")
        page = self._request("GET", login, _("opening the login page"))
        self._check_status(page, _("opening the login page"))
        token = self._cookie("csrftoken")
        if not token:
            raise PublishError(
                _("{server} has no local-account login page; use a session cookie instead "
                  "(MAPGEN_UMAP_SESSION or --session-file).", server=self.address.server)
            )
        remember(password)
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        # A redirect after the form is never followed with it (_request): the answer's cookie says.
        self._request("POST", login, _("logging in to {server}", server=self.address.server), data=form,
                      headers={"Referer": login})
        if not self._cookie("sessionid"):
            raise PublishPermissionError(
                _("logging in to {server} as {username} failed: wrong user name or password.",
                  server=self.address.server, username=repr(username))
            )


class _CountingReader(io.BytesIO):
    """The upload body, reporting ``progress(bytes read, total)`` as httpx reads it."""

    def __init__(self, body: bytes, progress: Callable[[int, int], None] | None) -> None:
        super().__init__(body)
        self._total = len(body)
        self._progress = progress
        if progress is not None:
            progress(0, self._total)

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        if self._progress is not None:
            self._progress(self.tell(), self._total)
        return chunk


def _remote_layers(items: list[Any]) -> list[RemoteLayer]:
    """The map's layers, children of group layers included, parsed defensively."""
    layers = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        settings = item.get("properties")
        rank = item.get("rank")
        layers.append(
            RemoteLayer(
                uuid=item["id"],
                rank=rank if isinstance(rank, int) else 0,
                settings=settings if isinstance(settings, dict) else {},
            )
        )
        children = item.get("layers")
        if isinstance(children, list):
            layers += _remote_layers(children)
    return layers


def _short(data: Mapping[str, Any]) -> str:
    """A server's answer, shortened for a message, without the secrets it may echo."""
    try:
        text = redact(json.dumps(dict(data), ensure_ascii=False))
    except (ValueError, RecursionError):
        return "an unreadable answer"
    return text if len(text) < 120 else text[:117] + "..."


def _shallow(data: Any, limit: int) -> bool:
    """Whether ``data`` (parsed JSON) nests at most ``limit`` levels; checked without recursion."""
    level: list[Any] = [data]
    for _depth in range(limit):
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]  # fmt: skip
        if not level:
            return True
    return not any(isinstance(item, (dict, list)) for item in level)


def _cookie_safe(value: str) -> bool:
    """Whether a cookie value can travel in a header: printable ASCII, no separator or space."""
    return value.isascii() and value.isprintable() and not any(c in value for c in ' ;,"\\')


def _check_session(value: str) -> None:
    """Refuse a session value no Cookie header can carry, without showing it."""
    if not _cookie_safe(value):
        raise PublishError(
            _("the session value holds a character a cookie cannot carry (a letter outside ASCII, a "
              "space or a ';'); copy again the value of the 'sessionid' cookie from the browser (see "
              "README, 'Publishing').")
        )
