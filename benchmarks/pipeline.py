"""End-to-end figures at 1,000 / 10,000 / 100,000 initiatives, each against a baseline of the same run.

Run ``python -m benchmarks.pipeline`` (``--quick``: 1,000 and 10,000, fewer runs; ``--sizes``,
``--runs``). Inputs come from ``benchmarks/_inputs.py`` (generated once into ``benchmarks/_work``).

- build: ``mapgen build`` wall time and peak memory (a fresh process each run, all outputs) vs the
  I/O floor, ``benchmarks/_floor.py``: the same files read and outputs of the same sizes written
  with the standard library alone, also in a fresh process; runs alternate between the two;
- geocoding: rows/s of ``Geocoder.geocode_many`` over the survey's typed places (caches cold, index
  build included) vs rapidfuzz ``extractOne`` over every name (``benchmarks.geocoding.Baselines``);
- preview: ``preview.html`` size and time until the map is painted in headless Chromium
  (``benchmarks.preview.measure``) vs folium's ``FastMarkerCluster`` page of the same initiatives
  (``benchmarks.preview.page_fastcluster``);
- uMap: ``map.umap`` and ``layers/*.geojson`` bytes per 1,000 published initiatives vs the input
  ``previous.umap`` (uMap's own backup layout) per 1,000 features;
- start-up: ``mapgen --help``, ``mapgen geocode --help`` and a 10-row ``mapgen geocode`` vs
  ``python -c pass``; which heavy libraries ``import mapgen.cli`` loads.

Every figure is the median of the runs. Prints Markdown; the raw figures go to
``benchmarks/_work/pipeline.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks._inputs import ROOT, Inputs, make_inputs, messy_places

if TYPE_CHECKING:
    from mapgen.model import BuildResult

WORK = ROOT / "benchmarks" / "_work"
SIZES = (1_000, 10_000, 100_000)
HEAVY = ("pandas", "geopandas", "shapely", "pyogrio", "folium", "openpyxl", "jinja2", "rapidfuzz")
#: Runs a command; prints its wall and CPU (user + system) seconds and peak memory (its own
#: process, from getrusage of the only child), so that the figures never include this wrapper.
#: The build may fork a second process (its writers' second lane): getrusage gives the larger
#: of the two, so the memory of the whole tree (PSS, shared pages counted once) is also sampled
#: every 100 ms (more often slows the build: the kernel walks its pages) and the peak reported is the larger figure.
_TIMER = """
import json, resource, subprocess, sys, threading, time

def tree(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            children = [int(c) for c in listing.read().split()]
    except OSError:
        children = []
    return [pid, *(p for c in children for p in tree(c))]

def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0

peak = [0]
def sample(process):
    while process.poll() is None:
        peak[0] = max(peak[0], sum(pss_kb(p) for p in tree(process.pid)))
        time.sleep(0.1)

start = time.perf_counter()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sampler = threading.Thread(target=sample, args=(process,), daemon=True)
sampler.start()
stderr = process.communicate()[1]
seconds = time.perf_counter() - start
sampler.join()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                  "max_rss_kb": max(usage.ru_maxrss, peak[0]),
                  "returncode": process.returncode, "stderr": stderr.decode()[-2000:]}))
"""


@dataclass
class Timed:
    """Wall and CPU seconds and peak memory (MB) of repeated runs of one command."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    @property
    def peak_mb(self) -> float:
        return max(self.rss_mb)


def timed(command: Sequence[str | Path], into: Timed) -> None:
    """Run ``command`` in a fresh process; add its wall time and peak memory to ``into``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    raw = subprocess.run(
        [sys.executable, "-c", _TIMER, *map(str, command)], capture_output=True, text=True, check=True, env=env
    )
    result = json.loads(raw.stdout)
    if result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{result['stderr']}")
    into.seconds.append(result["seconds"])
    into.cpu.append(result["cpu"])
    into.rss_mb.append(result["max_rss_kb"] / 1024)


def mapgen() -> list[str | Path]:
    """``mapgen`` of this checkout (not the console script, which may run another checkout's code)."""
    return [sys.executable, "-m", "mapgen"]


# --- build vs I/O floor ---------------------------------------------------------------------


def build_command(inputs: Inputs, out: Path) -> list[str | Path]:
    return [*mapgen(), "build", inputs.survey, "--previous", inputs.previous, "--config", inputs.config,
            "--out", out]


def output_sizes(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*")) if p.is_file()}


def floor_plan(inputs: Inputs, outputs: dict[str, int], out: Path) -> Path:
    """The floor's plan: the files the build opens (see ``_floor.py``) and the outputs it wrote."""
    from mapgen._resources import gazetteer_dir

    gazetteer = gazetteer_dir()
    plan = {
        "csv": [str(inputs.survey), *(str(p) for p in sorted(gazetteer.glob("*.csv")))],
        "json": [str(inputs.previous), str(gazetteer / "metadata.json")],
        "toml": [str(inputs.config)],
        "raw": [str(p) for p in sorted(gazetteer.glob("*.fgb"))],
        "out": str(out),
        "outputs": sorted(outputs.items()),
    }
    path = out.parent / f"{out.name}-plan.json"
    path.write_text(json.dumps(plan, indent=1), encoding="utf-8")
    return path


#: What every build pays before reading a byte: the interpreter and the libraries it imports.
_IMPORTS = (
    "from mapgen.cli import app; from mapgen.build import _writers, run_pipeline; "
    "from mapgen.model import OutputOptions; from mapgen.gazetteer import load_gazetteer; "
    "import mapgen.readers.survey, mapgen.readers.previous_map, mapgen.geocoders, mapgen.config; "
    "_writers(OutputOptions()); load_gazetteer().boundaries(); load_gazetteer().region_boundaries()"
)


@dataclass
class BuildFigures:
    n: int
    build: Timed
    floor: Timed
    outputs: dict[str, int]
    imports: Timed = field(default_factory=Timed)
    published: int = 0
    records: int = 0

    @property
    def ratio(self) -> float:
        return self.build.median_s / self.floor.median_s

    @property
    def after_startup_ratio(self) -> float:
        """The build less the start-up floor (interpreter, imports, gazetteer), over the I/O floor."""
        return (self.build.median_s - self.imports.median_s) / self.floor.median_s


def measure_build(inputs: Inputs, runs: int) -> BuildFigures:
    """Alternate ``mapgen build`` and the floor, ``runs`` times each (the first build sizes the floor)."""
    out, floor_out = WORK / f"out-{inputs.n}", WORK / f"floor-{inputs.n}"
    figures = BuildFigures(inputs.n, Timed(), Timed(), {})
    for run in range(runs):
        timed(build_command(inputs, out), figures.build)
        if run == 0:
            figures.outputs = output_sizes(out)
            plan = floor_plan(inputs, figures.outputs, floor_out)
        timed([sys.executable, ROOT / "benchmarks" / "_floor.py", plan], figures.floor)
        timed([sys.executable, "-c", _IMPORTS], figures.imports)
        print(f"  build {inputs.n:,}: run {run + 1}/{runs}: {figures.build.seconds[-1]:.2f} s "
              f"(CPU {figures.build.cpu[-1]:.2f} s), {figures.build.rss_mb[-1]:.0f} MB; "
              f"I/O floor {figures.floor.seconds[-1]:.2f} s; imports {figures.imports.seconds[-1]:.2f} s",
              file=sys.stderr)
    shutil.rmtree(floor_out, ignore_errors=True)
    return figures


# --- geocoding ---------------------------------------------------------------------------------


def survey_places(inputs: Inputs) -> list[Any]:
    """The places the survey's rows type (region, province, Comune columns)."""
    from mapgen.model import Place

    with inputs.survey.open(encoding="utf-8", newline="") as handle:
        return [Place(r["G01Q03"], r["G01Q02"], r["G01Q01"]) for r in csv.DictReader(handle)]


@dataclass
class GeocodingFigures:
    n: int
    rows: int
    distinct: int
    ours: list[float] = field(default_factory=list)  # rows/s, building the index included
    indexed: list[float] = field(default_factory=list)  # rows/s, the index already built
    baseline: list[float] = field(default_factory=list)  # rows/s

    @property
    def ratio(self) -> float:
        return statistics.median(self.ours) / statistics.median(self.baseline)

    @property
    def indexed_ratio(self) -> float:
        return statistics.median(self.indexed) / statistics.median(self.baseline)


def measure_geocoding(inputs: Inputs, runs: int, baseline_rows: int = 2_000) -> GeocodingFigures:
    """geocode_many over all the survey's places, caches cold (with and without building the
    gazetteer index, a one-off 0.2-0.3 s); extractOne over a sample of them."""
    from benchmarks.geocoding import Baselines, _cold_caches
    from mapgen.gazetteer import load_gazetteer
    from mapgen.geocoders import Geocoder

    gazetteer = load_gazetteer()
    places = survey_places(inputs)
    figures = GeocodingFigures(inputs.n, len(places), len(set(places)))
    sample = places[:baseline_rows]
    base = Baselines(gazetteer)
    for _ in range(runs):
        _cold_caches()
        start = time.perf_counter()
        Geocoder(gazetteer).geocode_many(places)
        figures.ours.append(len(places) / (time.perf_counter() - start))
        _cold_caches()
        geocoder = Geocoder(gazetteer)
        start = time.perf_counter()
        geocoder.geocode_many(places)
        figures.indexed.append(len(places) / (time.perf_counter() - start))
        start = time.perf_counter()
        for place in sample:
            base.extract_all(place)
        figures.baseline.append(len(sample) / (time.perf_counter() - start))
    return figures


# --- preview -------------------------------------------------------------------------------


@dataclass
class PreviewFigures:
    n: int
    mb: float
    baseline_mb: float
    ours: dict[str, float]
    baseline: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.ours["painted"] / self.baseline["painted"]


def _median_measure(path: Path, runs: int) -> dict[str, float]:
    from benchmarks.preview import measure

    timings = [measure(path, toggle=False) for _ in range(runs)]
    return {key: statistics.median(t[key] for t in timings) for key in timings[0]}


def measure_preview(inputs: Inputs, result: BuildResult, runs: int) -> PreviewFigures:
    """The built preview.html vs folium's FastMarkerCluster page of the same BuildResult."""
    from benchmarks.preview import page_fastcluster
    from mapgen.gazetteer import load_gazetteer

    gazetteer = load_gazetteer()
    ours = WORK / f"out-{inputs.n}" / "preview.html"
    baseline = WORK / f"fastcluster-{inputs.n}.html"
    baseline.write_text(page_fastcluster(result, gazetteer), encoding="utf-8")
    figures = PreviewFigures(
        inputs.n, ours.stat().st_size / 1e6, baseline.stat().st_size / 1e6,
        _median_measure(ours, runs), _median_measure(baseline, runs),
    )
    baseline.unlink()
    return figures


# --- start-up ----------------------------------------------------------------------------------


@dataclass
class StartupFigures:
    commands: dict[str, Timed]
    heavy_on_help: list[str]

    def ratio(self, name: str) -> float:
        return self.commands[name].median_s / self.commands["python -c pass"].median_s


def _small_geocode_input(folder: Path) -> Path:
    from mapgen.gazetteer import load_gazetteer

    path = folder / "ten.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["comune", "provincia"])
        writer.writerows([c.place.comune, c.place.provincia] for c in messy_places(load_gazetteer(), 10))
    return path


def measure_startup(runs: int) -> StartupFigures:
    """Alternate the commands ``runs`` times; note the heavy libraries ``import mapgen.cli`` loads."""
    with tempfile.TemporaryDirectory() as folder:
        ten = _small_geocode_input(Path(folder))
        commands: dict[str, list[str | Path]] = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "mapgen --help": [*mapgen(), "--help"],
            "mapgen geocode --help": [*mapgen(), "geocode", "--help"],
            "mapgen geocode (10 rows)": [*mapgen(), "geocode", ten, "--comune-col", "comune",
                                         "--provincia-col", "provincia", "--out", Path(folder) / "g.csv"],
        }
        figures = StartupFigures({name: Timed() for name in commands}, [])
        for _ in range(runs):
            for name, command in commands.items():
                timed(command, figures.commands[name])
    probe = f"import sys, mapgen.cli; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    figures.heavy_on_help = [m for m in loaded.stdout.strip().split(",") if m]
    return figures


# --- uMap sizes ----------------------------------------------------------------------------------


def umap_sizes(build: BuildFigures, inputs: Inputs) -> dict[str, float]:
    """KB per 1,000 published initiatives: map.umap, the layer files; the input backup per 1,000 features."""
    previous = json.loads(inputs.previous.read_text(encoding="utf-8"))
    features = sum(len(layer["features"]) for layer in previous["layers"])
    per = build.published / 1000
    layers = [size for name, size in build.outputs.items() if name.startswith("layers/")]
    return {
        "map_umap_kb": build.outputs["map.umap"] / 1024 / per,
        "layers_kb": sum(layers) / 1024 / per,
        "layer_files": len(layers),
        "largest_layer_mb": max(layers) / 1e6,
        "input_umap_kb": inputs.previous.stat().st_size / 1024 / (features / 1000),
    }


# --- how fast the machine runs ------------------------------------------------------------------

_PROBE_WORDS = re.compile(r"[A-Za-z]+ \d+")


def speed_probe(repeats: int = 5) -> float:
    """Median CPU seconds of a fixed piece of work like the build's (Python objects, text, JSON,
    pickling, a regular expression, a sort), timed beside the build's steps: how fast the machine
    runs at that moment. A shared machine's speed drifts within a run (the builds of one size took
    69 s, then 81 s and 85 s on 7 December); a scale taken at the start would not follow it."""
    import gc

    samples = []
    collecting = gc.isenabled()
    gc.disable()  # the collector's passes scale with what the process holds (a build's result), not the machine
    try:
        for _ in range(repeats):
            samples.append(_probe_once())
    finally:
        if collecting:
            gc.enable()
    return statistics.median(samples)


def _probe_once() -> float:
    start = time.process_time()
    rows = [{"titolo": f"Iniziativa {i} del Comune", "n": i, "aree": ["nascita", "famiglia"]}
            for i in range(20_000)]
    text = json.dumps(rows, ensure_ascii=False)
    back = pickle.loads(pickle.dumps(json.loads(text)))
    _PROBE_WORDS.findall(text)
    sorted(back, key=lambda row: row["titolo"][::-1])
    return time.process_time() - start


# --- the run ----------------------------------------------------------------------------------


def _stages_once(inputs: Inputs) -> tuple[BuildResult, dict[str, float]]:
    """One build, its steps timed in this process (CPU seconds, imports warm), as ``build`` runs them."""
    import functools

    import mapgen.build as b
    from mapgen.contacts import check_public_files, protect_contacts, scan_for_contacts
    from mapgen.corrections import Corrections, apply_corrections
    from mapgen.gazetteer import load_gazetteer
    from mapgen.merge import Geocoded, cluster_editions, publish_practices

    gazetteer = load_gazetteer()
    request = b.BuildRequest(inputs.survey, (inputs.previous,), inputs.config)
    config = b._load_config(request)
    seconds: dict[str, float] = {}

    def step(name: str, work: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        done = work(*args, **kwargs)
        seconds[name] = time.process_time() - start
        return done

    geocoder, read = b._make_geocoder(request, gazetteer), b._Read()
    survey = step("read survey", b._read_survey, request, config)
    step("geocode survey", b._survey_in, read, survey, None, geocoder, b._no_progress)
    edition = step("read previous map", b._read_previous, inputs.previous, request, config)
    placed = step("place previous features (point in polygon)", b._place_previous, edition, gazetteer,
                  functools.cache(geocoder.geocode))  # in the other process, with a cache of its own
    b._previous_in(read, placed)
    review = step("apply corrections", apply_corrections, Corrections(file=""),
                  [(g.record, g.match) for g in read.geocoded], read.outcomes, included=read.included)
    pairs = [Geocoded(r, m) for r, m in review.pairs]
    # As build runs them: the clustering here, the members in the other process, the contact
    # scan in parts that either takes (timed here as one step).
    clustered = step("merge: clustering", cluster_editions, pairs, gazetteer=gazetteer, practice_keys=review.keys,
                     title_rules_for=review.pair_records())
    scan = step("contact guard: scan", scan_for_contacts, frozenset(read.contacts), [p.record for p in pairs],
                read.carried)
    resolve = b._PlaceCache(geocoder.geocode)
    nothing_to_scan = b._SharedScan(frozenset(), [], [])  # the scan is timed above, as one step
    resolve.update(step("merge: association members", b._members_ahead, pairs, gazetteer, resolve,
                        nothing_to_scan)[0].value())
    merged = step("merge: publishing", publish_practices, clustered, gazetteer=gazetteer, resolve_member=resolve,
                  taught=review.taught)
    result = b._result(read, review, merged, ())
    options = _options(inputs)
    result = step("contact guard: scrub", protect_contacts, result, options, scan)
    with tempfile.TemporaryDirectory(dir=WORK) as folder:
        written: list[Path] = []
        for name, writer in b._writers(options):
            written += step(f"write {name}", writer, result, Path(folder), gazetteer=gazetteer, options=options)
        files = b._check_inside(written, Path(folder))
        step("contact guard: check files", check_public_files, Path(folder), files, result, options)
    return result, seconds


def stage_seconds(inputs: Inputs, runs: int = 3) -> tuple[BuildResult, dict[str, float]]:
    """Each step's median CPU seconds over ``runs`` builds in this process (a first build warms the imports).

    With the cyclic collector's thresholds of ``mapgen build`` (``BATCH_GC_THRESHOLDS``): at the
    defaults its passes over everything the process holds (1-2 s at 100,000) fell in whichever step
    ran then ("apply corrections" 0.10 s in one run, 1.05 s in the next, on 7 December).
    """
    import gc

    from mapgen.cli.build import BATCH_GC_THRESHOLDS

    before = gc.get_threshold()
    gc.set_threshold(*BATCH_GC_THRESHOLDS)
    try:
        if "mapgen.writers.umap" not in sys.modules:
            _stages_once(inputs)
        timings = []
        for _ in range(runs):
            result, seconds = _stages_once(inputs)
            timings.append(seconds)
    finally:
        gc.set_threshold(*before)
    return result, {name: statistics.median(t[name] for t in timings) for name in timings[0]}


def _options(inputs: Inputs) -> Any:
    from mapgen.config import load_config

    return load_config(inputs.config).output


@dataclass
class Results:
    builds: list[BuildFigures] = field(default_factory=list)
    geocoding: list[GeocodingFigures] = field(default_factory=list)
    previews: list[PreviewFigures] = field(default_factory=list)
    umap: dict[int, dict[str, float]] = field(default_factory=dict)
    stages: dict[int, dict[str, float]] = field(default_factory=dict)
    previous_stages: dict[int, dict[str, float]] = field(default_factory=dict)
    startup: StartupFigures | None = None
    previous_startup: dict[int, float] = field(default_factory=dict)  # start-up floor CPU s, last RESULTS.md
    probes: dict[int, float] = field(default_factory=dict)  # speed_probe CPU s around the steps, by size
    previous_probes: dict[int, float] = field(default_factory=dict)  # the same, last RESULTS.md


def run(sizes: Sequence[int], runs: int, browser_runs: int) -> Results:
    results = Results(startup=measure_startup(max(runs, 5)), previous_stages=previous_stages(),
                      previous_startup=previous_startup(), previous_probes=previous_probes())
    for n in sizes:
        print(f"== {n:,} initiatives", file=sys.stderr)
        inputs = make_inputs(n, WORK)
        build = measure_build(inputs, runs if n < 100_000 else min(runs, 3))
        probe_before = speed_probe()
        result, results.stages[n] = stage_seconds(inputs, 3 if n < 100_000 else 1)
        results.probes[n] = (probe_before + speed_probe()) / 2
        build.published, build.records = len(result.initiatives), len(result.outcomes)
        results.builds.append(build)
        results.umap[n] = umap_sizes(build, inputs)
        results.geocoding.append(measure_geocoding(inputs, runs))
        results.previews.append(measure_preview(inputs, result, browser_runs))
        del result
    return results


# --- the report ----------------------------------------------------------------------------------


def _row(label: str, cells: Sequence[str], target: str = "") -> str:
    return f"| {label} | {' | '.join(cells)} | {target} |"


def headline(results: Results) -> str:
    """The headline table: one column per size, each figure with its ratio to the baseline."""
    sizes = [b.n for b in results.builds]
    lines = [
        f"| figure | {' | '.join(f'{n:,} initiatives' for n in sizes)} | target |",
        "|---|" + "---|" * len(sizes) + "---|",
        _row("input records → published initiatives", [f"{b.records:,} → {b.published:,}" for b in results.builds]),
        _row("`mapgen build`, all outputs: wall s (× I/O floor)",
             [f"{b.build.median_s:.1f} s ({b.ratio:.1f}×)" for b in results.builds]),
        _row("… less the start-up floor (× I/O floor)",
             [f"{b.build.median_s - b.imports.median_s:.1f} s ({b.after_startup_ratio:.1f}×)" for b in results.builds],
             "10k: ≤ 25×"),
        _row("… CPU s (of which start-up: interpreter + imports)",
             [f"{b.build.median_cpu:.1f} s ({b.imports.median_cpu:.1f} s)" for b in results.builds]),
        _row("peak memory of the build", [f"{b.build.peak_mb:,.0f} MB" for b in results.builds],
             "10k: ≤ 400 MB; 100k: ≤ 2 GB"),
        _row("geocoding the survey: rows/s (× extractOne over all names)",
             [f"{statistics.median(g.ours):,.0f} ({g.ratio:,.0f}×)" for g in results.geocoding], "≥ 20×"),
        _row("… the same, gazetteer index already built",
             [f"{statistics.median(g.indexed):,.0f} ({g.indexed_ratio:,.0f}×)" for g in results.geocoding]),
        _row("preview.html MB (× folium FastMarkerCluster)",
             [f"{p.mb:.1f} ({p.mb / p.baseline_mb:.2f}×)" for p in results.previews]),
        _row("preview painted in Chromium, s (× FastMarkerCluster)",
             [f"{p.ours['painted'] / 1000:.1f} s ({p.ratio:.2f}×)" for p in results.previews], "opens at 100k"),
        _row("uMap: map.umap KB per 1,000 initiatives (× uMap's backup)",
             [f"{u['map_umap_kb']:,.0f} ({u['map_umap_kb'] / u['input_umap_kb']:.2f}×)"
              for u in results.umap.values()]),
        _row("uMap: layer files KB per 1,000 initiatives (files; largest MB)",
             [f"{u['layers_kb']:,.0f} ({u['layer_files']:.0f}; {u['largest_layer_mb']:.1f})"
              for u in results.umap.values()]),
    ]
    return "\n".join(lines)


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def targets(results: Results) -> str:
    """The issue's targets, each met or missed, from the figures above."""
    by_n = {b.n: b for b in results.builds}
    lines = []
    if 10_000 in by_n:
        b = by_n[10_000]
        lines.append(f"- 10,000 (issue 28): build after start-up ≤ 25× the I/O floor: "
                     f"{_verdict(b.after_startup_ratio <= 25)} ({b.after_startup_ratio:.1f}×: "
                     f"{b.build.median_s:.1f} s wall - {b.imports.median_s:.1f} s start-up, floor "
                     f"{b.floor.median_s:.2f} s; {b.build.median_cpu:.1f} s CPU); peak memory ≤ 400 MB: "
                     f"{_verdict(b.build.peak_mb <= 400)} ({b.build.peak_mb:,.0f} MB)")
    if 100_000 in by_n:
        b = by_n[100_000]
        opened = next((p for p in results.previews if p.n == 100_000), None)
        lines.append(f"- 100,000 (issue 28): ≤ 30 s: {_verdict(b.build.median_s <= 30)} "
                     f"({b.build.median_s:.0f} s wall, {b.build.median_cpu:.0f} s CPU); "
                     f"≤ 2 GB: {_verdict(b.build.peak_mb <= 2048)} "
                     f"({b.build.peak_mb:,.0f} MB); preview opens: "
                     f"{_verdict(opened is not None and 'errors' not in opened.ours)}"
                     + (f" (painted in {opened.ours['painted'] / 1000:.1f} s)" if opened else ""))
    for g in results.geocoding:
        lines.append(f"- geocoding ≥ 20× the baseline at {g.n:,} ({g.rows:,} survey rows): "
                     f"{_verdict(g.ratio >= 20)} ({g.ratio:,.0f}× building the index, "
                     f"{g.indexed_ratio:,.0f}× without)")
    if results.startup is not None:
        help_s = results.startup.commands["mapgen --help"].median_s
        lines.append(f"- `mapgen --help` under 0.5 s: {_verdict(help_s < 0.5)} ({help_s:.2f} s)")
    worse = regressions(results.stages, results.previous_stages, machine_speed(results))
    lines.append(f"- no step more than {REGRESSION:.0%} slower than in the last RESULTS.md (at equal machine speed): "
                 f"{_verdict(not worse)}"
                 + "".join(f"\n  - **regressed**: {w}" for w in worse))
    return "\n".join(lines)


def startup_table(startup: StartupFigures) -> str:
    lines = ["| command | median wall s | × `python -c pass` | CPU s |", "|---|---|---|---|"]
    for name, figures in startup.commands.items():
        lines.append(f"| `{name}` | {figures.median_s:.2f} | {startup.ratio(name):.1f}× | {figures.median_cpu:.2f} |")
    heavy = ", ".join(startup.heavy_on_help) or "none"
    return "\n".join(lines) + f"\n\nHeavy libraries loaded by `import mapgen.cli`: {heavy}."


# --- the build's steps, beside the last RESULTS.md -------------------------------------------------

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
#: A step this much slower than in the last RESULTS.md is reported as a regression.
REGRESSION = 0.20
STAGE_TITLE = "Where a build's time goes"
#: The step table's last row: the speed probe's CPU seconds beside each size's steps (not a step).
PROBE_ROW = "speed probe (a fixed piece of work, beside the steps; not a step)"
#: Sums of steps, as earlier RESULTS.md named them: the merge in three steps since December 2026
#: (two of them side by side in a build), the scrub of the contact guard after its scan.
_MERGE = ("merge: clustering", "merge: association members", "merge: publishing")
GROUPS = {"merge editions": _MERGE,
          "contact guard: scan and scrub": ("contact guard: scan", "contact guard: scrub"),
          "read, geocode, merge": ("read survey", "geocode survey", "read previous map",
                                   "place previous features (point in polygon)", "apply corrections", *_MERGE)}
_NUMBER = re.compile(r"\d[\d,]*\.?\d*")


def _with_groups(seconds: dict[str, float]) -> dict[str, float]:
    sums = {name: sum(seconds[s] for s in steps) for name, steps in GROUPS.items() if all(s in seconds for s in steps)}
    return {**seconds, **sums, "whole build (the steps above)": sum(seconds.values())}


def previous_stages(path: Path = RESULTS) -> dict[int, dict[str, float]]:
    """The step table of the last RESULTS.md: size -> step -> seconds (this layout or the older one)."""
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith(STAGE_TITLE)), None)
    if start is None:
        return {}
    table: list[str] = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table
             if not line.startswith("|---") and not line.startswith(f"| {PROBE_ROW} |")]  # the probe: not a step
    if len(cells) < 2:
        return {}
    header, body = cells[0], cells[1:]
    found: dict[int, dict[str, float]] = {}
    if header[0] == "initiatives":  # older layout: a row per size, a column per step
        for row in body:
            n = int(row[0].replace(",", ""))
            found[n] = {step: float(value) for step, value in zip(header[1:], row[1:], strict=False)}
    else:  # a row per step, a column per size: "0.52 (0.60, -13 %)"
        sizes = _sizes_of(header[1:])
        for row in body:
            step = row[0].strip("*` ")
            for n, cell in zip(sizes, row[1:], strict=False):
                if number := _NUMBER.match(cell):
                    found.setdefault(n, {})[step] = float(number.group().replace(",", ""))
    return found


def previous_startup(path: Path = RESULTS) -> dict[int, float]:
    """The start-up floor's CPU seconds by size in the last RESULTS.md (its detail table): how fast
    the machine ran then, as this run's floor says how fast it runs now."""
    if not path.is_file():
        return {}
    found: dict[int, float] = {}
    column = None
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| initiatives |") and "start-up floor s: wall, CPU" in cells:
            column = cells.index("start-up floor s: wall, CPU")
        elif column is not None and line.startswith("|") and not line.startswith("|---"):
            numbers = _NUMBER.findall(cells[column]) if len(cells) > column else []
            if len(numbers) == 2 and _NUMBER.fullmatch(cells[0]):
                found[int(cells[0].replace(",", ""))] = float(numbers[1])
        elif column is not None and not line.startswith("|"):
            column = None
    return found


def previous_probes(path: Path = RESULTS) -> dict[int, float]:
    """The speed probe's CPU seconds by size in the last RESULTS.md (its step table's probe row)."""
    if not path.is_file():
        return {}
    sizes: list[int] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| step |"):
            sizes = _sizes_of(cells[1:])
        elif line.startswith(f"| {PROBE_ROW} |"):
            return {n: float(cell) for n, cell in zip(sizes, cells[1:], strict=False) if _NUMBER.fullmatch(cell)}
    return {}


def _sizes_of(header: Sequence[str]) -> list[int]:
    """The sizes a step table's header names, a column each: ``1,000: s (before, change)`` -> 1000."""
    return [int(_NUMBER.findall(cell)[0].replace(",", "")) for cell in header]


def machine_speed(results: Results) -> dict[int, float]:
    """How much slower the machine ran than in the last RESULTS.md, for each size: 2.0 at half speed.

    Where both runs timed the speed probe beside that size's steps (:func:`speed_probe`), its ratio;
    else this run's start-up floor (CPU s) over the last's. The floor is the same command at every
    size: the medians of all sizes are compared (one size's figure alone was off by half in the run
    of 6 December, its first build's); but it is taken before the steps, and the machine drifts.
    """
    now = [b.imports.median_cpu for b in results.builds if b.imports.cpu]
    then = list(results.previous_startup.values())
    floor = statistics.median(now) / statistics.median(then) if now and then else None
    factors: dict[int, float] = {}
    for n in [b.n for b in results.builds] or list(results.probes):
        if n in results.probes and results.previous_probes.get(n):
            factors[n] = results.probes[n] / results.previous_probes[n]
        elif floor is not None:
            factors[n] = floor
    return factors


def _slower(now: float, then: float, factor: float) -> bool:
    return now > then * factor * (1 + REGRESSION) and now - then * factor >= 0.05


def _change(now: float, then: float, factor: float) -> str:
    change = f"{now / then - 1:+.0%}" if then else "–"  # 0.00 s before: no ratio
    if then and factor != 1.0:
        change += f", {now / (then * factor) - 1:+.0%} at equal speed"
    return change


def regressions(stages: dict[int, dict[str, float]], before: dict[int, dict[str, float]],
                speed: Mapping[int, float] | None = None) -> list[str]:
    """Steps more than :data:`REGRESSION` slower than in the last RESULTS.md (ignoring < 0.05 s),
    the figures of then scaled by :func:`machine_speed` where it is known."""
    found = []
    for n, seconds in stages.items():
        factor = (speed or {}).get(n, 1.0)
        for step, now in _with_groups(seconds).items():
            then = before.get(n, {}).get(step)
            if then is not None and _slower(now, then, factor):
                change = _change(now, then, factor) if then else "was 0.00 s"
                found.append(f"{step} at {n:,}: {now:.2f} s against {then:.2f} s ({change})")
    return found


def stage_table(stages: dict[int, dict[str, float]], before: dict[int, dict[str, float]],
                speed: Mapping[int, float] | None = None, probes: Mapping[int, float] | None = None,
                previous: Mapping[int, float] | None = None) -> str:
    """A row per step, a column per size: this run's CPU seconds, the last RESULTS.md's beside them;
    last, the speed probe's seconds beside each size's steps (``probes``; ``previous``: the last's)."""
    sizes = list(stages)
    rows = list(_with_groups(next(iter(stages.values()), {})))
    factors = {n: (speed or {}).get(n, 1.0) for n in sizes}
    lines = [f"{STAGE_TITLE}: CPU seconds of each step, in one process with the imports warm and the build's "
             f"collector thresholds (median of 3 builds, 1 at 100,000); in brackets the figure of the last "
             f"RESULTS.md and the change; a step more than {REGRESSION:.0%} slower is **regressed**."
             + _scaling(factors, probes or {}, previous or {}),
             "", f"| step | {' | '.join(f'{n:,}: s (before, change)' for n in sizes)} |", "|---|" + "---|" * len(sizes)]
    for step in rows:
        cells = []
        for n in sizes:
            now = _with_groups(stages[n]).get(step)
            then = before.get(n, {}).get(step)
            if now is None:
                cells.append("")
            elif then is None:
                cells.append(f"{now:.2f} (–)")
            else:
                worse = _slower(now, then, factors[n])
                cells.append(f"{now:.2f} ({then:.2f}, {_change(now, then, factors[n])})"
                             + (" **regressed**" if worse else ""))
        lines.append(f"| {step} | {' | '.join(cells)} |")
    if probes:
        lines.append(f"| {PROBE_ROW} | {' | '.join(f'{probes[n]:.3f}' if n in probes else '' for n in sizes)} |")
    return "\n".join(lines)


def _scaling(factors: Mapping[int, float], probes: Mapping[int, float], previous: Mapping[int, float]) -> str:
    """The stage table's words on how the figures of then were scaled, size by size."""
    scaled = {n: f for n, f in factors.items() if f != 1.0}
    if not scaled:
        return ""
    by_probe = [n for n in scaled if n in probes and previous.get(n)]
    by_floor = sorted({f"×{f:.2f}" for n, f in scaled.items() if n not in by_probe})
    how = []
    if by_probe:
        how.append("the speed probe timed beside the steps (last row) took this run's CPU seconds over the "
                   "last's (" + ", ".join(f"{n:,}: ×{scaled[n]:.2f}" for n in by_probe) + ")")
    if by_floor:
        how.append("the same start-up floor (interpreter and imports) took this run's CPU seconds over the "
                   f"last's ({', '.join(by_floor)})")
    return (" The machine's speed differs between the two runs: " + "; ".join(how)
            + "; the figures of then are scaled by it before they are compared (\"at equal speed\").")


def detail_tables(results: Results) -> str:
    lines = ["| initiatives | build wall s (runs) | build CPU s | I/O floor s (runs) "
             "| start-up floor s: wall, CPU | build MB | floor MB | outputs MB |",
             "|---|---|---|---|---|---|---|---|"]
    for b in results.builds:
        lines.append(
            f"| {b.n:,} | {' / '.join(f'{s:.2f}' for s in b.build.seconds)} | {b.build.median_cpu:.2f} "
            f"| {' / '.join(f'{s:.2f}' for s in b.floor.seconds)} "
            f"| {b.imports.median_s:.2f}, {b.imports.median_cpu:.2f} | {b.build.peak_mb:,.0f} "
            f"| {b.floor.peak_mb:,.0f} | {sum(b.outputs.values()) / 1e6:,.1f} |"
        )
    lines += ["", stage_table(results.stages, results.previous_stages, machine_speed(results), results.probes,
                              results.previous_probes)]
    lines += ["", "| initiatives | rows (distinct) | geocode_many rows/s (runs) | … index built "
              "| extractOne rows/s (runs) |", "|---|---|---|---|---|"]
    for g in results.geocoding:
        lines.append(f"| {g.n:,} | {g.rows:,} ({g.distinct:,}) | {' / '.join(f'{r:,.0f}' for r in g.ours)} "
                     f"| {' / '.join(f'{r:,.0f}' for r in g.indexed)} "
                     f"| {' / '.join(f'{r:,.0f}' for r in g.baseline)} |")
    lines += ["", "| initiatives | page | MB | DOMContentLoaded ms | painted ms | idle ms | heap MB | DOM nodes |",
              "|---|---|---|---|---|---|---|---|"]
    for p in results.previews:
        for page, mb, t in (("mapgen", p.mb, p.ours), ("FastMarkerCluster", p.baseline_mb, p.baseline)):
            lines.append(f"| {p.n:,} | {page} | {mb:.1f} | {t['dcl']:.0f} | {t['painted']:.0f} | {t['idle']:.0f} "
                         f"| {t['heap_mb']:.0f} | {t['dom']:,.0f} |")
    return "\n".join(lines)


def report(results: Results) -> str:
    assert results.startup is not None
    return "\n\n".join([
        "### Headline", headline(results), "### Targets", targets(results),
        "### Start-up", startup_table(results.startup),
        "### Details", detail_tables(results),
    ])


def _json(results: Results) -> dict[str, Any]:
    data = asdict(results)
    data["builds"] = [{**asdict(b), "ratio": b.ratio} for b in results.builds]
    return data


def results_from_json(data: dict[str, Any]) -> Results:
    """A run saved in ``pipeline.json`` (:func:`_json`), to print its report again."""
    def timed(d: dict[str, Any]) -> Timed:
        return Timed(**d)

    def sized(d: dict[str, Any]) -> dict[int, Any]:
        return {int(n): v for n, v in d.items()}

    startup = data.get("startup")
    return Results(
        builds=[BuildFigures(n=b["n"], build=timed(b["build"]), floor=timed(b["floor"]), outputs=b["outputs"],
                             imports=timed(b["imports"]), published=b["published"], records=b["records"])
                for b in data["builds"]],
        geocoding=[GeocodingFigures(**g) for g in data["geocoding"]],
        previews=[PreviewFigures(**p) for p in data["previews"]],
        umap=sized(data["umap"]), stages=sized(data["stages"]), previous_stages=sized(data["previous_stages"]),
        startup=StartupFigures({k: timed(v) for k, v in startup["commands"].items()}, startup["heavy_on_help"])
        if startup else None,
        previous_startup=sized(data.get("previous_startup", {})),
        probes=sized(data.get("probes", {})), previous_probes=sized(data.get("previous_probes", {})),
    )


def main(argv: Sequence[str] | None = None) -> Results:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (at most 3 at 100,000)")
    parser.add_argument("--browser-runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 only, 3 runs, 1 in the browser")
    parser.add_argument("--from-json", type=Path, help="print the report of a run saved in pipeline.json again")
    args, _ = parser.parse_known_args(argv)
    if args.from_json:  # e.g. when the report of a long run failed to print
        results = results_from_json(json.loads(args.from_json.read_text(encoding="utf-8")))
        print(report(results))
        return results
    if args.quick:
        args.sizes, args.runs, args.browser_runs = [1_000, 10_000], 3, 1
    WORK.mkdir(parents=True, exist_ok=True)
    results = run(args.sizes, args.runs, args.browser_runs)
    for line in regressions(results.stages, results.previous_stages, machine_speed(results)):
        print(f"REGRESSED: {line}", file=sys.stderr)
    (WORK / "pipeline.json").write_text(json.dumps(_json(results), indent=1), encoding="utf-8")
    print(report(results))
    return results


if __name__ == "__main__":
    main()
