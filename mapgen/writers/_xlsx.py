"""A one-sheet workbook of text and number cells, byte for byte as XlsxWriter writes it, at a CSV's cost.

XlsxWriter spends about 0.4 ms per cell (a call, a dimension check, a tuple per cell, then an XML
writer per element): 3.5 s of a 10,000-initiative build for a 300,000-cell sheet. Here XlsxWriter
writes the workbook around a stub sheet holding two cells at the table's corners (so its
``<dimension>`` is the table's), and the sheet's cells (``<sheetData>``) and the shared strings
(``xl/sharedStrings.xml``) are written from the rows in one pass, in XlsxWriter's own layout: the
same shared-string order and counts, row ``spans`` per block of 16 rows, ``_xHHHH_`` escapes of
control characters, ``xml:space="preserve"``, numbers as ``%.16G``. ``tests/writers/test_xlsx.py``
checks the bytes against XlsxWriter writing the same table cell by cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import repeat

from mapgen._csv import column_letter

#: Excel's limit per text cell, in UTF-16 units (XlsxWriter cuts a longer text there).
_STRMAX = 32_767
_SHEET_DATA = re.compile(rb"<sheetData>.*</sheetData>|<sheetData/>", re.DOTALL)
_ESCAPED_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_SPACE = re.compile(r"^\s|\s$")
#: A text that needs none of ``_si``'s steps (the common case) is written as it is: one without
#: these characters, space at either end (``str.isspace`` is the ``\s`` of ``re``) nor ``<r>`` first.
_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f&<>_\ufffe\uffff]")


def _utf16_cut(text: str) -> str:
    """XlsxWriter's cut of a text over Excel's limit, counted in UTF-16 units."""
    if len(text) <= _STRMAX // 2 or len(text.encode("utf-16-le", "surrogatepass")) // 2 <= _STRMAX:
        return text
    length = 0
    for index, char in enumerate(text):
        length += 2 if ord(char) > 0xFFFF else 1
        if length > _STRMAX:
            return text[:index]
    return text


def _si(text: str) -> str:
    """One ``<si>`` of the shared strings, as XlsxWriter's ``SharedStrings._write_si``."""
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    if text.startswith("<r>") and text.endswith("</r>"):
        return f"<si>{text}</si>"  # XlsxWriter takes such a text for rich-text XML, as it is
    preserve = ' xml:space="preserve"' if _EDGE_SPACE.search(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<si><t{preserve}>{text}</t></si>"


def _shared_string(text: str) -> str:
    # A character class and two end tests rather than one pattern with anchors: the pattern was
    # tried at every position of every text (0.1 s for 40,000 texts).
    special = _SPECIAL.search(text) or text[:1].isspace() or text[-1:].isspace() or text.startswith("<r>")
    return _si(text) if special else f"<si><t>{text}</t></si>"


def _stub(sheet_name: str, created: datetime, last_row: int, last_col: int) -> bytes:
    """The workbook around the sheet: XlsxWriter with a cell at the table's first and last corners."""
    import xlsxwriter

    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
               "strings_to_urls": False}  # fmt: skip
    book = xlsxwriter.Workbook(buffer, options)
    book.set_properties({"created": created})
    sheet = book.add_worksheet(sheet_name)
    sheet.write_string(0, 0, "a")
    sheet.write_string(last_row, last_col, "a")
    book.close()
    return buffer.getvalue()


class _SharedStrings(dict[str, int]):
    """Text -> its index in the shared strings; a text not seen yet is added, cut as XlsxWriter cuts it.

    Looked up as ``strings[text]``: a text seen before (most cells) costs a dict lookup, no call.
    ``texts`` are the shared strings in order of first use, each once.
    """

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def __missing__(self, text: str) -> int:
        cut = _utf16_cut(text)
        if cut != text:
            index = self[cut]  # a cut text shares the index of the same text typed short
        else:
            index = len(self.texts)
            self.texts.append(text)
        self[text] = index
        return index


def _extent(rows: Sequence[Sequence[str | float | None]]) -> tuple[int, int]:
    """The table's last row and column that hold a cell (0-based): the stub's corners."""
    last_row = last_col = 0
    for number, row in enumerate(rows):
        last = next((col for col in range(len(row) - 1, -1, -1) if row[col] is not None and row[col] != ""), -1)
        if last >= 0:
            last_row, last_col = number, max(last_col, last)
    return last_row, last_col


def _sheet_rows(rows: Sequence[Sequence[str | float | None]], strings: _SharedStrings, counted: list[int]
                ) -> Iterator[bytes]:
    """The ``<row>`` elements of ``<sheetData>``, encoded a block of 16 rows at a time; once all
    are made, the count of text cells is appended to ``counted``.

    XlsxWriter gives the rows of a block the same ``spans``, the first and last column used in
    the block. A block at a time, the sheet (9 MB at 10,000 initiatives) is never whole in memory.
    """
    block: list[tuple[int, list[str], int, int]] = []  # (row number, cells, first and last column)
    count = 0
    names: list[str] = []
    for number, row in enumerate(rows):
        if block and number % 16 == 0:
            yield "".join(_block_rows(block)).encode()
            block = []
        if len(names) < len(row):
            names += [column_letter(col) for col in range(len(names), len(row))]
        cells, texts, first, last = _row_cells(row, str(number + 1), names, strings)
        count += texts
        if cells:
            block.append((number + 1, cells, first, last))
    yield "".join(_block_rows(block)).encode()
    counted.append(count)


def _row_cells(
    row: Sequence[str | float | None], r: str, names: Sequence[str], strings: _SharedStrings
) -> tuple[list[str], int, int, int]:
    """A row's ``<c>`` elements, how many are texts, and its first and last column used (-1 for none)."""
    # One comprehension for the row's cells: a call or a branch per cell added up (300,000 cells).
    cells = [
        f'<c r="{name}{r}" t="s"><v>{strings[value]}</v></c>' if isinstance(value, str)
        else f'<c r="{name}{r}"><v>{value:.16G}</v></c>'
        for name, value in zip(names, row, strict=False) if value is not None and value != ""  # names: the widest row
    ]
    if not cells:
        return cells, 0, -1, -1
    first = next(col for col, value in enumerate(row) if value is not None and value != "")
    last = len(row) - 1 - next(col for col, value in enumerate(reversed(row)) if value is not None and value != "")
    return cells, sum(map(isinstance, row, repeat(str))) - row.count(""), first, last


def _block_rows(block: Sequence[tuple[int, list[str], int, int]]) -> list[str]:
    """The ``<row>`` elements of one block of 16 rows, with the block's ``spans``."""
    if not block:
        return []
    spans = f'{min(first for _, _, first, _ in block) + 1}:{max(last for _, _, _, last in block) + 1}'
    return [f'<row r="{number}" spans="{spans}">{"".join(cells)}</row>' for number, cells, _, _ in block]


def workbook_members(
    sheet_name: str, rows: Sequence[Sequence[str | float | None]], *, created: datetime
) -> Iterator[tuple[str, Iterator[bytes]]]:
    """The workbook's members (name, content in pieces) in XlsxWriter's order, for ``rows`` from
    row 1 column A, to be written one after the other: the shared strings are known once the
    sheet's pieces have all been taken.

    A cell is a text (a ``str``: a shared string; ``""`` or ``None``: no cell) or a number
    (``int``/``float``). The first row must hold a cell in column A (a header does).
    """
    strings = _SharedStrings()
    counted: list[int] = []

    def sheet(content: bytes) -> Iterator[bytes]:
        where = _SHEET_DATA.search(content)
        assert where is not None  # XlsxWriter writes one
        yield content[: where.start()] + b"<sheetData>"
        yield from _sheet_rows(rows, strings, counted)
        yield b"</sheetData>" + content[where.end():]

    def shared() -> Iterator[bytes]:
        if not counted:
            raise RuntimeError("the shared strings were asked for before the sheet was written")
        yield (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{counted[0]}" '
            f'uniqueCount="{len(strings.texts)}">'
        ).encode()
        for start in range(0, len(strings.texts), 4096):
            yield "".join(map(_shared_string, strings.texts[start:start + 4096])).encode()
        yield b"</sst>"

    with zipfile.ZipFile(io.BytesIO(_stub(sheet_name, created, *_extent(rows)))) as stub:
        for info in stub.infolist():
            content = stub.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                yield info.filename, sheet(content)
            elif info.filename == "xl/sharedStrings.xml":
                yield info.filename, shared()
            else:
                yield info.filename, iter([content])


def workbook_parts(
    sheet_name: str, rows: Sequence[Sequence[str | float | None]], *, created: datetime
) -> list[tuple[str, bytes]]:
    """:func:`workbook_members` with each member's content whole."""
    return [(name, b"".join(pieces)) for name, pieces in workbook_members(sheet_name, rows, created=created)]
