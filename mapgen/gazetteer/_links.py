"""Link Comuni that ceased to exist to the Comune that took them over.

No offline source says "Comune A was merged into B" for mergers since 1990, so
the links are derived from the registry archive (ANPR, via python-codicefiscale),
which records every name with the dates it was valid:

``registry``
    A predecessor ended on day D and exactly one Comune was created (or renamed)
    on D or D+1 in the same province, and either it was the only one to end that
    day there or a word of its name is in the new one's.
``registry-dates``
    As ``registry``, but several Comuni ended that day in the province and no word
    of the predecessor's name is in the new one: only the dates tie them, and an
    incorporation into an existing Comune on the same day looks the same
    (Cavallasca). Kept, but uncertain: the geocoder sends its names to a person.
``registry+name``
    Several were created; exactly one has a word of the predecessor's name in
    its own ("Bigarello" -> "San Giorgio Bigarello").
``registry+elimination``
    The others were matched by name and exactly one new Comune had none left.
``same-cadastral``
    A retired ISTAT code whose cadastral code lives on under a new ISTAT code
    (a Comune that changed province keeps its cadastral code).
``boundary``
    No registry evidence, but at least 90% of the retired Comune's boundary lies
    in one current Comune (needs boundaries newer than the merger).
``manual``
    From ``gazetteer/sources/successors_manual.csv``, for cases the rules above
    cannot decide; each row states the merger it records and is checked against
    the registry (dates and province) before it is used.

Each link also records a ``check`` where boundaries allow one: ``within`` (the
predecessor lies inside its successor's newer boundary) or ``touches`` (it
borders the other Comuni of the same merger).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mapgen.errors import GazetteerError
from mapgen.gazetteer._sources import RegistryRecord
from mapgen.gazetteer.shipped import DATES_ONLY_SOURCE
from mapgen.text import fold

__all__ = [
    "DATES_ONLY",
    "DATES_ONLY_SOURCE",
    "LINKS_SINCE",
    "Ended",
    "Link",
    "derive_links",
    "italian_case",
    "read_manual_links",
]

#: Method of a link that rests on dates alone: its names go to a person (``to_check``).
DATES_ONLY = "registry-dates"
#: Mergers before this day are not linked (people still type names of the 1990s mergers).
LINKS_SINCE = "1990-01-01"
MANUAL_COLUMNS = ("name", "sigla", "valid_to", "successor", "successor_sigla", "evidence")
# Words too common in Comune names to tell two mergers apart.
_COMMON = frozenset((
    "san", "santa", "santo", "sant", "valle", "val", "monte", "castel", "castello", "borgo",
    "villa", "terme", "marina", "superiore", "inferiore", "alto", "alta", "basso", "bassa",
    "nuovo", "nuova", "vecchio", "calabro", "sicula", "canavese", "vicentino", "monferrato",
))  # fmt: skip
_PARTICLES = frozenset((
    "di", "da", "de", "del", "dello", "della", "dei", "degli", "delle", "sul", "sulla", "sullo",
    "sui", "al", "alla", "allo", "ai", "agli", "alle", "nel", "nella", "nei", "e", "ed", "con",
    "in", "an", "der", "im", "am", "bei", "auf", "ob",
))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ended:
    """A Comune (one registry name) that ceased to exist on ``valid_to``."""

    name: str
    sigla: str
    cadastral_code: str
    valid_to: str
    istat_code: str = ""  # when an older ISTAT list still had it


@dataclass(frozen=True, slots=True)
class Link:
    """How an ended Comune leads to a current one (``successor`` empty when unknown)."""

    ended: Ended
    successor: str  # ISTAT code of the current Comune that holds its territory
    via: str  # name of the Comune it merged into (may itself have merged later)
    method: str
    evidence: str
    check: str = ""


def italian_case(name: str) -> str:
    """Undo the registry's title case: ``"Fiera Di Primiero"`` -> ``"Fiera di Primiero"``."""
    words = name.split(" ")
    out = [words[0]]
    for word in words[1:]:
        head, apostrophe, tail = word.partition("'")
        if word.casefold() in _PARTICLES:
            out.append(word.lower())
        elif apostrophe and head.casefold() in {"d", "dell", "sull", "all", "nell"}:
            out.append(f"{head.lower()}'{tail}")
        else:
            out.append(word)
    return " ".join(out)


def _next_day(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


# --- the manual table ---------------------------------------------------------------------


def read_manual_links(path: Path) -> list[dict[str, str]]:
    """Read the hand-kept successor table (checked against the registry when used)."""
    if not path.is_file():
        raise GazetteerError(f"{path}: missing; restore it from the mapgen repository.")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in MANUAL_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise GazetteerError(
                f"{path}: missing column(s) {missing}; expected {list(MANUAL_COLUMNS)}."
            )
        return list(reader)


# --- the derivation -----------------------------------------------------------------------


@dataclass
class _Context:
    """Lookups shared by the rules."""

    registry: list[RegistryRecord]
    active: Mapping[str, str]  # cadastral code -> ISTAT code of the current Comune
    names: Mapping[str, str]  # ISTAT code -> official name (current and retired)
    active_keys: Mapping[str, tuple[str, str]]  # ISTAT code -> (folded name, sigla), current

    def __post_init__(self) -> None:
        self.by_cadastral: dict[str, list[RegistryRecord]] = defaultdict(list)
        self.created: dict[tuple[str, str], list[RegistryRecord]] = defaultdict(list)
        for record in self.registry:
            self.by_cadastral[record.cadastral_code].append(record)
            if record.created:
                self.created[(record.created, record.sigla)].append(record)


def _continued(record: RegistryRecord, ctx: _Context) -> bool:
    """True when the same cadastral code carries on the next day (a rename or a move)."""
    days = {record.deleted, _next_day(record.deleted)}
    return any(
        o is not record and o.created in days for o in ctx.by_cadastral[record.cadastral_code]
    )


def ended_comuni(ctx: _Context, retired: Mapping[str, tuple[str, str, str]]) -> list[Ended]:
    """Every Comune the registry ends between LINKS_SINCE and the list, plus retired codes.

    ``retired`` maps a retired ISTAT code to its (name, sigla, cadastral code).
    """
    by_cadastral = {cad: code for code, (_n, _s, cad) in retired.items()}
    ended = []
    for record in ctx.registry:
        if (
            not record.deleted
            or not record.deleted >= LINKS_SINCE
            or record.cadastral_code in ctx.active
        ):
            continue
        if _continued(record, ctx):
            continue
        code = by_cadastral.pop(record.cadastral_code, "")
        name = ctx.names.get(code) or italian_case(record.name)
        ended.append(Ended(name, record.sigla, record.cadastral_code, record.deleted, code))
    for cadastral, code in sorted(by_cadastral.items()):
        name, sigla, _cadastral = retired[code]
        ended.append(Ended(name, sigla, cadastral, "", code))  # not in the registry window
    return sorted(ended, key=lambda e: (e.valid_to, e.sigla, e.name))


def _candidates(group: list[Ended], ctx: _Context) -> list[RegistryRecord]:
    first = group[0]
    days = (first.valid_to, _next_day(first.valid_to))
    own = {e.cadastral_code for e in group}
    found = [r for d in days for r in ctx.created[(d, first.sigla)] if r.cadastral_code not in own]
    return sorted(found, key=lambda r: (r.cadastral_code, r.created))


def _words(name: str) -> list[str]:
    return [w for w in fold(name).split() if len(w) >= 4 and w not in _COMMON]


def _name_matches(ended: Ended, candidate: RegistryRecord) -> bool:
    target = fold(candidate.name)
    joined = target.replace(" ", "")
    return any(w in target.split() or (len(w) >= 6 and w in joined) for w in _words(ended.name))


def _evidence(ended: Ended, candidate: RegistryRecord | None, extra: str = "") -> str:
    text = f"registry: {ended.name} ({ended.cadastral_code}, {ended.sigla}) ended {ended.valid_to}"
    if candidate is not None:
        successor = f"{italian_case(candidate.name)} ({candidate.cadastral_code})"
        text += f"; {successor} from {candidate.created}"
    return text + (f"; {extra}" if extra else "")


def _assign_group(group: list[Ended], ctx: _Context) -> dict[Ended, tuple[RegistryRecord, str]]:
    """Apply the registry rules to the Comuni ended on one day in one province."""
    candidates = _candidates(group, ctx)
    if len(candidates) == 1:
        only = candidates[0]
        return {e: (only, _one_created(e, only, group)) for e in group}
    chosen: dict[Ended, tuple[RegistryRecord, str]] = {}
    for ended in group:
        hits = [c for c in candidates if _name_matches(ended, c)]
        if len(hits) == 1:
            chosen[ended] = (hits[0], "registry+name")
    left = [e for e in group if e not in chosen]
    needy = _needy(candidates, chosen, ctx)
    # A new Comune is the fusion of at least two: when exactly as many predecessors
    # are left as one new Comune still lacks, they are its.
    if left and len(needy) == 1 and needy[0][1] == len(left):
        chosen.update({e: (needy[0][0], "registry+elimination") for e in left})
    return chosen


def _one_created(ended: Ended, created: RegistryRecord, group: list[Ended]) -> str:
    """``registry`` when more than the date ties the two, else ``registry-dates`` (uncertain).

    One Comune created that day in the province is no proof: on the day Alta Valle
    Intelvi was created (CO, 2017) Cavallasca ended too, absorbed by San Fermo della
    Battaglia, which already existed. The link holds when the ended Comune was the
    only one to end that day there (a rename) or a word of its name is in the new one.
    """
    if len(group) == 1 or _name_matches(ended, created):
        return "registry"
    return DATES_ONLY


def _needy(
    candidates: list[RegistryRecord],
    chosen: Mapping[Ended, tuple[RegistryRecord, str]],
    ctx: _Context,
) -> list[tuple[RegistryRecord, int]]:
    """New Comuni (new cadastral code) of the group that have fewer than two predecessors."""
    counts: dict[str, int] = defaultdict(int)
    for record, _method in chosen.values():
        counts[record.cadastral_code] += 1
    needy = []
    for c in candidates:
        is_new = all(r.created >= c.created for r in ctx.by_cadastral[c.cadastral_code])
        if is_new and counts[c.cadastral_code] < 2:
            needy.append((c, 2 - counts[c.cadastral_code]))
    return needy


def _manual_index(rows: Iterable[dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    return {(fold(r["name"]), r["sigla"].strip().upper()): r for r in rows}


def _manual_link(
    ended: Ended, row: dict[str, str], candidates: list[RegistryRecord], ctx: _Context, path: str
) -> tuple[str, str]:
    """Return (successor ISTAT code, its name) for a manual row, after checking it.

    ("", "") when the successor is a real Comune the Elenco lacks (a partial list).
    """
    wanted = (fold(row["successor"]), row["successor_sigla"].strip().upper())
    found = [code for code, key in ctx.active_keys.items() if key == wanted]
    codes = {ctx.active.get(c.cadastral_code, "") for c in candidates}
    if not found and _open_in_registry(wanted, ctx):
        return "", ""
    problem = ""
    if len(found) != 1:
        problem = f"successor {row['successor']!r} ({wanted[1]}) is not one current Comune"
    elif row.get("valid_to") and row["valid_to"] != ended.valid_to:
        problem = f"valid_to {row['valid_to']} but the registry ends it on {ended.valid_to}"
    elif found[0] not in codes and not _existed(found[0], ended.valid_to, ctx):
        problem = f"{row['successor']!r} neither was created that day nor existed before"
    elif wanted[1] != ended.sigla:
        problem = f"successor is in {wanted[1]}, the Comune was in {ended.sigla}"
    if problem:
        raise GazetteerError(
            f"{path}: row for {row['name']!r} ({row['sigla']}): {problem}. Fix the row."
        )
    return found[0], ctx.names[found[0]]


def _open_in_registry(key: tuple[str, str], ctx: _Context) -> bool:
    """True when the registry has a Comune with this (folded name, sigla) still in use."""
    return any(not r.deleted and (fold(r.name), r.sigla) == key for r in ctx.registry)


def _existed(code: str, day: str, ctx: _Context) -> bool:
    """True when the current Comune ``code`` already existed on ``day`` (an incorporation)."""
    cadastral = next((cad for cad, c in ctx.active.items() if c == code), "")
    return any(r.created and r.created <= day for r in ctx.by_cadastral.get(cadastral, []))


def _resolve(cadastral: str, links: Mapping[str, Link], ctx: _Context) -> str:
    """Follow later mergers until a current Comune: cadastral code -> ISTAT code."""
    seen: set[str] = set()
    while cadastral not in ctx.active:
        link = links.get(cadastral)
        if link is None or cadastral in seen or not link.successor.startswith("cad:"):
            return (
                link.successor if link is not None and not link.successor.startswith("cad:") else ""
            )
        seen.add(cadastral)
        cadastral = link.successor[4:]
    return ctx.active[cadastral]


def _group_links(
    group: list[Ended],
    ctx: _Context,
    manual: Mapping[tuple[str, str], dict[str, str]],
    manual_path: str,
) -> list[Link]:
    candidates = _candidates(group, ctx) if group[0].valid_to else []
    chosen = _assign_group(group, ctx) if candidates else {}
    links = []
    for ended in group:
        row = manual.get((fold(ended.name), ended.sigla))
        if row is not None:
            code, name = _manual_link(ended, row, candidates, ctx, manual_path)
            method = "manual" if code else "unresolved"
            links.append(Link(ended, code, name, method, _evidence(ended, None, row["evidence"])))
        elif ended in chosen:
            record, method = chosen[ended]
            target = ctx.active.get(record.cadastral_code) or f"cad:{record.cadastral_code}"
            links.append(
                Link(ended, target, italian_case(record.name), method, _evidence(ended, record))
            )
        else:
            names = ", ".join(italian_case(c.name) for c in candidates) or "none"
            links.append(
                Link(
                    ended,
                    "",
                    "",
                    "unresolved",
                    _evidence(ended, None, f"created that day: {names}"),
                )
            )
    return links


def _same_cadastral(ended: Ended, ctx: _Context) -> Link | None:
    code = ctx.active.get(ended.cadastral_code)
    if code is None:
        return None
    evidence = (
        f"ISTAT code {ended.istat_code} retired; "
        f"cadastral code {ended.cadastral_code} is now {code}"
    )
    return Link(ended, code, ctx.names[code], "same-cadastral", evidence)


def derive_links(
    registry: list[RegistryRecord],
    *,
    active: Mapping[str, tuple[str, str, str]],
    retired: Mapping[str, tuple[str, str, str]],
    manual: Iterable[dict[str, str]],
    manual_path: str = "successors_manual.csv",
) -> list[Link]:
    """Link every Comune ended since LINKS_SINCE (and every retired code) to its successor.

    Parameters
    ----------
    registry
        The registry archive.
    active, retired
        ISTAT code -> (name, sigla, cadastral code) of the current Comuni and of the
        codes older lists had and the newest one lost.
    manual
        Rows of the hand-kept table (see :func:`read_manual_links`).

    Returns
    -------
    list of Link
        One per ended Comune; ``successor`` is a current ISTAT code or empty.
    """
    ctx = _Context(
        registry,
        active={cad: code for code, (_n, _s, cad) in active.items()},
        names={code: n for code, (n, _s, _c) in {**retired, **active}.items()},
        active_keys={code: (fold(n), s) for code, (n, s, _c) in active.items()},
    )
    groups: dict[tuple[str, str], list[Ended]] = defaultdict(list)
    direct = []
    for ended in ended_comuni(ctx, retired):
        moved = _same_cadastral(ended, ctx) if ended.istat_code else None
        if moved is not None:
            direct.append(moved)
        else:
            groups[(ended.valid_to, ended.sigla)].append(ended)
    index = _manual_index(manual)
    links = direct + [
        link
        for key in sorted(groups)
        for link in _group_links(groups[key], ctx, index, manual_path)
    ]
    by_cadastral = {link.ended.cadastral_code: link for link in links}
    return [_finish(link, by_cadastral, ctx) for link in links]


def _finish(link: Link, by_cadastral: Mapping[str, Link], ctx: _Context) -> Link:
    if not link.successor.startswith("cad:"):
        return link
    final = _resolve(link.successor[4:], by_cadastral, ctx)
    if final:
        return replace(link, successor=final)
    note = f"; {link.via} is not in the Elenco"
    return replace(link, successor="", method="unresolved", evidence=link.evidence + note)


def link_rows(links: Iterable[Link], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Rows of ``successors.csv``: one per ended Comune, how its successor was established."""
    rows = []
    for link in links:
        e = link.ended
        rows.append(
            {
                "name": e.name,
                "sigla": e.sigla,
                "cadastral_code": e.cadastral_code,
                "istat_code": e.istat_code,
                "valid_to": e.valid_to,
                "successor": link.successor,
                "successor_name": names.get(link.successor, ""),
                "merged_into": link.via,
                "method": link.method,
                "check": link.check,
                "evidence": link.evidence,
            }
        )
    return sorted(
        rows, key=lambda r: (r["valid_to"], r["sigla"], fold(r["name"]), r["cadastral_code"])
    )
