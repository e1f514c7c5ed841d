"""Every matcher has the same public interface (after geopy's ``test_no_extra_public_methods``)."""

from __future__ import annotations

import inspect

import pytest

from mapgen.errors import GeocoderError
from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import MATCHERS, Matcher, get_matcher
from mapgen.model import Match, Place

ALLOWED_PUBLIC = {"geocode", "name"}
# The online matcher is exercised against a local server in test_nominatim.py.
OFFLINE = sorted(set(MATCHERS) - {"nominatim"})


@pytest.mark.parametrize("name", sorted(MATCHERS))
def test_no_extra_public_methods(name: str) -> None:
    cls = MATCHERS[name]
    public = {attr for attr in dir(cls) if not attr.startswith("_")}
    assert public == ALLOWED_PUBLIC, f"{cls.__name__} exposes {sorted(public - ALLOWED_PUBLIC)}"


@pytest.mark.parametrize("name", sorted(MATCHERS))
def test_registered_under_its_own_name(name: str) -> None:
    assert MATCHERS[name].name == name
    assert issubclass(MATCHERS[name], Matcher)


@pytest.mark.parametrize("name", sorted(MATCHERS))
def test_options_are_keyword_only(name: str) -> None:
    params = list(inspect.signature(MATCHERS[name].__init__).parameters.values())
    assert [p.name for p in params[:2]] == ["self", "gazetteer"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[2:])
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


@pytest.mark.parametrize("name", sorted(MATCHERS))
def test_geocode_signature(name: str) -> None:
    signature = inspect.signature(MATCHERS[name].geocode)
    assert list(signature.parameters) == ["self", "place"]
    assert signature.return_annotation == "Match | None"


@pytest.mark.parametrize("name", OFFLINE)
def test_never_turns_an_association_into_a_comune(name: str, gazetteer: Gazetteer) -> None:
    matcher = MATCHERS[name](gazetteer)
    match = matcher.geocode(Place("Unione dei Comuni della Grecia Salentina"))
    assert match is None or not match.status.resolved
    assert match is None or isinstance(match, Match)


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(
        GeocoderError,
        match=r"unknown geocoder 'google'; valid names: "
        r"association, fuzzy, istat_code, locality, name, nominatim, spelling\.",
    ):
        get_matcher("google")
