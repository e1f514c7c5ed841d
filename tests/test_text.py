"""mapgen.text: the fast paths give exactly what the plain definition gives, and fold's
properties hold for any Unicode text (hypothesis).

The name keys built on top of ``fold`` are tested in ``tests/geocoders/test_normalize.py``.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapgen.text import fold, slugify, strip_accents

_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})


def plain_strip_accents(text: str) -> str:
    """The definition: decompose, drop every combining mark."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def plain_fold(text: str) -> str:
    # Decompose before and after case folding (mathematical letters only become letters in NFKD).
    folded = plain_strip_accents(plain_strip_accents(text).casefold())
    return re.sub("[^0-9a-z]+", " ", folded).strip()


# Latin letters with accents, combining marks (U+034F, the grapheme joiner, is not one),
# the letters NFKD leaves alone, and anything else.
_TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x24F),
        st.characters(min_codepoint=0x300, max_codepoint=0x36F),
        st.sampled_from("ßæœøłđıÆŒØŁĐİẞ'’ -"),
        st.characters(),
    ),
    max_size=20,
)


@given(_TEXT)
def test_strip_accents_is_the_plain_definition(text: str) -> None:
    assert strip_accents(text) == plain_strip_accents(text)


@given(_TEXT)
def test_fold_is_the_plain_definition(text: str) -> None:
    assert fold(text) == plain_fold(text)


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Forlì", "forli"),
        ("Cantu'", "cantu"),
        ("  SANT'ANGELO  d'Alife ", "sant angelo d alife"),
        ("Soči", "soci"),
        ("Straße", "strasse"),
        ("e\u034f", "e"),  # the grapheme joiner is not a combining mark: dropped as punctuation
        ("Citta\u0300", "citta"),
    ],
)
def test_fold_examples(typed: str, folded: str) -> None:
    assert fold(typed) == folded


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        ("Forlì", "Forli"),
        ("Città di Castello", "Citta di Castello"),
        ("łódź", "lodz"),
        ("e\u034f", "e\u034f"),  # the grapheme joiner has combining class 0: kept
        ("Ελλάδα", "Ελλαδα"),  # not Latin: the plain path, accents still dropped
    ],
)
def test_strip_accents_examples(text: str, stripped: str) -> None:
    assert strip_accents(text) == stripped


def test_slugify_uses_fold() -> None:
    assert slugify("Centro per le famiglie! Città") == "centro-per-le-famiglie-citta"


any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)


@settings(max_examples=500)
@given(any_text)
def test_fold_is_idempotent_lowercase_ascii_words(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert re.fullmatch(r"([0-9a-z]+( [0-9a-z]+)*)?", folded)


@settings(max_examples=500)
@given(any_text)
def test_fold_ignores_case_accents_and_punctuation_around_words(text: str) -> None:
    assert fold(text.upper()) == fold(text.lower()) == fold(text)
    assert fold(strip_accents(text)) == fold(text)
    assert fold(f" ¿«{text}»!. ") == fold(text)


@settings(max_examples=500)
@given(any_text, st.integers(min_value=1, max_value=80))
def test_slugify_is_a_safe_file_name(text: str, length: int) -> None:
    slug = slugify(text, max_length=length)
    assert re.fullmatch(r"[0-9a-z]+(-[0-9a-z]+)*", slug)
    assert len(slug) <= max(length, 1)
    assert slugify(slug, max_length=length) == slug
