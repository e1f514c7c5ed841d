"""Counts named alike everywhere (issue 25).

The totals said "Da risolvere 9", the section "Da correggere (37)", the terminal "unresolved 9" and
"37 records need a person", with nothing saying how the two sets relate. Each place now says what it
counts: the records waiting for a person are the unresolved places plus the automatic corrections
to check plus the practices excluded for missing data, with the same numbers everywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

from mapgen.corrections import needs_person
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, Outcome, OutputOptions
from mapgen.writers.report import build_summary_lines, report_totals, write_report


def _parts(build: BuildResult) -> tuple[int, int, int]:
    waiting = [o for o in build.outcomes if needs_person(o)]
    fuzzy = sum(o.match is not None and o.match.status.for_a_person for o in waiting)
    missing = sum(o.outcome is Outcome.EXCLUDED for o in waiting)
    return len(waiting) - fuzzy - missing, fuzzy, missing


def test_the_terminal_says_what_the_records_needing_a_person_are(baseline: BuildResult, tmp_path: Path) -> None:
    unresolved, fuzzy, missing = _parts(baseline)
    # 28 placements to check: 25 fuzzy matches and Cantu' typed with Lecco (x3), read as Cantù (CO) to check
    assert unresolved == report_totals(baseline).unresolved == 9 and (fuzzy, missing) == (28, 3)
    lines = build_summary_lines(baseline, tmp_path, ())
    line = next(x for x in lines if "records need a person" in x)
    assert line.startswith(f"40 records need a person ({unresolved} unresolved, {fuzzy} placements to check, "
                           f"{missing} excluded for missing data): open ")


def test_the_page_says_what_each_count_counts(baseline: BuildResult, tmp_path: Path,
                                              gazetteer_: Gazetteer) -> None:
    write_report(baseline, tmp_path, gazetteer=gazetteer_, options=OutputOptions())
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = html.split('<section id="da-correggere">')[1].split("<table")[0]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section))
    assert ("40 righe aspettano una decisione: 9 da risolvere (Comune non trovato, ambiguo o non un Comune), "
            "28 nomi corretti automaticamente da verificare, 3 pratiche escluse per dati mancanti.") in text
    totals = html.split('<section id="totali">')[1].split("</section>")[0]
    assert "anche in «Da correggere»" in re.sub(r"<[^>]+>", "", totals)
