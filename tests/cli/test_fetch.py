"""``mapgen fetch`` at the command line: a refused address stops before a password is asked."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mapgen.cli import app


@pytest.mark.parametrize("command", [
    ["fetch", "--limesurvey", "http://survey.example.org", "--survey", "1", "--user", "u"],
    ["publish", "output", "--map", "http://umap.example.org/it/map/x_1", "--user", "u"],
])
def test_plain_http_off_loopback_stops_before_the_password_prompt(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAPGEN_LIMESURVEY_PASSWORD", raising=False)
    monkeypatch.delenv("MAPGEN_UMAP_PASSWORD", raising=False)
    result = CliRunner().invoke(app, command, input="secret-typed\n")
    assert result.exit_code == 1
    assert "http" in result.output
    assert "password" not in result.output.lower().split("error", 1)[0]  # no prompt came before the error
    assert "secret-typed" not in result.output
