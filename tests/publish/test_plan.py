"""The publish plan against a map held in memory: which built layer goes where, and its name.

The real uMap runs in ``tests/publish/test_in_umap.py``; here a stand-in answers the two reads
the plan makes (``read_map``, ``read_layer``) with what uMap 3.8.1 answers for a map holding a
hand-made "Regioni" layer of points and a hand-made "2019" layer, as the issue-25 case had.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from fixtures import factories
from mapgen.errors import PublishError
from mapgen.gazetteer import Gazetteer
from mapgen.model import CarriedLayer, OutputOptions
from mapgen.publish import make_plan, parse_map_url, plan_lines, read_built_layers, verify_published
from mapgen.publish.client import LayerData, RemoteLayer, RemoteMap
from mapgen.publish.plan import KEY, BuiltLayer
from mapgen.writers.umap import write_umap

HAND_MADE_REGIONI = [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [12.48, 41.89]},
     "properties": {"name": "Lazio", "description": "Sede regionale"}},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.19, 45.46]},
     "properties": {"name": "Lombardia", "description": "Sede regionale"}},
]
LAYER_2019 = [
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [12.49, 41.89]},
     "properties": {"name": "Nido comunale", "description": "Edizione 2019"}},
]


class MapInMemory:
    """Answers ``read_map`` and ``read_layer`` from layers given as (uuid, settings, features)."""

    def __init__(self, layers: Sequence[tuple[str, Mapping[str, Any], list[dict[str, Any]]]]) -> None:
        self.layers = {uuid: (dict(settings), features) for uuid, settings, features in layers}

    def read_map(self) -> RemoteMap:
        remote = [RemoteLayer(uuid, rank, settings) for rank, (uuid, (settings, _)) in enumerate(self.layers.items())]
        return RemoteMap(
            address=parse_map_url("https://umap.example.org/it/map/famiglie_1234"), name="Famiglie",
            properties={}, layers=tuple(remote), umap_version="3.8.1", can_edit=True, logged_in=True,
        )

    def read_layer(self, uuid: str) -> LayerData:
        return LayerData(tuple(self.layers[uuid][1]), f"v-{uuid}")

    def publish(self, plan: Any) -> None:
        """What apply_plan would leave on uMap: each written layer with its settings and features."""
        for layer in plan.layers:
            if layer.writes:
                self.layers[layer.uuid] = (dict(layer.settings), list(layer.built.features))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> list[BuiltLayer]:
    """A build whose previous map had a hand-made "Regioni" layer of points (carried, renamed)."""
    carried = CarriedLayer(
        name="Regioni", source="mappa_2019.umap",
        geojson={"type": "FeatureCollection", "properties": {"name": "Regioni"}, "features": HAND_MADE_REGIONI},
    )
    build = dataclasses.replace(factories.sample_build(), carried_layers=(carried,))
    folder = tmp_path_factory.mktemp("built-regioni")
    write_umap(build, folder, gazetteer=gazetteer, options=OutputOptions())
    layers, _ = read_built_layers(folder)
    return layers


def hand_made_map() -> MapInMemory:
    return MapInMemory([
        ("uuid-regioni", {"name": "Regioni", "displayOnLoad": True}, HAND_MADE_REGIONI),
        ("uuid-2019", {"name": "2019", "displayOnLoad": True}, LAYER_2019),
    ])


def by_key(plan: Any) -> dict[str, Any]:
    return {layer.built.key: layer for layer in plan.layers}


def test_the_generated_regions_layer_is_never_taken_for_the_hand_made_one(built: list[BuiltLayer]) -> None:
    assert {layer.key: layer.name for layer in built if "regioni" in layer.key} == {
        "regioni": "Regioni", "precedente-regioni": "Regioni (mappa precedente)",
    }
    plan = make_plan(hand_made_map(), built, {}, replace_layers=["2019"])  # type: ignore[arg-type]
    layers = by_key(plan)
    # The regions with counts are published, under a name no layer of the map has.
    assert layers["regioni"].action == "create"
    assert layers["regioni"].name == "Regioni (mappa attuale)"
    assert len(layers["regioni"].built.features) == 20
    # The carried copy is the hand-made layer itself: kept, not written, not listed twice.
    assert (layers["precedente-regioni"].action, layers["precedente-regioni"].uuid) == ("carried", "uuid-regioni")
    assert [layer.name for layer in plan.left_alone] == []
    lines = plan_lines(plan)
    assert "  create     'Regioni' as 'Regioni (mappa attuale)': 20 features ('Regioni' is the name of another "\
        "layer of the map, left as it is)" in lines
    assert "  keep       'Regioni (mappa precedente)': the map's own layer 'Regioni', carried from the previous "\
        "map, left as it is" in lines
    assert not any(line.startswith("  left alone 'Regioni'") for line in lines)


def test_a_new_name_is_one_no_layer_of_the_map_has(built: list[BuiltLayer]) -> None:
    remote = hand_made_map()
    remote.layers["uuid-other"] = ({"name": "Regioni (mappa attuale)"}, [])
    plan = make_plan(remote, built, {}, replace_layers=["2019"])  # type: ignore[arg-type]
    assert by_key(plan)["regioni"].name == "Regioni (mappa attuale 2)"


def test_the_same_command_twice_writes_nothing_the_second_time(built: list[BuiltLayer]) -> None:
    remote = hand_made_map()
    first = make_plan(remote, built, {}, replace_layers=["2019"])  # type: ignore[arg-type]
    assert first.writes
    remote.publish(first)
    again = make_plan(remote, built, {}, replace_layers=["2019"])  # type: ignore[arg-type]
    assert not again.writes, plan_lines(again)
    assert {layer.action for layer in again.layers} == {"unchanged", "carried"}
    assert by_key(again)["regioni"].name == "Regioni (mappa attuale)"
    top = again.layers[-1]
    lines = plan_lines(again)
    assert (f"  --replace-layer '2019': done before: layer {top.name!r} (mapgen's key {top.built.key!r}) "
            "holds mapgen's data in its place; nothing to replace") in lines
    assert lines[-1] == "Nothing to change: the map already shows this build."


def test_a_replace_layer_name_never_on_the_map_is_still_refused(built: list[BuiltLayer]) -> None:
    remote = hand_made_map()
    remote.publish(make_plan(remote, built, {}, replace_layers=["2019"]))  # type: ignore[arg-type]
    with pytest.raises(PublishError, match=r"--replace-layer '2018': no layer of that name"):
        make_plan(remote, built, {}, replace_layers=["2018"])  # type: ignore[arg-type]


def test_a_carried_layer_mapgen_published_before_is_found_by_its_key(built: list[BuiltLayer]) -> None:
    """A layer of a map mapgen published keeps ``mapgenId``; carried again, it is that layer."""
    carried = next(layer for layer in built if layer.key == "precedente-regioni")
    keyed = dataclasses.replace(carried, settings=dict(carried.settings) | {KEY: "regioni-2019"})
    remote = MapInMemory([
        ("uuid-old", {"name": "Regioni", KEY: "regioni-2019"}, HAND_MADE_REGIONI),
        ("uuid-2019", {"name": "2019"}, LAYER_2019),
    ])
    layers = [keyed if layer is carried else layer for layer in built]
    plan = make_plan(remote, layers, {}, replace_layers=["2019"])  # type: ignore[arg-type]
    assert (by_key(plan)["precedente-regioni"].action, by_key(plan)["precedente-regioni"].uuid) == (
        "carried", "uuid-old"
    )
    assert by_key(plan)["regioni"].name == "Regioni (mappa attuale)"


def test_the_carried_layer_is_told_by_its_file_not_its_name(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """The writer names carried layers' files ``precedente-…``: the plan relies on it."""
    write_umap(factories.sample_build(), tmp_path, gazetteer=gazetteer, options=OutputOptions())
    layers, _ = read_built_layers(tmp_path)
    assert [layer.key for layer in layers if layer.name == "Progetti regionali"] == ["precedente-progetti-regionali"]


# --- the map read back ------------------------------------------------------------------------


def test_the_read_back_finds_every_layer_once_and_the_kept_layers_as_they_were(built: list[BuiltLayer]) -> None:
    remote = hand_made_map()
    plan = make_plan(remote, built, {}, replace_layers=["2019"])  # type: ignore[arg-type]
    remote.publish(plan)
    read_back = verify_published(remote, plan)  # type: ignore[arg-type]
    assert read_back.ok, read_back.lines
    assert "  ok         'Regioni (mappa attuale)': 20 features (20 MultiPolygon), once on the map" in read_back.lines
    assert "  ok         'Regioni': kept as it was (settings)" in read_back.lines
    assert read_back.lines[-1] == (
        f"The map holds the {len(built) - 1} layers mapgen publishes once each, with the features of "
        "map.umap; 1 other layer kept as it was."
    )


def test_the_read_back_reports_what_differs(built: list[BuiltLayer]) -> None:
    remote = hand_made_map()
    plan = make_plan(remote, built, {}, replace_layers=["2019"])  # type: ignore[arg-type]
    remote.publish(plan)
    regions = by_key(plan)["regioni"]
    # A second copy of the regions (as the editor's "clone" makes), one region lost, and the
    # hand-made layer renamed meanwhile.
    settings, features = remote.layers[regions.uuid]
    remote.layers["uuid-clone"] = (settings, features)
    remote.layers[regions.uuid] = (settings, features[1:])
    remote.layers["uuid-regioni"] = ({"name": "Regioni (punti)"}, HAND_MADE_REGIONI)
    read_back = verify_published(remote, plan)  # type: ignore[arg-type]
    assert not read_back.ok
    assert read_back.differences == (
        "'Regioni': its settings changed",
        "'Regioni (mappa attuale)': 2 layers carry mapgen's key 'regioni'",
        "'Regioni (mappa attuale)': 2 layers of the map have this name",
        "'Regioni (mappa attuale)': features: 1 of map.umap missing, 0 more, 0 different",
        "'Regioni (mappa attuale)': geometries 19 MultiPolygon instead of 20 MultiPolygon",
    )
    assert read_back.lines[-1] == "The map differs from map.umap: 5 differences (above)."
