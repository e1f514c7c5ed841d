"""The name keys: generic Italian spelling patterns, and idempotent normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapgen.geocoders import _normalize as norm
from mapgen.text import fold

# Text made of what people type in a Comune field.
typed_text = st.text(alphabet=st.sampled_from(list("abcdeiosu AEIOS'’-/.,()àèéìòùÀÈäöüßjJ0123")), max_size=40)


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("S. Giovanni", "s giovanni"),
        ("San Giovanni", "s giovanni"),
        ("S.ta Maria", "s maria"),
        ("Sta Maria", "s maria"),
        ("Sant'Angelo", "s angelo"),
        ("SS. Cosma e Damiano", "s cosma e damiano"),
        ("Santi Cosma e Damiano", "s cosma e damiano"),
        ("St. Ulrich", "s ulrich"),
        ("Saint-Vincent", "s vincent"),
        ("Montebello Jonico", "montebello ionico"),
    ],
)
def test_canonical(typed: str, canonical: str) -> None:
    assert norm.canonical(fold(typed)) == canonical


@pytest.mark.parametrize(
    ("long", "short"),
    [
        ("Reggio nell'Emilia", "Reggio Emilia"),
        ("Reggio di Calabria", "Reggio Calabria"),
        ("Castelnovo ne' Monti", "Castelnovo Monti"),
        ("Appiano sulla strada del vino", "Appiano strada vino"),
    ],
)
def test_long_and_short_forms_share_a_skeleton(long: str, short: str) -> None:
    assert norm.skeleton(norm.canonical(fold(long))) == norm.skeleton(norm.canonical(fold(short)))


@pytest.mark.parametrize(
    ("typed", "splits"),
    [
        ("Castro (LE)", [("Castro", "LE", True)]),
        ("Castro [Lecce]", [("Castro", "Lecce", True)]),
        ("Castro, LE", [("Castro", "LE", True)]),
        ("Castro - Lecce", [("Castro", "Lecce", True)]),
    ],
)
def test_trailing_province_marked_by_punctuation(typed: str, splits: list[tuple[str, str, bool]]) -> None:
    assert norm.trailing_area(typed)[: len(splits)] == splits


def test_bare_trailing_words_are_weaker_evidence() -> None:
    assert norm.trailing_area("Samone TN") == [("samone", "tn", True)]
    assert norm.trailing_area("Castro Lecce") == [("castro", "lecce", False)]


@pytest.mark.parametrize(
    ("typed", "stripped"),
    [
        ("Comune di Castro", "castro"),
        ("COMUNE DI CASTRO", "castro"),
        ("Città di Bari", "bari"),
        ("Comune", "comune"),
        ("Castro", "castro"),
    ],
)
def test_prefixes(typed: str, stripped: str) -> None:
    assert norm.strip_prefixes(fold(typed)) == stripped


def test_raw_prefix_keeps_the_name_as_typed() -> None:
    assert norm.strip_raw_prefix("Comune di Sant'Agata") == "Sant'Agata"
    assert norm.strip_raw_prefix("Città di Castello") == "Castello"
    assert norm.strip_raw_prefix("Comune") == "Comune"


@settings(max_examples=300, deadline=None)
@given(typed_text)
def test_every_level_is_idempotent(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    canon = norm.canonical(folded)
    assert norm.canonical(canon) == canon
    skel = norm.skeleton(canon)
    assert norm.skeleton(skel) == skel
    assert norm.compact(norm.compact(skel)) == norm.compact(skel)


@settings(max_examples=300, deadline=None)
@given(typed_text)
def test_keys_of_a_key_are_the_same_keys(text: str) -> None:
    # Normalising a normalised name changes nothing: the typed text and its canonical key
    # reach the same canonical, skeleton and compact keys.
    keys = list(norm.level_keys(fold(text)))
    canon = norm.canonical(fold(text))
    again = list(norm.level_keys(canon))
    assert [k for lv, k in keys if lv != "fold"][:2] == [k for lv, k in again if lv != "fold"][:2] or not canon
    assert all(k and k == k.strip() for _, k in keys)
