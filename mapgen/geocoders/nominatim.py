"""Opt-in online fallback: OpenStreetMap Nominatim through geopy, snapped to a Comune polygon.

Only for places the offline matchers could not resolve, and only when the user
asks (``mapgen geocode --online --user-agent ...``). Each lookup is a structured
query (``city`` = the typed Comune, ``state`` = the typed region, Italy only),
throttled by geopy's ``RateLimiter`` to one request per second as the
Nominatim usage policy demands, and cached on disk so that a rerun asks nothing
twice. Every settlement returned is snapped to the Comune polygon that contains
it (``Gazetteer.boundaries()``); the answer is accepted only when all of them
fall in one Comune inside the typed province/region (status ``online``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final

from mapgen.errors import GeocoderError
from mapgen.gazetteer import Gazetteer
from mapgen.geocoders import _results
from mapgen.geocoders._index import Query
from mapgen.geocoders.base import Matcher
from mapgen.i18n import _
from mapgen.model import Comune, Match, MatchStatus, Place

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DEFAULT_DOMAIN", "NominatimMatcher", "default_cache_dir"]

log = logging.getLogger(__name__)

#: The public Nominatim server (its usage policy: at most 1 request/s, an identifying user agent).
DEFAULT_DOMAIN: Final = "nominatim.openstreetmap.org"
#: Score of an online match: below every offline status but fuzzy's worst.
ONLINE_SCORE: Final = 70.0
_RESULTS: Final = 5
_CACHE_FILE: Final = "nominatim.json"


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/mapgen`` (``~/.cache/mapgen`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mapgen"


class NominatimMatcher(Matcher):
    """Look a place up on Nominatim and snap the answer to the Comune that contains it.

    Parameters
    ----------
    gazetteer
        The gazetteer whose Comune polygons the answers are snapped to.
    user_agent
        Identifies your application to the server (required by its usage policy),
        e.g. ``"mapgen-famiglie (ufficio@example.org)"``.
    domain, scheme
        The Nominatim server (a local one in tests, or a self-hosted one).
    cache_dir
        Folder of the on-disk answer cache (default :func:`default_cache_dir`).
    min_delay_seconds
        Minimum time between two requests (the public server allows one per second).
    timeout
        Seconds to wait for one answer.
    """

    name: ClassVar[str] = "nominatim"

    def __init__(
        self,
        gazetteer: Gazetteer,
        *,
        user_agent: str,
        domain: str = DEFAULT_DOMAIN,
        scheme: str = "https",
        cache_dir: Path | None = None,
        min_delay_seconds: float = 1.0,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(gazetteer)
        if not user_agent or not user_agent.strip():
            raise GeocoderError(
                _("online geocoding needs a user agent that identifies you to Nominatim, e.g. "
                  "--user-agent 'mapgen-famiglie (ufficio@example.org)'.")
            )
        self._user_agent = user_agent.strip()
        self._domain, self._scheme, self._timeout = domain, scheme, timeout
        self._min_delay = min_delay_seconds
        self._cache_path = (cache_dir or default_cache_dir()) / _CACHE_FILE
        self._cache: dict[str, list[dict[str, Any]]] | None = None
        self._search: Callable[..., Any] | None = None
        self._tree: Any = None

    def geocode(self, place: Place) -> Match | None:
        """Return the Comune Nominatim places ``place`` in, or ``None`` without a usable answer."""
        query = self._index.query(place)
        params = self._params(query)
        if not params["city"]:
            return None
        try:
            answers = self._answers(params)
        except GeocoderError as exc:
            return _results.unresolved(
                MatchStatus.UNRESOLVED, method=self.name, hint=f"Ricerca online non riuscita: {exc}"
            )
        return self._decide(answers, query)

    # --- query and cache ----------------------------------------------------------------

    def _params(self, query: Query) -> dict[str, str]:
        params = {"city": query.best.raw.strip(), "country": "Italia"}
        regions = sorted(self._index.regions_of(query.best.scope))
        if len(regions) == 1:
            params["state"] = _region_name(self._gazetteer, regions[0])
        return params

    def _answers(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        key = json.dumps(params, sort_keys=True, ensure_ascii=False)
        cache = self._load_cache()
        if key not in cache:
            cache[key] = self._fetch(params)
            self._save_cache()
        return cache[key]

    def _load_cache(self) -> dict[str, list[dict[str, Any]]]:
        if self._cache is None:
            try:
                self._cache = json.loads(self._cache_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._cache = {}
        return self._cache

    def _save_cache(self) -> None:
        # Write a sibling file and rename it, so an interrupted run never leaves half a cache.
        self._cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._cache_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._cache, sort_keys=True, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self._cache_path)

    def _fetch(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        from geopy.exc import GeopyError

        search = self._searcher()
        try:
            locations = search(
                dict(params),
                exactly_one=False,
                limit=_RESULTS,
                country_codes="it",
                featuretype="settlement",
                addressdetails=False,
            )
        except GeopyError as exc:
            raise GeocoderError(f"{type(exc).__name__}: {exc}") from exc
        return [_keep(loc.raw) for loc in locations or []]

    def _searcher(self) -> Callable[..., Any]:
        """geopy's Nominatim behind a RateLimiter, built on first use."""
        if self._search is None:
            from geopy.extra.rate_limiter import RateLimiter
            from geopy.geocoders import Nominatim

            client = Nominatim(
                user_agent=self._user_agent,
                domain=self._domain,
                scheme=self._scheme,
                timeout=self._timeout,
            )
            self._search = RateLimiter(
                client.geocode,
                min_delay_seconds=self._min_delay,
                max_retries=1,
                error_wait_seconds=2 * self._min_delay,
                swallow_exceptions=False,
            )
        return self._search

    # --- snapping -----------------------------------------------------------------------

    def _decide(self, answers: list[dict[str, Any]], query: Query) -> Match | None:
        found = [c for c in (self._snap(float(a["lat"]), float(a["lon"])) for a in answers) if c]
        scope = query.best.scope
        inside = {c.istat_code: c for c in found if self._index.in_scope(c.istat_code, scope)}
        if len(inside) == 1:
            comune = next(iter(inside.values()))
            return _results.resolved(
                comune,
                MatchStatus.ONLINE,
                score=ONLINE_SCORE,
                method=self.name,
                hint="Trovato online (OpenStreetMap Nominatim) come "
                f"{answers[0].get('display_name', '')!r}: verificare.",
                raw={"answers": answers},
            )
        if len(inside) > 1:
            return _results.unresolved(
                MatchStatus.UNRESOLVED,
                method=self.name,
                scored=[(c, ONLINE_SCORE) for c in inside.values()],
                hint="La ricerca online indica più Comuni: verificare.",
                raw={"answers": answers},
            )
        return None

    def _snap(self, lat: float, lon: float) -> Comune | None:
        """The Comune whose polygon contains the point."""
        from shapely import Point

        if self._tree is None:
            boundaries = self._gazetteer.boundaries()
            self._tree = (boundaries, boundaries.sindex)
        boundaries, sindex = self._tree
        hits = sindex.query(Point(lon, lat), predicate="intersects")
        codes = sorted(str(boundaries.iloc[i]["istat_code"]) for i in hits)
        return self._index.comuni.get(codes[0]) if codes else None


def _keep(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a Nominatim answer worth caching and reporting."""
    keys = ("lat", "lon", "display_name", "osm_type", "osm_id", "class", "type", "addresstype")
    return {k: raw[k] for k in keys if k in raw}


def _region_name(gazetteer: Gazetteer, code: str) -> str:
    """The region's name as OpenStreetMap writes it (the Italian half of bilingual names)."""
    for region in gazetteer.regions:
        if region.code == code:
            return region.name.split("/")[0]
    return ""
