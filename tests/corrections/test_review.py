"""The review files and the loop: a person fills da_correggere.csv, the rebuild leaves nobody waiting."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from mapgen.build import build, example_request
from mapgen.corrections import needs_person
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult
from mapgen.writers.report import report_totals
from tests.corrections.files import read_csv, write_corrections


def _filled_as_a_person(review: Path, target: Path) -> Path:
    """Each waiting line decided: the first candidate when there is one, else escludi with a note."""
    lines = []
    for row in read_csv(review):
        if row["candidati"]:
            row["codice_istat"] = row["candidati"].split()[0]
        else:
            row["azione"], row["nota"] = "escludi", "controllato in ufficio"
        lines.append(row)
    return write_corrections(target, lines)


@pytest.mark.slow
def test_filled_example_leaves_nobody_waiting_and_rebuilds_byte_identical(tmp_path: Path) -> None:
    first = build(replace(example_request(tmp_path / "first"), preview=False))
    waiting = read_csv(first.out_dir / "da_correggere.csv")
    assert len(waiting) == sum(needs_person(o) for o in first.result.outcomes) > 30
    path = _filled_as_a_person(first.out_dir / "da_correggere.csv", tmp_path / "correzioni.csv")
    second = build(replace(example_request(tmp_path / "second"), preview=False, corrections=path))
    # Nothing pending: the file to fill again holds only the decisions in use, every one filled.
    again = read_csv(second.out_dir / "da_correggere.csv")
    assert len(again) == len(waiting) and all(r["codice_istat"] or r["azione"] for r in again)
    assert sum(needs_person(o) for o in second.result.outcomes) == 0
    totals = report_totals(second.result)
    assert totals.adds_up and totals.inputs == report_totals(first.result).inputs
    applied = read_csv(second.out_dir / "correzioni_applicate.csv")
    assert len(applied) == len(waiting)
    third = build(replace(example_request(tmp_path / "third"), preview=False, corrections=path))
    assert second.files == third.files
    for name in second.files:
        assert (second.out_dir / name).read_bytes() == (third.out_dir / name).read_bytes(), name


@pytest.mark.slow
def test_every_reader_warning_is_in_the_report(tmp_path: Path) -> None:
    summary = build(replace(example_request(tmp_path / "out"), preview=False))
    readings = [n for n in summary.result.notices if n.kind == "lettura"]
    assert len(readings) == 19  # mapgen validate: "2 errors, 17 warnings" on the same export
    rows = {r["record_id"]: r for r in read_csv(summary.out_dir / "report.csv")}
    amount = [r for r in rows.values() if r["riga"] == "5" and "'da definire'" in r["avvisi"]]
    assert amount and "G02Q06: 'da definire': 'da definire' non è un importo in euro" in amount[0]["avvisi"]
    html = (summary.out_dir / "report.html").read_text(encoding="utf-8")
    section = html.split('<section id="avvisi">')[1].split("</section>")[0]
    assert section.count('<tr class="notice-lettura"') == 19
    assert "<h2>Avvisi (19)</h2>" in section


def test_a_hostile_note_stays_text_in_the_report(corrected: BuildResult, tmp_path: Path,
                                                 gazetteer_: Gazetteer) -> None:
    """A note or value typed in the corrections file reaches the page escaped (table) or as JSON data."""
    from fixtures.factories import HOSTILE_TEXT
    from mapgen.model import OutputOptions
    from mapgen.writers.report import write_report

    spoiled = replace(
        corrected,
        corrections=tuple(replace(a, note=HOSTILE_TEXT, value=HOSTILE_TEXT) for a in corrected.corrections),
        corrections_rows=tuple((*row[:-1], HOSTILE_TEXT) for row in corrected.corrections_rows),
    )
    _, html_path = write_report(spoiled, tmp_path, gazetteer=gazetteer_, options=OutputOptions())
    page = html_path.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page, re.S)
    assert data is not None and "<" not in data.group(1)
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert page.count("<script") == 2  # the review data and the review code, nothing from the note


def test_a_placement_to_check_waits_for_a_person_with_its_candidates() -> None:
    # Issue 25: "'Sesto' letto come nome abbreviato: verificare" was printed where no person reads it.
    from mapgen.corrections import candidates_of, esito
    from mapgen.geocoders import Geocoder
    from mapgen.model import Outcome, Place, RowOutcome, Source, SourceRef

    geocoder = Geocoder()
    for place in (Place("Sesto", "MI"), Place("Ospedaletto - Palugana"), Place("Fiumicello")):
        match = geocoder.geocode(place)
        row = RowOutcome(source=SourceRef(Source.SURVEY, "s.csv", row=2), record_id="2020-R2-G1", typed=place,
                         outcome=Outcome.MAPPED, match=match)
        assert needs_person(row), place
        assert esito(row).endswith("da verificare")
        assert candidates_of(row)[0] == (match.istat_code, f"{match.name} ({match.sigla})")
    assert [label for _, label in candidates_of(row)] == ["Fiumicello Villa Vicentina (UD)"]
