"""``mapgen preview [DIR]``: open the built preview in the default browser."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mapgen.cli import app


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs the command asked the browser to open (no browser is started)."""
    urls: list[str] = []

    def fake_open(url: str) -> bool:
        urls.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", fake_open)
    return urls


def test_opens_the_preview_of_the_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opened: list[str]
) -> None:
    (tmp_path / "output").mkdir()
    page = tmp_path / "output" / "preview.html"
    page.write_text("<!DOCTYPE html>", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["preview"])  # DIR defaults to output/
    assert result.exit_code == 0, result.output
    assert opened == [page.resolve().as_uri()]
    assert result.output == f"Opened {page.resolve()}\n"


def test_other_folder(tmp_path: Path, opened: list[str]) -> None:
    (tmp_path / "preview.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    result = CliRunner().invoke(app, ["preview", str(tmp_path)])
    assert result.exit_code == 0
    assert opened == [(tmp_path / "preview.html").resolve().as_uri()]


def test_missing_preview(tmp_path: Path, opened: list[str]) -> None:
    result = CliRunner().invoke(app, ["preview", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'preview.html'} does not exist; build it with "
        f"`mapgen build --out {tmp_path}` (without --no-preview).\n"
    )
    assert opened == []


def test_no_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "preview.html").write_text("<!DOCTYPE html>", encoding="utf-8")
    monkeypatch.setattr(webbrowser, "open", lambda url: False)
    result = CliRunner().invoke(app, ["preview", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no web browser could be started; open ")
