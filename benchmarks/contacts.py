"""Cost of the write-time contact guard (issue 20): a build's writers with and without it.

The same synthetic initiatives (``fixtures/synthetic.py``) are written by ``write_outputs`` twice,
alternating: with no contacts read (the guard has nothing to look for: the baseline) and with
three contacts per initiative (a name, an e-mail, a telephone number), none of them in the
text, so the guard scans every field and every public file and finds nothing. The contacts
share words with the output as real ones do (issue 28): common first names and surnames
("Mario Rossi"), offices ("Ufficio Servizi Sociali"), addresses at the Comune's own domain
(``servizi.sociali@comune.<comune>.it``: "comune", the Comune's name and "it" are in every
file), telephone numbers written as people write them. Figures are medians of ``--runs``
runs; the ratio is the guard's share of the writing time; scrub and scan are CPU seconds.

``--matchers`` also times the two multi-pattern matchers the issue asks to compare on the
written files: ahocorasick_rs over bytes (kept; pyahocorasick over text before issue 28's
third stop) and one compiled regular-expression alternation.

Run: ``python -m benchmarks.contacts [--sizes 1000 10000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import random
import re
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
from mapgen.text import slugify

FIRST = ("Mario", "Giuseppe", "Giovanni", "Antonio", "Francesco", "Luca", "Marco", "Andrea", "Paolo", "Anna",
         "Maria", "Giulia", "Laura", "Francesca", "Sara", "Elena", "Chiara", "Paola", "Silvia", "Valentina")
LAST = ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
        "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti",
        "Fontana", "Santoro", "Caruso", "Ferrara", "Leone", "Longo", "Gentile", "Vitale", "De Santis", "D'Angelo")
OFFICES = ("Ufficio Servizi Sociali", "Servizi Sociali", "Ufficio Politiche Sociali", "Segreteria del Sindaco",
           "Ufficio Scuola", "Area Servizi alla Persona")


def contacts_for(build: BuildResult, seed: int = 1) -> frozenset[str]:
    """Three contacts per initiative that share words with the output, none of them in it."""
    rng = random.Random(seed)
    values: set[str] = set()
    for item in build.initiatives:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = "comune." + slugify(item.comune.name).replace("-", "") + ".it"
        person = rng.random() < 0.7
        values.add(f"{first} {last}" if person else rng.choice(OFFICES))
        local = f"{first}.{last}".replace("'", "").replace(" ", "") if person else "servizi.sociali"
        values.add(f"{local.lower()}@{domain}")
        number = (f"0{rng.randrange(10, 999)} {rng.randrange(10**5, 10**7)}", f"+39 3{rng.randrange(10**8, 10**9)}",
                  f"0{rng.randrange(10, 99)}-{rng.randrange(10**6, 10**7)}")
        values.add(rng.choice(number))
    return frozenset(values)


def compare_matchers(folder: Path, contacts: frozenset[str]) -> dict[str, float]:
    """CPU seconds to build each matcher and search every public file's word stream with it."""
    from mapgen._contact_text import canonical
    from mapgen.contacts import ContactGuard, _public_bytes

    guard = ContactGuard.of(contacts)
    streams = [canonical(_public_bytes(path))[0] for path in sorted(folder.rglob("*"))
               if path.is_file() and not path.name.startswith(("report", "."))]
    start = time.process_time()
    found = [next(guard._word_hits(words), None) for words in streams]
    figures = {"ahocorasick_rs": time.process_time() - start}
    start = time.process_time()
    chains = sorted(guard.phrases, key=len, reverse=True)
    alternation = re.compile("|".join(re.escape(chain) for chain in chains))
    assert [alternation.search(words) is not None for words in streams] == [hit is not None for hit in found]
    figures["regex alternation"] = time.process_time() - start
    return figures


def _timed_write(build: BuildResult, options: OutputOptions) -> tuple[float, int]:
    gazetteer = load_gazetteer()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        files = write_outputs(build, Path(folder) / "out", gazetteer=gazetteer, options=options)
        seconds = time.perf_counter() - start
        size = sum((Path(folder) / "out" / name).stat().st_size for name in files)
    return seconds, size


def _timed_guard(build: BuildResult, options: OutputOptions, matchers: bool) -> tuple[float, float, dict[str, float]]:
    """The guard's two steps alone (CPU seconds): the scrub of the fields, the scan of the written files."""
    gazetteer = load_gazetteer()
    start = time.process_time()
    scrubbed = protect_contacts(build, options)
    scrub = time.process_time() - start
    assert scrubbed.outcomes == build.outcomes, "a contact is in the synthetic text: the benchmark measures a scrub"
    with tempfile.TemporaryDirectory() as folder:
        files = write_outputs(replace(build, contacts=frozenset()), Path(folder) / "out", gazetteer=gazetteer,
                              options=options)
        start = time.process_time()
        check_public_files(Path(folder) / "out", files, build, options)
        scan = time.process_time() - start
        compared = compare_matchers(Path(folder) / "out", build.contacts) if matchers else {}
    return scrub, scan, compared


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 initiatives, one run")
    parser.add_argument("--matchers", action="store_true", help="also time a regex alternation (slow: minutes)")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.runs = [1_000], 1
    options = OutputOptions(preview=True)
    print("| initiatives | contacts | outputs | write, no contacts | write, guarded | ratio | scrub | scan |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        print(f"contacts benchmark: {n} initiatives", file=sys.stderr)
        plain = synthetic_build(n)
        guarded = replace(plain, contacts=contacts_for(plain))
        base, with_guard, steps = [], [], []
        for _ in range(args.runs):  # alternate, so that a busy spell of the machine hits both
            seconds, size = _timed_write(plain, options)
            base.append(seconds)
            with_guard.append(_timed_write(guarded, options)[0])
            steps.append(_timed_guard(guarded, options, args.matchers and not steps))
        b, g = statistics.median(base), statistics.median(with_guard)
        scrub, scan = (statistics.median(s[k] for s in steps) for k in (0, 1))
        print(f"| {n:,} | {len(guarded.contacts):,} | {size / 1e6:.1f} MB | {b:.2f} s | {g:.2f} s | {g / b:.2f} | "
              f"{scrub:.2f} s | {scan:.2f} s |")
        for name, seconds in steps[0][2].items():
            print(f"matcher over the word streams, {n:,} initiatives: {name} {seconds:.2f} s CPU", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
