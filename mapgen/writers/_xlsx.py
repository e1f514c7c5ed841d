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
from collections.abc import Sequence
from datetime import datetime

from mapgen._csv import column_letter

#: Excel's limit per text cell, in UTF-16 units (XlsxWriter cuts a longer text there).
_STRMAX = 32_767
_SHEET_DATA = re.compile(rb"<sheetData>.*</sheetData>|<sheetData/>", re.DOTALL)
_ESCAPED_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_EDGE_SPACE = re.compile(r"^\s|\s$")
#: A text that needs none of ``_si``'s steps (the common case) is written as it is.
_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f&<>_\ufffe\uffff]|^\s|\s$|^<r>")


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
    return _si(text) if _SPECIAL.search(text) else f"<si><t>{text}</t></si>"


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


def _sheet_data(rows: Sequence[Sequence[str | float | None]], strings: dict[str, int]) -> tuple[bytes, int, int, int]:
    """``<sheetData>``, the strings' count and the table's last row and column (0-based)."""
    cells_per_row: list[list[str]] = []
    spans: dict[int, list[int]] = {}
    count = last_col = 0
    names: list[str] = []
    for number, row in enumerate(rows):
        cells: list[str] = []
        r = number + 1
        used: list[int] = []
        names += [column_letter(col) for col in range(len(names), len(row))]
        for col, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                index = strings.setdefault(_utf16_cut(value), len(strings))
                count += 1
                cells.append(f'<c r="{names[col]}{r}" t="s"><v>{index}</v></c>')
            else:
                cells.append(f'<c r="{names[col]}{r}"><v>{value:.16G}</v></c>')
            used.append(col)
        if cells:
            block = spans.setdefault(number // 16, [used[0], used[-1]])
            block[0], block[1] = min(block[0], used[0]), max(block[1], used[-1])
            last_col = max(last_col, used[-1])
        cells_per_row.append(cells)
    parts = ["<sheetData>"]
    for number, cells in enumerate(cells_per_row):
        if cells:
            low, high = spans[number // 16]
            parts.append(f'<row r="{number + 1}" spans="{low + 1}:{high + 1}">{"".join(cells)}</row>')
    parts.append("</sheetData>")
    last_row = max((n for n, cells in enumerate(cells_per_row) if cells), default=0)
    return "".join(parts).encode(), count, last_row, last_col


def workbook_parts(
    sheet_name: str, rows: Sequence[Sequence[str | float | None]], *, created: datetime
) -> list[tuple[str, bytes]]:
    """The workbook's members (name, content) in XlsxWriter's order, for ``rows`` from row 1 column A.

    A cell is a text (a ``str``: a shared string; ``""`` or ``None``: no cell) or a number
    (``int``/``float``). The first row must hold a cell in column A (a header does).
    """
    strings: dict[str, int] = {}
    sheet_data, count, last_row, last_col = _sheet_data(rows, strings)
    shared = "".join([
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" '
        f'uniqueCount="{len(strings)}">',
        *map(_shared_string, strings), "</sst>",
    ]).encode()
    members = []
    with zipfile.ZipFile(io.BytesIO(_stub(sheet_name, created, last_row, last_col))) as stub:
        for info in stub.infolist():
            content = stub.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = _SHEET_DATA.sub(lambda _: sheet_data, content, count=1)
            elif info.filename == "xl/sharedStrings.xml":
                content = shared
            members.append((info.filename, content))
    return members
