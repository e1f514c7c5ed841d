"""The interface every matcher implements (modelled on ``geopy.geocoders.base.Geocoder``).

A matcher is built from the gazetteer with keyword-only options and answers one
question: which Comune does this typed place mean? ::

    matcher = NameMatcher(load_gazetteer())
    match = matcher.geocode(Place("Castro", provincia="LE"))

``geocode`` returns a :class:`~mapgen.model.Match` when the matcher has an
answer, including a negative one it is sure of (``ambiguous`` with the
candidates; ``unresolved`` with candidates for staff), and ``None`` when it has
nothing to say, so that the :class:`~mapgen.geocoders.Geocoder` asks the next
matcher. A matcher never guesses between homonyms.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from mapgen.gazetteer import Gazetteer
from mapgen.geocoders._index import GazetteerIndex, index_for
from mapgen.model import Match, Place

__all__ = ["Matcher"]


class Matcher(ABC):
    """Base class of the matchers in :data:`mapgen.geocoders.MATCHERS`.

    Parameters
    ----------
    gazetteer
        The gazetteer to match against; its lookup index is built once and shared
        by every matcher made from the same gazetteer.
    """

    #: The name under which :data:`mapgen.geocoders.MATCHERS` lists the matcher.
    name: ClassVar[str]

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer
        self._index: GazetteerIndex = index_for(gazetteer)

    @abstractmethod
    def geocode(self, place: Place) -> Match | None:
        """Return the Comune ``place`` means, a sure negative answer, or ``None``.

        Parameters
        ----------
        place
            The place as typed (Comune, and optionally province and region).

        Returns
        -------
        Match or None
            ``None`` when this matcher has nothing to say about ``place``.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
