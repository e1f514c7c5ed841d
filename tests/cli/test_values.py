"""How the command line's values are read: as typer reads them, without pydantic (issue 28).

typer 0.29 builds a pydantic TypeAdapter for every parameter of the command that runs (0.2 s);
``mapgen.cli._common`` reads text, paths and flags with typer's own functions instead. These
tests hold the two ways to the same values and errors, parameter by parameter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
import typer
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from mapgen.cli import _common, app

ROOT = Path(__file__).parents[2]


def _parameters(group: Any) -> list[tuple[Any, Any]]:
    """(command, parameter) for every parameter of every command of the app."""
    found = [(group, p) for p in group.params]
    for command in getattr(group, "commands", {}).values():
        found += _parameters(command)
    return found


PARAMETERS = _parameters(typer.main.get_command(app))
PLAIN = [(c, p) for c, p in PARAMETERS if isinstance(p.get_runtime_param(), _common._PlainRuntimeParam)]


def _values(annotation: Any, tmp_path: Path) -> list[Any]:
    """What a command line gives a parameter of this type (click passes strings, flags as bools)."""
    existing = tmp_path / "indagine.csv"
    existing.write_text("x", encoding="utf-8")
    texts = ["", "output", "C:\\Utenti\\Anna\\Mappa 2023\\esito.csv", str(tmp_path), "città è/ü.csv", str(existing)]
    if annotation is bool:
        return [True, False, None]
    if typing.get_origin(annotation) is list:
        return [None, (), tuple(texts[:3]), [texts[1]]]
    return [None, *texts]


def _outcome(runtime: Any, value: Any, command: Any, parameter: Any) -> tuple[str, Any]:
    try:
        return "value", runtime.coerce(value, param=parameter, ctx=Context(command))
    except BadParameter as exc:
        return "error", exc.format_message()


def test_every_text_path_and_flag_parameter_is_read_plainly() -> None:
    """The fast way covers the commands' parameters: all but the LimeSurvey survey number."""
    assert len(PLAIN) >= 50
    others = {(c.name, p.name) for c, p in PARAMETERS} - {(c.name, p.name) for c, p in PLAIN}
    assert others == {("fetch", "survey_id")}


def test_an_unreadable_path_fails_as_typer_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The one check a default path parameter makes (this machine's user reads any file: faked)."""
    command, parameter = next((c, p) for c, p in PLAIN if c.name == "build" and p.name == "config")
    unreadable = tmp_path / "segreto.toml"
    unreadable.write_text("x", encoding="utf-8")
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    ours = _outcome(parameter.get_runtime_param(), str(unreadable), command, parameter)
    assert ours == ("error", f"Invalid value for '--config' / '-c': path {str(unreadable)!r} is not readable.")
    assert ours == _outcome(build_runtime_param(parameter.type_descriptor), str(unreadable), command, parameter)


@pytest.mark.parametrize(("command", "parameter"), PLAIN, ids=[f"{c.name}-{p.name}" for c, p in PLAIN])
def test_a_value_reads_as_typer_reads_it(command: Any, parameter: Any, tmp_path: Path) -> None:
    ours = parameter.get_runtime_param()
    typers = build_runtime_param(parameter.type_descriptor)
    for value in _values(parameter.type_descriptor.annotation, tmp_path):
        expected = _outcome(typers, value, command, parameter)
        got = _outcome(ours, value, command, parameter)
        assert got == expected, (value, got, expected)
        assert type(got[1]) is type(expected[1])  # Path stays Path, list stays list


def test_a_build_reads_its_command_line_without_pydantic(tmp_path: Path) -> None:
    """What the command receives, and pydantic never imported (it is what cost the 0.2 s)."""
    script = (
        "import sys, mapgen.build as b, mapgen.cli as cli\n"
        "def stop(request, **_):\n"
        "    print(repr((request.survey, request.previous, request.out_dir, request.preview)),\n"
        "          'pydantic' in sys.modules)\n"
        "    raise SystemExit(0)\n"
        "b.build = stop\n"
        "sys.argv = ['mapgen', 'build', 'indagine.csv', '-p', 'a.umap', '--previous', 'b.geojson', '-o', "
        "'uscita', '--strict', '--no-preview']\n"
        "cli.main()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr
    expected = (Path("indagine.csv"), (Path("a.umap"), Path("b.geojson")), Path("uscita"), False)
    assert done.stdout.strip() == f"{expected!r} False"
