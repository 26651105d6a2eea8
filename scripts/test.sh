#!/usr/bin/env bash
# The whole test suite: lint, types, the portals and their browser tests, then every test against
# real servers on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh

echo "== ruff"
uv run ruff check .
echo "== mypy"
uv run mypy
echo "== portals: eslint, tsc, next build, browser tests against the local stack"
(cd portals && npm run lint && npm run typecheck && npm run build && npm test)
echo "== pytest"
uv run pytest "$@"
