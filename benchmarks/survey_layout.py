"""Column layout cost as practice groups grow (issue 20: 4,000 groups took 15 s, 50,000 over 5 min).

Run ``python -m benchmarks.survey_layout`` (``--groups 4000 50000``, ``--runs``). For each number
of practice groups *g*, a LimeSurvey-like header row of ``9 g + 8`` code headings and a mapping of
*g* ``[[survey.practices]]`` are generated; the figures are

- layout: ``layout_from_mapping`` (every mapped name looked up, sub-columns grouped);
- read: ``read_survey`` of a 3-response CSV with that header (each response fills 2 groups);
- baselines, timed in the same run: a ``dict`` from header to index plus ``fold`` of every
  header (the least any lookup by name must do), and ``csv.reader`` over the same file.

The ratios must stay flat as *g* grows (linear cost); a quadratic layout shows as a ratio that
grows with *g*. Prints Markdown.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from mapgen.config import Config, SurveyConfig
from mapgen.readers._columns import layout_from_mapping
from mapgen.readers.survey import read_survey
from mapgen.text import fold

GROUPS = (4_000, 50_000)
_FIELDS = ("titolo", "descrizione", "destinatari", "importo", "sito_web")


def columns_and_survey(groups: int) -> tuple[list[str], SurveyConfig]:
    """The header row and the mapping of ``groups`` practice groups (LimeSurvey codes)."""
    columns = ["id", "submitdate", "lastpage", "startlanguage", "G1Q1", "G1Q2", "G1Q3", "G1Q4"]
    practices = []
    for n in range(groups):
        codes = [f"P{n}Q{k}" for k in range(len(_FIELDS))]
        columns += [*codes, f"A{n}[SQ001]", f"A{n}[SQ002]", f"A{n}[SQ003]", f"A{n}[other]"]
        practices.append({**dict(zip(_FIELDS, codes, strict=True)), "aree": f"A{n}"})
    survey = SurveyConfig(columns={"regione": "G1Q1", "comune": "G1Q3"}, practices=tuple(practices))
    return columns, survey


def _write_csv(path: Path, columns: Sequence[str]) -> None:
    rows = []
    for response in range(3):
        row = [str(response + 1), "2020-09-20 10:30:00", "4", "it", "Puglia", "LE", "Castro", "A1"]
        row += [""] * (len(columns) - len(row))
        for group in (response, response + 7):
            start = 8 + group * 9
            row[start : start + 6] = [f"Pratica {group}", "Descrizione", "Genitori", "1000", "", "Y"]
        rows.append(row)
    with path.open("w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows([list(columns), *rows])


def _median(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(groups: int, runs: int) -> dict[str, float]:
    """Seconds for the layout, the read and their baselines at ``groups`` practice groups."""
    columns, survey = columns_and_survey(groups)
    config = Config(survey=survey)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        _write_csv(path, columns)

        def floor() -> object:
            return {fold(c): i for i, c in enumerate(columns)}

        def parse() -> object:
            with path.open(newline="", encoding="utf-8") as stream:
                return list(csv.reader(stream))

        return {
            "layout": _median(lambda: layout_from_mapping(columns, survey, file="x", config_file="m"), runs),
            "floor": _median(floor, runs),
            "read": _median(lambda: read_survey(path, config=config), runs),
            "parse": _median(parse, runs),
        }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--groups", type=int, nargs="+", default=list(GROUPS))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print("## Survey column layout vs practice groups\n")
    print("| groups | columns | layout s | layout / floor | read s | read / csv parse |")
    print("|---:|---:|---:|---:|---:|---:|")
    for groups in args.groups:
        figures = measure(groups, args.runs)
        print(f"| {groups:,} | {9 * groups + 8:,} | {figures['layout']:.3f} | "
              f"{figures['layout'] / figures['floor']:.1f} | {figures['read']:.3f} | "
              f"{figures['read'] / figures['parse']:.1f} |", flush=True)  # fmt: skip
    print("\nFlat ratios = linear cost (issue 20: the layout of 4,000 groups took 15 s before).")


if __name__ == "__main__":
    main()
