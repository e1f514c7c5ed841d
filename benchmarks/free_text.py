"""Per-rule accuracy of the geocoder on real typed Comune names (not generated from the gazetteer).

``python -m benchmarks.free_text`` reads ``tests/data/geocoding/carburanti_2018.csv`` (origin and
licence in ``tests/data/geocoding/README.md``): the Comune and province that the managers of
Italy's fuel stations entered in the ministry's register, each with the Comune its stations'
coordinates fall in (the truth, independent of the names). For each rule of the geocoder it
counts the places it placed, right and wrong, and those it sent to a person (``to_check``,
``fuzzy``: placed for a person to confirm; ``ambiguous``, ``unresolved``: not placed).
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from mapgen.geocoders import Geocoder
from mapgen.model import Match, MatchStatus, Place

__all__ = ["ISSUE_CASES", "LABELLED", "SURE", "Tally", "make_labelled", "rule_of", "tally"]

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "geocoding" / "carburanti_2018.csv"
#: Real free-typed names reported in issue 25, with the Comune meant ("" for an Unione).
ISSUE_CASES = LABELLED.with_name("issue25_free_typed.csv")
#: Statuses published without a person's review: every rule that gives them must be right.
SURE = frozenset({MatchStatus.EXACT, MatchStatus.NORMALIZED, MatchStatus.ALIAS})


def rule_of(match: Match) -> str:
    """The rule that decided: the matcher and what it did (``name:alias``, ``locality:di_capoluogo``...)."""
    raw = match.raw or {}
    detail = raw.get("kind") or raw.get("rule") or ""
    if match.method == "name" and not detail:
        detail = "outside province" if "elsewhere" in raw else ""
    if match.method == "name" and match.status in SURE | {MatchStatus.TO_CHECK}:
        detail = f"{raw.get('kind', '')}/{raw.get('level', '')}"
    return f"{match.method or 'none'}:{detail}".rstrip(":")


class Tally:
    """Places seen, placed, right, wrong and sent to a person, for one rule."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.wrong_examples: list[str] = []

    def add(self, match: Match, truth: str, typed: str) -> None:
        self.counts["seen"] += 1
        if match.status.resolved:
            self.counts["placed"] += 1
            self.counts["right" if match.istat_code == truth else "wrong"] += 1
            if match.istat_code != truth and len(self.wrong_examples) < 5:
                self.wrong_examples.append(f"{typed} -> {match.name} ({match.sigla})")
        if match.status.for_a_person or not match.status.resolved:
            self.counts["to a person"] += 1


def make_labelled(register: Path, out: Path = LABELLED, *, keep: int = 3000, seed: int = 25) -> None:
    """Write the labelled set from the register's CSV (``anagrafica_impianti_attivi.csv``, ``;``).

    The truth of a typed (Comune, province) is the Comune holding most of its stations' points
    (shipped boundaries), when more than half of them agree. A place typed exactly as the name
    of a current Comune whose points lie in another is a coordinate error and left out. Every place
    whose text is not an official name of its province is kept, then plain ones up to ``keep``.
    """
    import pyogrio
    import shapely

    from mapgen.gazetteer import load_gazetteer
    from mapgen.text import fold

    gazetteer = load_gazetteer()
    frame = pyogrio.read_dataframe(str(gazetteer.path / "comuni.fgb"))
    tree, codes = shapely.STRtree(frame.geometry.values), list(frame["istat_code"])
    text = register.read_text(encoding="utf-8", errors="replace").split("\n", 1)[1]  # line 1: date
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        try:
            point = shapely.Point(float(row["Longitudine"]), float(row["Latitudine"]))
        except (TypeError, ValueError):
            continue
        hit = tree.query(point, predicate="intersects")
        if len(hit) == 1 and row["Comune"].strip():
            votes[(row["Comune"].strip(), (row["Provincia"] or "").strip())][codes[hit[0]]] += 1
    own = {(fold(c.name), c.sigla) for c in gazetteer.comuni.values() if c.active}
    names = {name for name, _sigla in own}
    plain, other = [], []
    for (typed, sigla), counter in votes.items():
        code, n = counter.most_common(1)[0]
        comune = gazetteer.comuni[code]
        exact = (fold(typed), sigla) in own
        if n * 2 <= sum(counter.values()) or (exact and comune.sigla != sigla):
            continue
        if fold(typed) in names and fold(typed) != fold(comune.name):
            continue  # the name of an existing Comune, typed exactly, with points elsewhere
        row = {"comune": typed, "provincia": sigla, "istat_code": code, "nome_istat": comune.name,
               "sigla_istat": comune.sigla, "stazioni": sum(counter.values()), "nel_poligono": n}
        (plain if exact else other).append(row)
    random.Random(seed).shuffle(plain)
    rows = sorted(other + plain[: max(0, keep - len(other))], key=lambda r: (r["provincia"], r["comune"]))
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def labelled(path: Path = LABELLED) -> list[tuple[Place, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(Place(r["comune"], r["provincia"]), r["istat_code"]) for r in csv.DictReader(handle)]


def tally(cases: Iterable[tuple[Place, str]], geocoder: Geocoder | None = None) -> Mapping[str, Tally]:
    """One :class:`Tally` per rule (and per status, for the sure ones) over ``cases``."""
    geocoder = geocoder or Geocoder()
    out: dict[str, Tally] = defaultdict(Tally)
    for place, truth in cases:
        match = geocoder.geocode(place)
        out[f"{rule_of(match)} [{match.status.value}]"].add(match, truth, f"{place.comune!r} {place.provincia}")
    return dict(sorted(out.items()))


def main() -> None:
    for path in (LABELLED, ISSUE_CASES):
        report(path)


def report(path: Path) -> None:
    """Print the per-rule table for one labelled file."""
    cases = labelled(path)
    print(f"{len(cases)} typed places ({path.name})")
    print(f"{'rule [status]':52} {'seen':>5} {'placed':>6} {'right':>5} {'wrong':>5} {'person':>6}")
    for rule, t in tally(cases).items():
        c = t.counts
        print(f"{rule:52} {c['seen']:5} {c['placed']:6} {c['right']:5} {c['wrong']:5} {c['to a person']:6}")
        for example in t.wrong_examples:
            print(f"    wrong: {example}")


if __name__ == "__main__":
    main()
