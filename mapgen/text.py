"""Text folding shared by every matcher: one definition of "the same text".

``fold`` is what compares names, headers and titles; ``slugify`` makes ids and
file names. Both are pure, idempotent and independent of locale.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "slugify", "strip_accents"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Letters that NFKD does not split into base + accent.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})


_HAS_SPECIAL = re.compile("[ßæœøłđı]")
# Fast paths, exact: U+0300-U+036F are combining marks (all but U+034F, the grapheme joiner).
_COMMON_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]+")
_RARE = re.compile("[^\x00-\x7f\u0300-\u034e\u0350-\u036f]")


def _special(text: str) -> str:
    return text.translate(_SPECIAL) if _HAS_SPECIAL.search(text) else text


def strip_accents(text: str) -> str:
    """Remove diacritics: ``"Forlì"`` -> ``"Forli"``, ``"Soči"`` -> ``"Soci"``."""
    if text.isascii():  # most names and titles; fold runs once per record or more
        return text
    decomposed = unicodedata.normalize("NFKD", _special(text))
    if not _RARE.search(decomposed):
        return _COMMON_MARKS.sub("", decomposed)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation as single spaces: ``"Cantu'"`` -> ``"cantu"``."""
    # Decompose before and after case folding: compatibility letters without a case
    # (mathematical "𝐁𝐨𝐧𝐮𝐬" of fancy-text generators) only become letters in NFKD.
    folded = strip_accents(strip_accents(text).casefold())
    return _NON_ALNUM.sub(" ", folded).strip()


def slugify(text: str, *, max_length: int = 60) -> str:
    """A file- and URL-safe id: ``"Centro per le famiglie!"`` -> ``"centro-per-le-famiglie"``."""
    slug = fold(text).replace(" ", "-")[:max_length].strip("-")
    return slug or "x"
