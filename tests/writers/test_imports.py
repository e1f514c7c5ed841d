"""One module of a package imported without the package's others (``import_submodule_alone``).

Each test runs in a fresh interpreter: an import is once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(code: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, encoding="utf-8",
                          check=False)


def test_the_fullscreen_plugin_comes_without_the_other_plugins_and_they_import_after() -> None:
    code = (
        "import sys\n"
        "from mapgen.writers._imports import import_submodule_alone\n"
        "Fullscreen = import_submodule_alone('folium.plugins.fullscreen').Fullscreen\n"
        "print(sorted(n for n in sys.modules if n.startswith('folium.plugins')))\n"
        "print(Fullscreen.__name__, Fullscreen(position='topleft').options['position'])\n"
        "from folium import plugins\n"
        "print(plugins.Fullscreen.__name__, plugins.MarkerCluster.__name__, 'folium.plugins.draw' in sys.modules)\n"
    )
    ended = run(code)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.splitlines() == ["[]", "Fullscreen topleft", "Fullscreen MarkerCluster True"]


def test_the_preview_imports_one_plugin_only() -> None:
    code = (
        "import sys\n"
        "import mapgen.writers._folium_page\n"
        "print(sorted(n for n in sys.modules if n.startswith('folium.plugins')))\n"
    )
    ended = run(code)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.strip() == "[]"


def test_a_name_outside_any_installed_package_is_an_import_error() -> None:
    code = (
        "from mapgen.writers._imports import import_submodule_alone\n"
        "try:\n"
        "    import_submodule_alone('no_such_package_here.module')\n"
        "except ImportError as exc:\n"
        "    print('ImportError', exc.name)\n"
    )
    ended = run(code)
    assert ended.returncode == 0, ended.stderr
    assert ended.stdout.strip() == "ImportError no_such_package_here"
