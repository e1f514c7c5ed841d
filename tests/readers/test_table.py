"""mapgen.readers.table: every format and encoding Excel and LimeSurvey write, and every unreadable "
"file."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from mapgen.errors import InputError, UnreadableFileError
from mapgen.readers.table import column_letter, read_table

DATA = Path(__file__).parents[1] / "data" / "survey"
# The shape_* files (one survey in every LimeSurvey export shape) are checked in test_survey_shapes.py:
# there every shape must give the same records, which needs the dialect detected right.
SURVEY_FILES = sorted(
    p for p in DATA.iterdir() if p.suffix in (".csv", ".txt", ".xlsx") and not p.name.startswith("shape_")
)

#: What each test file must be detected as (checked by hand against the bytes).
DETECTED = {
    "codes_limesurvey.csv": "CSV, UTF-8, separator ',', 5 rows",
    "codes_excel_cp1252.csv": "CSV, Windows-1252, separator ';', 5 rows",
    "codes_excel_utf8_bom.csv": "CSV, UTF-8 with BOM, separator ';', 5 rows",
    "codes_excel_sep_line.csv": "CSV, Windows-1252, separator ';', 5 rows",
    "codes_excel_unicode_text.txt": "CSV, UTF-16 LE, separator tab, 5 rows",
    "codes_excel.xlsx": "XLSX, sheet 'Risposte', 5 rows",
    "fulltext_limesurvey.csv": "CSV, UTF-8, separator ',', 5 rows",
    "fulltext_limesurvey.xlsx": "XLSX, sheet 'Risposte', 5 rows",
    "tidy_canonical.csv": "CSV, Windows-1252, separator ';', 5 rows",
    "tidy_canonical.xlsx": "XLSX, sheet 'Foglio1', 5 rows",
}


def test_every_data_file_is_listed() -> None:
    assert sorted(p.name for p in SURVEY_FILES) == sorted(DETECTED)


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_detects_format_encoding_and_separator(path: Path) -> None:
    table = read_table(path)
    assert str(table.describe()) == DETECTED[path.name]
    assert table.issues == []


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_cells_come_back_as_typed(path: Path) -> None:
    table = read_table(path)
    assert all(len(row) == len(table.columns) for row in table.rows)
    flat = [cell for row in table.rows for cell in row]
    # accents, Windows-1252 punctuation and a line break inside a quoted cell survive
    assert "Forlì" in flat
    assert "Caffè genitori – “Insieme”" in flat
    assert 'Sportello di ascolto, mediazione "familiare".\nAperto il martedì.' in flat


def test_limesurvey_headers_are_kept_as_written() -> None:
    table = read_table(DATA / "codes_limesurvey.csv")
    assert table.columns[:6] == ["id", "submitdate", "lastpage", "startlanguage", "seed", "token"]
    assert "area[SQ001]" in table.columns and "comuni[SQ002]" in table.columns


def test_xlsx_dates_and_numbers_as_excel_stores_them() -> None:
    row = read_table(DATA / "codes_excel.xlsx").rows[0]
    columns = read_table(DATA / "codes_excel.xlsx").columns
    cell = dict(zip(columns, row, strict=True))
    assert cell["id"] == "11"  # an integer, not "11.0"
    assert cell["submitdate"] == "2020-09-20 10:30:15"
    assert cell["G02Q07"] == "2020-01-15"  # a date at midnight is a date
    assert cell["G02Q06"] == "12500.5"  # "12.500,50" re-typed by Excel as a number
    assert cell["G03Q06"] == "€ 3.000"  # text stays text


def test_xlsx_cell_types(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["testo", "intero", "decimale", "data", "ora", "vero", "vuoto", "None"])
    book.active.append(
        ["Forlì", 3, 0.1 + 0.2, datetime(2020, 1, 15), time(9, 30), True, None, "None"]
    )
    book.active.append(
        ["", 1e20, 1234.5, date(2020, 2, 1), datetime(2020, 3, 1, 8, 5), False, "", ""]
    )
    book.save(tmp_path / "tipi.xlsx")
    table = read_table(tmp_path / "tipi.xlsx")
    assert table.rows == [
        ["Forlì", "3", "0.3", "2020-01-15", "09:30:00", "TRUE", "", "None"],
        ["", "1e+20", "1234.5", "2020-02-01", "2020-03-01 08:05:00", "FALSE", "", ""],
    ]


@pytest.mark.parametrize(
    ("sheet", "title"),
    [
        ("Istruzioni", "Istruzioni"),
        ("istruzioni", "Istruzioni"),
        ("2", "Istruzioni"),
        ("1", "Risposte"),
        (None, "Risposte"),
    ],
)
def test_xlsx_sheet_by_name_or_number(sheet: str | None, title: str) -> None:
    assert read_table(DATA / "codes_excel.xlsx", sheet=sheet).sheet == title


def test_xlsx_unknown_sheet_names_the_sheets_and_the_closest() -> None:
    with pytest.raises(InputError) as caught:
        read_table(DATA / "codes_excel.xlsx", sheet="Risposta")
    assert str(caught.value) == (
        "codes_excel.xlsx has no sheet 'Risposta'; closest 'Risposte'. "
        "Sheets: 'Risposte', 'Istruzioni'. Give one of them with --sheet."
    )


def test_sheet_is_ignored_for_csv() -> None:
    assert read_table(DATA / "codes_limesurvey.csv", sheet="Risposte").format == "csv"


def test_row_numbers_match_the_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "righe.csv"
    path.write_text('Comune;Titolo\nLecce;"Uno\ndue"\n\nBari;Tre\n\n\n', encoding="utf-8")
    table = read_table(path)
    # row 2 holds a line break, row 3 is blank (kept, so Bari stays row 4); trailing blanks go
    assert table.rows == [["Lecce", "Uno\ndue"], ["", ""], ["Bari", "Tre"]]
    assert table.data_rows == 2


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Comune;Titolo\nLecce;Uno, due e tre\nBari;Quattro, cinque\n", ";"),
        ("Comune,Titolo\nLecce,Uno; due\nBari,Tre; quattro; cinque\n", ","),
        ('"Comune","Titolo"\n"Lecce","a;b;c"\n', ","),
        ("Comune\tTitolo\nLecce\tUno, due; tre\n", "\t"),
        ("Comune|Titolo\nLecce|Uno\n", "|"),
    ],
)
def test_separator_is_the_one_that_fits_every_row(
    tmp_path: Path, text: str, delimiter: str
) -> None:
    path = tmp_path / "sep.csv"
    path.write_text(text, encoding="utf-8")
    table = read_table(path)
    assert table.delimiter == delimiter
    assert table.columns == ["Comune", "Titolo"]


def test_none_and_na_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "na.csv"
    path.write_text("Comune,Titolo\nNone,NA\n", encoding="utf-8")
    assert read_table(path).rows == [["None", "NA"]]


def test_latin1_bytes_that_windows_1252_lacks(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"Comune;Titolo\nForl\xec;Centro \x81\n")
    table = read_table(path)
    assert table.encoding == "Latin-1"
    assert table.rows == [["Forlì", "Centro \x81"]]


def test_utf16_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes("Comune\tTitolo\nForlì\tCentro\n".encode("utf-16-le"))
    table = read_table(path)
    assert (table.encoding, table.delimiter, table.rows) == (
        "UTF-16 LE",
        "\t",
        [["Forlì", "Centro"]],
    )


def test_headers_are_cleaned_and_made_unique(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text(
        '" Titolo ","Area\ndi intervento",,Titolo,Titolo\nA,B,C,D,E\n', encoding="utf-8"
    )
    table = read_table(path)
    assert table.columns == [
        "Titolo",
        "Area di intervento",
        "(column C)",
        "Titolo (2)",
        "Titolo (3)",
    ]
    assert table.warnings == [
        "h.csv, row 1, column 'Titolo': the header appears more than once; "
        "occurrence 2 is read as 'Titolo (2)'.",
        "h.csv, row 1, column 'Titolo': the header appears more than once; "
        "occurrence 3 is read as 'Titolo (3)'.",
    ]


def test_empty_columns_on_the_right_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("Comune;Titolo;;\nLecce;Uno;;\n", encoding="utf-8")
    assert read_table(path).columns == ["Comune", "Titolo"]


def test_a_shifted_row_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Comune,Titolo\nLecce,Uno\nBari,Due,tre,quattro\n", encoding="utf-8")
    table = read_table(path)
    assert table.rows[1] == ["Bari", "Due"]
    assert table.warnings == [
        "s.csv, row 3: the row has 4 cells but the header has 2; 2 non-blank cells past the "
        "last column are not read (first: 'tre'). A separator inside an unquoted cell shifts the "
        "columns: check the row."
    ]


def test_an_unclosed_quote_stops_the_reading(tmp_path: Path) -> None:
    # Read leniently, the two responses after the quote became one description (issue 20).
    path = tmp_path / "q.csv"
    path.write_text(
        'Comune,Titolo,Descrizione\nLecce,A,ok\nRoma,B,"aperta\nBari,C,x\nTaranto,D,y\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert str(caught.value) == (
        "q.csv, row 3 (line 3 of the file), column 'Descrizione': a quote (\") opens in this "
        "cell and is never closed, so the 2 line(s) after it, to the end of the file, would be "
        "read into this one cell and the responses on them lost or published as its text. "
        "Close the quote where the cell's text ends (or delete it), or export the responses again."
    )


def test_a_quote_closed_rows_later_stops_the_reading(tmp_path: Path) -> None:
    # The quote opened in row 3 closes in row 6's quoted cell: rows 4 and 5 would vanish.
    path = tmp_path / "q.csv"
    path.write_text(
        "Comune;Titolo;Referente;Descrizione\r\nLecce;A;Anna;ok\r\nRoma;B;Bruno;\"aperta\r\n"
        "Bari;C;Carla;x\r\nTaranto;D;Dario;y\r\nLecce;E;Elena;\"chiusa\"\r\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=(
        r"^q\.csv, row 3 \(line 3 of the file\), column 'Descrizione': the quoted cell that opens "
        r"here runs over several lines, and line 4 of the file inside it has 3 separators, as a "
        r"whole response has: a closing quote \(\"\) is missing"
    )):  # fmt: skip
        read_table(path)


@pytest.mark.parametrize("line_end", ["\r\n", "\n"])
def test_a_quote_closed_on_the_next_line_with_rows_after_it_stops_the_reading(tmp_path: Path, line_end: str) -> None:
    # Only the records that run over several lines are looked into (issue 28): this one is
    # neither the last record nor at the end of the file.
    rows = ["Comune;Titolo;Referente;Descrizione", "Lecce;A;Anna;ok", 'Roma;B;Bruno;"aperta',
            'Bari;C;Carla;x"', "Taranto;D;Dario;y", "Lecce;E;Elena;z"]
    path = tmp_path / "q.csv"
    path.write_text(line_end.join(rows) + line_end, encoding="utf-8")
    with pytest.raises(InputError, match=(
        r"^q\.csv, row 3 \(line 3 of the file\), column 'Descrizione': the quoted cell that opens "
        r"here runs over several lines, and line 4 of the file inside it has 3 separators"
    )):  # fmt: skip
        read_table(path)


def test_a_bare_cr_inside_a_quoted_cell_hiding_a_response_stops_the_reading(tmp_path: Path) -> None:
    # A bare CR is not a line of the file (the cell is protected while parsed), but it is a
    # line break of the cell: the response after it is looked for all the same.
    path = tmp_path / "cr.csv"
    path.write_bytes(b'Comune;Titolo;Referente;Descrizione\r\nRoma;B;Bruno;"aperta\rBari;C;Carla;x"\r\n'
                     b"Taranto;D;Dario;y\r\nLecce;E;Elena;z\r\n")
    with pytest.raises(InputError, match=r"runs over several lines, and line 3 of the file inside it has 3 separators"):
        read_table(path)


def test_multi_line_free_text_is_still_read(tmp_path: Path) -> None:
    # LimeSurvey quotes free text with line breaks; a line with a separator or two is text.
    path = tmp_path / "ls.csv"
    path.write_text(
        'id,Comune,Titolo,Descrizione\r\n1,Lecce,A,"Orari:\r\nlun, mer\r\n\r\nven, sab"\r\n'
        '2,Bari,B,"una ""citazione""\nsu due righe"\r\n',
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.rows == [
        ["1", "Lecce", "A", "Orari:\nlun, mer\n\nven, sab"],
        ["2", "Bari", "B", 'una "citazione"\nsu due righe'],
    ]
    assert table.issues == []


def test_a_line_of_free_text_with_two_commas_in_a_three_column_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "tre.csv"
    path.write_text('Comune,Titolo,Descrizione\nLecce,A,"Orari:\nlun, mer, ven"\n', encoding="utf-8")
    assert read_table(path).rows == [["Lecce", "A", "Orari:\nlun, mer, ven"]]


def test_a_bare_cr_inside_a_cell_does_not_split_the_row(tmp_path: Path) -> None:
    path = tmp_path / "cr.csv"
    path.write_bytes(b"Comune;Titolo;Descrizione\r\nLecce;A;riga uno\rriga due\r\nBari;B;x\r\n")
    table = read_table(path)
    assert table.rows == [["Lecce", "A", "riga uno\nriga due"], ["Bari", "B", "x"]]


def test_line_ends_converted_twice_give_no_blank_rows(tmp_path: Path) -> None:
    path = tmp_path / "crcrlf.csv"
    path.write_bytes(b"Comune;Titolo\r\r\nLecce;A\r\r\nBari;B\r\r\n")
    assert read_table(path).rows == [["Lecce", "A"], ["Bari", "B"]]


def test_a_file_of_cr_line_ends_is_read(tmp_path: Path) -> None:
    # Excel for the old Mac ends records with CR alone; a quoted cell keeps its LF.
    path = tmp_path / "mac.csv"
    path.write_bytes(b'Comune;Titolo;Descrizione\rLecce;A;"uno\ndue"\rBari;B;x\r')
    table = read_table(path)
    assert table.rows == [["Lecce", "A", "uno\ndue"], ["Bari", "B", "x"]]


def _truncated_xlsx(tmp_path: Path) -> Path:
    path = tmp_path / "tagliato.xlsx"
    path.write_bytes((DATA / "codes_excel.xlsx").read_bytes()[:3000])
    return path


def _zip(tmp_path: Path, name: str, members: dict[str, str]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return path


EXPORT_AGAIN = "Export the responses from LimeSurvey again as CSV or Excel (.xlsx)."
UNREADABLE = [
    (
        "vuoto.csv",
        b"",
        f"vuoto.csv is empty: it has no header row and no responses. {EXPORT_AGAIN}",
    ),
    (
        "bianco.csv",
        b" \r\n\r\n",
        f"bianco.csv is empty: it has no header row and no responses. {EXPORT_AGAIN}",
    ),
    (
        "export.csv",
        b"%PDF-1.4\n...",
        f"export.csv is a PDF document, not a CSV or XLSX file. {EXPORT_AGAIN}",
    ),
    (
        "vecchio.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "vecchio.xls is an old Excel .xls workbook (or "
        "another Office 97 file), not a CSV or XLSX file. Open it in Excel and save it as .xlsx "
        "or CSV.",
    ),
    (
        "pagina.csv",
        b"<!DOCTYPE html><html><body>Accesso</body></html>",
        f"pagina.csv is a web page (HTML), not a CSV or XLSX file. {EXPORT_AGAIN}",
    ),
    (
        "foto.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        f"foto.csv is a PNG image, not a CSV or XLSX file. {EXPORT_AGAIN}",
    ),
    (
        "dati.csv",
        bytes(range(256)) * 4,
        f"dati.csv holds binary data, not a CSV or XLSX file. {EXPORT_AGAIN}",
    ),
]


@pytest.mark.parametrize(("name", "content", "message"), UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_unreadable_files_say_what_they_are(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError) as caught:
        read_table(path)
    assert str(caught.value) == message


def test_truncated_xlsx(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError) as caught:
        read_table(_truncated_xlsx(tmp_path))
    assert str(caught.value) == (
        "tagliato.xlsx is a damaged XLSX workbook (truncated or not fully downloaded). "
        "Download it again, or open it in Excel and save it again."
    )


def test_xlsx_with_damaged_parts(tmp_path: Path) -> None:
    path = _zip(
        tmp_path, "rotto.xlsx", {"xl/workbook.xml": "<workbook>", "[Content_Types].xml": "<x/>"}
    )
    with pytest.raises(
        UnreadableFileError, match=r"^rotto\.xlsx is a damaged XLSX workbook \(\w+\)\. "
    ):
        read_table(path)


@pytest.mark.parametrize(
    ("name", "members", "message"),
    [
        (
            "risposte.ods",
            {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"},
            "risposte.ods is an OpenDocument spreadsheet (.ods), not a CSV or XLSX file. "
            "Open it in LibreOffice or Excel and save it as .xlsx or CSV.",
        ),
        (
            "risposte.docx",
            {"word/document.xml": "<x/>"},
            f"risposte.docx is a Word document, not a CSV or XLSX file. {EXPORT_AGAIN}",
        ),
        (
            "risposte.zip",
            {"survey.csv": "a,b"},
            "risposte.zip is a ZIP archive, not a CSV or XLSX file. Extract the survey export "
            "from it first.",
        ),
    ],
)
def test_other_zip_files(tmp_path: Path, name: str, members: dict[str, str], message: str) -> None:
    with pytest.raises(UnreadableFileError) as caught:
        read_table(_zip(tmp_path, name, members))
    assert str(caught.value) == message


def test_empty_sheet_points_to_the_other_sheets(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Vuoto"
    book.create_sheet("Dati").append(["Comune"])
    book.save(tmp_path / "fogli.xlsx")
    with pytest.raises(UnreadableFileError) as caught:
        read_table(tmp_path / "fogli.xlsx")
    assert str(caught.value) == (
        "fogli.xlsx: sheet 'Vuoto' is empty. Choose the sheet with the responses with --sheet "
        "('Dati')."
    )


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError) as caught:
        read_table(tmp_path / "manca.csv")
    assert (
        str(caught.value)
        == f"{tmp_path / 'manca.csv'} does not exist. Check the file name and folder."
    )
    with pytest.raises(UnreadableFileError) as caught:
        read_table(tmp_path)
    assert str(caught.value) == f"{tmp_path} is a folder, not a file. Give the survey export file."


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letter(index: int, letter: str) -> None:
    assert column_letter(index) == letter
