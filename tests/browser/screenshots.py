"""`make screenshots`: the preview at 1280x720 and 390x844 and the report, from the bundled example.

Usage: ``python -m tests.browser.screenshots docs`` (writes ``docs/screenshot-*.png``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from fixtures.chromium import CHROMIUM, CHROMIUM_ARGS
from mapgen.gazetteer import load_gazetteer
from tests.browser.accessibility import VIEWPORTS, build_example, offline_page


def main(folder: Path) -> list[Path]:
    written = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        pages = build_example(Path(tmp) / "output", load_gazetteer())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width, height in VIEWPORTS:
            with offline_page(browser, pages.preview, (width, height)) as page:
                written.append(folder / f"screenshot-preview-{width}x{height}.png")
                page.screenshot(path=str(written[-1]))
        with offline_page(browser, pages.report, (1280, 720)) as page:
            written.append(folder / "screenshot-report.png")
            page.screenshot(path=str(written[-1]))
        browser.close()
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(path)
