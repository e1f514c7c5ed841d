"""Shared fixtures. Record factories live in ``tests/factories.py``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.model import BuildResult
from tests import factories

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="Rewrite the golden files in tests/golden/ from the current output; read every diff.",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite the golden files (``--update-golden``)."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once."""
    return load_gazetteer()


@pytest.fixture
def sample_build() -> BuildResult:
    """A small BuildResult with two editions, an Ambito, hostile text and every report outcome."""
    return factories.sample_build()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """One headless Chromium (Debian's) for the whole session.

    Playwright's sync API refuses a second driver while one runs, so every browser test
    shares this one instead of starting its own.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
