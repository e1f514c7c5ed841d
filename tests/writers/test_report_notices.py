"""Notices without bound (issue 29): a corrections file of many unknown records.

Before: 1,000,000 unknown records printed 1,000,000 lines and wrote a 526 MB report.html. The
terminal and the page now show the first NOTICE_LIMIT and say how many more, as the report's
other tables do; the whole list is in report_avvisi.csv.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from mapgen.corrections import NOTICE_LIMIT, NOTICES_NAME, write_review
from mapgen.model import BuildResult, Notice, OutputOptions
from mapgen.writers.report import build_summary_lines, write_report


def _unknown(n: int) -> Notice:
    return Notice(kind="correzione", file="correzioni.csv", row=n + 2, column="record", value=f"2020-X{n}-G1",
                  message="record sconosciuto: nessun record di questa costruzione ha questo identificativo.",
                  fix="Copiare l'identificativo dalla colonna record di da_correggere.csv o di report.csv.",
                  record_id=f"2020-X{n}-G1")


def test_many_notices_are_summarised_and_kept_whole_in_a_csv(sample_build: BuildResult, tmp_path: Path) -> None:
    from mapgen.gazetteer import load_gazetteer

    many = 3 * NOTICE_LIMIT + 7
    build = replace(sample_build, notices=(*sample_build.notices, *(_unknown(n) for n in range(many))))
    lines = build_summary_lines(build, tmp_path, ())
    printed = [line for line in lines if line.startswith("Correction not applied: ")]
    assert len(printed) == NOTICE_LIMIT
    more = many - NOTICE_LIMIT
    assert f"... and {more:,} more corrections not applied: see {tmp_path / NOTICES_NAME}" in lines
    write_report(build, tmp_path, gazetteer=load_gazetteer(), options=OutputOptions())
    files = write_review(build, tmp_path, gazetteer=load_gazetteer(), options=OutputOptions())
    assert tmp_path / NOTICES_NAME in files
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count('<tr class="notice-correzione"') == NOTICE_LIMIT
    assert f"tutti gli avvisi sono in <span class=\"code\">{NOTICES_NAME}</span>" in html
    with (tmp_path / NOTICES_NAME).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == len(build.notices)
    assert rows[-1]["valore"] == f"2020-X{many - 1}-G1" and rows[-1]["riga"] == str(many + 1)


def test_a_huge_corrections_file_is_not_carried_in_the_page(sample_build: BuildResult, tmp_path: Path) -> None:
    """200,000 decisions in use made a 16 MB page (its download data); beyond the row limit the page says so."""
    from mapgen.corrections import COLUMNS
    from mapgen.gazetteer import load_gazetteer
    from mapgen.writers.report import HTML_ROW_LIMIT

    many = HTML_ROW_LIMIT + 1
    rows = tuple(tuple(f"2020-X{n}-G1" if c == "record" else "escludi" if c == "azione" else "" for c in COLUMNS)
                 for n in range(many))
    write_report(replace(sample_build, corrections_rows=rows), tmp_path, gazetteer=load_gazetteer(),
                 options=OutputOptions())
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "2020-X5-G1" not in html
    assert f"ha {many:,} decisioni".replace(",", ".") in html and "da_correggere.csv" in html
