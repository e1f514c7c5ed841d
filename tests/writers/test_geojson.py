"""initiatives.geojson without GDAL (mapgen.writers._geojson) against GDAL's own GeoJSON driver.

GDAL (through pyogrio, the writer used before) is the reference: the same layer is written
both ways and the files must be the same bytes. Random layers cover what real inputs may hold
(control characters, NULs, quotes, any script, any float, dates, nulls) and coordinates over
the whole globe; the sample build covers the real initiatives layer.
"""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyogrio.raw import write as gdal_write

from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, OutputOptions
from mapgen.writers import gis
from mapgen.writers._geojson import coordinate_text, real_text, write_points

KINDS = ("str", "float", "int", "bool", "date")


def write_with_gdal(path: Path, schema: list[tuple[str, str]], columns: list[list[Any]],
                    points: list[tuple[float, float]]) -> bytes:
    """The layer written by GDAL as mapgen wrote it before (gis._field_array, the same options)."""
    fields, masks = zip(*(gis._field_array(kind, gis._values(kind, values))  # type: ignore[arg-type]
                          for (_, kind), values in zip(schema, columns, strict=True)), strict=True)
    wkb = shapely.to_wkb(np.array(shapely.points(points) if points else [], dtype=object), output_dimension=2)
    with warnings.catch_warnings():  # pyogrio: "NaN of Infinity value found. Skipped." (raised from C if an error)
        warnings.filterwarnings("ignore", "NaN of Infinity", RuntimeWarning)
        gdal_write(path, wkb, list(fields), [name for name, _ in schema], field_mask=list(masks), layer="initiatives",
                   driver="GeoJSON", geometry_type="Point", crs="EPSG:4326", dataset_options={},
                   layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": "6", "WRITE_NAME": "NO"})
    return path.read_bytes()


def write_without_gdal(path: Path, schema: list[tuple[str, str]], columns: list[list[Any]],
                       points: list[tuple[float, float]]) -> bytes:
    write_points(path, schema, [gis._values(kind, values) for (_, kind), values in zip(schema, columns, strict=True)],  # type: ignore[arg-type]
                 points)
    return path.read_bytes()


TEXTS = st.text(st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ["", "a\x00b", "\x00", "%s %d %%", '"\\/', "\x7f\u2028\u2029\ufeff", "Agliè «è» – 😀", "\r\n\t\b\f\x1b"]
)
REALS = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.1 + 0.2, 1 / 3, 1e16, 1e17, 1e-5, 2.5e-320, 19000.0, -0.0, 99.99, 9.995, 0.000001, 123456789012.34]
) | st.floats(min_value=-1e9, max_value=1e9).map(lambda v: round(v, 2))
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "str": st.none() | TEXTS,
    "float": st.none() | REALS,
    "int": st.none() | st.integers(min_value=-(2**31) + 1, max_value=2**31 - 1),
    "bool": st.none() | st.booleans(),
    "date": st.none() | st.dates(min_value=date(1000, 1, 1)),
}
# Coordinates as the writer gets them (rounded to six decimals), and any double in range.
LONGITUDES = st.floats(min_value=-180, max_value=180).map(lambda v: round(v, 6)) | st.floats(
    min_value=-180, max_value=180)
LATITUDES = st.floats(min_value=-90, max_value=90).map(lambda v: round(v, 6)) | st.floats(min_value=-90, max_value=90)


@st.composite
def layers(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[list[Any]], list[tuple[float, float]]]:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6))
    schema = [(f"f{i}_{kind}", kind) for i, kind in enumerate(kinds)]
    size = draw(st.integers(min_value=0, max_value=8))
    columns = [draw(st.lists(VALUES[kind], min_size=size, max_size=size)) for kind in kinds]
    points = draw(st.lists(st.tuples(LONGITUDES, LATITUDES), min_size=size, max_size=size))
    return schema, columns, points


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layer=layers())
def test_random_layers_are_the_bytes_gdal_writes(tmp_path: Path, layer: Any) -> None:
    schema, columns, points = layer
    assert write_without_gdal(tmp_path / "ours.geojson", *layer) == write_with_gdal(
        tmp_path / "gdal.geojson", schema, columns, points)


@pytest.mark.parametrize("value", [1e50, 1.5e51, -1e300, 5e-324, 179.9999995, -179.99999949999, 89.99999999999,
                                   0.0000005, 0.0000015, -0.0000004, 123.45678900000001, 12345.0000000011])
def test_edge_coordinates_are_gdals(tmp_path: Path, value: float) -> None:
    x = max(-180.0, min(180.0, value))
    y = max(-90.0, min(90.0, value))
    layer: Any = ([("n", "int")], [[1]], [(x, y)])
    assert write_without_gdal(tmp_path / "ours.geojson", *layer) == write_with_gdal(tmp_path / "gdal.geojson", *layer)


def test_the_formats_hand_checked() -> None:
    # Read in GDAL's output of 3.12 for these values (tests/writers/test_geojson.py's random layers
    # compare the rest): %.17g shortened while a run of 0s or 9s shows, six decimals for coordinates.
    assert [real_text(v) for v in (19000.0, 0.1 + 0.2, 1 / 3, 1e17, 1e16, 1e-5, -0.0)] == [
        "19000.0", "0.3", "0.33333333333333331", "1e+17", "10000000000000000.0", "1.0000000000000001e-05", "-0.0"]
    assert [coordinate_text(v, 6) for v in (7.776652, 41.0, -0.0000004, 1.1234565, 2.0000005)] == [
        "7.776652", "41.0", "-0.0", "1.123457", "2.000001"]


def test_the_initiatives_layer_is_the_bytes_gdal_writes(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    layer = gis._initiatives_layer(sample_build, OutputOptions(include_contacts=True))
    points = shapely.get_coordinates(np.array(layer.geometries, dtype=object)).tolist()
    columns = [list(c) for c in layer.columns]
    schema: list[tuple[str, str]] = [(name, kind) for name, kind in layer.schema]
    ours = gis._write_geojson(tmp_path / "ours.geojson", layer).read_bytes()
    assert len(points) == len(sample_build.initiatives) > 0
    assert ours == write_with_gdal(tmp_path / "gdal.geojson", schema, columns, [tuple(p) for p in points])


def test_an_infinite_real_is_left_out_of_its_feature_like_gdal(tmp_path: Path) -> None:
    layer: Any = ([("a", "float"), ("b", "str")], [[float("inf"), float("-inf")], ["x", "y"]], [(1.0, 2.0), (3.0, 4.0)])
    only: Any = ([("a", "float")], [[float("inf")]], [(1.0, 2.0)])
    ours = write_without_gdal(tmp_path / "ours.geojson", *layer)
    assert b'"properties": { "b": "x" }' in ours
    assert b'"properties": { }' in write_without_gdal(tmp_path / "o2.geojson", *only)
    assert ours == write_with_gdal(tmp_path / "gdal.geojson", *layer)
    assert (tmp_path / "o2.geojson").read_bytes() == write_with_gdal(tmp_path / "g2.geojson", *only)


def test_a_point_off_the_globe_is_refused_like_gdal(tmp_path: Path) -> None:
    layer: Any = ([("n", "int")], [[1, 2]], [(12.5, 41.9), (12.5, 91.0)])
    with pytest.raises(RuntimeError, match="outside of"):
        write_with_gdal(tmp_path / "gdal.geojson", *layer)
    with pytest.raises(RuntimeError, match="outside of"):
        write_without_gdal(tmp_path / "ours.geojson", *layer)
