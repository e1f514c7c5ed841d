"""The TOML mapping/config file: which column holds which field, and output choices.

A complete file (every table and key is optional)::

    [survey]
    edition = 2020                # the year the records carry
    sheet = "Risposte"            # XLSX only; the first sheet by default
    id = "id"                     # LimeSurvey's response id column
    submitdate = "submitdate"     # empty cell = incomplete response
    structure = "survey.lss"      # LimeSurvey's survey structure export, beside this file

    [survey.columns]              # fields shared by every practice of a response
    comune = "G01Q03"
    comuni_associati = "comuni"   # comuni[SQ001], comuni[SQ002]... are read as a list

    [[survey.practices]]          # one table per repeated practice group, in order
    titolo = "G02Q01"
    aree = "area"                 # area[SQ001]... Y/blank, area[other] free text

    [survey.choices.aree]         # answer/subquestion codes -> vocabulary values
    SQ001 = "infanzia"

    [previous]                    # the previous edition's uMap layer (mapgen.readers.previous_map)
    edition = 2019
    initiative_layers = ["Iniziative 2019"]

    [previous.properties]         # canonical field -> feature property
    titolo = "name"

    [output]
    title = "Le iniziative di Regioni e Comuni a favore delle famiglie"
    include_contacts = false
    layers_by_area = false
    # remote_base_url = "https://www.example.it/mappa"   # layers load from <base>/layers/*.geojson

Without ``[survey.columns]`` and ``[[survey.practices]]`` the survey reader
recognises headers named like the canonical Italian fields (:data:`FIELD_HEADERS`).
A misspelt section, key or field is a :class:`~mapgen.errors.ConfigError` that
names the closest valid one.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from mapgen.errors import ConfigError, OutputError, output_fix
from mapgen.i18n import _, _l, get_language
from mapgen.model import AREAS, CONTACT_FIELDS, ENTITY_TYPES, FUNDING_SOURCES, OutputOptions
from mapgen.text import fold

__all__ = [
    "CANONICAL_FIELDS",
    "FIELD_HEADERS",
    "LIST_FIELDS",
    "PRACTICE_FIELDS",
    "REQUIRED_FIELDS",
    "VOCABULARIES",
    "Config",
    "PreviousConfig",
    "SurveyConfig",
    "check_config_target",
    "load_config",
    "save_config_text",
]

#: Canonical field -> the Italian header a tidy spreadsheet uses for it.
FIELD_HEADERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "regione": "Regione",
        "provincia": "Provincia",
        "comune": "Comune",
        "tipo_ente": "Tipo ente",
        "denominazione_ente": "Denominazione ente",
        "comuni_associati": "Comuni associati",
        "titolo": "Titolo",
        "descrizione": "Descrizione",
        "aree": "Area",
        "aree_altro": "Area altro",
        "destinatari": "Destinatari",
        "fonti": "Fonte di finanziamento",
        "fonti_altro": "Fonte di finanziamento altro",
        "importo": "Importo",
        "data_inizio": "Data inizio",
        "data_fine": "Data fine",
        "sito_web": "Sito web",
        "referente": "Referente",
        "email": "Email",
        "telefono": "Telefono",
    }
)

#: Every field a column can be mapped to, in questionnaire order.
CANONICAL_FIELDS: Final = tuple(FIELD_HEADERS)

#: Fields that describe one practice (repeated in each practice group).
PRACTICE_FIELDS: Final = (
    "titolo",
    "descrizione",
    "aree",
    "aree_altro",
    "destinatari",
    "fonti",
    "fonti_altro",
    "importo",
    "data_inizio",
    "data_fine",
    "sito_web",
)

#: Without these a row cannot become an initiative.
REQUIRED_FIELDS: Final = ("comune", "titolo")

#: Fields that may come as one Y/blank column per option or as a list of labels.
LIST_FIELDS: Final = ("aree", "fonti", "comuni_associati", "destinatari")

#: Fields whose values are normalised to a fixed vocabulary.
VOCABULARIES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "aree": AREAS,
        "fonti": FUNDING_SOURCES,
        "tipo_ente": ENTITY_TYPES,
    }
)

#: Fields of ``[previous.properties]``, named as :mod:`mapgen.readers.previous_map` names them (the
#: Italian headers); the snake_case names (``data_inizio``) are accepted too.
PREVIOUS_FIELDS: Final = (
    *(header for name, header in FIELD_HEADERS.items() if not name.endswith("_altro")),
    "Anno",
)

_SECTIONS = ("survey", "previous", "output")
_SURVEY_KEYS = (
    "edition", "sheet", "id", "submitdate", "structure", "columns", "practices", "choices",
)  # fmt: skip
_PREVIOUS_KEYS = ("edition", "initiative_layers", "properties")
_OUTPUT_KEYS = ("title", "include_contacts", "layers_by_area", "preview", "remote_base_url")


@dataclass(frozen=True, slots=True)
class SurveyConfig:
    """How to read the survey export (the ``[survey]`` table).

    ``columns`` maps fields shared by a response's practices to their column;
    ``practices`` holds one such mapping per repeated practice group; ``choices``
    maps, per field, answer or subquestion codes (or labels) to vocabulary values.
    A column given as ``""`` means "not in this export".
    """

    edition: int = 2020
    sheet: str | None = None
    id: str = "id"
    submitdate: str = "submitdate"
    #: LimeSurvey's survey structure file (.lss), relative to the config file; "" = none.
    structure: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    practices: tuple[Mapping[str, str], ...] = ()
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def mapped(self) -> bool:
        """True when the file maps columns; False means "recognise the headers"."""
        return bool(self.columns or self.practices)


@dataclass(frozen=True, slots=True)
class PreviousConfig:
    """How to read the previous edition's map (the ``[previous]`` table)."""

    edition: int = 2019
    initiative_layers: tuple[str, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Config:
    """The whole mapping/config file; ``Config()`` is the default (no file)."""

    survey: SurveyConfig = field(default_factory=SurveyConfig)
    previous: PreviousConfig = field(default_factory=PreviousConfig)
    output: OutputOptions = field(default_factory=OutputOptions)
    path: Path | None = None
    corrections: Path | None = None  # ``corrections = "FILE"``, relative to the config file


def load_config(path: Path | str) -> Config:
    """Read and check a mapping/config TOML file.

    Parameters
    ----------
    path
        The TOML file.

    Returns
    -------
    Config
        Every section, with defaults for what the file leaves out.

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML, or names an unknown section,
        key, field or vocabulary value (the message names the closest valid one).
    """
    path = Path(path)
    data = _read_toml(path)
    where = _Where(path.name)
    # ``corrections = "FILE"`` is the one top-level key that is not a section.
    _check_keys({k: v for k, v in data.items() if k != "corrections"}, _SECTIONS, where, kind=_("section"))
    return Config(
        survey=_survey(_table(data, "survey", where), where.sub("[survey]")),
        previous=_previous(_table(data, "previous", where), where.sub("[previous]")),
        output=_output(_table(data, "output", where), where.sub("[output]")),
        path=path,
        corrections=_corrections(data, path, where),
    )


def check_config_target(path: Path, *, survey: Path | None = None, force: bool = False) -> None:
    """Refuse to write a mapping over the survey export, or over a file without ``force``."""
    if survey is not None and path.resolve() == survey.resolve():
        raise OutputError(_("--out {file} is the survey export itself; write the mapping to another file, such as "
                            "--out mapping.toml.", file=path))
    if path.exists() and not force:
        raise OutputError(_("{file} already exists; choose another --out or add --force.", file=path))


def save_config_text(text: str, path: Path, *, survey: Path | None = None, force: bool = False) -> Path:
    """Write a mapping file: never over the survey, never half-written.

    The text goes to a file beside ``path`` that is renamed into place once complete,
    so a full disk or a read-only folder leaves no empty ``mapping.toml`` behind.

    Raises
    ------
    OutputError
        ``path`` is the survey, exists (without ``force``), or cannot be written (with the fix).
    """
    check_config_target(path, survey=survey, force=force)
    partial = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OutputError(_("cannot write {path}: {reason}. {output_fix}",
                            path=path, reason=exc.strerror or exc, output_fix=output_fix(exc))) from exc
    return path


def _corrections(data: Mapping[str, Any], path: Path, where: _Where) -> Path | None:
    """``corrections = "FILE"`` at the top of the file: a person's corrections, relative to the config."""
    value = data.get("corrections")
    if value is None:
        return None
    text = _text(value, "corrections", where)
    return (path.parent / text) if text else None


# --- reading and checking -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Where:
    """Where in the file a value is, for messages: ``mapping.toml, [survey.columns]``."""

    file: str
    section: str = ""

    def sub(self, section: str) -> _Where:
        return _Where(self.file, section)

    def __str__(self) -> str:
        return f"{self.file}, {self.section}" if self.section else self.file


_WINDOWS_PATH_FIX: Final = _l("A Windows path needs single quotes or forward slashes, e.g. "
                               "structure = 'C:\\dati\\questionario.lss' or structure = \"C:/dati/questionario.lss\".")
#: The fix for tomllib's error, by the start of its message; any other: the usual cause.
_TOML_FIXES: Final = (
    ("Expected ']' at the end of a table", _l("A section name needs its closing bracket, e.g. [survey.columns].")),
    ("Expected ']]' at the end of an array", _l("A repeated section needs two closing brackets, "
                                                "e.g. [[survey.practices]].")),
    ("Unclosed array", _l('A list needs its closing bracket, e.g. initiative_layers = ["2019", "2020"].')),
    ("Invalid hex value", _WINDOWS_PATH_FIX),
    ("Unescaped '\\'", _WINDOWS_PATH_FIX),
    ("Illegal character '\\n'", _l('A text value needs its closing quote on the same line, e.g. comune = "G01Q03".')),
    ("Cannot overwrite a value", _l("The same key is written twice: keep one.")),
    ("Cannot declare", _l("The same section is written twice: keep one, with every key under it.")),
)


def _toml_fix(error: str) -> str:
    """The fix for a TOML syntax error: a missing ``]`` is not a missing quote."""
    for start, fix in _TOML_FIXES:
        if error.startswith(start):
            return str(fix)
    return _('Text values need quotes, e.g. comune = "G01Q03".')


def _toml_error(error: str) -> str:
    """tomllib's message as it is in English; elsewhere only where it is (tomllib speaks English only)."""
    if get_language() == "en":
        return error
    at = re.search(r"\(at line (\d+), column (\d+)\)", error)
    if at is None:
        return _("at the end of the file") if "end of document" in error else _("position not given")
    return _("at line {line}, column {column}", line=int(at[1]), column=int(at[2]))


def _read_toml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ConfigError(_("{file} is a folder, not a mapping file. Give the .toml file with --config.", file=path))
    if not path.is_file():
        raise ConfigError(_("{file} does not exist. Write one with: mapgen init-config SURVEY --out {name}", file=path,
                            name=path.name))
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(_("cannot read {file}: {reason}. Check the file's permissions.", file=path.name,
                            reason=exc.strerror or exc)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(_("{file} is not UTF-8 text. Save it as UTF-8.", file=path.name)) from exc
    try:
        # Notepad starts a UTF-8 file with a byte order mark, which TOML does not allow
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{file} is not valid TOML: {error}. {toml_fix}",
                            file=path.name, error=_toml_error(str(exc)), toml_fix=_toml_fix(str(exc)))) from exc
    except ValueError as exc:  # not a TOMLDecodeError: an integer of thousands of digits
        raise ConfigError(_("{file} holds a value mapgen cannot read ({error}). Fix that value.",
                            file=path.name, error=exc)) from exc
    except RecursionError as exc:  # tomllib recurses once per level of nested arrays/tables
        raise ConfigError(
            _("{file} nests arrays or tables hundreds of levels deep; a mapping file needs at most "
              "three. Write it again with: mapgen init-config SURVEY", file=path.name)
        ) from exc


def _closest(wanted: str, valid: Sequence[str]) -> str:
    """`` did you mean 'x'?`` for the valid name nearest ``wanted``, or ``""``."""
    folded = {fold(v): v for v in valid}
    found = get_close_matches(fold(wanted), list(folded), n=1, cutoff=0.6)
    return _("; did you mean {name}?", name=repr(folded[found[0]])) if found else "."


def _check_keys(
    table: Mapping[str, Any], valid: Sequence[str], where: _Where, *, kind: str
) -> None:
    for key in table:
        if key not in valid:
            listed = ", ".join(valid)
            raise ConfigError(
                _("{where}: unknown {kind} {key}{closest} Valid: {listed}.",
                  where=where, kind=kind, key=repr(key), closest=_closest(key, valid), listed=listed)
            )


def _table(data: Mapping[str, Any], key: str, where: _Where) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(_("{where}: {key} must be a table ([{key}]), not {type}.",
                            where=where, key=key, type=type(value).__name__))
    return value


def _text(value: Any, key: str, where: _Where) -> str:
    if not isinstance(value, str):
        raise ConfigError(_("{where}: {key} must be text in quotes, got {value}.",
                            where=where, key=key, value=repr(value)))
    return value.strip()


def _year(value: Any, key: str, where: _Where) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2999:
        raise ConfigError(_("{where}: {key} must be a year such as 2020 (no quotes), got {value}.",
                            where=where, key=key, value=repr(value)))
    return value


def _flag(value: Any, key: str, where: _Where) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(_("{where}: {key} must be true or false (no quotes), got {value}.",
                            where=where, key=key, value=repr(value)))
    return value


def _field_map(
    table: Any, where: _Where, *, valid: Sequence[str] = CANONICAL_FIELDS
) -> dict[str, str]:
    """A ``field = "column"`` table, with field names checked."""
    if not isinstance(table, dict):
        raise ConfigError(_('{where} must be a table of field = "column" lines.', where=where))
    _check_keys(table, valid, where, kind=_("field"))
    return {key: _text(value, key, where) for key, value in table.items()}


def _practices(value: Any, where: _Where) -> tuple[Mapping[str, str], ...]:
    if isinstance(value, dict):  # [survey.practices] written instead of [[survey.practices]]
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(_("{where}: practices must be [[survey.practices]] tables.", where=where))
    return tuple(
        MappingProxyType(_field_map(group, where.sub(_("[[survey.practices]] number {n}", n=n))))
        for n, group in enumerate(value, start=1)
    )


def _vocabulary_value(value: str, field_name: str, key: str, where: _Where) -> str:
    """Check a choice's target against the field's vocabulary; return its canonical spelling."""
    vocabulary = VOCABULARIES.get(field_name)
    if vocabulary is None:
        return value
    for canonical in vocabulary:
        if fold(canonical) == fold(value):
            return canonical
    listed = ", ".join(repr(v) for v in vocabulary)
    raise ConfigError(
        _("{where}: {key} = {value} is not a value of {field_name}{closest} Values: {listed}.",
          where=where, key=key, value=repr(value), field_name=field_name, closest=_closest(value, vocabulary),
          listed=listed)
    )


def _choices(value: Any, where: _Where) -> dict[str, Mapping[str, str]]:
    if not isinstance(value, dict):
        raise ConfigError(_("{where}: choices must be [survey.choices.<field>] tables.", where=where))
    _check_keys(value, CANONICAL_FIELDS, where, kind=_("field"))
    choices: dict[str, Mapping[str, str]] = {}
    for field_name, table in value.items():
        here = where.sub(f"[survey.choices.{field_name}]")
        if not isinstance(table, dict):
            raise ConfigError(_('{here} must be a table of code = "value" lines.', here=here))
        choices[field_name] = MappingProxyType(
            {
                str(code): _vocabulary_value(
                    _text(target, str(code), here), field_name, str(code), here
                )
                for code, target in table.items()
            }
        )
    return choices


def _check_no_overlap(
    columns: Mapping[str, str], practices: Sequence[Mapping[str, str]], where: _Where
) -> None:
    in_practices = {name for group in practices for name in group}
    both = sorted(set(columns) & in_practices)
    if both:
        raise ConfigError(
            _("{where}: {fields} is both in [survey.columns] and in [[survey.practices]]; keep each "
              "field in one place.", where=where, fields=", ".join(both))
        )


def _check_contacts_apart(
    columns: Mapping[str, str], practices: Sequence[Mapping[str, str]], where: _Where
) -> None:
    """Refuse a column mapped both to a contact field and to a public one: it would publish the contact."""
    public: dict[str, str] = {}
    for group in (columns, *practices):
        public |= {column: name for name, column in group.items() if name not in CONTACT_FIELDS and column}
    clashes = [(name, column, public[column]) for name, column in columns.items()
               if name in CONTACT_FIELDS and column in public]
    clashes += [(name, column, public[column]) for group in practices for name, column in group.items()
                if name in CONTACT_FIELDS and column in public]
    if clashes:
        listed = "; ".join(_("{column} is both {contact} (private) and {other} (published)", column=repr(column),
                             contact=contact, other=other) for contact, column, other in clashes)
        raise ConfigError(
            _("{where}: {listed}. The map would publish a contact: map each field to its own column.",
              where=where, listed=listed)
        )


def _survey(table: Mapping[str, Any], where: _Where) -> SurveyConfig:
    _check_keys(table, _SURVEY_KEYS, where, kind=_("key"))
    default = SurveyConfig()
    columns = _field_map(table.get("columns", {}), where.sub("[survey.columns]"))
    practices = _practices(table.get("practices", []), where)
    _check_no_overlap(columns, practices, where)
    _check_contacts_apart(columns, practices, where)
    sheet = _text(table["sheet"], "sheet", where) if "sheet" in table else None
    return SurveyConfig(
        edition=_year(table.get("edition", default.edition), "edition", where),
        sheet=sheet or None,
        id=_text(table.get("id", default.id), "id", where),
        submitdate=_text(table.get("submitdate", default.submitdate), "submitdate", where),
        structure=_text(table.get("structure", ""), "structure", where),
        columns=MappingProxyType(columns),
        practices=practices,
        choices=MappingProxyType(_choices(table.get("choices", {}), where.sub("[survey.choices]"))),
    )


def _previous(table: Mapping[str, Any], where: _Where) -> PreviousConfig:
    _check_keys(table, _PREVIOUS_KEYS, where, kind=_("key"))
    layers = table.get("initiative_layers", [])
    if isinstance(layers, str):
        layers = [layers]
    if not isinstance(layers, list):
        raise ConfigError(
            _('{where}: initiative_layers must be a list of layer names, e.g. ["Iniziative 2019"].',
              where=where)
        )
    properties = _previous_properties(
        table.get("properties", {}), where.sub("[previous.properties]")
    )
    return PreviousConfig(
        edition=_year(table.get("edition", PreviousConfig().edition), "edition", where),
        initiative_layers=tuple(_text(name, "initiative_layers", where) for name in layers),
        properties=MappingProxyType(properties),
    )


def _previous_properties(table: Any, where: _Where) -> dict[str, str]:
    """``field = "property"`` lines; fields as snake_case or Italian header, keyed by the header."""
    if not isinstance(table, dict):
        raise ConfigError(_('{where} must be a table of field = "property" lines.', where=where))
    by_fold = {fold(h): h for h in PREVIOUS_FIELDS}
    by_fold.update(
        {fold(n): FIELD_HEADERS[n] for n in FIELD_HEADERS if FIELD_HEADERS[n] in PREVIOUS_FIELDS}
    )
    names = [*PREVIOUS_FIELDS]
    properties: dict[str, str] = {}
    for key, value in table.items():
        if fold(key) not in by_fold:
            _check_keys({key: value}, names, where, kind=_("field"))
        properties[by_fold[fold(key)]] = _text(value, key, where)
    return properties


def _output(table: Mapping[str, Any], where: _Where) -> OutputOptions:
    _check_keys(table, _OUTPUT_KEYS, where, kind=_("key"))
    default = OutputOptions()
    return OutputOptions(
        title=_text(table.get("title", default.title), "title", where) or default.title,
        include_contacts=_flag(
            table.get("include_contacts", default.include_contacts), "include_contacts", where
        ),
        layers_by_area=_flag(
            table.get("layers_by_area", default.layers_by_area), "layers_by_area", where
        ),
        preview=_flag(table.get("preview", default.preview), "preview", where),
        remote_base_url=_base_url(table.get("remote_base_url", ""), where),
    )


def _base_url(value: Any, where: _Where) -> str:
    """``remote_base_url``: https (the map is https; browsers block http from it), no query."""
    from urllib.parse import urlsplit

    text = _text(value, "remote_base_url", where).rstrip("/")
    if not text:
        return ""
    parts = urlsplit(text)
    loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if not (parts.scheme == "https" or loopback) or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            _("{where}: remote_base_url must be an https:// address without ? or #, such as "
              '"https://www.example.it/mappa-famiglie", got {value}.', where=where, value=repr(value))
        )
    return text
