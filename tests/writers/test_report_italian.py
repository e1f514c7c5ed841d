"""report.html speaks Italian: staff read every visible word of it (issue #19)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from mapgen.build import BuildRequest, example_request, run_pipeline
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, OutputOptions
from mapgen.writers.report import write_report

#: English words that the report's own text used to show ("File letti", fixes, alerts).
#: Whole words, case-insensitive; none of them is also an Italian word or a province code
#: ("or" is Oristano).
ENGLISH_WORDS = (
    "rows", "row", "responses", "response", "initiatives", "excluded", "duplicates", "errors",
    "warnings", "warning", "separator", "sheet", "spreadsheet", "edition", "layer", "layers",
    "features", "unusable", "carried", "mapping", "recognised", "question", "codes", "texts",
    "corrections", "applied", "export", "columns", "the", "and", "with", "not",
    "submit", "cannot", "pass", "every", "fix", "file's", "of",
)
# Not part of a file name such as mapping.toml or a.layer.json.
_ENGLISH = re.compile(
    r"(?<![.\w])(?:" + "|".join(map(re.escape, ENGLISH_WORDS)) + r")\b(?!\.\w)", re.I
)
#: What a reader does not see as text: scripts, styles, and the outcome codes of report.csv
#: (``unresolved``, ``carried``...) that the page quotes on purpose in <span class="code">.
_HIDDEN = re.compile(
    r"<script\b.*?</script>|<style\b.*?</style>|<span class=\"code\">.*?</span>", re.S | re.I
)
_TAG = re.compile(r"<[^>]+>")


def visible_text(page: str) -> str:
    """The text a person reads: tags, scripts, styles and quoted codes removed."""
    return html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", page)))


def english_words(text: str) -> list[str]:
    """The listed English words found in ``text``, in order."""
    return _ENGLISH.findall(text)


def test_the_scan_finds_the_english_the_report_used_to_show() -> None:
    old = ("survey_2020.csv: CSV, UTF-8, separator ',', 306 rows; LimeSurvey export, question "
           "codes; mapping mapping.toml — 306 responses: 413 initiatives, 21 excluded, "
           "18 duplicates; 2 errors, 17 warnings")
    assert {w.lower() for w in english_words(old)} >= {
        "separator", "rows", "export", "question", "codes", "mapping", "responses",
        "initiatives", "excluded", "duplicates", "errors", "warnings",
    }
    assert english_words("mapping.toml, 3 rows.") == ["rows"]
    assert english_words("<script>var rows = 1</script><p>3 righe</p>") == ["rows"]  # raw
    assert english_words(visible_text("<script>var rows = 1</script><p>3 righe</p>")) == []


@pytest.fixture(scope="module")
def example_build() -> BuildResult:
    return run_pipeline(example_request())


def test_report_html_has_no_english_words(
    tmp_path: Path, example_build: BuildResult, gazetteer: Gazetteer
) -> None:
    _, page = write_report(example_build, tmp_path, gazetteer=gazetteer, options=OutputOptions())
    source = page.read_text(encoding="utf-8")
    assert source.count('<tr class="notice-lettura"') > 0  # the reader's messages are scanned too
    text = visible_text(source)
    assert "File letti" in text and "306 righe" in text  # the scan reads the inputs list
    found = sorted({w.lower() for w in english_words(text)})
    assert found == [], f"English words in report.html: {found}"


def test_file_letti_is_italian_with_right_plurals(example_build: BuildResult) -> None:
    inputs = [line.render("it") for line in example_build.inputs]
    survey, *_ = inputs
    assert survey.startswith("survey_2020.csv: CSV, UTF-8, separatore ',', 306 righe; ")
    assert "306 risposte: " in survey and " iniziative, " in survey
    previous = next(line for line in inputs if line.startswith("previous_2019.umap"))
    assert previous.startswith("previous_2019.umap: copia di una mappa uMap (.umap), edizione 2019 — ")
    assert " elementi: " in previous


@pytest.mark.parametrize(("problems", "said"), [(1, "1 non utilizzabile)"), (2, "2 non utilizzabili)")])
def test_layer_line_pluralises_unusable(problems: int, said: str) -> None:
    from mapgen.readers.previous_map import LayerRole, LayerSummary

    layer = LayerSummary(name="Iniziative", role=LayerRole.INITIATIVES, features=5, initiatives=5 - problems,
                         problems=problems)
    said_in_full = f"«Iniziative»: letto come iniziative ({5 - problems} di 5 elementi, {said}."
    assert layer.describe().render("it") == said_in_full



#: A survey with one of each problem the reader reports: a repeated header, a shifted row, a
#: bad e-mail, an Excel-rounded phone, an amount in words, an impossible date, dates out of
#: order, an unknown entity type, an empty and a repeated id, no Comune, no title, #N/A.
MESSY = """id,submitdate,Comune,Titolo,Descrizione,Email,Telefono,Importo,Data inizio,Data fine,Tipo ente,Titolo
1,2020-09-01,Lecce,Nido,testo,nonmail,3.39E+11,circa mille,01/02/2020,01/01/2020,Marziani,x
,2020-09-01,Bari,Doposcuola,testo,a@b.it,,12,31/02/2020,,Comune,y
1,2020-09-01,Bari,Doposcuola,testo,a@b.it,,12,,,Comune,z
3,2020-09-01,,Centro,testo,a@b.it,,12,,,Comune,z
4,2020-09-01,Lecce,,testo,a@b.it,,12,,,Comune,z,extra
5,#N/A,Aosta,Bonus,testo,,,,,,,
"""


def test_reader_messages_in_the_report_are_italian(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = tmp_path / "risposte.csv"
    path.write_text(MESSY, encoding="utf-8")
    result = run_pipeline(BuildRequest(survey=path), gazetteer=gazetteer)
    assert len(result.notices) >= 12  # every problem above reached the report
    _, page = write_report(result, tmp_path, gazetteer=gazetteer, options=OutputOptions())
    text = visible_text(page.read_text(encoding="utf-8"))
    assert "non è un importo in euro" in text and "Indicare il titolo nel foglio di calcolo." in text
    found = sorted({w.lower() for w in english_words(text)})
    assert found == [], f"English words in report.html: {found}"


#: A bracket opened inside another one: "(Aosta (AO))" reads badly.
_NESTED = re.compile(r"\([^()]*\(")


@pytest.mark.parametrize("typed", ["Molise", "Castro", "Samone"])
def test_hints_never_nest_brackets(typed: str, gazetteer: Gazetteer) -> None:
    from mapgen.geocoders import Geocoder
    from mapgen.model import Place

    hint = Geocoder(gazetteer).geocode(Place(comune=typed), online=False).hint
    assert "(" in hint  # a Comune with its sigla is named
    assert _NESTED.search(hint) is None, hint
    assert _NESTED.search("un Comune (Molise (CB))") is not None  # the check can fail
