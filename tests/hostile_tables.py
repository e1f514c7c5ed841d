"""Small files that cost a lot to read: written at test or benchmark time, never committed.

Each function writes one file of issue 20's "bounded cost" list into a folder and returns its
path; ``tests/test_table_limits.py`` reads them under a memory cap and
``benchmarks/bounded_reading.py`` times them. The XLSX files are written by hand (the parts
Excel writes, streamed into the ZIP) so that a 1 GiB member needs no 1 GiB string.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

HEADER = ["Comune", "Titolo", "Descrizione"]
ROWS = [["Lecce", "Centro famiglie", "Ascolto"], ["Bari", "Ludoteca", "Giochi"]]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "{extra}</Types>"
)
_SST_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
_COMMENTS_TYPE = (
    '<Override PartName="/xl/comments1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Risposte" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_REL = (
    '<Relationship Id="{id}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{type}" Target="{target}"/>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{rels}</Relationships>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<dimension ref="{dimension}"/><sheetData>'
)
_SHEET_TAIL = "</sheetData>{after}</worksheet>"


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _inline_row(number: int, cells: Iterable[str]) -> str:
    parts = [
        f'<c r="{column_letter(i)}{number}" t="inlineStr"><is><t>{text}</t></is></c>'
        for i, text in enumerate(cells)
    ]
    return f'<row r="{number}">{"".join(parts)}</row>'


def _write_member(archive: zipfile.ZipFile, name: str, chunks: Iterable[str]) -> None:
    """Stream ``chunks`` into one ZIP member (deflated), without joining them in memory."""
    info = zipfile.ZipInfo(name, date_time=(2024, 5, 1, 12, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        for chunk in chunks:
            member.write(chunk.encode("utf-8"))


def write_xlsx(
    path: Path,
    rows: Iterable[str],
    *,
    dimension: str = "A1:C3",
    shared: Iterable[str] | None = None,
    comment: Iterable[str] | None = None,
) -> Path:
    """An XLSX of one sheet 'Risposte' whose ``<sheetData>`` holds the ``<row>`` elements ``rows``."""
    extra = (_SST_TYPE if shared is not None else "") + (_COMMENTS_TYPE if comment is not None else "")
    book_rels = [_REL.format(id="rId1", type="worksheet", target="worksheets/sheet1.xml")]
    if shared is not None:
        book_rels.append(_REL.format(id="rId2", type="sharedStrings", target="sharedStrings.xml"))
    with zipfile.ZipFile(path, "w") as archive:
        _write_member(archive, "[Content_Types].xml", [_CONTENT_TYPES.format(extra=extra)])
        _write_member(archive, "_rels/.rels", [_ROOT_RELS])
        _write_member(archive, "xl/workbook.xml", [_WORKBOOK])
        _write_member(archive, "xl/_rels/workbook.xml.rels", [_RELS.format(rels="".join(book_rels))])
        after = '<legacyDrawing r:id="rId1"/>' if comment is not None else ""
        body = [_SHEET_HEAD.format(dimension=dimension), *rows, _SHEET_TAIL.format(after=after)]
        _write_member(archive, "xl/worksheets/sheet1.xml", body)
        if comment is not None:
            sheet_rels = _REL.format(id="rId2", type="comments", target="../comments1.xml")
            _write_member(archive, "xl/worksheets/_rels/sheet1.xml.rels", [_RELS.format(rels=sheet_rels)])
            _write_member(archive, "xl/comments1.xml", comment)
        if shared is not None:
            _write_member(archive, "xl/sharedStrings.xml", shared)
    return path


def _small_rows() -> list[str]:
    return [_inline_row(n, cells) for n, cells in enumerate([HEADER, *ROWS], start=1)]


def xlsx_huge_dimension(folder: Path) -> Path:
    """10 KB: three rows, then one cell at row 1,048,576, column 1,000 (ALL)."""
    far = '<row r="1048576"><c r="ALL1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return write_xlsx(folder / "dimension.xlsx", [*_small_rows(), far], dimension="A1:ALL1048576")


def xlsx_huge_dimension_empty(folder: Path) -> Path:
    """The same claim in ``<dimension>`` and a styled empty cell there: nothing to read past row 3."""
    far = '<row r="1048576"><c r="ALL1048576" s="1"/></row>'
    return write_xlsx(folder / "dimension_empty.xlsx", [*_small_rows(), far], dimension="A1:ALL1048576")


def xlsx_huge_shared_string(folder: Path, size: int = 2**30) -> Path:
    """About 1 MB on disk: a shared string of ``size`` characters once unpacked."""

    def shared() -> Iterator[str]:
        yield '<?xml version="1.0" encoding="UTF-8"?>\n'
        yield '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
        chunk = "a" * 2**20
        for _ in range(size // len(chunk)):
            yield chunk
        yield "</t></si></sst>"

    rows = [*_small_rows(), '<row r="4"><c r="A4" t="s"><v>0</v></c></row>']
    return write_xlsx(folder / "shared_string.xlsx", rows, shared=shared())


def xlsx_huge_comment(folder: Path, size: int = 600_000_000) -> Path:
    """A few MB on disk: a cell comment of ``size`` characters once unpacked."""

    def comment() -> Iterator[str]:
        yield '<?xml version="1.0" encoding="UTF-8"?>\n'
        yield '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        yield '<authors><author>a</author></authors><commentList><comment ref="A1" authorId="0"><text>'
        for _ in range(size // 1000):
            yield "<r><t>" + "b" * 980 + "</t></r>"
        yield "</text></comment></commentList></comments>"

    return write_xlsx(folder / "comment.xlsx", _small_rows(), comment=comment())


def xlsx_trailing_columns(folder: Path, rows: int = 10_000, width: int = 16_000) -> Path:
    """``rows`` responses, each followed by styled empty cells up to column ``width``."""
    empties = [column_letter(i) for i in range(3, width)]

    def body() -> Iterator[str]:
        for number in range(1, rows + 2):
            cells = HEADER if number == 1 else ROWS[number % 2]
            row = _inline_row(number, cells)[:-6]  # without "</row>"
            yield row + "".join(f'<c r="{c}{number}" s="1"/>' for c in empties) + "</row>"

    return write_xlsx(folder / "trailing_columns.xlsx", body(), dimension=f"A1:{column_letter(width - 1)}{rows + 1}")


def xlsx_normal(folder: Path, rows: int) -> Path:
    """A baseline: ``rows`` responses of three short cells."""

    def body() -> Iterator[str]:
        yield from _small_rows()[:1]
        for number in range(2, rows + 2):
            yield _inline_row(number, [f"{ROWS[number % 2][0]}", f"Titolo {number}", "Testo " * 8])

    return write_xlsx(folder / f"normal_{rows}.xlsx", body(), dimension=f"A1:C{rows + 1}")


def csv_blank_lines(folder: Path, lines: int = 1_000_000, separators: int = 1_000, *, trailing: bool = False) -> Path:
    """A header of ``separators + 1`` columns, then ``lines`` blank lines (and a response unless trailing)."""
    header = ",".join([*HEADER, *(f"Q{i}" for i in range(separators + 1 - len(HEADER)))])
    response = ",".join(ROWS[0])
    body = [header, response] + [""] * lines if trailing else [header, *[""] * lines, response]
    path = folder / ("blank_lines_trailing.csv" if trailing else "blank_lines.csv")
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def csv_trailing_separators(folder: Path, rows: int = 10_000, separators: int = 16_000) -> Path:
    """``rows`` responses, each line ending in ``separators`` empty cells (Excel's used range)."""
    tail = ";" * separators
    lines = [";".join(HEADER) + tail] + [";".join(ROWS[n % 2]) + tail for n in range(rows)]
    path = folder / "trailing_separators.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def csv_normal(folder: Path, size: int) -> Path:
    """A baseline CSV of about ``size`` bytes of three-column responses."""
    line = ";".join([ROWS[0][0], "Titolo", "Testo " * 8])
    count = max(1, size // (len(line) + 1))
    path = folder / f"normal_{size}.csv"
    path.write_text("\n".join([";".join(HEADER)] + [line] * count) + "\n", encoding="utf-8")
    return path
