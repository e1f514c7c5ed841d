"""mapgen.text: fold and slugify on any Unicode text (hypothesis).

The name keys built on top of ``fold`` are tested in ``tests/geocoders/test_normalize.py``
(idempotence on typed Comune names); these properties hold for every text.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mapgen.text import fold, slugify, strip_accents

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
