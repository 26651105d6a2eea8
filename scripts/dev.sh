#!/usr/bin/env bash
# The local stack: the API on http://127.0.0.1:8000, the workers, stand-ins and demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
exec uv run ff dev "$@"
