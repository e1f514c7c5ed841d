"""Resolve typed places to Comuni, offline first, never confidently wrong.

One matcher per module, all behind :class:`~mapgen.geocoders.base.Matcher`
(``geocode(place) -> Match | None``), listed by name in :data:`MATCHERS`:

``istat_code``  (:mod:`.by_istat_code`) ISTAT or cadastral code typed as the Comune;
``name``        (:mod:`.by_name`) official, other-language, old and merged names;
``association`` (:mod:`.by_association`) an Unione di Comuni, alone or with its lead Comune;
``spelling``    (:mod:`.by_spelling`) mojibake, lost letters, registry forms, short forms;
``fuzzy``       (:mod:`.fuzzy`) typos, by edit distance inside the typed province;
``locality``    (:mod:`.locality`) a Comune typed with a frazione or locality;
``nominatim``   (:mod:`.nominatim`) opt-in online fallback through OpenStreetMap.

:class:`Geocoder` chains them: codes, names, associations, then the not-a-Comune screen, then
spellings, fuzzy, localities, then then (when asked) Nominatim for what is still unresolved. Example::

    from mapgen.geocoders import Geocoder
    from mapgen.model import Place

    geocoder = Geocoder()
    geocoder.geocode(Place("Castro", provincia="LE")).istat_code   # '075096'
    geocoder.geocode(Place("Castro")).status                        # ambiguous
"""

from __future__ import annotations

from mapgen.geocoders._table import RESULT_COLUMNS, GeocodedTable, geocode_file, geocode_table
from mapgen.geocoders.base import Matcher
from mapgen.geocoders.by_association import AssociationMatcher
from mapgen.geocoders.by_istat_code import IstatCodeMatcher
from mapgen.geocoders.by_name import NameMatcher
from mapgen.geocoders.by_spelling import SpellingMatcher
from mapgen.geocoders.chain import DEFAULT_MATCHERS, MATCHERS, Geocoder, get_matcher
from mapgen.geocoders.fuzzy import FuzzyMatcher
from mapgen.geocoders.locality import LocalityMatcher
from mapgen.geocoders.nominatim import DEFAULT_DOMAIN, NominatimMatcher

__all__ = [
    "DEFAULT_DOMAIN",
    "DEFAULT_MATCHERS",
    "MATCHERS",
    "RESULT_COLUMNS",
    "AssociationMatcher",
    "FuzzyMatcher",
    "GeocodedTable",
    "Geocoder",
    "IstatCodeMatcher",
    "LocalityMatcher",
    "Matcher",
    "NameMatcher",
    "NominatimMatcher",
    "SpellingMatcher",
    "geocode_file",
    "geocode_table",
    "get_matcher",
]
