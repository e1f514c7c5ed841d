"""Geocoding generated spelling variants of every official name (hypothesis).

``test_geocoder.py`` checks case, accents and where the province is given; these properties
combine the other ways people type a Comune: apostrophes, hyphens, spacing, "San"/"S.",
"Comune di …", a trailing "(SIGLA)".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from mapgen.gazetteer import load_gazetteer
from mapgen.geocoders import Geocoder
from mapgen.model import Comune, MatchStatus, Place

GAZETTEER = load_gazetteer()
ACTIVE = sorted(GAZETTEER.active(), key=lambda c: c.istat_code)
GEOCODER = Geocoder(GAZETTEER)  # module-level: hypothesis prints the arguments of a failing example

Variant = Callable[[str], str]
VARIANTS: dict[str, Variant] = {
    "typographic apostrophe": lambda s: s.replace("'", "’"),
    "apostrophe as space": lambda s: s.replace("'", " "),
    "accent as apostrophe": lambda s: re.sub(r"([aeiou])[\u0300\u0301]", r"\1'", unicodedata.normalize("NFD", s)),
    "hyphen as space": lambda s: s.replace("-", " "),
    "spaced hyphen": lambda s: s.replace("-", " - "),
    "double spaces": lambda s: s.replace(" ", "  "),
    "no-break spaces": lambda s: s.replace(" ", "\u00a0"),
    "San as S.": lambda s: re.sub(r"\bSan(?:t[oa])? ", "S. ", s),
    "Sant' as S.": lambda s: re.sub(r"\bSant'", "S. ", s),
    "upper case": str.upper,
    "Comune di": lambda s: f"Comune di {s}",
    "trailing dot": lambda s: f"{s}.",
}  # fmt: skip


def typed(comune: Comune, variants: list[str]) -> str:
    text = comune.name
    for name in variants:
        text = VARIANTS[name](text)
    return text


@settings(max_examples=400, deadline=None)
@given(
    comune=st.sampled_from(ACTIVE),
    variants=st.lists(st.sampled_from(sorted(VARIANTS)), min_size=1, max_size=3, unique=True),
    in_name=st.booleans(),
)
def test_variants_with_the_province_resolve_to_the_comune(comune: Comune, variants: list[str], in_name: bool) -> None:
    text = typed(comune, variants)
    place = Place(f"{text} ({comune.sigla})") if in_name else Place(text, comune.sigla)
    match = GEOCODER.geocode(place)
    assert match.istat_code == comune.istat_code, (place, match.status, match.name, match.hint)
    assert match.status.resolved


@settings(max_examples=400, deadline=None)
@given(
    comune=st.sampled_from(ACTIVE),
    variants=st.lists(st.sampled_from(sorted(VARIANTS)), min_size=1, max_size=3, unique=True),
)
def test_variants_without_a_province_find_the_comune_or_list_it(comune: Comune, variants: list[str]) -> None:
    """Without a province a homonym may make the match ambiguous, but the Comune is a candidate."""
    match = GEOCODER.geocode(Place(typed(comune, variants)))
    if match.status is MatchStatus.AMBIGUOUS:
        assert comune.istat_code in {c.istat_code for c in match.candidates}
    else:
        assert match.istat_code == comune.istat_code, (match.status, match.name, match.hint)
