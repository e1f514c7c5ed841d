"""mapgen.config: the TOML mapping file, its defaults, every typo caught with the closest name."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapgen.config import (
    CANONICAL_FIELDS,
    FIELD_HEADERS,
    Config,
    load_config,
)
from mapgen.errors import ConfigError
from mapgen.model import OutputOptions
from mapgen.readers.starter_mapping import draft_config
from mapgen.readers.survey import read_survey

DATA = Path(__file__).parent / "data" / "survey"
EXAMPLES = Path(__file__).parent.parent / "examples"


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_mapping() -> None:
    config = load_config(EXAMPLES / "mapping.toml")
    assert config.path == EXAMPLES / "mapping.toml"
    assert (config.survey.edition, config.survey.id, config.survey.submitdate) == (
        2020,
        "id",
        "submitdate",
    )
    assert config.survey.columns["comune"] == "G01Q03"
    assert [p["titolo"] for p in config.survey.practices] == ["G02Q01", "G03Q01", "G04Q01"]
    assert config.survey.choices["aree"]["SQ002"] == "natalità"
    assert config.survey.choices["tipo_ente"]["A3"] == "Unione di Comuni"
    assert config.previous.edition == 2019
    assert config.previous.initiative_layers == ("Iniziative 2019",)
    assert dict(config.previous.properties) == {"Titolo": "name", "Descrizione": "description"}
    assert config.output == OutputOptions(include_contacts=False, layers_by_area=False)


def test_defaults_without_a_file() -> None:
    config = Config()
    assert (config.survey.edition, config.survey.mapped, config.survey.sheet) == (2020, False, None)
    assert (config.previous.edition, config.previous.initiative_layers) == (2019, ())
    assert config.output == OutputOptions()


def test_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(toml(tmp_path, "# nothing yet\n"))
    assert config.survey == Config().survey and config.output == OutputOptions()


def test_every_section(tmp_path: Path) -> None:
    config = load_config(
        toml(
            tmp_path,
            """
[survey]
edition = 2021
sheet = "Risposte"

[survey.practices]   # one table written without the double brackets
titolo = "Titolo"
comune = "Comune"

[previous]
edition = 2020
initiative_layers = "Iniziative 2020"

[previous.properties]
"Data inizio" = "start"
fonti = "fonte"
Anno = "anno"

[output]
title = "Mappa interna"
include_contacts = true
layers_by_area = true
preview = false
""",
        )
    )
    assert (config.survey.edition, config.survey.sheet, config.survey.mapped) == (
        2021,
        "Risposte",
        True,
    )
    assert config.survey.practices == ({"titolo": "Titolo", "comune": "Comune"},)
    assert config.previous.initiative_layers == ("Iniziative 2020",)
    # keys as the previous-map reader names them (the Italian headers)
    assert dict(config.previous.properties) == {
        "Data inizio": "start",
        "Fonte di finanziamento": "fonte",
        "Anno": "anno",
    }
    assert config.output == OutputOptions("Mappa interna", True, True, False)


def test_choice_values_get_their_canonical_spelling(tmp_path: Path) -> None:
    config = load_config(toml(tmp_path, '[survey.choices.aree]\nA1 = "NATALITA\'"\n'))
    assert config.survey.choices["aree"] == {"A1": "natalità"}


def test_canonical_fields_have_italian_headers() -> None:
    assert CANONICAL_FIELDS[:3] == ("regione", "provincia", "comune")
    assert FIELD_HEADERS["fonti"] == "Fonte di finanziamento"


FIELDS = ", ".join(CANONICAL_FIELDS)
ERRORS = [
    (
        "[surveys]\nedition = 2020\n",
        "mapping.toml: unknown section 'surveys'; did you mean 'survey'? Valid: survey, "
        "previous, output.",
    ),
    (
        "[survey]\neditoin = 2020\n",
        "mapping.toml, [survey]: unknown key 'editoin'; did you mean 'edition'? "
        "Valid: edition, sheet, id, submitdate, structure, columns, practices, choices.",
    ),
    (
        '[survey.columns]\ntitlo = "G02Q01"\n',
        "mapping.toml, [survey.columns]: unknown field 'titlo'; did you mean 'titolo'? Valid: "
        f"{FIELDS}.",
    ),
    (
        '[[survey.practices]]\ntitolo = "A"\n[[survey.practices]]\n"Data inizio" = "B"\n',
        "mapping.toml, [[survey.practices]] number 2: unknown field 'Data inizio'; did you mean "
        f"'data_inizio'? Valid: {FIELDS}.",
    ),
    (
        '[survey.columns]\nxyz = "A"\n',
        f"mapping.toml, [survey.columns]: unknown field 'xyz'. Valid: {FIELDS}.",
    ),
    (
        '[survey.choices.area]\nSQ001 = "infanzia"\n',
        "mapping.toml, [survey.choices]: unknown field 'area'; did you mean 'aree'? Valid: "
        f"{FIELDS}.",
    ),
    (
        '[survey.choices.aree]\nSQ001 = "infanzie"\n',
        "mapping.toml, [survey.choices.aree]: SQ001 = 'infanzie' is not a value of aree; did you "
        "mean "
        "'infanzia'? Values: 'infanzia', 'natalità', 'sostegno alle famiglie', 'responsabilità "
        "genitoriali', "
        "'centri per le famiglie', 'altro'.",
    ),
    (
        '[survey.choices.tipo_ente]\nA2 = "Ambito"\n',
        "mapping.toml, [survey.choices.tipo_ente]: A2 = 'Ambito' is not a value of tipo_ente. "
        "Values: "
        "'Comune singolo', 'capofila di Ambito', 'Unione di Comuni', 'altra forma associata'.",
    ),
    (
        '[survey]\nedition = "duemilaventi"\n',
        "mapping.toml, [survey]: edition must be a year such as 2020 (no quotes), got "
        "'duemilaventi'.",
    ),
    (
        "[survey.columns]\ncomune = 3\n",
        "mapping.toml, [survey.columns]: comune must be text in quotes, got 3.",
    ),
    (
        '[survey.columns]\ntitolo = "A"\n[[survey.practices]]\ntitolo = "B"\n',
        "mapping.toml, [survey]: titolo is both in [survey.columns] and in [[survey.practices]]; "
        "keep each field in one place.",
    ),
    (
        '[previous.properties]\ntitle = "name"\n',
        "mapping.toml, [previous.properties]: unknown field 'title'; did you mean 'Titolo'? "
        "Valid: Regione, "
        "Provincia, Comune, Tipo ente, Denominazione ente, Comuni associati, Titolo, "
        "Descrizione, Area, "
        "Destinatari, Fonte di finanziamento, Importo, Data inizio, Data fine, Sito web, "
        "Referente, Email, "
        "Telefono, Anno.",
    ),
    (
        "[previous]\ninitiative_layers = 3\n",
        "mapping.toml, [previous]: initiative_layers must be a list of layer names, e.g. "
        '["Iniziative 2019"].',
    ),
    (
        "[output]\ninclude_contact = true\n",
        "mapping.toml, [output]: unknown key 'include_contact'; did you mean 'include_contacts'? "
        "Valid: title, include_contacts, layers_by_area, preview, remote_base_url.",
    ),
    (
        '[output]\ninclude_contacts = "no"\n',
        "mapping.toml, [output]: include_contacts must be true or false (no quotes), got 'no'.",
    ),
    ("survey = 3\n", "mapping.toml: survey must be a table ([survey]), not int."),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[m.split(":")[1][:40] for _, m in ERRORS])
def test_mistakes_name_the_closest_valid_name(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(toml(tmp_path, text))
    assert str(caught.value) == message


def test_toml_syntax_error_says_where(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(toml(tmp_path, "[survey]\nedition = 2020\ncomune = G01Q03\n"))
    assert str(caught.value) == (
        "mapping.toml is not valid TOML: Invalid value (at line 3, column 10). "
        'Text values need quotes, e.g. comune = "G01Q03".'
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "manca.toml")
    assert str(caught.value) == (
        f"{tmp_path / 'manca.toml'} does not exist. Write one with: mapgen init-config SURVEY "
        "--out manca.toml"
    )


def test_config_error_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown section"):
        load_config(toml(tmp_path, "[outptu]\n"))


# --- starter mappings -----------------------------------------------------------------------------

# Text headings that repeat (shape_full*, shape_abbreviated*) need --structure: tests/readers/test_survey_shapes.py
DRAFTABLE = sorted(p for p in DATA.iterdir() if p.suffix in (".csv", ".txt", ".xlsx")
                   and not p.name.startswith(("shape_full", "shape_abbreviated")))


@pytest.mark.parametrize("path", DRAFTABLE, ids=lambda p: p.name)
def test_draft_is_a_valid_mapping_that_reads_the_file(tmp_path: Path, path: Path) -> None:
    draft = draft_config(path)
    config = load_config(toml(tmp_path, draft.text))
    result = read_survey(path, config=config)
    assert len(result.initiatives) == 4
    assert result.errors == ()


def test_draft_from_full_question_texts_places_every_field() -> None:
    draft = draft_config(DATA / "fulltext_limesurvey.csv")
    assert draft.missing == ()
    assert draft.practices == 2
    assert (
        draft.summary()
        == "18 fields placed, 2 practice groups, 0 columns not used; nothing left to do"
    )
    assert "titolo = \"Titolo della pratica 2\"  # e.g. 'Nidi gratis'" in draft.text
    assert 'id = "ID risposta"' in draft.text and "[survey.choices" not in draft.text


def test_draft_from_question_codes_guesses_from_values() -> None:
    draft = draft_config(DATA / "codes_limesurvey.csv")
    text = draft.text
    assert 'comune = "G01Q03"  # guessed from the values (Comune names)' in text
    assert 'email = "G05Q02"  # guessed from the values (e-mail addresses)' in text
    assert 'aree = "area"  # options: SQ001, SQ002, SQ003, SQ004, SQ005, other' in text
    assert 'titolo = "G03Q01"  # guessed: text of group G03' in text
    assert (
        '[survey.choices.fonti]  # check: codes assumed in questionnaire order\nSQ001 = "nazionale"'
        in text
    )
    assert draft.missing == ("tipo_ente", "denominazione_ente", "destinatari", "referente")
    assert 'referente = ""  # TODO (optional): not found; write the column\'s header' in text


def test_draft_of_the_example_reads_like_the_hand_written_mapping() -> None:
    hand = read_survey(EXAMPLES / "survey_2020.csv", config=load_config(EXAMPLES / "mapping.toml"))
    draft = draft_config(EXAMPLES / "survey_2020.csv")
    assert draft.practices == 3
    assert "tipo_ente" in draft.missing  # answer codes A1-A4 cannot be guessed
    assert "edition = 2020" in draft.text
    assert len(hand.initiatives) > 300


# --- issue 20 ---------------------------------------------------------------------------


def test_a_bom_at_the_start_just_works(tmp_path: Path) -> None:
    path = tmp_path / "mapping.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'[survey]\nedition = 2021\n')  # as Notepad saves UTF-8
    assert load_config(path).survey.edition == 2021


@pytest.mark.parametrize("text", ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a = " * 5000 + "1" + "}" * 5000])
def test_deep_nesting_is_one_config_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match=r"^mapping\.toml nests arrays or tables hundreds of levels deep"):
        load_config(toml(tmp_path, text))


def test_a_contact_and_a_public_field_on_one_column_are_refused(tmp_path: Path) -> None:
    path = toml(tmp_path, '[survey.columns]\nemail = "G05Q02"\n[[survey.practices]]\ntitolo = "T"\n'
                'descrizione = "G05Q02"\n')
    with pytest.raises(ConfigError, match=r"^mapping\.toml, \[survey\]: 'G05Q02' is both email \(private\) and "
                       r"descrizione \(published\)\. The map would publish a contact: map each field to its "
                       r"own column\.$"):
        load_config(path)


def test_an_integer_too_long_for_python_is_one_config_error(tmp_path: Path) -> None:
    """Found by the fuzzer: tomllib raises a plain ValueError past 4300 digits."""
    with pytest.raises(ConfigError, match=r"^mapping\.toml holds a value mapgen cannot read \(.*4300 digits"):
        load_config(toml(tmp_path, "[survey]\nedition = " + "9" * 5000 + "\n"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"https://www.example.it/mappa/"', "https://www.example.it/mappa"),
        ('"http://127.0.0.1:8000"', "http://127.0.0.1:8000"),
        ('""', ""),
    ],
)
def test_remote_base_url(tmp_path: Path, value: str, expected: str) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(f"[output]\nremote_base_url = {value}\n", encoding="utf-8")
    assert load_config(path).output.remote_base_url == expected


@pytest.mark.parametrize("value", ['"http://www.example.it/mappa"', '"www.example.it"', '"https://x.it/?a=1"'])
def test_remote_base_url_must_be_https(tmp_path: Path, value: str) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(f"[output]\nremote_base_url = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="remote_base_url must be an https:// address"):
        load_config(path)
