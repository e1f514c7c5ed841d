"""The README documents every command, and every command's help ends with an example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer.main
from typer.core import TyperGroup

from mapgen.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    found: list[tuple[str, Any]] = []
    for name, command in root.commands.items():
        if isinstance(command, TyperGroup):
            found += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            found.append((name, command))
    return found


def test_there_are_commands() -> None:
    names = [name for name, _ in _commands()]
    assert {"build", "geocode", "validate", "init-config", "preview", "gazetteer lookup"} <= set(names)


def test_every_command_is_in_the_readme() -> None:
    missing = [name for name, _ in _commands() if f"mapgen {name}" not in README]
    assert missing == []


def test_every_command_help_has_an_example() -> None:
    lacking = [name for name, cmd in _commands() if f"Example: mapgen {name}" not in (cmd.help or "")]
    assert lacking == []


def test_readme_library_example_runs() -> None:
    from mapgen.geocoders import Geocoder
    from mapgen.model import MatchStatus, Place

    geocoder = Geocoder()
    assert geocoder.geocode(Place("Castro", provincia="LE")).istat_code == "075096"
    assert geocoder.geocode(Place("Castro")).status is MatchStatus.AMBIGUOUS
