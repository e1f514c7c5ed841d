"""GIS files for analysts: ``initiatives.gpkg``, ``.csv``, ``.geojson``; ``.xlsx`` for staff.

The GeoPackage (EPSG:4326) holds four layers:

``initiatives``
    One point per initiative, at its Comune's representative point, with flat
    typed columns (see :func:`initiative_columns`).
``comuni``
    The boundaries of the Comuni with at least one initiative, with counts per
    area and per edition and rates per inhabitants, ready for a choropleth.
``ambiti``
    One feature per Ambito/Unione whose member Comuni are known: the union of
    the members' boundaries, with the lead Comune.
``associazioni``
    One feature per registered association of Comuni (``gazetteer/associations.csv``)
    with a practice on the map: its id, name, kind, region, the register's members,
    the practices and their lead Comuni; the union of the members' boundaries.

``initiatives.csv`` (UTF-8 with BOM, ``lat``/``lon``) and ``initiatives.geojson``
(RFC 7946) carry the ``initiatives`` layer for tools that prefer them. Beside the CSV,
``initiatives.csvt`` gives each column's type in GDAL's convention (QGIS and ``ogr2ogr``
read it), so that ``istat`` stays the text ``001003`` rather than the number 1003.
``initiatives.xlsx`` holds the same table as the CSV for staff who open it in
Excel or LibreOffice: text cells are stored as text (a cell that starts with
``=`` is never a formula), numbers as numbers.

Values are built once, one plain Python list per column of one column table, then
formatted for the CSV and the workbook and written through pyogrio's array interface,
which (unlike the GeoDataFrame one) can write true ``Date`` fields. Every file is
byte-identical for the same build.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import urlsplit

from mapgen._csv import write_excel_csv
from mapgen.errors import OutputError
from mapgen.i18n import _
from mapgen.model import AREAS, FUNDING_SOURCES, BuildResult, Comune, MapInitiative, Match, OutputOptions
from mapgen.text import slugify

if TYPE_CHECKING:
    import numpy.typing as npt

    from mapgen.gazetteer import Gazetteer

__all__ = [
    "AMBITI_COLUMNS",
    "ASSOCIAZIONI_COLUMNS",
    "COMUNI_PLACE_COLUMNS",
    "Column",
    "http_link",
    "import_pyogrio_alone",
    "initiative_columns",
    "write_gis",
]

log = logging.getLogger(__name__)

Kind = Literal["str", "bool", "int", "float", "date"]
Row = dict[str, Any]

GPKG_NAME = "initiatives.gpkg"
CSV_NAME = "initiatives.csv"
CSVT_NAME = "initiatives.csvt"
GEOJSON_NAME = "initiatives.geojson"
XLSX_NAME = "initiatives.xlsx"
# Excel refuses a cell longer than this; a longer description is cut, with an ellipsis.
XLSX_CELL_LIMIT = 32_767
LIST_SEPARATOR = "; "
# 6 decimals of a degree is about 10 cm: more would only be noise (architecture.md).
COORD_DECIMALS = 6
GRID = 10.0**-COORD_DECIMALS


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the ``initiatives`` layer: its name, type and how to read it."""

    name: str
    kind: Kind
    get: Callable[[MapInitiative], Any]


def _joined(values: Sequence[object]) -> str:
    return LIST_SEPARATOR.join(map(str, values))


def _flag_name(prefix: str, value: str) -> str:
    """Column name for a vocabulary value: ``area_responsabilita_genitoriali``."""
    return f"{prefix}_{slugify(value).replace('-', '_')}"


def http_link(url: str) -> str:
    """Return ``url`` stripped if it is an ``http(s)://`` link with a host, else ``""``."""
    url = url.strip()
    parts = urlsplit(url)
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


_HEAD: tuple[Column, ...] = (
    Column("id", "str", lambda i: i.id),
    Column("edizioni", "str", lambda i: _joined(i.edizioni)),
)
_PLACE: tuple[Column, ...] = (
    Column("istat", "str", lambda i: i.comune.istat_code),
    Column("comune", "str", lambda i: i.comune.name),
    Column("sigla", "str", lambda i: i.comune.sigla),
    Column("provincia", "str", lambda i: i.comune.province),
    Column("regione", "str", lambda i: i.comune.region),
)
_PRACTICE: tuple[Column, ...] = (
    Column("titolo", "str", lambda i: i.record.titolo),
    Column("descrizione", "str", lambda i: i.record.descrizione),
    Column("destinatari", "str", lambda i: i.record.destinatari),
    Column("aree", "str", lambda i: _joined(i.record.aree)),
    Column("aree_altro", "str", lambda i: i.record.aree_altro),
    Column("fonti", "str", lambda i: _joined(i.record.fonti)),
    Column("fonti_altro", "str", lambda i: i.record.fonti_altro),
    Column("importo", "float", lambda i: _rounded(i.record.importo, 2)),
    Column("data_inizio", "date", lambda i: i.record.data_inizio),
    Column("data_fine", "date", lambda i: i.record.data_fine),
    Column("sito_web", "str", lambda i: http_link(i.record.sito_web)),
    Column("tipo_ente", "str", lambda i: i.record.tipo_ente),
    Column("ente", "str", lambda i: i.record.denominazione_ente),
    Column("comuni_associati", "str", lambda i: _joined(i.record.comuni_associati)),
)
_MATCH: tuple[Column, ...] = (
    Column("stato_match", "str", lambda i: i.match.status.value),
    Column("metodo_match", "str", lambda i: i.match.method),
    Column("correzione", "str", lambda i: _correction(i.match)),
    Column("punteggio_match", "float", lambda i: round(i.match.score, 1)),
    Column("record_ids", "str", lambda i: _joined([r.record_id for r in i.records])),
)
_CONTACTS: tuple[Column, ...] = (
    Column("referente", "str", lambda i: i.record.referente),
    Column("email", "str", lambda i: i.record.email),
    Column("telefono", "str", lambda i: i.record.telefono),
)


def _correction(match: Match) -> str:
    """``correzioni.csv, riga 4`` for a record a person placed (method ``correzione``), else empty."""
    if match.method != "correzione" or "line" not in match.raw:
        return ""
    return f"{match.raw.get('file', '')}, riga {match.raw['line']}"


def _edition_flag(year: int) -> Column:
    return Column(f"ed_{year}", "bool", lambda i: year in i.edizioni)


def _area_flag(area: str) -> Column:
    return Column(_flag_name("area", area), "bool", lambda i: area in i.record.aree)


def _funding_flag(source: str) -> Column:
    return Column(_flag_name("fonte", source), "bool", lambda i: source in i.record.fonti)


def initiative_columns(editions: Sequence[int], *, include_contacts: bool = False) -> list[Column]:
    """Return the columns of the ``initiatives`` layer, in file order.

    Parameters
    ----------
    editions
        Every edition year of the build: one boolean ``ed_<year>`` column each.
    include_contacts
        Add ``referente``, ``email``, ``telefono`` (personal data; opt-in).
    """
    return [
        *_HEAD,
        *(_edition_flag(y) for y in sorted(editions)),
        *_PLACE,
        *_PRACTICE,
        *(_area_flag(a) for a in AREAS),
        *(_funding_flag(f) for f in FUNDING_SOURCES),
        *_MATCH,
        *(_CONTACTS if include_contacts else ()),
    ]


# --- comuni and ambiti layers ------------------------------------------------------------

#: Place and population columns of the ``comuni`` layer (counts and rates follow).
COMUNI_PLACE_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("istat", "str"), ("comune", "str"), ("sigla", "str"), ("provincia", "str"),
    ("regione", "str"), ("popolazione", "int"), ("popolazione_0_17", "int"),
    ("iniziative", "int"),
)

#: Columns of the ``ambiti`` layer.
AMBITI_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("ambito", "str"), ("tipo_ente", "str"), ("istat_capofila", "str"), ("capofila", "str"),
    ("sigla", "str"), ("regione", "str"), ("n_comuni", "int"), ("comuni", "str"),
    ("istat_comuni", "str"), ("popolazione", "int"), ("popolazione_0_17", "int"),
    ("iniziative", "int"), ("id_iniziative", "str"),
)


#: Columns of the ``associazioni`` layer, in file order.
ASSOCIAZIONI_COLUMNS: tuple[tuple[str, Kind], ...] = (
    ("id", "str"), ("nome", "str"), ("tipo", "str"), ("regione", "str"),
    ("n_comuni", "int"), ("istat_comuni", "str"), ("comuni", "str"),
    ("iniziative", "int"), ("id_iniziative", "str"), ("istat_capofila", "str"), ("capofila", "str"),
)


def _comuni_schema(editions: Sequence[int]) -> list[tuple[str, Kind]]:
    return [
        *COMUNI_PLACE_COLUMNS,
        *((_flag_name("area", a), "int") for a in AREAS),
        *((f"ed_{y}", "int") for y in sorted(editions)),
        ("per_10000_abitanti", "float"),
        ("per_1000_minori", "float"),
    ]


def _rate(count: int, per: int, population: int | None) -> float | None:
    """Initiatives per ``per`` people, 3 decimals; None when the population is unknown or 0."""
    return round(count * per / population, 3) if population else None


_AREA_COUNTS = [(area, _flag_name("area", area)) for area in AREAS]


def _comune_row(comune: Comune, items: Sequence[MapInitiative], editions: Sequence[int]) -> Row:
    row: Row = {
        "istat": comune.istat_code, "comune": comune.name, "sigla": comune.sigla,
        "provincia": comune.province, "regione": comune.region,
        "popolazione": comune.population, "popolazione_0_17": comune.population_0_17,
        "iniziative": len(items),
    }
    for area, name in _AREA_COUNTS:
        row[name] = sum(area in i.record.aree for i in items)
    for year in sorted(editions):
        row[f"ed_{year}"] = sum(year in i.edizioni for i in items)
    row["per_10000_abitanti"] = _rate(len(items), 10_000, comune.population)
    row["per_1000_minori"] = _rate(len(items), 1_000, comune.population_0_17)
    return row


def _by_comune(build: BuildResult) -> dict[str, list[MapInitiative]]:
    """Initiatives grouped by their Comune's ISTAT code, codes sorted."""
    groups: dict[str, list[MapInitiative]] = defaultdict(list)
    for item in sorted(build.initiatives, key=lambda i: i.id):
        groups[item.comune.istat_code].append(item)
    return dict(sorted(groups.items()))


def _by_ambito(build: BuildResult) -> dict[tuple[str, tuple[str, ...]], list[MapInitiative]]:
    """Initiatives with known members, grouped by (lead Comune, member codes), keys sorted."""
    groups: dict[tuple[str, tuple[str, ...]], list[MapInitiative]] = defaultdict(list)
    for item in sorted(build.initiatives, key=lambda i: i.id):
        if item.members:
            codes = tuple(sorted({item.comune.istat_code, *(m.istat_code for m in item.members)}))
            groups[(item.comune.istat_code, codes)].append(item)
    return dict(sorted(groups.items()))


def _sum_known(values: Sequence[int | None]) -> int | None:
    """Sum of populations, or None if any is unknown (a partial sum would mislead)."""
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _ambito_row(items: Sequence[MapInitiative], members: Sequence[Comune]) -> Row:
    lead = items[0].comune
    names = [i.record.denominazione_ente for i in items if i.record.denominazione_ente]
    kinds = [i.record.tipo_ente for i in items if i.record.tipo_ente]
    return {
        "ambito": names[0] if names else f"Ambito di {lead.name}",
        "tipo_ente": kinds[0] if kinds else "",
        "istat_capofila": lead.istat_code, "capofila": lead.name, "sigla": lead.sigla,
        "regione": lead.region, "n_comuni": len(members),
        "comuni": _joined([m.name for m in members]),
        "istat_comuni": _joined([m.istat_code for m in members]),
        "popolazione": _sum_known([m.population for m in members]),
        "popolazione_0_17": _sum_known([m.population_0_17 for m in members]),
        "iniziative": len(items),
        "id_iniziative": _joined([i.id for i in items]),
    }


def _members(items: Sequence[MapInitiative], codes: Sequence[str]) -> list[Comune]:
    """The member Comuni of an Ambito (lead included), in ISTAT code order."""
    known = {c.istat_code: c for i in items for c in (i.comune, *i.members)}
    return [known[code] for code in codes]


# --- geometry ------------------------------------------------------------------------------


def _boundaries(gazetteer: Gazetteer, codes: set[str]) -> dict[str, Any]:
    """Shapely MultiPolygons of the Comuni with these codes (missing codes are absent)."""
    return {code: geometry for code, geometry in gazetteer.shapes("comuni").items() if code in codes}


def _multipolygons(groups: Sequence[Sequence[Any]]) -> list[Any]:
    """Union of each group's polygons on the 6-decimal grid, always a MultiPolygon (one type per
    layer); None for an empty group. GEOS does every group in one call (thousands of Comuni)."""
    import numpy as np
    import shapely

    width = max((len(g) for g in groups), default=0)
    table = np.full((len(groups), max(width, 1)), None, dtype=object)
    for row, geometries in enumerate(groups):
        table[row, : len(geometries)] = geometries
    merged = shapely.set_precision(shapely.union_all(table, axis=1), GRID)
    # Most unions are one polygon: made MultiPolygons in one call (one by one took 0.1 s).
    polygons = (shapely.get_type_id(merged) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(merged)
    merged[polygons] = shapely.multipolygons(merged[polygons][:, np.newaxis])
    return [_as_multipolygon(m) if g else None for m, g in zip(merged, groups, strict=True)]


def _as_multipolygon(merged: Any) -> Any:
    import shapely

    if merged.geom_type == "Polygon":
        return shapely.MultiPolygon([merged])
    if merged.geom_type != "MultiPolygon":  # snapping may leave slivers as lines: drop them
        polygons = [g for g in shapely.get_parts(merged) if g.geom_type == "Polygon"]
        return shapely.MultiPolygon(polygons)
    return merged


def _point(item: MapInitiative) -> tuple[float, float]:
    """(lon, lat) of the initiative's Comune, rounded to 6 decimals."""
    return (round(item.comune.lon, COORD_DECIMALS), round(item.comune.lat, COORD_DECIMALS))


# --- writing -------------------------------------------------------------------------------


def _field_array(
    kind: Kind, values: Sequence[Any]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any] | None]:
    """One column as a numpy array for pyogrio, with its null mask where the type needs one."""
    import numpy as np

    if kind == "str":  # texts already (_Layer)
        return np.array(values, dtype=object), None
    if kind == "bool":
        return np.array([bool(v) for v in values], dtype=bool), None
    if kind == "int":
        missing = np.array([v is None for v in values], dtype=bool)
        return np.array([0 if v is None else int(v) for v in values], dtype=np.int32), missing
    if kind == "float":
        return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64), None
    # datetime64[D] is what pyogrio writes as a GDAL Date field.
    dates = [v.isoformat() if isinstance(v, date) else "NaT" for v in values]
    return np.array(dates, dtype="datetime64[D]"), None


#: What pyogrio imports when it finds them, for its DataFrame functions, which this writer never calls.
_DATAFRAME_LIBRARIES: Final = ("pandas", "geopandas", "pyarrow")


def import_pyogrio_alone() -> None:
    """Import pyogrio without pandas, geopandas and pyarrow, for a process that only writes these files.

    pyogrio imports all three when they are installed (0.65 s and 120 MB in a process; alone:
    0.15 s and 50 MB), and then decides once whether its DataFrame functions work. So this is
    only for a process that ends with the GIS files (the build's second lane,
    :mod:`mapgen._beside`): elsewhere ``geopandas.read_file`` would find pyogrio without
    geopandas. Inside :func:`~mapgen.writers._imports.imports_without`, each of the three
    raises ImportError, which pyogrio expects.
    """
    if "pyogrio" in sys.modules or any(name in sys.modules for name in _DATAFRAME_LIBRARIES):
        return  # pyogrio has already looked, or pandas is here anyway
    from mapgen.writers._imports import imports_without

    with imports_without(_DATAFRAME_LIBRARIES):
        import pyogrio.raw  # noqa: F401  (imported here, used by _write_layer)


@contextmanager
def _gdal_config(options: dict[str, str]) -> Iterator[None]:
    """Set GDAL configuration options for the duration of a write, then restore them."""
    import pyogrio

    previous = {key: pyogrio.get_gdal_config_option(key) for key in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


@dataclass(frozen=True, slots=True)
class _Layer:
    """A layer ready to write: schema, one list of values per column, shapely geometries (None for missing).

    Column by column rather than a dict per row: every file reads the values a column at a time.
    A ``str`` column holds texts (``""`` for none), as every file writes them: see :func:`_values`.
    """

    name: str
    schema: Sequence[tuple[str, Kind]]
    columns: Sequence[Sequence[Any]]
    geometries: Sequence[Any]
    geometry_type: str


def _values(kind: Kind, values: list[Any]) -> list[Any]:
    """A column's values as the layer holds them: a ``str`` column's as texts, once for every file."""
    return ["" if v is None else str(v) for v in values] if kind == "str" else values


def _columns(schema: Sequence[tuple[str, Kind]], rows: Sequence[Row]) -> list[list[Any]]:
    """The rows' values, one list per column of ``schema``."""
    return [_values(kind, [row[name] for row in rows]) for name, kind in schema]


@dataclass(frozen=True, slots=True)
class _Arrays:
    """A layer as pyogrio writes it: WKB geometries, one array (and null mask) per field."""

    wkb: Any
    fields: list[Any]
    masks: list[Any]


def _arrays(layer: _Layer) -> _Arrays:
    """Convert a layer once; the initiatives go to both the GeoPackage and the GeoJSON."""
    import numpy as np
    import shapely

    columns = [_field_array(kind, values) for (_, kind), values in zip(layer.schema, layer.columns, strict=True)]
    wkb = shapely.to_wkb(np.array(layer.geometries, dtype=object), output_dimension=2)
    return _Arrays(wkb, [a for a, _ in columns], [m for _, m in columns])


def _write_layer(
    path: Path,
    layer: _Layer,
    arrays: _Arrays,
    *,
    driver: str,
    dataset_options: dict[str, str],
    layer_options: dict[str, str],
) -> None:
    from pyogrio.raw import write

    write(
        path, arrays.wkb, arrays.fields, [name for name, _ in layer.schema],
        field_mask=arrays.masks, layer=layer.name, driver=driver,
        geometry_type=layer.geometry_type, crs="EPSG:4326",
        dataset_options=dataset_options, layer_options=layer_options,
    )


def _initiatives_layer(build: BuildResult, options: OutputOptions) -> _Layer:
    import shapely

    editions = sorted({*build.editions, *(y for i in build.initiatives for y in i.edizioni)})
    columns = initiative_columns(editions, include_contacts=options.include_contacts)
    items = sorted(build.initiatives, key=lambda i: i.id)
    return _Layer(
        name="initiatives",
        schema=[(c.name, c.kind) for c in columns],
        columns=[_values(c.kind, list(map(c.get, items))) for c in columns],
        geometries=list(shapely.points([_point(item) for item in items])) if items else [],  # one call for all
        geometry_type="Point",
    )


def _comuni_layer(build: BuildResult, gazetteer: Gazetteer) -> _Layer:
    groups = _by_comune(build)
    shapes = _boundaries(gazetteer, set(groups))
    missing = sorted(set(groups) - set(shapes))
    if missing:
        log.warning("no boundary in the gazetteer for %s: written without geometry", missing)
    editions = sorted({*build.editions, *(y for i in build.initiatives for y in i.edizioni)})
    schema = _comuni_schema(editions)
    return _Layer(
        name="comuni",
        schema=schema,
        columns=_columns(schema, [_comune_row(items[0].comune, items, editions) for items in groups.values()]),
        geometries=_multipolygons([[shapes[code]] if code in shapes else [] for code in groups]),
        geometry_type="MultiPolygon",
    )


def _ambiti_layer(build: BuildResult, gazetteer: Gazetteer) -> _Layer:
    groups = _by_ambito(build)
    shapes = _boundaries(gazetteer, {code for _, codes in groups for code in codes})
    rows = [_ambito_row(items, _members(items, codes)) for (_, codes), items in groups.items()]
    geometries = _multipolygons([[shapes[c] for c in codes if c in shapes] for _, codes in groups])
    return _Layer("ambiti", AMBITI_COLUMNS, _columns(AMBITI_COLUMNS, rows), geometries, "MultiPolygon")


def _by_association(build: BuildResult) -> dict[str, list[MapInitiative]]:
    """Initiatives naming a registered association, grouped by its id (ids sorted)."""
    groups: dict[str, list[MapInitiative]] = defaultdict(list)
    for item in sorted(build.initiatives, key=lambda i: i.id):
        if item.association is not None:
            groups[item.association.id].append(item)
    return dict(sorted(groups.items()))


def _association_row(items: Sequence[MapInitiative], gazetteer: Gazetteer) -> Row:
    association = items[0].association
    assert association is not None  # grouped by it
    regions = {r.code: r.name for r in gazetteer.regions}
    members = [c for c in (gazetteer.by_code(code) for code in association.members) if c is not None]
    leads = sorted({i.comune.istat_code: i.comune for i in items}.items())
    return {
        "id": association.id, "nome": association.name, "tipo": association.kind,
        "regione": regions.get(association.region_code, association.region_code),
        "n_comuni": len(association.members),
        "istat_comuni": _joined(association.members), "comuni": _joined([m.name for m in members]),
        "iniziative": len(items), "id_iniziative": _joined([i.id for i in items]),
        "istat_capofila": _joined([code for code, _ in leads]),
        "capofila": _joined([c.name for _, c in leads]),
    }


def _associazioni_layer(build: BuildResult, gazetteer: Gazetteer) -> _Layer:
    groups = _by_association(build)
    codes = [items[0].association.members if items[0].association else () for items in groups.values()]
    shapes = _boundaries(gazetteer, {code for members in codes for code in members})
    rows = [_association_row(items, gazetteer) for items in groups.values()]
    geometries = _multipolygons([[shapes[c] for c in members if c in shapes] for members in codes])
    return _Layer("associazioni", ASSOCIAZIONI_COLUMNS, _columns(ASSOCIAZIONI_COLUMNS, rows), geometries,
                  "MultiPolygon")


_LAYER_DESCRIPTIONS = {
    "initiatives": "Iniziative: un punto per iniziativa, nel Comune che la promuove",
    "comuni": "Comuni con almeno un'iniziativa: conteggi per area ed edizione, tassi per abitanti",
    "ambiti": "Ambiti e Unioni di Comuni: unione dei confini dei Comuni membri, con il capofila",
    "associazioni": "Associazioni di Comuni del registro con almeno un'iniziativa: unione dei confini dei "
                    "Comuni membri, con le iniziative e i Comuni capofila",
}


def _last_change(build: BuildResult) -> str:
    """A stable timestamp for the GeoPackage's ``last_change``: the latest submission.

    GDAL stamps every layer with the current time unless ``OGR_CURRENT_DATE`` is
    set, which would make two writes of the same build differ.
    """
    submitted = [r.submitted for i in build.initiatives for r in i.records if r.submitted]
    if submitted:
        return max(submitted).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    year = max(build.editions, default=2000)
    return f"{year:04d}-01-01T00:00:00.000Z"


def _write_gpkg(
    path: Path, layers: Sequence[tuple[_Layer, _Arrays]], *, stamp: str, attribution: str
) -> Path:
    path.unlink(missing_ok=True)
    # SQLite waits for the disk at each of the layers' commits (0.05-0.1 s of the write); the file
    # is in the staging folder, swapped into place once whole and checked, as every other output
    # (none is synced either): the same bytes, no wait.
    with _gdal_config({"OGR_CURRENT_DATE": stamp, "OGR_SQLITE_SYNCHRONOUS": "OFF"}):
        for layer, arrays in layers:
            _write_layer(
                path, layer, arrays, driver="GPKG",
                # 1.2 rather than GDAL's default 1.4: older GDAL/QGIS open it without warnings.
                dataset_options={"VERSION": "1.2"},
                # QGIS shows the description; the attribution is a licence term (CC-BY).
                layer_options={"DESCRIPTION": f"{_LAYER_DESCRIPTIONS[layer.name]}. {attribution}"},
            )
    return path


def _write_geojson(path: Path, layer: _Layer) -> Path:
    """The initiatives as RFC 7946 GeoJSON, six decimals: the bytes GDAL's driver writes
    (``RFC7946=YES``, ``COORDINATE_PRECISION=6``, ``WRITE_NAME=NO``), made by
    :mod:`mapgen.writers._geojson` in a fifth of GDAL's time."""
    import numpy as np
    import shapely

    from mapgen.writers._geojson import write_points

    points = shapely.get_coordinates(np.array(layer.geometries, dtype=object)).tolist()
    return write_points(path, layer.schema, layer.columns, points)


# One formatter per kind, a column at a time (one comprehension, not a call per cell); a str
# column holds texts already (_Layer).
def _csv_texts(values: Sequence[Any]) -> list[str]:
    return ["" if v is None else str(v) for v in values]


def _csv_bools(values: Sequence[Any]) -> list[str]:
    return ["" if v is None else ("1" if v else "0") for v in values]


def _csv_floats(values: Sequence[Any]) -> list[str]:
    return ["" if v is None else f"{v:.6f}".rstrip("0").rstrip(".") for v in values]


def _csv_dates(values: Sequence[Any]) -> list[str]:
    return ["" if v is None else str(v.isoformat()) for v in values]


_CSV_COLUMN: dict[Kind, Callable[[Sequence[Any]], list[str]]] = {
    "str": list, "int": _csv_texts, "bool": _csv_bools, "float": _csv_floats, "date": _csv_dates,
}


_Table = tuple[list[str], list[list[str]]]


def _table(layer: _Layer) -> _Table:
    """Header and text columns of the CSV, with ``lat``/``lon`` after ``regione`` (QGIS finds them by name)."""
    import numpy as np
    import shapely

    names = [name for name, _ in layer.schema]
    at = names.index("regione") + 1
    header = [*names[:at], "lat", "lon", *names[at:]]
    texts = [_CSV_COLUMN[kind](values) for (_, kind), values in zip(layer.schema, layer.columns, strict=True)]
    points = shapely.get_coordinates(np.array(layer.geometries, dtype=object)).tolist()  # one call for all
    lat = [f"{y:.{COORD_DECIMALS}f}" for _, y in points]
    lon = [f"{x:.{COORD_DECIMALS}f}" for x, _ in points]
    return header, [*texts[:at], lat, lon, *texts[at:]]


def _write_csv(path: Path, table: _Table) -> Path:
    """The initiatives as CSV (comma-separated open data)."""
    header, columns = table
    return write_excel_csv(path, header, zip(*columns, strict=True))


#: GDAL's CSV driver type names (https://gdal.org/drivers/vector/csv.html), one per kind.
_CSVT_TYPE: dict[Kind, str] = {
    "str": "String", "int": "Integer", "bool": "Integer(Boolean)", "float": "Real", "date": "Date",
}


def _write_csvt(path: Path, layer: _Layer) -> Path:
    """``initiatives.csvt``: the CSV's column types, one quoted name each, in the CSV's order.

    Without it GDAL reads every column as text (good for ``istat``, bad for counts), and
    pandas or a spreadsheet read ``istat`` as a number (``1003`` for ``001003``).
    """
    types = [_CSVT_TYPE[kind] for _, kind in layer.schema]
    at = [name for name, _ in layer.schema].index("regione") + 1
    types[at:at] = ["Real", "Real"]  # lat, lon: where _table puts them
    path.write_text(",".join(f'"{t}"' for t in types) + "\n", encoding="ascii", newline="\n")
    return path


def _numeric_columns(layer: _Layer) -> set[str]:
    return {"lat", "lon", *(name for name, kind in layer.schema if kind in {"int", "float"})}


#: Characters XML 1.0 forbids (a worksheet is XML); shown as U+FFFD, as in every output.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_text(text: str) -> str:
    """A text cell's value: XML-safe and within Excel's 32,767 characters per cell."""
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - 1] + "…"
    return _XML_ILLEGAL.sub("\ufffd", text)


def _xlsx_numbers(texts: Sequence[str]) -> list[float | None]:
    """A numeric column's cells: the CSV's texts as numbers (none for an empty text)."""
    return [None if not text else float(text) if "." in text else int(text) for text in texts]


def _xlsx_texts(texts: Sequence[str]) -> Sequence[str]:
    """A text column's cells, as :func:`_xlsx_text` makes them."""
    # Most columns hold no character to replace nor a text to cut: checked once for the column.
    if max(map(len, texts), default=0) <= XLSX_CELL_LIMIT and not _XML_ILLEGAL.search("".join(texts)):
        return texts
    return [_xlsx_text(text) for text in texts]


def _write_xlsx(path: Path, layer: _Layer, table: _Table, *, stamp: str) -> Path:
    """The CSV's table as a workbook for staff; byte-identical for the same build.

    XlsxWriter's layout (it never reads a text as a formula, a number or a link), written from
    the CSV's columns in one pass by :mod:`mapgen.writers._xlsx` (XlsxWriter cell by cell took 3.5 s
    of a 10,000-initiative build), and zipped as it is made: the sheet is never whole in memory.
    """
    from mapgen.writers._xlsx import workbook_members

    header, columns = table
    numeric = _numeric_columns(layer)
    cells = [
        _xlsx_numbers(texts) if name in numeric else _xlsx_texts(texts)
        for name, texts in zip(header, columns, strict=True)
    ]
    rows = [[_xlsx_text(name) for name in header], *zip(*cells, strict=True)]
    members = workbook_members("iniziative", rows, created=datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
    _write_zip(members, path, stamp=stamp[:19] + "Z")
    return path


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _write_zip(members: Iterable[tuple[str, Iterable[bytes]]], path: Path, *, stamp: str) -> None:
    """Zip the workbook with every member dated 1980-01-01 and its ``modified`` set to ``stamp``.

    A workbook library dates the members and ``docProps/core.xml`` with the time of saving,
    which would make two writes of the same build differ. Each member is compressed as its
    pieces come (zlib gives the same bytes as for the whole, and zipfile, on a file it can
    seek in, writes the same header as ``writestr``).
    """
    partial = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with zipfile.ZipFile(partial, "w") as target:
            for name, pieces in members:
                fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                fixed.compress_type = zipfile.ZIP_DEFLATED
                if name == "docProps/core.xml":
                    pieces = [_MODIFIED.sub(rb"\g<1>" + stamp.encode() + rb"\g<2>", b"".join(pieces))]
                with target.open(fixed, "w") as member:
                    for piece in pieces:
                        member.write(piece)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_gis(
    build: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions
) -> list[Path]:
    """Write ``initiatives.gpkg``, ``.csv`` (with its ``.csvt``), ``.geojson`` and ``.xlsx`` into ``out_dir``.

    Parameters
    ----------
    build
        The merged initiatives and the report rows.
    out_dir
        The (staging) output folder; it must exist.
    gazetteer
        Supplies the Comuni boundaries for the ``comuni``, ``ambiti`` and ``associazioni`` layers,
        and the regions' names.
    options
        ``include_contacts`` adds the contact columns to the initiatives (all four files).

    Returns
    -------
    list[Path]
        The files written, in the order above.

    Examples
    --------
    >>> write_gis(build, Path("output"), gazetteer=load_gazetteer(),
    ...           options=OutputOptions())  # doctest: +SKIP
    """
    initiatives = _initiatives_layer(build, options)
    layers = [initiatives, _comuni_layer(build, gazetteer), _ambiti_layer(build, gazetteer),
              _associazioni_layer(build, gazetteer)]
    prepared = [(layer, _arrays(layer)) for layer in layers]
    table = _table(initiatives)  # the CSV's rows, the workbook's too
    try:
        written = [
            _write_gpkg(
                out_dir / GPKG_NAME, prepared,
                stamp=_last_change(build), attribution=gazetteer.attribution,
            ),
            _write_csv(out_dir / CSV_NAME, table),
            _write_csvt(out_dir / CSVT_NAME, initiatives),
            _write_geojson(out_dir / GEOJSON_NAME, initiatives),
            _write_xlsx(out_dir / XLSX_NAME, initiatives, table, stamp=_last_change(build)),
        ]
    except (OSError, RuntimeError) as exc:  # pyogrio's errors derive from RuntimeError
        raise OutputError(
            _("could not write the GIS files in {out_dir}: {error}. Check that the folder exists, is "
              "writable and has free space.", out_dir=out_dir, error=exc)
        ) from exc
    log.info("GIS files: %d initiatives, %d Comuni, %d Ambiti, %d associations", *(len(x.geometries) for x in layers))
    return written
