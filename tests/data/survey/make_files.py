"""Write the small survey exports in this folder: the same five responses in every format.

Run from the repository root (needs openpyxl)::

    python tests/data/survey/make_files.py

The responses (all invented, contacts on example.org and 555 numbers):

* id 11 — Forlì: two practices; the first has a multi-line description with a
  comma and quotes, the second an "altro" area typed as text;
* id 12 — the lead Comune of an Ambito, typed "S. Giovanni Rotondo", with two members;
* id 13 — incomplete (no submitdate);
* id 14 — Forlì again, later: the same first practice sent twice (a duplicate);
* id 15 — Bolzano, with Windows-1252 punctuation (en dash, curly quotes, euro sign).

Three header styles, each in several encodings and formats:

* ``codes_*``    LimeSurvey question codes (read with ``codes_mapping.toml``);
* ``fulltext_*`` LimeSurvey full question texts and full answers
  (read with ``fulltext_mapping.toml``);
* ``tidy_*``     a hand-made sheet with the canonical Italian headers (no mapping).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

AREAS = [
    "Infanzia",
    "Natalità",
    "Sostegno alle famiglie",
    "Responsabilità genitoriali",
    "Centri per le famiglie",
]
FONTI = ["Nazionale", "Comunitaria", "Regionale", "Comunale"]
ENTI = {"A1": "Comune singolo", "A2": "Comune capofila di Ambito territoriale"}

# One dict per response; practices hold their own fields. Dates in LimeSurvey's format.
RESPONSES = [
    {
        "id": "11",
        "submitdate": "2020-09-20 10:30:15",
        "lastpage": "4",
        "regione": "Emilia-Romagna",
        "provincia": "FC",
        "comune": "Forlì",
        "tipo": "A1",
        "denominazione": "",
        "membri": [],
        "practices": [
            {
                "titolo": "Centro per le famiglie",
                "descrizione": 'Sportello di ascolto, mediazione "familiare".\nAperto il martedì.',
                "aree": [0, 4],
                "area_altro": "",
                "destinatari": "Genitori con figli 0-17",
                "fonti": [0, 2],
                "fonte_altro": "",
                "importo": "12.500,50",
                "inizio": "2020-01-15 00:00:00",
                "fine": "2020-12-31 00:00:00",
                "sito": "https://www.example.org/centro",
            },
            {
                "titolo": "Nidi gratis",
                "descrizione": "Rette azzerate per il nido.",
                "aree": [0],
                "area_altro": "tempo libero",
                "destinatari": "",
                "fonti": [3],
                "fonte_altro": "",
                "importo": "€ 3.000",
                "inizio": "",
                "fine": "",
                "sito": "",
            },
        ],
        "contatti": ("Anna Esempio", "anna.esempio@example.org", "0543 555 0101"),
    },
    {
        "id": "12",
        "submitdate": "2020-09-21 09:00:00",
        "lastpage": "4",
        "regione": "Puglia",
        "provincia": "Foggia",
        "comune": "S. Giovanni Rotondo",
        "tipo": "A2",
        "denominazione": "Ambito territoriale di San Marco in Lamis",
        "membri": ["San Marco in Lamis", "Rignano Garganico"],
        "practices": [
            {
                "titolo": "Scuola per genitori",
                "descrizione": "Incontri serali; gratuiti.",
                "aree": [3],
                "area_altro": "",
                "destinatari": "Genitori",
                "fonti": [1],
                "fonte_altro": "fondazione bancaria",
                "importo": "8000",
                "inizio": "2020-03-01 00:00:00",
                "fine": "",
                "sito": "",
            },
        ],
        "contatti": ("Marco Prova", "marco.prova@example.org", "0882 555 0102"),
    },
    {
        "id": "13",
        "submitdate": "",
        "lastpage": "1",
        "regione": "Puglia",
        "provincia": "LE",
        "comune": "Castro",
        "tipo": "A1",
        "denominazione": "",
        "membri": [],
        "practices": [
            {
                "titolo": "Bozza",
                "descrizione": "",
                "aree": [],
                "area_altro": "",
                "destinatari": "",
                "fonti": [],
                "fonte_altro": "",
                "importo": "",
                "inizio": "",
                "fine": "",
                "sito": "",
            },
        ],
        "contatti": ("", "", ""),
    },
    {
        "id": "14",
        "submitdate": "2020-09-25 16:45:00",
        "lastpage": "4",
        "regione": "Emilia-Romagna",
        "provincia": "FC",
        "comune": "Forlì",
        "tipo": "A1",
        "denominazione": "",
        "membri": [],
        "practices": [
            {
                "titolo": "Centro per le famiglie",
                "descrizione": "Sportello di ascolto e mediazione familiare (dati aggiornati).",
                "aree": [0, 4],
                "area_altro": "",
                "destinatari": "Genitori con figli 0-17",
                "fonti": [0, 2],
                "fonte_altro": "",
                "importo": "12.500,50",
                "inizio": "2020-01-15 00:00:00",
                "fine": "2020-12-31 00:00:00",
                "sito": "https://www.example.org/centro",
            },
        ],
        "contatti": ("Anna Esempio", "anna.esempio@example.org", "0543 555 0101"),
    },
    {
        "id": "15",
        "submitdate": "2020-09-28 08:05:00",
        "lastpage": "4",
        "regione": "Trentino-Alto Adige",
        "provincia": "BZ",
        "comune": "Bolzano",
        "tipo": "A1",
        "denominazione": "",
        "membri": [],
        "practices": [
            {
                "titolo": "Caffè genitori – “Insieme”",
                "descrizione": "Costo per le famiglie: 0 €.",
                "aree": [1, 2],
                "area_altro": "",
                "destinatari": "Neogenitori",
                "fonti": [2],
                "fonte_altro": "",
                "importo": "1.234",
                "inizio": "2019-10-01 00:00:00",
                "fine": "2020-06-30 00:00:00",
                "sito": "www.example.org/caffe",
            },
        ],
        "contatti": ("Luca Demo", "luca.demo@example.org", "0471 555 0103"),
    },
]
PRACTICES = 2
MEMBERS = 3


# --- the three header styles ------------------------------------------------------------------


def codes_table() -> list[list[str]]:
    """LimeSurvey question codes, short answers (Y / blank, answer codes)."""
    head = [
        "id",
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "token",
        "G01Q01",
        "G01Q02",
        "G01Q03",
        "G01Q04",
        "G01Q05",
        *(f"comuni[SQ00{n}]" for n in range(1, 4)),
    ]
    for p in range(1, PRACTICES + 1):
        g, area = f"G0{p + 1}", "area" if p == 1 else f"area{p}"
        head += [
            f"{g}Q01",
            f"{g}Q02",
            *(f"{area}[SQ00{n}]" for n in range(1, 6)),
            f"{area}[other]",
            f"{g}Q04",
            *(f"{g}Q05[SQ00{n}]" for n in range(1, 5)),
            f"{g}Q05[other]",
            f"{g}Q06",
            f"{g}Q07",
            f"{g}Q08",
            f"{g}Q09",
        ]
    head += ["G05Q01", "G05Q02", "G05Q03"]
    rows = []
    for r in RESPONSES:
        row = [
            r["id"],
            r["submitdate"],
            r["lastpage"],
            "it",
            "123456789",
            "tok" + r["id"],
            r["regione"],
            r["provincia"],
            r["comune"],
            r["tipo"],
            r["denominazione"],
            *(r["membri"] + [""] * MEMBERS)[:MEMBERS],
        ]
        for p in range(PRACTICES):
            row += _practice_cells(r["practices"][p] if p < len(r["practices"]) else None, "Y", "")
        rows.append(row + list(r["contatti"]))
    return [head, *rows]


def _practice_cells(p: dict[str, object] | None, yes: str, no: str) -> list[str]:
    if p is None:
        return [""] * 18
    aree, fonti = p["aree"], p["fonti"]
    assert isinstance(aree, list) and isinstance(fonti, list)
    return [
        str(p["titolo"]),
        str(p["descrizione"]),
        *(yes if n in aree else no for n in range(5)),
        str(p["area_altro"]),
        str(p["destinatari"]),
        *(yes if n in fonti else no for n in range(4)),
        str(p["fonte_altro"]),
        str(p["importo"]),
        str(p["inizio"]),
        str(p["fine"]),
        str(p["sito"]),
    ]


def fulltext_table() -> list[list[str]]:
    """LimeSurvey full question texts, full answers ("Sì" / blank, answer labels)."""
    head = [
        "ID risposta",
        "Data invio",
        "Ultima pagina",
        "Lingua iniziale",
        "Seme",
        "Token",
        "Regione",
        "Provincia",
        "Comune",
        "Tipo di ente",
        "Denominazione dell'ente",
        *(f"Comuni associati [{n}]" for n in range(1, MEMBERS + 1)),
    ]
    for p in range(1, PRACTICES + 1):
        area, fonte = (
            f"Area di intervento della pratica {p}",
            f"Fonte di finanziamento della pratica {p}",
        )
        head += [
            f"Titolo della pratica {p}",
            f"Descrizione della pratica {p}",
            *(f"{area} [{a}]" for a in AREAS),
            f"{area} [Altro]",
            f"Destinatari della pratica {p}",
            *(f"{fonte} [{f}]" for f in FONTI),
            f"{fonte} [Altro]",
            f"Importo della pratica {p} (euro)",
            f"Data di inizio della pratica {p}",
            f"Data di fine della pratica {p}",
            f"Sito web della pratica {p}",
        ]
    head += ["Referente", "Email del referente", "Telefono del referente"]
    rows = []
    for r, coded in zip(RESPONSES, codes_table()[1:], strict=True):
        row = [
            *coded[:6],
            r["regione"],
            r["provincia"],
            r["comune"],
            ENTI[str(r["tipo"])],
            *coded[10:14],
        ]
        for p in range(PRACTICES):
            row += _practice_cells(r["practices"][p] if p < len(r["practices"]) else None, "Sì", "")
        rows.append(row + list(r["contatti"]))
    return [head, *rows]


def tidy_table() -> list[list[str]]:
    """A hand-made sheet: canonical Italian headers, practices side by side, joined labels."""
    head = ["Regione", "Provincia", "Comune", "Tipo ente", "Denominazione ente", "Comuni associati"]
    for p in range(1, PRACTICES + 1):
        n = "" if p == 1 else f" {p}"
        head += [
            f"Titolo{n}",
            f"Descrizione{n}",
            f"Area{n}",
            f"Destinatari{n}",
            f"Fonte di finanziamento{n}",
            f"Importo{n}",
            f"Data inizio{n}",
            f"Data fine{n}",
            f"Sito web{n}",
        ]
    head += ["Referente", "Email", "Telefono", "id", "submitdate"]
    rows = []
    for r in RESPONSES:
        row = [
            r["regione"],
            r["provincia"],
            r["comune"],
            ENTI[str(r["tipo"])],
            r["denominazione"],
            "; ".join(r["membri"]),
        ]
        for p in range(PRACTICES):
            row += _tidy_practice(r["practices"][p] if p < len(r["practices"]) else None)
        rows.append([*row, *r["contatti"], r["id"], _italian_datetime(str(r["submitdate"]))])
    return [head, *rows]


def _tidy_practice(p: dict[str, object] | None) -> list[str]:
    if p is None:
        return [""] * 9
    aree, fonti = p["aree"], p["fonti"]
    assert isinstance(aree, list) and isinstance(fonti, list)
    area_labels = [AREAS[n] for n in aree] + (
        [f"altro: {p['area_altro']}"] if p["area_altro"] else []
    )
    fonte_labels = [FONTI[n] for n in fonti] + ([str(p["fonte_altro"])] if p["fonte_altro"] else [])
    return [
        str(p["titolo"]),
        str(p["descrizione"]),
        "; ".join(area_labels),
        str(p["destinatari"]),
        ", ".join(fonte_labels),
        str(p["importo"]),
        _italian_date(str(p["inizio"])),
        _italian_date(str(p["fine"])),
        str(p["sito"]),
    ]


# --- how each program writes them --------------------------------------------------------------

_LS_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):\d{2}")


def _italian_date(value: str) -> str:
    m = _LS_DATE.fullmatch(value)
    return f"{m[3]}/{m[2]}/{m[1]}" if m else value


def _italian_datetime(value: str) -> str:
    m = _LS_DATE.fullmatch(value)
    return f"{m[3]}/{m[2]}/{m[1]} {m[4]}:{m[5]}" if m else value


def _excel_cell(value: str) -> str:
    """Excel (Italian locale) re-types dates and numbers it recognises, then writes them back."""
    if _LS_DATE.fullmatch(value):
        return _italian_datetime(value)
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+(,\d+)?", value) and not value.startswith("0"):
        number = float(value.replace(".", "").replace(",", "."))
        return f"{number:.15g}".replace(".", ",")
    return value


def _csv_text(table: list[list[str]], *, delimiter: str, quote_all: bool, newline: str) -> str:
    out = io.StringIO()
    quoting = csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline).writerows(table)
    return out.getvalue()


def _excel_table(table: list[list[str]]) -> list[list[str]]:
    return [table[0], *([_excel_cell(c) for c in row] for row in table[1:])]


def _xlsx_value(value: str) -> object:
    if _LS_DATE.fullmatch(value):
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?|\d+(,\d+)?", value) and not value.startswith("0"):
        number = float(value.replace(".", "").replace(",", "."))
        return int(number) if number.is_integer() else number
    return value


def write_xlsx(path: Path, table: list[list[str]], sheet: str = "Risposte") -> None:
    """The responses as Excel stores them (dates and numbers typed), then a second sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(table[0])
    for row in table[1:]:
        ws.append([_xlsx_value(c) for c in row])
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                timed = cell.value.hour or cell.value.minute
                cell.number_format = "dd/mm/yyyy hh:mm" if timed else "dd/mm/yyyy"
    book.create_sheet("Istruzioni").append(["Le risposte sono nel primo foglio."])
    book.properties.created = datetime(2020, 10, 1)
    book.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            if name == "docProps/core.xml":
                data = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>", b"", data)
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2020, 10, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def main(out: Path = HERE) -> None:
    """Write every file into ``out`` (this folder by default)."""
    codes, fulltext, tidy = codes_table(), fulltext_table(), tidy_table()
    limesurvey = _csv_text(codes, delimiter=",", quote_all=True, newline="\n")
    (out / "codes_limesurvey.csv").write_bytes(limesurvey.encode("utf-8"))
    excel = _csv_text(_excel_table(codes), delimiter=";", quote_all=False, newline="\r\n")
    (out / "codes_excel_cp1252.csv").write_bytes(excel.encode("cp1252"))
    (out / "codes_excel_utf8_bom.csv").write_bytes(excel.encode("utf-8-sig"))
    (out / "codes_excel_sep_line.csv").write_bytes(("sep=;\r\n" + excel).encode("cp1252"))
    unicode_text = _csv_text(_excel_table(codes), delimiter="\t", quote_all=False, newline="\r\n")
    (out / "codes_excel_unicode_text.txt").write_bytes(
        b"\xff\xfe" + unicode_text.encode("utf-16-le")
    )
    write_xlsx(out / "codes_excel.xlsx", codes)
    full = _csv_text(fulltext, delimiter=",", quote_all=True, newline="\n")
    (out / "fulltext_limesurvey.csv").write_bytes(full.encode("utf-8"))
    write_xlsx(out / "fulltext_limesurvey.xlsx", fulltext)
    tidy_csv = _csv_text(tidy, delimiter=";", quote_all=False, newline="\r\n")
    (out / "tidy_canonical.csv").write_bytes(tidy_csv.encode("cp1252"))
    write_xlsx(out / "tidy_canonical.xlsx", tidy, sheet="Foglio1")


if __name__ == "__main__":
    main()
