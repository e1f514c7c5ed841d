"""Reading cells without changing them silently (issue 25).

* In a workbook, one amount typed as text made the whole column read the Italian way, so a cell
  Excel stores as the number 2.125 became 2125. A cell stored as a number is that number; only
  text cells follow the Italian convention (``2.125`` typed is two thousand one hundred...).
* A cell holding exactly ``N/A`` was empty in every field, so a practice titled "N/A" was
  excluded. LimeSurvey writes N/A for a choice question not shown: only there it means no answer;
  elsewhere it is kept as written and reported.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from mapgen.readers.survey import read_survey
from mapgen.readers.table import read_table


def test_a_number_excel_stores_stays_that_number_beside_text_amounts(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Comune", "Titolo", "Importo"])
    book.active.append(["Lecce", "Nidi", 2.125])  # a number cell: 2.125 euro
    book.active.append(["Lecce", "Ludoteca", "da definire"])  # text: not an amount (warned)
    book.active.append(["Lecce", "Centro", "2.125"])  # text typed the Italian way: 2125 euro
    book.save(tmp_path / "importi.xlsx")
    result = read_survey(tmp_path / "importi.xlsx")
    assert [(r.titolo, r.importo) for r in result.initiatives] == [
        ("Nidi", 2.125), ("Ludoteca", None), ("Centro", 2125.0)]


def test_the_table_says_which_cells_excel_stores_as_numbers(tmp_path: Path) -> None:
    from mapgen.readers.table import ExcelNumber

    book = openpyxl.Workbook()
    book.active.append(["a", "b", "c"])
    book.active.append([2.125, "2.125", True])
    book.save(tmp_path / "t.xlsx")
    (row,) = read_table(tmp_path / "t.xlsx").rows
    assert row == ["2.125", "2.125", "TRUE"]
    assert [isinstance(cell, ExcelNumber) for cell in row] == [True, False, False]


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "risposte.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_practice_titled_na_is_kept_and_reported(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,submitdate,Comune,Titolo,Area\n1,2020-09-01,Lecce,N/A,Infanzia\n")
    result = read_survey(path)
    (record,) = result.initiatives
    assert record.titolo == "N/A"
    (notice,) = [p for p in result.problems if p.value == "N/A"]
    assert (notice.row, notice.column) == (2, "Titolo") and "N/A" in notice.staff_message


def test_na_is_no_answer_in_a_choice_question(tmp_path: Path) -> None:
    path = _csv(tmp_path, "id,submitdate,Comune,Titolo,Area,Tipo ente\n1,2020-09-01,Lecce,Nidi,N/A,N/A\n")
    result = read_survey(path)
    (record,) = result.initiatives
    assert (record.aree, record.tipo_ente) == ((), "")
    assert not [p for p in result.problems if p.value == "N/A"]
