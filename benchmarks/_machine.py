"""What the benchmarks ran on: cores, memory, load, Python, library versions, commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = (
    "mapgen", "pandas", "geopandas", "shapely", "pyogrio", "numpy", "pyproj", "folium", "jinja2",
    "rapidfuzz", "typer", "playwright", "pyinstrument",
)  # fmt: skip


def _interpreter() -> str:
    """Which Python ran, without a machine's own path: relative to the checkout, else a kind of install."""
    executable = Path(sys.executable)
    if executable.is_relative_to(ROOT):
        return str(executable.relative_to(ROOT))
    return "a virtual environment" if sys.prefix != sys.base_prefix else "the system's Python"


def _first(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _run(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def describe() -> list[str]:
    """Markdown bullet lines describing the machine and the software."""
    import pyogrio

    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    memory_kb = _first("/proc/meminfo", "MemTotal").split()[0]
    commit = _run("git", "rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if _run("git", "status", "--porcelain", "--", "mapgen") else ""
    return [
        f"- CPU: {os.cpu_count()} cores, {_first('/proc/cpuinfo', 'model name')}; "
        f"memory {int(memory_kb) / 1024**2:.1f} GiB" if memory_kb.isdigit() else f"- CPU: {os.cpu_count()} cores",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()} ({_interpreter()})",
        f"- Libraries: {', '.join(versions)}; GDAL {pyogrio.__gdal_version_string__}",
        f"- Browser: {_run('/usr/bin/chromium', '--version')} (headless, software rendering)",
        f"- mapgen commit {commit}{dirty}",
    ]
