#!/usr/bin/env bash
# The demo from nothing: install, build the demo place in var/, and serve it on http://127.0.0.1:8000/.
# Extra arguments go to `wholeplace demo` (for example --port 8080 or --no-serve).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/wholeplace demo "$@"
