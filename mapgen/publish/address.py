"""Where a published map lives: an uMap map address split into server, language and id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from mapgen.errors import PublishError
from mapgen.i18n import _

__all__ = ["MapAddress", "parse_map_url"]

# uMap's map page: ``[/<prefix>][/<lang>]/map/<slug>_<id>`` (``umap/urls.py``, name "map");
# the short form ``/m/<id>/`` redirects to it.
_MAP_PATH = re.compile(
    r"^(?P<prefix>(?:/[^/]+)*?)(?:/(?P<lang>[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?))?"
    r"/map/(?P<slug>[-\w]*)_(?P<id>\d+)/?$"
)
_SHORT_PATH = re.compile(r"^(?P<prefix>(?:/[^/]+)*?)/m/(?P<id>\d+)/?$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class MapAddress:
    """An uMap map: ``server`` (scheme, host, prefix), ``lang`` (URL language) and ``map_id``."""

    server: str
    lang: str
    map_id: int
    url: str

    def i18n(self, path: str) -> str:
        """The address of one of uMap's language-prefixed views (``i18n_patterns``)."""
        return f"{self.server}/{self.lang}/{path.lstrip('/')}"

    def plain(self, path: str) -> str:
        """The address of one of uMap's views outside the language prefix."""
        return f"{self.server}/{path.lstrip('/')}"


def parse_map_url(url: str) -> MapAddress:
    """Split a map address such as ``https://umap.openstreetmap.fr/it/map/famiglie_1234``.

    Raises
    ------
    PublishError
        The address is not an uMap map page, or uses plain ``http://`` off loopback
        (the session cookie would travel unencrypted).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise PublishError(
            _("--map {url} is not a web address; give the map's address as shown by the browser, e.g. "
              "https://umap.openstreetmap.fr/it/map/famiglie_1234.", url=repr(url))
        )
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise PublishError(
            _("--map {url} uses plain http://: the session would travel unencrypted. Use the https:// "
              "address (plain http is allowed only on 127.0.0.1/localhost).", url=repr(url))
        )
    found = _MAP_PATH.match(parts.path) or _SHORT_PATH.match(parts.path)
    if found is None:
        raise PublishError(
            _("--map {url} is not the address of an uMap map (expected …/map/<name>_<number>); open "
              "the map in the browser and copy its address.", url=repr(url))
        )
    server = f"{parts.scheme}://{parts.netloc}{found['prefix']}"
    lang = found.groupdict().get("lang") or "en"
    return MapAddress(server, lang, int(found["id"]), url.strip())
