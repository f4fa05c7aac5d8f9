#!/usr/bin/env bash
# Install despin into .venv, one line per step.
#   setup.sh core   despin and its core dependencies only (what the demo needs; about a minute)
#   setup.sh all    also the Debian packages (as root), every extra and the pinned dev tools (the tests)
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-all}
PY=${PYTHON:-python3}
APT_PACKAGES="python3-venv chromium jq mythes-id cmake build-essential zlib1g-dev libbz2-dev liblzma-dev
libboost-program-options-dev libboost-system-dev libboost-thread-dev libboost-test-dev"
step() { printf '== %s\n' "$*"; }
# -qq: only errors (this machine's pip config also names package folders that may not exist).
pip_install() { .venv/bin/python -m pip install -qq --disable-pip-version-check "$@"; }

case "$MODE" in core | all) ;; *) echo "usage: $0 [core|all]" >&2; exit 2 ;; esac
if [ "$MODE" = all ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    step "Debian packages: $(echo $missing)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
fi
if [ ! -x .venv/bin/python ]; then
  step "virtualenv .venv"
  "$PY" -m venv .venv
fi
if [ "$MODE" = core ]; then
  step "despin (core; builds the KenLM query module on a fresh machine)"
  pip_install -e .
else
  step "pip >= 25.1 (for dependency groups)"
  pip_install --upgrade "pip>=25.1"
  step "despin with every extra and the pinned dev tools"
  pip_install -e '.[all]' --group dev
fi
