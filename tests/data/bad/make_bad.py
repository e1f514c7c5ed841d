"""Write the broken and odd input files of this folder (see EXPECTED.toml for what each must give).

Run from the repository root (needs openpyxl)::

    python tests/data/bad/make_bad.py

The output is deterministic: fixed texts, XLSX files with fixed timestamps. The 5 MB
cell is not committed: ``tests/test_bad_inputs.py`` writes it with :func:`big_cell`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

HEADER = ["id", "submitdate", "Comune", "Provincia", "Titolo", "Descrizione"]
ROWS = [
    ["1", "2020-09-20 10:30:00", "Forlì", "FC", "Centro per le famiglie", "Sportello di ascolto, mediazione."],
    ["2", "2020-09-21 09:00:00", "Castro", "LE", "Nidi gratis", "Rette azzerate per il nido."],
]


def csv_text(rows: Sequence[Sequence[str]], delimiter: str = ",") -> str:
    """Rows as CSV text (``\\r\\n`` line ends, quotes only where needed)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[Sequence[object]]]], merged: Sequence[str] = ()) -> bytes:
    """A workbook with the given sheets (``merged`` ranges on the first), fixed timestamps."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for number, (title, rows) in enumerate(sheets):
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(list(row))
        for cells in merged if number == 0 else ():
            ws.merge_cells(cells)
    book.properties.created = book.properties.modified = datetime(2020, 10, 1)
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_zip_times(raw.getvalue())


def _fixed_zip_times(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members:
            if name == "docProps/core.xml":
                content = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>", b"", content)
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 10, 1, 0, 0, 0)), content,
                             compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def feature(key: object, geometry: object, **properties: object) -> dict[str, object]:
    """A GeoJSON Feature with a title and a Comune (``key`` None: no id)."""
    props = {"name": f"Pratica {key}", "comune": "Roma", **properties}
    found: dict[str, object] = {"type": "Feature", "geometry": geometry, "properties": props}
    if key is not None:
        found["id"] = key
    return found


def point(lon: float, lat: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [lon, lat]}


def collection(features: Sequence[object], **members: object) -> bytes:
    data = {"type": "FeatureCollection", **members, "features": list(features)}
    # allow_nan: the point of bad_geometries.geojson is a NaN written the way some tools write it
    return (json.dumps(data, ensure_ascii=False, indent=1, allow_nan=True) + "\n").encode()


# --- the survey files -------------------------------------------------------------------


def survey_files() -> dict[str, bytes]:
    table = [HEADER, *ROWS]
    workbook = xlsx_bytes([("Risposte", table)])
    ragged = [HEADER, ROWS[0], ["3", "2020-09-22 11:00:00", "Roma", "RM"],
              ["4", "2020-09-22 12:00:00", "Bari", "BA", "Ludoteca", "Giochi", "in più", "ancora"]]
    return {
        **table_files(),
        "empty.csv": b"",
        "header_only.csv": csv_text([HEADER]).encode(),
        "wrong_separator.csv": csv_text(table, delimiter=":").encode(),
        "mixed_encodings.csv": csv_text([HEADER, ROWS[0]]).encode("utf-8")
        + csv_text([["3", "2020-09-22 11:00:00", "Cantù", "CO", "Più nidi", "Già attivo."]]).encode("cp1252"),
        "utf16.csv": b"\xff\xfe" + csv_text(table, delimiter="\t").encode("utf-16-le"),
        "utf8_bom.csv": b"\xef\xbb\xbf" + csv_text(table, delimiter=";").encode(),
        "ragged_rows.csv": csv_text(ragged).encode(),
        "nul_bytes.csv": csv_text([HEADER, ROWS[0], [*ROWS[1][:4], "Nidi\x00 gratis", "Rette\x00\x00"]]).encode(),
        "formulas.csv": csv_text([HEADER, [*ROWS[0][:4], '=HYPERLINK("http://evil.example","x")', "+39 06 555"],
                                  [*ROWS[1][:4], "@SUM(A1:A9)", "-2+3"]]).encode(),
        "formula_no_result.xlsx": xlsx_bytes([("Risposte", [HEADER, ROWS[0], [*ROWS[1][:4], '=CONCAT("Nidi"," gratis")',
                                                                           "=1+1"]])]),
        "csv_named.xlsx": csv_text(table).encode(),
        "xlsx_named.csv": workbook,
        "truncated.xlsx": workbook[: len(workbook) // 2],
        "zip_version.xlsx": _unsupported_zip_version(workbook),
        "merged_header.xlsx": xlsx_bytes([("Risposte", [["id", "submitdate", "Luogo", None, "Pratica", None],
                                                        ["", "", "Comune", "Provincia", "Titolo", "Descrizione"],
                                                        *ROWS])], merged=["C1:D1", "E1:F1"]),
        "several_sheets.xlsx": xlsx_bytes([("Istruzioni", [["Le risposte sono nel foglio Risposte."]]),
                                           ("Risposte", table)]),
        "binary.csv": bytes(range(256)) * 4,
        "blank_first_row.csv": ("\r\n" + csv_text(table)).encode(),
        "long_ids.csv": csv_text([HEADER, ["12345678901234567890.0", *ROWS[0][1:]],
                                  ["9" * 400, *ROWS[1][1:]]]).encode(),
        "huge_amount.csv": csv_text([[*HEADER, "Importo"], [*ROWS[0], "9" * 400], [*ROWS[1], "1.000,50"]]).encode(),
        **hostile_survey_files(),
        **wrong_file_files(),
    }


#: A LimeSurvey export's 80 headings with question codes, without a column named Comune or Titolo.
CODED_HEADER = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token"] + [
    f"G{group:02d}Q{question:02d}" for group in range(1, 9) for question in range(1, 11)
][:74]


def wrong_file_files() -> dict[str, bytes]:
    """Right files in the wrong place (issue 27): a map or a mapping given as the survey, an export without
    a mapping."""
    umap = {"type": "umap", "uri": "https://umap.example.org/it/map/famiglie-2019_2019",
            "properties": {"name": "Famiglie 2019"},
            "layers": [{"type": "FeatureCollection", "features": [feature(1, point(12.4964, 41.9028))],
                        "_umap_options": {"name": "Iniziative 2019"}}]}
    return {
        "mapping_as_survey.toml": b"# mapgen mapping\n[survey]\nedition = 2020\n\n[survey.columns]\n"
        b'comune = "G01Q03"\n',
        "map_as_survey.umap": (json.dumps(umap, ensure_ascii=False, indent=1) + "\n").encode(),
        "layer_as_survey.geojson": collection([feature(1, point(12.4964, 41.9028))]),
        "codes_without_mapping.csv": csv_text([CODED_HEADER, ["1", "2020-09-20 10:30:00", "6", "it", "1", "",
                                                              *["A1"] * 74]]).encode(),
    }


#: Contacts of the issue-20 cases: none of them may appear in a public output.
PEOPLE_HEADER = [*HEADER, "Referente", "Email", "Telefono"]
ROSSI = ["Mario Rossi", "mario.rossi@comune.example.it", "+39 0543 712345"]
BIANCHI = ["Anna Bianchi", "anna.bianchi@example.org", "333 555 0199"]


def hostile_survey_files() -> dict[str, bytes]:
    """Issue 20: rows that used to be lost, contacts that used to be published."""
    repeated = [PEOPLE_HEADER, [*ROWS[0], *ROSSI], [*ROWS[1], *BIANCHI],
                ["2", "2020-09-22 10:00:00", "Roma", "RM", "Ludoteca", "Giochi.", *BIANCHI],
                ["3", "2020-09-23 10:00:00", "Bari", "BA", "Doposcuola", "Compiti.", *ROSSI]]
    leaked = [PEOPLE_HEADER,
              [*ROWS[0][:5], f"Scrivere a {BIANCHI[1]} o chiamare il {BIANCHI[2]}.", *ROSSI],
              [*ROWS[1][:5], f"Referente: {ROSSI[0]}.", *BIANCHI]]
    return {
        "duplicate_response_id.csv": csv_text(repeated).encode(),
        "contact_in_description.csv": csv_text(leaked).encode(),
    }


def _unsupported_zip_version(workbook: bytes) -> bytes:
    """A damaged central directory that asks for ZIP version 6.4 (zipfile raises NotImplementedError)."""
    data = bytearray(workbook)
    data[data.index(b"PK\x01\x02") + 6] = 64
    return bytes(data)


# Quotes and line ends (issue 20): a contact column shows what a swallowed response would leak.
CONTACT_HEADER = [*HEADER, "Email"]
CONTACT_ROWS = [
    [*ROWS[0], "forli@example.org"],
    [*ROWS[1], "castro@example.org"],
    ["3", "2020-09-22 11:00:00", "Bari", "BA", "Ludoteca", "Giochi.", "bari@example.org"],
    ["4", "2020-09-23 08:00:00", "Lecce", "LE", "Spazio mamme", "Incontri, \"a tema\".", "lecce@example.org"],
]


def table_files() -> dict[str, bytes]:
    """Quotes left open, multi-line cells, bare CRs, old Mac line ends, a chart sheet."""
    head = csv_text([CONTACT_HEADER, CONTACT_ROWS[0]])
    opened = ",".join(CONTACT_ROWS[1][:5]) + ',"' + ",".join(CONTACT_ROWS[1][5:]) + "\r\n"
    multi = [CONTACT_HEADER, [*ROWS[0][:5], "Sportello di ascolto.\r\nOrari: lun, mer\r\n\r\nvenerdì", ""],
             [*ROWS[1][:5], 'Rette "azzerate"\nper il nido.', "castro@example.org"]]
    mac = csv_text([HEADER, *ROWS], delimiter=";").replace("\r\n", "\r")
    bare_cr = csv_text([HEADER, ROWS[0]], delimiter=";")
    bare_cr += ";".join([*ROWS[1][:5], "Rette azzerate\rper il nido."]) + "\r\n"
    return {
        "unclosed_quote.csv": (head + opened + csv_text(CONTACT_ROWS[2:3])).encode(),
        "swallowed_rows.csv": (head + opened + csv_text(CONTACT_ROWS[2:])).encode(),
        "multiline_cells.csv": csv_text(multi).encode(),
        "bare_cr.csv": bare_cr.encode(),
        "cr_line_ends.csv": mac.encode("cp1252"),
        "chart_sheet.xlsx": _with_chart_sheet([HEADER, *ROWS]),
    }


def _with_chart_sheet(rows: Sequence[Sequence[object]]) -> bytes:
    """A workbook whose second sheet is a chart sheet (openpyxl 3.1 fails on it read-only)."""
    import openpyxl
    from openpyxl.chart import BarChart

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Risposte"
    for row in rows:
        sheet.append(list(row))
    book.create_chartsheet("Grafico").add_chart(BarChart())
    book.properties.created = book.properties.modified = datetime(2020, 10, 1)
    raw = io.BytesIO()
    book.save(raw)
    return _fixed_zip_times(raw.getvalue())


def big_cell(path: Path, size: int = 5 * 1024 * 1024) -> Path:
    """A survey whose second practice has a description of ``size`` characters (one cell)."""
    words = ("parola " * (size // 7 + 1))[:size]
    path.write_text(csv_text([HEADER, ROWS[0], [*ROWS[1][:5], words]]), encoding="utf-8")
    return path


# --- the previous-map files -------------------------------------------------------------


def previous_files() -> dict[str, bytes]:
    rome = point(12.4964, 41.9028)
    geometries = [
        feature(1, None),
        feature(2, {"type": "Point", "coordinates": []}),
        feature(3, {"type": "Point", "coordinates": [math.nan, 41.9]}),
        feature(4, {"type": "Polygon", "coordinates": []}),
        feature(5, {"type": "GeometryCollection", "geometries": []}),
        feature(6, {"type": "Point", "coordinates": ["x", None]}),
        feature(7, {"type": "Point"}),
        feature(8, rome),
        {"type": "Feature", "id": 9, "geometry": None, "properties": {"name": "Senza luogo"}},
        # positions of mixed dimensions; a ring of three positions; a one-position line
        feature(10, {"type": "Polygon", "coordinates": [[[12.49, 41.90], [12.50, 41.90, 21.0], [12.50, 41.91],
                                                          [12.49, 41.90]]]}),
        feature(11, {"type": "Polygon", "coordinates": [[[12.49, 41.90], [12.50, 41.90], [12.49, 41.90]]]}),
        feature(12, {"type": "LineString", "coordinates": [[12.49, 41.90]]}),
    ]
    milano, torino = (514_900.0, 5_034_700.0), (396_200.0, 4_991_200.0)  # EPSG:32632 metres
    projected = [feature(1, point(*milano), comune="Milano"), feature(2, point(*torino), comune="Torino")]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32632"}}
    unknown = {"type": "umap", "properties": {"name": "Mappa 2019"}, "layers": [
        {"type": "FeatureCollection", "_umap_options": {"name": "Iniziative"}, "features": [feature(1, rome)]},
        {"type": "Topology", "_umap_options": {"name": "Strano"}, "objects": {}},
    ]}
    odd_numbers = {"type": "umap", "properties": {"name": "Mappa 2019"}, "layers": [
        {"type": "FeatureCollection", "_umap_options": {"name": "Iniziative"}, "features": [
            feature(1, rome, importo=math.nan), feature(2, rome, importo="Infinity"), feature(3, rome, importo=1e999)]},
        {"type": "FeatureCollection", "_umap_options": {"name": "Statistiche"}, "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [math.inf, 41.9]},
             "properties": {"valore": math.nan}},
            {"type": "Feature", "geometry": "Roma", "properties": True}]},
    ]}
    return {
        "non_finite_numbers.umap": (json.dumps(odd_numbers, ensure_ascii=False, indent=1) + "\n").encode(),
        "invalid_json.geojson": b'{"type": "FeatureCollection", "features": [\n {"type": "Feature",, }\n]}\n',
        "bad_geometries.geojson": collection(geometries),
        "projected_crs.geojson": collection(projected, crs=crs),
        "duplicate_ids.geojson": collection([feature(1, rome), feature(1, rome, name="Altra pratica"),
                                             feature(2, rome)]),
        "unknown_layer_type.umap": (json.dumps(unknown, ensure_ascii=False, indent=1) + "\n").encode(),
        **hostile_previous_files(),
    }


def hostile_previous_files() -> dict[str, bytes]:
    """Issue 20: files that gave a traceback, carried layers that published contacts."""
    rome = point(12.4964, 41.9028)
    deep = b'{"type": "FeatureCollection", "features": [' + b"[" * 1000 + b"]" * 1000 + b"]}\n"
    huge = collection([feature(1, rome)]).replace(b"12.4964", b"1" + b"0" * 400)
    # json.dumps writes a lone surrogate as the escape \ud800, as some exporters do
    surrogate = json.dumps({"type": "FeatureCollection", "features": [
        feature(1, rome, name="Nido \ud800", description="Testo \udfff rotto")]}, indent=1) + "\n"
    odd_type = collection([feature(1, {"type": ["Point"], "coordinates": [12.4964, 41.9028]}),
                           feature(2, {"type": 7, "coordinates": [12.4964, 41.9028]}), feature(3, rome)])
    carried = {"type": "umap", "properties": {"name": "Mappa 2019"}, "layers": [
        {"type": "FeatureCollection", "_umap_options": {"name": "Iniziative"}, "features": [feature(1, rome)]},
        {"type": "FeatureCollection", "_umap_options": {"name": "Sportelli"}, "features": [
            {"type": "Feature", "geometry": rome, "properties": {
                "name": "Sportello famiglie", "referente": ROSSI[0], "email": ROSSI[1], "Telefono": ROSSI[2],
                "description": f"Referente {ROSSI[0]}"}}]},
    ]}
    same_names = {"type": "umap", "properties": {"name": "Mappa 2019"}, "layers": [
        {"type": "FeatureCollection", "_umap_options": {"name": "Iniziative"}, "features": [feature(1, rome)]},
        *({"type": "FeatureCollection", "_umap_options": {"name": name},
           "features": [{"type": "Feature", "geometry": rome, "properties": {"name": f"Punto {n}"}}]}
          for n, name in enumerate(["A", "A", "A 2"], start=1)),
    ]}
    return {
        "deep_nesting.geojson": deep,
        "huge_coordinate.geojson": huge,
        "lone_surrogate.geojson": surrogate.encode(),
        "geometry_type_not_text.geojson": odd_type,
        "carried_contacts.umap": (json.dumps(carried, ensure_ascii=False, indent=1) + "\n").encode(),
        "same_layer_file_names.umap": (json.dumps(same_names, ensure_ascii=False, indent=1) + "\n").encode(),
    }


# --- the mapping files ------------------------------------------------------------------


def config_files() -> dict[str, bytes]:
    return {
        "typo_field.toml": b'[survey]\nedition = 2020\n\n[survey.columns]\ncomune = "Comune"\n\n'
        b'[[survey.practices]]\ntitolo = "Titolo"\ndescrizone = "Descrizione"\n',
        "typo_section.toml": b'[survey]\nediton = 2020\n',
        "deep_nesting.toml": b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "missing_bracket.toml": b'[survey\nedition = 2020\n\n[survey.columns]\ncomune = "Comune"\n',
        "windows_path.toml": b'[survey]\nedition = 2020\nstructure = "C:\\Users\\anna\\Documenti\\questionario.lss"\n',
        "mistyped_code.toml": b'[survey]\nedition = 2020\n\n[survey.columns]\nregione = "G01Q01"\n'
        b'provincia = "G01Q02"\ncomune = "G01Q99"\n\n[[survey.practices]]\ntitolo = "G02Q01"\n',
        "contact_on_public_column.toml": b'[survey]\nedition = 2020\n\n[survey.columns]\ncomune = "Comune"\n'
        b'email = "Descrizione"\n\n[[survey.practices]]\ntitolo = "Titolo"\ndescrizione = "Descrizione"\n',
    }


WRITERS: dict[str, Callable[[], dict[str, bytes]]] = {
    "survey": survey_files, "previous": previous_files, "config": config_files,
}


def all_files() -> dict[str, bytes]:
    """Every committed file of this folder, by name."""
    return {name: data for make in WRITERS.values() for name, data in make().items()}


def main(out: Path = HERE) -> None:
    """Write every file into ``out`` (this folder by default)."""
    for name, data in all_files().items():
        (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
