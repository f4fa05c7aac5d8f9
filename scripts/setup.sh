#!/usr/bin/env bash
# Install despin into .venv, one line per step.
#   setup.sh core   the Debian packages the core needs, then despin and its core dependencies (the demo)
#   setup.sh all    also the Debian packages of the tests and tools, every extra and the pinned dev tools
# Debian packages are installed with apt-get when run as root; otherwise the missing ones are named and
# the script stops (install them, or run it as root).
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-all}
PY=${PYTHON:-python3}
# python3-venv: the virtualenv; a C++ compiler and compression headers: KenLM's Python module (built by pip).
CORE_APT="python3-venv build-essential zlib1g-dev libbz2-dev liblzma-dev"
# Chromium: the browser tests; jq: the documented examples; mythes-id and the rest: despin build-model.
ALL_APT="$CORE_APT chromium jq mythes-id cmake libboost-program-options-dev libboost-system-dev
libboost-thread-dev libboost-test-dev"
step() { printf '== %s\n' "$*"; }
# -qq: only errors (this machine's pip config also names package folders that may not exist).
pip_install() { .venv/bin/python -m pip install -qq --disable-pip-version-check "$@"; }

case "$MODE" in
  core) APT_PACKAGES=$CORE_APT ;;
  all) APT_PACKAGES=$ALL_APT ;;
  *) echo "usage: $0 [core|all]" >&2; exit 2 ;;
esac
if command -v dpkg >/dev/null 2>&1; then
  missing=$(for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      step "Debian packages: $(echo $missing)"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    elif [ ! -x .venv/bin/python ]; then
      echo "missing Debian packages: $(echo $missing)" >&2
      echo "install them (sudo apt-get install $(echo $missing)) or run this script as root" >&2
      exit 1
    else
      step "note: Debian packages not installed (not root): $(echo $missing)"
    fi
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
