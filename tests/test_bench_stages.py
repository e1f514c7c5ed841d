"""benchmarks.pipeline: the step table reads the last RESULTS.md (either layout) and names regressions."""

from __future__ import annotations

from pathlib import Path

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
