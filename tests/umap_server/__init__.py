"""A real uMap server on 127.0.0.1 for the integration tests (``tests/umap/test_in_umap.py``).

Set-up, in order (each step reports what is missing and how to fix it):

1. a Python >= 3.12 (uMap 3.8 needs it): ``$MAPGEN_UMAP_PYTHON``, then ``python3.13`` /
   ``python3.12`` on PATH, then pyenv's versions;
2. a virtual environment with ``umap-project`` from PyPI, cached in
   ``.cache/umap-server/umap-<version>-py<X.Y>/`` (git-ignored) so repeat runs skip it;
3. a throw-away PostgreSQL cluster with PostGIS (Debian packages, installed by
   ``scripts/install-system-deps.sh``) in a temporary folder, on a free port, run as the
   ``postgres`` system user when the tests run as root (``initdb`` refuses root);
4. ``umap migrate``, a user, and ``umap runserver --insecure`` (static files served by
   Django from the installed package, no ``collectstatic``).

One server per test session (``umap_server`` in ``tests/conftest.py``). ``maps.py`` makes
users' maps and layers through uMap's own views (``UmapServer.create_user`` adds a second
account through Django's shell); ``proxy.py`` puts an nginx-like body limit in front of it.
"""

from tests.umap_server.server import UMAP_VERSION, UmapServer, start_umap

__all__ = ["UMAP_VERSION", "UmapServer", "start_umap"]
