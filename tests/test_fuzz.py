"""Fuzzing the readers (hypothesis): any bytes in, a result or a MapgenError out, never a crash.

An exception that is not a :class:`~mapgen.errors.MapgenError` would reach the user as a
traceback. Inputs: raw bytes; the test files of ``tests/data`` mutated (bytes flipped, cut,
spliced); JSON shaped like GeoJSON and uMap backups; workbooks with odd cells; TOML mapping files.

In the suite each target runs a few examples (``MAPGEN_FUZZ_EXAMPLES``, default 20); ``make fuzz``
runs them for minutes through ``python -m tests.fuzz``.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import given as _given
from hypothesis import strategies as st

from mapgen.config import load_config
from mapgen.errors import MapgenError
from mapgen.readers.previous_map import read_previous
from mapgen.readers.survey import read_survey
from mapgen.readers.table import read_table

DATA = Path(__file__).parent / "data"
EXAMPLES = int(os.environ.get("MAPGEN_FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # fmt: skip
given = _given  # the targets below are collected by tests/fuzz.py too


def _seeds(*patterns: str) -> list[bytes]:
    return [p.read_bytes() for pattern in patterns for p in sorted(DATA.glob(pattern)) if p.is_file()]


SURVEY_SEEDS = _seeds("survey/*.csv", "survey/*.txt", "survey/*.xlsx", "bad/*.csv", "bad/*.xlsx")
PREVIOUS_SEEDS = _seeds("previous/*.geojson", "previous/*.umap", "bad/*.geojson", "bad/*.umap")
CONFIG_SEEDS = _seeds("survey/*.toml", "bad/*.toml") + [(Path(__file__).parent.parent / "examples" /
                                                        "mapping.toml").read_bytes()]  # fmt: skip


def survives(read: Callable[[Path], Any], data: bytes, name: str) -> None:
    """Write ``data`` as ``name`` and read it: any outcome but a non-MapgenError exception."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            read(path)
            event("read")
        except MapgenError as exc:  # one line, or a list of every problem (STYLE.md point 10)
            event(type(exc).__name__)
            assert str(exc).strip() and "Traceback" not in str(exc)


# --- mutations ------------------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed file with a few bytes flipped, inserted or removed, cut short or spliced."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "splice", "repeat"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(max_size=16) | st.sampled_from([b"\x00", b'"', b";", b"\n", b"\r", b"\xff\xfe",
                                                                        b"\xef\xbb\xbf", b"{", b"]", b"NaN", b"1e999"]))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == "cut":
            del data[at:]
        elif kind == "splice":
            other = draw(st.sampled_from(seeds))
            data[at:] = other[draw(st.integers(0, max(len(other) - 1, 0))):]
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 200))] * draw(st.integers(2, 20))
    return bytes(data)


def _survey(path: Path) -> Any:
    return read_survey(path)


def _survey_mapped(path: Path) -> Any:
    return read_survey(path, config=load_config(DATA / "survey" / "codes_mapping.toml"))


# --- survey readers -------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["r.csv", "r.xlsx", "r.txt"]))
def test_tabular_raw_bytes(data: bytes, name: str) -> None:
    survives(read_table, data, name)


@FUZZ
@given(mutated(SURVEY_SEEDS), st.sampled_from([_survey, _survey_mapped]))
def test_survey_mutated_files(data: bytes, read: Callable[[Path], Any]) -> None:
    name = "r.xlsx" if data.startswith(b"PK") else "r.csv"
    survives(read, data, name)


_cell = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 1, 1)),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.sampled_from(["=1+1", "=CONCAT(\"a\",\"b\")", "Roma", "Forlì", "Y", "", "N/A", "=A1"]),
)  # fmt: skip
_header = st.sampled_from(["id", "submitdate", "Comune", "Provincia", "Titolo", "Descrizione", "Area", "Importo",
                           "Data inizio", "Sito web", "", "Comune", "Titolo 2", "Regione"])  # fmt: skip


@FUZZ
@given(st.lists(_header, min_size=1, max_size=8), st.lists(st.lists(_cell, max_size=9), max_size=6),
       st.booleans())  # fmt: skip
def test_survey_odd_workbooks(header: list[str], rows: list[list[Any]], merge: bool) -> None:
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    book = openpyxl.Workbook()
    sheet = book.active
    raw = io.BytesIO()
    try:
        for row in [header, *rows]:
            sheet.append(row)
        if merge and len(header) > 1:
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=2)
        book.save(raw)
    except (ValueError, TypeError, IllegalCharacterError):  # openpyxl refuses some values itself
        return
    survives(_survey, raw.getvalue(), "r.xlsx")


# --- previous-map reader --------------------------------------------------------------------


@FUZZ
@given(mutated(PREVIOUS_SEEDS), st.sampled_from(["p.geojson", "p.umap"]))
def test_previous_mutated_files(data: bytes, name: str) -> None:
    survives(read_previous, data, name)


_number = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**30), 10**30))
_scalar = st.one_of(st.none(), st.booleans(), _number, st.text(max_size=12))
_coordinates = st.recursive(st.lists(_number | _scalar, max_size=3), lambda inner: st.lists(inner, max_size=3),
                            max_leaves=12)  # fmt: skip
_geometry = st.one_of(
    _scalar,
    st.fixed_dictionaries(
        {"type": st.sampled_from(["Point", "MultiPoint", "LineString", "Polygon", "MultiPolygon",
                                  "GeometryCollection", "Feature", "Nonsense", 7])},
        optional={"coordinates": _coordinates | _scalar, "geometries": st.lists(_scalar, max_size=2)},
    ),
)
_properties = st.one_of(_scalar, st.dictionaries(
    st.sampled_from(["name", "titolo", "comune", "Comune", "description", "area", "importo", "data_inizio",
                     "_umap_options", "provincia", "regione", "sito_web", "edizione", ""]),
    _scalar | st.lists(_scalar, max_size=3) | st.dictionaries(st.text(max_size=5), _scalar, max_size=2),
    max_size=6,
))  # fmt: skip
_feature = st.one_of(_scalar, st.fixed_dictionaries(
    {"type": st.sampled_from(["Feature", "feature", "FeatureCollection", None])},
    optional={"geometry": _geometry, "properties": _properties, "id": _scalar | st.lists(_scalar, max_size=1)},
))  # fmt: skip
_options = st.dictionaries(st.sampled_from(["name", "group", "remoteData", "type"]),
                           _scalar | st.dictionaries(st.sampled_from(["url"]), _scalar), max_size=3)  # fmt: skip
_collection = st.fixed_dictionaries(
    {"type": st.sampled_from(["FeatureCollection", "Topology", None, 3])},
    optional={"features": st.lists(_feature, max_size=5) | _scalar, "_umap_options": _options | _scalar,
              "properties": _options | _scalar, "_storage": _options,
              "crs": _scalar | st.fixed_dictionaries({"type": st.just("name"), "properties": st.fixed_dictionaries(
                  {"name": st.sampled_from(["EPSG:32632", "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:999999", "x"])})}),
              "name": _scalar},
)  # fmt: skip
_layers = st.recursive(st.lists(_collection | _scalar, max_size=3),
                       lambda inner: st.lists(_collection.map(lambda c: {**c, "layers": []}) | inner, max_size=2),
                       max_leaves=6)  # fmt: skip
_document = st.one_of(
    _collection,
    _feature,
    st.fixed_dictionaries({"type": st.sampled_from(["umap", None])},
                          optional={"layers": _layers | _scalar, "properties": _options | _scalar}),
    _scalar,
    st.lists(_feature, max_size=3),
)  # fmt: skip


@FUZZ
@given(_document)
def test_previous_geojson_shaped_documents(document: Any) -> None:
    text = json.dumps(document, allow_nan=True)
    survives(read_previous, text.encode(), "p.geojson")


# --- mapping files --------------------------------------------------------------------------

_key = st.sampled_from(["survey", "previous", "output", "columns", "practices", "choices", "edition", "sheet",
                        "comune", "titolo", "aree", "properties", "title", "include_contacts", "Titolo", "x"])
_toml_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 3000), st.text(max_size=10), st.floats(allow_nan=False)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_key, inner, max_size=4),
    max_leaves=10,
)  # fmt: skip


def _toml(value: Any, table: str = "") -> str:
    """A rough TOML writer (tables and inline values), good enough to reach the config checks."""
    lines, tables = [], []
    for key, item in value.items():
        if isinstance(item, dict):
            tables.append(_toml(item, f"{table}.{key}" if table else key))
        elif item is not None:
            lines.append(f"{key} = {json.dumps(item) if not isinstance(item, bool) else str(item).lower()}")
    head = [f"[{table}]"] if table else []
    return "\n".join(head + lines + tables) + "\n"


@FUZZ
@given(st.dictionaries(_key, _toml_value, max_size=4) | mutated(CONFIG_SEEDS))
def test_config_files(value: Any) -> None:
    data = value if isinstance(value, bytes) else _toml(value).encode()
    survives(load_config, data, "mapping.toml")


# --- the whole build ------------------------------------------------------------------------

# A build writes every output: far slower than a read, so fewer inputs per round.
BUILD = settings(FUZZ, max_examples=max(2, EXAMPLES // 10))
_good_feature = st.builds(
    lambda lon, lat, props: {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                             "properties": props},
    st.floats(6.6, 18.5), st.floats(36.6, 47.1), _properties,
)  # fmt: skip
_named = st.builds(
    lambda c, features, name: {**c, "type": "FeatureCollection", "features": features, "_umap_options": {"name": name}},
    _collection, st.lists(_good_feature | _feature, max_size=6),
    st.sampled_from(["Iniziative", "Altro", "Statistiche"]),
)  # fmt: skip
_two_layer_map = st.builds(lambda layers: {"type": "umap", "properties": {"name": "m"}, "layers": layers},
                           st.lists(_named, min_size=1, max_size=3))  # fmt: skip


def _build(previous: Path | None, survey: Path | None, config: Path | None = None) -> None:
    from mapgen.build import BuildRequest, build

    folder = (previous or survey or Path()).parent
    build(BuildRequest(survey=survey, previous=(previous,) if previous else (), config=config,
                       out_dir=folder / "out", initiative_layers=("Iniziative",)))  # fmt: skip


@BUILD
@given(_two_layer_map | _document)
def test_build_from_odd_previous_maps(document: Any) -> None:
    survives(lambda path: _build(path, None), json.dumps(document, allow_nan=True).encode(), "p.umap")


@st.composite
def text_mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A CSV seed with odd text (any Unicode, quotes, separators, line breaks) put into it."""
    data = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        piece = draw(st.text(max_size=20) | st.sampled_from(['"', ";", ",", "\n", "\r\n", "=", "<script>", "{{x}}"]))
        data = data[:at] + piece.encode("utf-8", "surrogatepass") + data[at:]
    return data


#: Survey exports and the mapping that reads each.
MAPPED_SEEDS = [
    (DATA / "survey" / name, DATA / "survey" / mapping if mapping else None)
    for name, mapping in (("tidy_canonical.csv", ""), ("tidy_canonical.xlsx", ""),
                          ("codes_limesurvey.csv", "codes_mapping.toml"),
                          ("codes_excel_cp1252.csv", "codes_mapping.toml"),
                          ("fulltext_limesurvey.csv", "fulltext_mapping.toml"))
]  # fmt: skip


@BUILD
@given(st.sampled_from(MAPPED_SEEDS).flatmap(
    lambda seed: st.tuples(mutated([seed[0].read_bytes()]) | text_mutated([seed[0].read_bytes()]), st.just(seed[1]))
))  # fmt: skip
def test_build_from_mutated_surveys(case: tuple[bytes, Path | None]) -> None:
    data, config = case
    survives(lambda path: _build(None, path, config), data, "r.xlsx" if data.startswith(b"PK") else "r.csv")


# --- issue 20: the previous map's JSON structure, the mapping file's structure -------------

#: Raw JSON put in place of one value: deep nesting, any type, numbers beyond a float, lone surrogates.
_json_fragment = st.one_of(
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers(1, 1200).map(lambda n: '[{"type":"Point","coordinates":' * n + "[12.5,41.9]" + "}]" * n),
    st.integers(300, 5000).map(lambda n: "9" * n),
    st.sampled_from(["1e400", "-1e400", "1.7976931348623157e308", "4.9e-324", "-0", "0.0", "1E+999999",
                     '"\\ud800"', '"x\\udfff"', '"\\ud83d\\ude00"', '"\\u0000"', "true", "null", "[]", "{}",
                     '""', '["Point"]', "7", '{"type":"Point"}', "[[[[1,2]]]]", '"Infinity"', "NaN"]),
)  # fmt: skip

_MARK = "@@hostile@@"


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document where a value sits."""
    found = [path]
    if isinstance(value, dict):
        found += [p for key, item in value.items() for p in _paths(item, (*path, key))]
    elif isinstance(value, list):
        found += [p for index, item in enumerate(value) for p in _paths(item, (*path, index))]
    return found


def _replace_at(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace_at(value[head], rest, new)}
    return [_replace_at(item, rest, new) if index == head else item for index, item in enumerate(value)]


def _parsed(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # the broken seeds are mutated by the targets above
        return None


JSON_SEEDS = [doc for doc in map(_parsed, (s for s in PREVIOUS_SEEDS if len(s) < 200_000)) if isinstance(doc, dict)]


@st.composite
def hostile_previous_map(draw: st.DrawFn) -> bytes:
    """A good map (example or test file) with one value anywhere replaced by a hostile JSON fragment."""
    seed = draw(st.sampled_from(JSON_SEEDS))
    path = draw(st.sampled_from(_paths(seed)))
    text = json.dumps(_replace_at(seed, path, _MARK))  # ASCII: a seed's lone surrogate stays an escape
    return text.replace(json.dumps(_MARK), draw(_json_fragment), 1).encode("utf-8")


@FUZZ
@given(hostile_previous_map())
def test_previous_map_hostile_structure(data: bytes) -> None:
    survives(lambda path: read_previous(path, initiative_layers=["Iniziative"]), data, "p.umap")


@BUILD
@given(hostile_previous_map())
def test_build_from_hostile_previous_structure(data: bytes) -> None:
    survives(lambda path: _build(path, None), data, "p.umap")


#: Raw TOML put in place of one value of a mapping file.
_toml_fragment = st.one_of(
    st.integers(1, 3000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 3000).map(lambda n: "{a = " * n + "1" + "}" * n),
    st.integers(300, 5000).map(lambda n: "9" * n),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20).map(json.dumps),
    st.sampled_from(["1e400", "inf", "nan", "-0", '"\\ud800"', "true", "[1, \"a\"]", "{}", "[]",
                     "1979-05-27T07:32:00Z", "07:32:00", '"""multi\nline"""', "'literal'", '""',
                     '{ x = "G01Q03" }', '["G01Q03", "G01Q04"]', '"G05Q01"', '"area"']),
)  # fmt: skip

MAPPING_SEED = (DATA / "survey" / "codes_mapping.toml").read_text(encoding="utf-8")
MAPPING_SURVEY = DATA / "survey" / "codes_limesurvey.csv"


@st.composite
def hostile_mapping(draw: st.DrawFn) -> bytes:
    """The test mapping with one value replaced by a hostile TOML fragment, maybe after a BOM."""
    lines = MAPPING_SEED.splitlines()
    values = [i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")]
    at = draw(st.sampled_from(values))
    key = lines[at].split("=", 1)[0]
    lines[at] = f"{key}= {draw(_toml_fragment)}"
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + "\n".join(lines) + "\n").encode("utf-8")


@FUZZ
@given(hostile_mapping())
def test_mapping_hostile_structure(data: bytes) -> None:
    survives(lambda path: read_survey(MAPPING_SURVEY, config=load_config(path)), data, "mapping.toml")
