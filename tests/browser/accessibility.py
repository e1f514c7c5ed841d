"""Helpers of the accessibility tests: builds to check, axe-core, visible text, English words.

Used by ``tests/browser/test_accessibility.py`` and by ``python -m tests.browser.screenshots``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapgen.build import example_request, run_pipeline, write_outputs
from mapgen.config import load_config
from mapgen.gazetteer import Gazetteer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: Installed by `make test` (`npm ci --prefix tests/browser`, see the Makefile).
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
#: The WCAG 2.1 level A and AA rules of axe-core (the Italian law asks for EN 301 549 = WCAG 2.1 AA).
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
VIEWPORTS = ((1280, 720), (390, 844))

#: English words that must not appear in what a visitor or staff member reads. Words that are
#: also Italian or names ("file", "link", "e-mail", "OpenStreetMap", "Leaflet") are left out;
#: the report's identifiers in ``.code`` (outcome codes shared with report.csv) are not text.
ENGLISH = (
    "rows", "row", "responses", "response", "initiatives", "initiative", "excluded", "duplicates",
    "errors", "error", "warnings", "warning", "separator", "features", "feature", "unusable",
    "carried", "edition", "layer", "layers", "mapping", "question", "codes", "export", "backup",
    "close", "zoom in", "zoom out", "full screen", "exit", "search", "loading", "contributors",
    "the", "and", "of", "with", "without", "not", "found", "none", "yes", "no", "popup", "show",
    "hide", "all", "records", "read", "sheet",
)  # fmt: skip
_ENGLISH_RE = re.compile(r"(?<![\w'’-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w'’-])", re.IGNORECASE)
#: Names that hold one of the words above and are no English text.
_NAMES = re.compile(
    r"OpenStreetMap contributors|ISTAT|Openpolis|\bNo\b(?= \d)"
    r"|\b[\w.-]+\.(?:toml|csv|xlsx|umap|geojson|gpkg|html|lss)\b",  # file names the user chose
    re.IGNORECASE,
)
#: Province siglas (NO is Novara), matched case-sensitively before the scan.
_SIGLA = re.compile(r"\b[A-Z]{2}\b")


def english_words(text: str) -> list[str]:
    """The English words of :data:`ENGLISH` found in ``text`` (once each, in order)."""
    found: list[str] = []
    for match in _ENGLISH_RE.finditer(_NAMES.sub(" ", _SIGLA.sub(" ", text))):
        word = match.group(1).lower()
        if word not in found:
            found.append(word)
    return found


@dataclass(frozen=True)
class Pages:
    """The preview and report of one build."""

    preview: Path
    report: Path


def build_example(out: Path, gazetteer: Gazetteer) -> Pages:
    """Build the bundled example (survey 2020 + uMap 2019) into ``out``."""
    request = example_request(out)
    result = run_pipeline(request, gazetteer=gazetteer)
    options = request.options or load_config(request.config).output
    write_outputs(result, out, gazetteer=gazetteer, options=options)
    return Pages(out / "preview.html", out / "report.html")


@cache
def axe_source() -> str:
    if not AXE.is_file():
        raise FileNotFoundError(f"{AXE} is missing: run `npm ci --prefix tests/browser` (make test does).")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is now; one line per failing node."""
    # The page at rest: a fade or a cluster's zoom animation still running (slow on a busy
    # machine) shows half-transparent text, which axe rightly counts as low contrast.
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        list(WCAG_TAGS),
    )
    lines = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            lines.append(f"{violation['id']} ({violation['impact']}): {node['target']} — {node['failureSummary']}")
    return lines


@contextmanager
def offline_page(browser: Browser, path: Path, viewport: tuple[int, int]) -> Iterator[Page]:
    """``path`` opened offline (only file:// requests) at ``viewport``; CSP bypassed so axe can be injected."""
    width, height = viewport
    context = browser.new_context(viewport={"width": width, "height": height}, locale="it-IT", bypass_csp=True)
    context.set_default_timeout(15_000)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.resolve().as_uri())
    if path.name == "preview.html":
        page.wait_for_function("window.mapgenPreview !== undefined && !window.mapgenPreview.loading")
        settle(page)
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


def settle(page: Page) -> None:
    """Wait until the map stopped moving and two frames were drawn."""
    page.wait_for_function("!window.mapgenPreview.loading")
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def after_layer_switch_opens(page: Page) -> None:
    """Wait out Leaflet 1.9.3's ``_expandSafely``: until its next timer turn it cancels the clicks
    in the layer switch, after its own handler has switched the layers, so a key or click taken
    before that turn (the browser serves input before timers: on a loaded machine it can) leaves
    the map without tiles and the radio on OpenStreetMap. A person comes later than one turn."""
    page.evaluate("new Promise(resolve => setTimeout(resolve))")


def visible_text(page: Page) -> str:
    """What a reader sees: the body's rendered text, without the report's ``.code`` identifiers."""
    return str(
        page.evaluate(
            """() => {
              const body = document.body.cloneNode(true);
              body.querySelectorAll('.code, script, style, template').forEach(n => n.remove());
              document.body.appendChild(body);  // innerText needs layout: measure a hidden copy
              body.style.position = 'absolute'; body.style.left = '-99999px';
              const named = document.querySelectorAll('[title],[aria-label],[placeholder]');
              const text = body.innerText + ' ' + Array.from(named)
                .map(n => [n.title, n.getAttribute('aria-label'), n.placeholder].filter(Boolean).join(' ')).join(' ');
              body.remove();
              return text;
            }"""
        )
    )


def open_first_popups(page: Page) -> None:
    """Open a Comune with several initiatives, then one initiative (popups at their fullest)."""
    page.evaluate(
        """() => new Promise(done => {
          const p = mapgenPreview, several = p.markers.findIndex(m => m.mgCount > 1), c = Math.max(several, 0);
          p.goTo(c, null);
          const wait = () => document.querySelector('.leaflet-popup') ? done() : setTimeout(wait, 50);
          wait();
        })"""
    )
    fade_in(page)


def fade_in(page: Page) -> None:
    """Wait for the popup's fade-in (0.2 s): half-transparent text fails the contrast check."""
    page.wait_for_function(
        "(p => p && getComputedStyle(p).opacity === '1')(document.querySelector('.leaflet-popup'))"
    )


def focus_ring(page: Page) -> dict[str, Any]:
    """The focused element and whether it shows a focus ring (outline of 2 px or more)."""
    return dict(
        page.evaluate(
            """() => {
              const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
              const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
              const name = el.getAttribute('aria-label') || el.title || el.textContent || el.placeholder || '';
              return {tag: el.tagName.toLowerCase(), cls: String(el.className || ''), name: name.trim().slice(0, 60),
                ring, onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight};
            }"""
        )
    )
