"""Offline copies of the JavaScript and CSS a folium page links to, inlined into the page.

folium 0.20 emits every library as a CDN ``<script src>``/``<link href>``: with no
network the page is a blank rectangle (``L is not defined``). This module replaces
those links with the files themselves, read at build time from installed packages:

- Leaflet 1.9.3 from the ``xstatic-leaflet`` wheel (the exact version folium 0.20 references);
- Leaflet.markercluster 1.5.3 and leaflet.fullscreen 3.0.0, vendored from npm into
  ``mapgen/_vendor/`` (see its README): folium references markercluster 1.1.0, which throws
  on zoom with many points, and PyPI has only 1.4.1 (xstatic) and no fullscreen plugin.

Images referenced by the CSS become ``data:`` URIs, so nothing is fetched at run time.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from mapgen.errors import OutputError

if TYPE_CHECKING:
    from branca.element import Element

__all__ = [
    "Asset",
    "inline_assets",
    "leaflet_icon_fix",
    "load_asset",
    "safe_for_html",
    "third_party_notice",
    "walk",
]

Kind = Literal["js", "css"]


@dataclass(frozen=True, slots=True)
class _Source:
    """Where the offline copy of one folium asset name lives."""

    package: str  # "xstatic-leaflet" or "_vendor/<folder>"
    relpath: str
    kind: Kind
    licence: str  # path of the licence text, under mapgen/_vendor


#: folium asset name -> offline copy (the names folium uses in ``default_js``/``default_css``).
_SOURCES: Final[dict[str, _Source]] = {
    "leaflet": _Source("xstatic-leaflet", "leaflet.js", "js", "leaflet/LICENSE"),
    "leaflet_css": _Source("xstatic-leaflet", "leaflet.css", "css", "leaflet/LICENSE"),
    "markerclusterjs": _Source(
        "_vendor/leaflet.markercluster",
        "leaflet.markercluster.js",
        "js",
        "leaflet.markercluster/MIT-LICENCE.txt",
    ),
    "markerclustercss": _Source(
        "_vendor/leaflet.markercluster",
        "MarkerCluster.css",
        "css",
        "leaflet.markercluster/MIT-LICENCE.txt",
    ),
    "markerclusterdefaultcss": _Source(
        "_vendor/leaflet.markercluster",
        "MarkerCluster.Default.css",
        "css",
        "leaflet.markercluster/MIT-LICENCE.txt",
    ),
    "Control.Fullscreen.js": _Source(
        "_vendor/leaflet.fullscreen",
        "Control.FullScreen.js",
        "js",
        "leaflet.fullscreen/LICENSE",
    ),
    "Control.FullScreen.css": _Source(
        "_vendor/leaflet.fullscreen",
        "Control.FullScreen.css",
        "css",
        "leaflet.fullscreen/LICENSE",
    ),
}

#: What each licence covers, for the notice at the top of the page.
_LICENCE_TITLES: Final = {
    "leaflet/LICENSE": "Leaflet 1.9.3 (https://leafletjs.com)",
    "leaflet.markercluster/MIT-LICENCE.txt": "Leaflet.markercluster 1.5.3 (https://github.com/Leaflet/Leaflet.markercluster)",
    "leaflet.fullscreen/LICENSE": "leaflet.fullscreen 3.0.0 (https://github.com/brunob/leaflet.fullscreen)",
}

#: Assets folium's Map lists by default that a page without folium Icons/Popups never uses.
OPTIONAL: Final = frozenset(
    {
        "jquery",
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
    }
)


@dataclass(frozen=True, slots=True)
class Asset:
    """One library file ready to paste into a page: its folium name, kind, text and licence."""

    name: str
    kind: Kind
    text: str
    licence: str


def _vendor_dir() -> Path:
    return Path(str(resources.files("mapgen"))) / "_vendor"


def _package_dir(package: str) -> Path:
    if package == "xstatic-leaflet":
        import xstatic.pkg.leaflet as xstatic_leaflet

        return Path(xstatic_leaflet.BASE_DIR)
    return Path(str(resources.files("mapgen"))) / package


def _data_uri(path: Path) -> str:
    """Return ``path`` as a base64 ``data:`` URI (images referenced by a stylesheet)."""
    if not path.is_file():
        raise OutputError(f"{path} is referenced by a stylesheet but missing; reinstall mapgen.")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^)'"]+)\1\s*\)""")


def _embed_css_urls(css: str, folder: Path) -> str:
    """Turn ``url(relative/file)`` into data URIs; keep ``data:`` and ``#fragment`` urls."""

    def replace(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        if target.startswith(("data:", "#")):
            return match.group(0)
        return f'url("{_data_uri(folder / target)}")'

    return _CSS_URL.sub(replace, css)


_SOURCE_MAP = re.compile(r"^\s*(//|/\*)# sourceMappingURL=.*$", re.MULTILINE)


def safe_for_html(text: str, kind: Kind) -> str:
    """Keep inlined code from ending its ``<script>``/``<style>`` element early.

    ``<\\/script`` is the same string to JavaScript and ``<\\/style`` the same to CSS;
    ``<!--`` inside a script would switch the HTML parser to its escaped mode.
    The source-map comment is dropped (the map file is not shipped).
    """
    tag = "script" if kind == "js" else "style"
    text = _SOURCE_MAP.sub("", text)
    text = re.sub(rf"</({tag})", r"<\\/\1", text, flags=re.IGNORECASE)
    return text.replace("<!--", "<\\!--")


@cache
def load_asset(name: str) -> Asset:
    """Return the offline copy of the folium asset called ``name``, ready to inline.

    Raises
    ------
    OutputError
        If mapgen has no offline copy of that asset (the page would need the network).
    """
    source = _SOURCES.get(name)
    if source is None:
        raise OutputError(
            f"the preview needs {name!r}, which mapgen has no offline copy of; "
            "add it to mapgen/writers/_assets.py (_SOURCES) and mapgen/_vendor/."
        )
    path = _package_dir(source.package) / source.relpath
    text = path.read_text(encoding="utf-8")
    if source.kind == "css":
        text = _embed_css_urls(text, path.parent)
    return Asset(name, source.kind, safe_for_html(text, source.kind), source.licence)


def leaflet_icon_fix() -> str:
    """JavaScript that points Leaflet's default marker icon at data URIs.

    ``L.Icon.Default`` derives its image folder from the stylesheet's url(); with the
    stylesheet inlined that yields a broken ``<img>``, so set the three images explicitly.
    """
    images = _package_dir("xstatic-leaflet") / "images"
    uris = {
        key: _data_uri(images / file)
        for key, file in (
            ("iconUrl", "marker-icon.png"),
            ("iconRetinaUrl", "marker-icon-2x.png"),
            ("shadowUrl", "marker-shadow.png"),
        )
    }
    options = ",".join(f'{key}:"{uri}"' for key, uri in uris.items())
    return f"L.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({{{options}}});"


def third_party_notice(assets: Iterable[Asset]) -> str:
    """The licences of the inlined libraries, as the text of an HTML comment."""
    parts = ["Third-party code inlined in this page, with its licence:"]
    for licence in sorted({asset.licence for asset in assets}):
        text = (_vendor_dir() / licence).read_text(encoding="utf-8").strip()
        parts.append(f"--- {_LICENCE_TITLES[licence]}\n{text}")
    # "--" may not appear inside an HTML comment.
    return "\n\n".join(parts).replace("--", "- -")


def walk(element: Element) -> Iterator[Element]:
    """Every element under ``element`` (itself first), in insertion order."""
    yield element
    for part in ("header", "html", "script"):
        child = getattr(element, part, None)
        if child is not None and hasattr(child, "_children"):
            yield from walk(child)
    for child in element._children.values():
        yield from walk(child)


def inline_assets(root: Element, *, extra: dict[str, Asset] | None = None) -> list[Asset]:
    """Strip every CDN link from the folium tree under ``root`` and return the assets to inline.

    Each element's ``default_js``/``default_css`` is emptied (on the instance, so other
    maps are untouched); the assets are returned once each, scripts in first-use order
    (Leaflet before its plugins) and stylesheets likewise. Names in :data:`OPTIONAL`
    are dropped unless ``extra`` supplies them.

    Raises
    ------
    OutputError
        If an element needs an asset mapgen has no offline copy of.
    """
    extra = extra or {}
    found: dict[str, Asset] = {}
    for element in walk(root):
        links = [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]
        if not links:
            continue
        for name, _url in links:
            if name in extra:
                found.setdefault(name, extra[name])
            elif name not in OPTIONAL:
                found.setdefault(name, load_asset(name))
        element.default_js = []  # type: ignore[attr-defined]
        element.default_css = []  # type: ignore[attr-defined]
    return [a for a in found.values() if a.kind == "js"] + [a for a in found.values() if a.kind == "css"]
