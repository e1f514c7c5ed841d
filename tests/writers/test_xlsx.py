"""mapgen.writers._xlsx: the workbook's members equal XlsxWriter's, written cell by cell, for any table.

XlsxWriter (``write_string``/``write_number`` per cell, the way ``writers/gis.py`` wrote the sheet
until issue 28) is the reference: the one-pass writer must give the same bytes in every member.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.factories import HOSTILE_TEXT
from mapgen.writers._xlsx import workbook_parts

CREATED = datetime(2026, 3, 1, 12, 30, 0)
Cell = str | float | None


def xlsxwriter_parts(name: str, rows: Sequence[Sequence[Cell]]) -> list[tuple[str, bytes]]:
    """The reference: XlsxWriter writing every cell, members read back from its zip."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False})
    book.set_properties({"created": CREATED})
    sheet = book.add_worksheet(name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value)
    book.close()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as done:
        return [(info.filename, done.read(info)) for info in done.infolist()]


def assert_same(rows: Sequence[Sequence[Cell]]) -> None:
    ours = dict(workbook_parts("iniziative", rows, created=CREATED))
    theirs = dict(xlsxwriter_parts("iniziative", rows))
    assert list(ours) == list(theirs)
    for member, content in theirs.items():
        if member != "docProps/core.xml":  # dated with the time of saving by XlsxWriter (gis.py restamps it)
            assert ours[member] == content, member


def test_a_table_of_every_kind_of_cell() -> None:
    header = ["id", "titolo", "lat", "lon", "importo", "note"]
    rows: list[list[Cell]] = [list(header)]
    for n in range(40):  # three blocks of 16 rows, with different spans
        rows.append([f"id-{n}", f"Titolo {n}", 45.123456 + n, 9.5, n * 1000 if n % 3 else None,
                     "" if n % 5 else f"nota {n}" if n < 20 else None])
    rows.append(["x", "=HYPERLINK(\"http://evil\")", 0.1, -1e-20, 12345678901234567890, HOSTILE_TEXT])
    rows.append(["y", " leading", "trailing ", "tab\tinside", "line\nbreak", "a_x0041_b\x07c"])
    rows.append(["z", "<r><t>rich?</t></r>", "&amp; <b>", "\ufffe\uffff", "😀" * 20_000, "é" * 32_767])
    rows.append(["", "", "", "", "", "last"])  # the last row starts past column A
    rows.append(["", "", "", "", "", ""])  # a row with no cell at all
    assert_same(rows)


def test_the_same_text_is_one_shared_string() -> None:
    rows: list[list[Cell]] = [["a", "b"], ["b", "a"], ["a", None], [None, "c"]]
    assert_same(rows)
    shared = dict(workbook_parts("iniziative", rows, created=CREATED))["xl/sharedStrings.xml"]
    assert b'count="6" uniqueCount="3"' in shared


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
cells = st.one_of(st.none(), texts, st.integers(-10**20, 10**20),
                  st.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(cells, min_size=1, max_size=6), min_size=1, max_size=40), texts)
def test_any_table(body: list[list[Cell]], first: str) -> None:
    assert_same([[first or "id"], *body])


def test_texts_with_space_at_either_end_and_long_ones_cut() -> None:
    """The quick test of a plain text (no pattern anchors) agrees with XlsxWriter at the edges."""
    spaces = ["\u00a0x", "x\u2028", "x\n", "\nx", "\u3000", "x\u0085", " ", "<r>", "<r>x", "x<r>", "_", "x\x1f"]
    long_text = "😀" * 16_400  # over Excel's limit in UTF-16 units only: cut, the same as a shorter text
    assert_same([["id", *spaces], ["y", long_text, long_text + "z", "😀" * 16_383]])
