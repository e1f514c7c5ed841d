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


# --- every export shape of one survey, with its structure file (issue 18) ----------------------

TITLE = "Iniziative per le famiglie 2020 - rilevazione regionale"
#: The practice groups repeat the same question texts, as real surveys do.
SHAPE_PRACTICE = [
    ("Q01", "S", "Titolo della pratica", []),
    ("Q02", "T", "Descrizione della pratica", []),
    ("area", "M", "Area di intervento", AREAS),
    ("Q04", "S", "Destinatari", []),
    ("Q05", "M", "Fonte di finanziamento", FONTI),
    ("Q06", "S", "Importo (euro)", []),
    ("Q07", "D", "Data di inizio", []),
    ("Q08", "D", "Data di fine", []),
    ("Q09", "S", "Sito web", []),
]
#: LimeSurvey's labels for its own columns and its yes word, by export language.
SYSTEM_LABELS = {
    "it": ("ID risposta", "Data invio", "Ultima pagina", "Lingua iniziale", "Seme", "Sì"),
    "en": ("Response ID", "Date submitted", "Last page", "Start language", "Seed", "Yes"),
    "de": ("Antwort ID", "Datum Abgeschickt", "Letzte Seite", "Start-Sprache", "Zufallszahl", "Ja"),
    "fr": ("ID de la réponse", "Date de soumission", "Dernière page", "Langue de départ",
           "Graine", "Oui"),
    "es": ("ID de respuesta", "Fecha de envío", "Última página", "Idioma inicial", "Semilla", "Sí"),
}  # fmt: skip


def shape_questions() -> list[tuple[str, str, str, str, list[str], bool]]:
    """(group, code, type, text, sub-question texts, has "other"), in survey order."""
    questions = [
        ("G01", "G01Q01", "S", "Regione", [], False),
        ("G01", "G01Q02", "S", "Provincia", [], False),
        ("G01", "G01Q03", "S", "Comune", [], False),
        ("G01", "G01Q04", "L", "Tipo di ente", [], False),
        ("G01", "G01Q05", "S", "Denominazione dell&#039;ente", [], False),
        ("G01", "comuni", "Q", "<p>Comuni associati</p>", ["1", "2", "3"], False),
    ]
    for p in range(1, PRACTICES + 1):
        g = f"G0{p + 1}"
        for suffix, kind, text, subs in SHAPE_PRACTICE:
            code = ("area" if p == 1 else f"area{p}") if suffix == "area" else g + suffix
            questions.append((g, code, kind, text, list(subs), kind == "M"))
    questions += [
        ("G05", "G05Q01", "S", "Referente", [], False),
        ("G05", "G05Q02", "S", "Email del referente", [], False),
        ("G05", "G05Q03", "S", "Telefono del referente", [], False),
    ]
    return questions


def _shape_heading(code: str, text: str, sub: str, mode: str) -> str:
    text = text.replace("&#039;", "'").replace("<p>", "").replace("</p>", "")
    if mode == "abbreviated":  # LimeSurvey cuts each part to 15 characters and adds ".."
        text = text if len(text) <= 15 else text[:15] + ".."
        sub = sub if len(sub) <= 15 else sub[:15] + ".."
    full = f"{text} [{sub}]" if sub else text
    return {"code": code, "codetext": f"{code}. {full}"}.get(mode, full)


def shape_table(mode: str, answers: str, language: str = "it") -> list[list[str]]:
    """The responses as LimeSurvey exports them with Headings = ``mode``, Responses = ``answers``.

    ``mode``: code, codetext, full or abbreviated; ``answers``: short (codes, Y/blank) or long
    (full answers: the yes word of ``language``, answer texts, N/A for groups not shown).
    """
    coded = codes_table()
    labels = SYSTEM_LABELS[language]
    system = [("id", labels[0]), ("submitdate", labels[1]), ("lastpage", labels[2]),
              ("startlanguage", labels[3]), ("seed", labels[4])]  # fmt: skip
    head = [
        code if mode == "code" else (f"{code}. {label}" if mode == "codetext" else label)
        for code, label in system
    ]
    column_codes = [c for c, _ in system]
    for _, code, kind, text, subs, other in shape_questions():
        if kind == "L" or not subs:
            head.append(_shape_heading(code, text, "", mode))
            column_codes.append(code)
            continue
        for n, sub in enumerate(subs, start=1):
            head.append(_shape_heading(f"{code}[SQ00{n}]", text, sub, mode))
            column_codes.append(f"{code}[SQ00{n}]")
        if other:
            head.append(_shape_heading(f"{code}[other]", text, "Altro", mode))
            column_codes.append(f"{code}[other]")
    # the same cells as the code export, minus its token column (anonymised survey)
    rows = [row[:5] + row[6:] for row in coded[1:]]
    assert len(head) == len(rows[0]), (len(head), len(rows[0]))
    if answers == "long":
        rows = [_long_answers(row, column_codes, response, labels[5], n)
                for n, (row, response) in enumerate(zip(rows, RESPONSES, strict=True))]  # fmt: skip
    return [head, *rows]


def _long_answers(
    row: list[str], codes: list[str], response: dict[str, object], yes: str, number: int
) -> list[str]:
    practices = response["practices"]
    assert isinstance(practices, list)
    shown = {f"G0{p + 2}" for p in range(len(practices))} | {"G01", "G05"}
    area_group = {"area": "G02", **{f"area{p}": f"G0{p + 1}" for p in range(2, PRACTICES + 1)}}
    out = []
    for code, cell in zip(codes, row, strict=True):
        base = code.split("[")[0]
        group = area_group.get(base, base[:3])
        if group.startswith("G0") and group not in shown:
            out.append("N/A")  # the group was not shown to this respondent
        elif cell == "Y":
            out.append(yes if number % 2 else yes.upper())  # case varies within one file
        elif code == "G01Q04":
            out.append(ENTI[cell])
        else:
            out.append(cell)
    return out


def _lss_row(tag: str, values: dict[str, str]) -> str:
    cells = "".join(f"<{k}/>" if v == "" else f"<{k}><![CDATA[{v}]]></{k}>"
                    for k, v in values.items())  # fmt: skip
    return f"<{tag}>{cells}</{tag}>"


def _lss_table(name: str, rows: list[dict[str, str]]) -> str:
    fields = "".join(f"<fieldname>{k}</fieldname>" for k in rows[0])
    body = "\n   ".join(_lss_row("row", r) for r in rows)
    return f" <{name}>\n  <fields>{fields}</fields>\n  <rows>\n   {body}\n  </rows>\n </{name}>\n"


def shape_lss(layout: str) -> str:
    """The survey structure as LimeSurvey writes it: ``l10n`` (4 and later) or ``old`` (before 4).

    Modelled on LimeSurvey's own test files: ``tests/data/surveys/
    limesurvey_survey_remote_api_get_fieldmap.lss`` (DBVersion 488) and
    ``limesurvey_survey_OldCodes.lss`` (DBVersion 164).
    """
    l10n = layout == "l10n"
    sid, lang = "123456", "it"
    groups, group_texts, questions, subquestions, q_texts, answers, a_texts = ([] for _ in range(7))
    gids = {g: str(10 + n) for n, g in enumerate(["G01", "G02", "G03", "G05"])}
    names = {"G01": "Ente", "G02": "Pratica 1", "G03": "Pratica 2", "G05": "Contatti"}
    for g, gid in gids.items():
        group = {"gid": gid, "sid": sid, "group_order": str(int(gid) - 9)}
        if l10n:
            groups.append(group)
            group_texts.append({"id": gid, "gid": gid, "group_name": names[g], "language": lang})
        else:
            groups.append({**group, "group_name": names[g], "language": lang})
    qid = 100
    for order, (g, code, kind, text, subs, other) in enumerate(shape_questions(), start=1):
        qid += 1
        parent = str(qid)
        row = {"qid": parent, "parent_qid": "0", "sid": sid, "gid": gids[g], "type": kind,
               "title": code, "other": "Y" if other else "N", "question_order": str(order),
               "scale_id": "0"}  # fmt: skip
        if l10n:
            questions.append(row)
            q_texts.append({"id": parent, "qid": parent, "question": text, "language": lang})
        else:
            questions.append({**row, "question": text, "language": lang})
        for n, sub in enumerate(subs, start=1):
            qid += 1
            child = {"qid": str(qid), "parent_qid": parent, "sid": sid, "gid": gids[g],
                     "type": "T", "title": f"SQ00{n}", "other": "N", "question_order": str(n),
                     "scale_id": "0"}  # fmt: skip
            if l10n:
                subquestions.append(child)
                q_texts.append({"id": str(qid), "qid": str(qid), "question": sub, "language": lang})
            else:
                subquestions.append({**child, "question": sub, "language": lang})
        if kind == "L":
            for n, (answer_code, answer) in enumerate(ENTI.items(), start=1):
                aid = str(900 + n)
                if l10n:
                    answers.append({"aid": aid, "qid": parent, "code": answer_code,
                                    "sortorder": str(n), "scale_id": "0"})  # fmt: skip
                    a_texts.append({"id": aid, "aid": aid, "answer": answer, "language": lang})
                else:
                    answers.append({"qid": parent, "code": answer_code, "answer": answer,
                                    "sortorder": str(n), "language": lang, "scale_id": "0"})  # fmt: skip
    settings = [{"surveyls_survey_id": sid, "surveyls_language": lang, "surveyls_title": TITLE}]
    tables = [("groups", groups)]
    tables += [("group_l10ns", group_texts)] if l10n else []
    tables += [("questions", questions), ("subquestions", subquestions)]
    tables += [("question_l10ns", q_texts)] if l10n else []
    tables += [("answers", answers)] + ([("answer_l10ns", a_texts)] if l10n else [])
    tables += [("surveys", [{"sid": sid, "language": lang, "additional_languages": ""}]),
               ("surveys_languagesettings", settings)]  # fmt: skip
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<document>\n'
        " <LimeSurveyDocType>Survey</LimeSurveyDocType>\n"
        f" <DBVersion>{'488' if l10n else '164'}</DBVersion>\n"
        f" <languages>\n  <language>{lang}</language>\n </languages>\n"
        + "".join(_lss_table(name, rows) for name, rows in tables)
        + "</document>\n"
    )


def _limesurvey_csv(table: list[list[str]]) -> bytes:
    """LimeSurvey's CSV writer: BOM, every field quoted, CRLF, a blank line at the end."""
    text = _csv_text(table, delimiter=",", quote_all=True, newline="\r\n") + "\r\n"
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def _limesurvey_xlsx(path: Path, table: list[list[str]], *, floats: bool = False) -> None:
    """LimeSurvey's XLSX writer: every cell text, the sheet named after the survey title.

    ``floats``: the workbook after a trip through a tool that re-typed every number as a
    float (``11.0``, ``4.0``).
    """
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = TITLE[:31]
    for row in table:
        ws.append([_as_float(c) if floats else c for c in row])
    book.properties.created = datetime(2020, 10, 1)
    book.save(path)
    _fix_zip_times(path)


def _as_float(value: str) -> object:
    return float(value) if re.fullmatch(r"\d+", value) and not value.startswith("0") else value


def _with_nulls(table: list[list[str]]) -> bytes:
    """Fully quoted, except that NULL (a group not shown) is an unquoted empty field.

    Some LimeSurvey versions write missing values so; ``""`` stays an empty answer.
    """
    lines = []
    for number, row in enumerate(table):
        response = RESPONSES[number - 1] if number else None
        shown = 1 + len(response["practices"]) if response else 99  # type: ignore[arg-type]
        cells = []
        for code, cell in zip(table[0], row, strict=True):
            group = code.split("[")[0]
            group = {"area": "G02", "area2": "G03"}.get(group, group)[:3]
            hidden = group.startswith("G0") and group not in {"G01", "G05"} and int(group[2]) > shown
            cells.append("" if hidden and not cell else '"' + cell.replace('"', '""') + '"')
        lines.append(",".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


SHAPE_MODES = ("code", "codetext", "full", "abbreviated")


def write_shapes(out: Path) -> None:
    """Every heading mode x answer mode x format, and the structure file in both layouts."""
    for mode in SHAPE_MODES:
        for answers in ("short", "long"):
            table = shape_table(mode, answers)
            stem = f"shape_{mode}_{answers}"
            (out / f"{stem}.csv").write_bytes(_limesurvey_csv(table))
            excel = _csv_text(_excel_table(table), delimiter=";", quote_all=False, newline="\r\n")
            (out / f"{stem}_excel.csv").write_bytes(excel.encode("utf-8-sig"))
            _limesurvey_xlsx(out / f"{stem}.xlsx", table)
    _limesurvey_xlsx(out / "shape_code_short_floats.xlsx", shape_table("code", "short"), floats=True)
    (out / "shape_code_short_nulls.csv").write_bytes(_with_nulls(shape_table("code", "short")))
    for language in ("en", "de", "fr", "es"):
        table = shape_table("full", "long", language)
        (out / f"shape_full_long_{language}.csv").write_bytes(_limesurvey_csv(table))
    (out / "shape_survey.lss").write_text(shape_lss("l10n"), encoding="utf-8", newline="\n")
    (out / "shape_survey_old.lss").write_text(shape_lss("old"), encoding="utf-8", newline="\n")


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
    write_shapes(out)


if __name__ == "__main__":
    main()
