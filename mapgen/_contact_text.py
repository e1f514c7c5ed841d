"""Text as the contact guard compares it: one canonical form, made at C speed (:mod:`mapgen.contacts`).

A contact is found whatever its case, its separators and the script of its digits, so both
sides (the contact read and the text written) are brought to one form before they are
compared, in two streams:

- **words**: letters and digits case-folded, every run of other characters one space,
  the whole between spaces (``Mario.Rossi@Comune.it`` -> `` mario rossi comune it ``);
- **digits**: digits kept, the characters that separate a telephone number's groups
  (space, ``.``, ``/``, ``(``, ``)``, ``-``) removed, any other character an ``x``
  (``+39 (0832) 12-34-56`` -> ``x390832123456``).

Characters that stand for an ASCII one are written as it first: digits of any script
(``٠``, ``０``), dashes (``–``, ``−``), spaces (no-break, thin, ideographic), full-width
letters; other non-ASCII punctuation and symbols (``«``, ``’``, ``€``) separate words.

Both streams are made from UTF-8 bytes with ``bytes.translate`` and ``bytes.replace`` (the
per-character Python work is confined to the rare characters above) and returned as
``latin-1`` strings, one character per byte, which is what the Aho-Corasick automaton
searches. :func:`canonical_with_positions` makes the same streams character by character,
with the position in the original text of each character, for the rare texts that hold a
contact: the spans to remove.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import Final

__all__ = ["DIGIT_JOINERS", "MARK", "canonical", "canonical_pieces", "canonical_with_positions", "plain_piece"]

#: Dashes (Unicode category Pd) and the minus sign: "0832 – 123456" is "0832-123456".
DASHES: Final = frozenset(
    "\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d"
    "\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead\u2212"
)
#: What separates the groups of a telephone number: removed from the digit stream.
DIGIT_JOINERS: Final = b" ./()-"
#: A byte that UTF-8 never holds: joins texts checked in one pass without letting a contact
#: run from one text into the next (it is a word of its own, and not a digit).
MARK: Final = b"\xff"

#: UTF-8 characters that need a look: everything non-ASCII but the Latin-1 lowercase letters
#: (à...ÿ, not ÷), so that Italian text has few: ’ « » – € and capitals with accents.
_ODD_BYTES = re.compile(
    rb"\xc2[\x80-\xbf]|\xc3[\x80-\x9f\xb7]|[\xc4-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)

_ASCII: Final = bytes(range(128))
_ASCII_ALNUM: Final = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: Word stream: ASCII letters lower case, other ASCII characters a space, other bytes kept.
_WORD_TABLE: Final = bytes(
    (b + 32 if 65 <= b <= 90 else b) if b in _ASCII_ALNUM or b >= 128 else 32 for b in range(256)
)
#: Digit stream: digits and the mark kept, everything else ``x`` (translate deletes the joiners).
_DIGIT_TABLE: Final = bytes(b if 48 <= b <= 57 or b == MARK[0] else ord("x") for b in range(256))


#: Below this size a regular expression or ``bytes.replace`` is faster than numpy (~20 µs a call).
_SMALL: Final = 4096


@cache
def plain_piece(char: str) -> str:
    """What one non-ASCII character counts as: an ASCII digit, ``-``, a space, a folded letter.

    Examples
    --------
    >>> [plain_piece(c) for c in "\u0663\uff13\u2013\u00a0\uff2d\u00c8\u00ab\u00df"]
    ['3', '3', '-', ' ', 'M', 'è', ' ', 'ss']
    """
    if char.isdecimal():  # any script's digits: "٠٨٣٢", "０８３２"
        return str(unicodedata.decimal(char))
    if char in DASHES:
        return "-"
    if char.isspace():  # no-break, thin, ideographic spaces
        return " "
    compatible = unicodedata.normalize("NFKC", char)  # full-width letters and signs: "Ｍ", "＠"
    if len(compatible) == 1 and compatible.isascii():
        return compatible
    if char.isalpha():
        return char.casefold()
    return " "  # punctuation, symbols, combining marks: word separators


@cache
def _odd_piece(data: bytes) -> bytes:
    return plain_piece(data.decode("utf-8", errors="replace")).encode("utf-8")


def _plain_bytes(data: bytes) -> bytes:
    """``data`` with every character that :func:`plain_piece` changes replaced.

    A regular expression scans at 30 MB/s: it only serves small texts. In a file, numpy finds
    the first byte of every odd character (a lead byte, but not that of à...ÿ), and only those
    few characters are looked at in Python.
    """
    if data.isascii():
        return data
    if len(data) < _SMALL:
        return _ODD_BYTES.sub(lambda match: _odd_piece(match.group()), data)
    import numpy as np

    array = np.frombuffer(data, dtype=np.uint8)
    odd = (array >= 0xC2) & (array <= 0xF4)  # lead bytes; never the MARK
    second = array[1:]
    odd[:-1] &= ~((array[:-1] == 0xC3) & (second >= 0xA0) & (second != 0xB7))  # à...ÿ but ÷: letters
    pieces: list[bytes] = []
    done = 0
    for start in np.flatnonzero(odd).tolist():
        if start < done:
            continue
        lead = data[start]
        end = start + (2 if lead < 0xE0 else 3 if lead < 0xF0 else 4)
        char = data[start:end]
        piece = _odd_piece(char)
        if piece != char:
            pieces += [data[done:start], piece]
            done = end
    return b"".join([*pieces, data[done:]]) if pieces else data


def _squeeze(data: bytes) -> bytes:
    """Every run of spaces one space (numpy for a file: a mask over the bytes, 200 MB/s)."""
    if len(data) < _SMALL:
        while b"  " in data:
            data = data.replace(b"  ", b" ")
        return data
    import numpy as np

    array = np.frombuffer(data, dtype=np.uint8)
    space = array == 32
    keep = np.ones(len(array), dtype=bool)
    keep[1:] = ~(space[1:] & space[:-1])
    return bytes(array[keep].tobytes())


def canonical(data: bytes) -> tuple[str, str]:
    """The word and digit streams of UTF-8 ``data`` (see the module's docstring).

    Examples
    --------
    >>> canonical("Tel. +39 (0832) 12–34–56, Mario.ROSSI@comune.it".encode())
    (' tel 39 0832 12 34 56 mario rossi comune it ', 'xxxx390832123456xxxxxxxxxxxxxxxxxxxx')
    """
    data = _plain_bytes(data)
    digits = data.translate(_DIGIT_TABLE, DIGIT_JOINERS)
    words = _squeeze(b" " + data.translate(_WORD_TABLE) + b" ")
    return words.decode("latin-1"), digits.decode("latin-1")


_ASCII_BYTE: Final = re.compile(rb"[\x00-\x7f]")


def canonical_pieces(data: bytes, size: int) -> Iterator[tuple[str, str]]:
    """:func:`canonical` of ``data`` in pieces, each made from about ``size`` bytes of it.

    Joined, the pieces are the two streams of :func:`canonical`: a piece ends before an ASCII
    byte (never inside a character), and a run of spaces across two pieces is still one space.
    (In bytes that are not UTF-8, a lead byte just before a cut stands for itself alone, where
    :func:`canonical` would read the next bytes as its character: the pieces hold more letters.)
    A file is scanned in pieces so that its canonical forms never hold several copies of it.
    """
    yield " ", ""  # the stream's opening space
    space_before = True
    start = 0
    while start < len(data):
        found = _ASCII_BYTE.search(data, start + size) if start + size < len(data) else None
        end = found.start() if found else len(data)
        plain = _plain_bytes(data[start:end])
        words = _squeeze(plain.translate(_WORD_TABLE))
        if space_before and words[:1] == b" ":
            words = words[1:]
        if words:
            space_before = words[-1:] == b" "
        yield words.decode("latin-1"), plain.translate(_DIGIT_TABLE, DIGIT_JOINERS).decode("latin-1")
        start = end
    yield ("" if space_before else " "), ""  # the closing space


def _is_odd(char: str) -> bool:
    """True for the characters that :data:`_ODD_BYTES` matches."""
    return not char.isascii() and not ("\u00e0" <= char <= "\u00ff" and char != "\u00f7")


def canonical_with_positions(text: str) -> tuple[str, list[int], str, list[int]]:
    """:func:`canonical` of ``text``, with the index in ``text`` of each character of each stream.

    Slow (Python, per character): only for texts the fast pass found a contact in.
    """
    words: list[str] = [" "]
    word_at: list[int] = [0]
    digits: list[str] = []
    digit_at: list[int] = []
    for index, char in enumerate(text):
        piece = plain_piece(char) if _is_odd(char) else char
        for byte in piece.encode("utf-8", errors="replace"):
            if byte not in DIGIT_JOINERS:
                digits.append(chr(_DIGIT_TABLE[byte]))
                digit_at.append(index)
            mapped = _WORD_TABLE[byte]
            if mapped != 32 or words[-1] != " ":
                words.append(chr(mapped))
                word_at.append(index)
    if words[-1] != " ":
        words.append(" ")
        word_at.append(len(text))
    return "".join(words), word_at, "".join(digits), digit_at
