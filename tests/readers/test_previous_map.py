"""Reading previous maps (previous_map.read_previous) and assigning their features to Comuni."""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapgen.errors import ConfigError, InputError, MapgenError, UnreadableFileError
from mapgen.gazetteer import Gazetteer
from mapgen.geocoders.point_in_polygon import assign_comuni
from mapgen.model import Match, MatchStatus, Outcome, Place, Source
from mapgen.readers.previous_map import (
    LayerRole,
    PreviousMapping,
    read_previous,
)

DATA = Path(__file__).parents[1] / "data" / "previous"
EXAMPLE = Path(__file__).parents[2] / "examples" / "previous_2019.umap"
GOOD_FILES = sorted(
    p for p in DATA.iterdir() if p.is_file() and p.suffix in {".geojson", ".umap", ".json"}
)
BAD_FILES = sorted((DATA / "bad").iterdir())


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def feature(geometry: Any, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def by_id(records: Any) -> dict[str, Any]:
    return {r.record_id: r for r in records}


def exact_name(gazetteer: Gazetteer) -> Any:
    """Stand-in for the geocoder: exact official name, narrowed by province sigla."""
    calls: list[Place] = []

    def resolve(place: Place) -> Match:
        calls.append(place)
        found = gazetteer.by_name(place.comune, sigla=place.provincia or None)
        if len(found) == 1:
            c = found[0]
            return Match(
                MatchStatus.EXACT,
                c.istat_code,
                c.name,
                c.sigla,
                c.region,
                c.lat,
                c.lon,
                100.0,
                "stand-in",
            )
        return Match(MatchStatus.AMBIGUOUS if found else MatchStatus.UNRESOLVED, method="stand-in")

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


# --- every input form ----------------------------------------------------------------


@pytest.mark.parametrize("path", GOOD_FILES, ids=lambda p: p.name)
def test_every_fixture_reads_and_accounts_for_every_feature(path: Path) -> None:
    previous = read_previous(path)
    previous.check_counts()
    ids = [r.record_id for r in (*previous.initiatives, *previous.problems)]
    assert len(ids) == len(set(ids))
    assert all(
        i.source.source is Source.PREVIOUS and i.source.file == path.name
        for i in previous.initiatives
    )


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.name)
def test_bad_files_fail_with_one_line_naming_the_file(path: Path) -> None:
    with pytest.raises(InputError) as info:
        read_previous(path)
    message = str(info.value)
    assert message.startswith(f"{path.name}")
    assert "\n" not in message and "Traceback" not in message


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("truncated.umap", r"^truncated\.umap: invalid JSON at line 1, column \d+ .*truncated"),
        ("topology.json", r"JSON of type 'Topology' is neither a uMap backup"),
        ("array.json", r"JSON of type 'list' is neither"),
        ("unknown_layer_type.umap", r"layer 2 \('Strano'\): unknown layer type 'Topology'"),
        ("empty.geojson", r"^empty\.geojson: the file is empty"),
        ("latin1.geojson", r"not UTF-8 text .*save it again as UTF-8"),
    ],
)
def test_bad_file_messages(name: str, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        read_previous(DATA / "bad" / name)


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match=r"^nope\.umap: file not found .*--previous"):
        read_previous(tmp_path / "nope.umap")


def test_umap_layer_geojson_keeps_name_properties_and_ids() -> None:
    previous = read_previous(DATA / "layer_umap_options.geojson")
    assert previous.format == "GeoJSON layer"
    assert previous.map_properties is None
    assert [layer.name for layer in previous.layers] == ["Iniziative 2019"]
    source = json.loads((DATA / "layer_umap_options.geojson").read_text(encoding="utf-8"))
    first = by_id(previous.initiatives)["2019-iniziative-2019-rmCpf"]
    assert first.properties == source["features"][0]["properties"]  # _umap_options included
    assert first.source.layer == "Iniziative 2019" and first.source.feature == "rmCpf"
    assert first.titolo == "Centro per le famiglie"
    assert first.descrizione.startswith("**Sportello**")  # uMap markup kept as typed
    assert first.aree == ("centri per le famiglie",)
    assert first.point == (12.471847, 41.879684)


def test_umap_backup_v36_layer_options_and_map_properties() -> None:
    previous = read_previous(DATA / "backup_v36.umap", initiative_layers=["Iniziative 2019"])
    source = json.loads((DATA / "backup_v36.umap").read_text(encoding="utf-8"))
    assert previous.format == "uMap backup (.umap)"
    assert previous.map_properties == {k: v for k, v in source.items() if k != "layers"}
    assert [(s.name, s.role) for s in previous.layers] == [
        ("Iniziative 2019", LayerRole.INITIATIVES),
        ("Statistiche", LayerRole.CARRIED),
    ]
    [carried] = previous.carried
    assert carried.name == "Statistiche" and carried.source == "backup_v36.umap"
    assert carried.geojson == source["layers"][1]  # unchanged, options included
    assert len(previous.initiatives) == 3 and previous.carried_features == 1


def test_umap_backup_v37_groups_flattened_and_selected_by_group_name() -> None:
    previous = read_previous(DATA / "backup_v37_groups.umap", initiative_layers=["Edizione 2019"])
    roles = {(s.group, s.name): s.role for s in previous.layers}
    assert roles == {
        ("Edizione 2019", "Nord"): LayerRole.INITIATIVES,
        ("Edizione 2019", "Sud"): LayerRole.INITIATIVES,
        ("", "Progetti regionali"): LayerRole.CARRIED,
        ("", "Vecchio layer"): LayerRole.CARRIED,  # options under the legacy _storage key
    }
    assert sorted(i.record_id for i in previous.initiatives) == [
        "2019-nord-ao001",
        "2019-nord-to001",
        "2019-sud-ca001",
        "2019-sud-pa001",
    ]
    assert (
        previous.layers[0].describe().render("it")
        == "«Edizione 2019 / Nord»: letto come iniziative (2 di 2 elementi)."
    )
    assert (
        previous.layers[2].describe().render("it")
        == "«Progetti regionali»: riportato senza modifiche (1 elemento)."
    )


def test_layer_names_match_case_and_accents_insensitively() -> None:
    previous = read_previous(
        DATA / "backup_v37_groups.umap", initiative_layers=["NORD", "vecchio LAYER"]
    )
    assert {s.name for s in previous.layers if s.role is LayerRole.INITIATIVES} == {
        "Nord",
        "Vecchio layer",
    }


def test_without_layer_names_every_layer_holds_initiatives() -> None:
    previous = read_previous(DATA / "backup_v37_groups.umap")
    assert all(s.role is LayerRole.INITIATIVES for s in previous.layers)
    assert previous.carried == ()


def test_unknown_layer_name_lists_the_layers() -> None:
    with pytest.raises(
        InputError, match=r"no layer is called 'Iniziative'.*'Nord', 'Sud', 'Progetti regionali'"
    ):
        read_previous(DATA / "backup_v37_groups.umap", initiative_layers=["Iniziative"])


def test_one_layer_file_is_initiatives_whatever_the_names() -> None:
    previous = read_previous(DATA / "layer_umap_options.geojson", initiative_layers=["Altro nome"])
    assert previous.layers[0].role is LayerRole.INITIATIVES


def test_single_feature_and_plain_geojson() -> None:
    single = read_previous(DATA / "single_feature.geojson")
    assert (
        single.format == "GeoJSON feature"
        and single.initiatives[0].titolo == "Spazio gioco 0-3 anni"
    )
    plain = read_previous(DATA / "plain_qgis.geojson")
    assert plain.layers[0].name == "pratiche_2019"  # GDAL's "name" member
    assert [i.record_id for i in plain.initiatives] == [
        "2019-pratiche-2019-1",
        "2019-pratiche-2019-2",
    ]


@pytest.fixture
def geopackage(tmp_path: Path) -> Path:
    """Initiatives in UTM 32N with a null geometry, statistics in WGS84, an attribute table."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    import shapely

    path = tmp_path / "iniziative_2019.gpkg"
    initiatives = gpd.GeoDataFrame(
        {
            "Titolo": ["Doposcuola", "Ludoteca", "Senza luogo"],
            "Comune": ["Milano", "Torino", "Castro"],
            "Provincia": ["MI", "TO", "LE"],
            "Data inizio": pd.to_datetime(["2019-03-01", None, None]),
        },
        geometry=[shapely.Point(513543.8, 5034254.1), shapely.Point(396680.6, 4991962.4), None],
        crs="EPSG:32632",
    )
    stats = gpd.GeoDataFrame(
        {"name": ["Roma"], "bambini": [48211]},
        geometry=[shapely.box(12.4, 41.8, 12.6, 42.0)],
        crs="EPSG:4326",
    )
    initiatives.to_file(path, layer="iniziative", engine="pyogrio")
    stats.to_file(path, layer="statistiche", engine="pyogrio")
    pyogrio.write_dataframe(pd.DataFrame({"nota": ["solo attributi"]}), path, layer="tabella")
    return path


def test_geopackage_every_layer_reprojected(geopackage: Path) -> None:
    previous = read_previous(geopackage, initiative_layers=["iniziative"])
    previous.check_counts()
    assert previous.format == "GeoPackage"
    assert [(s.name, s.role) for s in previous.layers] == [
        ("iniziative", LayerRole.INITIATIVES),
        ("statistiche", LayerRole.CARRIED),
        ("tabella", LayerRole.CARRIED),
    ]
    milano, torino, castro = previous.initiatives
    assert milano.record_id == "2019-iniziative-1"  # GeoPackage fid
    assert milano.point == pytest.approx((9.173239, 45.461682), abs=1e-5)
    assert torino.point == pytest.approx((7.687414, 45.073581), abs=1e-5)
    assert milano.data_inizio is not None and milano.data_inizio.isoformat() == "2019-03-01"
    assert castro.point is None and castro.place == Place("Castro", "LE")
    assert previous.carried[0].geojson["type"] == "FeatureCollection"


# --- geometry faults -----------------------------------------------------------------


@pytest.fixture(scope="module")
def faults() -> Any:
    return read_previous(DATA / "layer_umap_options.geojson")


def note_for(previous: Any, record_id: str) -> str:
    return " ".join(n.reason for n in previous.notes if n.record_id == record_id)


def test_swapped_coordinates_fixed_and_reported(faults: Any) -> None:
    record = by_id(faults.initiatives)["2019-iniziative-2019-miSwp"]
    assert record.point == (9.173239, 45.461682)
    assert note_for(faults, record.record_id).startswith(
        "Longitudine e latitudine invertite (45.4617, 9.17324)"
    )


def test_point_outside_italy_rejected_but_named_comune_kept(faults: Any) -> None:
    record = by_id(faults.initiatives)["2019-iniziative-2019-wien1"]
    assert record.point is None and record.place == Place("Bolzano", "BZ")
    assert note_for(faults, record.record_id) == (
        "Punto fuori dall'Italia (16.3738, 48.2082). Il Comune sarà cercato per nome ('Bolzano')."
    )


@pytest.mark.parametrize(
    ("record_id", "reason"),
    [
        ("2019-iniziative-2019-nullC", "Geometria assente (null)."),
        (
            "2019-iniziative-2019-nanRm",
            "Coordinate non numeriche, NaN o incomplete: [nan, 41.879684].",
        ),
    ],
)
def test_null_and_nan_geometry_reported(faults: Any, record_id: str, reason: str) -> None:
    assert by_id(faults.initiatives)[record_id].point is None
    assert note_for(faults, record_id).startswith(reason)


def test_no_geometry_and_no_comune_is_a_problem(faults: Any) -> None:
    [problem] = faults.problems
    assert problem.record_id == "2019-iniziative-2019-lost1"
    assert problem.outcome is Outcome.UNRESOLVED
    assert problem.titolo == "Iniziativa senza luogo"
    assert problem.reason.startswith("Geometria assente (null). Nessun Comune indicato")
    assert "coordinate" in problem.fix


def test_projected_with_crs_member_is_reprojected() -> None:
    previous = read_previous(DATA / "projected_crs_32632.geojson")
    assert [i.point for i in previous.initiatives] == [
        pytest.approx((9.173239, 45.461682), abs=1e-5),
        pytest.approx((7.687414, 45.073581), abs=1e-5),
    ]
    assert "riproiettate in WGS84" in previous.layers[0].notes[0]
    assert previous.notes == ()


def test_projected_without_crs_is_rejected_with_the_fix() -> None:
    previous = read_previous(DATA / "projected_no_crs.geojson")
    [record] = previous.initiatives
    assert record.point is None and record.place.comune == "Milano"
    [problem] = previous.problems
    assert problem.reason.startswith("Coordinate proiettate (in metri?) (396681, 4.99196e+06)")
    assert "EPSG:4326" in problem.fix and "crs" in problem.fix


def test_crs_option_reprojects_files_without_crs() -> None:
    previous = read_previous(DATA / "projected_no_crs.geojson", crs="EPSG:32632")
    assert previous.problems == ()
    assert previous.initiatives[1].point == pytest.approx((7.687414, 45.073581), abs=1e-5)


def test_crs_option_leaves_degree_coordinates_alone() -> None:
    previous = read_previous(DATA / "layer_umap_options.geojson", crs="EPSG:32632")
    assert by_id(previous.initiatives)["2019-iniziative-2019-rmCpf"].point == (12.471847, 41.879684)


def test_unknown_crs_is_an_input_error(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "x.geojson",
        {
            "type": "FeatureCollection",
            "features": [],
            "crs": {"type": "name", "properties": {"name": "EPSG:nonsense"}},
        },
    )
    with pytest.raises(
        InputError, match=r"^x\.geojson, layer 'x': unknown coordinate reference system"
    ):
        read_previous(path)


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        ({"type": "Point", "coordinates": []}, "Geometria vuota (nessuna coordinata)."),
        (
            {"type": "Circle", "coordinates": [12, 41]},
            "Tipo di geometria non riconosciuto: 'Circle'.",
        ),
        (
            {"type": "Point", "coordinates": ["12", "41"]},
            "Coordinate non numeriche, NaN o incomplete: ['12', '41'].",
        ),
        (
            {"type": "Point", "coordinates": [12.5]},
            "Coordinate non numeriche, NaN o incomplete: [12.5].",
        ),
        (
            {"type": "Point", "coordinates": [151.2, -33.9]},
            "Punto fuori dall'Italia (151.2, -33.9).",
        ),
        ("POINT(12 41)", "Tipo di geometria non riconosciuto: 'str'."),
    ],
)
def test_unusable_geometries(tmp_path: Path, geometry: Any, reason: str) -> None:
    path = write_json(
        tmp_path / "g.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(geometry, name="Con Comune", comune="Roma"),
                feature(geometry, name="Senza Comune"),
            ],
        },
    )
    previous = read_previous(path)
    assert previous.initiatives[0].point is None
    assert previous.notes[0].reason == f"{reason} Il Comune sarà cercato per nome ('Roma')."
    assert previous.problems[0].reason.startswith(reason)


def test_lines_and_polygons_get_a_point_on_them_and_keep_their_geometry() -> None:
    import shapely.geometry

    previous = read_previous(DATA / "backup_v36.umap", initiative_layers=["Iniziative 2019"])
    source = json.loads((DATA / "backup_v36.umap").read_text(encoding="utf-8"))["layers"][0][
        "features"
    ]
    for record, original in zip(previous.initiatives[1:], source[1:], strict=True):
        shape = shapely.geometry.shape(original["geometry"])
        assert record.point is not None
        assert shape.distance(shapely.geometry.Point(record.point)) < 1e-9
        assert previous.geometries[record.record_id] == original["geometry"]
    assert previous.initiatives[0].record_id not in previous.geometries


def test_entries_that_are_not_features_are_excluded(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "x.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(point(12.47, 41.88), name="Buona"),
                42,
                {"type": "Foo"},
                {"geometry": None},
            ],
        },
    )
    previous = read_previous(path)
    previous.check_counts()
    assert [p.outcome for p in previous.problems] == [Outcome.EXCLUDED] * 3
    assert previous.problems[0].reason == "L'elemento non è una Feature GeoJSON (tipo 'int')."


def test_feature_ids_unique_ids_else_position(tmp_path: Path) -> None:
    features = [feature(point(12.47, 41.88), name=str(n)) for n in range(5)]
    for f, fid in zip(features, ["dup", "dup", 5, "3", True], strict=True):
        f["id"] = fid
    path = write_json(tmp_path / "ids.geojson", {"type": "FeatureCollection", "features": features})
    keys = [i.source.feature for i in read_previous(path).initiatives]
    assert keys == ["1", "2", "5", "3", "5-5"]  # duplicates and booleans fall back to the position


def test_same_layer_names_get_distinct_record_ids(tmp_path: Path) -> None:
    layer = {
        "type": "FeatureCollection",
        "_umap_options": {"name": "Layer"},
        "features": [feature(point(12.47, 41.88), name="x")],
    }
    path = write_json(
        tmp_path / "x.umap", {"type": "umap", "properties": {}, "layers": [layer, layer]}
    )
    assert [i.record_id for i in read_previous(path).initiatives] == [
        "2019-layer-1",
        "2019-layer-2-1",
    ]


def test_untitled_feature_takes_the_description_first_line(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "t.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(
                    point(12.47, 41.88), description="## **Nidi** gratis\naltro", comune="Roma"
                ),
                feature(point(12.47, 41.88), comune="Roma"),
            ],
        },
    )
    previous = read_previous(path)
    assert [i.titolo for i in previous.initiatives] == ["Nidi gratis", "Senza titolo (t, 2)"]
    assert len([n for n in previous.notes if n.reason.startswith("Titolo mancante")]) == 2


def test_a_description_too_costly_to_format_is_named_in_the_notes(tmp_path: Path) -> None:
    """Issue 29: the report says which descriptions of the old map are shown as typed."""
    path = write_json(
        tmp_path / "t.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(point(12.47, 41.88), name="Nido", comune="Roma", description="{a}" * 2_000, a="x" * 1_000),
                feature(point(12.47, 41.88), name="Ludoteca", comune="Roma", description="**Aperta** {a}", a="9-13"),
            ],
        },
    )
    previous = read_previous(path)
    first, second = (i.record_id for i in previous.initiatives)
    assert note_for(previous, first).startswith("Descrizione mostrata come scritta")
    assert note_for(previous, second) == ""


# --- property mapping ----------------------------------------------------------------


def test_guessed_gis_column_names_and_value_parsing() -> None:
    first, second = read_previous(DATA / "plain_qgis.geojson").initiatives
    assert first.place == Place("Bergamo", "BG")
    assert (first.aree, first.aree_altro) == (("infanzia", "natalità"), "sport")
    assert first.fonti == ("comunale",)
    assert first.importo == 12500.5 and second.importo == 8000.0
    assert first.data_inizio is not None and first.data_inizio.isoformat() == "2019-03-01"
    assert first.data_fine is not None and first.data_fine.isoformat() == "2019-12-31"
    assert first.sito_web == "https://www.example.org/bergamo"
    assert first.properties["NOTE"] is None and first.properties["fid"] == 1  # every property kept
    assert second.point == (11.34387, 46.487629)  # one-position MultiPoint


def test_explicit_mapping_wins_over_guesses() -> None:
    mapping = PreviousMapping(edition=2018, properties={"titolo": "NOTE", "Descrizione": "TITOLO"})
    first, second = read_previous(DATA / "plain_qgis.geojson", mapping=mapping).initiatives
    assert first.record_id == "2018-pratiche-2019-1" and first.edition == 2018
    assert second.titolo == "linea bilingue" and second.descrizione == "Trasporto scolastico"
    assert (
        first.titolo == "Nidi gratis"
    )  # NOTE is null: the first line of the description stands in


def test_explicit_edition_wins_over_mapping() -> None:
    previous = read_previous(
        DATA / "single_feature.geojson", mapping=PreviousMapping(edition=2018), edition=2017
    )
    assert previous.edition == 2017 and previous.initiatives[0].record_id.startswith("2017-")


def test_mapping_initiative_layers_used_when_no_names_given() -> None:
    mapping = PreviousMapping(initiative_layers=("Sud",))
    previous = read_previous(DATA / "backup_v37_groups.umap", mapping=mapping)
    assert {s.name for s in previous.layers if s.role is LayerRole.INITIATIVES} == {"Sud"}
    previous = read_previous(
        DATA / "backup_v37_groups.umap", mapping=mapping, initiative_layers=["Nord"]
    )
    assert {s.name for s in previous.layers if s.role is LayerRole.INITIATIVES} == {"Nord"}


def test_mapping_with_unknown_canonical_field() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown field 'Colore'; valid fields are Titolo, Descrizione"
    ):
        read_previous(
            DATA / "single_feature.geojson", mapping=PreviousMapping(properties={"Colore": "x"})
        )


def test_mapping_naming_a_missing_property_lists_the_ones_found() -> None:
    with pytest.raises(
        InputError,
        match=r"names 'nome_progetto', but no feature .*found: comune, provincia, titolo\)",
    ):
        read_previous(
            DATA / "single_feature.geojson",
            mapping=PreviousMapping(properties={"Titolo": "nome_progetto"}),
        )


def test_layer_summary_reports_the_properties_used(tmp_path: Path) -> None:
    path = write_json(
        tmp_path / "mixed.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(point(12.47, 41.88), name="A", comune="Roma"),
                feature(point(12.47, 41.88), titolo="B"),
            ],
        },
    )
    previous = read_previous(path)
    assert [i.titolo for i in previous.initiatives] == ["A", "B"]
    assert previous.layers[0].properties["Titolo"] == "name, titolo"


# --- spatial assignment (real boundaries) ----------------------------------------------


def test_points_in_polygons_and_cross_check(faults: Any, gazetteer: Gazetteer) -> None:
    records = by_id(faults.initiatives)
    matches = dict(
        zip(by_id(faults.initiatives), assign_comuni(faults.initiatives, gazetteer), strict=True)
    )
    roma = matches["2019-iniziative-2019-rmCpf"]
    assert (roma.status, roma.istat_code, roma.method, roma.score) == (
        MatchStatus.SPATIAL,
        "058091",
        "point-in-polygon",
        100.0,
    )
    assert roma.raw["check"] == "agree" and roma.hint == ""
    assert (roma.lat, roma.lon) == (gazetteer.comuni["058091"].lat, gazetteer.comuni["058091"].lon)
    swapped = matches["2019-iniziative-2019-miSwp"]
    assert swapped.istat_code == "015146"
    disagree = matches["2019-iniziative-2019-fiNap"]
    assert disagree.istat_code == "048017" and disagree.raw["check"] == "disagree"
    assert disagree.raw["named_istat_codes"] == ["063049"]
    assert disagree.hint.startswith(
        "Il punto cade nel Comune di Firenze (FI), ma la proprietà indica 'Napoli' (Napoli (NA), a "
    )
    assert records["2019-iniziative-2019-fiNap"].place.comune == "Napoli"


def test_features_without_point_resolved_by_name(faults: Any, gazetteer: Gazetteer) -> None:
    resolve = exact_name(gazetteer)
    matches = dict(
        zip(
            by_id(faults.initiatives),
            assign_comuni(faults.initiatives, gazetteer, resolve_name=resolve),
            strict=True,
        )
    )
    castro = matches["2019-iniziative-2019-nullC"]
    assert (castro.status, castro.istat_code, castro.method) == (
        MatchStatus.EXACT,
        "075096",
        "stand-in",
    )
    assert castro.hint == "Nessuna geometria utilizzabile: assegnato per nome del Comune."
    assert matches["2019-iniziative-2019-wien1"].istat_code == "021008"
    assert Place("Castro", "LE") in resolve.calls


def test_a_resolver_that_is_an_empty_cache_is_still_the_one_used(faults: Any, gazetteer: Gazetteer) -> None:
    """A cache of places starts empty, and an empty dict is false: ``resolve_name or ...`` put another
    resolver in its place without a word (found when the build's place cache became a dict)."""
    resolve = exact_name(gazetteer)

    class EmptyCache(dict[Place, Match]):
        def __call__(self, place: Place) -> Match:
            return resolve(place)  # type: ignore[no-any-return]

    matches = assign_comuni(faults.initiatives, gazetteer, resolve_name=EmptyCache())
    assert Place("Castro", "LE") in resolve.calls
    assert "stand-in" in {m.method for m in matches}


def test_builtin_name_lookup_when_no_geocoder(faults: Any, gazetteer: Gazetteer) -> None:
    matches = assign_comuni(faults.initiatives, gazetteer)
    assert all(m.status.resolved for m in matches)
    assert {m.method for m in matches} == {"point-in-polygon", "name-exact"}


def test_ambiguous_name_without_point_stays_ambiguous(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = write_json(
        tmp_path / "a.geojson",
        {"type": "FeatureCollection", "features": [feature(None, name="X", comune="Castro")]},
    )
    [match] = assign_comuni(read_previous(path).initiatives, gazetteer)
    assert match.status is MatchStatus.AMBIGUOUS
    assert {c.istat_code for c in match.candidates} == {"016065", "075096"}
    assert match.hint.startswith("Nessuna geometria utilizzabile e il nome del Comune non basta.")


def _off_coast(gazetteer: Gazetteer, code: str, metres: float) -> tuple[float, float]:
    """A point ``metres`` outside Comune ``code`` and in no Comune (on the real boundaries)."""
    import pyproj

    boundaries = gazetteer.boundaries().to_crs("EPSG:6875")
    shape = boundaries.set_index("istat_code").geometry[code]
    ring = shape.buffer(metres).exterior
    to_lonlat = pyproj.Transformer.from_crs("EPSG:6875", "EPSG:4326", always_xy=True)
    for step in range(180):
        candidate = ring.interpolate(step / 180, normalized=True)
        near = boundaries.iloc[boundaries.sindex.query(candidate.buffer(metres * 3))]
        if not near.contains(candidate).any() and all(
            row.istat_code == code or row.geometry.distance(candidate) > metres * 2
            for row in near.itertuples()
        ):
            return to_lonlat.transform(candidate.x, candidate.y)
    raise AssertionError(f"no off-coast point found near {code}")


def test_point_just_off_the_coast_goes_to_the_nearest_comune(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    lon, lat = _off_coast(gazetteer, "075096", 500)  # Castro (LE), on the Adriatic
    path = write_json(
        tmp_path / "c.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(point(lon, lat), name="Spiaggia", comune="Castro", provincia="LE"),
                feature(point(lon, lat), name="Senza nome"),
            ],
        },
    )
    records = read_previous(path).initiatives
    named, unnamed = assign_comuni(records, gazetteer)
    assert (named.status, named.istat_code, named.method) == (
        MatchStatus.SPATIAL,
        "075096",
        "nearest",
    )
    assert named.raw["distance_m"] == pytest.approx(500, abs=30) and named.raw["check"] == "agree"
    assert 50 < named.score < 100
    assert unnamed.istat_code == "075096" and unnamed.raw["check"] == "no_name"
    far = assign_comuni(records, gazetteer, max_distance_m=100)
    assert far[0].method == "name-exact" and far[0].istat_code == "075096"
    assert (
        far[0].hint.startswith("Il punto (")
        and "non cade in nessun Comune né entro 100 m" in far[0].hint
    )
    assert far[1].status is MatchStatus.UNRESOLVED and far[1].hint.endswith(
        "e nessun Comune indicato."
    )


def test_point_far_out_at_sea_is_not_assigned_spatially(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    path = write_json(
        tmp_path / "s.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(point(17.5, 42.0), name="Adriatico", comune="Bari"),
            ],
        },
    )
    [match] = assign_comuni(
        read_previous(path).initiatives, gazetteer, resolve_name=exact_name(gazetteer)
    )
    assert (
        match.istat_code == "072006"
        and match.method == "stand-in"
        and match.raw["check"] == "by_name"
    )


def test_name_unknown_to_the_gazetteer_is_reported_but_point_decides(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    path = write_json(
        tmp_path / "u.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(point(12.471847, 41.879684), name="X", comune="Roma Capitale e dintorni"),
                feature(point(11.34387, 46.487629), name="Y", comune="Bolzano - Bozen"),
            ],
        },
    )
    unknown, bilingual = assign_comuni(read_previous(path).initiatives, gazetteer)
    assert unknown.istat_code == "058091" and unknown.raw["check"] == "name_unknown"
    assert "'Roma Capitale e dintorni' non corrisponde a nessun Comune" in unknown.hint
    assert bilingual.raw["check"] == "agree"


def test_empty_input(gazetteer: Gazetteer) -> None:
    assert assign_comuni([], gazetteer) == []


# --- spatial assignment (synthetic boundaries) -----------------------------------------


class BoxGazetteer(Gazetteer):
    """The real Comuni with square boundaries, to test overlaps and distances exactly."""

    boxes: ClassVar[dict[str, tuple[float, float, float, float]]] = {}

    def shapes(self, kind: str) -> Any:
        import shapely

        assert kind == "comuni"  # what point in polygon reads
        return {code: shapely.box(*b) for code, b in self.boxes.items()}


@pytest.fixture
def boxes(gazetteer: Gazetteer) -> BoxGazetteer:
    fake = BoxGazetteer(
        path=gazetteer.path,
        comuni=gazetteer.comuni,
        names=gazetteer.names,
        provinces=gazetteer.provinces,
        regions=gazetteer.regions,
    )
    # Castro (18.4258, 40.0092) in a small box; Lecce's box overlaps it on purpose.
    fake.boxes = {"075096": (18.40, 39.99, 18.45, 40.03), "075035": (18.20, 39.98, 18.44, 40.42)}
    return fake


def test_overlapping_polygons_prefer_the_named_comune_else_the_nearest_point(
    tmp_path: Path, boxes: BoxGazetteer
) -> None:
    path = write_json(
        tmp_path / "o.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(point(18.43, 40.01), name="A", comune="Lecce"),
                feature(point(18.43, 40.01), name="B"),
                feature(point(18.43, 40.01), name="C", comune="Castro", provincia="LE"),
            ],
        },
    )
    named_lecce, unnamed, named_castro = assign_comuni(read_previous(path).initiatives, boxes)
    assert named_lecce.istat_code == "075035" and named_lecce.raw["check"] == "agree"
    assert named_lecce.raw["polygons"] == ["075035", "075096"]
    assert unnamed.istat_code == "075096"  # Castro's gazetteer point is nearer
    assert named_castro.istat_code == "075096"


def test_nearest_distance_in_metres(tmp_path: Path, boxes: BoxGazetteer) -> None:
    # 0.0117 degrees of longitude at 40°N is about 1000 m east of Castro's box.
    lon = 18.45 + 1000 / (111_320 * math.cos(math.radians(40.01)))
    path = write_json(
        tmp_path / "n.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                feature(point(lon, 40.01), name="A"),
                feature(point(lon + 0.02, 40.01), name="B"),
            ],
        },
    )
    near, far = assign_comuni(read_previous(path).initiatives, boxes)
    assert near.method == "nearest" and near.istat_code == "075096"
    assert near.raw["distance_m"] == pytest.approx(1000, rel=0.01)
    assert near.score == pytest.approx(75, abs=0.5)
    assert far.status is MatchStatus.UNRESOLVED


# --- the bundled example -----------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Any:
    return read_previous(EXAMPLE, initiative_layers=["Iniziative 2019"])


def test_example_counts_and_layers(example: Any) -> None:
    example.check_counts()
    assert [(s.name, s.role, s.features) for s in example.layers][1:] == [
        ("Progetti regionali", LayerRole.CARRIED, 20)
    ]
    assert example.layers[0].features > 640 and len(example.problems) == 1
    assert example.map_properties is not None and example.map_properties["type"] == "umap"


def test_example_planted_faults_are_found(example: Any) -> None:
    reasons = Counter(n.reason.split(" (")[0].split(".")[0] for n in example.notes)
    assert reasons == {
        "Longitudine e latitudine invertite": 2,
        "Punto fuori dall'Italia": 1,
        "Geometria assente": 1,
        "Geometria vuota": 1,
    }
    assert (
        sum(1 for i in example.initiatives if i.record_id in example.geometries) == 1
    )  # the Polygon


def test_example_covers_600_comuni_with_one_disagreement(
    example: Any, gazetteer: Gazetteer
) -> None:
    matches = assign_comuni(example.initiatives, gazetteer)
    assert all(m.status.resolved for m in matches)
    assert len({m.istat_code for m in matches}) >= 600
    checks = Counter(m.raw["check"] for m in matches)
    assert checks == {"disagree": 1, "by_name": 3, "agree": len(matches) - 4}


# --- nothing lost (hypothesis) -----------------------------------------------------------

_ITALY = [
    (12.471847, 41.879684),
    (9.173239, 45.461682),
    (18.425781, 40.009236),
    (13.310866, 38.137185),
]
_GEOMETRIES = st.one_of(
    st.sampled_from(_ITALY).map(lambda p: point(*p)),
    st.sampled_from(_ITALY).map(lambda p: point(p[1], p[0])),  # swapped
    st.just(point(2.35, 48.85)),  # Paris
    st.just(point(513543.8, 5034254.1)),  # metres
    st.just(point(math.nan, 41.0)),
    st.just({"type": "Point", "coordinates": []}),
    st.just({"type": "LineString", "coordinates": [[12.4, 41.8], [12.5, 41.9]]}),
    st.just({"type": "MultiPoint", "coordinates": [[12.4, 41.8], [20.0, 50.0]]}),
    st.just({"type": "GeometryCollection", "geometries": [point(12.4, 41.8)]}),
    st.just({"type": "Circle"}),
    st.none(),
    st.integers(),
)
_TEXT = st.text(max_size=12)
_PROPERTIES = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "name": _TEXT,
            "comune": st.sampled_from(["Roma", "Castro", "", "Xyz"]),
            "provincia": st.sampled_from(["LE", "BG", ""]),
            "description": _TEXT,
            "area": _TEXT,
            "importo": st.one_of(_TEXT, st.floats()),
            "_umap_options": st.just({"color": "Red"}),
        },
    ),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
_ENTRIES = st.one_of(
    st.builds(
        lambda g, p, i: {"type": "Feature", "geometry": g, "properties": p, **i},
        _GEOMETRIES,
        _PROPERTIES,
        st.one_of(
            st.just({}),
            st.fixed_dictionaries(
                {"id": st.one_of(st.sampled_from(["a", "b", ""]), st.integers(0, 3), st.booleans())}
            ),
        ),
    ),
    st.sampled_from([42, "x", None, {"type": "Foo"}, {"geometry": None}]),
)
_LAYERS = st.lists(
    st.tuples(
        st.sampled_from(["Iniziative", "Altro", "iniziative", "Layer 1"]),
        st.lists(_ENTRIES, max_size=8),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layers=_LAYERS,
    wanted=st.lists(st.sampled_from(["Iniziative", "Altro"]), max_size=2),
    as_umap=st.booleans(),
)
def test_nothing_is_lost(
    layers: list[tuple[str, list[Any]]], wanted: list[str], as_umap: bool
) -> None:
    collections = [
        {"type": "FeatureCollection", "_umap_options": {"name": name}, "features": entries}
        for name, entries in layers
    ]
    data: Any = (
        {"type": "umap", "properties": {}, "layers": collections} if as_umap else collections[0]
    )
    with tempfile.TemporaryDirectory() as folder:
        path = write_json(Path(folder) / ("x.umap" if as_umap else "x.geojson"), data)
        try:
            previous = read_previous(path, initiative_layers=wanted)
        except InputError as exc:  # only a layer name matching no layer may stop the run
            assert "no layer is called" in str(exc)
            return
    previous.check_counts()
    read = collections if as_umap else collections[:1]
    assert previous.features == sum(len(c["features"]) for c in read)
    ids = [r.record_id for r in (*previous.initiatives, *previous.problems)]
    assert len(ids) == len(set(ids))
    for record in previous.initiatives:
        assert record.point is None or (
            6 <= record.point[0] <= 19 and 35 <= record.point[1] <= 47.5
        )
        assert record.point is not None or record.place.comune


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(_ENTRIES, max_size=10))
def test_every_initiative_gets_one_match(entries: list[Any]) -> None:
    from mapgen.gazetteer import load_gazetteer

    with tempfile.TemporaryDirectory() as folder:
        path = write_json(
            Path(folder) / "x.geojson", {"type": "FeatureCollection", "features": entries}
        )
        previous = read_previous(path)
    matches = assign_comuni(previous.initiatives, load_gazetteer())
    assert len(matches) == len(previous.initiatives)
    for record, match in zip(previous.initiatives, matches, strict=True):
        if record.point is not None:
            assert (
                match.status is MatchStatus.SPATIAL
                or match.raw.get("check") == "by_name"
                or (match.status is MatchStatus.UNRESOLVED)
            )


def test_errors_derive_from_mapgen_error() -> None:
    assert issubclass(UnreadableFileError, InputError) and issubclass(InputError, MapgenError)


def test_record_ids_stay_unique_across_layers_with_the_same_name(tmp_path: Path) -> None:
    # Found by hypothesis: layer "Iniziative" (id 2, then a position-2 entry) and a second layer
    # "Iniziative" (slug iniziative-2) both produced "2019-iniziative-2-2".
    point = {"type": "Point", "coordinates": [12.471847, 41.879684]}
    layers = [
        {"type": "FeatureCollection", "_umap_options": {"name": "Iniziative"},
         "features": [{"type": "Feature", "id": 2, "geometry": point, "properties": {"name": "a"}}, 42]},
        {"type": "FeatureCollection", "_umap_options": {"name": "Iniziative"},
         "features": [{"type": "Feature", "geometry": point, "properties": {"name": "b"}}, 42]},
    ]
    path = write_json(tmp_path / "x.umap", {"type": "umap", "properties": {}, "layers": layers})
    previous = read_previous(path)
    ids = [r.record_id for r in (*previous.initiatives, *previous.problems)]
    assert len(ids) == 4 and len(set(ids)) == 4


# --- issue 20: GeoPackages that gave a traceback ------------------------------------------


def _small_geopackage(path: Path, crs: str) -> Path:
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame({"name": ["Nido", "Ludoteca"], "comune": ["Roma", "Lecce"]},
                             geometry=[shapely.Point(12.5, 41.9), shapely.Point(18.17, 40.35)], crs=crs)
    frame.to_file(path, layer="iniziative", engine="pyogrio")
    return path


def test_geopackage_text_that_is_not_utf8_is_read_as_windows_1252(tmp_path: Path) -> None:
    """QGIS on Windows can leave Windows-1252 bytes in a text column (pyogrio used to raise)."""
    import sqlite3

    path = _small_geopackage(tmp_path / "mappa.gpkg", "EPSG:4326")
    with sqlite3.connect(path) as db:  # the rtree triggers need SpatiaLite functions: dropped
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute(f'DROP TRIGGER "{trigger}"')
        db.execute("UPDATE iniziative SET name = CAST(X'4E69646F2070697520E8' AS TEXT) WHERE fid = 1")
    previous = read_previous(path)
    assert [i.titolo for i in previous.initiatives] == ["Nido piu è", "Ludoteca"]


def test_geopackage_in_a_local_crs_is_one_error(tmp_path: Path) -> None:
    local = ('ENGCRS["Griglia del cantiere",EDATUM["Cantiere"],CS[Cartesian,2],'
             'AXIS["x",east,LENGTHUNIT["metre",1]],AXIS["y",north,LENGTHUNIT["metre",1]]]')
    path = _small_geopackage(tmp_path / "mappa.gpkg", local)
    with pytest.raises(InputError, match=r"^mappa\.gpkg, layer 'iniziative': its coordinate reference system "
                       r"'Griglia del cantiere' is a local \(engineering\) grid .* Reproject the layer in QGIS"):
        read_previous(path)


def test_geojson_with_a_local_crs_is_one_error(tmp_path: Path) -> None:
    local = {"type": "name", "properties": {"name": 'LOCAL_CS["Cantiere",UNIT["metre",1]]'}}
    path = write_json(tmp_path / "mappa.geojson", {"type": "FeatureCollection", "crs": local,
                                                   "features": [feature({"type": "Point", "coordinates": [5e5, 5e6]},
                                                                        name="Nido", comune="Roma")]})
    with pytest.raises(MapgenError) as raised:
        read_previous(path)
    assert "\n" not in str(raised.value) and str(raised.value).startswith("mappa.geojson")


@pytest.mark.parametrize("geometry", [
    {"type": "Point", "coordinates": [[[[12.5, 41.9]]]]},
    {"type": "Polygon", "coordinates": [12.5, 41.9]},
    {"type": "LineString", "coordinates": [[[12.5, 41.9], [12.6, 41.9]]]},
])
def test_coordinates_nested_wrongly_for_their_type_are_noted(geometry: Any, tmp_path: Path) -> None:
    """Found by the fuzzer (issue 20): a Point with nested coordinates raised ValueError."""
    path = write_json(tmp_path / "mappa.geojson", {"type": "FeatureCollection",
                                                   "features": [feature(geometry, name="Nido", comune="Roma")]})
    previous = read_previous(path)
    assert "Coordinate annidate male per un" in previous.notes[0].reason
    assert [i.titolo for i in previous.initiatives] == ["Nido"]  # placed by its Comune's name instead


@pytest.mark.parametrize("crs", [{"type": "name", "properties": ["EPSG:32632"]}, {"type": "name", "properties": 7},
                                 {"type": "name", "properties": {"name": ["x"]}}])
def test_a_malformed_crs_member_is_no_traceback(crs: Any, tmp_path: Path) -> None:
    path = write_json(tmp_path / "mappa.geojson", {"type": "FeatureCollection", "crs": crs, "features": [
        feature({"type": "Point", "coordinates": [12.5, 41.9]}, name="Nido", comune="Roma")]})
    try:
        read_previous(path)
    except MapgenError as exc:
        assert "\n" not in str(exc)
