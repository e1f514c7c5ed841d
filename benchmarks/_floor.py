"""The I/O floor of a build: the same reads and writes with the standard library alone.

Run as a script, in a fresh interpreter, exactly like ``mapgen build``::

    python benchmarks/_floor.py PLAN.json

``PLAN.json`` lists the input files the build opens by how the standard library can read them
(``csv``: the survey and the gazetteer tables, parsed with :mod:`csv`; ``json``: the previous
map, parsed with :mod:`json`; ``toml``: the mapping; ``raw``: the gazetteer's FlatGeobuf
boundaries, read as bytes), the output folder, and the ``outputs`` as ``[relative path, size]``:
each is written with that many bytes (text taken from the inputs) into a staging folder that is
then renamed into place, as the build does. No mapgen, no third-party import.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def read_inputs(plan: dict[str, list[str]]) -> bytes:
    """Parse every input as the standard library can; return some text to fill the outputs with."""
    rows = 0
    for name in plan["csv"]:
        with open(name, encoding="utf-8", newline="") as handle:
            rows += sum(1 for _ in csv.reader(handle))
    parsed = []
    for name in plan["json"]:
        with open(name, encoding="utf-8") as handle:
            parsed.append(json.load(handle))
    for name in plan["toml"]:
        with open(name, "rb") as handle:
            parsed.append(tomllib.load(handle))
    raw = b"".join(Path(name).read_bytes() for name in plan["raw"])
    assert rows and all(parsed)
    sample = b"".join(Path(name).read_bytes()[:CHUNK] for name in plan["json"]) + raw[:CHUNK]
    return (sample * (CHUNK // max(len(sample), 1) + 1))[:CHUNK]


def write_outputs(plan: dict[str, Any], filler: bytes) -> None:
    """Write every output file at its size into a staging folder, then swap it in."""
    target = Path(plan["out"])
    staging = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    for relative, size in plan["outputs"]:
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            for start in range(0, size, CHUNK):
                handle.write(filler[: min(CHUNK, size - start)])
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def main(argv: list[str]) -> None:
    with open(argv[1], encoding="utf-8") as handle:
        plan = json.load(handle)
    write_outputs(plan, read_inputs(plan))


if __name__ == "__main__":
    main(sys.argv)
