#!/usr/bin/env bash
# Installs what wholeplace needs into .venv (Python) and node_modules (front end), then builds the assets.
# Safe to run again: it reinstalls only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "wholeplace needs Python 3.11 or newer as '$python' (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi
command -v npm >/dev/null || { echo "wholeplace needs Node.js and npm (apt-get install nodejs npm)." >&2; exit 1; }
source scripts/debian.sh
# WeasyPrint draws the investment-case reports as PDF with Pango.
ldconfig -p | grep -q libpangoft2-1.0.so.0 || install_debian_package libpangoft2-1.0-0 "PDF reports"

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv"
  "$python" -m venv .venv
fi
python_stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$python_stamp" ]; then
  echo "Installing Python packages into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$python_stamp"
fi

node_stamp="node_modules/.installed-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$node_stamp" ]; then
  echo "Installing front-end packages into node_modules"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$node_stamp"
fi
npm run --silent build
