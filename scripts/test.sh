#!/usr/bin/env bash
# Install everything, then check what the README promises: lint, format, strict types, and the whole
# test suite (unit, property, golden, doctests, documented examples, CLI, HTTP, browser, Ray).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh all
echo "== ruff check"
.venv/bin/ruff check src tests benchmarks fuzz
echo "== ruff format --check"
.venv/bin/ruff format --check src tests benchmarks fuzz
echo "== mypy --strict src benchmarks"
.venv/bin/mypy --strict src benchmarks
echo "== pytest"
exec .venv/bin/python -m pytest "$@"
