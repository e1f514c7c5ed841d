"""A uMap layer's options and carried-layer names (mapgen.umap.layers), the same everywhere.

The reference for what uMap reads is written out here from uMap 3.8.1's own code
(``app.js`` ``createDataLayer``), not taken from mapgen, so that the reader, the uMap writer,
the preview and the publish plan are each checked against uMap rather than against each other.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, OutputOptions
from mapgen.publish import read_built_layers
from mapgen.readers.previous_map import read_previous
from mapgen.umap.layers import (
    CARRIED_NAME_SUFFIX,
    carried_layer_name,
    editable_options,
    layer_options,
    options_key,
    previous_layer_name,
)
from mapgen.writers import preview
from mapgen.writers.umap import write_umap


def umap_reads(spec: dict[str, Any]) -> dict[str, Any]:
    """The options uMap 3.8.1 gives a layer it imports (``app.js`` ``createDataLayer``)::

    if (!spec.properties && spec._umap_options) spec.properties = spec._umap_options
    if (!spec.properties && spec._storage) spec.properties = spec._storage
    """
    properties = spec.get("properties")
    if not _js_truthy(properties) and _js_truthy(spec.get("_umap_options")):
        properties = spec["_umap_options"]
    if not _js_truthy(properties) and _js_truthy(spec.get("_storage")):
        properties = spec["_storage"]
    return dict(properties) if isinstance(properties, dict) else {}


def _js_truthy(value: Any) -> bool:
    """JavaScript's truthiness for a JSON value: every object and array is true, even empty."""
    return isinstance(value, dict | list) or bool(value)


def _point(name: str, lon: float, lat: float, **extra: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": name, **extra}}  # fmt: skip


#: Options only under the legacy ``_storage`` (maps saved before uMap 1.0).
LEGACY = {
    "type": "FeatureCollection",
    "_storage": {"name": "Scuole", "color": "DarkGreen", "displayOnLoad": False},
    "features": [_point("Scuola Mazzini", 16.87, 41.12)],
}
#: ``properties`` (uMap 3.7+) and ``_umap_options`` (≤3.6) that disagree: uMap takes ``properties``.
CONFLICTING = {
    "type": "FeatureCollection",
    "properties": {"name": "Parchi", "color": "#00AA00", "displayOnLoad": False},
    "_umap_options": {"name": "Vecchi parchi", "color": "Red", "displayOnLoad": True},
    "_storage": {"name": "Parchi 2015", "color": "Blue"},
    "features": [_point("Parco del Valentino", 7.68, 45.05)],
}
#: (name, color, displayOnLoad) as uMap shows each carried layer.
EXPECTED = [("Scuole", "DarkGreen", False), ("Parchi", "#00AA00", False)]


# --- the one function -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "key"),
    [
        ({"properties": {"name": "a"}, "_umap_options": {"name": "b"}, "_storage": {"name": "c"}}, "properties"),
        ({"_umap_options": {"name": "b"}, "_storage": {"name": "c"}}, "_umap_options"),
        ({"_storage": {"name": "c"}}, "_storage"),
        ({"properties": None, "_umap_options": {"name": "b"}}, "_umap_options"),
        ({"properties": "broken", "_storage": {"name": "c"}}, "_storage"),  # not an object: passed over
        ({"type": "FeatureCollection", "features": []}, None),
    ],
)
def test_options_are_read_in_umaps_order(layer: dict[str, Any], key: str | None) -> None:
    assert options_key(layer) == key
    assert layer_options(layer) == (layer[key] if key else {})


def test_an_empty_properties_object_still_wins_as_in_umap() -> None:
    # JavaScript: `!{}` is false, so uMap keeps the empty properties and ignores _umap_options.
    layer = {"properties": {}, "_umap_options": {"name": "b"}}
    assert layer_options(layer) == umap_reads(layer) == {}


def test_layer_options_is_a_copy_and_editable_options_is_not() -> None:
    layer: dict[str, Any] = {"_storage": {"name": "Scuole"}}
    layer_options(layer)["name"] = "changed"
    assert layer["_storage"]["name"] == "Scuole"
    editable_options(layer)["color"] = "Red"
    assert layer == {"_storage": {"name": "Scuole", "color": "Red"}}
    bare: dict[str, Any] = {"type": "FeatureCollection"}
    editable_options(bare)["name"] = "Nuovo"
    assert bare["_umap_options"] == {"name": "Nuovo"}


def test_carried_names_are_made_unique_and_undone() -> None:
    taken = {"Scuole"}
    names = [carried_layer_name("Scuole", taken) for _ in range(3)]
    assert names == ["Scuole" + CARRIED_NAME_SUFFIX, "Scuole (mappa precedente 2)", "Scuole (mappa precedente 3)"]
    assert carried_layer_name("Parchi", taken) == "Parchi"
    assert taken == {"Scuole", "Parchi", *names}
    assert {previous_layer_name(name) for name in names} == {"Scuole"}
    assert previous_layer_name("Parchi") == "Parchi"


# --- the same layer through every step -----------------------------------------------------------


def _previous_map(path: Path) -> Path:
    """A ``.umap`` backup with an initiative layer and the two carried layers above."""
    initiatives = {"type": "FeatureCollection", "_umap_options": {"name": "Iniziative"},
                   "features": [_point("Nido comunale", 16.87, 41.12, comune="Bari")]}  # fmt: skip
    document = {"type": "umap", "properties": {"name": "Mappa 2019"}, "layers": [initiatives, LEGACY, CONFLICTING]}
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("remote", [False, True], ids=["layers-in-map", "remote-data"])
def test_reader_writer_preview_and_plan_see_the_options_umap_sees(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer, remote: bool
) -> None:
    assert [(o["name"], o["color"], o["displayOnLoad"]) for o in map(umap_reads, (LEGACY, CONFLICTING))] == EXPECTED
    edition = read_previous(_previous_map(tmp_path / "mappa_2019.umap"), initiative_layers=["Iniziative"])
    # The reader names the layers as uMap does.
    assert [layer.name for layer in edition.carried] == [name for name, _, _ in EXPECTED]
    assert [s.name for s in edition.layers] == ["Iniziative", "Scuole", "Parchi"]

    build = replace(sample_build, carried_layers=edition.carried)
    options = OutputOptions(remote_base_url="https://mappe.example.org/2024" if remote else "")
    out = tmp_path / "out"
    write_umap(build, out, gazetteer=gazetteer, options=options)

    # The uMap writer: map.umap, imported by uMap, gives each carried layer the same options.
    document = json.loads((out / "map.umap").read_text(encoding="utf-8"))
    seen = {umap_reads(layer)["name"]: umap_reads(layer) for layer in document["layers"]}
    assert [(name, seen[name].get("color"), seen[name].get("displayOnLoad")) for name, _, _ in EXPECTED] == EXPECTED

    # The preview draws them with the same name, colour and visibility.
    carried = preview.preview_data(build, gazetteer=gazetteer, options=options)["carried"]
    assert [(layer["nome"], layer["colore"], layer["visibile"]) for layer in carried] == EXPECTED

    # The publish plan sends uMap the same settings (and finds a remote layer's file by its URL).
    built = {layer.name: layer for layer in read_built_layers(out)[0]}
    assert [
        (name, built[name].settings.get("color"), built[name].settings.get("displayOnLoad")) for name, _, _ in EXPECTED
    ] == EXPECTED
    assert all((out / "layers" / f"{built[name].key}.geojson").is_file() for name, _, _ in EXPECTED)
