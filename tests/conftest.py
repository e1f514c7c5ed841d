"""Shared fixtures. Record factories live in ``fixtures/factories.py`` (the benchmarks use them too)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

from fixtures import factories
from fixtures.chromium import CHROMIUM, CHROMIUM_ARGS
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.model import BuildResult

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.umap_server.server import UmapServer



# `make test` (and CI) draws the same hypothesis examples every run, so a landing never hangs on
# an input a previous run did not try; `HYPOTHESIS_PROFILE=explore make test-fast` searches
# anew with many more examples (as `make fuzz` does for the readers): fix what it finds and
# pin the example in a plain test.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=1000, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def english_unless_asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests read English whatever the machine's language; a test asks for Italian with LANG or --lingua.

    Each ``mapgen`` invocation chooses its language anew, and the choice is kept between calls in one
    process: it is set back to English after every test.
    """
    from mapgen.i18n import set_language

    monkeypatch.setenv("MAPGEN_LANG", "en")
    yield
    set_language("en")


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
    """One headless Chromium for the whole session.

    Playwright's sync API keeps an event loop running while it is open, so a
    second ``sync_playwright()`` in the same process fails: every browser test
    shares this one.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def umap_server() -> Iterator[UmapServer]:
    """One real uMap 3.8.1 (``tests/umap_server/``) for every ``umap`` test of the session."""
    from tests.umap_server.server import SetupError, start_umap

    try:
        server = start_umap()
    except SetupError as exc:
        pytest.fail(f"cannot start uMap for the integration tests: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Each test starts with no secret remembered (mapgen.remote.secrets keeps them for the process)."""
    from mapgen.remote.secrets import forget_all

    forget_all()
    yield
    forget_all()


# --- servers of the tests' own: where error logs go, and bounds small enough to reach -------------


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Error logs go under ``tmp_path`` (cache and temp folder), to be searched for secrets."""
    import tempfile

    root = tmp_path / "logs"
    (root / "tmp").mkdir(parents=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(root / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(root / "tmp"))
    yield root


@pytest.fixture
def small_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bounds small enough for a test: 1 MB answers, 2 s per request."""
    from mapgen.remote import bounds

    monkeypatch.setattr(bounds, "MAX_ANSWER", 1024 * 1024)
    monkeypatch.setattr(bounds, "TOTAL_TIME", 2.0)
