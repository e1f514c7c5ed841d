"""The page and the file offer only decisions the build applies, and say how in the guide's words.

Issue 25: a survey row with no Comune but a province had a "Cerca un Comune" box, and the build then
answered "il record non è tra quelli da mettere sulla mappa"; several "Come correggere" texts still
said to correct the province or the row of the source file, which docs/correzioni.md rules out.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mapgen.build import example_request, run_pipeline
from mapgen.corrections import needs_person
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, Outcome
from mapgen.writers.report import fix_of
from tests.corrections.files import by_id, placed, write_corrections


def test_a_row_without_comune_can_be_placed_by_a_person(tmp_path: Path, gazetteer_: Gazetteer) -> None:
    # survey_2020.csv row 182: no Comune, province BS, two practices with titles.
    path = write_corrections(tmp_path / "correzioni.csv", [{"record": "2020-R216-G1", "codice_istat": "Brescia (BS)"}])
    result = run_pipeline(replace(example_request(), corrections=path), gazetteer=gazetteer_)
    got = by_id(result)
    placed(got["2020-R216-G1"], "017029", 2)
    assert got["2020-R216-G1"].titolo == "Famiglie al centro"
    assert not [n for n in result.notices if n.kind == "correzione"]
    assert got["2020-R216-G2"].outcome is Outcome.EXCLUDED and needs_person(got["2020-R216-G2"])
    assert len(result.outcomes) == len({o.record_id for o in result.outcomes})


def test_come_correggere_agrees_with_the_guide(baseline: BuildResult) -> None:
    """Every record waiting for a person is told to decide in the page or in da_correggere.csv."""
    guide = (Path(__file__).parents[2] / "docs" / "correzioni.md").read_text(encoding="utf-8")
    assert "non si corregge a mano" in guide  # the guide: decisions go in the corrections file
    waiting = [o for o in baseline.outcomes if needs_person(o)]
    assert len(waiting) > 30
    for o in waiting:
        fix = fix_of(o)
        assert "da_correggere.csv" in fix and "Da correggere" in fix, (o.record_id, fix)
        assert not re.search(r"Correggere la provincia|nella riga \d+ del file|nel file di origine", fix), fix
    no_title = by_id(baseline)["2020-R169-G1"]
    assert "LimeSurvey" in fix_of(no_title) and "escludi" in fix_of(no_title)


def test_the_page_offers_no_comune_for_a_practice_without_title(tmp_path: Path, baseline: BuildResult,
                                                                 gazetteer_: Gazetteer) -> None:
    from mapgen.model import OutputOptions
    from mapgen.writers.report import write_report

    write_report(baseline, tmp_path, gazetteer=gazetteer_, options=OutputOptions())
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr class="outcome-[a-z_]+" data-record="([^"]+)">(.*?)</tr>',
                      html.split('<section id="da-correggere">')[1].split('<h3 id="escluse">')[0], re.S)
    cells = dict(rows)
    assert 'value="cerca"' not in cells["2020-R169-G1"] and 'class="search"' not in cells["2020-R169-G1"]
    assert 'value="escludi"' in cells["2020-R169-G1"]
    assert 'value="cerca"' in cells["2020-R216-G1"] and 'class="search"' in cells["2020-R216-G1"]
