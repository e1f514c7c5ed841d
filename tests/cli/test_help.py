"""Every command's --help reads as a command line: flags alone, one style for values (issue #19)."""

from __future__ import annotations

import re
from typing import Any

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


def _texts(command: Any) -> list[str]:
    """The texts --help renders: the command's docstring and every option's help."""
    return [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "mapgen")
def test_help_keeps_every_bracketed_word(command: tuple[str, ...]) -> None:
    """Rich reads ``[word]`` as markup and drops it ("needs mapgen[limesurvey]" became "needs mapgen")."""
    found: Any = typer.main.get_command(app)
    for name in command:
        found = found.commands[name]
    shown = " ".join(runner.invoke(app, [*command, "--help"], env={"COLUMNS": "400"}).output.split())
    shown = shown.replace("│", " ")
    for text in _texts(found):
        for bracketed in re.findall(r"\S*\[[^\]\s]*\]\S*", text.replace("\\[", "[")):
            assert bracketed.strip(".,;:()") in " ".join(shown.split()), f"{' '.join(command)}: {bracketed}"


def test_publish_help_shows_the_plan_before_apply() -> None:
    text = runner.invoke(app, ["publish", "--help"], env={"COLUMNS": "160"}).output
    example = next(line for line in text.splitlines() if "Example: mapgen publish" in line)
    assert "--apply" not in example
    assert "then run the same command with --apply" in " ".join(text.split())
