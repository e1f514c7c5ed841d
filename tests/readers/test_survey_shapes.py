"""LimeSurvey exports in every shape (issue 18): one mapping, the same initiatives, the same exclusions.

The ``shape_*`` files in tests/data/survey are one survey exported with each of LimeSurvey's
heading modes (code, code and text, full text, abbreviated text), each answer mode (codes, full
answers) and each format (LimeSurvey CSV, the same re-saved by Excel with ';', LimeSurvey XLSX);
``shape_mapping.toml`` names question codes and the structure file ``shape_survey.lss``.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen.cli import app
from mapgen.config import Config, SurveyConfig, load_config
from mapgen.errors import InputError, OutputError, UnreadableFileError
from mapgen.model import Outcome
from mapgen.readers._columns import INCOMPLETE_ALERT, layout_from_mapping
from mapgen.readers._headings import Headings, heading_style
from mapgen.readers.starter_mapping import draft_config, write_draft_config
from mapgen.readers.structure import read_structure
from mapgen.readers.survey import read_survey

DATA = Path(__file__).parents[1] / "data" / "survey"
MAPPING = DATA / "shape_mapping.toml"
HEADINGS = ("code", "codetext", "full", "abbreviated")
ANSWERS = ("short", "long")
FORMATS = (".csv", "_excel.csv", ".xlsx")
SHAPES = [f"shape_{h}_{a}{f}" for h, a, f in itertools.product(HEADINGS, ANSWERS, FORMATS)]
LANGUAGES = [f"shape_full_long_{lang}.csv" for lang in ("en", "de", "fr", "es")]
#: Record ids published and left out, written from make_files.py's description of the responses.
KEPT = ["2020-R11-G2", "2020-R12-G1", "2020-R14-G1", "2020-R15-G1"]
LEFT_OUT = [("2020-R11-G1", Outcome.DUPLICATE), ("2020-R13-G1", Outcome.EXCLUDED)]


def _csv(tmp_path: Path, rows: list[list[str]], name: str = "export.csv") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_every_shape_has_its_fixture() -> None:
    assert len(SHAPES) == 24
    assert [name for name in SHAPES + LANGUAGES if not (DATA / name).is_file()] == []


@pytest.mark.parametrize(
    "name", [*SHAPES, *LANGUAGES, "shape_code_short_floats.xlsx", "shape_code_short_nulls.csv"]
)
def test_one_mapping_reads_every_shape_alike(name: str) -> None:
    result = read_survey(DATA / name, config=load_config(MAPPING))
    assert [r.record_id for r in result.initiatives] == KEPT
    assert [(o.record_id, o.outcome) for o in result.outcomes] == LEFT_OUT
    assert result.incomplete_rows == (4,)
    assert [r.source.row for r in result.initiatives] == [2, 3, 5, 6]
    assert result.errors == ()
    assert result.alerts == ()
    # the structure file's answer texts and the mapping's codes give the same vocabulary
    areas = {r.record_id: r.aree for r in result.initiatives}
    assert areas["2020-R11-G2"] == ("infanzia", "altro")
    assert areas["2020-R15-G1"] == ("natalità", "sostegno alle famiglie")
    assert {r.tipo_ente for r in result.initiatives} == {"Comune singolo", "capofila di Ambito"}


def test_code_and_text_headings_find_the_id_and_the_submit_date() -> None:
    """The bug of issue 18: ``id. ID risposta`` was not an id, so incomplete responses were kept."""
    result = read_survey(DATA / "shape_codetext_short.csv", config=load_config(MAPPING))
    assert result.notes == ()
    assert "2020-R13-G1" not in [r.record_id for r in result.initiatives]
    assert str(result.format).endswith(
        "LimeSurvey export, question codes and texts; mapping shape_mapping.toml + structure shape_survey.lss"
    )


def test_a_text_mapping_reads_code_and_text_headings(tmp_path: Path) -> None:
    path = DATA / "shape_codetext_long.csv"
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[survey]\n[survey.columns]\ncomune = "Comune"\nprovincia = "Provincia"\n'
        '[[survey.practices]]\ntitolo = "G02Q01"\n',
        encoding="utf-8",
    )
    result = read_survey(path, config=load_config(mapping))
    comuni = [r.place.comune for r in result.initiatives]  # row 2's practice 1 is sent again on 5
    assert comuni == ["S. Giovanni Rotondo", "Forlì", "Bolzano"]
    assert result.incomplete_rows == (4,)


def test_repeated_full_text_headings_are_never_guessed(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[survey.columns]\ncomune = "Comune"\n[[survey.practices]]\n'
                       'titolo = "Titolo della pratica"\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError) as caught:
        read_survey(DATA / "shape_full_short.csv", config=load_config(mapping))
    message = str(caught.value)
    assert "titolo (practice 1) = 'Titolo della pratica' matches" in message
    assert '"Titolo della pratica" (N), "Titolo della pratica (2)" (AF)' in message
    assert "question codes as headings" in message and '"@A"' in message


def test_same_header_three_times_is_refused_then_read_by_letter(tmp_path: Path) -> None:
    """Issue 20: with ``Comune, Comune, Comune (2)``, ``comune = "Comune (2)"`` read a guess."""
    path = _csv(tmp_path, [["Comune", "Comune", "Comune (2)", "Titolo"],
                           ["Forlì", "Cesena", "Rimini", "Nidi"]])  # fmt: skip
    survey = SurveyConfig(columns={"comune": "Comune (2)", "titolo": "Titolo"})
    with pytest.raises(InputError) as caught:
        read_survey(path, config=Config(survey=survey))
    assert 'comune = \'Comune (2)\' matches "Comune (2)" (B), "Comune (2)" (C)' in str(caught.value)
    plain = SurveyConfig(columns={"comune": "Comune", "titolo": "Titolo"})
    with pytest.raises(InputError, match=r'"Comune" \(A\), "Comune \(2\)" \(B\)'):
        read_survey(path, config=Config(survey=plain))
    by_letter = SurveyConfig(columns={"comune": "@C", "titolo": "Titolo"})
    result = read_survey(path, config=Config(survey=by_letter))
    assert [r.place.comune for r in result.initiatives] == ["Rimini"]


def test_distinct_headings_named_like_renamed_copies_are_read(tmp_path: Path) -> None:
    path = _csv(tmp_path, [["Comune", "Titolo", "Titolo (2)"], ["Forlì", "Nidi", "Ludoteca"]])
    survey = SurveyConfig(columns={"comune": "Comune"},
                          practices=({"titolo": "Titolo"}, {"titolo": "Titolo (2)"}))  # fmt: skip
    result = read_survey(path, config=Config(survey=survey))
    assert [r.titolo for r in result.initiatives] == ["Nidi", "Ludoteca"]


def test_limesurvey_export_without_submit_date_is_said_loudly(tmp_path: Path) -> None:
    rows = [["id", "lastpage", "startlanguage", "G01Q03", "G02Q01"],
            ["1", "4", "it", "Forlì", "Nidi"], ["2", "1", "it", "Castro", "Bozza"]]  # fmt: skip
    path = _csv(tmp_path, rows)
    survey = SurveyConfig(columns={"comune": "G01Q03", "titolo": "G02Q01"})
    result = read_survey(path, config=Config(survey=survey))
    assert result.alerts == (INCOMPLETE_ALERT,)
    assert "--all-complete" in str(INCOMPLETE_ALERT) and "Completion state: all" in str(INCOMPLETE_ALERT)
    assert read_survey(path, config=Config(survey=survey), all_complete=True).alerts == ()
    runner = CliRunner()
    mapping = tmp_path / "m.toml"
    mapping.write_text('[survey.columns]\ncomune = "G01Q03"\ntitolo = "G02Q01"\n', "utf-8")
    shown = runner.invoke(app, ["validate", str(path), "--config", str(mapping)])
    assert f"Warning: {INCOMPLETE_ALERT}." in shown.output
    quiet = runner.invoke(app, ["validate", str(path), "--config", str(mapping), "--all-complete"])
    assert "Warning" not in quiet.output


def test_a_tidy_sheet_without_submit_date_raises_no_alert(tmp_path: Path) -> None:
    path = _csv(tmp_path, [["Comune", "Titolo"], ["Forlì", "Nidi"]])
    assert read_survey(path).alerts == ()


def test_format_line_knows_limesurvey_in_any_language() -> None:
    result = read_survey(DATA / "shape_full_long_de.csv", config=load_config(MAPPING))
    assert "; LimeSurvey export, question texts; mapping shape_mapping.toml" in str(result.format)


def test_system_columns_in_five_languages() -> None:
    for name in ["shape_full_long.csv", *LANGUAGES]:
        headings = Headings.of(next(csv.reader(io.StringIO(
            (DATA / name).read_text(encoding="utf-8-sig")))))  # fmt: skip
        assert headings.system_column("id") == [0], name
        assert headings.system_column("submitdate") == [1], name
        assert headings.system_column("lastpage") == [2], name


@pytest.mark.parametrize(
    ("columns", "style"),
    [
        (["id", "submitdate", "G01Q03", "area[SQ001]"], "code"),
        (["id. ID risposta", "submitdate. Data invio", "G01Q03. Comune"], "codetext"),
        (["ID risposta", "Data invio", "Comune", "Area [Infanzia]"], "text"),
        (["Comune", "Titolo. Nota"], "text"),
    ],
)
def test_heading_style(columns: list[str], style: str) -> None:
    assert heading_style(columns) == style


def test_both_structure_layouts_read_alike() -> None:
    new, old = read_structure(DATA / "shape_survey.lss"), read_structure(DATA / "shape_survey_old.lss")
    assert (new.db_version, old.db_version) == (488, 164)
    assert new.questions == old.questions
    assert new.groups == old.groups
    assert new.titles == {"it": "Iniziative per le famiglie 2020 - rilevazione regionale"}
    area = new.question("area")
    assert area is not None and area.other and area.type == "M"
    assert [code for code, _ in area.subquestions] == [f"SQ00{n}" for n in range(1, 6)]
    assert area.subquestions[0][1] == {"it": "Infanzia"}
    tipo = new.question("G01Q04")
    assert tipo is not None
    assert [(a.code, a.texts["it"]) for a in tipo.answers] == [
        ("A1", "Comune singolo"), ("A2", "Comune capofila di Ambito territoriale")]  # fmt: skip
    # HTML in question texts is flattened as LimeSurvey flattens it in headings
    assert new.question("G01Q05").texts["it"] == "Denominazione dell'ente"  # type: ignore[union-attr]
    assert new.question("comuni").texts["it"] == "Comuni associati"  # type: ignore[union-attr]


def test_abbreviated_and_repeated_headings_get_their_codes() -> None:
    structure = read_structure(DATA / "shape_survey.lss")
    columns = ["ID risposta", "Comune", "Titolo della pr..", "Area di interve.. [Infanzia]",
               "Titolo della pr.. (2)", "Area di interve.. [Infanzia] (2)"]  # fmt: skip
    repeated = frozenset({"Titolo della pr..", "Area di interve.. [Infanzia]"})
    assert structure.heading_codes(columns, repeated) == {
        1: "G01Q03", 2: "G02Q01", 3: "area[SQ001]", 4: "G03Q01", 5: "area2[SQ001]"}  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,submitdate\n1,2020\n", "not a readable XML file"),
        (b"<document><LimeSurveyDocType>Question</LimeSurveyDocType></document>", "not a LimeSurvey"),
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><document/>', "DOCTYPE"),
    ],
)
def test_structure_file_errors_are_one_clear_line(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "survey.lss"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=message):
        read_structure(path)


_LSS_HEAD = '<document><LimeSurveyDocType>Survey</LimeSurveyDocType><title>&a;</title>'
_BOMB = '<!DOCTYPE document [<!ENTITY a "aaaaaaaaaa">]>'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # The byte search missed these (issue 29): the entity was expanded or the file read.
        (("<?xml version='1.0' encoding='UTF-16'?>" + _BOMB + _LSS_HEAD + "</document>").encode("utf-16"),
         "DOCTYPE"),
        (b"<?xml version='1.0'?><!--" + b" " * 5_000 + b"-->" + _BOMB.encode() + (_LSS_HEAD + "</document>").encode(),
         "DOCTYPE"),
        (b"<?xml version='1.0'?><!--" + b" " * 5_000 + b'--><!DOCTYPE document SYSTEM "file:///etc/passwd">'
         + b"<document/>", "DOCTYPE"),
        # expat knows no UTF-7: this was an internal error.
        (b"<?xml version='1.0' encoding='UTF-7'?><document/>", "encoding"),
    ],
)
def test_a_structure_file_with_a_dtd_or_an_unknown_encoding_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "survey.lss"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=message) as raised:
        read_structure(path)
    assert "\n" not in str(raised.value)


def test_a_db_version_of_superscript_digits_is_no_internal_error(tmp_path: Path) -> None:
    """'²'.isdigit() is True but int('²') fails: this was a ValueError."""
    path = tmp_path / "survey.lss"
    path.write_text("<document><LimeSurveyDocType>Survey</LimeSurveyDocType><DBVersion>²</DBVersion></document>",
                    encoding="utf-8")
    with pytest.raises(InputError, match=r"^survey\.lss: the survey structure holds no question\. Export it again\.$"):
        read_structure(path)


def test_a_structure_file_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    """/dev/zero was read without bound and a named pipe hung, as they no longer do for tables."""
    import os
    import time

    fifo = tmp_path / "survey.lss"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "named pipe"), (Path("/dev/zero"), "device")):
        started = time.perf_counter()
        with pytest.raises(UnreadableFileError, match=f"is a {kind}.*not a file") as raised:
            read_structure(path)
        assert "\n" not in str(raised.value) and time.perf_counter() - started < 2


def test_a_code_mapping_on_text_headings_says_to_add_the_structure(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.read_text(encoding="utf-8").replace(
        'structure = "shape_survey.lss"\n', ""), encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError, match=r'add structure = "<survey>.lss"'):
        read_survey(DATA / "shape_full_short.csv", config=load_config(mapping))


def test_init_config_with_structure_reads_every_shape(tmp_path: Path) -> None:
    draft = draft_config(DATA / "shape_full_long.csv", structure=DATA / "shape_survey.lss",
                         structure_path=str(DATA / "shape_survey.lss"))  # fmt: skip
    assert draft.missing == ()
    assert 'aree = "area"' in draft.text and 'SQ001 = "infanzia"' in draft.text
    assert 'A2 = "capofila di Ambito"' in draft.text
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(draft.text, encoding="utf-8")
    for name in ("shape_abbreviated_long.xlsx", "shape_code_short_excel.csv"):
        result = read_survey(DATA / name, config=load_config(mapping))
        assert [r.record_id for r in result.initiatives] == KEPT, name


def test_init_config_cli_writes_the_structure_relative_to_the_mapping(tmp_path: Path) -> None:
    lss = tmp_path / "survey.lss"
    lss.write_bytes((DATA / "shape_survey.lss").read_bytes())
    out = tmp_path / "mapping.toml"
    done = CliRunner().invoke(app, ["init-config", str(DATA / "shape_code_short.csv"),
                                    "--structure", str(lss), "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert re.search(r'^structure = "survey.lss"$', out.read_text(encoding="utf-8"), re.M)


def test_write_draft_config_names_the_structure_from_the_mappings_folder(tmp_path: Path) -> None:
    (tmp_path / "lss").mkdir()
    lss = tmp_path / "lss" / "survey.lss"
    lss.write_bytes((DATA / "shape_survey.lss").read_bytes())
    out = tmp_path / "mapping.toml"
    draft = write_draft_config(DATA / "shape_code_short.csv", out, structure=lss)
    assert out.read_text(encoding="utf-8") == draft.text
    assert re.search(r'^structure = "lss/survey.lss"$', draft.text, re.M)


def test_write_draft_config_refuses_an_existing_file_before_reading_the_export(tmp_path: Path) -> None:
    out = tmp_path / "mapping.toml"
    out.write_text("kept", encoding="utf-8")
    with pytest.raises(OutputError, match="already exists"):
        write_draft_config(tmp_path / "no-such-export.csv", out)
    assert out.read_text(encoding="utf-8") == "kept"
    write_draft_config(DATA / "shape_code_short.csv", out, force=True)
    assert out.read_text(encoding="utf-8") != "kept"


def test_layout_is_linear_in_practice_groups() -> None:
    """Issue 20: the layout of 4,000 groups took 15 s; now every lookup is a dict access."""
    groups = 3000
    columns = ["id", "submitdate", "G01Q03"]
    practices = []
    for n in range(groups):
        columns += [f"T{n}", f"A{n}[SQ001]", f"A{n}[SQ002]"]
        practices.append({"titolo": f"T{n}", "aree": f"A{n}"})
    survey = SurveyConfig(columns={"comune": "G01Q03"}, practices=tuple(practices))
    layout = layout_from_mapping(columns, survey, file="x.csv", config_file="m.toml")
    assert len(layout.practices) == groups
    assert layout.practices[-1]["aree"].columns == ((len(columns) - 2, "SQ001"),
                                                    (len(columns) - 1, "SQ002"))  # fmt: skip


@pytest.mark.parametrize("name", ["shape_full_short.csv", "shape_abbreviated_long.xlsx"])
def test_draft_without_structure_of_repeated_texts_says_to_use_it(name: str) -> None:
    text = draft_config(DATA / name).text
    assert text.startswith("# TODO: the export repeats 18 heading(s) ('Area di intervento [Altro]'"
                           if name.startswith("shape_full") else "# TODO: the export repeats")
    assert "Run init-config again with --structure <survey>.lss" in text


def test_draft_of_code_and_text_headings_names_codes() -> None:
    text = draft_config(DATA / "shape_codetext_short.csv").text
    assert 'titolo = "G02Q01"' in text and 'titolo = "G03Q01"' in text
    assert 'id = "id"' in text and 'submitdate = "submitdate"' in text


def test_build_says_the_alert_in_the_summary_and_the_report(tmp_path: Path) -> None:
    rows = [["id", "lastpage", "startlanguage", "G01Q03", "G02Q01"],
            ["1", "4", "it", "Forlì", "Nidi"], ["2", "1", "it", "Castro", "Bozza"]]  # fmt: skip
    path = _csv(tmp_path, rows)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[survey.columns]\ncomune = "G01Q03"\ntitolo = "G02Q01"\n', "utf-8")
    out = tmp_path / "out"
    args = ["build", str(path), "--config", str(mapping), "--out", str(out), "--no-preview"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert f"Warning: {INCOMPLETE_ALERT}." in done.output
    assert "le risposte incomplete non si distinguono" in (out / "report.html").read_text("utf-8")
    quiet = CliRunner().invoke(app, [*args, "--all-complete"])
    assert quiet.exit_code == 0 and "Warning" not in quiet.output


def test_headings_with_entities_spaces_and_empty_labels_are_found(tmp_path: Path) -> None:
    rows = [["Comune\u00a0", "Sostegno &amp; famiglie", "Aree []", "Titolo"],
            ["Forlì", "sì", "x", "Nidi"]]  # fmt: skip
    path = _csv(tmp_path, rows)
    survey = SurveyConfig(columns={"comune": "Comune", "destinatari": "Sostegno & famiglie",
                                   "titolo": "Titolo"})  # fmt: skip
    result = read_survey(path, config=Config(survey=survey))
    assert [(r.place.comune, r.destinatari) for r in result.initiatives] == [("Forlì", "sì")]


def test_real_limesurvey_structure_files_both_layouts() -> None:
    """Excerpts of LimeSurvey's own test files (tests/data/survey/README.md says what was kept)."""
    old = read_structure(DATA / "limesurvey_survey_OldCodes_excerpt.lss")
    assert (old.db_version, old.languages) == (164, ("es", "en"))
    assert [(q.code, q.type, q.group) for q in old.questions] == [
        ("OLD_CODE1", "5", "354"), ("OLD_CODE2", "T", "354"), ("OLD_CODE3", "T", "355")]  # fmt: skip
    assert old.questions[0].texts == {"en": "Sample question with old code", "es": ""}
    assert old.groups["355"] == {"es": "Segundo grupo", "en": "Second group"}
    assert old.titles["en"] == "Test old code replacement"
    new = read_structure(DATA / "limesurvey_survey_remote_api_get_fieldmap_excerpt.lss")
    assert (new.db_version, new.languages) == (488, ("es", "en"))
    assert [(q.code, q.texts) for q in new.questions] == [
        ("Q00", {"en": "Example question", "es": "Pregunta de ejemplo"})]  # fmt: skip
    # an English or a Spanish full-text export of these surveys: headings back to codes
    assert old.heading_codes(["Response ID", "{OLD_CODE1.shown + OLD_CODE1.shown}", "Dummy"]) == {
        1: "OLD_CODE2", 2: "OLD_CODE3"}  # fmt: skip
    assert new.heading_codes(["ID de respuesta", "Pregunta de ejemplo"]) == {1: "Q00"}


def test_unquoted_empty_fields_are_missing_values() -> None:
    raw = (DATA / "shape_code_short_nulls.csv").read_text(encoding="utf-8")
    assert ',"",' in raw and ",," in raw  # both kinds of empty are in the file


def test_limesurvey_2_numbered_headings(tmp_path: Path) -> None:
    path = _csv(tmp_path, [["1 - ID risposta", "2 - Data invio", "3 - Comune", "7 - Titolo"],
                           ["5", "", "Castro", "Bozza"], ["6", "2020-01-01", "Forlì", "Nidi"]])  # fmt: skip
    survey = SurveyConfig(columns={"comune": "Comune", "titolo": "Titolo"})
    result = read_survey(path, config=Config(survey=survey))
    assert [r.record_id for r in result.initiatives] == ["2020-R6-G1"]
    assert result.incomplete_rows == (2,)


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_draft_finds_limesurvey_columns_in_any_language(language: str) -> None:
    text = draft_config(DATA / f"shape_full_long_{language}.csv").text
    labels = {"en": "Response ID", "de": "Antwort ID", "fr": "ID de la réponse", "es": "ID de respuesta"}
    assert f'id = "{labels[language]}"' in text
    assert "Ultima pagina" not in text and "lastpage" not in text


@pytest.mark.parametrize("name", ["shape_code_long.csv", "shape_codetext_short.xlsx", "shape_full_long.csv"])
def test_a_text_mapping_with_the_structure_reads_code_headings(tmp_path: Path, name: str) -> None:
    """Texts that are unique in the survey find their columns in code-headed exports too."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        f'[survey]\nstructure = "{(DATA / "shape_survey.lss").as_posix()}"\n[survey.columns]\n'
        'comune = "Comune"\nemail = "Email del referente"\ncomuni_associati = "Comuni associati"\n'
        '[[survey.practices]]\ntitolo = "G02Q01"\n',
        encoding="utf-8",
    )
    result = read_survey(DATA / name, config=load_config(mapping))
    ambito = next(r for r in result.initiatives if r.record_id == "2020-R12-G1")
    assert (ambito.place.comune, ambito.email) == ("S. Giovanni Rotondo", "marco.prova@example.org")
    assert ambito.comuni_associati == ("San Marco in Lamis", "Rignano Garganico")
