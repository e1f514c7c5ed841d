"""Corrections files for the tests: one that holds every action on the bundled example, and how to write one."""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

from mapgen.corrections import COLUMNS
from mapgen.model import BuildResult, MatchStatus, Outcome, RowOutcome

DATA = Path(__file__).parent.parent / "data" / "corrections"
EXAMPLES = Path(__file__).parent.parent.parent / "examples"
EXPECTED = tomllib.loads((DATA / "EXPECTED.toml").read_text(encoding="utf-8"))


def write_corrections(path: Path, lines: Sequence[Mapping[str, str]]) -> Path:
    """A corrections file as Excel (Italian locale) saves it: ';', UTF-8 with BOM, CRLF."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for line in lines:
            writer.writerow([line.get(c, "") for c in COLUMNS])
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def by_id(result: BuildResult) -> dict[str, RowOutcome]:
    return {o.record_id: o for o in result.outcomes}


# Every action at once (none contradicts another); the comments say what a person saw.
ACTIONS = [
    {"record": "2020-R164-G1", "codice_istat": "007003"},  # 2: "Aoste" (SS) not found: Aosta
    {"record": "2020-R131-G1", "codice_istat": "Susa (TO)"},  # 3: an Unione: its lead Comune
    {"record": "2020-R17-G1", "codice_istat": "087008"},  # 4: fuzzy "Baincavilla" confirmed
    {"record": "2020-R131-G2", "azione": "escludi", "nota": "non è una pratica"},  # 5
    {"record": "2020-R216-G1", "azione": "escludi"},  # 6: no Comune in the export: settled
    {"record": "2020-R9-G1", "azione": "includi"},  # 7: incomplete response, put back
    {"record": "2020-R10-G2", "azione": "unisci 2020-R10-G1"},  # 8: two practices, one in fact
    {"record": "2020-R79-G1", "azione": "separa 2019-iniziative-2019-WvfEA"},  # 9: merge undone
    {"comune_indicato": "Forli", "provincia_indicata": "Agrigento", "codice_istat": "040012"},  # 10
    {"record": "2019-iniziative-2019-pgX9A", "codice_istat": "001027"},  # 11: a 2019 point moved
    {"record": "2020-R42-G1", "azione": "includi"},  # 12: not a duplicate after all
]


def placed(outcome: RowOutcome, code: str, line: int) -> None:
    """The record is on the map where line ``line`` of correzioni.csv put it (method ``correzione``)."""
    assert outcome.outcome is Outcome.MAPPED, outcome
    assert outcome.match is not None
    assert (outcome.match.istat_code, outcome.match.method, outcome.match.status) == (
        code, "correzione", MatchStatus.CORRECTED)
    assert (outcome.match.raw["file"], outcome.match.raw["line"]) == ("correzioni.csv", line)
