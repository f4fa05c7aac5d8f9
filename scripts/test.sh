#!/usr/bin/env bash
# Set up, then run the whole test suite (unit, property, golden, e2e: CLI, HTTP, browser, Ray).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
