"""Cost of the write-time contact guard (issue 20): a build's writers with and without it.

The same synthetic initiatives (``fixtures/synthetic.py``) are written by ``write_outputs`` twice,
alternating: with no contacts read (the guard has nothing to look for: the baseline) and with
three contacts per initiative (a name, an e-mail, a telephone number), none of them in the
text, so the guard scans every field and every public file and finds nothing. Figures are
medians of ``--runs`` runs; the ratio is the guard's share of the writing time.

Run: ``python -m benchmarks.contacts [--sizes 1000 10000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from fixtures.synthetic import synthetic_build
from mapgen.build import write_outputs
from mapgen.contacts import check_public_files, protect_contacts
from mapgen.gazetteer import load_gazetteer
from mapgen.model import BuildResult, OutputOptions


def contacts_for(n: int, seed: int = 1) -> frozenset[str]:
    rng = random.Random(seed)
    return frozenset(
        value
        for i in range(n)
        for value in (f"Nome{i} Cognome{i}", f"utente{i}@comune{i}.example.it", f"+39 0{rng.randrange(10**8, 10**9)}")
    )


def _timed_write(build: BuildResult, options: OutputOptions) -> tuple[float, int]:
    gazetteer = load_gazetteer()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        files = write_outputs(build, Path(folder) / "out", gazetteer=gazetteer, options=options)
        seconds = time.perf_counter() - start
        size = sum((Path(folder) / "out" / name).stat().st_size for name in files)
    return seconds, size


def _timed_guard(build: BuildResult, options: OutputOptions) -> tuple[float, float]:
    """The guard's two steps alone: the scrub of the fields, the scan of the written files."""
    gazetteer = load_gazetteer()
    start = time.perf_counter()
    protect_contacts(build, options)
    scrub = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        files = write_outputs(replace(build, contacts=frozenset()), Path(folder) / "out", gazetteer=gazetteer,
                              options=options)
        start = time.perf_counter()
        check_public_files(Path(folder) / "out", files, build, options)
        scan = time.perf_counter() - start
    return scrub, scan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 initiatives, one run")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.runs = [1_000], 1
    options = OutputOptions(preview=True)
    print("| initiatives | contacts | outputs | write, no contacts | write, guarded | ratio | scrub | scan |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        print(f"contacts benchmark: {n} initiatives", file=sys.stderr)
        plain = synthetic_build(n)
        guarded = replace(plain, contacts=contacts_for(n))
        base, with_guard, steps = [], [], []
        for _ in range(args.runs):  # alternate, so that a busy spell of the machine hits both
            seconds, size = _timed_write(plain, options)
            base.append(seconds)
            with_guard.append(_timed_write(guarded, options)[0])
            steps.append(_timed_guard(guarded, options))
        b, g = statistics.median(base), statistics.median(with_guard)
        scrub, scan = (statistics.median(s[k] for s in steps) for k in (0, 1))
        print(f"| {n:,} | {len(guarded.contacts):,} | {size / 1e6:.1f} MB | {b:.2f} s | {g:.2f} s | {g / b:.2f} | "
              f"{scrub:.2f} s | {scan:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
