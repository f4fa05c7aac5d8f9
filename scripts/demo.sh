#!/usr/bin/env bash
# Install the core (its Debian packages when run as root, then .venv), then run the main job on the bundled model:
# detect and restore a spun example article.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh core
echo "== despin detect examples/spun.txt"
.venv/bin/despin detect examples/spun.txt
echo "== despin restore examples/spun.txt"
.venv/bin/despin restore examples/spun.txt
