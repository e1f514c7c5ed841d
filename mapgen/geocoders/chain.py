"""The geocoder chain: :class:`Geocoder` asks the matchers of :data:`MATCHERS` in turn.

See :mod:`mapgen.geocoders` for the order and an example.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Final

from mapgen.errors import GeocoderError
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.geocoders import _screen
from mapgen.geocoders._index import index_for
from mapgen.geocoders.base import Matcher
from mapgen.geocoders.by_association import AssociationMatcher, LeadAssociation
from mapgen.geocoders.by_istat_code import IstatCodeMatcher
from mapgen.geocoders.by_name import NameMatcher
from mapgen.geocoders.by_spelling import SpellingMatcher
from mapgen.geocoders.fuzzy import FuzzyMatcher
from mapgen.geocoders.locality import LocalityMatcher
from mapgen.geocoders.nominatim import DEFAULT_DOMAIN, NominatimMatcher
from mapgen.i18n import _
from mapgen.model import Match, MatchStatus, Place

__all__ = ["DEFAULT_MATCHERS", "MATCHERS", "Geocoder", "get_matcher"]

log = logging.getLogger(__name__)

#: Every matcher by name, in the order a :class:`Geocoder` asks them.
MATCHERS: Final[Mapping[str, type[Matcher]]] = {
    "istat_code": IstatCodeMatcher,
    "name": NameMatcher,
    "association": AssociationMatcher,
    "spelling": SpellingMatcher,
    "fuzzy": FuzzyMatcher,
    "locality": LocalityMatcher,
    "nominatim": NominatimMatcher,
}
#: The offline chain a :class:`Geocoder` uses unless told otherwise.
DEFAULT_MATCHERS: Final = ("istat_code", "name", "association", "spelling", "fuzzy", "locality")
# Matchers asked before the not-a-Comune screen (they only accept sure answers). An
# association is asked after the Comuni's own names ("Garda" is a Comune) and before the
# screen and the looser matchers ("Reno Galliera" is an Unione, not Galliera).
_BEFORE_SCREEN: Final = frozenset({"istat_code", "name", "association"})

#: Called as ``progress(done, total)`` during the online pass.
Progress = Callable[[int, int], None]


def get_matcher(name: str) -> type[Matcher]:
    """Return the matcher class called ``name``.

    Raises
    ------
    GeocoderError
        For an unknown name; the message lists the valid ones.
    """
    try:
        return MATCHERS[name]
    except KeyError:
        valid = ", ".join(sorted(MATCHERS))
        raise GeocoderError(_("unknown geocoder {name}; valid names: {valid}.", name=repr(name), valid=valid)) from None


class Geocoder:
    """Resolve places to Comuni with a chain of matchers.

    Parameters
    ----------
    gazetteer
        The gazetteer (default: the one shipped with mapgen).
    matchers
        Offline matchers, by name or as instances (to pass options, e.g.
        ``FuzzyMatcher(gaz, margin=2)``); asked in :data:`MATCHERS` order.
    online
        Ask Nominatim for places still unresolved (needs ``user_agent``).
    user_agent, cache_dir, nominatim_domain, nominatim_scheme, min_delay_seconds
        Passed to :class:`~mapgen.geocoders.nominatim.NominatimMatcher`.
    """

    def __init__(
        self,
        gazetteer: Gazetteer | None = None,
        *,
        matchers: Sequence[str | Matcher] = DEFAULT_MATCHERS,
        online: bool = False,
        user_agent: str | None = None,
        cache_dir: Path | None = None,
        nominatim_domain: str = DEFAULT_DOMAIN,
        nominatim_scheme: str = "https",
        min_delay_seconds: float = 1.0,
    ) -> None:
        self.gazetteer = gazetteer if gazetteer is not None else load_gazetteer()
        self._index = index_for(self.gazetteer)
        # "nominatim" by name means the online fallback, built from the online options below.
        online = online or "nominatim" in matchers
        chain = [m if isinstance(m, Matcher) else get_matcher(m)(self.gazetteer) for m in matchers if m != "nominatim"]
        order = list(MATCHERS)
        chain.sort(key=lambda m: order.index(m.name) if m.name in order else len(order))
        self._before = [m for m in chain if m.name in _BEFORE_SCREEN]
        self._after = [m for m in chain if m.name not in _BEFORE_SCREEN and m.name != "nominatim"]
        self._online: Matcher | None = next((m for m in chain if m.name == "nominatim"), None)
        if online and self._online is None:
            self._online = NominatimMatcher(
                self.gazetteer,
                user_agent=user_agent or "",
                cache_dir=cache_dir,
                domain=nominatim_domain,
                scheme=nominatim_scheme,
                min_delay_seconds=min_delay_seconds,
            )
        self._names = next((m for m in self._before if isinstance(m, NameMatcher)), None)
        # Without the association matcher in the chain, no association is named by its lead either.
        self._leads = (LeadAssociation(self.gazetteer)
                       if any(isinstance(m, AssociationMatcher) for m in self._before) else None)
        self._known: dict[Place, Match] = {}  # offline answers: a place's answer never changes

    @property
    def online(self) -> bool:
        """True when unresolved places are looked up online."""
        return self._online is not None

    def geocode(self, place: Place | str, *, online: bool = True) -> Match:
        """Resolve one place (a :class:`~mapgen.model.Place` or just a Comune name).

        Parameters
        ----------
        place
            The place as typed.
        online
            Allow the online fallback (when the geocoder has one).
        """
        place = place if isinstance(place, Place) else Place(str(place))
        match = self._offline(place)
        if online and self._online is not None and match.status is MatchStatus.UNRESOLVED:
            match = self._ask_online(place, match)
        return match

    def geocode_many(self, places: Iterable[Place], *, progress: Progress | None = None) -> list[Match]:
        """Resolve many places, each distinct place once; ``progress`` follows the online pass."""
        places = list(places)
        unique = list(dict.fromkeys(places))
        found = {p: self._offline(p) for p in unique}
        if self._online is not None:
            pending = [p for p in unique if found[p].status is MatchStatus.UNRESOLVED]
            for done, place in enumerate(pending, start=1):
                found[place] = self._ask_online(place, found[place])
                if progress is not None:
                    progress(done, len(pending))
        return [found[p] for p in places]

    def answer_offline(self, places: Iterable[Place]) -> dict[Place, Match]:
        """The offline answers of ``places``, each distinct place once; kept, as every offline
        answer is, for :meth:`geocode` and :meth:`geocode_many`."""
        return {place: self._offline(place) for place in dict.fromkeys(places)}

    def learn(self, answers: Mapping[Place, Match]) -> None:
        """Keep offline answers that a copy of this geocoder gave (:meth:`answer_offline` in
        another process): a place's offline answer is the same in any copy."""
        self._known.update(answers)

    def associate(self, match: Match, ente: str) -> Match:
        """``match`` with the registered association ``ente`` names, when its Comune is a member.

        ``ente`` is what a lead Comune wrote as its association's name
        (``Unione dei Comuni della Bassa Romagna``); the practice stays at the Comune
        ``match`` placed and gets the association's members. A registered name that
        does not count that Comune among its members is said in the match's hint.
        """
        if not ente.strip() or self._leads is None or not match.status.resolved or match.association:
            return match
        lead = self.gazetteer.by_code(match.istat_code or "")
        if lead is not None and not lead.active:
            lead = self.gazetteer.successor_of(lead)
        if lead is None:
            return match
        association, why = self._leads.find(ente, lead)
        from dataclasses import replace

        if association is None:
            return replace(match, hint=" ".join(h for h in (match.hint, why) if h)) if why else match
        count = len(association.members)
        said = f"{lead.label}, capofila di {association.name} ({count} {'Comune' if count == 1 else 'Comuni'})."
        return replace(match, association=association.id, members=association.members,
                       hint=" ".join(h for h in (match.hint, said) if h))

    def count_online(self, places: Iterable[Place]) -> int:
        """How many distinct places :meth:`geocode_many` would look up online (0 when offline).

        The offline answers are kept, so calling this before :meth:`geocode_many`
        (to size a progress bar) costs no second pass.
        """
        if self._online is None:
            return 0
        unique = dict.fromkeys(places)
        return sum(self._offline(p).status is MatchStatus.UNRESOLVED for p in unique)

    # --- the chain ------------------------------------------------------------------------

    def _offline(self, place: Place) -> Match:
        known = self._known.get(place)
        if known is None:
            known = self._known[place] = self._chain(place)
        return known

    def _chain(self, place: Place) -> Match:
        fallback: Match | None = None
        for matcher in self._before:
            match = matcher.geocode(place)
            if match is not None and match.status is not MatchStatus.UNRESOLVED:
                return match
            fallback = _keep_first(fallback, match)
        # A name found only outside the typed province is a Comune, not a province name.
        screened = None if fallback is not None else _screen.screen(place, self._index, self._named)
        if screened is not None:
            return screened
        for matcher in self._after:
            match = matcher.geocode(place)
            if match is not None and match.status is not MatchStatus.UNRESOLVED:
                return match
            fallback = _keep_first(fallback, match)
        return fallback or _nothing(place)

    def _named(self, place: Place) -> Match | None:
        match = self._names.geocode(place) if self._names is not None else None
        return match if match is not None and match.status is not MatchStatus.UNRESOLVED else None

    def _ask_online(self, place: Place, offline: Match) -> Match:
        assert self._online is not None
        online = self._online.geocode(place)
        if online is not None and online.status.resolved:
            return online
        return _keep_first(offline, online) or offline


def _keep_first(first: Match | None, later: Match | None) -> Match | None:
    """The earlier unresolved answer, with the later one's candidates added after its own."""
    if first is None:
        return later
    if later is None:
        return first
    extra = [c for c in later.candidates if c.istat_code not in {x.istat_code for x in first.candidates}]
    if not extra or len(first.candidates) >= 3:
        return first
    from dataclasses import replace

    return replace(first, candidates=(*first.candidates, *extra)[:3])


def _nothing(place: Place) -> Match:
    return Match(
        status=MatchStatus.UNRESOLVED,
        method="",
        hint=f"Nessun Comune corrisponde a {place.comune.strip()!r}: verificare.",
    )
