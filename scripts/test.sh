#!/usr/bin/env bash
# The whole test suite from nothing: install, lint, type-check, then every test on SQLite and PostgreSQL,
# browser tests included. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

install_debian_package() {  # $1: the package, $2: what it is for
  echo "Installing Debian's $1 for $2"
  if [ "$(id -u)" -eq 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
  $apt_get update -qq && DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq "$1" >/dev/null || {
    echo "Could not install $1: install the '$1' package, then run this again." >&2
    exit 1
  }
}
[ -x /usr/bin/chromium ] || install_debian_package chromium "the browser tests"
command -v java >/dev/null || install_debian_package openjdk-17-jre-headless "the Spark linkage tests"

echo "== ruff"
.venv/bin/ruff check src tests scripts benchmarks
.venv/bin/ruff format --check src tests scripts benchmarks
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest --cov --cov-report=term "$@"
