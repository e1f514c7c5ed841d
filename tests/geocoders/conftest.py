"""Fixtures for the matcher tests: the shipped gazetteer and a small one with alias data.

``alias_gazetteer`` holds real rows of a few provinces of the shipped gazetteer
plus the kinds of records the built gazetteer adds (a merged Comune with its
successor, one without, old and variant names, old province siglas, region
spellings), so the alias logic is tested whatever the shipped data holds.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mapgen.gazetteer import COMUNI_COLUMNS, Gazetteer, load_gazetteer
from mapgen.geocoders import Geocoder

# Provinces copied from the shipped gazetteer into the small one.
PROVINCES = {"016", "075", "201", "022", "038", "005", "111", "090", "035", "021", "007"}
EXTRA_COMUNI = [
    # Ro (FE), merged into Riva del Po on 2019-02-22.
    {
        "istat_code": "038020",
        "name": "Ro",
        "cadastral_code": "H360",
        "province_code": "038",
        "province": "Ferrara",
        "sigla": "FE",
        "region_code": "08",
        "region": "Emilia-Romagna",
        "lat": "44.9480",
        "lon": "11.7630",
        "active": "0",
        "valid_to": "2019-02-21",
        "successor": "038029",
    },
    # A retired Comune whose successor is unknown.
    {
        "istat_code": "075900",
        "name": "Borgo Perduto",
        "cadastral_code": "Z999",
        "province_code": "075",
        "province": "Lecce",
        "sigla": "LE",
        "region_code": "16",
        "region": "Puglia",
        "lat": "40.1",
        "lon": "18.2",
        "active": "0",
        "valid_to": "2016-12-31",
        "successor": "",
    },
]
NAMES = [
    ("Calliano", "AT", "005014", "historical"),
    ("Reggio Emilia", "RE", "035033", "variant"),
    ("Corigliano Calabro Vecchio", "LE", "075088", "merged"),
]
PROVINCE_ALIASES = {"111": "Carbonia-Iglesias|CI|Medio Campidano|VS", "090": "Olbia-Tempio|OT"}
REGION_ALIASES = {"04": "Trentino Alto Adige|Alto Adige", "08": "Emilia"}


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in header})


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def shipped_geocoder(gazetteer: Gazetteer) -> Geocoder:
    """The default offline Geocoder on the shipped gazetteer."""
    return Geocoder(gazetteer)


@pytest.fixture(scope="session")
def alias_gazetteer(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Gazetteer:
    """A small gazetteer with merged Comuni, old names and old province siglas."""
    folder = tmp_path_factory.mktemp("gazetteer")
    source = gazetteer.path
    comuni = [r for r in _read(source / "comuni.csv") if r["province_code"] in PROVINCES]
    _write(folder / "comuni.csv", list(COMUNI_COLUMNS), comuni + EXTRA_COMUNI)
    names = [dict(zip(("name", "sigla", "istat_code", "kind"), n, strict=True), source="test") for n in NAMES]
    _write(folder / "names.csv", ["name", "sigla", "istat_code", "kind", "source"], names)
    provinces = _read(source / "provinces.csv")
    for row in provinces:
        row["aliases"] = PROVINCE_ALIASES.get(row["code"], "")
    _write(folder / "provinces.csv", list(provinces[0]), provinces)
    regions = _read(source / "regions.csv")
    for row in regions:
        row["aliases"] = REGION_ALIASES.get(row["code"], "")
    _write(folder / "regions.csv", list(regions[0]), regions)
    return load_gazetteer(folder)


@pytest.fixture(scope="session")
def alias_geocoder(alias_gazetteer: Gazetteer) -> Geocoder:
    """The default offline Geocoder on the small gazetteer with alias data."""
    return Geocoder(alias_gazetteer)
