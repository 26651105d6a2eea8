#!/usr/bin/env bash
# The whole test suite: lint, types, then every test against real servers on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

echo "== ruff"
uv run ruff check .
echo "== mypy"
uv run mypy
echo "== pytest"
uv run pytest "$@"
