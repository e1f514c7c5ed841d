"""The register of associations of Comuni (``associations.csv``), built from its source files.

The one source today is the Interior Ministry's (DAIT) register of Unioni di Comuni, 2020
snapshot (``sources/unioni_comuni_dait_2020.csv``; origin and licence in the gazetteer's
README). It lists each Unione with its region, province, date of constitution and member
Comuni by name (upper case, no ISTAT codes, no seat). Members are resolved through the
gazetteer itself, within the Unione's region: the official name, the other-language name,
then ``names.csv`` (historical, merged) and retired codes, so a Comune merged since 2020
leads to its successor (the link is kept in ``notes``).

Written columns (:data:`ASSOCIATION_COLUMNS`): ``id`` (``UC`` + DAIT's 10-digit code),
``kind``, ``name`` (as registered, in title case), ``region_code``, ``sigla`` (the province
most members are in today), ``province_listed`` (as registered), ``constituted`` (ISO date),
``vintage`` (the register's year), ``listed`` (members the register lists), ``members``
(current ISTAT codes, ``|``-separated), ``unresolved`` (listed names no Comune matched),
``notes`` (members reached through a merger), ``source``.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapgen.errors import GazetteerError
from mapgen.gazetteer.shipped import ASSOCIATION_COLUMNS, Gazetteer
from mapgen.model import Comune
from mapgen.text import fold

__all__ = ["DAIT_SOURCE", "AssociationsReport", "build_associations", "read_dait_register"]

log = logging.getLogger(__name__)

#: The DAIT register as downloaded, in ``gazetteer/sources``.
DAIT_SOURCE = "unioni_comuni_dait_2020.csv"
DAIT_VINTAGE = "2020"
_DAIT_HEADER = (
    "NR.", "CODICE UNIONE", "REGIONE", "PROVINCIA", "DESCRIZIONE UNIONE DI COMUNI",
    "DATA COSTITUZIONE", "NR. COMUNI", "COMUNI APPARTENENTI ALL'UNIONE",
)
_MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"), start=1
)}


@dataclass(frozen=True)
class RegisteredUnion:
    """One Unione as the DAIT register lists it."""

    code: str
    region: str
    province: str
    name: str
    constituted: str
    count: int
    members: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class AssociationsReport:
    """What :func:`build_associations` wrote: counts worth printing."""

    associations: int
    listed: int
    resolved: int
    through_successors: int
    unresolved: tuple[str, ...]

    def lines(self) -> list[str]:
        """One line of counts, then each member no Comune matched."""
        if not self.associations:
            return [f"Associations: none (no {DAIT_SOURCE} in the sources folder)"]
        return [
            f"Associations: {self.associations} Unioni di Comuni (DAIT {DAIT_VINTAGE}); "
            f"{self.resolved} of {self.listed} members resolved, "
            f"{self.through_successors} through a later merger",
            *(f"  member not resolved: {item}" for item in self.unresolved),
        ]


def _iso_date(text: str, where: str) -> str:
    """``12-Feb-2013`` / ``1-Gen-2004`` (Italian month) -> ``2013-02-12``."""
    parts = text.strip().split("-")
    if len(parts) != 3 or parts[1].casefold() not in _MONTHS or not parts[0].isdigit():
        raise GazetteerError(f"{where}: date {text!r} is not like '1-Gen-2004'; fix the cell.")
    return f"{parts[2]}-{_MONTHS[parts[1].casefold()]}-{int(parts[0]):02d}"


def read_dait_register(path: Path) -> list[RegisteredUnion]:
    """Read the DAIT register (``;``-separated; an Unione's line, then one line per member)."""
    try:
        text = path.read_bytes().decode("cp1252")
    except OSError as exc:
        raise GazetteerError(f"{path}: cannot read the DAIT register ({exc.strerror}).") from exc
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    if not rows or tuple(c.strip() for c in rows[0][: len(_DAIT_HEADER)]) != _DAIT_HEADER:
        raise GazetteerError(
            f"{path}: not the DAIT register of Unioni (expected the columns {list(_DAIT_HEADER)})."
        )
    unions: list[RegisteredUnion] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row] + [""] * (8 - len(row))
        where = f"{path.name}, line {number}"
        if cells[1]:
            unions.append(RegisteredUnion(
                code=cells[1], region=cells[2], province=cells[3], name=cells[4],
                constituted=_iso_date(cells[5], where), count=int(cells[6] or 0),
                members=(), line=number,
            ))
        elif cells[7] and unions:
            last = unions[-1]
            unions[-1] = RegisteredUnion(**{**last.__dict__, "members": (*last.members, cells[7])})
        elif any(cells):
            raise GazetteerError(f"{where}: a member line before any Unione; fix the file.")
    for union in unions:
        if union.count != len(union.members):
            log.warning("%s: %s lists %d members, says %d", path.name, union.name,
                        len(union.members), union.count)
    return unions


class _Resolver:
    """Member names -> current Comuni, within one region, through the gazetteer's names."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gaz = gazetteer
        self._by_fold: dict[str, list[tuple[Comune, str]]] = {}
        for comune in gazetteer:
            for name in {comune.name, comune.name_other, *comune.name.split("/")} - {""}:
                self._add(name, comune, "")
        for entry in gazetteer.names:
            target = gazetteer.comuni.get(entry.istat_code)
            if target is not None:
                note = f"{entry.name} -> {target.name} ({target.istat_code})" \
                    if entry.kind == "merged" else ""
                self._add(entry.name, target, note)
        self._regions = {
            fold(alias): region.code
            for region in gazetteer.regions
            for alias in (region.name, *region.aliases)
        }

    def _add(self, name: str, comune: Comune, note: str) -> None:
        self._by_fold.setdefault(fold(name), []).append((comune, note))

    def region_code(self, region: str) -> str:
        """The region's code, ``""`` when the gazetteer has no such region (a partial list)."""
        return self._regions.get(fold(region), "")

    def resolve(self, name: str, region_code: str) -> tuple[Comune, str] | None:
        """The one current Comune of this region called ``name``, and how (a merger note).

        A name found in no Comune of the region but in exactly one elsewhere is taken, with a
        note: Sappada, listed in 2020 by a Veneto Unione, has been in Friuli since 2017.
        """
        found = self._found(name, region_code)
        if not found:
            found = {
                code: (comune, note or f"{name.title()}: oggi in {comune.region} ({comune.sigla})")
                for code, (comune, note) in self._found(name, None).items()
            }
        return next(iter(found.values())) if len(found) == 1 else None

    def _found(self, name: str, region_code: str | None) -> dict[str, tuple[Comune, str]]:
        found: dict[str, tuple[Comune, str]] = {}
        for comune, note in self._by_fold.get(fold(name), []):
            current = comune if comune.active else self._gaz.successor_of(comune)
            if current is None or region_code not in (None, current.region_code):
                continue
            if current is not comune:
                note = f"{comune.name} -> {current.name} ({current.istat_code})"
            if current.istat_code not in found or not note:
                found[current.istat_code] = (current, note)
        return found


_SMALL = frozenset({"di", "dei", "del", "della", "delle", "dello", "degli", "e", "ed", "tra", "fra",
                    "in", "al", "alla", "alle", "sul", "sulla", "d", "l", "dell", "dall", "nel", "a"})


def _title(text: str) -> str:
    """``UNIONE DEI COMUNI DELLA BASSA ROMAGNA`` -> ``Unione dei Comuni della Bassa Romagna``."""
    import re

    def word(found: re.Match[str]) -> str:
        w = found.group(0)
        return w if found.start() and w in _SMALL else w[:1].upper() + w[1:]

    lower = " ".join(text.lower().split())
    return re.sub(r"[a-z]+", word, lower).replace("Comunita'", "Comunità")


def association_rows(
    unions: Sequence[RegisteredUnion], gazetteer: Gazetteer
) -> Iterator[dict[str, str]]:
    """One ``associations.csv`` row per Unione, members resolved through ``gazetteer``."""
    resolver = _Resolver(gazetteer)
    for union in sorted(unions, key=lambda u: u.code):
        region = resolver.region_code(union.region)
        if not region:  # a gazetteer of some regions only (the ISTAT test fixtures)
            log.info("association %s left out: region %r not in the gazetteer", union.code, union.region)
            continue
        codes: list[str] = []
        unresolved, notes = [], []
        for name in union.members:
            found = resolver.resolve(name, region)
            if found is None:
                unresolved.append(name)
                continue
            comune, note = found
            if comune.istat_code not in codes:
                codes.append(comune.istat_code)
            if note:
                notes.append(note)
        siglas = Counter(gazetteer.comuni[c].sigla for c in codes)
        yield {
            "id": f"UC{union.code}", "kind": "unione", "name": _title(union.name),
            "region_code": region, "sigla": siglas.most_common(1)[0][0] if siglas else "",
            "province_listed": union.province, "constituted": union.constituted,
            "vintage": DAIT_VINTAGE, "listed": str(len(union.members)),
            "members": "|".join(sorted(codes)), "unresolved": "|".join(unresolved),
            "notes": "|".join(notes), "source": f"{DAIT_SOURCE}:{union.line}",
        }


def build_associations(
    out_dir: Path, *, sources_dir: Path, gazetteer: Gazetteer
) -> AssociationsReport:
    """Write ``associations.csv`` in ``out_dir`` from the register in ``sources_dir``.

    Parameters
    ----------
    out_dir
        The gazetteer folder being built.
    sources_dir
        Folder holding :data:`DAIT_SOURCE`.
    gazetteer
        The gazetteer the members resolve against (the one just written in ``out_dir``).
    """
    source = sources_dir / DAIT_SOURCE
    unions = read_dait_register(source) if source.exists() else []
    if not unions:
        log.warning("%s not found: associations.csv is written empty", source)
    rows = list(association_rows(unions, gazetteer))
    path = out_dir / "associations.csv"
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ASSOCIATION_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    listed = sum(int(r["listed"]) for r in rows)
    missing = tuple(f"{name} ({r['name']})" for r in rows for name in r["unresolved"].split("|")
                    if name)
    return AssociationsReport(
        associations=len(rows), listed=listed, resolved=listed - len(missing),
        through_successors=sum(" -> " in n for r in rows for n in r["notes"].split("|")),
        unresolved=missing,
    )
