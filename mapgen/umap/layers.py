"""A uMap layer's options and the names of carried layers, read one way everywhere.

A uMap layer (an entry of a ``.umap`` backup's ``layers``, or a layer GeoJSON) keeps its
options (name, colour, ``displayOnLoad``...) in one of three members, depending on the uMap
version that wrote it. uMap 3.8.1 reads them in this order (``umap/static/umap/js/modules/
app.js`` ``createDataLayer``, which both the ``.umap`` import and a map's own layers go
through)::

    if (!spec.properties && spec._umap_options) spec.properties = spec._umap_options
    if (!spec.properties && spec._storage) spec.properties = spec._storage

so ``properties`` (uMap 3.7+) wins, then ``_umap_options`` (uMap 1.0-3.6), then the legacy
``_storage`` ("maps pre 1.0", ``data/layer.js`` ``fetchData``). The reader, the uMap writer,
the preview and the publish plan all ask :func:`layer_options`, so the same layer shows
the same name, colour and visibility in ``map.umap``, ``preview.html`` and on the
published map.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any, Final

__all__ = [
    "CARRIED_FILE_PREFIX",
    "CARRIED_NAME_SUFFIX",
    "OPTION_KEYS",
    "carried_layer_name",
    "editable_options",
    "layer_options",
    "options_key",
    "previous_layer_name",
]

#: The members that may hold a layer's options, in the order uMap 3.8.1 reads them.
OPTION_KEYS: Final = ("properties", "_umap_options", "_storage")

#: Added to the name of a carried layer that a generated layer already uses.
CARRIED_NAME_SUFFIX: Final = " (mappa precedente)"
#: How the file name (the key) of a layer carried from the previous map begins: the uMap writer
#: names it so, the publish plan tells a carried layer by it.
CARRIED_FILE_PREFIX: Final = "precedente-"

# " (mappa precedente)" or " (mappa precedente 2)" at the end of a name.
_CARRIED_SUFFIX: Final = re.compile(rf"{re.escape(CARRIED_NAME_SUFFIX[:-1])}(?: \d+)?\)$")


def options_key(layer: Mapping[str, Any]) -> str | None:
    """The member that holds a layer's options as uMap reads them, None when there is none.

    Parameters
    ----------
    layer
        A uMap layer: a FeatureCollection, maybe with ``properties``, ``_umap_options``
        or ``_storage``.

    Returns
    -------
    str or None
        The first of :data:`OPTION_KEYS` whose value is a JSON object. uMap would also
        take a non-object value (and then read no options from it); no uMap writes one,
        so such a member is passed over.
    """
    return next((key for key in OPTION_KEYS if isinstance(layer.get(key), Mapping)), None)


def layer_options(layer: Mapping[str, Any]) -> dict[str, Any]:
    """A uMap layer's options: ``properties`` (3.7+), else ``_umap_options`` (≤3.6), else ``_storage``.

    Parameters
    ----------
    layer
        A uMap layer (a ``.umap`` layer or a layer GeoJSON); any other mapping gives ``{}``.

    Returns
    -------
    dict
        A shallow copy of the options (empty when the layer has none): changing it leaves
        the layer as it was; use :func:`editable_options` to change a layer's options.
    """
    key = options_key(layer)
    return dict(layer[key]) if key is not None else {}


def editable_options(layer: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The options uMap will read from ``layer``, to change in place.

    A layer without options gets an empty ``_umap_options`` (the member every uMap 2.x/3.x
    import reads); a layer with options keeps them where they are, so a carried layer is
    written as it was read, plus what was changed.
    """
    key = options_key(layer)
    if key is None:
        key = "_umap_options"
        layer[key] = {}
    options: MutableMapping[str, Any] = layer[key]
    return options


def carried_layer_name(name: str, taken: set[str]) -> str:
    """The name a carried layer gets on the new map, and adds it to ``taken``.

    Two layers with one name cannot be told apart in uMap's layer list, so a carried
    layer whose name is taken gets :data:`CARRIED_NAME_SUFFIX`, then a number:
    ``Scuole``, ``Scuole (mappa precedente)``, ``Scuole (mappa precedente 2)``.
    """
    if name in taken:
        base, number = f"{name}{CARRIED_NAME_SUFFIX}", 1
        name = base
        while name in taken:
            number += 1
            name = f"{base[:-1]} {number})"
    taken.add(name)
    return name


def previous_layer_name(name: str) -> str:
    """The name a carried layer had on the previous map (undoes :func:`carried_layer_name`)."""
    return _CARRIED_SUFFIX.sub("", name)
