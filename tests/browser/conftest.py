"""Headless Chromium for the browser tests, offline: every request that is not file:// is refused.

Debian's Chromium is driven through Playwright's Python package (never ``playwright install``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route

# The session's Chromium (`chromium`) is in tests/conftest.py: Playwright's sync API allows
# one driver at a time, so every test that needs a browser shares it.


@dataclass
class OfflinePage:
    """A page opened with the network blocked, with what it logged."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)  # (text, url)
    page_errors: list[str] = field(default_factory=list)

    def unexpected_errors(self) -> list[str]:
        """Errors other than the refused requests for map tiles (which need the internet)."""
        tiles = [
            (text, url)
            for text, url in self.console_errors
            if url in self.blocked and "tile.openstreetmap.org" in url
        ]
        others = [
            f"console: {text} ({url})"
            for text, url in self.console_errors
            if (text, url) not in tiles
        ]
        return others + [f"page: {error}" for error in self.page_errors]


def _block_network(blocked: list[str]) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    return handle


@pytest.fixture
def open_offline(chromium: Browser) -> Iterator[Callable[[Path], OfflinePage]]:
    """Open a local HTML file offline; waits until the preview has added its markers."""
    contexts: list[BrowserContext] = []

    def open_page(path: Path) -> OfflinePage:
        context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="it-IT")
        contexts.append(context)
        context.set_default_timeout(10_000)
        result = OfflinePage(context.new_page())
        context.route("**/*", _block_network(result.blocked))

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                result.console_errors.append((message.text, message.location.get("url", "")))

        result.page.on("console", on_console)
        result.page.on("pageerror", lambda error: result.page_errors.append(str(error)))
        result.page.goto(path.resolve().as_uri())
        result.page.wait_for_function(
            "window.mapgenPreview !== undefined && !window.mapgenPreview.loading"
        )
        return result

    yield open_page
    for context in contexts:
        context.close()
