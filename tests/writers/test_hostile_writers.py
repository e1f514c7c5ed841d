"""Hostile survey text through the whole pipeline and every output: shown literally, never run.

A survey whose every free-text cell holds a probe (script tags, event handlers, ``javascript:``
links, template and uMap syntax, very long words, right-to-left text, emoji, backslashes,
formulas) goes through ``run_pipeline`` and ``write_outputs``. Then each output is checked by
rules that do not come from the writers' code: the GIS files keep the exact text, CSV files
neutralise formulas, the uMap files follow uMap's escaping rule (``templates/README.md``,
as read from uMap 3.8.1's source), links are only http(s), and in headless Chromium neither
the preview nor the report runs a probe or breaks.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyogrio
import pytest

from mapgen.build import BuildRequest, run_pipeline, write_outputs
from mapgen.config import load_config
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PROBES = (
    "<script>window.__xss=1</script>",
    "<img src=x onerror=window.__xss=2>",
    '<a href="javascript:window.__xss=3">clic</a>',
    "{{ 7*7 }} e {campo} e {comune}",
    "*x* **y** [[http://a|b]] {{img}} {{{http://a}}} h_t_t_p://a",
    "Supercalifragilistichespiralidoso" * 6,
    "שלום עולם مرحبا بالعالم",
    "Famiglie 👪🏽 e bimbi 👩‍👧‍👦",
    "C:\\dati\\2019\\progetto \\1 \\n",
    "${x} `${y}` %s %(nome)s",
    "</script><script>window.__xss=4</script>",
    "=HYPERLINK(\"http://evil.example\",\"x\")",
    "# titolo\n---\n* voce\n- meno",
    "\"virgolette\" e 'apici' & <b>grassetto</b>",
)
LINKS = (
    "javascript:window.__xss=5",
    " JaVaScRiPt:window.__xss=6",
    "data:text/html,<script>window.__xss=7</script>",
    'https://example.org/a?b=<c>&d="e"',
    "http://example.org/*x*/{y}/[[z]]",
    "https://example.org/ok",
)
COMUNI = (
    ("Roma", "RM"), ("Forlì", "FC"), ("Castro", "LE"), ("Milano", "MI"), ("Bari", "BA"),
    ("Torino", "TO"), ("Napoli", "NA"), ("Genova", "GE"), ("Bologna", "BO"), ("Firenze", "FI"),
    ("Palermo", "PA"), ("Cagliari", "CA"), ("Trento", "TN"), ("Ancona", "AN"),
)  # fmt: skip
# Comuni that match nothing: the report shows what was typed.
HOSTILE_COMUNI = ("<script>window.__xss=8</script>", "{{ 7*7 }}")
#: The map title of the config file ([output] title) and a practice of the previous map (Perugia).
TITLE = "<script>window.__xss=9</script> {{ 7*7 }} *Mappa* [[http://a|b]] {titolo} 👪"
PREVIOUS_TITLE = "Pratica 2019: <img src=x onerror=window.__xss=10> {{img}}"
PREVIOUS_TEXT = "{campo} **grassetto** </script><script>window.__xss=11</script>"
HEADER = ["id", "submitdate", "Comune", "Provincia", "Titolo", "Descrizione", "Destinatari", "Sito web",
          "Denominazione ente", "Area", "Referente", "Email", "Telefono"]  # fmt: skip
#: Text fields as the survey holds them -> the same field in the GIS files.
GIS_FIELDS = {"titolo": "titolo", "descrizione": "descrizione", "destinatari": "destinatari",
              "denominazione_ente": "ente"}  # fmt: skip
#: Flat properties of a uMap feature that hold survey text.
UMAP_FLAT = ("name", "destinatari", "ente", "area_altro", "fonte_altro", "referente", "email", "telefono",
             "sito_web")  # fmt: skip
#: Raw pieces of the probes that must never reach a uMap description unescaped.
UMAP_RAW = ("<script", "<img", "<a ", "<b>", "{{", "}}", "{campo}", "{comune}", "*x*", "**y**", "[[http://a|b]]",
            "h_t_t_p", "\n# titolo", "\n---", "\n* voce", "\n- meno")  # fmt: skip


def title(number: int, probe: str) -> str:
    return f"Pratica {number}: {probe}"


def description(number: int, probe: str) -> str:
    return f"{probe}\nSeconda riga della pratica {number}: {probe}"


def survey_rows() -> list[list[str]]:
    rows = []
    for number, (probe, (comune, sigla)) in enumerate(zip(PROBES, COMUNI, strict=True), start=1):
        link = LINKS[number % len(LINKS)]
        rows.append([str(number), "2020-09-20 10:00:00", comune, sigla, title(number, probe),
                     description(number, probe), probe, link, probe, f"Infanzia; altro: {probe}", probe, probe,
                     probe])  # fmt: skip
    for number, comune in enumerate(HOSTILE_COMUNI, start=len(rows) + 1):
        rows.append([str(number), "2020-09-20 10:00:00", comune, "", title(number, comune), comune, "", "", "",
                     "", "", "", ""])  # fmt: skip
    return rows


@dataclass
class Built:
    out: Path
    result: BuildResult


def write_previous(path: Path) -> Path:
    perugia = {"type": "Point", "coordinates": [12.3883, 43.1122]}
    feature = {"type": "Feature", "geometry": perugia,
               "properties": {"name": PREVIOUS_TITLE, "description": PREVIOUS_TEXT, "comune": "Perugia"}}  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Built:
    folder = tmp_path_factory.mktemp("hostile")
    survey = folder / "sondaggio ostile.csv"
    with survey.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *survey_rows()])
    config = folder / "mapping.toml"
    config.write_text(f"[output]\ntitle = {json.dumps(TITLE, ensure_ascii=False)}\ninclude_contacts = true\n",
                      encoding="utf-8")  # fmt: skip
    request = BuildRequest(survey=survey, previous=(write_previous(folder / "mappa 2019.geojson"),), config=config)
    result = run_pipeline(request, gazetteer=gazetteer)
    options = load_config(config).output
    assert (options.title, options.include_contacts) == (TITLE, True)
    write_outputs(result, folder / "output", gazetteer=gazetteer, options=options)
    return Built(folder / "output", result)


def test_the_reader_keeps_every_probe(built: Built) -> None:
    records = sorted((i.record for i in built.result.initiatives if i.record.edition == 2020),
                     key=lambda r: r.source.row or 0)  # fmt: skip
    assert [r.titolo for r in records] == [title(n, p) for n, p in enumerate(PROBES, start=1)]
    assert [r.descrizione for r in records] == [description(n, p) for n, p in enumerate(PROBES, start=1)]
    assert [r.denominazione_ente for r in records] == list(PROBES)
    # destinatari and aree_altro are list fields ("altro: a; b"): its separators and bullets are read as such
    assert [o.typed.comune for o in built.result.outcomes if not o.initiative_id] == list(HOSTILE_COMUNI)
    previous = [i.record for i in built.result.initiatives if i.record.edition == 2019]
    assert [(r.titolo, r.descrizione) for r in previous] == [(PREVIOUS_TITLE, PREVIOUS_TEXT)]


# --- GIS files: the exact text -----------------------------------------------------------


def _by_title(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["titolo"]: row for row in rows}


def test_gis_files_keep_the_exact_text(built: Built) -> None:
    geojson = json.loads((built.out / "initiatives.geojson").read_text(encoding="utf-8"))
    from_geojson = _by_title([f["properties"] for f in geojson["features"]])
    gpkg = pyogrio.read_dataframe(built.out / "initiatives.gpkg", layer="initiatives")
    from_gpkg = _by_title(gpkg.to_dict("records"))
    for item in built.result.initiatives:
        for source, gis in GIS_FIELDS.items():
            wanted = getattr(item.record, source)
            assert from_geojson[item.record.titolo][gis] == wanted
            assert from_gpkg[item.record.titolo][gis] == wanted


def test_gis_links_are_only_http(built: Built) -> None:
    geojson = json.loads((built.out / "initiatives.geojson").read_text(encoding="utf-8"))
    links = [f["properties"]["sito_web"] for f in geojson["features"]]
    assert all(re.match(r"https?://", link) for link in links if link)
    assert "https://example.org/ok" in links


def _csv_cells(path: Path) -> list[list[str]]:
    # report.csv is ';'-separated for Italian-locale Excel; initiatives.csv is ','.
    delimiter = ";" if path.name == "report.csv" else ","
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


@pytest.mark.parametrize("name", ["initiatives.csv", "report.csv"])
def test_csv_files_neutralise_formulas(built: Built, name: str) -> None:
    _header, *rows = _csv_cells(built.out / name)
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or re.match(r"-(?![0-9.]+$)", c)]
    if name == "initiatives.csv":  # the formula probe is a whole cell (destinatari, ente)
        assert "'" + PROBES[11] in cells and PROBES[11] not in cells
    assert any(c.startswith("Pratica 12: =HYPERLINK(") for c in cells)


def test_initiatives_csv_keeps_the_text(built: Built) -> None:
    header, *rows = _csv_cells(built.out / "initiatives.csv")
    by_title = _by_title([dict(zip(header, row, strict=True)) for row in rows])
    for item in built.result.initiatives:
        for source, gis in GIS_FIELDS.items():
            wanted = getattr(item.record, source)
            shown = by_title[item.record.titolo][gis]
            assert shown == ("'" + wanted if wanted.startswith("=") else wanted)


# --- uMap files: uMap's escaping rule ----------------------------------------------------


def umap_escaped(text: str) -> str:
    """The escaping rule of templates/README.md, written out again independently of the writer."""
    table = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "*": "&#42;", "[": "&#91;", "]": "&#93;",
             "{": "&#123;", "}": "&#125;", "|": "&#124;", "#": "&#35;", "_": "&#95;"}  # fmt: skip
    escaped = "".join(table.get(char, char) for char in text)
    return re.sub(r"(?m)^-", "&#45;", escaped)


def _umap_features(out: Path) -> list[dict[str, Any]]:
    """Every initiative feature of every uMap file (layers/*.geojson and map.umap)."""
    features = []
    for path in sorted((out / "layers").glob("*.geojson")):
        features += json.loads(path.read_text(encoding="utf-8"))["features"]
    document = json.loads((out / "map.umap").read_text(encoding="utf-8"))
    for layer in document["layers"]:
        features += layer.get("features", [])
    return [f for f in features if "istat" in f["properties"] and "name" in f["properties"]
            and "codice" in f["properties"]]  # fmt: skip


# uMap 3.8.1 utils.js greedyTemplate: what it would replace in a description.
_GREEDY_TEMPLATE = re.compile(r"\{ *([^{}/-]+)(?:\|(\"[^\"]*\"))? *\}")


def test_umap_descriptions_follow_umaps_escaping(built: Built) -> None:
    features = _umap_features(built.out)
    assert len(features) == 2 * (len(PROBES) + 1)  # a layer file and map.umap; the survey and the 2019 map
    for feature in features:
        text = feature["properties"]["description"]
        found = re.match(r"Pratica (\d\d?):", feature["properties"]["name"])  # the survey's (not 2019)
        if not found:
            # The 2019 map's own text keeps its uMap markup (the old map showed it formatted);
            # its script goes with its content and {campo}, a property it lacks, shows nothing,
            # as the old map showed it (mapgen.umap.markup.carried_text).
            assert text.endswith("**Edizioni:** 2019\n\n **grassetto**"), text
            continue
        original = description(int(found.group(1)), PROBES[int(found.group(1)) - 1])
        assert umap_escaped(original) in text
        assert html.unescape(text).count(original) == 1  # shown as typed
        assert not _GREEDY_TEMPLATE.search(text)
        assert [raw for raw in UMAP_RAW if raw in text] == []


def test_umap_links_are_only_http(built: Built) -> None:
    for feature in _umap_features(built.out):
        for url in re.findall(r"\[\[(.*?)(?:\||\]\])", feature["properties"]["description"]):
            assert re.match(r"https?://[^\s\"<>*{}|\[\]]+$", url), url


def _markup_in(value: str) -> list[str]:
    return [bad for bad in ("<", ">", "*", "[[", "]]", "{{", "}}") if bad in value]


def test_umap_flat_properties_are_plain_text(built: Built) -> None:
    """Plain properties go through innerHTML and uMap markup: no tags, no markup pairs, no stars."""
    document = json.loads((built.out / "map.umap").read_text(encoding="utf-8"))
    assert _markup_in(document["properties"]["name"]) == []  # the config's title
    found = {
        (key, value)
        for feature in _umap_features(built.out)
        for key in UMAP_FLAT
        if _markup_in(value := feature["properties"].get(key) or "")
    }
    assert sorted(found) == []


# --- the preview and the report in Chromium ----------------------------------------------


@dataclass
class Visit:
    page: Page
    errors: list[str] = field(default_factory=list)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if "tile.openstreetmap.org" not in e]


@pytest.fixture
def visit(chromium: Browser) -> Iterator[Callable[[Path], Visit]]:
    """Open a file offline (only file:// requests) and collect console and page errors."""
    contexts = []

    def open_file(path: Path) -> Visit:
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="it-IT")
        contexts.append(context)
        context.set_default_timeout(10_000)
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        found = Visit(context.new_page())
        found.page.on("console", lambda m: found.errors.append(f"{m.text} {m.location.get('url', '')}")
                      if m.type == "error" else None)  # fmt: skip
        found.page.on("pageerror", lambda e: found.errors.append(str(e)))
        found.page.goto(path.as_uri())
        return found

    yield open_file
    for context in contexts:
        context.close()


def _check_nothing_ran(page: Page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator('img[src="x"], [onerror], a[href^="javascript:" i], a[href^="data:" i]').count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert [h for h in hrefs if not re.match(r"(https?|file):|#", h)] == []


# The open popup's heading and text once its heading starts with the argument, else null.
_POPUP_OF = """n => {
    const popup = document.querySelector('.leaflet-popup'), h3 = popup && popup.querySelector('h2');
    return h3 && h3.textContent.startsWith(n) ? [h3.innerText, popup.innerText] : null;
}"""


@pytest.mark.browser
def test_preview_shows_every_probe_and_runs_none(built: Built, visit: Callable[[Path], Visit]) -> None:
    view = visit(built.out / "preview.html")
    page = view.page
    page.wait_for_function("window.mapgenPreview !== undefined && !window.mapgenPreview.loading")
    assert page.evaluate("mapgenPreview.counts().markers") == len(PROBES) + 1
    assert page.title() == TITLE
    assert page.locator(".leaflet-container").count() == 1
    for number, (probe, (comune, _sigla)) in enumerate(zip(PROBES, COMUNI, strict=True), start=1):
        page.fill(".mg-search input", comune)
        # The search runs 120 ms after the last key: until then the hits are the last Comune's,
        # and Enter would open its popup. Wait for this Comune's hit.
        page.locator(".mg-hits button", has_text=comune).first.wait_for()
        page.keyboard.press("Enter")
        # Read the popup in the same animation frame that shows it: map animations may redraw it.
        heading, shown = page.wait_for_function(_POPUP_OF, arg=f"Pratica {number}:").json_value()
        assert heading.split() == title(number, probe).split()
        for line in probe.splitlines():
            assert line in shown, (comune, line)
        _check_nothing_ran(page)
    page.fill(".mg-search input", "Perugia")
    page.locator(".mg-hits button", has_text="Perugia").first.wait_for()
    page.keyboard.press("Enter")
    heading, shown = page.wait_for_function(_POPUP_OF, arg="Pratica 2019:").json_value()
    # The 2019 map's text formatted as uMap formats it: bold, no script, no placeholder.
    assert heading == PREVIOUS_TITLE
    assert "grassetto" in shown and "**" not in shown and "{campo}" not in shown
    assert page.locator(".leaflet-popup .mg-descr strong").inner_text() == "grassetto"
    assert TITLE in page.locator("body").inner_text()
    _check_nothing_ran(page)
    assert view.unexpected_errors() == []


@pytest.mark.browser
def test_report_shows_every_probe_and_runs_none(built: Built, visit: Callable[[Path], Visit]) -> None:
    view = visit(built.out / "report.html")
    page = view.page
    for details in page.locator("details").all():
        details.evaluate("d => d.open = true")
    text = page.locator("body").inner_text()
    for shown in (*HOSTILE_COMUNI, TITLE):
        assert shown in text
    for number, probe in enumerate(PROBES, start=1):
        assert " ".join(title(number, probe).split()) in " ".join(text.split()), number
    _check_nothing_ran(page)
    # Only the review controls' two scripts: their data (JSON, never run) and their code (CSP hash).
    assert page.evaluate("[...document.scripts].map(s => s.type || 'code')") == ["application/json", "code"]
    assert page.locator("[data-check]").get_attribute("data-check") == "ok"  # the totals still add up
    assert view.errors == []
