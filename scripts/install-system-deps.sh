#!/usr/bin/env bash
# Install the system programs the tests drive for real, when they are missing:
#   chromium   - headless browser for the preview/report tests (Playwright drives /usr/bin/chromium)
#   gdal-bin   - ogrinfo, to check the GeoPackage with GDAL's own tool
# Runs as root (CI, this sandbox) or through sudo; otherwise says what to install.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v ogrinfo >/dev/null || need+=(gdal-bin)

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
