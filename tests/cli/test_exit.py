"""How the command ends: at once after its work (``mapgen.cli.main``), with the status and output it had.

The process ends with ``os._exit`` once the exit handlers have run and the streams are flushed,
so that a build does not spend half a second freeing its objects one by one. What a person or a
script sees must not change: every line printed, even into a pipe (block-buffered), the exit
status of ``sys.exit``, the handlers that libraries register with :mod:`atexit`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "MAPGEN_LANG": "it"}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=environment, capture_output=True,
                          encoding="utf-8", check=False)


def test_the_whole_help_reaches_a_pipe_and_the_status_is_zero(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-m", "mapgen", "build", "--help"], cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "100"},
                           capture_output=True, encoding="utf-8", check=False)
    assert ended.returncode == 0, ended.stderr
    assert "Usage: mapgen build" in ended.stdout
    assert ended.stdout.rstrip().endswith("╯")  # the help's last box is closed: nothing left in a buffer


def test_a_usage_error_keeps_status_2_and_its_message(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-m", "mapgen", "build", "--no-such-option"], cwd=tmp_path,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                           encoding="utf-8", check=False)
    assert ended.returncode == 2
    assert "--no-such-option" in ended.stderr


def test_a_refused_build_keeps_status_1_and_its_line(tmp_path: Path) -> None:
    survey = tmp_path / "risposte.csv"
    survey.write_text("", encoding="utf-8")
    ended = subprocess.run([sys.executable, "-m", "mapgen", "--lingua", "it", "build", str(survey), "--out",
                            str(tmp_path / "out")], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)},
                           capture_output=True, encoding="utf-8", check=False)
    assert ended.returncode == 1
    assert "risposte.csv" in ended.stderr


def test_exit_handlers_run_and_printed_lines_reach_the_file(tmp_path: Path) -> None:
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('handler ran', flush=True))\n"
        "sys.argv = ['mapgen', '--help']\n"
        "print('before the command')\n"  # buffered: stdout is a pipe here
        "from mapgen.cli import main\n"
        "main()\n"
        "print('never printed: main does not return')\n"
    )
    ended = run_python(code, tmp_path)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.startswith("before the command")
    assert ended.stdout.rstrip().endswith("handler ran")
    assert "never printed" not in ended.stdout


def test_the_objects_are_not_freed_one_by_one(tmp_path: Path) -> None:
    """An object still alive at exit is freed by the interpreter's usual ending, never here."""
    code = (
        "import os, sys\n"
        "class Held:\n"
        "    def __del__(self):\n"
        "        os.write(1, b'freed at exit')\n"
        "held = Held()\n"
        "sys.argv = ['mapgen', '--help']\n"
        "from mapgen.cli import main\n"
        "main()\n"
    )
    ended = run_python(code, tmp_path)
    assert ended.returncode == 0, ended.stderr
    assert "freed at exit" not in ended.stdout
    # the same script with the usual exit frees it: the test can tell the two apart
    usual = run_python(code.replace("main()", "from mapgen.cli import app\ntry:\n    app(prog_name='mapgen')\n"
                                          "except SystemExit:\n    pass"), tmp_path)
    assert "freed at exit" in usual.stdout
