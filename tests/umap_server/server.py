"""Install, start and stop a real uMap (PyPI package) with a throw-away PostGIS database."""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: The uMap release the tests run against (umap.openstreetmap.fr runs 3.x).
UMAP_VERSION = "3.8.1"
USERNAME = "mapgen"
PASSWORD = "mapgen-test-password"  # a throw-away local account on loopback

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "umap-server"
SETTINGS_TEMPLATE = Path(__file__).with_name("settings.py.in")


class SetupError(RuntimeError):
    """The machine lacks something the uMap server needs; the message says what to do."""


# --- Python >= 3.12 ----------------------------------------------------------------------


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor = done.stdout.split()
    return int(major), int(minor)


def _python_candidates() -> list[str]:
    found = [os.environ.get("MAPGEN_UMAP_PYTHON", "")]
    found += [shutil.which(name) or "" for name in ("python3.12", "python3.13", "python3")]
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    found += sorted(glob.glob(f"{pyenv_root}/versions/3.1[2-9]*/bin/python3"), reverse=True)
    return [c for c in dict.fromkeys(found) if c]


def find_python() -> tuple[str, tuple[int, int]]:
    """Return a Python >= 3.12 and its version, or raise SetupError naming what was tried."""
    tried = []
    for candidate in _python_candidates():
        version = _version_of(candidate)
        tried.append(f"{candidate} ({'.'.join(map(str, version)) if version else 'not runnable'})")
        if version and version >= (3, 12):
            return candidate, version
    raise SetupError(
        f"uMap {UMAP_VERSION} needs Python >= 3.12; none found. "
        f"Tried: {', '.join(tried) or 'nothing'}. "
        "Install one (e.g. `pyenv install 3.12`) or set MAPGEN_UMAP_PYTHON=/path/to/python3.12."
    )


# --- the uMap virtual environment (cached) ---------------------------------------------------


def ensure_venv() -> Path:
    """Return a venv with umap-project installed, creating it in the cache when missing."""
    python, (major, minor) = find_python()
    venv = CACHE / f"umap-{UMAP_VERSION}-py{major}.{minor}"
    if (venv / ".complete").is_file():
        return venv
    # Built in place: a venv's scripts hard-code its path, so it cannot be moved afterwards.
    shutil.rmtree(venv, ignore_errors=True)
    _make_dir(CACHE)
    started = time.monotonic()
    _run([python, "-m", "venv", str(venv)])
    _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"umap-project=={UMAP_VERSION}",
        ]
    )
    (venv / ".complete").write_text(f"installed in {time.monotonic() - started:.0f} s\n")
    return venv


def _make_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run(command: list[str], *, env: dict[str, str] | None = None, user: str | None = None) -> str:
    """Run a command (as ``user`` if given) and return stdout; raise with its output on failure."""
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, check=False, timeout=900
    )
    if done.returncode != 0:
        raise SetupError(
            f"`{' '.join(command)}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


# --- PostgreSQL + PostGIS --------------------------------------------------------------------


def _pg_bin() -> Path:
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
    )
    extensions = glob.glob("/usr/share/postgresql/*/extension/postgis.control")
    if not versions or not extensions:
        raise SetupError(
            "PostgreSQL with PostGIS is missing: run scripts/install-system-deps.sh "
            "(apt-get install postgresql postgresql-15-postgis-3)."
        )
    return Path(versions[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Postgres:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    folder: Path
    port: int
    user: str | None  # system user running the server (None: the current user)

    def command(self, name: str, *args: str) -> str:
        return _run([str(_pg_bin() / name), *args], user=self.user)

    def stop(self) -> None:
        with contextlib.suppress(SetupError):
            self.command("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> Postgres:
    """initdb + pg_ctl start in a new temporary folder; create the ``umap`` database + PostGIS."""
    user = "postgres" if os.geteuid() == 0 else None  # initdb refuses to run as root
    folder = Path(tempfile.mkdtemp(prefix="mapgen-umap-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = Postgres(folder, _free_port(), user)
    data = str(folder / "data")
    server.command(
        "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"
    )
    options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    server.command(
        "pg_ctl", "-D", data, "-o", options, "-l", str(folder / "postgres.log"), "-w", "start"
    )
    psql = [
        "psql",
        "-h",
        "127.0.0.1",
        "-p",
        str(server.port),
        "-U",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
    ]
    server.command(*psql, "-c", "CREATE DATABASE umap")
    server.command(*psql, "-d", "umap", "-c", "CREATE EXTENSION postgis")
    return server


# --- uMap ----------------------------------------------------------------------------------


@dataclass
class UmapServer:
    """A running uMap: its base URL, the login, and what to stop."""

    url: str
    username: str
    password: str
    process: subprocess.Popen[bytes]
    postgres: Postgres
    folder: Path
    command: str = ""  # the ``umap`` (Django manage.py) command of the venv
    env: dict[str, str] = field(default_factory=dict, repr=False)

    def shell(self, code: str) -> str:
        """Run Python ``code`` in uMap's Django shell (``umap shell -c``); return its output."""
        return _run([self.command, "shell", "-c", code], env=self.env)

    def create_user(self, username: str, password: str) -> None:
        """Create a local account (not a superuser) through Django's user model."""
        self.shell(
            "from django.contrib.auth import get_user_model; "
            f"get_user_model().objects.create_user({username!r}, password={password!r})"
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.postgres.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        text = (self.folder / "umap.log").read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _write_settings(folder: Path, *, db_port: int, web_port: int) -> Path:
    text = SETTINGS_TEMPLATE.read_text(encoding="utf-8")
    for key, value in {"DB_PORT": db_port, "WEB_PORT": web_port, "FOLDER": folder}.items():
        text = text.replace(f"@{key}@", str(value))
    (folder / "ajax-proxy-cache").mkdir()
    path = folder / "settings.py"
    path.write_text(text, encoding="utf-8")
    return path


def _umap_env(settings: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DJANGO"))
    }
    env |= {"UMAP_SETTINGS": str(settings), "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
    return env


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(
                f"uMap exited ({process.returncode}):\n{log_path.read_text(errors='replace')}"
            )
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(f"{url}/en/", timeout=5) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    raise SetupError(
        f"uMap did not answer on {url} within 120 s:\n{log_path.read_text(errors='replace')}"
    )


def start_umap() -> UmapServer:
    """Install (or reuse) uMap, start PostGIS and uMap on 127.0.0.1, create the test user."""
    venv = ensure_venv()
    postgres = start_postgres()
    folder = Path(tempfile.mkdtemp(prefix="mapgen-umap-"))
    try:
        web_port = _free_port()
        env = _umap_env(_write_settings(folder, db_port=postgres.port, web_port=web_port))
        umap = str(venv / "bin" / "umap")
        _run([umap, "migrate", "--noinput"], env=env)
        _run(
            [
                umap,
                "createsuperuser",
                "--noinput",
                "--username",
                USERNAME,
                "--email",
                "mapgen@example.org",
            ],
            env=env,
        )
        with (folder / "umap.log").open("wb") as log_file:  # the child keeps its own copy
            process = subprocess.Popen(
                [umap, "runserver", f"127.0.0.1:{web_port}", "--insecure", "--noreload"],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{web_port}"
        _wait_until_up(url, process, folder / "umap.log")
    except BaseException:
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return UmapServer(url, USERNAME, PASSWORD, process, postgres, folder, umap, env)


@contextlib.contextmanager
def running_umap() -> Iterator[UmapServer]:
    """``start_umap`` as a context manager that always stops everything it started."""
    server = start_umap()
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":  # manual use: python -m tests.umap_server.server
    logging.basicConfig(level=logging.INFO)
    with running_umap() as running:
        print(
            f"uMap {UMAP_VERSION} on {running.url} "
            f"(user {running.username} / {running.password}); Ctrl-C stops it"
        )
        with contextlib.suppress(KeyboardInterrupt):
            running.process.wait()
    sys.exit(0)
