#!/usr/bin/env bash
# The whole test suite from nothing: install, lint, type-check, then every test on SQLite and PostgreSQL,
# browser tests included. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

source scripts/debian.sh
[ -x /usr/bin/chromium ] || install_debian_package chromium "the browser tests"
command -v java >/dev/null || install_debian_package openjdk-17-jre-headless "the Spark linkage tests"

echo "== ruff"
.venv/bin/ruff check src tests scripts benchmarks
.venv/bin/ruff format --check src tests scripts benchmarks
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest --cov --cov-report=term "$@"
