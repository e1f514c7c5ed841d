"""benchmarks.pipeline: the step table reads the last RESULTS.md (either layout) and names regressions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.pipeline import previous_stages, regressions, stage_table

OLDER = """### Details

Where a build's time goes (in one process, imports warm):

| initiatives | read, geocode, merge | write uMap | write preview | write GIS | write report |
|---|---|---|---|---|---|
| 1,000 | 0.76 | 0.21 | 0.38 | 0.20 | 0.17 |
| 10,000 | 2.17 | 1.56 | 0.50 | 1.51 | 0.93 |

| initiatives | rows (distinct) |
"""


def test_reads_the_older_layout(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text(OLDER, encoding="utf-8")
    assert previous_stages(path)[10_000] == {"read, geocode, merge": 2.17, "write uMap": 1.56, "write preview": 0.5,
                                             "write GIS": 1.51, "write report": 0.93}


def test_a_step_over_20_percent_slower_is_a_regression(tmp_path: Path) -> None:
    before = {10_000: {"write uMap": 1.00, "write GIS": 1.00, "write report": 0.10}}
    now = {10_000: {"write uMap": 1.19, "write GIS": 1.25, "write report": 0.14}}  # +19 %, +25 %, +0.04 s
    assert regressions(now, before) == ["write GIS at 10,000: 1.25 s against 1.00 s (+25%)"]
    table = stage_table(now, before)
    assert "| write GIS | 1.25 (1.00, +25%) **regressed** |" in table
    assert "| write uMap | 1.19 (1.00, +19%) |" in table
    path = tmp_path / "RESULTS.md"
    path.write_text(f"## benchmarks.pipeline\n\n{table}\n\nafter\n", encoding="utf-8")
    assert previous_stages(path) == {10_000: {**now[10_000], "whole build (the steps above)": 2.58}}


def test_a_step_that_took_no_time_before_has_no_ratio() -> None:
    """Found at the end of a 25-minute run: 'apply corrections' was 0.00 s in RESULTS.md (division by zero)."""
    before = {10_000: {"apply corrections": 0.00}}
    now = {10_000: {"apply corrections": 0.27}}
    assert regressions(now, before) == ["apply corrections at 10,000: 0.27 s against 0.00 s (was 0.00 s)"]
    assert "| apply corrections | 0.27 (0.00, –) **regressed** |" in stage_table(now, before)


def test_a_saved_run_prints_its_report_again() -> None:
    from benchmarks.pipeline import (
        BuildFigures,
        GeocodingFigures,
        PreviewFigures,
        Results,
        StartupFigures,
        Timed,
        _json,
        results_from_json,
    )

    build = BuildFigures(n=1_000, build=Timed([2.0], [2.1], [300.0]), floor=Timed([0.1], [0.1], [20.0]),
                         outputs={"map.umap": 1_000_000}, imports=Timed([1.0], [1.0], [180.0]), published=8,
                         records=10)
    results = Results(builds=[build], umap={1_000: {"map_umap_kb": 1.0}}, stages={1_000: {"write uMap": 0.2}},
                      previous_stages={1_000: {"write uMap": 0.1}},
                      geocoding=[GeocodingFigures(1_000, 500, 400, [300.0], [350.0], [50.0])],
                      previews=[PreviewFigures(1_000, 0.9, 0.6, {"painted": 900.0}, {"painted": 600.0})],
                      startup=StartupFigures({"python -c pass": Timed([0.02], [0.02], [9.0])}, []))
    # as main() saves it (int keys become strings) and reads it back for the report
    assert results_from_json(json.loads(json.dumps(_json(results)))) == results


DETAILS = """| initiatives | build wall s (runs) | build CPU s | start-up floor s: wall, CPU | build MB |
|---|---|---|---|---|
| 1,000 | 3.20 / 3.51 | 4.27 | 1.61, 1.69 | 259 |
| 10,000 | 7.28 / 7.45 | 11.57 | 0.97, 1.07 | 380 |

| initiatives | rows (distinct) |
| 10,000 | 4,069 (2,000) |
"""


def test_the_last_runs_start_up_floor_is_read_from_its_detail_table(tmp_path: Path) -> None:
    from benchmarks.pipeline import previous_startup

    path = tmp_path / "RESULTS.md"
    path.write_text(DETAILS, encoding="utf-8")
    assert previous_startup(path) == {1_000: 1.69, 10_000: 1.07}
    assert previous_startup(tmp_path / "none.md") == {}


def test_a_slower_machine_is_not_a_regression_but_a_slower_step_still_is() -> None:
    """Found on 7 December 2026: the machine at half speed marked every step regressed, untouched ones too.
    The start-up floor (the same interpreter and imports) says how much slower the machine runs."""
    before = {10_000: {"read survey": 0.78, "write uMap": 1.00}}
    now = {10_000: {"read survey": 1.31, "write uMap": 2.60}}  # machine ×1.8: +68 % is -7 %; +160 % is +44 %
    regressed = [line.split(":")[0] for line in regressions(now, before)]
    assert regressed == ["read survey at 10,000", "write uMap at 10,000"]
    assert regressions(now, before, {10_000: 1.8}) == [
        "write uMap at 10,000: 2.60 s against 1.00 s (+160%, +44% at equal speed)",
    ]
    table = stage_table(now, before, {10_000: 1.8})
    assert "| read survey | 1.31 (0.78, +68%, -7% at equal speed) |" in table
    assert "(×1.80)" in table


def test_the_machine_speed_compares_the_start_up_floors_of_all_sizes() -> None:
    """The floor is one command at every size: one size's odd figure (1,000: 1.69 s) must not set its scale."""
    from benchmarks.pipeline import BuildFigures, Results, Timed, machine_speed

    def figures(n: int, startup_cpu: float) -> BuildFigures:
        return BuildFigures(n=n, build=Timed([1.0], [1.0], [1.0]), floor=Timed([0.1], [0.1], [1.0]), outputs={},
                            imports=Timed([startup_cpu], [startup_cpu], [1.0]))

    results = Results(builds=[figures(1_000, 2.03), figures(10_000, 2.10), figures(100_000, 2.00)],
                      previous_startup={1_000: 1.69, 10_000: 1.07, 100_000: 1.09})
    assert machine_speed(results) == {n: pytest.approx(2.03 / 1.09) for n in (1_000, 10_000, 100_000)}
    assert machine_speed(Results(builds=results.builds)) == {}  # no figure of then: nothing scaled


def test_the_speed_probe_beside_the_steps_sets_each_sizes_scale(tmp_path: Path) -> None:
    """Found on 7 December 2026: the machine slowed during the 100,000 builds (69, 81, 85 s), after
    the start-up floor that set the scale had been taken; five untouched steps were marked regressed
    at 100,000 only. The probe timed beside each size's steps follows the machine there."""
    from benchmarks.pipeline import PROBE_ROW, BuildFigures, Results, Timed, machine_speed, previous_probes

    before = {1_000: {"write GIS": 0.40}, 100_000: {"write GIS": 20.0}}
    now = {1_000: {"write GIS": 0.40}, 100_000: {"write GIS": 26.0}}  # +30 %, on a machine 1.3 times slower there
    table = stage_table(before, {}, probes={1_000: 0.190, 100_000: 0.200})
    assert f"| {PROBE_ROW} | 0.190 | 0.200 |" in table
    path = tmp_path / "RESULTS.md"
    path.write_text(f"## benchmarks.pipeline\n\n{table}\n\nafter\n", encoding="utf-8")
    assert previous_probes(path) == {1_000: 0.19, 100_000: 0.2}
    assert PROBE_ROW not in str(previous_stages(path))  # not a step

    def figures(n: int, startup_cpu: float) -> BuildFigures:
        return BuildFigures(n=n, build=Timed([1.0], [1.0], [1.0]), floor=Timed([0.1], [0.1], [1.0]), outputs={},
                            imports=Timed([startup_cpu], [startup_cpu], [1.0]))

    results = Results(builds=[figures(1_000, 1.0), figures(100_000, 1.0)], stages=now,
                      previous_stages=previous_stages(path), previous_startup={1_000: 1.0, 100_000: 1.0},
                      probes={1_000: 0.190, 100_000: 0.260}, previous_probes=previous_probes(path))
    speed = machine_speed(results)
    assert speed == {1_000: pytest.approx(1.0), 100_000: pytest.approx(1.3)}
    assert regressions(now, results.previous_stages, speed) == []
    assert regressions(now, results.previous_stages, {1_000: 1.0, 100_000: 1.0}) != []  # the floor's scale
    caption = stage_table(now, results.previous_stages, speed, results.probes, results.previous_probes)
    assert "the speed probe timed beside the steps (last row)" in caption and "100,000: ×1.30" in caption

    # A size the last run did not probe (or a RESULTS.md from before the probe): the start-up floor's scale.
    older = Results(builds=results.builds, previous_startup={1_000: 0.5, 100_000: 0.5}, probes=results.probes)
    assert machine_speed(older) == {1_000: pytest.approx(2.0), 100_000: pytest.approx(2.0)}


def test_the_speed_probe_is_long_enough_to_time() -> None:
    """Tens of milliseconds or more: the process clock times it well (its resolution is a microsecond)."""
    from benchmarks.pipeline import speed_probe

    assert 0.02 < speed_probe(repeats=1) < 5.0
