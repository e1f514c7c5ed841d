"""Realistic build inputs at any scale: a LimeSurvey export, its mapping and a previous uMap map.

``make_inputs(n, folder)`` writes, for ``n`` initiative records (fixed seed):

- ``survey.csv``: the 2020 LimeSurvey export shaped like ``examples/survey_2020.csv``, written
  with ``examples/make_examples.py`` (its responses, practices, associations, contacts, amounts,
  incomplete responses and resubmissions); about 60% of the records, one to three per response;
- ``previous.umap``: a 2019 uMap backup shaped like ``examples/previous_2019.umap``, written with
  ``examples/make_previous.py`` (its feature properties, ids, layer options, JSON layout and the
  "Progetti regionali" layer); about 40% of the records, a third of them practices that the 2020
  survey sends again (same Comune and title: the merge joins them);
- ``mapping.toml``: ``examples/mapping.toml`` unchanged.

The Comune each response names is typed the way the geocoder benchmark types it: a place drawn
from ``benchmarks.geocoding.CaseBuilder``'s labelled set (every category in its proportions,
ambiguous homonyms and non-Comuni included), half of them respelled as in its speed test.
Titles carry a number so that two practices of one Comune stay two practices at any scale
(the examples' 25 themes would otherwise make most of 100,000 records duplicates).
Files are regenerated only when missing (the folder name holds the size, seed and version).
"""

from __future__ import annotations

import importlib.util
import random
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.geocoding import Case, CaseBuilder
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.model import Place

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEED = 9
VERSION = 2  # bump when the generated files change shape (2: lead Comuni of registered Unioni, issue 26)
SURVEY_SHARE = 0.6
CONTINUED_SHARE = 1 / 3  # previous features the 2020 survey sends again
INCOMPLETE_SHARE = 0.05  # make_examples: 18 of 320 responses
RESUBMITTED_SHARE = 0.03  # make_examples: 10 of 320


@dataclass(frozen=True)
class Inputs:
    """The generated files of one size."""

    n: int
    survey: Path
    previous: Path
    config: Path

    @property
    def files(self) -> tuple[Path, Path, Path]:
        return (self.survey, self.previous, self.config)


def _example_module(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` (the folder is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# --- typed places, as the geocoder benchmark types them -----------------------------------------


def messy_places(gazetteer: Gazetteer, count: int, seed: int = SEED) -> list[Case]:
    """``count`` labelled places drawn like ``benchmarks.geocoding.speed``'s rows."""
    rng = random.Random(seed)
    pool = [c for c in CaseBuilder(gazetteer, seed=seed).build(150) if c.place.comune]
    builder = CaseBuilder(gazetteer, seed=seed + 1)
    cases = []
    for _ in range(count):
        case = rng.choice(pool)
        # As in the speed test: half the rows are fresh spellings of a labelled place.
        if rng.random() < 0.5 and len(case.place.comune) > 4:
            typed = (
                builder.typo(case.place.comune, 1)
                if rng.random() < 0.2
                else rng.choice((str.upper, str.lower, str.title))(case.place.comune)
            )
            case = Case(case.category, Place(typed, case.place.provincia, case.place.regione),
                        case.expected, case.homonyms)
        cases.append(case)
    return cases


# --- the survey -----------------------------------------------------------------------------


class _Survey:
    """Responses from ``examples/make_examples.py``, each naming a messy place."""

    def __init__(self, gazetteer: Gazetteer, rng: random.Random) -> None:
        self.ex = _example_module("make_examples")
        self.rng = rng
        self.comuni = {(c.name, c.sigla): c for c in self.ex.load_comuni()}
        self.by_sigla: dict[str, list[Any]] = {}
        for c in self.comuni.values():
            self.by_sigla.setdefault(c.sigla, []).append(c)
        self.gazetteer = gazetteer
        self.practices: list[tuple[str, str]] = []  # (ISTAT code, title) of placed practices

    def _comune(self, case: Case) -> Any:
        """The examples' Comune behind a case (a random one when the case names none)."""
        found = self.gazetteer.by_code(case.expected)
        if found is not None and (found.name, found.sigla) in self.comuni:
            return self.comuni[(found.name, found.sigla)]
        return self.rng.choice(list(self.comuni.values()))

    def response(self, case: Case, number: int) -> Any:
        c = self._comune(case)
        # association() picks neighbours in the province: hand it only those (fast at 100k).
        r = self.ex.response(0, c, self.by_sigla[c.sigla], self.rng)
        r.values["G01Q03"] = case.place.comune
        r.values["G01Q02"] = case.place.provincia
        r.values["G01Q01"] = case.place.regione or r.values["G01Q01"]
        for p in range(1, self.ex.PRACTICE_GROUPS + 1):
            key = self.ex.practice_codes(p)["titolo"]
            if r.values.get(key):
                r.values[key] = f"{r.values[key]} {number}-{p}"
                if self.gazetteer.by_code(case.expected) is not None:
                    self.practices.append((case.expected, r.values[key]))
        return r


def _practice_count(response: Any, ex: ModuleType) -> int:
    return sum(
        1 for p in range(1, ex.PRACTICE_GROUPS + 1) if response.values.get(ex.practice_codes(p)["titolo"])
    )


def write_survey(path: Path, n: int, gazetteer: Gazetteer, rng: random.Random) -> list[tuple[str, str]]:
    """Write about ``n`` practices; return (ISTAT code, title) of those in a known Comune."""
    survey = _Survey(gazetteer, rng)
    ex = survey.ex
    responses: list[Any] = []
    practices = 0
    cases = iter(messy_places(gazetteer, n, seed=rng.randrange(10**6)))
    while practices < n:
        r = survey.response(next(cases), len(responses) + 1)
        practices += _practice_count(r, ex)
        responses.append(r)
    for r in rng.sample(responses, round(INCOMPLETE_SHARE * len(responses))):
        ex.make_incomplete(r, rng)
    complete = [r for r in responses if r.submitted]
    responses += [ex.resubmission(r, 0, rng) for r in rng.sample(complete, round(RESUBMITTED_SHARE * len(complete)))]
    responses.sort(key=lambda r: r.started or datetime.min)
    for rid, r in enumerate(responses, start=3):
        r.id = rid
    columns = ex.header()
    ex.write_limesurvey_csv(path, columns, [ex.as_row(r, columns, rng) for r in responses])
    return survey.practices


# --- the previous edition -------------------------------------------------------------------------


def _previous_feature(
    prev: ModuleType, rng: random.Random, comune: Any, title: str, taken: set[str]
) -> dict[str, Any]:
    practice = rng.choice(prev.PRACTICES)
    props = prev._properties(rng, comune, (title, *practice[1:]))
    return {
        "type": "Feature",
        "id": prev._feature_id(rng, taken),
        "geometry": prev._point([comune.lon, comune.lat]),  # the gazetteer point, as 1 in 6 there
        "properties": props,
    }


def write_previous(
    path: Path, n: int, gazetteer: Gazetteer, rng: random.Random, continued: list[tuple[str, str]]
) -> None:
    """Write a .umap with ``n`` initiative features, some of them ``continued`` 2020 practices."""
    prev = _example_module("make_previous")
    active = gazetteer.active()
    taken: set[str] = set()
    features = []
    again = rng.sample(continued, min(len(continued), round(CONTINUED_SHARE * n)))
    for code, title in again:
        comune = gazetteer.by_code(code)
        assert comune is not None
        features.append(_previous_feature(prev, rng, comune, title, taken))
    for k in range(n - len(features)):
        title = f"{rng.choice(prev.PRACTICES)[0]} {k + 1}"
        features.append(_previous_feature(prev, rng, rng.choice(active), title, taken))
    features.sort(key=lambda f: (f["properties"]["comune"], f["id"]))
    backup = _backup_shell(prev)
    backup["layers"][0]["features"] = features
    path.write_text(prev.dump(backup), encoding="utf-8")


def _backup_shell(prev: ModuleType) -> dict[str, Any]:
    """make_previous's whole backup (map and layer options, regional layer); features replaced."""
    return dict(prev.build())


# --- entry point ----------------------------------------------------------------------------------


def make_inputs(n: int, work: Path, *, seed: int = SEED) -> Inputs:
    """The inputs for ``n`` initiative records under ``work`` (made once, then reused)."""
    folder = work / f"inputs-{n}-s{seed}-v{VERSION}"
    inputs = Inputs(n, folder / "survey.csv", folder / "previous.umap", folder / "mapping.toml")
    if all(p.exists() for p in inputs.files):
        return inputs
    folder.mkdir(parents=True, exist_ok=True)
    gazetteer = load_gazetteer()
    rng = random.Random(seed * 1_000_003 + n)
    survey_n = round(SURVEY_SHARE * n)
    continued = write_survey(inputs.survey, survey_n, gazetteer, rng)
    write_previous(inputs.previous, n - survey_n, gazetteer, rng, continued)
    inputs.config.write_text((EXAMPLES / "mapping.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return inputs


if __name__ == "__main__":
    for size in map(int, sys.argv[1:] or ["1000"]):
        made = make_inputs(size, ROOT / "benchmarks" / "_work")
        print(made.survey.parent, *(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in made.files))
