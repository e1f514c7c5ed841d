"""The Windows guide's commands, as written, install mapgen and build the example.

The README's "On Windows" section and docs/installare-su-windows.md give the same two commands
(``py -m pip install .``, ``py -m mapgen build``). Here a fresh virtual environment stands in
for a new Python installation and its ``python`` for Windows' ``py`` launcher; the source tree is
copied without its virtual environment, caches or outputs, as a person unpacks the project's ZIP.
The install downloads mapgen's libraries from the package index configured for pip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDES = (ROOT / "README.md", ROOT / "docs" / "installare-su-windows.md")
#: What unpacking the project's ZIP does not give: local environments, caches, outputs.
NOT_IN_THE_ZIP = shutil.ignore_patterns(".git", ".venv", ".cache", "output", "node_modules", "__pycache__",
                                        "*.egg-info", "dist", "build", ".mypy_cache", ".ruff_cache")


def guide_commands(path: Path) -> list[str]:
    """The ``py ...`` lines of a guide's ``bat`` code blocks, in order."""
    blocks = re.findall(r"```bat\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith("py ")]


def test_both_guides_give_the_same_two_commands() -> None:
    readme, italian = (guide_commands(path) for path in GUIDES)
    assert readme == ["py -m pip install .", "py -m mapgen build"]
    assert italian[:1] + italian[2:3] == readme  # install, (the publish extra), build
    assert italian[1] == "py -m pip install .[publish]"


@pytest.mark.slow
def test_the_windows_commands_install_and_build_in_a_fresh_environment(tmp_path: Path) -> None:
    folder = tmp_path / "mapgen"
    shutil.copytree(ROOT, folder, ignore=NOT_IN_THE_ZIP)
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "python")], check=True)
    python = tmp_path / "python" / ("Scripts" if os.name == "nt" else "bin") / "python"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    for command in guide_commands(GUIDES[0]):
        args = [str(python), *command.split()[1:]]  # py -> this environment's python
        done = subprocess.run(args, cwd=folder, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "Check: inputs = " in done.stdout
    written = {p.name for p in (folder / "output").iterdir()}
    assert {"map.umap", "preview.html", "report.html", "initiatives.csv", "initiatives.csvt"} <= written
    found = subprocess.run([str(python), "-c", "import mapgen; print(mapgen.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True)
    assert Path(found.stdout.strip()).is_relative_to(tmp_path / "python")  # installed, not the source tree
