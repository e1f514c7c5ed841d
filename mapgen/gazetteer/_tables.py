"""The province and region tables of the gazetteer, with the names people use for them.

Aliases come from the hand-kept ``gazetteer/sources/aliases.csv``. A target is a
current province sigla (``BZ``), a region code (``04``), or a rule that finds the
provinces holding the Comuni of an old province: ``code110:107`` means "the
Comuni whose ISTAT code in the 110-province coding (2010-2016) began with 107"
(Carbonia-Iglesias). Rules are resolved against the Elenco being built, so an old
province split between two current ones lists its name on both, and the table
survives a new ISTAT list that renames or renumbers provinces.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mapgen.errors import GazetteerError
from mapgen.text import fold

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AliasTable", "province_table", "read_aliases", "region_table"]

ALIAS_COLUMNS = ("level", "target", "alias", "kind", "note")
_TARGETS = {
    "comune": re.compile(r"\d{6}"),
    "province": re.compile(r"[A-Z]{2}|code(110|107|103):\d{3}"),
    "region": re.compile(r"\d{2}"),
}


@dataclass(frozen=True)
class AliasTable:
    """Aliases resolved to codes: ``province[code]`` / ``region[code]`` -> names."""

    province: dict[str, list[str]]
    region: dict[str, list[str]]
    unresolved: list[str]


def _check_alias_rows(rows: list[dict[str, str]], path: Path) -> None:
    problems = []
    for number, row in enumerate(rows, start=2):
        pattern = _TARGETS.get(row.get("level", ""))
        if pattern is None:
            problems.append(
                f"row {number}, column 'level': {row.get('level')!r} (use comune, province or region)"
            )
        elif not pattern.fullmatch(row.get("target", "")):
            problems.append(f"row {number}, column 'target': {row.get('target')!r}")
        if not row.get("alias", "").strip():
            problems.append(f"row {number}, column 'alias': empty")
    if problems:
        raise GazetteerError(
            f"{path}: " + "; ".join(problems) + ". Targets are a province sigla (BZ), "
            "a rule such as code110:107, or a two-digit region code."
        )


def read_aliases(path: Path) -> list[dict[str, str]]:
    """Read and check the hand-kept alias table."""
    if not path.is_file():
        raise GazetteerError(f"{path}: missing; restore it from the mapgen repository.")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ALIAS_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise GazetteerError(
                f"{path}: missing column(s) {missing}; expected {list(ALIAS_COLUMNS)}."
            )
        rows = list(reader)
    _check_alias_rows(rows, path)
    return rows


def _province_codes(target: str, elenco: pd.DataFrame) -> list[str]:
    if ":" in target:
        column, prefix = target.split(":")
        found = elenco.loc[elenco[column].str[:3] == prefix, "province_code"]
    else:
        found = elenco.loc[elenco["sigla"] == target, "province_code"]
    return sorted(set(found))


def _add(table: dict[str, list[str]], code: str, alias: str, *own: str) -> None:
    # Keep spelling variants ("Forli Cesena" beside "Forlì-Cesena"): consumers may not fold.
    known = {*(o.casefold() for o in own), *(a.casefold() for a in table[code])}
    if alias.casefold() not in known:
        table[code].append(alias)


def _own(names: pd.DataFrame, code: str) -> tuple[str, str]:
    return str(names.at[code, "province"]), str(names.at[code, "sigla"])


def _moved_comuni_aliases(elenco: pd.DataFrame, provinces: dict[str, list[str]]) -> None:
    """Give a province the name and sigla of the province its Comuni had in 2010-2016.

    E.g. Montecopiolo moved from Pesaro e Urbino (PU) to Rimini in 2021, so a
    2019 record says "PU": Rimini gets the aliases "Pesaro e Urbino" and "PU".
    """
    old = elenco["code110"].str[:3]
    names = elenco.drop_duplicates("province_code").set_index("province_code")
    moved = elenco[(old != elenco["province_code"]) & old.isin(names.index)]
    for code, old_code in sorted(
        set(zip(moved["province_code"], moved["code110"].str[:3], strict=True))
    ):
        for alias in (names.at[old_code, "province"], names.at[old_code, "sigla"]):
            _add(provinces, code, str(alias), *_own(names, code))


def resolve_aliases(rows: list[dict[str, str]], elenco: pd.DataFrame) -> AliasTable:
    """Resolve every alias row to the current province or region codes it leads to."""
    names = elenco.drop_duplicates("province_code").set_index("province_code")
    region_names = dict(zip(elenco["region_code"], elenco["region"], strict=False))
    provinces: dict[str, list[str]] = defaultdict(list)
    regions: dict[str, list[str]] = defaultdict(list)
    unresolved = []
    for row in rows:
        alias = row["alias"].strip()
        if row["level"] == "comune":
            continue  # names of Comuni go to names.csv (see comune_aliases)
        if row["level"] == "region":
            codes = [row["target"]] if row["target"] in region_names else []
            for code in codes:
                _add(regions, code, alias, region_names[code])
        else:
            codes = _province_codes(row["target"], elenco)
            for code in codes:
                _add(provinces, code, alias, *_own(names, code))
        if not codes:
            unresolved.append(f"{row['level']} {alias!r} -> {row['target']}")
    _moved_comuni_aliases(elenco, provinces)
    return AliasTable(dict(provinces), dict(regions), unresolved)


def comune_aliases(rows: list[dict[str, str]], elenco: pd.DataFrame) -> list[dict[str, str]]:
    """names.csv rows (kind ``variant``) for the hand-kept names of Comuni, e.g. Roma Capitale."""
    sigla_of = dict(zip(elenco["istat_code"], elenco["sigla"], strict=True))
    found = []
    for row in rows:
        if row["level"] != "comune":
            continue
        if row["target"] not in sigla_of:
            continue  # a Comune this list does not hold (e.g. a small test list): nothing to name
        found.append({
            "name": row["alias"].strip(), "sigla": sigla_of[row["target"]], "istat_code": row["target"],
            "kind": "variant", "source": "aliases.csv",
        })
    return found


def _bilingual_halves(name: str) -> list[str]:
    """``Bolzano/Bozen`` -> ``["Bolzano", "Bozen"]``: each half is a name people use."""
    return [part.strip() for part in name.split("/")] if "/" in name else []


def province_table(elenco: pd.DataFrame, aliases: AliasTable) -> list[dict[str, str]]:
    """One row per current province: code, name, sigla, region code and name, aliases."""
    rows = []
    firsts = elenco.drop_duplicates("province_code").sort_values("province_code")
    for item in firsts.itertuples():
        names = list(aliases.province.get(str(item.province_code), []))
        for half in _bilingual_halves(str(item.province)):
            if half.casefold() not in {n.casefold() for n in names}:
                names.append(half)
        rows.append(
            {
                "code": str(item.province_code),
                "name": str(item.province),
                "sigla": str(item.sigla),
                "region_code": str(item.region_code),
                "region": str(item.region),
                "aliases": "|".join(sorted(names, key=lambda n: (fold(n), n))),
            }
        )
    return rows


def region_table(elenco: pd.DataFrame, aliases: AliasTable) -> list[dict[str, str]]:
    """One row per region: code, name, aliases."""
    rows = []
    for item in elenco.drop_duplicates("region_code").sort_values("region_code").itertuples():
        names = list(aliases.region.get(str(item.region_code), []))
        for half in _bilingual_halves(str(item.region)):
            if half.casefold() not in {n.casefold() for n in names}:
                names.append(half)
        rows.append(
            {
                "code": str(item.region_code),
                "name": str(item.region),
                "aliases": "|".join(sorted(names, key=lambda n: (fold(n), n))),
            }
        )
    return rows
