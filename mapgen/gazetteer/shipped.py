"""The offline ISTAT gazetteer: every Comune with its codes, names, point and population.

The table loads with the standard library only (fast start-up for ``mapgen
geocode``); boundaries load lazily through geopandas when a spatial function
needs them, or come as shapes read in another process (:class:`BoundaryShapes`).

Files (in ``gazetteer/``, built by ``mapgen gazetteer build``; see its README):

``comuni.csv``
    One row per Comune, current and retired: ``istat_code, name, name_other,
    cadastral_code, province_code, province, sigla, region_code, region, lat, lon,
    population, population_0_17, active, valid_to, successor``.
    ``province_code`` is ISTAT's historical province code (the first three digits
    of ``istat_code``), the key of ``provinces.fgb``. Retired rows (``active`` 0)
    carry the day they ended (``valid_to``) and the current Comune that holds
    their territory (``successor``).
``names.csv``
    Extra names that lead to a current Comune: ``name, sigla, istat_code, kind,
    source`` (kinds: ``other_language``, ``historical``, ``merged``, ``variant``);
    ``sigla`` is the province the name was used in (``Olbia``, ``OT``).
``provinces.csv`` / ``regions.csv``
    Current provinces and regions, with the old and alternative names and siglas
    that lead to them (``aliases``, ``|``-separated). An alias may sit on more than
    one province when an old province was split (Ogliastra: NU and SU).
``successors.csv``
    Every Comune ended since 1990 and every retired code, with its successor and
    how the link was established (``method``, ``check``, ``evidence``).
``comuni.fgb``, ``provinces.fgb``, ``regions.fgb``
    Simplified boundaries (EPSG:4326) keyed by code.
``associations.csv``
    Associations of Comuni (Unioni, from the Interior Ministry's register) with their
    member Comuni as current ISTAT codes (:data:`ASSOCIATION_COLUMNS`); read on first use.
``metadata.json``
    Sources, validity dates, attribution text, build parameters.
``sources/aliases.csv``, ``sources/successors_manual.csv``
    The hand-kept inputs of the build.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mapgen._resources import gazetteer_dir
from mapgen.errors import GazetteerError
from mapgen.i18n import _
from mapgen.model import Association, Comune
from mapgen.text import fold, strip_accents

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "ASSOCIATION_COLUMNS",
    "BOUNDARY_FILES",
    "BoundaryShapes",
    "Gazetteer",
    "NameEntry",
    "Province",
    "Region",
    "gazetteer_at",
    "load_gazetteer",
]

log = logging.getLogger(__name__)

COMUNI_COLUMNS = (
    "istat_code",
    "name",
    "name_other",
    "cadastral_code",
    "province_code",
    "province",
    "sigla",
    "region_code",
    "region",
    "lat",
    "lon",
    "population",
    "population_0_17",
    "active",
    "valid_to",
    "successor",
)
ASSOCIATION_COLUMNS = (
    "id",
    "kind",
    "name",
    "region_code",
    "sigla",
    "province_listed",
    "constituted",
    "vintage",
    "listed",
    "members",
    "unresolved",
    "notes",
    "source",
)


#: Marks, in ``names.csv``'s ``source``, a merged name linked by dates alone (``registry-dates``).
DATES_ONLY_SOURCE: Final = "dates only"


@dataclass(frozen=True, slots=True)
class NameEntry:
    """A name (other language, historical, merged Comune, variant) leading to a Comune."""

    name: str
    sigla: str
    istat_code: str
    kind: str
    source: str

    @property
    def dates_only(self) -> bool:
        """True for a merged name whose successor rests on dates alone (a person checks it)."""
        return f"({DATES_ONLY_SOURCE})" in self.source


@dataclass(frozen=True, slots=True)
class Province:
    """A current province (or equivalent), with the old names and siglas that lead to it."""

    code: str
    name: str
    sigla: str
    region_code: str
    region: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Region:
    """A region, with the spellings people use for it."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass
class Gazetteer:
    """Every Comune, looked up by ISTAT code, cadastral code or official name.

    Build one with :func:`load_gazetteer`. ``comuni`` maps ISTAT code to
    :class:`~mapgen.model.Comune` for current and retired Comuni alike; use
    :meth:`active` for the current list.
    """

    path: Path
    comuni: Mapping[str, Comune]
    names: tuple[NameEntry, ...]
    provinces: tuple[Province, ...]
    regions: tuple[Region, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def _by_cadastral(self) -> dict[str, list[Comune]]:
        index: dict[str, list[Comune]] = defaultdict(list)
        for comune in self.comuni.values():
            index[comune.cadastral_code.upper()].append(comune)
        return dict(index)

    @cached_property
    def _by_name(self) -> dict[str, list[Comune]]:
        index: dict[str, list[Comune]] = defaultdict(list)
        for comune in self.comuni.values():
            index[comune.name.casefold()].append(comune)
        return dict(index)

    def __len__(self) -> int:
        return len(self.comuni)

    def __iter__(self) -> Iterator[Comune]:
        return iter(self.comuni.values())

    def active(self) -> list[Comune]:
        """Return the current Comuni, in ISTAT code order."""
        return [c for c in self.comuni.values() if c.active]

    def by_code(self, istat_code: str) -> Comune | None:
        """Return the Comune with this ISTAT code (``"001272"``; ``"1272"`` works too)."""
        code = istat_code.strip()
        return self.comuni.get(code.zfill(6) if code.isdigit() else code)

    def by_cadastral(self, cadastral_code: str) -> Comune | None:
        """Return the Comune with this cadastral (Belfiore) code, the current one first."""
        found = self._by_cadastral.get(cadastral_code.strip().upper(), [])
        found = sorted(found, key=lambda c: (not c.active, c.valid_to), reverse=False)
        return found[0] if found else None

    def by_name(self, name: str, *, sigla: str | None = None) -> list[Comune]:
        """Return the Comuni officially called ``name`` (any case), optionally in one province."""
        found = self._by_name.get(name.strip().casefold(), [])
        if sigla:
            found = [c for c in found if c.sigla == sigla.strip().upper()]
        return sorted(found, key=lambda c: (not c.active, c.istat_code))

    @cached_property
    def _current_by_fold(self) -> dict[str, list[Comune]]:
        index: dict[str, list[Comune]] = defaultdict(list)
        for comune in self.active():
            index[fold(comune.name)].append(comune)
        return dict(index)

    def current_named(self, name: str) -> list[Comune]:
        """The current Comuni whose official name is ``name``, accents and case aside, in code order.

        ``"Cantu'"`` finds Cantù; ``"Livo"`` finds two (CO and TN); ``"Paterno"`` finds Paterno (PZ)
        and Paternò (CT), while ``"Paternò"``, written with its accent, finds Paternò only.
        """
        found = self._current_by_fold.get(fold(name), [])
        if len(found) > 1 and name.strip() != strip_accents(name.strip()):
            written = [c for c in found if c.name.casefold() == name.strip().casefold()]
            found = written or found
        return sorted(found, key=lambda c: c.istat_code)

    @cached_property
    def _names_by_fold(self) -> dict[str, list[NameEntry]]:
        index: dict[str, list[NameEntry]] = defaultdict(list)
        for entry in self.names:
            index[entry.name.casefold()].append(entry)
        return dict(index)

    def names_for(self, name: str, *, sigla: str | None = None) -> list[NameEntry]:
        """Return the names.csv entries spelled ``name`` (any case), optionally in one province.

        ``istat_code`` of every entry is a current Comune: ``names_for("Bozen")`` leads
        to Bolzano, ``names_for("Faedo", sigla="TN")`` to San Michele all'Adige.
        """
        found = self._names_by_fold.get(name.strip().casefold(), [])
        if sigla:
            found = [e for e in found if e.sigla == sigla.strip().upper()]
        return sorted(found, key=lambda e: (e.istat_code, e.kind))

    def lookup(
        self, text: str, *, sigla: str | None = None
    ) -> list[tuple[Comune, NameEntry | None]]:
        """Every Comune ``text`` names exactly: official name, code, or a names.csv entry.

        Returns ``(comune, entry)`` pairs; ``entry`` is the names.csv row that led to
        the Comune, or None for an official name or a code. Current Comuni first.
        """
        found: list[tuple[Comune, NameEntry | None]] = [
            (c, None) for c in self.by_name(text, sigla=sigla)
        ]
        for comune in (self.by_code(text), self.by_cadastral(text)):
            if comune is not None and comune not in [c for c, _e in found]:
                found.append((comune, None))
        for entry in self.names_for(text, sigla=sigla):
            comune = self.comuni.get(entry.istat_code)
            if comune is not None and comune not in [c for c, _e in found]:
                found.append((comune, entry))
        return found

    def successor_of(self, comune: Comune) -> Comune | None:
        """Follow ``successor`` links from a retired Comune to a current one."""
        seen: set[str] = set()
        current = comune
        while not current.active and current.successor and current.successor not in seen:
            seen.add(current.successor)
            nxt = self.comuni.get(current.successor)
            if nxt is None:
                return None
            current = nxt
        return current if current.active else None

    @cached_property
    def associations(self) -> tuple[Association, ...]:
        """The associations of Comuni of ``associations.csv`` (none when the file is absent).

        Read on first use, so a build that meets no association never pays for it.
        """
        path = self.path / "associations.csv"
        if not path.exists():
            return ()
        rows = _read_csv(path)
        if rows and set(ASSOCIATION_COLUMNS) - set(rows[0]):
            raise GazetteerError(
                f"{path} lacks columns {sorted(set(ASSOCIATION_COLUMNS) - set(rows[0]))}; "
                "rebuild it with `mapgen gazetteer build`."
            )
        return tuple(
            Association(
                id=r["id"], kind=r["kind"], name=r["name"], region_code=r["region_code"],
                sigla=r["sigla"], members=tuple(c for c in r["members"].split("|") if c),
                vintage=r["vintage"], constituted=r["constituted"], source=r["source"],
            )
            for r in rows
        )

    def association(self, association_id: str) -> Association | None:
        """Return the association with this id (``"UC2080666010"``), or None."""
        return next((a for a in self.associations if a.id == association_id), None)

    @property
    def attribution(self) -> str:
        """The attribution text every output must carry."""
        return str(self.metadata.get("attribution", "Dati: ISTAT; confini: Openpolis (CC-BY 4.0)"))

    def info_lines(self) -> list[str]:
        """Where the gazetteer lives, its counts, validity and attribution: ``mapgen gazetteer info``."""
        active = len(self.active())
        lines = [
            _("Folder:    {folder}", folder=self.path),
            _("Comuni:    {active} current, {retired} retired codes kept", active=active, retired=len(self) - active),
            _("Names:     {count} other-language, former, merged, variant", count=len(self.names)),
            _("Provinces: {provinces}   Regions: {regions}", provinces=len(self.provinces), regions=len(self.regions)),
        ]
        elenco = self.metadata.get("elenco", {})
        if elenco:
            upto = elenco.get("reflects_changes_up_to", "?")
            lines.append(_("Valid:     ISTAT list with the changes up to {date}", date=upto))
        lines.append(_("Attribution: {attribution}", attribution=self.attribution))
        return lines

    # --- boundaries (lazy, geopandas) -------------------------------------------------

    def boundaries(self) -> gpd.GeoDataFrame:
        """Return the Comuni boundaries (``istat_code``, geometry; EPSG:4326)."""
        return _read_boundaries(self.path / "comuni.fgb")

    def province_boundaries(self) -> gpd.GeoDataFrame:
        """Return the province boundaries (``code``, geometry; EPSG:4326)."""
        return _read_boundaries(self.path / "provinces.fgb")

    def region_boundaries(self) -> gpd.GeoDataFrame:
        """Return the region boundaries (``code``, geometry; EPSG:4326)."""
        return _read_boundaries(self.path / "regions.fgb")

    def shapes(self, kind: str) -> Mapping[str, Any]:
        """Boundaries as shapely geometries by code, in the file's order (not to be changed):
        ``comuni`` (ISTAT code), ``provinces``, ``regions``.

        What the writers and point in polygon need, without pandas or geopandas (half a second
        to import, 100 MB in a process): read by ``pyogrio.raw`` (:func:`_read_shapes`), or
        :meth:`BoundaryShapes.adopt`-ed from another process that read them (:meth:`read_shapes`).
        """
        file, column = BOUNDARY_FILES[kind]
        path = self.path / file
        if path not in _SHAPES:
            _SHAPES[path] = _read_shapes(path, column)
        return _SHAPES[path]

    def read_shapes(self) -> BoundaryShapes:
        """Every kind of boundary (:meth:`shapes`), to hand to another process."""
        return BoundaryShapes({self.path / file: self.shapes(kind) for kind, (file, _c) in BOUNDARY_FILES.items()})


#: The boundary files: kind -> file and the column of its code.
BOUNDARY_FILES: Final = {
    "comuni": ("comuni.fgb", "istat_code"),
    "provinces": ("provinces.fgb", "code"),
    "regions": ("regions.fgb", "code"),
}

_BOUNDARY_CACHE: dict[Path, Any] = {}
_SHAPES: dict[Path, dict[str, Any]] = {}


@dataclass(frozen=True)
class BoundaryShapes:
    """Boundaries read in one process for another (:meth:`Gazetteer.read_shapes`).

    Pickled as WKB, which shapely writes and reads for all the geometries in one call each
    (exact: the same coordinates come back); the process that receives them
    :meth:`adopt`-s them and never imports geopandas for its writers.
    """

    by_file: Mapping[Path, Mapping[str, Any]]

    def __reduce__(self) -> tuple[Any, ...]:
        import shapely

        return (_shapes_from_wkb, ({path: (list(shapes), shapely.to_wkb(list(shapes.values())).tolist())
                                    for path, shapes in self.by_file.items()},))

    def adopt(self) -> None:
        """Use these boundaries in this process where it has not read them itself."""
        for path, shapes in self.by_file.items():
            _SHAPES.setdefault(path, dict(shapes))


def _shapes_from_wkb(wkb: Mapping[Path, tuple[list[str], list[bytes]]]) -> BoundaryShapes:
    import shapely

    return BoundaryShapes({path: dict(zip(codes, shapely.from_wkb(blobs), strict=True))
                           for path, (codes, blobs) in wkb.items()})


def _read_shapes(path: Path, column: str) -> dict[str, Any]:
    """A boundary file's geometries by code, in the file's order, as ``geopandas.read_file``
    reads them (pyogrio's WKB through ``shapely.from_wkb``) but without a DataFrame: a process
    that only places or draws never imports pandas or geopandas for them."""
    if path in _BOUNDARY_CACHE:  # read as a frame already
        frame = _BOUNDARY_CACHE[path]
        return dict(zip(frame[column], frame.geometry.values, strict=True))
    _must_exist(path)
    import pyogrio.raw
    import shapely

    _meta, _fids, geometry, (codes,) = pyogrio.raw.read(path, columns=[column])
    return dict(zip(codes.tolist(), shapely.from_wkb(geometry), strict=True))


def _read_boundaries(path: Path) -> gpd.GeoDataFrame:
    if path not in _BOUNDARY_CACHE:
        _must_exist(path)
        import geopandas as gpd

        _BOUNDARY_CACHE[path] = gpd.read_file(path, engine="pyogrio")
    return _BOUNDARY_CACHE[path].copy()


def _must_exist(path: Path) -> None:
    if not path.is_file():
        raise GazetteerError(f"{path.name} is missing from {path.parent}; run `mapgen gazetteer build`.")


def _read_csv(path: Path) -> list[dict[str, str]]:
    _must_exist(path)
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _optional_int(text: str) -> int | None:
    return int(text) if text.strip() else None


def _comune_from_row(row: Mapping[str, str]) -> Comune:
    return Comune(
        istat_code=row["istat_code"],
        name=row["name"],
        name_other=row["name_other"],
        cadastral_code=row["cadastral_code"],
        province_code=row["province_code"],
        province=row["province"],
        sigla=row["sigla"],
        region_code=row["region_code"],
        region=row["region"],
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        population=_optional_int(row["population"]),
        population_0_17=_optional_int(row["population_0_17"]),
        active=row["active"] == "1",
        valid_to=row["valid_to"],
        successor=row["successor"],
    )


def _split_aliases(text: str) -> tuple[str, ...]:
    return tuple(a for a in text.split("|") if a)


def _load(path: Path) -> Gazetteer:
    rows = _read_csv(path / "comuni.csv")
    if rows and set(COMUNI_COLUMNS) - set(rows[0]):
        missing = sorted(set(COMUNI_COLUMNS) - set(rows[0]))
        raise GazetteerError(
            f"{path / 'comuni.csv'} lacks columns {missing}; "
            "rebuild it with `mapgen gazetteer build`."
        )
    try:
        comuni = {row["istat_code"]: _comune_from_row(row) for row in rows}
    except (KeyError, ValueError) as exc:
        raise GazetteerError(
            f"{path / 'comuni.csv'} is malformed ({exc}); rebuild it with `mapgen gazetteer build`."
        ) from exc
    names = (
        tuple(NameEntry(**row) for row in _read_csv(path / "names.csv"))
        if (path / "names.csv").exists()
        else ()
    )
    provinces = tuple(
        Province(
            code=r["code"],
            name=r["name"],
            sigla=r["sigla"],
            region_code=r["region_code"],
            region=r["region"],
            aliases=_split_aliases(r.get("aliases", "")),
        )
        for r in _read_csv(path / "provinces.csv")
    )
    regions = tuple(
        Region(code=r["code"], name=r["name"], aliases=_split_aliases(r.get("aliases", "")))
        for r in _read_csv(path / "regions.csv")
    )
    meta_path = path / "metadata.json"
    metadata = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    return Gazetteer(
        path=path,
        comuni=comuni,
        names=names,
        provinces=provinces,
        regions=regions,
        metadata=metadata,
    )


_CACHE: dict[Path, Gazetteer] = {}


def gazetteer_at(path: Path) -> Gazetteer:
    """Read the gazetteer in ``path`` afresh, bypassing the cache (for a folder being built)."""
    return _load(path.resolve())


def load_gazetteer(path: Path | str | None = None) -> Gazetteer:
    """Load the gazetteer (the shipped one by default); cached per folder.

    Parameters
    ----------
    path
        Folder holding ``comuni.csv`` and its companions; defaults to the
        gazetteer that ships with mapgen.
    """
    folder = Path(path) if path is not None else gazetteer_dir()
    folder = folder.resolve()
    if folder not in _CACHE:
        _CACHE[folder] = _load(folder)
        log.debug("loaded gazetteer from %s: %d Comuni", folder, len(_CACHE[folder]))
    return _CACHE[folder]
