"""Corrections across rounds: a person fills the build's da_correggere.csv twice and loses nothing.

Issue 25: after a build with ``--corrections``, the new ``da_correggere.csv`` listed only what was
still pending, so a person who filled that file and passed it back dropped every earlier decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from mapgen.build import build, example_request
from mapgen.corrections import needs_person
from tests.corrections.files import read_csv, write_corrections

# What a person decides in each round, by record id (codice_istat or azione), read off the example's
# da_correggere.csv: "Aoste" (SS) is Aosta, the Unione's lead Comune is Susa, "Baincavilla" is
# Biancavilla (confirmed), a row of the Unione is no practice, a row without Comune is left out.
ROUND_1 = {
    "2020-R164-G1": ("007003", ""),
    "2020-R131-G1": ("Susa (TO)", ""),
    "2020-R17-G1": ("087008", ""),
    "2020-R131-G2": ("", "escludi"),
    "2020-R216-G2": ("", "escludi"),
    "2020-R310-G1": ("039014", ""),  # Lugo (RA), the Unione's seat
}
# Second round, on the file the first rebuild wrote: "Montechiaor d'Asti" and "Savignne" confirmed.
ROUND_2 = {
    "2020-R57-G1": ("005075", ""),
    "2020-R113-G1": ("010057", ""),
}


def _fill(review: Path, target: Path, decisions: Mapping[str, tuple[str, str]]) -> Path:
    """The file as a person saves it from Excel: the build's file, some lines filled, the rest left alone."""
    lines = read_csv(review)
    for row in lines:
        if row["record"] in decisions:
            row["codice_istat"], row["azione"] = decisions[row["record"]]
    assert {r["record"] for r in lines} >= set(decisions)  # each decided record was offered
    return write_corrections(target, lines)


def _applied(out_dir: Path) -> dict[str, str]:
    return {r["record"]: r["azione"] for r in read_csv(out_dir / "correzioni_applicate.csv")}


@pytest.mark.slow
def test_two_rounds_through_the_spreadsheet_keep_every_decision(tmp_path: Path) -> None:
    out = tmp_path / "output"
    first = build(replace(example_request(out), preview=False))
    waiting_0 = sum(needs_person(o) for o in first.result.outcomes)
    path_1 = _fill(out / "da_correggere.csv", tmp_path / "correzioni.csv", ROUND_1)
    second = build(replace(example_request(out), preview=False, corrections=path_1))
    assert set(_applied(out)) == set(ROUND_1)
    waiting_1 = sum(needs_person(o) for o in second.result.outcomes)
    assert waiting_1 == waiting_0 - len(ROUND_1)
    # Round two: the person fills the NEW da_correggere.csv (the natural thing) and passes it back.
    path_2 = _fill(out / "da_correggere.csv", tmp_path / "correzioni2.csv", ROUND_2)
    third = build(replace(example_request(out), preview=False, corrections=path_2))
    assert set(_applied(out)) == set(ROUND_1) | set(ROUND_2)
    assert sum(needs_person(o) for o in third.result.outcomes) == waiting_0 - len(ROUND_1) - len(ROUND_2)
    assert not [n for n in third.result.notices if n.kind == "correzione"]
    # The file to fill holds the decisions in use and, after them, every line still pending.
    rows = read_csv(out / "da_correggere.csv")
    decided = [r["record"] for r in rows if r["codice_istat"] or r["azione"]]
    pending = [r["record"] for r in rows if not (r["codice_istat"] or r["azione"])]
    assert sorted(decided) == sorted({**ROUND_1, **ROUND_2})
    assert len(pending) == len(set(pending)) == waiting_0 - len(ROUND_1) - len(ROUND_2)
    assert rows[: len(decided)] == [r for r in rows if r["codice_istat"] or r["azione"]]


@pytest.mark.slow
def test_a_file_without_the_previous_decisions_says_which_by_name(tmp_path: Path) -> None:
    """An older file (round one's pending lines only) passed back: the lost decisions are named."""
    out = tmp_path / "output"
    first = build(replace(example_request(out), preview=False))
    pending_only = tmp_path / "vecchio.csv"
    (pending_only).write_bytes((out / "da_correggere.csv").read_bytes())
    path_1 = _fill(out / "da_correggere.csv", tmp_path / "correzioni.csv", ROUND_1)
    build(replace(example_request(out), preview=False, corrections=path_1))
    # The person fills a copy of the FIRST build's file (without round one) for round two.
    old = _fill(pending_only, tmp_path / "correzioni_vecchio.csv", ROUND_2)
    third = build(replace(example_request(out), preview=False, corrections=old))
    lost = [n for n in third.result.notices if n.kind == "correzione"]
    assert sorted(n.record_id for n in lost) == sorted(ROUND_1)
    assert all("costruzione precedente" in n.staff_message for n in lost)
    from mapgen.writers.report import build_summary_lines

    summary = "\n".join(build_summary_lines(third.result, out, third.files))
    assert all(record in summary for record in ROUND_1)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert all(record in html.split('<section id="avvisi">')[1] for record in ROUND_1)
    # ... and the file to fill brings them back, so that filling it loses nothing.
    rows = read_csv(out / "da_correggere.csv")
    assert {r["record"] for r in rows if r["codice_istat"] or r["azione"]} == set(ROUND_1) | set(ROUND_2)
    assert len(first.files) == len(third.files)
