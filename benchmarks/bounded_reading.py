"""Bounded cost of reading hostile tables: time and peak memory vs a normal file of the same size.

Run ``python -m benchmarks.bounded_reading`` (``--quick``: one run, smaller cases). The files of
issue 20's "bounded cost" list are written by ``fixtures/hostile_tables.py`` into
``benchmarks/_work/bounded/`` (made once and reused): a small XLSX whose data reaches row
1,048,576 at column 1,000, one whose shared string unpacks to 1 GiB, one with a 600 MB cell
comment, Excel's 16,000 trailing empty columns (XLSX and CSV), a million blank lines under a
1,001-column header (inside the table, and trailing).

Each case and its baseline (a normal file of the same format and about the same size on disk, at most 10 MB
for XLSX: three-column responses) is read by :func:`mapgen.readers.table.read_table` in a fresh Python;
the read time and CPU time are taken around the call, the peak memory is the process's
high-water mark (``VmHWM``, which includes the interpreter: ~30 MB). Cases and baselines
alternate; figures are medians. Target (issue 20): every input under 10 MB read within 1 GB
and 60 s, or refused with the limit that stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fixtures import hostile_tables as hostile

REPO = Path(__file__).resolve().parent.parent

_CHILD = """
import json, resource, sys, time
from mapgen.readers.table import read_table
start, cpu = time.perf_counter(), time.process_time()
try:
    table = read_table(sys.argv[1])
    outcome = f"read: {len(table.rows):,} rows x {len(table.columns):,} columns"
except Exception as exc:
    outcome = f"{type(exc).__name__}: " + str(exc).split(": ", 2)[-1].split(" (it keeps")[0]
wall, cpu = time.perf_counter() - start, time.process_time() - cpu
status = open("/proc/self/status").read()
peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps({"outcome": outcome, "wall": wall, "cpu": cpu, "peak": peak}))
"""


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], Path]
    baseline: str  # "csv" or "xlsx"


def cases(quick: bool) -> list[Case]:
    """The hostile files; ``quick`` shrinks the two that take longest to write."""
    trailing_rows = 300 if quick else 1_000
    csv_rows = 1_000 if quick else 10_000
    comment = 100_000_000 if quick else 600_000_000
    shared = 256 * 2**20 if quick else 2**30
    return [
        Case("XLSX: a cell at row 1,048,576, column 1,000", hostile.xlsx_huge_dimension, "xlsx"),
        Case("XLSX: a styled empty cell at row 1,048,576", hostile.xlsx_huge_dimension_empty, "xlsx"),
        Case(f"XLSX: a shared string of {shared // 2**20:,} MB unpacked",
             lambda f: hostile.xlsx_huge_shared_string(f, size=shared), "xlsx"),
        Case(f"XLSX: a cell comment of {comment // 10**6:,} MB unpacked",
             lambda f: hostile.xlsx_huge_comment(f, size=comment), "xlsx"),
        Case(f"XLSX: {trailing_rows:,} rows x 16,000 empty styled cells",
             lambda f: hostile.xlsx_trailing_columns(f, rows=trailing_rows), "xlsx"),
        Case("CSV: 1,000,000 blank lines inside a 1,001-column table", hostile.csv_blank_lines, "csv"),
        Case("CSV: 1,000,000 trailing blank lines, 1,001 columns",
             lambda f: hostile.csv_blank_lines(f, trailing=True), "csv"),
        Case(f"CSV: {csv_rows:,} rows x 16,000 trailing separators",
             lambda f: hostile.csv_trailing_separators(f, rows=csv_rows), "csv"),
    ]  # fmt: skip


def once(folder: Path, make: Callable[[Path], Path]) -> Path:
    """The file ``make`` writes, made once into ``folder`` (complete: written aside, then renamed)."""
    if folder.is_dir():
        return next(folder.iterdir())
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    name = make(partial).name
    partial.rename(folder)
    return folder / name


def made(case: Case, work: Path) -> Path:
    """The case's file, in its own folder of ``work``."""
    return once(work / "".join(ch if ch.isalnum() else "_" for ch in case.name)[:60], case.make)


def baseline(kind: str, size: int, work: Path) -> Path:
    """A normal file of three-column responses, about ``size`` bytes on disk."""
    if kind == "csv":
        return once(work / f"baseline_csv_{size}", lambda folder: hostile.csv_normal(folder, size))
    # ~14 bytes a row once deflated; at most 10 MB (a larger XLSX is no input of the target)
    rows = max(10, min(size, 10 * 2**20) // 14)
    return once(work / f"baseline_xlsx_{rows}", lambda folder: hostile.xlsx_normal(folder, rows))


def read_once(path: Path) -> dict[str, object]:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True,
                          env=environment, timeout=900, check=False)  # fmt: skip
    if done.returncode:
        return {"outcome": f"crashed: {done.stderr.strip().splitlines()[-1:]}", "wall": 0.0, "cpu": 0.0, "peak": 0.0}
    result: dict[str, object] = json.loads(done.stdout)
    return result


def measure(case: Case, work: Path, runs: int) -> dict[str, object]:
    path = made(case, work)
    base = baseline(case.baseline, path.stat().st_size, work)
    mine, theirs = [], []
    for _ in range(runs):  # alternate, so that a busy spell of the machine hits both
        mine.append(read_once(path))
        theirs.append(read_once(base))
    figures: dict[str, object] = {"case": case.name, "size": path.stat().st_size, "base_size": base.stat().st_size}
    for key in ("wall", "cpu", "peak"):
        figures[key] = statistics.median(float(str(r[key])) for r in mine)
        figures[f"base_{key}"] = statistics.median(float(str(r[key])) for r in theirs)
    figures["outcome"] = mine[-1]["outcome"]
    if not str(theirs[-1]["outcome"]).startswith("read"):  # a baseline that failed is no baseline
        figures["outcome"] = f"{figures['outcome']} (normal file: {theirs[-1]['outcome']})"
    return figures


def _size(size: object) -> str:
    value = float(str(size))
    return f"{value / 2**20:.1f} MB" if value >= 2**20 else f"{value / 1024:.0f} KB"


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| file | size on disk | outcome | read s (× normal file) | CPU s | peak MB (× normal file) |",
        "|---|---|---|---|---|---|",
    ]
    met = True
    for r in rows:
        wall, peak = float(str(r["wall"])), float(str(r["peak"]))
        met = met and wall < 60 and peak < 1024 and not str(r["outcome"]).startswith("crashed")
        lines.append(
            f"| {r['case']} | {_size(r['size'])} (normal: {_size(r['base_size'])}) | {r['outcome']} "
            f"| {wall:.2f} ({wall / max(float(str(r['base_wall'])), 1e-3):.2f}×) | {float(str(r['cpu'])):.2f} "
            f"| {peak:.0f} ({peak / max(float(str(r['base_peak'])), 1.0):.2f}×) |"
        )
    verdict = "**met**" if met else "**missed**"
    lines += ["", f"Target: every case read or refused within 1 GB and 60 s: {verdict}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smaller cases, one run")
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / "_work" / "bounded")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    work = args.work / ("quick" if args.quick else "full")
    rows = []
    for case in cases(args.quick):
        print(f"  {case.name}", file=sys.stderr, flush=True)
        rows.append(measure(case, work, runs))
    print(table(rows))


if __name__ == "__main__":
    main()
