#!/usr/bin/env bash
# Install the system programs the tests drive for real, when they are missing:
#   chromium   - headless browser for the preview/report tests (Playwright drives /usr/bin/chromium)
#   npm        - installs axe-core (tests/browser/package-lock.json), the accessibility checker
#   gdal-bin   - ogrinfo, to check the GeoPackage with GDAL's own tool
#   postgresql, postgresql-NN-postgis-3 - the database of the real uMap that
#                tests/umap/test_in_umap.py starts (its own cluster in a temp folder)
# Runs as root (CI, this sandbox) or through sudo; otherwise says what to install.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ogrinfo >/dev/null || need+=(gdal-bin)
command -v npm >/dev/null || need+=(npm)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
    # PostGIS for the PostgreSQL major version Debian installs (15 on bookworm).
    pg_major="$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1)"
    if [ -z "$pg_major" ]; then
        pg_major="$(apt-cache depends postgresql 2>/dev/null | sed -n 's/.*Depends: postgresql-\([0-9]*\)$/\1/p' | head -1)"
    fi
    need+=("postgresql-${pg_major:-15}-postgis-3")
fi

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    echo "The tests need these Debian packages: ${need[*]}. Install them (apt-get install ${need[*]}) and re-run." >&2
    exit 1
fi
echo "Installing system packages for the tests: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
