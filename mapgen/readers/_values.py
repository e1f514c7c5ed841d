"""Cell values as people type them: amounts, dates, ticks, lists and vocabulary labels.

Every parser takes the text of one cell and returns the value or raises
``ValueError`` with a short English reason; :mod:`mapgen.readers.survey` turns the
reason into a problem report that names the file, row and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Final

from mapgen.model import AREAS, ENTITY_TYPES, FUNDING_SOURCES
from mapgen.text import fold

__all__ = [
    "is_no",
    "is_yes",
    "match_vocabulary",
    "other_text",
    "parse_amount",
    "parse_date",
    "parse_datetime",
    "split_list",
]

# Cells repeat ("Y", "", "Sì", option labels): fold each distinct text once.
_fold = lru_cache(maxsize=65536)(fold)

_YES: Final = frozenset(
    # LimeSurvey's full answers: Sì, Yes, Ja, Oui, Sí (any case); R exports and floats: 1, 1.0
    {"y", "yes", "si", "s", "x", "1", "1 0", "true", "vero", "selezionato", "checked", "on",
     "ja", "oui"}
)
_NO: Final = frozenset(
    # N/A: LimeSurvey's full answer for a question not shown
    {"", "n", "no", "0", "0 0", "false", "falso", "non selezionato", "not selected", "off",
     "nein", "non", "n a"}
)

_CURRENCY = re.compile(r"€|\beur(?:o|os|\.)?\b|\beuri\b", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_IT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_EN_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3}){2,}")

_MONTHS: Final = {
    name: n
    for n, names in enumerate(
        (
            ("gennaio", "gen"),
            ("febbraio", "feb"),
            ("marzo", "mar"),
            ("aprile", "apr"),
            ("maggio", "mag"),
            ("giugno", "giu"),
            ("luglio", "lug"),
            ("agosto", "ago"),
            ("settembre", "set", "sett"),
            ("ottobre", "ott"),
            ("novembre", "nov"),
            ("dicembre", "dic"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_DMY = re.compile(
    r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:,?\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
)
_WORDS = re.compile(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})")
#: Day 0 of Excel's serial dates (after its 1900 leap-year bug).
_EXCEL_EPOCH = date(1899, 12, 30)

# Keywords (start of a folded word) that place a typed label in a vocabulary, checked in order.
_KEYWORDS: Final[Mapping[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "aree": (
        ("centri per le famiglie", ("centr",)),
        ("responsabilità genitoriali", ("genitor", "responsabil")),
        ("natalità", ("natalit", "nascit", "maternit")),
        ("infanzia", ("infanzia", "nido", "nidi", "bambin")),
        ("sostegno alle famiglie", ("sostegn", "famigl")),
        ("altro", ("altro", "altra", "altri", "other")),
    ),
    "fonti": (
        ("comunitaria", ("comunitari", "europe", "ue", "fse", "fesr", "pon", "por")),
        ("nazionale", ("nazional", "statal", "stato", "minister", "governo")),
        ("regionale", ("regional", "regione")),
        ("comunale", ("comunal", "comune", "bilancio")),
        ("altro", ("altro", "altra", "altri", "other")),
    ),
    "tipo_ente": (
        ("Unione di Comuni", ("unione",)),
        ("capofila di Ambito", ("ambito", "capofila", "distretto", "zona")),
        ("altra forma associata", ("associat", "consorzi", "convenzion", "altra", "altro")),
        ("Comune singolo", ("singol", "comune")),
    ),
}
_VOCABULARIES: Final = {"aree": AREAS, "fonti": FUNDING_SOURCES, "tipo_ente": ENTITY_TYPES}


def is_yes(text: str) -> bool:
    """A ticked multiple-choice cell: ``Y`` (LimeSurvey), ``Sì``, ``X``, ``1``…"""
    return _fold(text) in _YES


def is_no(text: str) -> bool:
    """An unticked cell: blank, ``N``, ``No``, ``0``, ``Non selezionato``…"""
    return _fold(text) in _NO


def parse_amount(text: str, *, plain_first: bool = False) -> float:
    """An amount in euro as typed: ``1.234,50``, ``€ 1.234``, ``12500.0000000000``, ``1234 euro``.

    A lone ``.`` followed by groups of three digits is the Italian thousands
    separator (``12.500`` is 12500); a lone ``,`` is the decimal comma. With
    ``plain_first`` (cells of an XLSX, where numbers are stored as numbers) a
    bare ``1.234`` is the number 1.234, not 1234.
    """
    if plain_first and _PLAIN_NUMBER.fullmatch(text.strip()):
        return _to_float(text.strip())
    cleaned = _CURRENCY.sub("", text)
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", cleaned).strip(".,;:-=") if cleaned.strip() else ""
    cleaned = cleaned.lstrip("+")
    if not cleaned:
        raise ValueError("is not an amount in euro")
    return _to_float(_normalise_separators(cleaned))


def _normalise_separators(text: str) -> str:
    """Turn Italian and English grouping into a plain ``1234.5``."""
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if decimal == "," else ","
        return text.replace(grouping, "").replace(decimal, ".")
    if "," in text:
        return text.replace(",", "") if _EN_THOUSANDS.fullmatch(text) else text.replace(",", ".")
    if _IT_THOUSANDS.fullmatch(text):
        return text.replace(".", "")
    return text


def _to_float(text: str) -> float:
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError("is not an amount in euro")
    value = float(text)
    if value < 0:
        raise ValueError("is a negative amount")
    if not math.isfinite(value):  # hundreds of digits overflow to infinity
        raise ValueError("is not an amount in euro")
    return value


def parse_date(text: str, *, excel_serial: bool = False) -> date:
    """A date as typed or exported: ISO, ``15/01/2020``, ``15-1-20``, ``15 gennaio 2020``.

    Day first, as in Italy. With ``excel_serial`` a bare number such as ``43845``
    is an Excel serial date (what XLSX stores when the cell is not formatted).
    """
    return parse_datetime(text, excel_serial=excel_serial).date()


def parse_datetime(text: str, *, excel_serial: bool = False) -> datetime:
    """A date and optional time; see :func:`parse_date`."""
    raw = text.strip()
    if excel_serial and re.fullmatch(r"\d{5}(?:\.\d+)?", raw) and 20000 <= float(raw) <= 80000:
        return datetime.combine(_EXCEL_EPOCH, datetime.min.time()) + timedelta(days=float(raw))
    for pattern, order in ((_ISO, "ymd"), (_DMY, "dmy")):
        match = pattern.fullmatch(raw)
        if match:
            return _assemble(match.groups(), order)
    match = _WORDS.fullmatch(fold(raw))
    if match and match.group(2) in _MONTHS:
        return _checked(int(match.group(3)), _MONTHS[match.group(2)], int(match.group(1)))
    raise ValueError("is not a date")


def _assemble(groups: tuple[str | None, ...], order: str) -> datetime:
    first, second, third, hour, minute, second_of_minute = groups
    if order == "ymd":
        year, month, day = int(first or 0), int(second or 0), int(third or 0)
    else:
        day, month, year = int(first or 0), int(second or 0), int(third or 0)
        if third is not None and len(third) == 2:
            year += 2000 if year < 70 else 1900
    return _checked(year, month, day, int(hour or 0), int(minute or 0), int(second_of_minute or 0))


def _checked(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise ValueError("is not a real date (no such day)") from None


def split_list(text: str) -> list[str]:
    """Items of a list typed in one cell: ``Lecce; Surbo``, one per line, or ``A, B e C``."""
    parts = re.split(r"[;\n|]+", text)
    items: list[str] = []
    for part in parts:
        pieces = part.split(",")
        if len(pieces) > 1:  # "A, B e C": the last " e " joins the last two items
            last_two = re.split(r"\s+e\s+(?=\S+\s*$)", pieces[-1].strip())
            pieces = pieces[:-1] + last_two
        items.extend(p.strip(" \t-•*·") for p in pieces)
    return [item for item in items if item]


_OTHER_WITH_TEXT = re.compile(r"^(?:altr[oaie]|other)\s*[:(\-–]\s*(?P<text>.+?)\)?$", re.IGNORECASE)


def other_text(label: str) -> str | None:
    """The text of ``altro: tempo libero`` / ``Altro (sport)``; None for any other label."""
    match = _OTHER_WITH_TEXT.match(label.strip())
    return match.group("text").strip() if match else None


def match_vocabulary(field: str, label: str) -> str | None:
    """The vocabulary value a typed label means (``Nidi d'infanzia`` -> ``infanzia``), or None."""
    vocabulary = _VOCABULARIES[field]
    folded = _fold(label)
    for value in vocabulary:
        if _fold(value) == folded:
            return value
    words = folded.split()
    for value, keywords in _KEYWORDS[field]:
        if any(word.startswith(keyword) for word in words for keyword in keywords):
            return value
    return None
