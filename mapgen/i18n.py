"""The language people read: one message catalogue (gettext), Italian or English.

Every sentence a person reads is written once, in English, as the message id: ``_("Wrote
{count} files to {folder}:", count=n, folder=out)``; its Italian translation lives in
``mapgen/locale/it/LC_MESSAGES/mapgen.po`` (compiled to ``mapgen.mo`` beside it, read by the
standard library's :mod:`gettext`, so Babel is a tool for people who change messages, not a
dependency). Placeholders are named (``{count}``) and the same in both languages
(``tests/test_i18n.py`` checks it); plurals go through :func:`ngettext`.

Which language: ``--lingua it|en`` (:func:`set_language`, by the CLI), else ``MAPGEN_LANG``, else
the system's language (``LC_ALL``, ``LC_MESSAGES``, ``LANG``; on Windows the user's display
language), Italian when it is Italian and English otherwise (:func:`choose_language`). A library
caller that never sets one reads English.

A message kept for later (a problem found in an input, rendered in the terminal in the person's
language and in the report always in Italian) is a :class:`Message` (:func:`_l`, :func:`_lp`):
``str(message)`` is the current language, ``message.render("it")`` the report's.

Run ``python scripts/messages.py`` after changing a message: it extracts the ids from the code
into the ``.po`` (keeping the translations) and compiles the ``.mo``.
"""

from __future__ import annotations

import gettext as _gettext
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Final

__all__ = [
    "LANGUAGES", "Message", "_", "_l", "_lc", "_lp", "choose_language", "get_language", "language",
    "ngettext", "pgettext", "render", "set_language", "translation",
]

#: The languages mapgen speaks; the first is the one of the message ids.
LANGUAGES: Final = ("en", "it")
DOMAIN: Final = "mapgen"
LOCALE_DIR: Final = Path(__file__).parent / "locale"

_current = "en"


@cache
def translation(lang: str) -> _gettext.NullTranslations:
    """The catalogue of ``lang`` (English: the ids themselves)."""
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


def set_language(lang: str) -> None:
    """Speak ``lang`` (``"it"`` or ``"en"``) from now on."""
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    _current = lang


def get_language() -> str:
    """The language messages are rendered in now."""
    return _current


@contextmanager
def language(lang: str) -> Iterator[None]:
    """Speak ``lang`` inside the ``with`` block (the report: always Italian)."""
    before = _current
    set_language(lang)
    try:
        yield
    finally:
        set_language(before)


def _fill(text: str, params: Mapping[str, Any], lang: str) -> str:
    if not params:
        return text
    return text.format(**{k: v.render(lang) if isinstance(v, Message) else v for k, v in params.items()})


def _(msgid: str, **params: Any) -> str:
    """``msgid`` in the current language, its ``{name}`` placeholders filled from ``params``."""
    return _fill(translation(_current).gettext(msgid), params, _current)


def pgettext(context: str, msgid: str, **params: Any) -> str:
    """:func:`_` for a word whose translation depends on where it is used (``context``)."""
    return _fill(translation(_current).pgettext(context, msgid), params, _current)


def ngettext(singular: str, plural: str, count: int, **params: Any) -> str:
    """The singular or plural form for ``count`` in the current language; ``{count}`` is filled too."""
    return _fill(translation(_current).ngettext(singular, plural, count), {"count": count, **params}, _current)


@dataclass(frozen=True, slots=True)
class Message:
    """A message kept to be rendered later, in whichever language reads it.

    ``str()`` renders it in the current language; :meth:`render` in a given one. Parameters
    that are messages themselves are rendered in the same language.
    """

    msgid: str
    plural: str = ""
    count: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    context: str = ""

    def render(self, lang: str) -> str:
        """The message in ``lang``."""
        catalogue = translation(lang)
        if self.context:
            return _fill(catalogue.pgettext(self.context, self.msgid), self.params, lang)
        if self.count is None:
            return _fill(catalogue.gettext(self.msgid), self.params, lang)
        text = catalogue.ngettext(self.msgid, self.plural, self.count)
        return _fill(text, {"count": self.count, **self.params}, lang)

    def __str__(self) -> str:
        return self.render(_current)

    def __bool__(self) -> bool:
        return bool(self.msgid)


def _l(msgid: str, **params: Any) -> Message:
    """:func:`_`, rendered when read (a problem kept for the terminal and the report)."""
    return Message(msgid, params=params)


def _lc(context: str, msgid: str, **params: Any) -> Message:
    """:func:`pgettext`, rendered when read."""
    return Message(msgid, params=params, context=context)


def _lp(singular: str, plural: str, count: int, **params: Any) -> Message:
    """:func:`ngettext`, rendered when read."""
    return Message(singular, plural, count, params)


def render(text: str | Message, lang: str) -> str:
    """``text`` in ``lang``: a :class:`Message` translated, a plain string as it is."""
    return text.render(lang) if isinstance(text, Message) else text


# --- which language -------------------------------------------------------------------------

def _language_of(tag: str) -> str | None:
    """``it`` for ``it_IT.UTF-8``, ``it``, ``Italian_Italy.1252``; ``en`` for any other set value."""
    tag = tag.strip().lower()
    if not tag:
        return None
    if tag.startswith(("it_", "it-", "it.", "italian")) or tag == "it":
        return "it"
    return "en"


def _windows_language() -> str:
    """The Windows user's display language as a locale name (``it_IT``), or ``""``."""
    try:
        import ctypes
        import locale

        lang_id = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
        return str(locale.windows_locale.get(lang_id, ""))
    except (AttributeError, OSError):  # not Windows, or no kernel32
        return ""


def choose_language(option: str | None = None, *, environ: Mapping[str, str] | None = None,
                    platform: str = sys.platform) -> str:
    """``it`` or ``en``: ``--lingua``, else ``MAPGEN_LANG``, else the system's language.

    POSIX: the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` (C and POSIX mean English).
    Windows: those variables when set (a Git Bash or MSYS terminal sets them), else the user's
    display language.
    """
    environ = os.environ if environ is None else environ
    for value in (option, environ.get("MAPGEN_LANG")):
        if value and (lang := _language_of(value)):
            return lang
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if lang := _language_of(environ.get(name, "")):
            return lang
    if platform == "win32":
        return _language_of(_windows_language()) or "en"
    return "en"
