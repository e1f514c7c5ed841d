"""Every command's --help reads as a command line: flags alone, one style for values (issue #19)."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from mapgen.cli import app

runner = CliRunner()


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the app, groups included: (), ("build",), ("gazetteer", "lookup")..."""
    found = [path]
    for name, command in sorted(getattr(group, "commands", {}).items()):
        found += _commands(command, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))
#: What Typer prints by default and people do not write on a command line.
_PYTHON_TYPES = re.compile(r"<[a-z]+(?:\[[A-Za-z]+\])?>|list\[")


def test_every_command_is_listed() -> None:
    assert {"build", "geocode", "validate", "publish", "preview"} <= {c[0] for c in COMMANDS if c}
    assert ("gazetteer", "lookup") in COMMANDS and len(COMMANDS) >= 12


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "mapgen")
def test_help_shows_flags_as_flags_and_values_in_one_style(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    text = result.output
    assert _PYTHON_TYPES.search(text) is None, text
    assert re.search(r"--help\s+Show this message", text)  # no value after a flag
    section = ""
    for line in text.splitlines():
        if line.startswith("╭─"):
            section = line.split()[1]
        elif section == "Arguments" and line.startswith("│"):
            name = re.match(r"│\s*(?:\*\s+)?(\S+)", line)
            assert name is None or name.group(1).isupper(), f"argument not in capitals: {line}"
    if command and command != ("gazetteer",):
        assert "Example: mapgen " in text  # every command's --help ends with an example


@pytest.mark.parametrize("flag", ["--strict", "--online", "--all-complete", "--include-incomplete"])
def test_build_flags_take_no_value(flag: str) -> None:
    text = runner.invoke(app, ["build", "--help"], env={"COLUMNS": "160"}).output
    line = next(line for line in text.splitlines() if f" {flag} " in line)
    assert re.search(rf"{flag}\s{{2,}}[A-Z][a-z]", line), line  # straight to the help text
    assert "BOOLEAN" not in line and "bool" not in line


def test_values_are_named_as_people_read_them() -> None:
    text = runner.invoke(app, ["build", "--help"], env={"COLUMNS": "160"}).output
    assert re.search(r"--previous\s+-p\s+PATH\s", text)
    assert re.search(r"--sheet\s+TEXT\s", text)
    assert "[SURVEY]" in text and re.search(r"│\s+SURVEY\s+PATH\s", text)
