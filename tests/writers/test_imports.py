"""One module of a package imported without the package's others (``import_submodule_alone``).

Each test runs in a fresh interpreter: an import is once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def printed(code: str) -> str:
    """What ``code`` prints in a fresh interpreter (which must end without an error)."""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    ended = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, encoding="utf-8",
                           check=False)
    assert ended.returncode == 0, ended.stderr
    return ended.stdout


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
    assert printed(code).splitlines() == ["[]", "Fullscreen topleft", "Fullscreen MarkerCluster True"]


def test_the_preview_imports_one_plugin_only() -> None:
    code = (
        "import sys\n"
        "import mapgen.writers._folium_page\n"
        "print(sorted(n for n in sys.modules if n.startswith('folium.plugins')))\n"
    )
    assert printed(code).strip() == "[]"


def test_a_name_outside_any_installed_package_is_an_import_error() -> None:
    code = (
        "from mapgen.writers._imports import import_submodule_alone\n"
        "try:\n"
        "    import_submodule_alone('no_such_package_here.module')\n"
        "except ImportError as exc:\n"
        "    print('ImportError', exc.name)\n"
    )
    assert printed(code).strip() == "ImportError no_such_package_here"
