"""Fuzz the readers for a bounded time: ``python -m tests.fuzz --minutes 10`` (``make fuzz``).

Runs every target of ``tests/test_fuzz.py`` again and again, each time with fresh random inputs
(``MAPGEN_FUZZ_EXAMPLES`` per round), until the time is up. Stops at the first input that makes
a reader raise anything but a MapgenError, prints it (shrunk by hypothesis) and exits with 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
import warnings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("FUZZ_MINUTES", "5")))
    parser.add_argument("--examples", type=int, default=500, help="examples per target and round")
    args = parser.parse_args()
    os.environ["MAPGEN_FUZZ_EXAMPLES"] = str(args.examples)  # read when the targets are defined
    warnings.simplefilter("error")  # as in the test suite (pytest filterwarnings = error)
    from tests import test_fuzz

    targets = {name: getattr(test_fuzz, name) for name in dir(test_fuzz) if name.startswith("test_")}
    deadline = time.monotonic() + args.minutes * 60
    rounds = 0
    while time.monotonic() < deadline:
        for name, target in sorted(targets.items()):
            try:
                target()
            except Exception:
                traceback.print_exc()
                print(f"FAILED: {name} (round {rounds + 1}); the input is printed above.", file=sys.stderr)
                return 1
        rounds += 1
        print(f"round {rounds}: {len(targets)} targets x {args.examples} inputs, no crash", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
