"""mapgen.readers.survey: LimeSurvey exports to initiatives, every problem reported with row, column and "
"fix."""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from mapgen.config import Config, SurveyConfig, load_config
from mapgen.errors import InputError, UnreadableFileError
from mapgen.model import Initiative, Outcome, Severity
from mapgen.readers import _values
from mapgen.readers.survey import read_survey, validation_report

DATA = Path(__file__).parents[1] / "data" / "survey"
EXAMPLES = Path(__file__).parents[2] / "examples"
SURVEY_FILES = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".txt", ".xlsx"))

ANNA = {
    "referente": "Anna Esempio",
    "email": "anna.esempio@example.org",
    "telefono": "0543 555 0101",
}
FORLI = {
    "comune": "Forlì",
    "provincia": "FC",
    "regione": "Emilia-Romagna",
    "tipo_ente": "Comune singolo",
}
#: The initiatives every file in tests/data/survey holds (written from the README's description).
EXPECTED: dict[str, dict[str, Any]] = {
    "2020-R11-G2": {
        **FORLI,
        **ANNA,
        "titolo": "Nidi gratis",
        "descrizione": "Rette azzerate per il nido.",
        "aree": ("infanzia", "altro"),
        "aree_altro": "tempo libero",
        "destinatari": "",
        "fonti": ("comunale",),
        "fonti_altro": "",
        "importo": 3000.0,
        "data_inizio": None,
        "data_fine": None,
        "sito_web": "",
        "denominazione_ente": "",
        "comuni_associati": (),
        "submitted": datetime(2020, 9, 20, 10, 30),
    },
    "2020-R12-G1": {
        "comune": "S. Giovanni Rotondo",
        "provincia": "Foggia",
        "regione": "Puglia",
        "tipo_ente": "capofila di Ambito",
        "titolo": "Scuola per genitori",
        "descrizione": "Incontri serali; gratuiti.",
        "aree": ("responsabilità genitoriali",),
        "aree_altro": "",
        "destinatari": "Genitori",
        "fonti": ("comunitaria", "altro"),
        "fonti_altro": "fondazione bancaria",
        "importo": 8000.0,
        "data_inizio": date(2020, 3, 1),
        "data_fine": None,
        "sito_web": "",
        "denominazione_ente": "Ambito territoriale di San Marco in Lamis",
        "comuni_associati": ("San Marco in Lamis", "Rignano Garganico"),
        "referente": "Marco Prova",
        "email": "marco.prova@example.org",
        "telefono": "0882 555 0102",
        "submitted": datetime(2020, 9, 21, 9, 0),
    },
    "2020-R14-G1": {
        **FORLI,
        **ANNA,
        "titolo": "Centro per le famiglie",
        "descrizione": "Sportello di ascolto e mediazione familiare (dati aggiornati).",
        "aree": ("infanzia", "centri per le famiglie"),
        "aree_altro": "",
        "destinatari": "Genitori con figli 0-17",
        "fonti": ("nazionale", "regionale"),
        "fonti_altro": "",
        "importo": 12500.5,
        "data_inizio": date(2020, 1, 15),
        "data_fine": date(2020, 12, 31),
        "sito_web": "https://www.example.org/centro",
        "denominazione_ente": "",
        "comuni_associati": (),
        "submitted": datetime(2020, 9, 25, 16, 45),
    },
    "2020-R15-G1": {
        "comune": "Bolzano",
        "provincia": "BZ",
        "regione": "Trentino-Alto Adige",
        "tipo_ente": "Comune singolo",
        "titolo": "Caffè genitori – “Insieme”",
        "descrizione": "Costo per le famiglie: 0 €.",
        "aree": ("natalità", "sostegno alle famiglie"),
        "aree_altro": "",
        "destinatari": "Neogenitori",
        "fonti": ("regionale",),
        "fonti_altro": "",
        "importo": 1234.0,
        "data_inizio": date(2019, 10, 1),
        "data_fine": date(2020, 6, 30),
        "sito_web": "www.example.org/caffe",
        "denominazione_ente": "",
        "comuni_associati": (),
        "referente": "Luca Demo",
        "email": "luca.demo@example.org",
        "telefono": "0471 555 0103",
        "submitted": datetime(2020, 9, 28, 8, 5),
    },
}


def config_for(path: Path) -> Config:
    """The mapping a test file needs: by the style its name starts with (tidy files need none)."""
    style = path.name.split("_")[0]
    return Config() if style == "tidy" else load_config(DATA / f"{style}_mapping.toml")


def facts(record: Initiative) -> dict[str, Any]:
    """What a reader must get right, with the submission time to the minute (Excel drops "
    "seconds)."""
    fields = {
        name: getattr(record, name) for name in EXPECTED["2020-R11-G2"] if hasattr(record, name)
    }
    fields.update(
        comune=record.place.comune, provincia=record.place.provincia, regione=record.place.regione
    )
    fields["submitted"] = record.submitted.replace(second=0) if record.submitted else None
    return fields


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_every_format_reads_the_same(path: Path) -> None:
    result = read_survey(path, config=config_for(path))
    assert {r.record_id: facts(r) for r in result.initiatives} == EXPECTED
    assert [(o.record_id, o.outcome) for o in result.outcomes] == [
        ("2020-R11-G1", Outcome.DUPLICATE),
        ("2020-R13-G1", Outcome.EXCLUDED),
    ]
    assert result.errors == ()
    assert result.duplicate_of == {"2020-R11-G1": "2020-R14-G1"}


@pytest.mark.parametrize("path", SURVEY_FILES, ids=lambda p: p.name)
def test_sources_point_at_spreadsheet_rows(path: Path) -> None:
    result = read_survey(path, config=config_for(path))
    rows = {r.record_id: (r.source.file, r.source.row, r.source.group) for r in result.initiatives}
    assert rows == {
        "2020-R11-G2": (path.name, 2, 2),
        "2020-R12-G1": (path.name, 3, 1),
        "2020-R14-G1": (path.name, 5, 1),
        "2020-R15-G1": (path.name, 6, 1),
    }


def test_format_line_says_what_was_detected() -> None:
    codes = read_survey(DATA / "codes_excel_cp1252.csv", config=config_for(DATA / "codes_x"))
    assert str(codes.format) == (
        "codes_excel_cp1252.csv: CSV, Windows-1252, separator ';', 5 rows; "
        "LimeSurvey export, question codes; mapping codes_mapping.toml"
    )
    full = read_survey(DATA / "fulltext_limesurvey.xlsx", config=config_for(DATA / "fulltext_x"))
    assert str(full.format) == (
        "fulltext_limesurvey.xlsx: XLSX, sheet 'Risposte', 5 rows; "
        "LimeSurvey export, question texts; mapping fulltext_mapping.toml"
    )
    tidy = read_survey(DATA / "tidy_canonical.csv")
    assert str(tidy.format) == (
        "tidy_canonical.csv: CSV, Windows-1252, separator ';', 5 rows; spreadsheet; columns "
        "recognised by name"
    )


def test_incomplete_responses_are_kept_on_request() -> None:
    result = read_survey(
        DATA / "codes_limesurvey.csv", config=config_for(DATA / "codes_x"), include_incomplete=True
    )
    draft = next(r for r in result.initiatives if r.record_id == "2020-R13-G1")
    assert (draft.titolo, draft.place.comune, draft.submitted) == ("Bozza", "Castro", None)
    assert result.incomplete_rows == ()


def test_excluded_and_duplicate_reasons_are_italian() -> None:
    result = read_survey(DATA / "codes_limesurvey.csv", config=config_for(DATA / "codes_x"))
    duplicate, excluded = result.outcomes
    assert (
        duplicate.reason
        == "Inviata due volte: tenuta la risposta più recente (riga 5, 2020-R14-G1)."
    )
    assert (excluded.reason, excluded.fix) == (
        "Risposta incompleta (submitdate vuoto): esclusa.",
        "Per includerla usare --include-incomplete.",
    )
    assert result.incomplete_rows == (4,)


def test_contacts_are_read_but_not_copied_into_properties() -> None:
    result = read_survey(DATA / "codes_limesurvey.csv", config=config_for(DATA / "codes_x"))
    record = result.initiatives[0]
    assert record.email == "anna.esempio@example.org"
    assert "G05Q02" not in record.properties  # the contact columns
    assert "token" not in record.properties  # LimeSurvey's participant token
    assert record.properties["G01Q03"] == "Forlì"


def test_properties_hold_only_this_practice_group() -> None:
    result = read_survey(DATA / "codes_limesurvey.csv", config=config_for(DATA / "codes_x"))
    second = next(r for r in result.initiatives if r.record_id == "2020-R11-G2")
    assert second.properties["G03Q01"] == "Nidi gratis"
    assert "G02Q01" not in second.properties
    assert second.properties["G03Q06"] == "€ 3.000"  # the amount as typed stays


def test_edition_is_configurable() -> None:
    config = config_for(DATA / "codes_x")
    config = replace(config, survey=replace(config.survey, edition=2021))
    result = read_survey(DATA / "codes_limesurvey.csv", config=config)
    assert [r.record_id for r in result.initiatives][:1] == ["2021-R11-G2"]
    assert {r.edition for r in result.initiatives} == {2021}


def test_reading_twice_gives_equal_records() -> None:
    first = read_survey(DATA / "codes_excel.xlsx", config=config_for(DATA / "codes_x"))
    again = read_survey(DATA / "codes_excel.xlsx", config=config_for(DATA / "codes_x"))
    assert first.initiatives == again.initiatives


# --- the bundled example -------------------------------------------------------------------------

EXAMPLE_FILES = ["survey_2020.csv", "survey_2020_excel.csv", "survey_2020.xlsx"]


@pytest.fixture(scope="module")
def example_reads() -> dict[str, Any]:
    config = load_config(EXAMPLES / "mapping.toml")
    return {name: read_survey(EXAMPLES / name, config=config) for name in EXAMPLE_FILES}


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_variants_agree(example_reads: dict[str, Any], name: str) -> None:
    reference, result = example_reads["survey_2020.csv"], example_reads[name]
    assert [facts(r) for r in result.initiatives] == [facts(r) for r in reference.initiatives]
    assert [(o.record_id, o.outcome) for o in result.outcomes] == [
        (o.record_id, o.outcome) for o in reference.outcomes
    ]


def test_example_accounts_for_every_row(example_reads: dict[str, Any]) -> None:
    result = example_reads["survey_2020.csv"]
    rows = {r.source.row for r in result.initiatives} | {o.source.row for o in result.outcomes}
    assert rows == set(range(2, result.responses + 2))  # every response is somewhere
    assert result.responses == 306
    ids = [r.record_id for r in result.initiatives] + [o.record_id for o in result.outcomes]
    assert len(ids) == len(set(ids))


def test_example_holds_the_cases_it_promises(example_reads: dict[str, Any]) -> None:
    result = example_reads["survey_2020.csv"]
    records = result.initiatives
    assert len(records) > 300
    assert len(result.incomplete_rows) >= 10
    assert len(result.outcomes_of(Outcome.DUPLICATE)) >= 10
    assert any(r.source.group == 3 for r in records)
    assert sum(1 for r in records if r.comuni_associati) >= 20
    assert {r.tipo_ente for r in records} == {
        "Comune singolo",
        "capofila di Ambito",
        "Unione di Comuni",
        "altra forma associata",
    }
    typed = {r.place.comune for r in records}
    assert {"Castro", "Bozen", "Unione dei Comuni della Bassa Romagna"} <= typed
    assert any(t.startswith("Comune di ") for t in typed) and any(
        t.startswith("S. ") for t in typed
    )
    assert all(r.email.endswith("example.org") for r in records)
    assert [str(p) for p in result.errors] == [
        'survey_2020.csv, row 138, column "G02Q01" (X): practice 1 has no title, so it cannot be '
        "placed on the map. Fill the title in the spreadsheet.",
        'survey_2020.csv, row 182, column "G01Q03" (K): the response has no Comune, so its 2 '
        "practices cannot be placed on the map. Fill the Comune in the spreadsheet.",
    ]


# --- row problems, reported together --------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "risposte.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEAD = "id,submitdate,Comune,Titolo,Area,Importo,Data inizio,Data fine,Email,Telefono\n"


def test_every_row_problem_is_collected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + "1,2020-09-01 10:00:00,Lecce,Nidi,Infanzia; sport,circa 5mila,31/02/2020,,anna,"
        + '"3,33E+09"\n'
        + "2,2020-09-01 11:00:00,,Ludoteca,,,,,,\n"
        + "3,2020-09-01 12:00:00,Bari,,Natalità,,,,,\n"
        + "4,2020-09-01 13:00:00,Bari,Estate,,,01/07/2020,30/06/2020,,\n",
    )
    result = read_survey(path)
    assert [(p.severity.value, str(p)) for p in result.problems] == [
        (
            "warning",
            "risposte.csv, row 2, column \"Area\" (E): 'sport' is not one of aree's values "
            "(infanzia, natalità, sostegno alle famiglie, responsabilità genitoriali, centri per "
            "le famiglie, "
            "altro); it is kept as 'altro'. Write one of the values, or add it under "
            "[survey.choices.aree].",
        ),
        (
            "warning",
            "risposte.csv, row 2, column \"Importo\" (F): 'circa 5mila' is not an amount in euro; "
            "the amount is left empty. Write a number in euro such as 12.500,00 (the text stays "
            "in the "
            "record's properties).",
        ),
        (
            "warning",
            "risposte.csv, row 2, column \"Data inizio\" (G): '31/02/2020' is not a real date "
            "(no such day); the date is left empty. Write the date as dd/mm/yyyy, e.g. 15/01/2020.",
        ),
        (
            "warning",
            "risposte.csv, row 2, column \"Email\" (I): 'anna' is not an e-mail address; it is "
            "kept as written. Write an address such as nome@comune.it.",
        ),
        (
            "warning",
            "risposte.csv, row 2, column \"Telefono\" (J): '3,33E+09' is a phone number that "
            "Excel turned into a rounded number. Take the number from the original export, or "
            "format the "
            "column as text in Excel.",
        ),
        (
            "error",
            'risposte.csv, row 3, column "Comune" (C): the response has no Comune, so its practice '
            "cannot be placed on the map. Fill the Comune in the spreadsheet.",
        ),
        (
            "error",
            'risposte.csv, row 4, column "Titolo" (D): the practice has no title, so it cannot be '
            "placed on the map. Fill the title in the spreadsheet.",
        ),
        (
            "warning",
            'risposte.csv, row 5, column "Data fine" (H): the end date 30/06/2020 is before the '
            "start date 01/07/2020. Check the two dates (both are kept as written).",
        ),
    ]
    first = result.initiatives[0]
    assert (first.aree, first.aree_altro, first.importo, first.data_inizio) == (
        ("infanzia", "altro"),
        "sport",
        None,
        None,
    )
    assert [r.record_id for r in result.initiatives] == ["2020-R1-G1", "2020-R4-G1"]
    assert [(o.record_id, o.reason) for o in result.outcomes] == [
        ("2020-R2-G1", "Manca il Comune: la pratica non può essere mappata."),
        ("2020-R3-G1", "Manca il titolo: la pratica non può essere mappata."),
    ]


def test_problem_fields_are_structured(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "7,2020-09-01,Lecce,Nidi,,da definire,,,,\n")
    (problem,) = read_survey(path).problems
    assert (problem.file, problem.row, problem.column, problem.value, problem.severity, problem.record_id,
            problem.letter) == ("risposte.csv", 2, "Importo", "da definire", Severity.WARNING, "", "F")
    assert str(problem.message) == "'da definire' is not an amount in euro; the amount is left empty."
    assert str(problem.fix) == ("Write a number in euro such as 12.500,00 (the text stays in the record's "
                                "properties).")
    # one message, two translations: the report's Italian
    assert problem.staff_message == "'da definire' non è un importo in euro: l'importo resta vuoto."
    assert problem.staff_fix == ("Scrivere un numero in euro come 12.500,00 (il testo resta tra le proprietà del "
                                 "record).")


def test_response_without_practice_and_repeated_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEAD
        + "1,2020-09-01,Lecce,,,,,,,\n"
        + "2,2020-09-01,Bari,Uno,,,,,,\n"
        + "2,2020-09-02,Bari,Due,,,,,,\n",
    )
    result = read_survey(path)
    assert [str(p) for p in result.errors] == [
        "risposte.csv, row 2: the response describes no practice (every practice column is empty). "
        "Fill at least the title of one practice, or delete the row.",
        "risposte.csv, row 4, column \"id\" (A): response id '2' is also on row 3; this row is "
        "excluded (listed in the report). "
        "Give each response its own id (LimeSurvey's ids are unique: was a row copied?).",
    ]
    assert [r.titolo for r in result.initiatives] == ["Uno"]
    # issue 20: the row with the repeated id is not lost, it has an outcome of its own
    assert [(o.record_id, o.source.row, o.titolo, o.outcome.name) for o in result.outcomes] == [
        ("2020-R1-G1", 2, "", "EXCLUDED"),
        ("2020-R2-riga4-G1", 4, "Due", "EXCLUDED"),
    ]
    assert "Id della risposta '2' ripetuto (già alla riga 3)" in result.outcomes[1].reason


def test_incomplete_response_without_practice_is_just_excluded(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "1,,Lecce,,,,,,,\n" + "2,2020-09-01,Bari,Uno,,,,,,\n")
    for include in (False, True):
        result = read_survey(path, include_incomplete=include)
        assert result.errors == ()
        assert [(o.record_id, o.reason) for o in result.outcomes] == [
            ("2020-R1-G1", "Risposta incompleta (submitdate vuoto), nessuna pratica compilata.")
        ]


def test_excluded_incomplete_rows_raise_no_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "1,,Lecce,Nidi,sport,da definire,31/02/2020,,anna,\n")
    result = read_survey(path)
    assert (result.problems, result.incomplete_rows, result.initiatives) == ((), (2,), ())
    with_incomplete = read_survey(path, include_incomplete=True)
    assert len(with_incomplete.warnings) == 4 and len(with_incomplete.initiatives) == 1


def test_duplicates_keep_the_latest_and_respect_provinces(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,submitdate,Comune,Provincia,Titolo\n"
        "1,2020-09-10 10:00:00,Castro,LE,Ludoteca\n"
        "2,2020-09-01 10:00:00,Castro,BG,Ludoteca\n"
        "3,2020-09-20 10:00:00,COMUNE DI CASTRO,,ludoteca!\n"
        "4,2020-09-05 10:00:00,Castro,LE,Ludoteca\n",
    )
    result = read_survey(path)
    # Castro (BG) is another Comune; 1, 3 (no province typed) and 4 are one practice; 3 is latest
    assert [r.record_id for r in result.initiatives] == ["2020-R2-G1", "2020-R3-G1"]
    assert result.duplicate_of == {"2020-R1-G1": "2020-R3-G1", "2020-R4-G1": "2020-R3-G1"}


def test_undated_limesurvey_submission_counts_as_complete(tmp_path: Path) -> None:
    path = write(tmp_path, "id,submitdate,Comune,Titolo\n1,1980-01-01 00:00:00,Lecce,Nidi\n")
    (record,) = read_survey(path).initiatives
    assert record.submitted is None


def test_unreadable_submitdate_still_counts_as_complete(tmp_path: Path) -> None:
    path = write(tmp_path, "id,submitdate,Comune,Titolo\n1,ieri,Lecce,Nidi\n")
    result = read_survey(path)
    assert len(result.initiatives) == 1
    assert [str(p) for p in result.problems] == [
        "risposte.csv, row 2, column \"submitdate\" (B): 'ieri' is not a date; the response still "
        "counts as complete. Write the date as dd/mm/yyyy hh:mm."
    ]


def test_sheet_without_limesurvey_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "COMUNE,  titolo ,Aree,Fonti\nLecce,Nidi,natalita,Fondi europei (FSE)\n")
    result = read_survey(path)
    (record,) = result.initiatives
    assert (record.record_id, record.aree, record.fonti) == (
        "2020-R2-G1",
        ("natalità",),
        ("comunitaria",),
    )
    assert tuple(map(str, result.notes)) == (
        "no response id column: records are numbered by spreadsheet row",
        "no submitdate column: every response counts as complete",
    )


def test_tidy_repeated_headers_are_practice_groups(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Comune,Titolo,Area [Infanzia],Area [Altro],Titolo,Area [Infanzia],Area [Altro]\n"
        "Lecce,Nidi,Sì,,Estate,Non selezionato,sport\n",
    )
    result = read_survey(path)
    assert [(r.record_id, r.titolo, r.aree, r.aree_altro) for r in result.initiatives] == [
        ("2020-R2-G1", "Nidi", ("infanzia",), ""),
        ("2020-R2-G2", "Estate", ("altro",), "sport"),
    ]


def test_unknown_option_code_is_reported_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,submitdate,comune,titolo,area[SQ001],area[SQ009]\n"
        "1,2020-09-01,Lecce,Nidi,Y,Y\n2,2020-09-01,Bari,Estate,,Y\n",
    )
    config = Config(
        survey=SurveyConfig(
            columns={"comune": "comune"},
            practices=({"titolo": "titolo", "aree": "area"},),
            choices={"aree": {"SQ001": "infanzia"}},
        )
    )
    result = read_survey(path, config=config)
    assert [str(p) for p in result.problems] == [
        "risposte.csv, column \"area[SQ009]\" (F): option 'SQ009' is not one of aree's values "
        "(infanzia, "
        "natalità, sostegno alle famiglie, responsabilità genitoriali, centri per le famiglie, "
        "altro); "
        "ticked cells are kept as 'altro'. Add SQ009 = \"<value>\" under [survey.choices.aree] "
        "in the mapping."
    ]
    assert [(r.aree, r.aree_altro) for r in result.initiatives] == [
        (("infanzia", "altro"), "SQ009"),
        (("altro",), "SQ009"),
    ]


def test_underscore_subcolumns_and_comment_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,submitdate,comune,titolo,fonte_SQ001,fonte_SQ002,fonte_SQ002comment\n"
        "1,2020-09-01,Lecce,Nidi,,Y,bando 2019\n",
    )
    config = Config(
        survey=SurveyConfig(
            columns={"comune": "comune"},
            practices=({"titolo": "titolo", "fonti": "fonte"},),
            choices={"fonti": {"SQ001": "nazionale", "SQ002": "regionale"}},
        )
    )
    (record,) = read_survey(path, config=config).initiatives
    assert (record.fonti, record.fonti_altro) == (("regionale",), "")


def test_excel_serial_dates_in_xlsx(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Comune", "Titolo", "Data inizio", "Importo"])
    book.active.append(["Lecce", "Nidi", 43845, 1.234])  # unformatted date cell; a real 1.234 euro
    book.save(tmp_path / "serial.xlsx")
    (record,) = read_survey(tmp_path / "serial.xlsx").initiatives
    assert (record.data_inizio, record.importo) == (date(2020, 1, 15), 1.234)


def test_ipaddr_never_reaches_properties(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id,submitdate,ipaddr,Comune,Titolo,Referente\n1,2020-09-01,10.0.0.1,Lecce,Nidi,Anna\n",
    )
    (record,) = read_survey(path).initiatives
    assert set(record.properties) == {"id", "submitdate", "Comune", "Titolo"}
    assert record.referente == "Anna"


# --- errors that stop the reading -----------------------------------------------------------------


def test_missing_required_column_lists_the_columns_and_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, "id,submitdate,Comuni,Titolo della pratica\n1,2020-09-01,Lecce,Nidi\n")
    with pytest.raises(InputError) as caught:
        read_survey(path)
    assert str(caught.value) == (
        "risposte.csv has no column for 'Comune' (closest 'Comuni') and 'Titolo' (closest "
        "'Titolo della "
        "pratica'), which every initiative needs. Columns in the file: 'id', 'submitdate', "
        "'Comuni', "
        "'Titolo della pratica'. Rename the column, or map it in a mapping file (start one with: "
        "mapgen "
        "init-config risposte.csv)."
    )


def test_mapped_columns_missing_are_reported_together() -> None:
    """Each name with the closest column of its question group; the file's columns: the first ten."""
    config = config_for(DATA / "codes_x")
    columns = {**config.survey.columns, "comune": "G01Q33"}
    practice = {**config.survey.practices[1], "titolo": "G3Q01"}
    config = replace(
        config,
        survey=replace(
            config.survey, columns=columns, practices=(config.survey.practices[0], practice)
        ),
    )
    with pytest.raises(InputError) as caught:
        read_survey(DATA / "codes_limesurvey.csv", config=config)
    message = str(caught.value)
    assert message.startswith(
        "codes_limesurvey.csv: 2 columns named in codes_mapping.toml are not in the file:\n"
        "  comune = 'G01Q33'; closest 'G01Q03'\n"
        "  titolo (practice 2) = 'G3Q01'; closest 'G03Q01'\n"
        "Columns in the file: 'id', 'submitdate', 'lastpage',"
    )
    assert message.endswith(
        "'G01Q04' and 43 more (every column is in the first row of codes_limesurvey.csv).\n"
        "Fix the names in codes_mapping.toml, or write a new one with: mapgen init-config codes_limesurvey.csv"
    )


def test_mapping_without_a_required_field(tmp_path: Path) -> None:
    path = write(tmp_path, "comune,titolo\nLecce,Nidi\n")
    config = Config(survey=SurveyConfig(columns={"comune": "comune"}), path=Path("m.toml"))
    with pytest.raises(InputError) as caught:
        read_survey(path, config=config)
    assert str(caught.value) == (
        "m.toml maps no column to 'titolo', which every initiative needs. Add titolo = "
        '"<column>" to '
        "[survey.columns] or [[survey.practices]]. Columns in risposte.csv: 'comune', 'titolo'."
    )


def test_header_without_responses(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        read_survey(write(tmp_path, "Comune,Titolo\n"))
    assert (
        str(caught.value)
        == "risposte.csv has a header row but no responses. Export the responses again."
    )


def test_unreadable_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match=r"^vuoto\.csv is empty: "):
        read_survey(write(tmp_path, "", "vuoto.csv"))


def test_validation_report_lines(tmp_path: Path) -> None:
    result = read_survey(DATA / "codes_limesurvey.csv", config=config_for(DATA / "codes_x"))
    assert validation_report(result) == [
        str(result.format),
        "Incomplete responses excluded (rows 4); use --include-incomplete to keep them.",
        "Duplicate: row 2 (2020-R11-G1, 'Centro per le famiglie') was sent again on row 5 "
        "(2020-R14-G1); the latest is kept.",
        "5 responses: 4 initiatives, 1 excluded, 1 duplicate; 0 errors, 0 warnings.",
    ]


# --- cell values ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12500", 12500.0),
        ("12.500", 12500.0),
        ("12.500,50", 12500.5),
        ("€ 12.500", 12500.0),
        ("12500 euro", 12500.0),
        ("12.500,00 €", 12500.0),
        ("12500.0000000000", 12500.0),
        ("1,5", 1.5),
        ("1.234.567", 1234567.0),
        ("1,234,567", 1234567.0),
        ("1,234.50", 1234.5),
        ("EUR 3.000", 3000.0),
        ("1 234,50", 1234.5),
        ("12.5", 12.5),
        ("+500", 500.0),
    ],
)
def test_parse_amount(text: str, amount: float) -> None:
    assert _values.parse_amount(text) == amount


@pytest.mark.parametrize("text", ["circa 5mila", "da definire", "€", "1.2.3,4,5", "-"])
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not an amount in euro"):
        _values.parse_amount(text)


def test_parse_amount_plain_first_only_for_plain_numbers() -> None:
    assert _values.parse_amount("1.234", plain_first=True) == 1.234
    assert _values.parse_amount("€ 1.234", plain_first=True) == 1234.0


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2020-01-15", date(2020, 1, 15)),
        ("2020-01-15 00:00:00", date(2020, 1, 15)),
        ("15/01/2020", date(2020, 1, 15)),
        ("15/1/20", date(2020, 1, 15)),
        ("15-01-2020", date(2020, 1, 15)),
        ("15.01.2020", date(2020, 1, 15)),
        ("15/01/2020 00:00", date(2020, 1, 15)),
        ("15 gennaio 2020", date(2020, 1, 15)),
        ("1 SET 2020", date(2020, 9, 1)),
        ("5/3/99", date(1999, 3, 5)),
    ],
)
def test_parse_date(text: str, day: date) -> None:
    assert _values.parse_date(text) == day


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2020", "is not a real date (no such day)"),
        ("2020", "is not a date"),
        ("marzo 2020", "is not a date"),
        ("43845", "is not a date"),
    ],
)
def test_parse_date_refuses(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        _values.parse_date(text)


def test_excel_serial_only_when_asked() -> None:
    assert _values.parse_date("43845", excel_serial=True) == date(2020, 1, 15)
    assert _values.parse_datetime("20/09/2020 10:30") == datetime(2020, 9, 20, 10, 30)


@pytest.mark.parametrize("text", ["Y", "y", "Sì", "SI", "X", "1", "TRUE", "Selezionato"])
def test_ticked(text: str) -> None:
    assert _values.is_yes(text) and not _values.is_no(text)


@pytest.mark.parametrize(
    "text", ["", " ", "N", "No", "0", "FALSE", "Non selezionato", "Not selected"]
)
def test_not_ticked(text: str) -> None:
    assert _values.is_no(text) and not _values.is_yes(text)


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("Lecce; Surbo", ["Lecce", "Surbo"]),
        ("Lecce\nSurbo\n", ["Lecce", "Surbo"]),
        ("Lecce, Surbo e Trepuzzi", ["Lecce", "Surbo", "Trepuzzi"]),
        ("- Lecce\n- Surbo", ["Lecce", "Surbo"]),
        ("Lu e Cuccaro Monferrato", ["Lu e Cuccaro Monferrato"]),
        ("Bolzano/Bozen", ["Bolzano/Bozen"]),
    ],
)
def test_split_list(text: str, items: list[str]) -> None:
    assert _values.split_list(text) == items


@pytest.mark.parametrize(
    ("field", "label", "value"),
    [
        ("aree", "Infanzia", "infanzia"),
        ("aree", "NATALITA'", "natalità"),
        ("aree", "Nidi d'infanzia", "infanzia"),
        ("aree", "Centro per le famiglie", "centri per le famiglie"),
        ("aree", "Sostegno alle famiglie", "sostegno alle famiglie"),
        ("aree", "Genitorialità", "responsabilità genitoriali"),
        ("aree", "sport", None),
        ("fonti", "Fondi europei (FSE)", "comunitaria"),
        ("fonti", "Statale", "nazionale"),
        ("fonti", "Bilancio comunale", "comunale"),
        ("fonti", "Regione", "regionale"),
        ("fonti", "privati", None),
        ("tipo_ente", "Comune capofila di Ambito territoriale", "capofila di Ambito"),
        ("tipo_ente", "Unione dei Comuni", "Unione di Comuni"),
        ("tipo_ente", "Comune", "Comune singolo"),
        ("tipo_ente", "Consorzio", "altra forma associata"),
    ],
)
def test_match_vocabulary(field: str, label: str, value: str | None) -> None:
    assert _values.match_vocabulary(field, label) == value


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("altro: tempo libero", "tempo libero"),
        ("Altro (sport)", "sport"),
        ("Altro - doposcuola", "doposcuola"),
        ("Altro", None),
        ("sport", None),
    ],
)
def test_other_text(label: str, text: str | None) -> None:
    assert _values.other_text(label) == text


# --- the data files are what their scripts write ------------------------------------------------


def _load_script(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@pytest.mark.parametrize(
    ("script", "folder"),
    [(DATA / "make_files.py", DATA), (EXAMPLES / "make_examples.py", EXAMPLES)],
    ids=["tests-data", "examples"],
)
def test_data_files_are_reproducible(
    tmp_path: Path, script: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _load_script(script).main(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written
    for name in written:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_excel_error_values_are_warned_about_and_read_as_empty(tmp_path: Path) -> None:
    """Issue 20: ``#DIV/0!`` used to be published as a title without a word."""
    path = write(
        tmp_path,
        HEAD
        + "1,2020-09-01,Lecce,#DIV/0!,,,,,,\n"
        + "2,2020-09-01,Bari,Nido,,#VALORE!,,,,\n",
    )
    result = read_survey(path)
    excel = [p for p in result.problems if p.value.startswith("#")]
    assert [(p.row, p.column, p.value, p.severity.name) for p in excel] == [
        (2, "Titolo", "#DIV/0!", "WARNING"),
        (3, "Importo", "#VALORE!", "WARNING"),
    ]
    assert str(excel[0]).endswith(
        "the cell holds Excel's error value '#DIV/0!', not an answer; it is read as empty. "
        "Fix the formula or type the value in the spreadsheet."
    )
    assert [(r.titolo, r.importo) for r in result.initiatives] == [("Nido", None)]
    assert [(o.source.row, o.outcome.name) for o in result.outcomes] == [(2, "EXCLUDED")]
