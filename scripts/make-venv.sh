#!/usr/bin/env bash
# Create the project's virtual environment with an up-to-date pip.
# On a bare Debian, `python3 -m venv` needs the python3-venv package: install it when we can.
set -euo pipefail
python="${1:-python3}"
venv="${2:-.venv}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "mapgen needs Python >= 3.11; '$python' is $("$python" --version 2>&1 || echo missing)." >&2
    exit 1
fi
if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt-get update -qq && apt-get install -y -qq "python${version}-venv" || apt-get install -y -qq python3-venv
        "$python" -m venv "$venv"
    else
        echo "Cannot create a virtual environment: install python3-venv (sudo apt-get install python3-venv)." >&2
        exit 1
    fi
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
