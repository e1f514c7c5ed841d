"""Bounded cost: small files that used to take gigabytes or minutes (issue 20).

Each file is generated here (``fixtures/hostile_tables.py``: too big to commit) and read in a
fresh Python whose address space is capped at 1 GiB (``RLIMIT_AS``): without the bounds the
reader dies of MemoryError there, so the cap proves the bound without timing anything. It is
either read (its rows checked) or refused with the one line that names the limit and the
environment variable that raises it. Times and peak memory: ``benchmarks/bounded_reading.py``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from fixtures import hostile_tables as hostile
from mapgen.errors import InputError, UnreadableFileError
from mapgen.readers.table import Limits, read_table

REPO = Path(__file__).resolve().parents[2]
CAP = 2**30  # bytes of address space for the reading process

_CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from mapgen.readers.table import read_table
try:
    table = read_table(sys.argv[1])
    print(json.dumps({{"rows": table.rows[:3], "count": len(table.rows), "columns": table.columns}}))
except Exception as exc:
    print(json.dumps({{"error": type(exc).__name__, "message": str(exc)}}))
"""


def read_capped(path: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Read ``path`` in a fresh Python capped at :data:`CAP` bytes; the table or the error."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD.format(cap=CAP), str(path)],
        capture_output=True, text=True, timeout=600, env=environment, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_cap_catches_an_unbounded_read(tmp_path: Path) -> None:
    # The check itself can fail: a table of 2 million cells of distinct text does not fit.
    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_AS, ({0}, {0}))\n"
        "x = ['%09d' % i * 60 for i in range(2_000_000)]"
    )
    done = subprocess.run([sys.executable, "-c", code.format(CAP)], capture_output=True, text=True, timeout=300)
    assert "MemoryError" in done.stderr


def test_a_cell_at_row_1048576_column_1000_is_refused(tmp_path: Path) -> None:
    found = read_capped(hostile.xlsx_huge_dimension(tmp_path))
    assert found["error"] == "InputError"
    assert found["message"].startswith(
        "dimension.xlsx: the sheet up to row 1,048,576 (1,048,576 rows x 1,000 columns): "
        "1,048,576,000 cells, over the limit of 10,000,000 cells"
    )
    assert "MAPGEN_MAX_CELLS=2097152000" in found["message"]


def test_a_styled_empty_cell_at_row_1048576_is_ignored(tmp_path: Path) -> None:
    found = read_capped(hostile.xlsx_huge_dimension_empty(tmp_path))
    assert found == {"rows": hostile.ROWS, "count": 2, "columns": hostile.HEADER}


def test_a_shared_string_that_unpacks_to_256_mb_is_refused(tmp_path: Path) -> None:
    found = read_capped(hostile.xlsx_huge_shared_string(tmp_path, size=256 * 2**20))
    assert found["error"] == "InputError"
    assert found["message"].startswith(
        "shared_string.xlsx: the workbook part 'xl/sharedStrings.xml' unpacks too large: 257 MB, "
        "over the limit of 200 MB"
    )
    assert "MAPGEN_MAX_UNZIPPED_MB=514" in found["message"]


def test_a_huge_cell_comment_is_not_read(tmp_path: Path) -> None:
    found = read_capped(hostile.xlsx_huge_comment(tmp_path, size=300_000_000))
    assert found == {"rows": hostile.ROWS, "count": 2, "columns": hostile.HEADER}


def test_excel_trailing_empty_columns_in_xlsx_cost_little(tmp_path: Path) -> None:
    found = read_capped(hostile.xlsx_trailing_columns(tmp_path, rows=300))
    assert found["columns"] == hostile.HEADER
    assert found["count"] == 300
    assert found["rows"][:2] == [hostile.ROWS[0], hostile.ROWS[1]]


def test_a_million_blank_lines_inside_the_table_are_refused(tmp_path: Path) -> None:
    found = read_capped(hostile.csv_blank_lines(tmp_path))
    assert found["error"] == "InputError"
    assert found["message"].startswith(
        "blank_lines.csv: the table (1,000,002 rows, blank ones included, x 1,001 columns): "
        "1,001,002,002 cells, over the limit of 10,000,000 cells"
    )


def test_a_million_trailing_blank_lines_are_dropped(tmp_path: Path) -> None:
    found = read_capped(hostile.csv_blank_lines(tmp_path, trailing=True))
    assert found["count"] == 1
    assert found["rows"][0][:3] == hostile.ROWS[0]
    assert len(found["columns"]) == 1_001


def test_excel_trailing_separators_in_csv_cost_little(tmp_path: Path) -> None:
    found = read_capped(hostile.csv_trailing_separators(tmp_path, rows=2_000))
    assert found["columns"] == hostile.HEADER
    assert found["count"] == 2_000


def test_a_limit_is_raised_by_its_environment_variable(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("a;b;c;d\n1;2;3;4\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^wide\.csv: the table \(2 rows, blank ones included, x 4 columns\): "
                       r"8 cells, over the limit of 6 cells .* MAPGEN_MAX_CELLS=16, and run again"):  # fmt: skip
        read_table(path, limits=Limits.from_environment({"MAPGEN_MAX_CELLS": "6"}))
    assert read_table(path, limits=Limits.from_environment({"MAPGEN_MAX_CELLS": "8"})).rows == [["1", "2", "3", "4"]]
    with pytest.raises(InputError, match=r"^wide\.csv: row 1 is too wide: 4 columns, over the limit of 3 columns"):
        read_table(path, limits=Limits(columns=3))


def test_a_bad_limit_value_says_so() -> None:
    with pytest.raises(InputError, match=r"^MAPGEN_MAX_CELLS='lots' is not a positive whole number"):
        Limits.from_environment({"MAPGEN_MAX_CELLS": "lots"})
    assert Limits.from_environment({"MAPGEN_MAX_CELLS": "50_000_000"}).cells == 50_000_000


def test_a_long_cell_is_refused_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a;b\n1;2\n3;" + "x" * 50 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^long\.csv: a cell of row 3 \(line 3 of the file\) is too long: more, "
                       r"over the limit of 40 characters .* MAPGEN_MAX_CELL_CHARS=80"):  # fmt: skip
        read_table(path, limits=Limits(cell_chars=40))


def test_a_long_xlsx_cell_is_refused(tmp_path: Path) -> None:
    path = hostile.write_xlsx(tmp_path / "long.xlsx", [hostile._inline_row(1, ["a", "x" * 50])])
    with pytest.raises(InputError, match=r"^long\.xlsx: a cell of row 1 is too long: 50 characters"):
        read_table(path, limits=Limits(cell_chars=40))


def test_a_large_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"a;b\n" + b"1;2\n" * 300_000)
    with pytest.raises(InputError, match=r"^big\.csv: the file is too large: 2 MB, over the limit of 1 MB"):
        read_table(path, limits=Limits(file_mb=1))


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "tubo.csv"
    os.mkfifo(fifo)  # opening it would wait for a writer forever
    with pytest.raises(UnreadableFileError) as caught:
        read_table(fifo)
    assert str(caught.value) == f"{fifo} is a named pipe (FIFO), not a file. Give the survey export file."


def test_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(UnreadableFileError) as caught:
        read_table("/dev/zero")
    assert str(caught.value) == (
        "/dev/zero is a device (such as /dev/zero), not a file. Give the survey export file."
    )


def test_a_symlink_loop_is_named(tmp_path: Path) -> None:
    loop = tmp_path / "giro.csv"
    loop.symlink_to(loop)
    with pytest.raises(UnreadableFileError) as caught:
        read_table(loop)
    assert str(caught.value) == (
        f"{loop} is a symbolic link that leads back to itself (a loop). Give the file itself."
    )


def test_a_dangling_symlink_says_where_it_points(tmp_path: Path) -> None:
    link = tmp_path / "risposte.csv"
    link.symlink_to(tmp_path / "spostato.csv")
    with pytest.raises(UnreadableFileError, match=r"risposte\.csv is a symbolic link to .*spostato\.csv', which"):
        read_table(link)


def test_a_chart_sheet_does_not_make_the_workbook_damaged(tmp_path: Path) -> None:
    # openpyxl 3.1 fails on chart sheets in read-only mode; an unknown --sheet then said "damaged".
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Risposte"
    sheet.append(hostile.HEADER)
    sheet.append(hostile.ROWS[0])
    book.create_chartsheet("Grafico")
    book.save(tmp_path / "grafico.xlsx")
    assert read_table(tmp_path / "grafico.xlsx").rows == [hostile.ROWS[0]]
    with pytest.raises(InputError) as caught:
        read_table(tmp_path / "grafico.xlsx", sheet="Riposte")
    assert str(caught.value) == (
        "grafico.xlsx has no sheet 'Riposte'; closest 'Risposte'. Sheets: 'Risposte'. "
        "Give one of them with --sheet."
    )


def test_a_text_longer_than_a_cell_may_hold_is_refused_while_streaming(tmp_path: Path) -> None:
    # 40 MB of text in one inline cell: refused before openpyxl holds it whole.
    text = "x" * 40_000_000
    rows = [hostile._inline_row(1, hostile.HEADER), hostile._inline_row(2, ["a", "b", text])]
    path = hostile.write_xlsx(tmp_path / "lungo.xlsx", rows)
    with pytest.raises(InputError, match=r"^lungo\.xlsx: a text in the sheet is too long: more, over the limit of "
                       r"1,000 characters .* MAPGEN_MAX_CELL_CHARS=2000"):  # fmt: skip
        read_table(path, limits=Limits(cell_chars=1_000))
    assert read_table(path, limits=Limits(cell_chars=len(text))).rows == [["a", "b", text]]


def test_an_unknown_sheet_of_a_workbook_openpyxl_cannot_open_lists_the_sheets(tmp_path: Path) -> None:
    # A wrong --sheet is the user's fix to make first, even when the workbook is also damaged.
    path = hostile.write_xlsx(tmp_path / "rotto.xlsx", hostile._small_rows())
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["xl/styles.xml"] = b"<styleSheet"  # not XML: openpyxl fails on it
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/styles.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')  # fmt: skip
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    with pytest.raises(InputError) as caught:
        read_table(path, sheet="Foglio1")
    assert str(caught.value) == "rotto.xlsx has no sheet 'Foglio1'. Sheets: 'Risposte'. Give one of them with --sheet."
    with pytest.raises(UnreadableFileError, match=r"^rotto\.xlsx is a damaged XLSX workbook"):
        read_table(path, sheet="Risposte")


def test_a_name_too_long_for_the_file_system_says_so(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError) as caught:
        read_table(tmp_path / ("r" * 300 + ".csv"))
    assert str(caught.value) == "r" * 40 + "...: the file name is too long for the file system. Rename the file."


def test_a_sheet_that_unzips_hundreds_of_times_its_size_is_refused_before_streaming(tmp_path: Path) -> None:
    """Issue 29: 4.7 MB unzipping to 1.5 GB ran past 120 s; here 300 MB from about 1 MB (ratio ~360)."""
    import time

    path = hostile.xlsx_sheet_comment(tmp_path, size=300_000_000)
    started = time.perf_counter()
    with pytest.raises(InputError) as caught:
        read_table(path)
    assert time.perf_counter() - started < 5
    assert str(caught.value).startswith("sheet_comment.xlsx: sheet 'Risposte' unpacks ")
    assert "over the limit of 100 times its packed size" in str(caught.value)
    assert "MAPGEN_MAX_SHEET_RATIO=" in str(caught.value)


def test_a_comment_in_the_sheet_costs_no_more_than_its_bytes(tmp_path: Path) -> None:
    """A comment is one token for expat, rescanned as it grows: 20 MB took 32 s (5 MB: 2.9 s).
    Under the ratio limit (raised here) it is dropped from the stream, and the rows are read."""
    import time

    path = hostile.xlsx_sheet_comment(tmp_path, size=20_000_000)
    started = time.perf_counter()
    table = read_table(path, limits=Limits(sheet_ratio=1_000))
    assert time.perf_counter() - started < 10
    assert table.rows == hostile.ROWS and table.columns == hostile.HEADER


def test_comments_split_across_pieces_of_the_stream_are_dropped(tmp_path: Path) -> None:
    from mapgen.readers.table import _SheetScan, _SheetStream

    xml = b"<sheetData><!-- a -- b --><row r='1'><c r='A1'><v>1</v></c></row><!--x--><row r='2'/></sheetData>"
    for size in (1, 2, 3, 5, 7, 1 << 20):
        stream = _SheetStream(io.BytesIO(xml), _SheetScan("x.xlsx", Limits()))
        stream.CHUNK = size
        assert stream.read() == b"<sheetData><row r='1'><c r='A1'><v>1</v></c></row><row r='2'/></sheetData>", size
