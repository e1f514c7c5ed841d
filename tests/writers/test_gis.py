"""initiatives.gpkg / .csv / .geojson (GDAL: pyogrio, Debian's ogrinfo) and .xlsx (openpyxl), read back."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import pyogrio
import pytest
import shapely

from fixtures import factories
from fixtures.factories import HOSTILE_TEXT
from mapgen.errors import OutputError
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, EditionDiff, OutputOptions
from mapgen.writers.gis import http_link, initiative_columns, write_gis

LAYERS = [("initiatives", "Point"), ("comuni", "MultiPolygon"), ("ambiti", "MultiPolygon"),
          ("associazioni", "MultiPolygon")]
# What pyogrio reports for each kind of column (GDAL field type, subtype).
OGR_TYPES = {
    "str": ("OFTString", "OFSTNone"),
    "bool": ("OFTInteger", "OFSTBoolean"),
    "int": ("OFTInteger", "OFSTNone"),
    "float": ("OFTReal", "OFSTNone"),
    "date": ("OFTDate", "OFSTNone"),
}
CONTACTS = ("referente", "email", "telefono")


def write(
    build: BuildResult, folder: Path, gazetteer: Gazetteer, **options: bool
) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = write_gis(build, folder, gazetteer=gazetteer, options=OutputOptions(**options))
    return {p.name: p for p in paths}


@pytest.fixture
def files(tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer) -> dict[str, Path]:
    return write(sample_build, tmp_path / "out", gazetteer)


def test_writes_the_four_files_and_the_csv_types_and_nothing_else(files: dict[str, Path]) -> None:
    assert list(files) == ["initiatives.gpkg", "initiatives.csv", "initiatives.csvt", "initiatives.geojson",
                           "initiatives.xlsx"]
    folder = files["initiatives.gpkg"].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)


def test_geopackage_has_four_layers_in_wgs84(files: dict[str, Path]) -> None:
    gpkg = files["initiatives.gpkg"]
    assert [tuple(x) for x in pyogrio.list_layers(gpkg)] == LAYERS
    for layer, _ in LAYERS:
        assert pyogrio.read_info(gpkg, layer=layer)["crs"] == "EPSG:4326"


@pytest.mark.parametrize("include_contacts", [False, True])
def test_initiatives_layer_columns_and_types(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer, include_contacts: bool
) -> None:
    gpkg = write(sample_build, tmp_path, gazetteer, include_contacts=include_contacts)[
        "initiatives.gpkg"
    ]
    info = pyogrio.read_info(gpkg, layer="initiatives")
    columns = initiative_columns(sample_build.editions, include_contacts=include_contacts)
    assert list(info["fields"]) == [c.name for c in columns]
    got = list(zip(info["ogr_types"], info["ogr_subtypes"], strict=True))
    assert got == [OGR_TYPES[c.kind] for c in columns]
    assert info["features"] == len(sample_build.initiatives) == 6
    assert all(name in info["fields"] for name in CONTACTS) is include_contacts


def test_initiatives_layer_key_columns(files: dict[str, Path]) -> None:
    fields = set(pyogrio.read_info(files["initiatives.gpkg"], layer="initiatives")["fields"])
    expected = {
        "id",
        "edizioni",
        "ed_2019",
        "ed_2020",
        "istat",
        "comune",
        "sigla",
        "provincia",
        "regione",
        "titolo",
        "descrizione",
        "aree",
        "fonti",
        "importo",
        "data_inizio",
        "data_fine",
        "sito_web",
        "tipo_ente",
        "ente",
        "stato_match",
        "punteggio_match",
        "area_natalita",
        "fonte_comunitaria",
    }
    assert expected <= fields


def test_initiatives_values_round_trip(files: dict[str, Path], sample_build: BuildResult) -> None:
    frame = pyogrio.read_dataframe(files["initiatives.gpkg"], layer="initiatives").set_index("id")
    assert list(frame.index) == sorted(i.id for i in sample_build.initiatives)
    roma = frame.loc["058091-centro-per-le-famiglie"]
    assert (roma["edizioni"], bool(roma["ed_2019"]), bool(roma["ed_2020"])) == (
        "2019; 2020",
        True,
        True,
    )
    assert (roma["istat"], roma["comune"], roma["sigla"], roma["regione"]) == (
        "058091",
        "Roma",
        "RM",
        "Lazio",
    )
    assert roma["fonti"] == "nazionale; regionale"
    assert roma["importo"] == 12500.5
    assert roma["data_inizio"].date() == date(2020, 1, 15)
    assert roma["record_ids"] == "2020-R1-G1; 2019-iniziative-2019-17"
    nidi = frame.loc["058091-nidi-gratis"]
    assert nidi["sito_web"] == ""  # javascript: link dropped
    assert nidi["importo"] != nidi["importo"]  # NaN: unknown amount stays null, not 0
    assert (
        bool(nidi["area_infanzia"]) and bool(nidi["area_natalita"]) and not bool(nidi["area_altro"])
    )
    assert frame.loc["075096-bonus-bebe", "descrizione"] == HOSTILE_TEXT
    assert frame.loc["075096-bonus-bebe", "titolo"] == "Bonus bebè <b>2020</b>"


def test_initiative_points_are_the_comuni_points(
    files: dict[str, Path], sample_build: BuildResult
) -> None:
    frame = pyogrio.read_dataframe(files["initiatives.gpkg"], layer="initiatives").set_index("id")
    for item in sample_build.initiatives:
        point = frame.loc[item.id, "geometry"]
        assert (point.x, point.y) == (round(item.comune.lon, 6), round(item.comune.lat, 6))


def test_comuni_layer_counts_and_rates(files: dict[str, Path], gazetteer: Gazetteer) -> None:
    frame = pyogrio.read_dataframe(files["initiatives.gpkg"], layer="comuni").set_index("istat")
    assert list(frame.index) == ["007003", "021008", "058091", "075035", "075096"]
    roma = frame.loc["058091"]
    assert (roma["iniziative"], roma["ed_2019"], roma["ed_2020"]) == (2, 1, 2)
    assert (roma["area_infanzia"], roma["area_natalita"], roma["area_centri_per_le_famiglie"]) == (
        1,
        1,
        1,
    )
    comune = gazetteer.by_code("058091")
    assert comune is not None and comune.population and comune.population_0_17
    assert roma["popolazione"] == comune.population
    assert roma["per_10000_abitanti"] == round(2 * 10_000 / comune.population, 3)
    assert roma["per_1000_minori"] == round(2 * 1_000 / comune.population_0_17, 3)
    info = pyogrio.read_info(files["initiatives.gpkg"], layer="comuni")
    types = dict(zip(info["fields"], info["ogr_types"], strict=True))
    assert types["iniziative"] == "OFTInteger" and types["per_10000_abitanti"] == "OFTReal"


def test_comuni_boundaries_contain_their_point(
    files: dict[str, Path], gazetteer: Gazetteer
) -> None:
    frame = pyogrio.read_dataframe(files["initiatives.gpkg"], layer="comuni")
    for code, geometry in zip(frame["istat"], frame.geometry, strict=True):
        comune = gazetteer.by_code(code)
        assert comune is not None
        assert geometry.geom_type == "MultiPolygon" and geometry.is_valid
        assert geometry.covers(shapely.Point(comune.lon, comune.lat)), code


def test_ambiti_layer_is_the_union_of_members(files: dict[str, Path], gazetteer: Gazetteer) -> None:
    frame = pyogrio.read_dataframe(files["initiatives.gpkg"], layer="ambiti")
    assert len(frame) == 1
    ambito = frame.iloc[0]
    assert ambito["ambito"] == "Ambito territoriale di Lecce"
    assert (ambito["istat_capofila"], ambito["capofila"], ambito["n_comuni"]) == (
        "075035",
        "Lecce",
        3,
    )
    assert ambito["istat_comuni"] == "075035; 075088; 075096"
    assert ambito["id_iniziative"] == "075035-ambito-lecce-genitori"
    members = [gazetteer.by_code(c) for c in ("075035", "075088", "075096")]
    assert ambito["popolazione"] == sum(m.population for m in members if m and m.population)
    boundaries = gazetteer.boundaries().set_index("istat_code").geometry
    member_area = sum(boundaries[c].area for c in ("075035", "075088", "075096"))
    assert ambito.geometry.is_valid
    assert ambito.geometry.area == pytest.approx(member_area, rel=1e-3)
    for m in members:
        assert m is not None and ambito.geometry.covers(shapely.Point(m.lon, m.lat))


def test_associazioni_layer_one_row_per_association_with_its_members(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """Two practices of the Unione Valdigne-Mont-Blanc (at Courmayeur and Morgex) make one row."""
    unione = gazetteer.association("UC1020046010")
    assert unione is not None
    members = tuple(factories.comune(c) for c in unione.members)
    courmayeur, morgex, roma = (factories.comune(c) for c in ("007022", "007044", "058091"))
    items = (
        replace(factories.map_initiative("007022-a", courmayeur, factories.initiative("2020-R1-G1"),
                                         members=members), association=unione),
        replace(factories.map_initiative("007044-b", morgex, factories.initiative("2020-R2-G1"),
                                         members=members), association=unione),
        factories.map_initiative("058091-c", roma, factories.initiative("2020-R3-G1")),
    )
    build = replace(factories.sample_build(), initiatives=items)
    gpkg = write(build, tmp_path / "out", gazetteer)["initiatives.gpkg"]
    frame = pyogrio.read_dataframe(gpkg, layer="associazioni")
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["id"], row["nome"], row["tipo"], row["regione"]) == (
        "UC1020046010", "Unite' Des Communes Valdotaines Valdigne-Mont-Blanc", "unione",
        "Valle d'Aosta/Vallée d'Aoste",
    )
    assert row["istat_comuni"] == "007022; 007040; 007041; 007044; 007053"
    assert row["comuni"] == "Courmayeur; La Salle; La Thuile; Morgex; Pré-Saint-Didier"
    assert (row["n_comuni"], row["iniziative"], row["id_iniziative"]) == (5, 2, "007022-a; 007044-b")
    assert (row["istat_capofila"], row["capofila"]) == ("007022; 007044", "Courmayeur; Morgex")
    boundaries = gazetteer.boundaries().set_index("istat_code").geometry
    assert row.geometry.is_valid
    # The union of the five boundaries (a little less than the sum of their areas: they share edges).
    territory = shapely.union_all([boundaries[c] for c in unione.members])
    assert row.geometry.area == pytest.approx(territory.area, rel=1e-4)
    assert row.geometry.symmetric_difference(territory).area < 1e-4 * territory.area
    for m in members:
        assert row.geometry.covers(shapely.Point(m.lon, m.lat))


def test_associazioni_layer_is_empty_without_associations(files: dict[str, Path]) -> None:
    frame = pyogrio.read_dataframe(files["initiatives.gpkg"], layer="associazioni")
    assert len(frame) == 0
    assert list(frame.columns)[:3] == ["id", "nome", "tipo"]


def test_csv_has_bom_latlon_and_the_same_rows(files: dict[str, Path]) -> None:
    raw = files["initiatives.csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    gpkg = pyogrio.read_dataframe(files["initiatives.gpkg"], layer="initiatives")
    table = pyogrio.read_dataframe(files["initiatives.csv"])  # GDAL's CSV driver
    expected = list(gpkg.columns.drop("geometry"))
    at = expected.index("regione") + 1
    assert list(table.columns) == [*expected[:at], "lat", "lon", *expected[at:]]
    assert list(table["id"]) == list(gpkg["id"])
    with files["initiatives.csv"].open(encoding="utf-8-sig", newline="") as handle:
        cells = list(csv.DictReader(handle))
    for row, point in zip(cells, gpkg.geometry, strict=True):
        assert re.fullmatch(r"-?\d+\.\d{6}", row["lat"]) and re.fullmatch(r"-?\d+\.\d{6}", row["lon"])
        assert (float(row["lon"]), float(row["lat"])) == (point.x, point.y)


def test_the_csvt_gives_gdal_the_geopackages_types(files: dict[str, Path]) -> None:
    """GDAL reads initiatives.csvt: istat stays text with its zeros, flags and amounts get their types."""
    types = files["initiatives.csvt"].read_text(encoding="ascii").strip().split(",")
    header = files["initiatives.csv"].read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert len(types) == len(header)
    gpkg = pyogrio.read_dataframe(files["initiatives.gpkg"], layer="initiatives")
    table = pyogrio.read_dataframe(files["initiatives.csv"])
    for name in gpkg.columns.drop("geometry"):
        assert table[name].dtype.kind == gpkg[name].dtype.kind or (
            gpkg[name].dtype.kind == "O" and str(table[name].dtype) in ("str", "string")
        ), name
    assert list(table["istat"]) == list(gpkg["istat"]) and all(len(code) == 6 for code in table["istat"])
    assert table["lat"].dtype.kind == "f"


def test_csv_keeps_text_exact_but_neutralises_formulas(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    first = sample_build.initiatives[0]
    risky = replace(first, record=replace(first.record, titolo='=HYPERLINK("http://evil")'))
    build = replace(sample_build, initiatives=(risky, *sample_build.initiatives[1:]))
    path = write(build, tmp_path, gazetteer)["initiatives.csv"]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert rows[first.id]["titolo"] == '\'=HYPERLINK("http://evil")'
    assert rows["075096-bonus-bebe"]["descrizione"] == HOSTILE_TEXT
    assert rows["058091-centro-per-le-famiglie"]["ed_2019"] == "1"
    assert rows["058091-centro-per-le-famiglie"]["importo"] == "12500.5"
    assert rows["058091-nidi-gratis"]["importo"] == ""


def test_geojson_is_rfc7946(files: dict[str, Path], sample_build: BuildResult) -> None:
    data = json.loads(files["initiatives.geojson"].read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and "crs" not in data
    assert len(data["features"]) == len(sample_build.initiatives)
    roma = next(
        f for f in data["features"] if f["properties"]["id"] == "058091-centro-per-le-famiglie"
    )
    lon, lat = roma["geometry"]["coordinates"]
    assert 12 < lon < 13 and 41 < lat < 42  # longitude first
    assert roma["properties"]["data_inizio"] == "2020-01-15"
    assert roma["properties"]["ed_2019"] is True
    text = files["initiatives.geojson"].read_text(encoding="utf-8")
    assert not re.search(r"\d\.\d{7,}", text)  # at most 6 decimals anywhere
    assert pyogrio.read_info(files["initiatives.geojson"])["crs"] == "EPSG:4326"


@pytest.mark.parametrize("include_contacts", [False, True])
def test_contacts_only_when_opted_in(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer, include_contacts: bool
) -> None:
    written = write(sample_build, tmp_path, gazetteer, include_contacts=include_contacts)
    for path in written.values():
        if path.suffix != ".csvt":  # the column types only: no value of any row
            assert (b"mario.rossi@example.org" in _content(path)) is include_contacts, path.name


def _content(path: Path) -> bytes:
    """The file's bytes; for a workbook, its XML parts unzipped (the cells are compressed)."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as book:
        return b"\n".join(book.read(name) for name in book.namelist())


def test_same_build_gives_byte_identical_files(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    first = write(sample_build, tmp_path / "a", gazetteer)
    second = write(sample_build, tmp_path / "b", gazetteer)
    for name in first:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_geopackage_timestamp_is_the_latest_submission(files: dict[str, Path]) -> None:
    with sqlite3.connect(files["initiatives.gpkg"]) as db:
        stamps = db.execute(
            "SELECT table_name, last_change FROM gpkg_contents ORDER BY 1"
        ).fetchall()
    assert stamps == [
        (name, "2020-09-20T10:30:00.000Z") for name in ("ambiti", "associazioni", "comuni", "initiatives")
    ]


def test_ogrinfo_reads_the_geopackage(files: dict[str, Path], gazetteer: Gazetteer) -> None:
    done = subprocess.run(
        ["ogrinfo", "-ro", "-so", "-al", str(files["initiatives.gpkg"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""  # no warnings from Debian's (older) GDAL either
    layer = r"Layer name: (\w+)\n(?:(?!Layer name).*\n)*?Geometry: ([\w ]+)\nFeature Count: (\d+)"
    assert re.findall(layer, done.stdout) == [
        ("initiatives", "Point", "6"),
        ("comuni", "Multi Polygon", "5"),
        ("ambiti", "Multi Polygon", "1"),
        ("associazioni", "Multi Polygon", "0"),
    ]
    assert "DESCRIPTION=Iniziative: un punto per iniziativa" in done.stdout
    assert done.stdout.count(gazetteer.attribution) == 4  # on every layer (CC-BY)
    assert "data_inizio: Date" in done.stdout
    assert 'ID["EPSG",4326]' in done.stdout


def test_empty_build_writes_empty_layers(tmp_path: Path, gazetteer: Gazetteer) -> None:
    empty = BuildResult(
        initiatives=(), outcomes=(), diff=EditionDiff(newest=2020, previous=()), editions=(2020,)
    )
    written = write(empty, tmp_path, gazetteer)
    assert [tuple(x) for x in pyogrio.list_layers(written["initiatives.gpkg"])] == LAYERS
    for layer, _ in LAYERS:
        assert pyogrio.read_info(written["initiatives.gpkg"], layer=layer)["features"] == 0
    assert len(pyogrio.read_dataframe(written["initiatives.csv"])) == 0
    assert json.loads(written["initiatives.geojson"].read_text(encoding="utf-8"))["features"] == []


def test_comune_without_boundary_keeps_its_row(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    first = sample_build.initiatives[0]
    ghost = replace(first, comune=replace(first.comune, istat_code="999999"))
    build = replace(sample_build, initiatives=(ghost, *sample_build.initiatives[1:]))
    frame = pyogrio.read_dataframe(
        write(build, tmp_path, gazetteer)["initiatives.gpkg"], layer="comuni"
    )
    row = frame[frame["istat"] == "999999"].iloc[0]
    assert row["iniziative"] == 1 and row.geometry is None


def test_missing_folder_is_an_output_error(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    with pytest.raises(
        OutputError, match=r"could not write the GIS files in .*missing.* Check that"
    ):
        write_gis(sample_build, tmp_path / "missing", gazetteer=gazetteer, options=OutputOptions())


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.example.org/a?b=1", "https://www.example.org/a?b=1"),
        (" http://comune.roma.it ", "http://comune.roma.it"),
        ("javascript:alert(1)", ""),
        ("www.example.org", ""),
        ("https://", ""),
        ("data:text/html,<script>", ""),
    ],
)
def test_http_link(url: str, kept: str) -> None:
    assert http_link(url) == kept


# --- initiatives.xlsx, for staff ---------------------------------------------------------------


def _sheet(path: Path) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    book = load_workbook(path)  # not read-only: cell.data_type is the stored type
    assert book.sheetnames == ["iniziative"]
    return [tuple(c.value for c in row) for row in book["iniziative"].iter_rows()]


def test_xlsx_holds_the_csv_table(files: dict[str, Path]) -> None:
    with files["initiatives.csv"].open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    rows = _sheet(files["initiatives.xlsx"])
    assert [str(v) for v in rows[0]] == table[0]  # same columns, same order, lat/lon included
    assert len(rows) == len(table) > 1
    header = table[0]
    for sheet_row, csv_row in zip(rows[1:], table[1:], strict=True):
        by_name = dict(zip(header, sheet_row, strict=True))
        assert by_name["id"] == csv_row[header.index("id")]
        assert by_name["lat"] == float(csv_row[header.index("lat")])  # numbers stay numbers
        for name, cell in zip(header, csv_row, strict=True):
            value = by_name[name]
            # text equal to the CSV's, except the CSV's quote that disarms a formula
            if isinstance(value, str):
                assert cell in {value, "'" + value}, name
            else:
                assert (value is None and cell == "") or float(cell) == value, name


def test_xlsx_text_is_never_a_formula(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    from openpyxl import load_workbook

    first = sample_build.initiatives[0]
    risky = replace(first, record=replace(first.record, titolo='=HYPERLINK("http://evil")',
                                          descrizione="a\x07b" + HOSTILE_TEXT))
    build = replace(sample_build, initiatives=(risky, *sample_build.initiatives[1:]))
    path = write(build, tmp_path, gazetteer)["initiatives.xlsx"]
    sheet = load_workbook(path)["iniziative"]
    header = [c.value for c in sheet[1]]
    cells = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    title = cells[first.id]["titolo"]
    assert title.value == '=HYPERLINK("http://evil")' and title.data_type == "s"
    assert cells[first.id]["descrizione"].value == "a\ufffdb" + HOSTILE_TEXT  # XML forbids \x07
    with zipfile.ZipFile(path) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml  # no formula stored anywhere
    assert all(c.data_type in {"s", "n"} for row in sheet.iter_rows() for c in row)


def test_xlsx_cuts_only_the_cell_over_excels_limit(
    tmp_path: Path, sample_build: BuildResult, gazetteer: Gazetteer
) -> None:
    """Rows are checked whole for the rare cell to change; in a long row only the long cell is cut."""
    from openpyxl import load_workbook

    first = sample_build.initiatives[0]
    long = replace(first, record=replace(first.record, titolo="t" * 20_000, descrizione="d" * 40_000))
    build = replace(sample_build, initiatives=(long, *sample_build.initiatives[1:]))
    sheet = load_workbook(write(build, tmp_path, gazetteer)["initiatives.xlsx"])["iniziative"]
    header = [c.value for c in sheet[1]]
    cells = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    assert cells[first.id]["titolo"].value == "t" * 20_000
    assert cells[first.id]["descrizione"].value == "d" * 32_766 + "…"


def test_pandas_as_documented_keeps_the_istat_codes(files: dict[str, Path]) -> None:
    """docs/outputs-gis-report.md: ``dtype={"istat": str}``; without it pandas reads 001003 as 1003."""
    import pandas as pd

    documented = pd.read_csv(files["initiatives.csv"], dtype={"istat": str}, encoding="utf-8-sig")
    naive = pd.read_csv(files["initiatives.csv"], encoding="utf-8-sig")
    assert all(len(code) == 6 for code in documented["istat"])
    assert any(len(str(code)) < 6 for code in naive["istat"])  # the sample holds a code with leading zeros
