"""Reading a map file as uMap writes it: a ``.umap`` backup or a layer GeoJSON, split into layers.

Format knowledge only: which JSON is a full backup (``layers`` list, group layers with
nested ``layers`` flattened, each leaf keeping its group's name), a layer GeoJSON
(``FeatureCollection``, maybe with its options) or a single ``Feature``, and each layer's
name (:func:`mapgen.umap.layers.layer_options`). What the features mean is the readers'
business (:mod:`mapgen.readers.previous_map`).

JSON is read defensively, since a map file may be broken or hostile: UTF-8 only, lone
surrogate escapes replaced, numbers and nesting bounded (:data:`MAX_JSON_DEPTH`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from mapgen.errors import InputError, UnreadableFileError
from mapgen.i18n import _, _l
from mapgen.umap.layers import layer_options

__all__ = ["FIX_EXPORT", "MAX_JSON_DEPTH", "FileLayer", "MapFile", "parse_json", "read_json_map", "split_layers"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FileLayer:
    """One layer of a map file: its name, its FeatureCollection as read, and its group layer's name."""

    name: str
    collection: Mapping[str, Any]
    group: str = ""


@dataclass(frozen=True, slots=True)
class MapFile:
    """A map file as layers: its format (in English, for messages), leaf layers in file order, and
    for a ``.umap`` backup its top level without ``layers`` (``properties``, ``geometry``...)."""

    format: str
    layers: tuple[FileLayer, ...]
    map_properties: Mapping[str, Any] | None = None


#: How to get a readable map file, appended to every message about one.
FIX_EXPORT: Final = _l(
    "Export it again from uMap (Share → download the full backup .umap, or a layer as GeoJSON) "
    "or from QGIS as GeoJSON or GeoPackage."
)


def read_json_map(path: Path) -> MapFile:
    """A ``.umap`` backup, a layer GeoJSON or a single Feature, split into its layers.

    Parameters
    ----------
    path
        A JSON file (its name is used in messages and, for a GeoJSON without a layer
        name, as the layer's name).

    Returns
    -------
    MapFile
        Raises :class:`~mapgen.errors.UnreadableFileError` for a file that is not
        UTF-8 JSON within the limits, :class:`~mapgen.errors.InputError` for JSON that is
        neither a uMap backup nor GeoJSON.
    """
    return split_layers(path.name, parse_json(path))


def parse_json(path: Path) -> Any:
    """The JSON in ``path``, or :class:`~mapgen.errors.UnreadableFileError` saying how to fix the file."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            _("{file}: not UTF-8 text (byte {start}); GeoJSON and .umap files are UTF-8: save it again "
              "as UTF-8. {fix}", file=path.name, start=exc.start, fix=FIX_EXPORT)
        ) from None
    replaced = 0
    if "\\ud" in text or "\\uD" in text:  # the pattern's costly look-arounds only where it can match
        text, replaced = _LONE_SURROGATE.subn(r"\\ufffd", text)
    if replaced:  # "\ud800" alone is valid JSON but no UTF-8 file can hold it: the writers would crash
        log.warning("%s: %d lone surrogate escapes (\\ud800-\\udfff) replaced by U+FFFD.", path.name, replaced)
    try:
        data = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise UnreadableFileError(
            _("{file}: invalid JSON at line {lineno}, column {colno} ({msg}); the file may be "
              "truncated. {fix}", file=path.name, lineno=exc.lineno, colno=exc.colno, msg=exc.msg,
              fix=FIX_EXPORT)
        ) from None
    except _NumberTooLarge as exc:
        raise UnreadableFileError(
            _("{file}: the number {digits}... has {count} digits, too large for a coordinate or a value. "
              "Fix it in uMap or QGIS. {fix}",
              file=path.name, digits=exc.args[0][:20], count=len(exc.args[0]), fix=FIX_EXPORT)
        ) from None
    except RecursionError:
        raise UnreadableFileError(_too_deep(path.name)) from None
    _check_depth(data, path.name)
    return data


#: A ``\uD800``-``\uDFFF`` escape that is not half of a surrogate pair.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)

#: Deepest nesting of arrays and objects read (a MultiPolygon needs 4 inside a feature at 3;
#: uMap options add a few): more is a hostile or broken file, and would overflow the stack.
MAX_JSON_DEPTH: Final = 64

#: Digits of the largest integer read: a float holds about 10**308.
_MAX_DIGITS: Final = 300


class _NumberTooLarge(ValueError):
    """An integer with more digits than a float can hold."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise _NumberTooLarge(text)
    return int(text)


def _too_deep(name: str) -> str:
    return _("{file}: arrays or objects nested more than {depth} levels deep; a map needs about a dozen.",
             file=name, depth=MAX_JSON_DEPTH) + f" {FIX_EXPORT}"


def _check_depth(data: Any, name: str) -> None:
    """Refuse nesting deeper than :data:`MAX_JSON_DEPTH` (walked without recursion)."""
    level: list[Any] = [data] if isinstance(data, dict | list) else []
    depth = 1
    while level:  # one nesting level at a time
        if depth > MAX_JSON_DEPTH:
            raise UnreadableFileError(_too_deep(name))
        inner: list[Any] = []
        for value in level:
            items = value.values() if isinstance(value, dict) else value
            inner += [item for item in items if isinstance(item, dict | list)]
        level, depth = inner, depth + 1


def split_layers(name: str, data: Any) -> MapFile:
    """Parsed JSON as layers: a ``.umap`` backup, a FeatureCollection or one Feature."""
    kind = data.get("type") if isinstance(data, dict) else type(data).__name__
    if isinstance(data, dict) and (isinstance(data.get("layers"), list) or kind == "umap"):
        return _load_umap(name, data)
    if kind == "FeatureCollection" and isinstance(data, dict):
        if not isinstance(data.get("features") or [], list):
            raise InputError(
                _("{name}: 'features' must be a list of GeoJSON Features, found {type}. {fix}",
                  name=name, type=type(data['features']).__name__, fix=FIX_EXPORT)
            )
        return MapFile("GeoJSON layer", (FileLayer(_collection_name(data, name), data),))
    if kind == "Feature" and isinstance(data, dict):
        collection = {"type": "FeatureCollection", "features": [data]}
        return MapFile("GeoJSON feature", (FileLayer(Path(name).stem, collection),))
    raise InputError(
        _("{name}: JSON of type {kind} is neither a uMap backup (.umap, with a 'layers' list) nor a "
          "GeoJSON FeatureCollection. {fix}", name=name, kind=repr(kind), fix=FIX_EXPORT)
    )


def _collection_name(collection: Mapping[str, Any], file_name: str) -> str:
    """A standalone layer's name: uMap options' name, GDAL ``name`` member, else the file stem."""
    for candidate in (layer_options(collection).get("name"), collection.get("name")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return Path(file_name).stem


def _load_umap(name: str, data: Mapping[str, Any]) -> MapFile:
    if not isinstance(data.get("layers"), list):
        raise InputError(
            _("{name}: a uMap backup needs a 'layers' list, found {type}. {fix}",
              name=name, type=type(data.get('layers')).__name__, fix=FIX_EXPORT)
        )
    layers = tuple(_flatten_layers(name, data["layers"], group="", path=_("layer")))
    map_properties = {k: v for k, v in data.items() if k != "layers"}
    return MapFile("uMap backup (.umap)", layers, map_properties)


def _flatten_layers(
    file: str, entries: Sequence[Any], *, group: str, path: str
) -> Iterator[FileLayer]:
    """Yield the leaf layers of a uMap layers list, descending into group layers."""
    for number, entry in enumerate(entries, start=1):
        where = f"{path} {number}"
        if not isinstance(entry, dict):
            raise InputError(
                _("{file}, {where}: a layer must be a JSON object, found {type}. {fix}",
                  file=file, where=where, type=type(entry).__name__, fix=FIX_EXPORT)
            )
        options = layer_options(entry)
        name = str(options.get("name") or f"Layer {number}").strip()
        kind = entry.get("type", "FeatureCollection")
        if kind != "FeatureCollection":
            raise InputError(
                _("{file}, {where} ({name}): unknown layer type {kind}; uMap layers are GeoJSON "
                  "FeatureCollections. {fix}",
                  file=file, where=where, name=repr(name), kind=repr(kind), fix=FIX_EXPORT)
            )
        if isinstance(entry.get("layers"), list):
            yield from _flatten_layers(
                file, entry["layers"], group=name, path=f"{where} ({name!r}), " + _("layer")
            )
        if options.get("group") and not entry.get("features"):
            continue  # a group holds only its children
        if not isinstance(entry.get("features") or [], list):
            raise InputError(
                _("{file}, {where} ({name}): 'features' must be a list. {fix}",
                  file=file, where=where, name=repr(name), fix=FIX_EXPORT)
            )
        yield FileLayer(name, entry, group)
