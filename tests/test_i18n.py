"""The message catalogue: every message translated, the same placeholders, the .mo current; the language chosen."""

from __future__ import annotations

import gettext
import importlib.util
import string
import sys
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from mapgen import i18n
from mapgen.i18n import _l, _lp, choose_language, language

ROOT = Path(__file__).parent.parent
PO = ROOT / "mapgen" / "locale" / "it" / "LC_MESSAGES" / "mapgen.po"
MO = PO.with_suffix(".mo")


def _tool() -> ModuleType:
    """scripts/messages.py, the one extraction the developers run."""
    spec = importlib.util.spec_from_file_location("messages_tool", ROOT / "scripts" / "messages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    with PO.open("rb") as file:
        return read_po(file, locale="it")


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    catalog: Catalog = _tool().extract()
    return catalog


def _key(message: Message) -> tuple[str | None, str]:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return message.context, msgid


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_code_uses_messages(extracted: Catalog) -> None:
    assert len([m for m in extracted if m.id]) > 200


def test_every_message_of_the_code_has_an_italian_translation(catalogue: Catalog, extracted: Catalog) -> None:
    translated = {_key(m): m for m in catalogue if m.id}
    missing = [_key(m) for m in extracted if m.id and _key(m) not in translated]
    assert missing == [], "run python scripts/messages.py, then translate the new messages"
    empty = [_key(m) for m in extracted if m.id and not _tool().translated(translated[_key(m)])]
    assert empty == [], "messages without an Italian translation in mapgen.po"


def test_plural_messages_stay_plural(catalogue: Catalog, extracted: Catalog) -> None:
    translated = {_key(m): m for m in catalogue if m.id}
    for message in extracted:
        if message.id:
            assert isinstance(message.id, tuple) == isinstance(translated[_key(message)].id, tuple), message.id


def test_placeholders_are_the_same_in_both_languages(catalogue: Catalog) -> None:
    wrong = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        english = set().union(*map(_fields, ids))
        # Each Italian form says what the English says; a plural's forms may leave {count} to the words.
        if any(not _fields(form) <= english for form in forms) or set().union(*map(_fields, forms)) != english:
            wrong.append(message.id)
    assert wrong == []


def test_the_placeholder_check_finds_a_difference() -> None:
    # the check above can fail: a renamed placeholder is a different set
    assert _fields("{count} righe di {file}") != _fields("{count} rows of {name}")
    assert _fields("{size:,.0f} KB") == {"size"}


def test_the_compiled_catalogue_says_what_the_po_says(catalogue: Catalog) -> None:
    with MO.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for message in catalogue:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            one, many = message.id
            assert compiled.ngettext(one, many, 1) == message.string[0], message.id
            assert compiled.ngettext(one, many, 2) == message.string[1], message.id
        elif message.context:
            assert compiled.pgettext(message.context, message.id) == message.string, message.id
        else:
            assert compiled.gettext(message.id) == message.string, message.id


def test_no_message_is_left_in_the_catalogue_that_the_code_no_longer_uses(
    catalogue: Catalog, extracted: Catalog
) -> None:
    used = {_key(m) for m in extracted if m.id}
    assert [_key(m) for m in catalogue if m.id and _key(m) not in used] == []


# --- rendering ------------------------------------------------------------------------------------

def test_a_message_renders_in_either_language_with_its_parameters() -> None:
    message = _l("{file} has a header row but no responses. Export the responses again.", file="a.csv")
    assert message.render("en") == "a.csv has a header row but no responses. Export the responses again."
    assert message.render("it") == ("a.csv ha la riga d'intestazione ma nessuna risposta. Esportare di nuovo le "
                                    "risposte.")
    with language("it"):
        assert str(message) == message.render("it")
    assert str(message) == message.render("en")


def test_plural_forms_and_nested_messages() -> None:
    rows = [_lp("{count} row", "{count} rows", n) for n in (1, 2)]
    assert [r.render("it") for r in rows] == ["1 riga", "2 righe"]
    assert [r.render("en") for r in rows] == ["1 row", "2 rows"]
    outer = _l("XLSX, sheet {sheet}, {rows}", sheet="'Foglio1'", rows=rows[1])
    assert outer.render("it") == "XLSX, foglio 'Foglio1', 2 righe"


# --- which language -------------------------------------------------------------------------------

@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANG": "it_IT.UTF-8"}, "it"),
    ({"LANG": "it_CH.UTF-8"}, "it"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({}, "en"),
    ({"LANG": "it_IT.UTF-8", "LC_ALL": "C"}, "en"),  # LC_ALL wins, as in gettext
    ({"LANG": "C.UTF-8", "LC_MESSAGES": "it_IT.UTF-8"}, "it"),
    ({"LANG": "C.UTF-8", "MAPGEN_LANG": "it"}, "it"),
    ({"LANG": "it_IT.UTF-8", "MAPGEN_LANG": "en"}, "en"),
    ({"LANG": "", "LC_ALL": ""}, "en"),
])  # fmt: skip
def test_language_from_the_environment(environ: dict[str, str], expected: str) -> None:
    assert choose_language(environ=environ, platform="linux") == expected


def test_the_option_wins_over_the_environment() -> None:
    assert choose_language("en", environ={"MAPGEN_LANG": "it", "LANG": "it_IT.UTF-8"}) == "en"
    assert choose_language("it", environ={"LANG": "C"}) == "it"


@pytest.mark.parametrize(("windows", "expected"), [("it_IT", "it"), ("en_US", "en"), ("", "en")])
def test_windows_display_language(monkeypatch: pytest.MonkeyPatch, windows: str, expected: str) -> None:
    monkeypatch.setattr(i18n, "_windows_language", lambda: windows)
    assert choose_language(environ={}, platform="win32") == expected
    # a terminal that sets LANG (Git Bash) is read first
    assert choose_language(environ={"LANG": "it_IT.UTF-8"}, platform="win32") == "it"


def test_windows_locale_names_are_read() -> None:
    # locale.getlocale() on Windows says "Italian_Italy", "Italian_Switzerland"
    assert i18n._language_of("Italian_Italy.1252") == "it"
    assert i18n._language_of("English_United States.1252") == "en"


def test_the_windows_lookup_answers_off_windows() -> None:
    assert i18n._windows_language() == ""  # no kernel32 here: the branch falls back to English
