"""Run every benchmark: ``python -m benchmarks`` (or one: ``python -m benchmarks.geocoding``).

Each module in this folder that defines ``main(argv)`` is a benchmark; options
after the command are passed to each (``python -m benchmarks --quick``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    folder = Path(__file__).parent
    for module in sorted(m.name for m in pkgutil.iter_modules([str(folder)])):
        if module.startswith("_"):
            continue
        bench = importlib.import_module(f"benchmarks.{module}")
        if hasattr(bench, "main"):
            print(f"=== benchmarks.{module} ===", flush=True)
            bench.main(sys.argv[1:])


if __name__ == "__main__":
    main()
