"""Benchmark of the offline preview: file size, build time and browser cost at 1k/10k/100k.

Compares mapgen's layout with three ways folium offers to draw many points, all given the
same synthetic initiatives (``fixtures/synthetic.py``) and the same inlined libraries, opened
from file:// in headless Debian Chromium with every other request refused (offline):

- ``marker``: one ``folium.Marker`` + ``folium.Popup`` per initiative in a ``MarkerCluster``;
- ``geojson``: one ``folium.GeoJson`` layer (``GeoJsonPopup``, text html-escaped first) in a
  ``MarkerCluster``;
- ``fastcluster``: ``plugins.FastMarkerCluster`` with a callback building popups with textContent;
- ``mapgen``: :func:`mapgen.writers.preview.render_preview` (one marker per Comune, JSON blob).

Run: ``python -m benchmarks.preview`` (``--help`` for sizes/approaches), or
``python -m benchmarks.preview --screenshot PATH`` saves a picture of the synthetic preview
(the pictures in ``docs/`` come from ``make screenshots``).
Figures are medians of ``--runs`` runs, each in a fresh browser. Headless software
rendering on this machine: use them as relative anchors, not as desktop timings.
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import folium
from folium import plugins

from fixtures.chromium import CHROMIUM, CHROMIUM_ARGS
from fixtures.synthetic import synthetic_build
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.model import BuildResult, MapInitiative, OutputOptions
from mapgen.writers import _assets
from mapgen.writers._folium_page import RawElement
from mapgen.writers.preview import render_preview

SIZES = (1_000, 10_000, 100_000)
#: One Marker per point costs ~0.7 ms and ~1.3 KB each: 100k would be ~70 s and ~130 MB.
SKIP = {("marker", 100_000)}

# --- the pages -------------------------------------------------------------------------------


def _popup_html(item: MapInitiative) -> str:
    r = item.record
    return (
        f"<b>{html.escape(r.titolo)}</b><br>{html.escape(item.comune.label)} · "
        f"{html.escape(item.comune.region)}<br>{', '.join(map(str, item.edizioni))} · "
        f"{html.escape(', '.join(r.aree))}<div style='max-height:9em;overflow:auto'>"
        f"{html.escape(r.descrizione)}</div>{html.escape(r.destinatari)}<br>"
        f"<a href='{html.escape(r.sito_web)}' target='_blank' rel='noopener'>"
        f"{html.escape(r.sito_web)}</a>"
    )


def _jquery() -> _assets.Asset:
    import xstatic.pkg.jquery as xstatic_jquery  # bench extra: folium.Popup needs jQuery

    text = (Path(xstatic_jquery.BASE_DIR) / "jquery.min.js").read_text(encoding="utf-8")
    return _assets.Asset("jquery", "js", _assets.safe_for_html(text, "js"), "leaflet/LICENSE")


def _offline(fmap: folium.Map) -> str:
    """Inline every library the folium page links to (as mapgen does) and render it."""
    figure = fmap.get_root()
    for asset in _assets.inline_assets(figure, extra={"jquery": _jquery()}):
        tag = "script" if asset.kind == "js" else "style"
        figure.header.add_child(RawElement(f"<{tag}>{asset.text}</{tag}>"), name=asset.name)
    figure.header.add_child(RawElement(f"<script>{_assets.leaflet_icon_fix()}</script>"))
    return str(figure.render())


def _map() -> folium.Map:
    return folium.Map(location=[41.9, 12.5], zoom_start=6)


def page_marker(build: BuildResult, gazetteer: Gazetteer) -> str:
    fmap = _map()
    cluster = plugins.MarkerCluster().add_to(fmap)
    for item in build.initiatives:
        folium.Marker([item.comune.lat, item.comune.lon], popup=folium.Popup(_popup_html(item), max_width=360)).add_to(
            cluster
        )
    return _offline(fmap)


def page_geojson(build: BuildResult, gazetteer: Gazetteer) -> str:
    fmap = _map()
    cluster = plugins.MarkerCluster().add_to(fmap)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [item.comune.lon, item.comune.lat]},
            "properties": {"popup": _popup_html(item)},
        }
        for item in build.initiatives
    ]
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
    ).add_to(cluster)
    return _offline(fmap)


_FAST_CALLBACK = """function (row) {
    var marker = L.marker(new L.LatLng(row[0], row[1]));
    marker.bindPopup(function () {
        var box = document.createElement('div');
        ['b', 'div', 'div', 'div', 'a'].forEach(function (tag, k) {
            var node = document.createElement(tag);
            node.textContent = row[2 + k];
            if (tag === 'a') { node.href = row[6]; node.target = '_blank'; node.rel = 'noopener'; }
            box.appendChild(node);
        });
        return box;
    }, {maxWidth: 360});
    return marker;
}"""


def page_fastcluster(build: BuildResult, gazetteer: Gazetteer) -> str:
    fmap = _map()
    rows = [
        [
            item.comune.lat,
            item.comune.lon,
            item.record.titolo,
            f"{item.comune.label} · {item.comune.region}",
            item.record.descrizione,
            item.record.destinatari,
            item.record.sito_web,
        ]
        for item in build.initiatives
    ]
    plugins.FastMarkerCluster(rows, callback=_FAST_CALLBACK).add_to(fmap)
    return _offline(fmap)


def page_mapgen(build: BuildResult, gazetteer: Gazetteer) -> str:
    return render_preview(build, gazetteer=gazetteer, options=OutputOptions())


APPROACHES: dict[str, Callable[[BuildResult, Gazetteer], str]] = {
    "marker": page_marker,
    "geojson": page_geojson,
    "fastcluster": page_fastcluster,
    "mapgen": page_mapgen,
}

# --- the browser ---------------------------------------------------------------------------

#: Installed before the page runs: records long tasks and when the markers are painted
#: (folium pages add them in their inline script; mapgen's when chunked loading is done),
#: plus two animation frames.
_INIT = """
window.__longTasks = [];
new PerformanceObserver(list => list.getEntries().forEach(
    e => window.__longTasks.push([e.startTime, e.duration]))).observe({entryTypes: ['longtask']});
window.__painted = new Promise(resolve => addEventListener("DOMContentLoaded", async () => {
    // folium pages have added their markers by now; mapgen's finish chunked loading later.
    const frame = () => new Promise(r => requestAnimationFrame(r));
    const ours = document.getElementById('mg-data') !== null;
    while (ours && (!window.mapgenPreview || window.mapgenPreview.loading)) { await frame(); }
    await frame(); await frame();
    resolve(performance.now());
}));
"""
_MAP = "Object.values(window).find(v => v instanceof L.Map)"
_TOGGLE = """async (selector) => {
    const box = document.querySelector(selector);
    const t0 = performance.now();
    box.click();
    while (window.mapgenPreview.loading) { await new Promise(r => requestAnimationFrame(r)); }
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    return performance.now() - t0;
}"""
_ZOOM = """async () => {
    const map = MAP;
    const t0 = performance.now();
    const moved = new Promise(done => map.once('moveend', done));
    map.setView([41.9, 12.5], 9, {animate: false});
    await moved;
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    return performance.now() - t0;
}""".replace("MAP", _MAP)
#: Offline the way an office PC without network is: every host name fails to resolve, inside
#: the browser (a Playwright route would add a round trip to Python per refused tile).
_OFFLINE = ["--host-resolver-rules=MAP * ~NOTFOUND"]


def measure(path: Path, *, toggle: bool) -> dict[str, float]:
    """Open ``path`` offline in a fresh browser and time it (ms since navigation start)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + _OFFLINE)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.add_init_script(_INIT)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri(), timeout=300_000, wait_until="domcontentloaded")
        painted = page.evaluate("window.__painted")
        page.wait_for_timeout(1000)  # let late long tasks show up
        result = {
            "dcl": page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"),
            "painted": painted,
            "idle": page.evaluate(f"Math.max({painted}, ...window.__longTasks.map(t => t[0] + t[1]))"),
            "busy": page.evaluate("window.__longTasks.reduce((s, t) => s + t[1], 0)"),
            "longest": page.evaluate("Math.max(0, ...window.__longTasks.map(t => t[1]))"),
        }
        session = page.context.new_cdp_session(page)
        session.send("HeapProfiler.collectGarbage")
        result["heap_mb"] = session.send("Runtime.getHeapUsage")["usedSize"] / 1e6
        result["dom"] = page.evaluate("document.getElementsByTagName('*').length")
        result["zoom"] = page.evaluate(_ZOOM)
        if toggle:
            result["toggle"] = page.evaluate(_TOGGLE, 'input[data-edition="0"]')
            result["toggle_back"] = page.evaluate(_TOGGLE, 'input[data-edition="0"]')
            result["toggle_area"] = page.evaluate(_TOGGLE, 'input[data-area="0"]')
        if errors:
            result["errors"] = len(errors)
        browser.close()
    return result


# --- the run -------------------------------------------------------------------------------


def run(sizes: tuple[int, ...], approaches: list[str], runs: int, work: Path) -> list[dict[str, Any]]:
    gazetteer = load_gazetteer()
    rows = []
    for size in sizes:
        build = synthetic_build(size)
        for name in approaches:
            if (name, size) in SKIP:
                print(f"{name:12} {size:>7,}  skipped (see SKIP)", file=sys.stderr)
                continue
            started = time.perf_counter()
            page = APPROACHES[name](build, gazetteer)
            path = work / f"{name}-{size}.html"
            path.write_text(page, encoding="utf-8")
            seconds = time.perf_counter() - started
            timings = [measure(path, toggle=name == "mapgen") for _ in range(runs)]
            row = {
                "approach": name,
                "initiatives": size,
                "build_s": seconds,
                "mb": path.stat().st_size / 1e6,
            }
            row.update({key: statistics.median(t[key] for t in timings) for key in timings[0]})
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| approach | initiatives | build+save s | HTML MB | DOMContentLoaded ms | painted ms "
        "| idle ms | busy ms (longest) | heap MB | DOM nodes | zoom z9 ms "
        "| edition off / on, area off ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        toggle = "–"
        if "toggle" in r:
            toggle = f"{r['toggle']:.0f} / {r['toggle_back']:.0f}, {r['toggle_area']:.0f}"
        lines.append(
            f"| {r['approach']} | {r['initiatives']:,} | {r['build_s']:.2f} | {r['mb']:.2f} "
            f"| {r['dcl']:.0f} | {r['painted']:.0f} | {r['idle']:.0f} "
            f"| {r['busy']:.0f} ({r['longest']:.0f}) "
            f"| {r['heap_mb']:.0f} | {r['dom']:,.0f} | {r['zoom']:.0f} | {toggle} |"
        )
    return "\n".join(lines)


def screenshot(target: Path) -> None:
    """The README picture: the bundled example offline, its busiest Comune's popup open."""
    from collections import Counter

    from playwright.sync_api import sync_playwright

    from mapgen.build import example_request, run_pipeline

    gazetteer = load_gazetteer()
    build = run_pipeline(example_request(), gazetteer=gazetteer)
    busiest = Counter(item.comune for item in build.initiatives).most_common(1)[0][0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "preview.html"
        path.write_text(page_mapgen(build, gazetteer), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + _OFFLINE)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(path.as_uri())
            page.wait_for_function("window.mapgenPreview && !window.mapgenPreview.loading")
            page.fill(".mg-search input", busiest.name)
            page.locator(".mg-hits button").first.click()
            page.locator(".leaflet-popup .mg-open").nth(0).click()
            page.wait_for_selector(".leaflet-popup .mg-item")
            page.wait_for_timeout(800)
            page.screenshot(path=str(target))
            browser.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--approaches", nargs="+", choices=list(APPROACHES), default=list(APPROACHES))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 only, one run")
    parser.add_argument("--work", type=Path, default=Path("benchmarks/_work"))
    parser.add_argument("--screenshot", type=Path, help="only write the README screenshot (bundled example) here")
    args = parser.parse_args(argv)
    if args.screenshot:
        screenshot(args.screenshot)
        return
    if args.quick:
        args.sizes, args.runs = [1_000, 10_000], 1
    args.work.mkdir(parents=True, exist_ok=True)
    print(table(run(tuple(args.sizes), args.approaches, args.runs, args.work.resolve())))


if __name__ == "__main__":
    main()
